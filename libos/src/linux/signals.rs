//! Signal calls: `rt_sigaction`, `rt_sigprocmask`, `rt_sigreturn`,
//! `sigaltstack`, `rt_sigsuspend`, `pause`, `rt_sigpending`,
//! `rt_sigtimedwait`, `rt_sigqueueinfo`, `rt_tgsigqueueinfo`, `tkill`,
//! `tgkill`.

use abi::UpcallFrame;
use sysproto::sys;

use linux_errno::Errno::{self, EAGAIN, EFAULT, EINVAL, ENOMEM, EPERM, ESRCH};

use super::{Call, Ret};
use crate::proc::Proc;
use crate::server;
use crate::signal::{self, Action, Origin, Room, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE};
use crate::task::Block;

// The kernel's sigset_t is 8 bytes; Linux refuses any other size
// (rt_sigpending takes a shorter one too) before anything else.

pub fn rt_sigaction(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[3] != 8 {
        return Err(EINVAL);
    }
    sigaction(p, c.a[0], c.a[1], c.a[2])
}

pub fn rt_sigprocmask(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[3] != 8 {
        return Err(EINVAL);
    }
    sigprocmask(p, c.a[0], c.a[1], c.a[2])
}

pub fn rt_sigreturn(p: &mut Proc, c: &mut Call) -> Ret {
    match signal::sigreturn(p, c.frame) {
        Ok(()) => Ret::Resumed,
        Err(_) => p.exit_process(sysproto::status::signaled(signal::SIGSEGV as u8, false)),
    }
}

pub fn sigaltstack(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    altstack(p, c.frame, c.a[0], c.a[1])
}

pub fn rt_sigsuspend(p: &mut Proc, c: &mut Call) -> Ret {
    if c.a[1] != 8 {
        return EINVAL.into();
    }
    match p.mm.read_u64(c.a[0]) {
        Ok(mask) => {
            let t = &mut p.tasks[p.cur];
            t.saved_mask = Some(t.mask);
            t.mask = mask & !UNBLOCKABLE;
            Ret::Block(Block::Signal)
        }
        Err(e) => e.into(),
    }
}

pub fn pause(_p: &mut Proc, _c: &mut Call) -> Ret {
    Ret::Block(Block::Signal)
}

pub fn rt_sigpending(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[1] > 8 {
        return Err(EINVAL);
    }
    // Signals the server posted meanwhile are pending too.
    p.poll_signals();
    let t = &p.tasks[p.cur];
    let v = (t.pending | p.pending) & t.mask;
    let n = c.a[1] as usize;
    p.mm.write(c.a[0], &v.to_le_bytes()[..n]).map(|()| 0)
}

/// `rt_sigtimedwait(set, info, timeout, size)`: takes a pending signal of
/// `set` (the task's own first), or waits for one with them unblocked:
/// EAGAIN at the timeout, EINTR when a handler ran for another.
pub fn rt_sigtimedwait(p: &mut Proc, c: &mut Call) -> Ret {
    if c.a[3] != 8 {
        return EINVAL.into();
    }
    let set = match p.mm.read_u64(c.a[0]) {
        Ok(s) => s & !UNBLOCKABLE,
        Err(e) => return e.into(),
    };
    let timeout = if c.a[2] != 0 {
        match super::read_timespec(p, c.a[2]) {
            Ok(ns) => Some(ns),
            Err(e) => return e.into(),
        }
    } else {
        None
    };
    p.poll_signals();
    let cur = p.cur;
    if let Some(sig) = signal::waited(p, cur, set) {
        return Ret::Done(take_waited(p, cur, sig, c.a[1]));
    }
    if timeout == Some(0) {
        return EAGAIN.into();
    }
    let t = &mut p.tasks[cur];
    let mask = t.mask;
    t.mask &= !set;
    Ret::Block(Block::SigWait {
        set,
        mask,
        deadline: timeout.map(|ns| crate::time::now_ns().saturating_add(ns)),
    })
}

/// Takes pending signal `sig` for task `i` and writes its `siginfo` at
/// `info` (if not NULL): the call's result.
pub fn take_waited(p: &mut Proc, i: usize, sig: u64, info: u64) -> Result<usize, Errno> {
    let o = signal::take(p, i, sig);
    if info != 0 {
        p.mm.write(info, &signal::info_bytes(sig, o))?;
    }
    Ok(sig as usize)
}

pub fn rt_sigqueueinfo(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let info = read_info(p, c.a[2])?;
    queue_info(p, c.a[0] as i32 as i64, None, c.a[1], info)
}

pub fn rt_tgsigqueueinfo(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let info = read_info(p, c.a[3])?;
    let (tgid, tid) = (c.a[0] as i32 as i64, c.a[1] as i32 as i64);
    if tgid <= 0 || tid <= 0 {
        return Err(EINVAL);
    }
    queue_info(p, tgid, Some(tid as u64), c.a[2], info)
}

/// The `si_code`, `si_pid`, `si_uid` and `si_value` of the user's
/// `siginfo_t` at `at`.
fn read_info(p: &mut Proc, at: u64) -> Result<Origin, Errno> {
    let b = p.mm.read(at, 32).map_err(|_| EFAULT)?;
    let w32 = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]));
    Ok(Origin {
        code: w32(8) as i32,
        pid: w32(16),
        uid: w32(20),
        value: u64::from_le_bytes(b[24..32].try_into().unwrap_or([0; 8])),
    })
}

