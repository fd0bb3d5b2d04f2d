//! `alarm`, `setitimer`/`getitimer` and the POSIX timer calls
//! (`timer_create`, `timer_settime`, `timer_gettime`, `timer_getoverrun`,
//! `timer_delete`), with Linux's argument rules; the timers themselves
//! are `crate::timers`'.

use linux_errno::Errno::{self, EAGAIN, EINVAL};

use super::Call;
use crate::proc::Proc;
use crate::timers::{Clock, Notify, Timer};

const NS: u64 = 1_000_000_000;

/// A `struct timeval` at `addr` in nanoseconds (`EINVAL` out of range).
fn read_timeval(p: &mut Proc, addr: u64) -> Result<u64, Errno> {
    let b = p.mm.read(addr, 16)?;
    let sec = i64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
    let usec = i64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
    if sec < 0 || !(0..1_000_000).contains(&usec) {
        return Err(EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(NS)
        .saturating_add(usec as u64 * 1000))
}

/// A `struct timespec` at `addr` in nanoseconds.
fn read_ts(p: &mut Proc, addr: u64) -> Result<u64, Errno> {
    super::read_timespec(p, addr)
}

/// Bytes of a `struct timeval` pair (interval, value) in microseconds,
/// rounded up as Linux reports a timer's time left.
fn timevals(interval: u64, value: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, ns) in [interval, value].into_iter().enumerate() {
        let us = ns.div_ceil(1000);
        b[i * 16..i * 16 + 8].copy_from_slice(&(us / 1_000_000).to_le_bytes());
        b[i * 16 + 8..i * 16 + 16].copy_from_slice(&(us % 1_000_000).to_le_bytes());
    }
    b
}

/// Bytes of a `struct itimerspec` (interval, value).
fn timespecs(interval: u64, value: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, ns) in [interval, value].into_iter().enumerate() {
        b[i * 16..i * 16 + 8].copy_from_slice(&(ns / NS).to_le_bytes());
        b[i * 16 + 8..i * 16 + 16].copy_from_slice(&(ns % NS).to_le_bytes());
    }
    b
}

/// The interval timer an `int which` names.
fn which(w: u64) -> Result<usize, Errno> {
    match w as i32 {
        i @ 0..=2 => Ok(i as usize),
        _ => Err(EINVAL),
    }
}

pub fn getitimer(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let w = which(c.a[0])?;
    let (value, interval) = p.timers.itimer(w).get();
    p.mm.write(c.a[1], &timevals(interval, value))?;
    Ok(0)
}

pub fn setitimer(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let w = which(c.a[0])?;
    // A null new value disarms (as Linux does, with a warning).
    let (interval, value) = if c.a[1] == 0 {
        (0, 0)
    } else {
        (read_timeval(p, c.a[1])?, read_timeval(p, c.a[1] + 16)?)
    };
    let t = p.timers.itimer(w);
    let (old_value, old_interval) = t.get();
    t.set(value, interval, false);
    if c.a[2] != 0 {
        p.mm.write(c.a[2], &timevals(old_interval, old_value))?;
    }
    Ok(0)
}

pub fn alarm(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let secs = u64::from(c.a[0] as u32);
    let t = p.timers.itimer(0);
    let (left, _) = t.get();
    t.set(secs * NS, 0, false);
    // Whole seconds left, rounded to the nearest, never 0 for some left.
    let old = (left + NS / 2) / NS;
    Ok(if left > 0 { old.max(1) } else { 0 } as usize)
}

/// The clock a timer of `id` runs on.
fn clock_of(id: u64) -> Result<Clock, Errno> {
    match id as i32 {
        0 | 8 => Ok(Clock::Real),
        1 | 7 | 9 => Ok(Clock::Mono),
        2 | 3 => Ok(Clock::Cpu),
        _ => Err(EINVAL),
    }
}

pub fn timer_create(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let clock = clock_of(c.a[0])?;
    const SIGEV_SIGNAL: u32 = 0;
    const SIGEV_NONE: u32 = 1;
    const SIGEV_THREAD_ID: u32 = 4;
    let next_id = p
        .timers
        .posix
        .iter()
        .position(Option::is_none)
        .unwrap_or(p.timers.posix.len());
    let notify = if c.a[1] == 0 {
        // As Linux: SIGALRM with the timer's id as its value.
        Notify::Signal {
            sig: 14,
            value: next_id as u64,
            tid: None,
        }
    } else {
        let ev = p.mm.read(c.a[1], 24)?;
        let value = u64::from_le_bytes(ev[..8].try_into().unwrap_or([0; 8]));
        let sig = u64::from(u32::from_le_bytes(ev[8..12].try_into().unwrap_or([0; 4])));
        let how = u32::from_le_bytes(ev[12..16].try_into().unwrap_or([0; 4]));
        let tid = u64::from(u32::from_le_bytes(ev[16..20].try_into().unwrap_or([0; 4])));
        match how {
            SIGEV_NONE => Notify::None,
            SIGEV_SIGNAL | SIGEV_THREAD_ID if !(1..=64).contains(&sig) => return Err(EINVAL),
            SIGEV_SIGNAL => Notify::Signal {
                sig,
                value,
                tid: None,
            },
            SIGEV_THREAD_ID if p.tasks.iter().any(|t| t.tid == tid) => Notify::Signal {
                sig,
                value,
                tid: Some(tid),
            },
            _ => return Err(EINVAL),
        }
    };
    let id = p.timers.create(Timer::new(clock, notify)).ok_or(EAGAIN)?;
    p.mm.write(c.a[2], &(id as u32).to_le_bytes())?;
    Ok(0)
}

pub fn timer_settime(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    const TIMER_ABSTIME: u64 = 1;
    let (id, flags, new, old) = (c.a[0], c.a[1], c.a[2], c.a[3]);
    p.timers.get(u64::from(id as u32)).ok_or(EINVAL)?;
    let interval = read_ts(p, new)?;
    let value = read_ts(p, new + 16)?;
    let t = p.timers.get(u64::from(id as u32)).ok_or(EINVAL)?;
    let (old_value, old_interval) = t.get();
    t.set(value, interval, flags & TIMER_ABSTIME != 0);
    if old != 0 {
        p.mm.write(old, &timespecs(old_interval, old_value))?;
    }
    // An absolute time already past fires at once.
    crate::timers::fire(p);
    Ok(0)
}

pub fn timer_gettime(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let t = p.timers.get(u64::from(c.a[0] as u32)).ok_or(EINVAL)?;
    let (value, interval) = t.get();
    p.mm.write(c.a[1], &timespecs(interval, value))?;
    Ok(0)
}

pub fn timer_getoverrun(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let t = p.timers.get(u64::from(c.a[0] as u32)).ok_or(EINVAL)?;
    Ok(t.overrun as usize)
}

pub fn timer_delete(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let id = usize::try_from(c.a[0] as u32).map_err(|_| EINVAL)?;
    match p.timers.posix.get_mut(id) {
        Some(slot @ Some(_)) => {
            *slot = None;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}
