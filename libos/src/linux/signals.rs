//! Signal calls: `rt_sigaction`, `rt_sigprocmask`, `rt_sigreturn`,
//! `sigaltstack`, `rt_sigsuspend`, `pause`, `rt_sigpending`, `tkill`,
//! `tgkill`.

use abi::UpcallFrame;
use sysproto::sys;

use super::errno::*;
use super::nr::*;
use super::Ret;
use crate::proc::Proc;
use crate::server;
use crate::signal::{self, Action, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE};
use crate::task::Block;

pub fn call(p: &mut Proc, f: &mut UpcallFrame, n: u64, a: [u64; 6]) -> Option<Ret> {
    Some(match n {
        // The kernel's sigset_t is 8 bytes; Linux refuses any other size
        // (rt_sigpending takes a shorter one too) before anything else.
        RT_SIGACTION | RT_SIGPROCMASK | RT_SIGSUSPEND
            if a[if n == RT_SIGSUSPEND { 1 } else { 3 }] != 8 =>
        {
            Ret::Val(-EINVAL)
        }
        RT_SIGPENDING if a[1] > 8 => Ret::Val(-EINVAL),
        RT_SIGACTION => sigaction(p, a[0], a[1], a[2]).into(),
        RT_SIGPROCMASK => sigprocmask(p, a[0], a[1], a[2]).into(),
        RT_SIGRETURN => match signal::sigreturn(p, f) {
            Ok(()) => Ret::Resumed,
            Err(_) => p.exit_process(sysproto::status::signaled(signal::SIGSEGV as u8, false)),
        },
        SIGALTSTACK => sigaltstack(p, f, a[0], a[1]).into(),
        RT_SIGSUSPEND => match p.mm.read_u64(a[0]) {
            Ok(mask) => {
                let t = &mut p.tasks[p.cur];
                t.saved_mask = Some(t.mask);
                t.mask = mask & !UNBLOCKABLE;
                Ret::Block(Block::Signal)
            }
            Err(e) => Ret::Val(-e),
        },
        PAUSE => Ret::Block(Block::Signal),
        RT_SIGPENDING => {
            let t = &p.tasks[p.cur];
            let v = (t.pending | p.pending) & t.mask;
            let n = a[1] as usize;
            p.mm.write(a[0], &v.to_le_bytes()[..n]).map(|()| 0).into()
        }
        TKILL => tkill(p, a[0], a[1]).into(),
        TGKILL => {
            if a[0] != server::pid() {
                let kill = sys::Kill {
                    pid: a[0] as i64,
                    signal: a[2],
                };
                Ret::Val(server::call(kill).map_or_else(|e| e.to_ret(), |_| 0))
            } else {
                tkill(p, a[1], a[2]).into()
            }
        }
        _ => return None,
    })
}

fn sigaction(p: &mut Proc, sig: u64, act: u64, old: u64) -> Result<i64, i64> {
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

fn sigprocmask(p: &mut Proc, how: u64, set: u64, old: u64) -> Result<i64, i64> {
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

fn sigaltstack(p: &mut Proc, f: &UpcallFrame, ss: u64, old: u64) -> Result<i64, i64> {
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

fn tkill(p: &mut Proc, tid: u64, sig: u64) -> Result<i64, i64> {
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
