//! Waiting for descriptors: `poll`, `ppoll`, `select`, `pselect6`, with
//! Linux's argument checks in Linux's order (the timeout, then the signal
//! mask, then the descriptors: bad pointers `EFAULT`, bad counts and
//! timeouts `EINVAL`, closed descriptors `POLLNVAL` or `EBADF`). A
//! waiting call blocks the task and is made again when something it polls
//! changes; its absolute deadline is carried in its block across those
//! retries, so wake-ups never extend it, and
//! the time left goes back to the caller as Linux does (`select`,
//! `pselect6`, `ppoll`; a failed copy there is ignored, as in Linux).
//! `ppoll` and `pselect6` wait with the signal mask they are given and
//! restore the caller's when they return.

use linux_errno::Errno::{self, EBADF, EINVAL};
use sysproto::{kind, ready, sys};

use super::{read_timespec, write_timespec, Call, Ret};
use crate::proc::Proc;
use crate::server;
use crate::signal::UNBLOCKABLE;
use crate::time::now_ns;

const POLLNVAL: u64 = 0x20;

/// How the time left is written back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Back {
    /// As a `struct timeval` (`select`).
    Timeval,
    /// As a `struct timespec` (`pselect6`, `ppoll`).
    Timespec,
}

pub fn poll(p: &mut Proc, c: &mut Call) -> Ret {
    let ms = c.a[2] as i32;
    let t = (ms >= 0).then(|| ms as u64 * 1_000_000);
    let (fds, nfds) = (c.a[0], c.a[1]);
    let r = poll_fds(p, c, fds, nfds, t);
    finish(p, c, Ok((r, None, false)))
}

pub fn ppoll(p: &mut Proc, c: &mut Call) -> Ret {
    let a = c.a;
    let r = timespec_arg(p, a[2]).and_then(|t| {
        let masked = set_mask(p, a[3], a[4])?;
        let r = poll_fds(p, c, a[0], a[1], t);
        Ok((r, t.map(|_| (a[2], Back::Timespec)), masked))
    });
    finish(p, c, r)
}

pub fn select(p: &mut Proc, c: &mut Call) -> Ret {
    let a = c.a;
    let r = timeval_arg(p, a[4]).map(|t| {
        let r = select_fds(p, c, a[0], [a[1], a[2], a[3]], t);
        (r, t.map(|_| (a[4], Back::Timeval)), false)
    });
    finish(p, c, r)
}

pub fn pselect6(p: &mut Proc, c: &mut Call) -> Ret {
    let a = c.a;
    let r = timespec_arg(p, a[4]).and_then(|t| {
        let (set, size) = if a[5] == 0 {
            (0, 0)
        } else {
            (p.mm.read_u64(a[5])?, p.mm.read_u64(a[5] + 8)?)
        };
        let masked = set_mask(p, set, size)?;
        let r = select_fds(p, c, a[0], [a[1], a[2], a[3]], t);
        Ok((r, t.map(|_| (a[4], Back::Timespec)), masked))
    });
    finish(p, c, r)
}

/// What a wait answered, where the time left goes, whether it set a mask.
type Waited = Result<(Ret, Option<(u64, Back)>, bool), Errno>;

/// Ends a wait that answers: restores the caller's signal mask and writes
/// the time left back.
fn finish(p: &mut Proc, c: &mut Call, r: Waited) -> Ret {
    match r {
        Ok((ret, back, masked)) => {
            if !matches!(ret, Ret::Block(_)) {
                if masked {
                    let t = &mut p.tasks[p.cur];
                    if let Some(m) = t.saved_mask.take() {
                        t.mask = m;
                    }
                }
                if let Some((addr, how)) = back {
                    write_left(p, c, addr, how);
                }
            }
            ret
        }
        Err(e) => e.into(),
    }
}

/// A `struct timespec` timeout (`None`: wait for ever).
fn timespec_arg(p: &mut Proc, addr: u64) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    read_timespec(p, addr).map(Some)
}

/// A `struct timeval` timeout, normalised as Linux does (whole seconds in
/// `tv_usec` carry over; what is left must be a valid time).
fn timeval_arg(p: &mut Proc, addr: u64) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let sec = p.mm.read_u64(addr)? as i64;
    let usec = p.mm.read_u64(addr + 8)? as i64;
    let s = sec.wrapping_add(usec / 1_000_000);
    let ns = (usec % 1_000_000) * 1000;
    if s < 0 || ns < 0 {
        return Err(EINVAL);
    }
    Ok(Some(
        (s as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(ns as u64),
    ))
}

/// Installs the signal mask at `set` (of `size` bytes) for the wait,
/// keeping the caller's to restore (kept too when the call is retried);
/// whether a mask was given.
fn set_mask(p: &mut Proc, set: u64, size: u64) -> Result<bool, Errno> {
    if set == 0 {
        return Ok(false);
    }
    if size != 8 {
        return Err(EINVAL);
    }
    let m = p.mm.read_u64(set)?;
    let t = &mut p.tasks[p.cur];
    if t.saved_mask.is_none() {
        t.saved_mask = Some(t.mask);
    }
    t.mask = m & !UNBLOCKABLE;
    Ok(true)
}

/// The call's absolute deadline for `timeout` (made on its first run,
/// then carried in its block).
fn deadline(c: &mut Call, timeout: Option<u64>) -> Option<u64> {
    let t = timeout?;
    Some(
        *c.again
            .deadline
            .get_or_insert_with(|| now_ns().saturating_add(t)),
    )
}

