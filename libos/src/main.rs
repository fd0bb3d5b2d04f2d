//! The ExoV6 library OS: one instance in every process, mapped at
//! `sysproto::layout::LIBOS_BASE` by the system server. It loads the
//! program (static ELF, `exec`), receives the program's Linux system calls
//! as reflected-syscall upcalls and its exceptions as exception upcalls,
//! and implements processes, memory, files, pipes, signals and threads on
//! the exokernel's interface and the system server's protocol
//! (`sysproto`).
//!
//! Layout: [`mm`] (address space, faults, copy-on-write), [`fork`],
//! [`exec`], [`task`] and [`proc`] (threads, scheduling, blocking),
//! [`signal`], [`fd`] (descriptors), [`server`] (the system server's
//! client and mailbox), [`time`], [`kcall`] (kernel calls), and
//! [`linux`] (the system-call table and handlers).
//!
//! `unsafe` code here is the library OS's system-call and upcall layer:
//! raw copies to and from program memory after the memory manager made
//! it present, `fxsave`/`fxrstor`, and resuming program state.

#![no_std]
#![no_main]

extern crate alloc;

mod console;
mod exec;
mod fd;
mod fork;
mod kcall;
mod limits;
mod linked;
mod linux;
mod mm;
mod proc;
mod server;
mod signal;
mod task;
mod time;
mod timers;
mod window;

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::ops::Range;

use abi::upcall::kind;
use abi::UpcallFrame;
use sysproto::{control, sys};

use proc::Proc;

exo_rt::entry!(main);

/// The process state. The library OS runs in one kernel thread and never
/// re-enters itself (an upcall cannot interrupt an upcall), so the lock is
/// never contended; it is held for the whole of an upcall.
static PROC: OneThread<Option<Box<Proc>>> = OneThread(spin::Mutex::new(None));

/// A lock for state only the environment's single kernel thread touches
/// (so it may hold `Rc`s, which are not `Send`).
struct OneThread<T>(spin::Mutex<T>);

// A process is one environment with one kernel thread; its tasks are the
// library OS's own, switched only inside upcalls. No second CPU ever runs
// this code for the same memory, so the contents are never shared
// between threads.
// SAFETY: sound for the reasons just given.
unsafe impl<T> Sync for OneThread<T> {}

impl<T> core::ops::Deref for OneThread<T> {
    type Target = spin::Mutex<T>;
    fn deref(&self) -> &spin::Mutex<T> {
        &self.0
    }
}

/// The slot of the library OS heap's first page (`exo_rt::heap`).
pub const HEAP_SLOTS: u32 = 1024;
/// Most pages of that heap.
pub const HEAP_PAGES: u64 = sysproto::layout::LIBOS_HEAP_MAX / 4096;

/// Size of the upcall stack.
const UPCALL_STACK: usize = 256 * 1024;
/// Size of the start stack (process start and fork children).
const START_STACK: usize = 64 * 1024;

#[repr(C, align(4096))]
struct Stack<const N: usize>(UnsafeCell<[u8; N]>);

// SAFETY: the stacks are only used as raw memory by the CPU (the kernel
// writes upcall frames on one; code runs on them); no Rust reference to
// their contents is ever made.
unsafe impl<const N: usize> Sync for Stack<N> {}

/// The start stack (the first `START_STACK` bytes) and the upcall stack
/// (the rest), in one array so no small static sits between them and
/// costs a page of its own in every process.
static STACKS: Stack<{ START_STACK + UPCALL_STACK }> =
    Stack(UnsafeCell::new([0; START_STACK + UPCALL_STACK]));

/// The upcall stack's range.
pub fn upcall_stack() -> Range<u64> {
    let b = STACKS.0.get() as u64 + START_STACK as u64;
    b..b + UPCALL_STACK as u64
}

// The start stack is the one `exo-rt`'s `_start` runs `main` on: the
// server starts every process's first thread at `libos_entry`, which
// moves to its top.
core::arch::global_asm!(
    ".pushsection .text.libos_entry, \"ax\", @progbits",
    ".globl libos_entry",
    "libos_entry:",
    "    lea rsp, [rip + {stack}]",
    "    add rsp, {size}",
    "    jmp _start",
    ".popsection",
    stack = sym STACKS,
    size = const START_STACK,
);

/// The top of the start stack.
pub fn start_stack_top() -> u64 {
    STACKS.0.get() as u64 + START_STACK as u64
}

/// The start stack's range.
pub fn start_stack() -> Range<u64> {
    let b = STACKS.0.get() as u64;
    b..b + START_STACK as u64
}

/// Runs `f` on the process state in a forked child, whose copy of the
/// lock was taken while the parent held it.
pub fn with_proc_after_fork<R>(f: impl FnOnce(&mut Proc) -> R) -> R {
    // SAFETY: this runs first thing in a forked child: its memory is a
    // copy of the parent's made while the parent's upcall held the lock,
    // and nothing in the child holds it.
    unsafe { PROC.force_unlock() };
    let mut g = PROC.lock();
    let p = g.as_mut().unwrap_or_else(|| kcall::exit(126));
    f(p)
}

