//! Signal calls: `rt_sigaction`, `rt_sigprocmask`, `rt_sigreturn`,
//! `sigaltstack`, `rt_sigsuspend`, `pause`, `rt_sigpending`, `tkill`,
//! `tgkill`.

use abi::UpcallFrame;
use sysproto::sys;

use linux_errno::Errno::{self, EINVAL, ENOMEM, EPERM, ESRCH};

use super::{Call, Ret};
use crate::proc::Proc;
use crate::server;
use crate::signal::{self, Action, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE};
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
    let t = &p.tasks[p.cur];
    let v = (t.pending | p.pending) & t.mask;
    let n = c.a[1] as usize;
    p.mm.write(c.a[0], &v.to_le_bytes()[..n]).map(|()| 0)
}

pub fn tkill(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    thread_kill(p, c.a[0], c.a[1])
}

pub fn tgkill(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[0] != server::pid() {
        let kill = sys::Kill {
            pid: c.a[0] as i64,
            signal: c.a[2],
        };
        server::call(kill).map(|_| 0)
    } else {
        thread_kill(p, c.a[1], c.a[2])
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

fn thread_kill(p: &mut Proc, tid: u64, sig: u64) -> Result<usize, Errno> {
    if sig > 64 {
        return Err(EINVAL);
    }
    let Some(i) = p.tasks.iter().position(|t| t.tid == tid) else {
        return Err(ESRCH);
    };
    if sig != 0 {
        signal::post_task(p, i, sig, signal::SI_TKILL);
    }
    Ok(0)
}
