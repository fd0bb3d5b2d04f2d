//! POSIX message queues (`mq_overview(7)`): the queues are the system
//! server's (`services/sysd/src/procs/mqueue.rs`); a queue descriptor is
//! a descriptor here, of kind `MQUEUE`, closed, duplicated and inherited
//! as any other (and `O_CLOEXEC` from the start, as Linux opens it). A
//! send to a full queue or a receive from an empty one waits at the
//! server until it can go on, a signal comes, or the absolute
//! `CLOCK_REALTIME` timeout passes (`ETIMEDOUT`).

use alloc::vec::Vec;

use linux_errno::Errno::{self, EBADF, EFAULT, EINVAL, EMSGSIZE, ETIMEDOUT};
use sysproto::{kind, sys, DATA_BYTES};

use super::sysv::waiting_or;
use super::{read_timespec, Call, Ret};
use crate::fd::{Fd, OpenFile};
use crate::proc::Proc;
use crate::server;

const O_CREAT: u64 = 0o100;
/// Priorities are below this.
const MQ_PRIO_MAX: u64 = 32768;
const O_NONBLOCK: u64 = 0o4000;
/// `struct mq_attr`: four `long`s and four reserved.
const MQ_ATTR_BYTES: usize = 64;
/// `sigev_notify` values.
const SIGEV_SIGNAL: u32 = 0;
const SIGEV_NONE: u32 = 1;

/// The name as the kernel gets it (the C library drops a leading `/`).
fn name_of(p: &mut Proc, addr: u64) -> Result<Vec<u8>, Errno> {
    p.mm.read_cstr(addr, 256)
}

pub fn mq_open(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (oflag, mode, attr) = (c.a[1], c.a[2], c.a[3]);
    let mut input = name_of(p, c.a[0])?;
    if oflag & O_CREAT != 0 && attr != 0 {
        let a = p.mm.read(attr, 32)?;
        input.push(0);
        input.extend_from_slice(&a[8..24]);
    }
    let req = sys::MqOpen {
        oflag,
        mode: (mode as u32 & 0o777 & !p.umask).into(),
    };
    let handle = server::call_with(req, &input[..])?.reply.handle;
    let file = alloc::rc::Rc::new(OpenFile {
        handle,
        kind: kind::MQUEUE,
        flags: core::cell::Cell::new((oflag & (3 | O_NONBLOCK)) as u32),
    });
    p.fds
        .install(
            Fd {
                file,
                cloexec: true,
            },
            0,
        )
        .map(|fd| fd as usize)
}

pub fn mq_unlink(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let name = name_of(p, c.a[0])?;
    server::call_with(sys::MqUnlink {}, &name[..]).map(|_| 0)
}

/// The queue behind descriptor `fd`.
fn queue(p: &Proc, fd: u64) -> Result<alloc::rc::Rc<OpenFile>, Errno> {
    let f = p.fds.file(fd as i32 as i64)?;
    if f.kind != kind::MQUEUE {
        return Err(EBADF);
    }
    Ok(f)
}

/// Sets the call's deadline from the absolute `CLOCK_REALTIME` timeout
/// at `addr` (none for 0), the first time the call is made.
fn deadline(p: &mut Proc, c: &mut Call, addr: u64) -> Result<(), Errno> {
    if addr == 0 || c.again.deadline.is_some() {
        return Ok(());
    }
    let at = read_timespec(p, addr)?;
    let left = at.saturating_sub(crate::time::realtime_ns());
    c.again.deadline = Some(crate::time::now_ns().saturating_add(left));
    Ok(())
}

pub fn mq_timedsend(p: &mut Proc, c: &mut Call) -> Ret {
    let (fd, ptr, len, timeout) = (c.a[0], c.a[1], c.a[2], c.a[4]);
    // In Linux's order: the priority, the timeout, the descriptor.
    let prio = u64::from(c.a[3] as u32);
    if prio >= MQ_PRIO_MAX {
        return EINVAL.into();
    }
    if let Err(e) = deadline(p, c, timeout) {
        return e.into();
    }
    let f = match queue(p, fd) {
        Ok(f) => f,
        Err(e) => return e.into(),
    };
    // (Messages travel in the data area.)
    if len > DATA_BYTES as u64 {
        return EMSGSIZE.into();
    }
    let msg = match p.mm.read(ptr, len as usize) {
        Ok(m) => m,
        Err(_) => return EFAULT.into(),
    };
    let req = sys::MqSend {
        handle: f.handle,
        prio,
    };
    match waiting_or(p, c, req, &msg[..], ETIMEDOUT) {
        Ok(_) => Ret::Done(Ok(0)),
        Err(r) => r,
    }
}

pub fn mq_timedreceive(p: &mut Proc, c: &mut Call) -> Ret {
    let (fd, ptr, len, prio_at, timeout) = (c.a[0], c.a[1], c.a[2], c.a[3], c.a[4]);
    if let Err(e) = deadline(p, c, timeout) {
        return e.into();
    }
    let f = match queue(p, fd) {
        Ok(f) => f,
        Err(e) => return e.into(),
    };
    let req = sys::MqReceive {
        handle: f.handle,
        len,
    };
    let got = match waiting_or(p, c, req, &(), ETIMEDOUT) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let msg = got.with_bytes(|b| b.to_vec());
    let prio = got.reply().prio;
    drop(got);
    let r = p.mm.write(ptr, &msg).and_then(|()| {
        if prio_at != 0 {
            p.mm.write(prio_at, &(prio as u32).to_le_bytes())?;
        }
        Ok(msg.len())
    });
    Ret::Done(r)
}

pub fn mq_notify(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let f = queue(p, c.a[0])?;
    let (how, signo, value) = if c.a[1] == 0 {
        (0, 0, 0)
    } else {
        let ev = p.mm.read(c.a[1], 16)?;
        let value = u64::from_le_bytes(ev[..8].try_into().unwrap_or([0; 8]));
        let signo = u32::from_le_bytes(ev[8..12].try_into().unwrap_or([0; 4]));
        let notify = u32::from_le_bytes(ev[12..16].try_into().unwrap_or([0; 4]));
        match notify {
            SIGEV_SIGNAL if (1..=64).contains(&signo) => (1, u64::from(signo), value),
            SIGEV_NONE => (2, 0, 0),
            _ => return Err(EINVAL),
        }
    };
    let req = sys::MqNotify {
        handle: f.handle,
        how,
        signo,
        value,
    };
    server::call(req).map(|_| 0)
}

pub fn mq_getsetattr(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let f = queue(p, c.a[0])?;
    let new = if c.a[1] != 0 {
        let a = p.mm.read(c.a[1], 8)?;
        Some(u64::from_le_bytes(a[..8].try_into().unwrap_or([0; 8])) & O_NONBLOCK != 0)
    } else {
        None
    };
    let req = sys::MqAttr {
        handle: f.handle,
        set: new.is_some(),
        nonblock: new.unwrap_or(false),
    };
    let r = server::call(req)?;
    if let Some(nb) = new {
        let flags = f.flags.get() & !(O_NONBLOCK as u32);
        f.flags.set(flags | if nb { O_NONBLOCK as u32 } else { 0 });
    }
    if c.a[2] != 0 {
        let mut b = [0u8; MQ_ATTR_BYTES];
        let flags = if r.nonblock { O_NONBLOCK } else { 0 };
        for (i, v) in [flags, r.maxmsg, r.msgsize, r.curmsgs]
            .into_iter()
            .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        p.mm.write(c.a[2], &b)?;
    }
    Ok(0)
}
