//! Time calls, answered from the TSC and the info page without a kernel
//! call: `clock_gettime`, `clock_getres`, `gettimeofday`, `time`, and the
//! sleeps, which block the task until a deadline.

use linux_errno::Errno::{self, EINVAL};

use super::{read_timespec, write_timespec, Call, Ret};
use crate::proc::Proc;
use crate::task::Block;
use crate::time::{now_ns, realtime_ns};

pub fn clock_gettime(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let ns = clock(c.a[0]).ok_or(EINVAL)?;
    write_timespec(p, c.a[1], ns).map(|()| 0)
}

pub fn clock_getres(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    clock(c.a[0]).ok_or(EINVAL)?;
    if c.a[1] != 0 {
        write_timespec(p, c.a[1], 1)?;
    }
    Ok(0)
}

pub fn gettimeofday(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[0] != 0 {
        let ns = realtime_ns();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
        b[8..].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
        p.mm.write(c.a[0], &b)?;
    }
    // The timezone is UTC: `struct timezone` all zero.
    if c.a[1] != 0 {
        p.mm.write(c.a[1], &[0u8; 8])?;
    }
    Ok(0)
}

pub fn time(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let s = realtime_ns() / 1_000_000_000;
    if c.a[0] != 0 {
        p.mm.write_u64(c.a[0], s)?;
    }
    Ok(s as usize)
}

pub fn nanosleep(p: &mut Proc, c: &mut Call) -> Ret {
    match read_timespec(p, c.a[0]) {
        Ok(ns) => Ret::Block(Block::Sleep {
            deadline: now_ns().saturating_add(ns),
        }),
        Err(e) => e.into(),
    }
}

pub fn clock_nanosleep(p: &mut Proc, c: &mut Call) -> Ret {
    let a = c.a;
    if clock(a[0]).is_none() {
        return EINVAL.into();
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
        Err(e) => e.into(),
    }
}

/// The time on clock `id` in nanoseconds.
fn clock(id: u64) -> Option<u64> {
    crate::time::clock_ns(i64::from(id as i32))
}
