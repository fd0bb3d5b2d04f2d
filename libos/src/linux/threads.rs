//! Thread calls: `clone` (threads, or a fork when the memory is not
//! shared), futexes, `set_tid_address`, `arch_prctl` (TLS), robust lists,
//! `sched_yield`.

use linux_errno::Errno::{self, EAGAIN, EINVAL, ENOSYS};

use super::{read_timespec, Call, Ret};
use crate::proc::Proc;
use crate::task::{Block, Task};
use crate::{fork, kcall, time};

/// Heap a new thread may take (its saved state and extended state, with
/// room to spare); `clone` checks it can be had before making one.
const THREAD_BYTES: usize = 4096;
const CLONE_VM: u64 = 0x100;

/// Linux's `kernel.threads-max`: a thread per 32 pages of memory (eight
/// 16 KiB kernel stacks' worth), at least 20; here per process, and at
/// most 16383 (thread ids are the pid plus the thread's number << 16,
/// within the futex word's 30 bits).
fn threads_max() -> usize {
    let pages = crate::mm::machine_bytes() / 4096;
    (pages / 32).clamp(20, (1 << 14) - 1) as usize
}
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x1_0000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;

pub fn set_tid_address(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    p.tasks[p.cur].clear_tid = c.a[0];
    Ok(p.tasks[p.cur].tid as usize)
}

pub fn arch_prctl(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    match c.a[0] {
        0x1002 => {
            // ARCH_SET_FS
            p.tasks[p.cur].fs_base = c.a[1];
            p.live_fs = c.a[1];
            kcall::set_fs_base(c.a[1]);
            Ok(0)
        }
        0x1003 => {
            let v = p.tasks[p.cur].fs_base;
            p.mm.write_u64(c.a[1], v).map(|()| 0)
        }
        _ => Err(EINVAL),
    }
}

/// Robust futex lists matter only when a thread dies holding a lock; the
/// list is accepted and not walked (docs/linux-abi.md).
pub fn set_robust_list(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[1] == 24 {
        Ok(0)
    } else {
        Err(EINVAL)
    }
}

pub fn sched_yield(p: &mut Proc, c: &mut Call) -> Ret {
    c.frame.rax = 0;
    let before = p.cur;
    p.yield_current(c.frame);
    if p.cur == before {
        let _ = exo_rt::yield_now();
    }
    Ret::Resumed
}

pub fn clone(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (f, a) = (&*c.frame, c.a);
    let (flags, stack, ptid, ctid, tls) = (a[0], a[1], a[2], a[3], a[4]);
    // Linux's rules: threads share the signal handlers, which needs the
    // memory shared; a new mount namespace cannot share the file system
    // information.
    const CLONE_FS: u64 = 0x200;
    const CLONE_SIGHAND: u64 = 0x800;
    const CLONE_NEWNS: u64 = 0x2_0000;
    if flags & (CLONE_NEWNS | CLONE_FS) == CLONE_NEWNS | CLONE_FS
        || flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0
        || flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0
    {
        return Err(EINVAL);
    }
    if flags & CLONE_VM == 0 || flags & CLONE_VFORK != 0 && flags & CLONE_THREAD == 0 {
        // A new process: fork (vfork's sharing is not needed for the child
        // to run; it gets a copy-on-write copy).
        let mut start = *f;
        if stack != 0 {
            start.rsp = stack;
        }
        return fork::fork(p, &start).map(|c| c as usize);
    }
    if flags & CLONE_THREAD == 0 {
        return Err(EINVAL);
    }
    // Room for the thread first (its slot in the table, its state): with
    // the library OS's memory used up the caller gets EAGAIN, as from
    // Linux's clone, instead of the allocator aborting the process.
    let probe = alloc::vec::Vec::<u8>::new().try_reserve_exact(THREAD_BYTES);
    if p.tasks.len() >= threads_max() || p.tasks.try_reserve(1).is_err() || probe.is_err() {
        return Err(EAGAIN);
    }
    let tid = p.new_tid();
    let mut t = Task::new(tid);
    t.frame = *f;
    t.frame.rax = 0;
    if stack != 0 {
        t.frame.rsp = stack;
    }
    t.fs_base = if flags & CLONE_SETTLS != 0 {
        tls
    } else {
        p.tasks[p.cur].fs_base
    };
    t.mask = p.tasks[p.cur].mask;
    t.fx.save();
    if flags & CLONE_PARENT_SETTID != 0 {
        p.mm.write_u32(ptid, tid as u32)?;
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        p.mm.write_u32(ctid, tid as u32)?;
    }
    if flags & CLONE_CHILD_CLEARTID != 0 {
        t.clear_tid = ctid;
    }
    p.tasks.push(t);
    Ok(tid as usize)
}

