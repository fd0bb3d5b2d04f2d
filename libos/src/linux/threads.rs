//! Thread calls: `clone` (threads, or a fork when the memory is not
//! shared), futexes, `set_tid_address`, `arch_prctl` (TLS), robust lists;
//! scheduling: the `sched_*` policy calls, nice values
//! (`getpriority`/`setpriority`) and affinity per thread, `sched_yield`,
//! and what a preemption upcall or a call that readies a thread of higher
//! priority switches to.

use abi::UpcallFrame;
use linux_errno::Errno::{self, E2BIG, EACCES, EAGAIN, EBUSY, EINVAL, ENOSYS, EPERM, ESRCH};

use super::{read_timespec, Call, Ret};
use crate::proc::Proc;
use crate::task::{
    best_ready_rank, pick_order, rank_of, Block, State, Task, RR_INTERVAL_NS, RT_USED,
    SCHED_DEADLINE, SCHED_FIFO, SCHED_RR,
};
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

/// The caller goes behind the other ready threads of its priority (none
/// of lower priority runs instead); with none, the kernel thread yields.
pub fn sched_yield(p: &mut Proc, c: &mut Call) -> Ret {
    c.frame.rax = 0;
    let cur = p.cur;
    p.tasks[cur].frame = *c.frame;
    let mut order = pick_order(&p.tasks, cur, false);
    while let Some(i) = order.next(|i| rank_of(&p.tasks, i)) {
        if p.tasks[i].state == State::Ready {
            if i != cur {
                p.switch_to(i, c.frame);
                p.tasks[i].sched.slice_start = time::now_ns();
            }
            break;
        }
    }
    if p.cur == cur {
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
    // A thread starts with its creator's policy (SCHED_RESET_ON_FORK is
    // for processes).
    t.sched = p.tasks[p.cur].sched;
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

/// `SCHED_RESET_ON_FORK`, or'd into `sched_setscheduler`'s policy.
const SCHED_RESET_ON_FORK: u64 = 0x4000_0000;
/// `sched_attr` flags.
const SCHED_FLAG_RESET_ON_FORK: u64 = 0x1;
const SCHED_FLAG_KEEP_POLICY: u64 = 0x8;
const SCHED_FLAG_KEEP_PARAMS: u64 = 0x10;
const SCHED_FLAG_UTIL_CLAMP: u64 = 0x60;
const SCHED_FLAG_ALL: u64 = 0x7f;
/// `struct sched_attr` sizes: the first version, and ours (with the
/// utilisation clamps).
const SCHED_ATTR_SIZE_VER0: u64 = 48;
const SCHED_ATTR_SIZE_VER1: u64 = 56;

/// The task a scheduling call names: 0 is the caller, else a thread id
/// of this process (ESRCH for any other).
fn task_of(p: &Proc, pid: u64) -> Result<usize, Errno> {
    if pid == 0 {
        return Ok(p.cur);
    }
    p.tasks.iter().position(|t| t.tid == pid).ok_or(ESRCH)
}

/// As `task_of` for the calls that take a `pid_t` and refuse a negative
/// one with EINVAL.
fn sched_task(p: &Proc, pid: u64) -> Result<usize, Errno> {
    if (pid as i32) < 0 {
        return Err(EINVAL);
    }
    task_of(p, u64::from(pid as u32))
}

/// `RLIMIT_NICE` and `RLIMIT_RTPRIO`.
const RLIMIT_NICE: usize = 13;
const RLIMIT_RTPRIO: usize = 14;

/// Whether the caller has `CAP_SYS_NICE`: an effective user id of 0.
fn nice_capable() -> bool {
    crate::server::control(sysproto::control::UIDS) >> 32 == 0
}

/// Sets task `i`'s attributes by Linux's rules ([`linux_sched::Sched::set`];
/// without `CAP_SYS_NICE` [`linux_sched::unprivileged_may`] with the
/// process's `RLIMIT_RTPRIO` and `RLIMIT_NICE`, else EPERM).
fn set_sched(
    p: &mut Proc,
    i: usize,
    policy: Option<(u32, bool)>,
    priority: u32,
    nice: Option<i32>,
) -> Result<(), Errno> {
    let old = p.tasks[i].sched;
    let mut new = old;
    new.set(policy, priority, nice).map_err(|_| EINVAL)?;
    if !nice_capable() {
        let (rtprio, rnice) = (
            crate::limits::cur(RLIMIT_RTPRIO),
            crate::limits::cur(RLIMIT_NICE),
        );
        if !linux_sched::unprivileged_may(&old, &new, rtprio, rnice) {
            return Err(EPERM);
        }
    }
    let s = &mut p.tasks[i].sched;
    *s = new;
    s.slice_start = time::now_ns();
    if linux_sched::is_rt(s.policy) {
        RT_USED.store(true, core::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

pub fn sched_setscheduler(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (pid, policy, param) = (c.a[0], c.a[1] as i32, c.a[2]);
    if policy < 0 || param == 0 || (pid as i32) < 0 {
        return Err(EINVAL);
    }
    let priority = p.mm.read_u32(param)?;
    let i = sched_task(p, pid)?;
    let reset = policy as u64 & SCHED_RESET_ON_FORK != 0;
    let policy = (policy as u64 & !SCHED_RESET_ON_FORK) as u32;
    if policy == SCHED_DEADLINE {
        // A deadline task needs its runtime, deadline and period.
        return Err(EINVAL);
    }
    set_sched(p, i, Some((policy, reset)), priority, None)?;
    Ok(0)
}

pub fn sched_setparam(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (pid, param) = (c.a[0], c.a[1]);
    if param == 0 || (pid as i32) < 0 {
        return Err(EINVAL);
    }
    let priority = p.mm.read_u32(param)?;
    let i = sched_task(p, pid)?;
    set_sched(p, i, None, priority, None)?;
    Ok(0)
}

pub fn sched_getscheduler(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let s = p.tasks[sched_task(p, c.a[0])?].sched;
    let reset = if s.reset_on_fork {
        SCHED_RESET_ON_FORK as u32
    } else {
        0
    };
    Ok((s.policy | reset) as usize)
}

pub fn sched_getparam(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[1] == 0 {
        return Err(EINVAL);
    }
    let s = p.tasks[sched_task(p, c.a[0])?].sched;
    p.mm.write(c.a[1], &s.rank().to_le_bytes()).map(|()| 0)
}

fn priority_range(policy: u64) -> Result<(usize, usize), Errno> {
    linux_sched::priority_range(policy as u32)
        .map(|(lo, hi)| (lo as usize, hi as usize))
        .map_err(|_| EINVAL)
}

pub fn sched_get_priority_max(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    priority_range(c.a[0]).map(|r| r.1)
}

pub fn sched_get_priority_min(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    priority_range(c.a[0]).map(|r| r.0)
}

/// RR: Linux's default slice (100 ms), FIFO: 0; the others: the
/// preemption period (the kernel's 10 ms tick).
pub fn sched_rr_get_interval(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let s = p.tasks[sched_task(p, c.a[0])?].sched;
    let ns = match s.policy {
        SCHED_RR => RR_INTERVAL_NS,
        SCHED_FIFO => 0,
        _ => 10_000_000,
    };
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    p.mm.write(c.a[1], &b).map(|()| 0)
}

/// `sched_setattr(pid, attr, flags)`: Linux's size rules (0 is the first
/// version; under it or over a page E2BIG with the size we know written
/// back; bytes past ours must be zero), then as `sched_setscheduler` with
/// the nice value of a non-real-time policy and the `KEEP_*` flags.
pub fn sched_setattr(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (pid, at, flags) = (c.a[0], c.a[1], c.a[2]);
    if at == 0 || (pid as i32) < 0 || flags != 0 {
        return Err(EINVAL);
    }
    let mut size = u64::from(p.mm.read_u32(at)?);
    if size == 0 {
        size = SCHED_ATTR_SIZE_VER0;
    }
    if !(SCHED_ATTR_SIZE_VER0..=4096).contains(&size) {
        p.mm.write(at, &(SCHED_ATTR_SIZE_VER1 as u32).to_le_bytes())?;
        return Err(E2BIG);
    }
    let b = p.mm.read(at, size as usize)?;
    if b.iter()
        .skip(SCHED_ATTR_SIZE_VER1 as usize)
        .any(|&x| x != 0)
    {
        p.mm.write(at, &(SCHED_ATTR_SIZE_VER1 as u32).to_le_bytes())?;
        return Err(E2BIG);
    }
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]));
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
    let (policy, sflags) = (u32_at(4), u64_at(8));
    let (nice, priority) = (u32_at(16) as i32, u32_at(20));
    if sflags & SCHED_FLAG_UTIL_CLAMP != 0 && size < SCHED_ATTR_SIZE_VER1 {
        return Err(EINVAL);
    }
    if (policy as i32) < 0 {
        return Err(EINVAL);
    }
    let i = task_of(p, pid)?;
    if sflags & !SCHED_FLAG_ALL != 0 {
        return Err(EINVAL);
    }
    let old = p.tasks[i].sched;
    let reset = sflags & SCHED_FLAG_RESET_ON_FORK != 0;
    let policy = if sflags & SCHED_FLAG_KEEP_POLICY != 0 {
        (old.policy, old.reset_on_fork)
    } else {
        (policy, reset)
    };
    let (priority, nice) = if sflags & SCHED_FLAG_KEEP_PARAMS != 0 {
        (old.rank(), old.nice)
    } else {
        (priority, nice.clamp(-20, 19))
    };
    if policy.0 == SCHED_DEADLINE {
        // Deadline tasks are not scheduled here: the admission test fails.
        let (runtime, deadline, period) = (u64_at(24), u64_at(32), u64_at(40));
        let period = if period == 0 { deadline } else { period };
        return Err(
            if deadline == 0 || runtime < 1024 || deadline < runtime || period < deadline {
                EINVAL
            } else if !nice_capable() {
                EPERM
            } else {
                EBUSY
            },
        );
    }
    set_sched(p, i, Some(policy), priority, Some(nice))?;
    Ok(0)
}

/// `sched_getattr(pid, attr, size, flags)`: writes as much of our
/// `sched_attr` as `size` holds, its `size` field that much.
pub fn sched_getattr(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (pid, at, usize_, flags) = (c.a[0], c.a[1], c.a[2], c.a[3]);
    if at == 0 || (pid as i32) < 0 || !(SCHED_ATTR_SIZE_VER0..=4096).contains(&usize_) || flags != 0
    {
        return Err(EINVAL);
    }
    let s = p.tasks[task_of(p, pid)?].sched;
    let rt = matches!(s.policy, SCHED_FIFO | SCHED_RR);
    let size = usize_.min(SCHED_ATTR_SIZE_VER1);
    let mut b = [0u8; SCHED_ATTR_SIZE_VER1 as usize];
    b[0..4].copy_from_slice(&(size as u32).to_le_bytes());
    b[4..8].copy_from_slice(&s.policy.to_le_bytes());
    b[8..16].copy_from_slice(&u64::from(s.reset_on_fork).to_le_bytes());
    if rt {
        b[20..24].copy_from_slice(&s.priority.to_le_bytes());
    } else {
        b[16..20].copy_from_slice(&s.nice.to_le_bytes());
    }
    // No utilisation clamp: the whole range (0..=1024).
    b[52..56].copy_from_slice(&1024u32.to_le_bytes());
    p.mm.write(at, &b[..size as usize]).map(|()| 0)
}

const PRIO_PROCESS: u64 = 0;
const PRIO_PGRP: u64 = 1;
const PRIO_USER: u64 = 2;

/// The tasks of this process `getpriority`/`setpriority` name, or None
/// for another process (group) that exists (its nice values are its own
/// library OS's business: 0 is reported, a change is not applied).
fn prio_targets(p: &Proc, which: u64, who: u64) -> Result<Option<alloc::vec::Vec<usize>>, Errno> {
    let who = who as u32;
    let all = || Some((0..p.tasks.len()).collect());
    match which {
        PRIO_PROCESS => match task_of(p, u64::from(who)) {
            Ok(i) => Ok(Some(alloc::vec![i])),
            Err(_) if (who as i32) > 0 => crate::server::call(sysproto::sys::Getpgid {
                pid: u64::from(who),
            })
            .map(|_| None)
            .map_err(|_| ESRCH),
            Err(e) => Err(e),
        },
        PRIO_PGRP => {
            let own = crate::server::call(sysproto::sys::Getpgid { pid: 0 })
                .map(|r| r.pgid)
                .unwrap_or(0);
            if who == 0 || u64::from(who) == own {
                Ok(all())
            } else {
                Ok(None)
            }
        }
        // This process's user: 0 or its real user id.
        PRIO_USER if who == 0 || who == crate::server::control(sysproto::control::UIDS) as u32 => {
            Ok(all())
        }
        PRIO_USER => Err(ESRCH),
        _ => Err(EINVAL),
    }
}

/// The raw call's convention: `20 - nice` (1..=40) of the named thread,
/// the highest of a group's.
pub fn getpriority(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let best = match prio_targets(p, c.a[0], c.a[1])? {
        Some(ts) => ts.iter().map(|&i| p.tasks[i].sched.nice).min().unwrap_or(0),
        None => 0,
    };
    Ok((20 - best) as usize)
}

/// Nice values are clamped to -20..=19; lowering one needs
/// `CAP_SYS_NICE` or an `RLIMIT_NICE` that allows it (else EACCES, as
/// Linux's `set_one_prio`; the threads it allows change).
pub fn setpriority(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let nice = (c.a[2] as i32).clamp(-20, 19);
    let mut r = Ok(0);
    if let Some(ts) = prio_targets(p, c.a[0], c.a[1])? {
        let free = nice_capable() || linux_sched::can_nice(nice, crate::limits::cur(RLIMIT_NICE));
        for i in ts {
            if nice < p.tasks[i].sched.nice && !free {
                r = Err(EACCES);
            } else {
                p.tasks[i].sched.nice = nice;
            }
        }
    }
    r
}

/// One CPU (CPU 0). Linux wants a length of whole longs that holds every
/// CPU, and answers the bytes it wrote.
pub fn sched_getaffinity(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[1] < 8 || !c.a[1].is_multiple_of(8) {
        return Err(EINVAL);
    }
    task_of(p, c.a[0])?;
    p.mm.write(c.a[2], &1u64.to_le_bytes()).map(|()| 8)
}

/// The mask (as much of it as is given) must allow CPU 0.
pub fn sched_setaffinity(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let len = c.a[1].min(8) as usize;
    let mask = p.mm.read(c.a[2], len)?;
    task_of(p, c.a[0])?;
    match mask.first() {
        Some(m) if m & 1 != 0 => Ok(0),
        _ => Err(EINVAL),
    }
}

/// A preemption upcall: a FIFO thread, or an RR thread within its slice,
/// goes on running unless one of higher priority is ready; the others
/// take turns with those of their priority.
pub fn preempted(p: &mut Proc, frame: &mut UpcallFrame) {
    let cur = p.cur;
    p.tasks[cur].frame = *frame;
    let keep = p.tasks[cur].sched.keeps_cpu(time::now_ns());
    super::wait::pick(p, frame, keep);
}

/// After a call: a thread of higher priority than the caller made ready
/// by it (a futex wake) runs at once, as on Linux.
pub fn after_call(p: &mut Proc, frame: &mut UpcallFrame) {
    if !RT_USED.load(core::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let cur = p.cur;
    let mine = p.tasks[cur].sched.rank();
    if best_ready_rank(&p.tasks, cur).is_some_and(|r| r > mine) {
        p.tasks[cur].frame = *frame;
        super::wait::pick(p, frame, true);
    }
}
