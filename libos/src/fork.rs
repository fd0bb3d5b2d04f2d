//! `fork`: a child process made by the library OS itself. The server
//! creates the environment (and lends its address space and capability
//! space for the duration); the parent shares every program page with it
//! copy-on-write, giving the child its own capability to each frame at the
//! same slot, copies the library OS's private memory (image data, bss and
//! heap, which must never fault), and has the server start the child at
//! `child_entry`, which resumes the forking task's registers with `rax` 0.

use abi::UpcallFrame;
use linux_errno::Errno::{self, ENOMEM};
use sysproto::layout::{LIBOS_HEAP, LIBOS_WINDOW};
use sysproto::{slots, sys};

use crate::mm::PAGE;
use crate::proc::Proc;
use crate::{kcall, server};

/// The library OS's own image pages (data and bss): first page and count,
/// in slots `slots::FIRST_IMAGE` onwards.
pub static IMAGE: spin::Mutex<(u64, u64)> = spin::Mutex::new((0, 0));

/// Gives the child a private copy of the library OS page at `vaddr`, in
/// its slot `slot`; a page of the library OS's stacks gets a fresh zero
/// frame instead (the child starts with empty stacks).
fn copy_private(vaddr: u64, slot: u32) -> Result<(), abi::Error> {
    kcall::frame_alloc(slots::SCRATCH)?;
    let stacks = [crate::upcall_stack(), crate::start_stack()];
    if stacks.iter().any(|r| r.contains(&vaddr)) {
        let done = kcall::give_to_child(slots::SCRATCH, slot)
            .and_then(|()| kcall::map_in_child(slot, vaddr, abi::map_flags::WRITE));
        let _ = kcall::cap_delete(slots::SCRATCH);
        return done;
    }
    let done = (|| {
        kcall::map(slots::SCRATCH, LIBOS_WINDOW, abi::map_flags::WRITE)?;
        // SAFETY: `vaddr` is a mapped page of the library OS's own memory
        // and the window a freshly mapped private page; whole pages,
        // distinct. Nothing else runs in this process during the copy.
        unsafe {
            core::ptr::copy_nonoverlapping(
                vaddr as *const u8,
                LIBOS_WINDOW as *mut u8,
                PAGE as usize,
            )
        };
        kcall::unmap(LIBOS_WINDOW)?;
        kcall::give_to_child(slots::SCRATCH, slot)?;
        kcall::map_in_child(slot, vaddr, abi::map_flags::WRITE)
    })();
    let _ = kcall::cap_delete(slots::SCRATCH);
    done
}

/// Forks the process at the current task's state `frame`; the child's pid.
pub fn fork(p: &mut Proc, frame: &UpcallFrame) -> Result<u64, Errno> {
    let child = server::call(sys::Fork {})?.pid;
    let mut start = *frame;
    start.rax = 0;
    p.fork_point = Some((p.cur, start));
    let result = populate(p);
    p.fork_point = None;
    let ok = match result {
        Ok(()) => {
            let entry = child_entry as *const () as u64;
            let rsp = crate::start_stack_top() - 8;
            let start = sys::ForkStart {
                child,
                rip: entry,
                rsp,
                rdi: 0,
            };
            server::call(start).is_ok()
        }
        Err(_) => false,
    };
    let _ = kcall::cap_delete(slots::CHILD_ASPACE);
    let _ = kcall::cap_delete(slots::CHILD_CSPACE);
    if ok {
        Ok(child)
    } else {
        let _ = server::call(sys::ForkStart {
            child,
            ..Default::default()
        });
        Err(ENOMEM)
    }
}

/// Fills the child's address space.
fn populate(p: &mut Proc) -> Result<(), abi::Error> {
    p.mm.share_for_fork();
    // File pages the server took back (their slots empty) are forgotten.
    let mut gone = alloc::vec::Vec::new();
    for (a, pg) in &p.mm.pages {
        if let Err(e) = kcall::give_to_child(pg.slot, pg.slot) {
            match p.mm.find(*a) {
                Some((_, v)) if v.file.is_some() => gone.push(*a),
                _ => return Err(e),
            }
            continue;
        }
        if pg.mapped {
            kcall::map_in_child(pg.slot, *a, p.mm.flags_of(*a, pg))?;
        }
    }
    p.mm.forget_pages(&gone);
    // Last, with nothing more to change: the library OS's own memory.
    let (first, count) = *IMAGE.lock();
    for i in 0..count {
        copy_private(first + i * PAGE, slots::FIRST_IMAGE + i as u32)?;
    }
    for i in 0..exo_rt::heap::pages() {
        copy_private(LIBOS_HEAP + i * PAGE, crate::HEAP_SLOTS + i as u32)?;
    }
    Ok(())
}

/// Where the child starts, on the library OS's start stack.
extern "C" fn child_entry() -> ! {
    let frame = crate::with_proc_after_fork(|p| {
        let (i, frame) = p
            .fork_point
            .take()
            .unwrap_or((p.cur, UpcallFrame::default()));
        let task = p.tasks.swap_remove(i);
        p.tasks.clear();
        p.tasks.push(task);
        p.cur = 0;
        p.fpu_owner = 0;
        p.tasks[0].tid = server::pid();
        p.tasks[0].sched = p.tasks[0].sched.for_fork_child();
        server::forget_deferred();
        p.tasks[0].state = crate::task::State::Ready;
        // A new process has no signal pending, and no timer.
        p.timers = crate::timers::Timers::default();
        p.tasks[0].pending = 0;
        p.pending = 0;
        p.tasks[0].queue.clear();
        p.queue.clear();
        crate::signal::publish_queued(p);
        crate::signal::publish_limit();
        p.live_fs = p.tasks[0].fs_base;
        kcall::set_fs_base(p.live_fs);
        // The child's mailbox is new: tell the server how its children
        // are to be reported (the dispositions came with the fork).
        crate::signal::publish_chld(p);
        frame
    });
    if kcall::register_upcalls().is_err() {
        kcall::exit(127);
    }
    crate::console::enable();
    crate::linked::publish();
    // SAFETY: the frame is the forking task's state at its `fork` call,
    // in this child's copy of the parent's memory: its code and stack
    // are mapped here as they were there.
    unsafe { exo_rt::upcall::resume(&frame) }
}