/// `futex`, with Linux's checks in Linux's order: the timeout of a
/// waiting operation is read first (`EFAULT`, `EINVAL`); an unknown
/// operation, or `FUTEX_CLOCK_REALTIME` on one that takes no absolute
/// time, is `ENOSYS`; a zero bitset or a negative count is `EINVAL`; an
/// address not aligned to 4 is `EINVAL`, one past the top of user memory
/// `EFAULT`; a shared (non-`FUTEX_PRIVATE_FLAG`) futex must be mapped
/// (Linux looks up its page: `EFAULT` even for `FUTEX_WAKE`), a private
/// one is only a number unless its value is read. Counts are `int`s: 0
/// or less wakes one, as in Linux.
pub fn futex(p: &mut Proc, c: &mut Call) -> Ret {
    let a = c.a;
    const FUTEX_WAIT: u32 = 0;
    const FUTEX_WAKE: u32 = 1;
    const FUTEX_REQUEUE: u32 = 3;
    const FUTEX_CMP_REQUEUE: u32 = 4;
    const FUTEX_WAIT_BITSET: u32 = 9;
    const FUTEX_WAKE_BITSET: u32 = 10;
    const FUTEX_PRIVATE_FLAG: u32 = 128;
    const FUTEX_CLOCK_REALTIME: u32 = 256;
    let (addr, op, val) = (a[0], a[1] as u32, a[2] as u32);
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let shared = op & FUTEX_PRIVATE_FLAG == 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let timeout = if matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET) && a[3] != 0 {
        match read_timespec(p, a[3]) {
            Ok(t) => Some(t),
            Err(e) => return e.into(),
        }
    } else {
        None
    };
    if realtime && cmd != FUTEX_WAIT_BITSET {
        return ENOSYS.into();
    }
    // The futex word's key: alignment, range and (shared) its page.
    let key = |p: &mut Proc, addr: u64| -> Result<(), Errno> {
        if addr & 3 != 0 {
            return Err(EINVAL);
        }
        super::access_ok(addr, 4)?;
        if shared {
            p.mm.prepare(addr, 4, false)?;
        }
        Ok(())
    };
    let count = |n: u32| (n as i32).max(1) as u64;
    // The bitset of a wait or wake (all ones unless `cmd` is the BITSET
    // form, whose bitset may not be 0), after checking the address.
    let bitset_and_key = |p: &mut Proc, bitset_cmd: u32| -> Result<u32, Errno> {
        let bitset = if cmd == bitset_cmd {
            a[5] as u32
        } else {
            u32::MAX
        };
        if bitset == 0 {
            return Err(EINVAL);
        }
        key(p, addr)?;
        Ok(bitset)
    };
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = match bitset_and_key(p, FUTEX_WAIT_BITSET) {
                Ok(b) => b,
                Err(e) => return e.into(),
            };
            let cur = match p.mm.read_u32(addr) {
                Ok(v) => v,
                Err(e) => return e.into(),
            };
            if cur != val {
                return EAGAIN.into();
            }
            let deadline = timeout.map(|t| {
                if cmd == FUTEX_WAIT_BITSET {
                    if realtime {
                        t.saturating_sub(time::realtime_ns() - time::now_ns())
                    } else {
                        t
                    }
                } else {
                    time::now_ns().saturating_add(t)
                }
            });
            Ret::Block(Block::Futex {
                addr,
                bitset,
                deadline,
            })
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = match bitset_and_key(p, FUTEX_WAKE_BITSET) {
                Ok(b) => b,
                Err(e) => return e.into(),
            };
            Ok(p.futex_wake(addr, count(val), bitset) as usize).into()
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            // The second count travels in the timeout argument.
            let (wake, requeue) = (val as i32, a[3] as u32 as i32);
            if wake < 0 || requeue < 0 {
                return EINVAL.into();
            }
            let to = a[4];
            if let Err(e) = key(p, addr).and_then(|()| key(p, to)) {
                return e.into();
            }
            if cmd == FUTEX_CMP_REQUEUE {
                match p.mm.read_u32(addr) {
                    Ok(v) if v == a[5] as u32 => {}
                    Ok(_) => return EAGAIN.into(),
                    Err(e) => return e.into(),
                }
            }
            let woken = p.futex_wake(addr, wake as u64, u32::MAX);
            let moved = p.futex_requeue(addr, to, requeue as u64);
            Ok((woken + moved) as usize).into()
        }
        _ => ENOSYS.into(),
    }
}