/// Queues `sig` with the caller's `siginfo` for process `pid` (or its
/// thread `tid`). Linux's rules: the caller may not pretend to be the
/// kernel, `kill` or `tgkill` (`si_code` >= 0 or `SI_TKILL`) except to
/// itself; a real-time signal beyond `RLIMIT_SIGPENDING` is EAGAIN.
fn queue_info(
    p: &mut Proc,
    pid: i64,
    tid: Option<u64>,
    sig: u64,
    info: Origin,
) -> Result<usize, Errno> {
    let me = server::pid();
    // Linux compares the target with the calling thread's own id.
    let caller = p.tasks[p.cur].tid;
    let to_self = match tid {
        Some(t) => t == caller,
        None => pid == caller as i64,
    };
    if (info.code >= 0 || info.code as u32 == signal::SI_TKILL) && !to_self {
        return Err(EPERM);
    }
    if pid == me as i64 {
        let task = match tid {
            Some(t) => Some(p.tasks.iter().position(|k| k.tid == t).ok_or(ESRCH)?),
            None => None,
        };
        if sig > 64 {
            return Err(EINVAL);
        }
        if sig != 0 {
            signal::enqueue(p, task, sig, info, Room::Refuse)?;
        }
        return Ok(0);
    }
    if pid <= 0 {
        return Err(ESRCH);
    }
    let req = sys::SigQueue {
        pid,
        signal: sig & 0xffff_ffff | u64::from(info.code as u32) << 32,
        who: u64::from(info.pid) | u64::from(info.uid) << 32,
        value: info.value,
    };
    server::call(req).map(|_| 0)
}

pub fn tkill(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let tid = c.a[0] as i32;
    if tid <= 0 {
        return Err(EINVAL);
    }
    thread_kill(p, tid as u64, c.a[1])
}

/// `tgkill`: a thread of this process, or (the server knows processes,
/// not their threads) another process as a whole.
pub fn tgkill(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (tgid, tid) = (c.a[0] as i32, c.a[1] as i32);
    if tgid <= 0 || tid <= 0 {
        return Err(EINVAL);
    }
    if tgid as u64 != server::pid() {
        let kill = sys::Kill {
            pid: i64::from(tgid),
            signal: u64::try_from(c.a[2] as i32).unwrap_or(u64::MAX),
        };
        server::call(kill).map(|_| 0)
    } else {
        thread_kill(p, tid as u64, c.a[2])
    }
}

fn sigaction(p: &mut Proc, sig: u64, act: u64, old: u64) -> Result<usize, Errno> {
    if !(1..=64).contains(&sig) {
        return Err(EINVAL);
    }
    let i = (sig - 1) as usize;
    let new = if act != 0 {
        if sig == signal::SIGKILL || sig == signal::SIGSTOP {
            return Err(EINVAL);
        }
        let b = p.mm.read(act, 32)?;
        let w = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
        Some(Action {
            handler: w(0),
            flags: w(8),
            restorer: w(16),
            mask: w(24),
        })
    } else {
        None
    };
    if old != 0 {
        let o = p.actions[i];
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&o.handler.to_le_bytes());
        b[8..16].copy_from_slice(&o.flags.to_le_bytes());
        b[16..24].copy_from_slice(&o.restorer.to_le_bytes());
        b[24..].copy_from_slice(&o.mask.to_le_bytes());
        p.mm.write(old, &b)?;
    }
    if let Some(a) = new {
        p.actions[i] = a;
        signal::discard_if_ignored(p, sig);
        if sig == signal::SIGCHLD {
            signal::publish_chld(p);
        }
    }
    Ok(0)
}

fn sigprocmask(p: &mut Proc, how: u64, set: u64, old: u64) -> Result<usize, Errno> {
    let cur = p.tasks[p.cur].mask;
    if old != 0 {
        p.mm.write_u64(old, cur)?;
    }
    if set != 0 {
        let s = p.mm.read_u64(set)?;
        let m = match how {
            0 => cur | s,
            1 => cur & !s,
            2 => s,
            _ => return Err(EINVAL),
        };
        p.tasks[p.cur].mask = m & !UNBLOCKABLE;
    }
    Ok(0)
}

fn altstack(p: &mut Proc, f: &UpcallFrame, ss: u64, old: u64) -> Result<usize, Errno> {
    let (sp, size, flags) = p.tasks[p.cur].altstack;
    let on = flags & SS_DISABLE == 0 && f.rsp > sp && f.rsp <= sp + size;
    if old != 0 {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&sp.to_le_bytes());
        let fl = if on { SS_ONSTACK } else { flags };
        b[8..12].copy_from_slice(&fl.to_le_bytes());
        b[16..].copy_from_slice(&size.to_le_bytes());
        p.mm.write(old, &b)?;
    }
    if ss != 0 {
        if on {
            return Err(EPERM);
        }
        let b = p.mm.read(ss, 24)?;
        let nsp = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
        let nfl = u32::from_le_bytes(b[8..12].try_into().unwrap_or([0; 4]));
        let nsize = u64::from_le_bytes(b[16..].try_into().unwrap_or([0; 8]));
        if nfl & !(SS_DISABLE | (1 << 31)) != 0 {
            return Err(EINVAL);
        }
        if nfl & SS_DISABLE != 0 {
            p.tasks[p.cur].altstack = (0, 0, SS_DISABLE);
        } else {
            if nsize < 2048 {
                return Err(ENOMEM);
            }
            p.tasks[p.cur].altstack = (nsp, nsize, 0);
        }
    }
    Ok(0)
}

/// Sends `sig` to the thread `tid` of this process: ESRCH before EINVAL,
/// as Linux checks.
fn thread_kill(p: &mut Proc, tid: u64, sig: u64) -> Result<usize, Errno> {
    let Some(i) = p.tasks.iter().position(|t| t.tid == tid) else {
        return Err(ESRCH);
    };
    if sig > 64 {
        return Err(EINVAL);
    }
    if sig != 0 {
        signal::post_task_limited(p, i, sig)?;
    }
    Ok(0)
}