/// Every upcall: a reflected Linux call, an exception or a preemption.
pub fn on_upcall(frame: &mut UpcallFrame) {
    if frame.kind == kind::PREEMPTED && exo_rt::upcall::in_resume(frame.rip) {
        // Preempted while resuming a task: finish that resume untouched.
        return;
    }
    // Preemption is turned on only from inside an upcall (kcall), so the
    // start code never sees one; should one find the state busy or absent
    // all the same, it resumes.
    let mut g = if frame.kind == kind::PREEMPTED {
        match PROC.try_lock() {
            Some(g) if g.is_some() => g,
            _ => return,
        }
    } else {
        PROC.lock()
    };
    let Some(p) = g.as_mut() else {
        kcall::exit(126);
    };
    kcall::enable_preemption();
    match frame.kind {
        kind::SYSCALL => linux::wait::syscall(p, frame),
        kind::EXCEPTION => on_exception(p, frame),
        kind::PREEMPTED => linux::threads::preempted(p, frame),
        _ => {}
    }
    p.before_resume(frame);
}

fn on_exception(p: &mut Proc, frame: &mut UpcallFrame) {
    if frame.vector == 14 {
        let write = frame.error & 2 != 0;
        match p.mm.fault(frame.addr, write) {
            Ok(()) => return,
            Err(mm::Segv::NoMemory) => out_of_memory(p),
            // BUS_ADRERR: past the end of a mapped file.
            Err(mm::Segv::Bus) => {
                signal::force(p, frame, signal::SIGBUS, 2, frame.addr);
                return;
            }
            Err(e) => {
                let code = if e == mm::Segv::Denied { 2 } else { 1 };
                signal::force(p, frame, signal::SIGSEGV, code, frame.addr);
                return;
            }
        }
    }
    let (sig, code) = signal::for_exception(frame.vector);
    signal::force(p, frame, sig, code, frame.rip);
}

/// No frame could be had for a page the program touched, even after the
/// server's out-of-memory policy ran: the process ends as if killed by
/// SIGKILL, as Linux's OOM killer ends it, and says so.
pub(crate) fn out_of_memory(p: &mut Proc) -> ! {
    let name = p.exe.rsplit(|&b| b == b'/').next().unwrap_or(&[]);
    exo_rt::println!(
        "libos: out of memory: killed process {} ({})",
        server::pid(),
        core::str::from_utf8(name).unwrap_or("?")
    );
    p.exit_process(sysproto::status::signaled(9, false))
}

/// The strings the server put in the data area: `argc` arguments then
/// `envc` environment strings, each NUL-terminated.
fn boot_strings() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let argc = server::control(control::ARGC) as usize;
    let envc = server::control(control::ENVC) as usize;
    let data = server::boot_data();
    let mut words = data.split(|b| *b == 0).map(|s| s.to_vec());
    let argv: Vec<Vec<u8>> = words.by_ref().take(argc).collect();
    let envp: Vec<Vec<u8>> = words.take(envc).collect();
    (argv, envp)
}

/// The first program of a process tree (`init`): the server mapped this
/// image and the mailbox and wrote the arguments there.
fn main(_args: &exo_rt::StartArgs) -> i32 {
    exo_rt::heap::init(exo_rt::heap::Config {
        memory: sysproto::slots::MEMORY,
        first_slot: HEAP_SLOTS,
        base: sysproto::layout::LIBOS_HEAP,
        max_pages: HEAP_PAGES,
        refill: Some(kcall::more_memory),
    });
    let pid = server::pid();
    mm::learn_machine_memory();
    *fork::IMAGE.lock() = (
        server::control(control::IMAGE_START),
        server::control(control::IMAGE_PAGES),
    );
    let (argv, envp) = boot_strings();
    let Some(path) = argv.first().cloned() else {
        exo_rt::println!("libos: no program to run");
        return 127;
    };
    if let Err(e) = kcall::register_upcalls() {
        exo_rt::println!("libos: cannot register upcalls: {:?}", e);
        return 127;
    }
    console::enable();
    linked::publish();
    let mut p = Box::new(Proc::new(pid));
    // Standard input, output and error: the console.
    if let Ok(c) = server::call(sys::Console {}) {
        let file = alloc::rc::Rc::new(fd::OpenFile {
            handle: c.handle,
            kind: c.kind,
            flags: core::cell::Cell::new(2),
        });
        for i in 0..3 {
            let _ = p.fds.install_at(
                i,
                fd::Fd {
                    file: file.clone(),
                    cloexec: false,
                },
            );
        }
    }
    let frame = match exec::execve(&mut p, &path, argv, envp) {
        Ok(f) => f,
        Err(e) => {
            exo_rt::println!(
                "libos: cannot run {}: error {}",
                core::str::from_utf8(&path).unwrap_or("?"),
                e.raw()
            );
            return 127;
        }
    };
    *PROC.lock() = Some(p);
    // SAFETY: `execve` built this state: the program's entry and its
    // initial stack, mapped and made present below rsp.
    unsafe { exo_rt::upcall::resume(&frame) }
}