/// Writes the time left before the deadline back to the timeout.
fn write_left(p: &mut Proc, c: &Call, addr: u64, how: Back) {
    // A zero timeout never waited and is left as it is.
    let Some(d) = c.again.deadline else {
        return;
    };
    let left = d.saturating_sub(now_ns());
    let _ = match how {
        Back::Timespec => write_timespec(p, addr, left),
        Back::Timeval => {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&(left / 1_000_000_000).to_le_bytes());
            b[8..].copy_from_slice(&((left % 1_000_000_000) / 1000).to_le_bytes());
            p.mm.write(addr, &b)
        }
    };
}

/// Whether the call should block now rather than answer: it may wait and
/// its deadline (if any) has not passed.
fn may_block(c: &mut Call, timeout: Option<u64>) -> bool {
    if timeout == Some(0) || c.timed_out {
        return false;
    }
    deadline(c, timeout).is_none_or(|d| now_ns() < d)
}

/// The answer of a wait that found nothing ready: block until something
/// changes or the deadline, never restarted after a signal handler.
fn wait_for_change(c: &mut Call, timeout: Option<u64>) -> Ret {
    c.again.deadline = deadline(c, timeout);
    c.again.never_restarted = true;
    c.wait()
}

/// Readiness of one descriptor (`register`: ask to be woken on change).
fn readiness(p: &Proc, fd: i64, register: bool) -> Option<u64> {
    let file = p.fds.file(fd).ok()?;
    match file.kind {
        kind::FILE | kind::DIR | kind::NULL | kind::ZERO => Some(ready::IN | ready::OUT),
        _ => {
            let poll = sys::Poll {
                handle: file.handle,
                register,
            };
            Some(server::call(poll).map_or(0, |r| r.ready))
        }
    }
}

fn poll_fds(p: &mut Proc, c: &mut Call, fds: u64, nfds: u64, timeout: Option<u64>) -> Ret {
    // `nfds` is an `unsigned int`, at most RLIMIT_NOFILE.
    let nfds = u64::from(nfds as u32);
    if nfds > crate::fd::MAX_FDS as u64 {
        return EINVAL.into();
    }
    let raw = match p.mm.read(fds, (nfds * 8) as usize) {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let block = may_block(c, timeout);
    let mut out = raw.clone();
    let mut count = 0;
    for (i, c) in raw.chunks(8).enumerate() {
        let fd = i32::from_le_bytes(c[..4].try_into().unwrap_or([0; 4]));
        let events = u16::from_le_bytes([c[4], c[5]]) as u64;
        let revents = if fd < 0 {
            0
        } else {
            match readiness(p, i64::from(fd), block) {
                None => POLLNVAL,
                Some(r) => r & (events | ready::ERR | ready::HUP),
            }
        };
        out[i * 8 + 6..i * 8 + 8].copy_from_slice(&(revents as u16).to_le_bytes());
        if revents != 0 {
            count += 1;
        }
    }
    if count == 0 && block {
        return wait_for_change(c, timeout);
    }
    match p.mm.write(fds, &out) {
        Ok(()) => Ok(count).into(),
        Err(e) => e.into(),
    }
}

fn select_fds(p: &mut Proc, c: &mut Call, nfds: u64, sets: [u64; 3], timeout: Option<u64>) -> Ret {
    // `nfds` is an `int`; past the descriptor table it is cut to the
    // table's size, as in Linux.
    let n = nfds as i32;
    if n < 0 {
        return EINVAL.into();
    }
    let nfds = (n as u64).min(p.fds.max_fds() as u64);
    let words = nfds.div_ceil(64) as usize;
    // Linux copies whole bytes of the sets: (nfds + 7) / 8 of them.
    let bytes = nfds.div_ceil(8) as usize;
    let mut inp = [
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
    ];
    for (k, &addr) in sets.iter().enumerate() {
        if addr != 0 {
            let b = match p.mm.read(addr, bytes) {
                Ok(b) => b,
                Err(e) => return e.into(),
            };
            for (i, byte) in b.iter().enumerate() {
                inp[k][i / 8] |= u64::from(*byte) << ((i % 8) * 8);
            }
        }
    }
    let block = may_block(c, timeout);
    let mut outp = [
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
    ];
    let mut count = 0;
    for fd in 0..nfds {
        let (w, b) = ((fd / 64) as usize, 1u64 << (fd % 64));
        if (inp[0][w] | inp[1][w] | inp[2][w]) & b == 0 {
            continue;
        }
        let Some(r) = readiness(p, fd as i64, block) else {
            return EBADF.into();
        };
        let hits = [
            r & (ready::IN | ready::HUP) != 0,
            r & (ready::OUT | ready::ERR) != 0,
            false,
        ];
        for k in 0..3 {
            if inp[k][w] & b != 0 && hits[k] {
                outp[k][w] |= b;
                count += 1;
            }
        }
    }
    if count == 0 && block {
        return wait_for_change(c, timeout);
    }
    for (k, &addr) in sets.iter().enumerate() {
        if addr != 0 {
            let mut b = alloc::vec![0u8; bytes];
            for (i, byte) in b.iter_mut().enumerate() {
                *byte = (outp[k][i / 8] >> ((i % 8) * 8)) as u8;
            }
            if let Err(e) = p.mm.write(addr, &b) {
                return e.into();
            }
        }
    }
    Ok(count).into()
}
