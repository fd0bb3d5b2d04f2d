//! Time calls, answered from the TSC and the info page without a kernel
//! call: `clock_gettime`, `clock_getres`, `gettimeofday`, `time`, and the
//! sleeps, which block the task until a deadline.

use abi::UpcallFrame;

use super::errno::*;
use super::nr::*;
use super::{read_timespec, write_timespec, Ret};
use crate::proc::Proc;
use crate::task::Block;
use crate::time::{now_ns, realtime_ns};

pub fn call(p: &mut Proc, _f: &mut UpcallFrame, n: u64, a: [u64; 6]) -> Option<Ret> {
    Some(match n {
        CLOCK_GETTIME => match clock(a[0]) {
            Some(ns) => write_timespec(p, a[1], ns).map(|()| 0).into(),
            None => Ret::Val(-EINVAL),
        },
        CLOCK_GETRES => {
            if clock(a[0]).is_none() {
                Ret::Val(-EINVAL)
            } else if a[1] != 0 {
                write_timespec(p, a[1], 1).map(|()| 0).into()
            } else {
                Ret::Val(0)
            }
        }
        GETTIMEOFDAY => {
            if a[0] != 0 {
                let ns = realtime_ns();
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
                b[8..].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
                if let Err(e) = p.mm.write(a[0], &b) {
                    return Some(Ret::Val(-e));
                }
            }
            // The timezone is UTC: `struct timezone` all zero.
            if a[1] != 0 {
                if let Err(e) = p.mm.write(a[1], &[0u8; 8]) {
                    return Some(Ret::Val(-e));
                }
            }
            Ret::Val(0)
        }
        TIME => {
            let s = (realtime_ns() / 1_000_000_000) as i64;
            if a[0] != 0 {
                if let Err(e) = p.mm.write_u64(a[0], s as u64) {
                    return Some(Ret::Val(-e));
                }
            }
            Ret::Val(s)
        }
        NANOSLEEP => match read_timespec(p, a[0]) {
            Ok(ns) => Ret::Block(Block::Sleep {
                deadline: now_ns().saturating_add(ns),
            }),
            Err(e) => Ret::Val(-e),
        },
        CLOCK_NANOSLEEP => {
            if clock(a[0]).is_none() {
                return Some(Ret::Val(-EINVAL));
            }
            match read_timespec(p, a[2]) {
                Ok(ns) => {
                    let deadline = if a[1] & 1 != 0 {
                        // TIMER_ABSTIME, on the clock's own scale.
                        let offset = clock(a[0]).unwrap_or(0).saturating_sub(now_ns());
                        ns.saturating_sub(offset)
                    } else {
                        now_ns().saturating_add(ns)
                    };
                    Ret::Block(Block::Sleep { deadline })
                }
                Err(e) => Ret::Val(-e),
            }
        }
        _ => return None,
    })
}

/// The time on clock `id` in nanoseconds.
fn clock(id: u64) -> Option<u64> {
    crate::time::clock_ns(i64::from(id as i32))
}
