//! System V IPC: semaphores, message queues and shared memory, kept by
//! the system server (the rules are the `sysvipc` crate's). Here: the
//! Linux structures (`semid_ds`, `msqid_ds`, `shmid_ds` of the 64-bit
//! ABI) from and to the protocol's [`IpcStat`] and [`IpcSet`], and the
//! waits: a `semop`, `msgsnd` or `msgrcv` that must wait is answered by
//! the server later (a deferred request); a signal interrupts it with
//! `EINTR` (these calls are never restarted, as in Linux) and
//! `semtimedop`'s timeout with `EAGAIN`. `shmat` places a shared area,
//! has the server put the segment's frames in the process's capability
//! slots and maps them; a fork's child shares them as any shared area.

use alloc::vec::Vec;

use linux_errno::Errno::{self, EAGAIN, EFAULT, EINVAL, ENOMEM, ERESTARTSYS};
use sysproto::zerocopy::{FromBytes, IntoBytes};
use sysproto::{sys, IpcSet, IpcStat, DATA_BYTES};

use super::{read_timespec, Call, Ret};
use crate::mm::{PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::proc::Proc;
use crate::server;
use crate::task::Block;

const IPC_NOWAIT: u64 = 0o4000;
const IPC_RMID: u64 = 0;
const IPC_SET: u64 = 1;
const IPC_STAT: u64 = 2;
const IPC_64: u64 = 0x100;
const GETALL: u64 = 13;
const SETVAL: u64 = 16;
const SETALL: u64 = 17;
const SHM_RDONLY: u64 = 0o10000;
const SHM_RND: u64 = 0o20000;
const SHM_REMAP: u64 = 0o40000;
const SHM_EXEC: u64 = 0o100000;
const SHM_LOCK: u64 = 11;
const SHM_UNLOCK: u64 = 12;
const MSGMAX: u64 = 8192;
const SEMOPM: u64 = 500;
const PAGE: u64 = 4096;

/// The size of `struct semid64_ds`, `msqid64_ds` and `shmid64_ds`.
const SEMID_DS: usize = 104;
const MSQID_DS: usize = 120;
const SHMID_DS: usize = 112;

/// The `struct ipc64_perm` at the start of each.
fn perm_bytes(s: &IpcStat, out: &mut [u8]) {
    let w32 = |out: &mut [u8], at: usize, v: u32| out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    w32(out, 0, s.key as u32);
    w32(out, 4, s.uid);
    w32(out, 8, s.gid);
    w32(out, 12, s.cuid);
    w32(out, 16, s.cgid);
    w32(out, 20, s.mode & 0xffff);
    w32(out, 24, s.seq & 0xffff);
}

fn w64(out: &mut [u8], at: usize, v: u64) {
    out[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// `IPC_SET`'s fields from a structure at `addr` (`qbytes` for a queue).
fn read_set(p: &mut Proc, addr: u64, queue: bool) -> Result<IpcSet, Errno> {
    let b = p.mm.read(addr, if queue { 96 } else { 24 })?;
    let r32 = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let qbytes = if queue {
        u64::from_le_bytes(b[88..96].try_into().expect("8 bytes"))
    } else {
        0
    };
    Ok(IpcSet {
        uid: r32(4),
        gid: r32(8),
        mode: r32(20),
        _pad: 0,
        qbytes,
    })
}

fn stat_of(b: &[u8]) -> Result<IpcStat, Errno> {
    IpcStat::read_from_prefix(b)
        .map(|(s, _)| s)
        .map_err(|_| EINVAL)
}

/// A request that may wait at the server, by the current task: its
/// answer, or the block to wait in (the deadline kept; never restarted).
fn waiting<R: sysproto::wire::Request>(
    p: &mut Proc,
    c: &mut Call,
    req: R,
    input: &R::In,
) -> Result<server::Got<R>, Ret> {
    waiting_or(p, c, req, input, EAGAIN)
}

/// As [`waiting`], with `timed_out` the error once the deadline passed.
pub(super) fn waiting_or<R: sysproto::wire::Request>(
    p: &mut Proc,
    c: &mut Call,
    req: R,
    input: &R::In,
    timed_out: Errno,
) -> Result<server::Got<R>, Ret> {
    let tid = p.tasks[p.cur].tid;
    if c.timed_out && server::abandon(tid) {
        return Err(timed_out.into());
    }
    match server::deferred(req, input, tid) {
        Ok(Some(g)) => Ok(g),
        Ok(None) | Err(ERESTARTSYS) => {
            c.again.never_restarted = true;
            Err(Ret::Block(Block::Retry(c.again)))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn semget(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let req = sys::SemGet {
        key: c.a[0],
        nsems: c.a[1],
        flags: c.a[2],
    };
    server::call(req).map(|r| r.id as usize)
}

pub fn semop(p: &mut Proc, c: &mut Call) -> Ret {
    sem_timed(p, c, None)
}

pub fn semtimedop(p: &mut Proc, c: &mut Call) -> Ret {
    if c.a[3] == 0 || c.again.deadline.is_some() {
        return sem_timed(p, c, None);
    }
    match read_timespec(p, c.a[3]) {
        Ok(t) => sem_timed(p, c, Some(t)),
        Err(e) => e.into(),
    }
}

fn sem_timed(p: &mut Proc, c: &mut Call, timeout: Option<u64>) -> Ret {
    let n = c.a[2] as u32 as u64;
    if n == 0 {
        return EINVAL.into();
    }
    if n > SEMOPM {
        return Errno::E2BIG.into();
    }
    let ops = match p.mm.read(c.a[1], n as usize * 6) {
        Ok(b) => b,
        Err(e) => return e.into(),
    };
    if let Some(t) = timeout {
        c.again.deadline = Some(crate::time::now_ns().saturating_add(t));
    }
    let req = sys::SemOp { id: c.a[0] };
    match waiting(p, c, req, &ops[..]) {
        Ok(_) => Ret::Done(Ok(0)),
        Err(r) => r,
    }
}

pub fn semctl(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (id, num, cmd, arg) = (c.a[0], c.a[1], c.a[2] & !IPC_64, c.a[3]);
    let mut input = Vec::new();
    let stat = |id: u64| -> Result<IpcStat, Errno> {
        let req = sys::SemCtl {
            id,
            num: 0,
            cmd: IPC_STAT,
            val: 0,
        };
        stat_of(&server::call_with(req, &[][..])?.bytes())
    };
    let mut nsems = 0;
    match cmd {
        IPC_SET => input = read_set(p, arg, false)?.as_bytes().to_vec(),
        SETALL => {
            nsems = stat(id)?.counts[0] as usize;
            input = p.mm.read(arg, nsems * 2)?;
        }
        GETALL => nsems = stat(id)?.counts[0] as usize,
        _ => {}
    }
    let val = if cmd == SETVAL { arg as i32 as u64 } else { 0 };
    let req = sys::SemCtl { id, num, cmd, val };
    let a = server::call_with(req, &input[..])?;
    let value = a.reply.value as usize;
    match cmd {
        IPC_STAT => {
            let s = stat_of(&a.bytes())?;
            let mut out = [0u8; SEMID_DS];
            perm_bytes(&s, &mut out);
            w64(&mut out, 48, s.times[0]);
            w64(&mut out, 64, s.times[1]);
            w64(&mut out, 80, s.counts[0]);
            p.mm.write(arg, &out)?;
        }
        GETALL => {
            let b = a.bytes();
            p.mm.write(arg, &b[..b.len().min(nsems * 2)])?;
        }
        _ => {}
    }
    Ok(value)
}

pub fn msgget(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let req = sys::MsgGet {
        key: c.a[0],
        flags: c.a[1],
    };
    server::call(req).map(|r| r.id as usize)
}

pub fn msgsnd(p: &mut Proc, c: &mut Call) -> Ret {
    let (id, at, size, flags) = (c.a[0], c.a[1], c.a[2] as i64, c.a[3]);
    if !(0..=MSGMAX as i64).contains(&size) {
        return EINVAL.into();
    }
    let msg = match p.mm.read(at, 8 + size as usize) {
        Ok(b) => b,
        Err(e) => return e.into(),
    };
    let mtype = i64::from_le_bytes(msg[..8].try_into().expect("8 bytes"));
    if mtype < 1 {
        return EINVAL.into();
    }
    let req = sys::MsgSnd { id, mtype, flags };
    if flags & IPC_NOWAIT != 0 {
        return server::call_with(req, &msg[8..]).map(|_| 0).into();
    }
    match waiting(p, c, req, &msg[8..]) {
        Ok(_) => Ret::Done(Ok(0)),
        Err(r) => r,
    }
}

pub fn msgrcv(p: &mut Proc, c: &mut Call) -> Ret {
    let (id, at, size, mtype, flags) = (c.a[0], c.a[1], c.a[2] as i64, c.a[3] as i64, c.a[4]);
    if size < 0 {
        return EINVAL.into();
    }
    let req = sys::MsgRcv {
        id,
        mtype,
        size: size as u64,
        flags,
    };
    let got = if flags & IPC_NOWAIT != 0 {
        server::call_with(req, &()).map(server::Got::Now)
    } else {
        match waiting(p, c, req, &()) {
            Ok(g) => Ok(g),
            Err(r) => return r,
        }
    };
    let got = match got {
        Ok(g) => g,
        Err(e) => return e.into(),
    };
    let text = got.with_bytes(|b| b.to_vec());
    let t = got.reply().mtype;
    drop(got);
    let r =
        p.mm.write(at, &t.to_le_bytes())
            .and_then(|()| p.mm.write(at + 8, &text))
            .map(|()| text.len());
    Ret::Done(r)
}

pub fn msgctl(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (id, cmd, buf) = (c.a[0], c.a[1] & !IPC_64, c.a[2]);
    let input = match cmd {
        IPC_SET => read_set(p, buf, true)?.as_bytes().to_vec(),
        IPC_STAT | IPC_RMID => Vec::new(),
        _ => return Err(EINVAL),
    };
    let a = server::call_with(sys::MsgCtl { id, cmd }, &input[..])?;
    if cmd == IPC_STAT {
        let s = stat_of(&a.bytes())?;
        let mut out = [0u8; MSQID_DS];
        perm_bytes(&s, &mut out);
        for (i, t) in s.times.iter().enumerate() {
            w64(&mut out, 48 + 8 * i, *t);
        }
        for (i, v) in s.counts[..3].iter().enumerate() {
            w64(&mut out, 72 + 8 * i, *v);
        }
        out[96..100].copy_from_slice(&(s.counts[3] as u32).to_le_bytes());
        out[100..104].copy_from_slice(&(s.counts[4] as u32).to_le_bytes());
        p.mm.write(buf, &out)?;
    }
    Ok(0)
}

pub fn shmget(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let req = sys::ShmGet {
        key: c.a[0],
        size: c.a[1],
        flags: c.a[2],
    };
    server::call(req).map(|r| r.id as usize)
}

pub fn shmat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (id, mut addr, flags) = (c.a[0], c.a[1], c.a[2]);
    if addr != 0 {
        if flags & SHM_RND != 0 {
            addr &= !(PAGE - 1);
        }
        if addr & (PAGE - 1) != 0 {
            return Err(EINVAL);
        }
    }
    // The size, with the caller's access checked.
    let ask = |addr: u64, first: u64, slots: &[u8]| {
        let req = sys::ShmAt {
            id,
            addr,
            flags,
            first,
        };
        server::call_with(req, slots).map(|a| a.reply.size)
    };
    let size = ask(0, u64::MAX, &[])?;
    let len = size.div_ceil(PAGE) * PAGE;
    let mut prot = PROT_READ;
    if flags & SHM_RDONLY == 0 {
        prot |= PROT_WRITE;
    }
    if flags & SHM_EXEC != 0 {
        prot |= PROT_EXEC;
    }
    if addr != 0 && flags & SHM_REMAP == 0 {
        let mut a = addr;
        while a < addr.saturating_add(len) {
            if p.mm.find(a).is_some() {
                return Err(EINVAL);
            }
            a += PAGE;
        }
    }
    let start = p.mm.place_shared(addr, len, prot, addr != 0)?;
    let pages = len / PAGE;
    let mut slots = Vec::new();
    for _ in 0..pages {
        match p.mm.alloc_slot() {
            Some(s) => slots.push(s),
            None => break,
        }
    }
    let per = (DATA_BYTES / 4) as u64;
    let mut given = Ok(());
    if slots.len() as u64 != pages {
        given = Err(ENOMEM);
    }
    let mut first = 0;
    while given.is_ok() && first < pages {
        let part = &slots[first as usize..(first + per).min(pages) as usize];
        given = ask(start, first, part.as_bytes()).map(|_| ());
        first += per;
    }
    if let Err(e) = given {
        for s in slots {
            let _ = crate::kcall::cap_delete(s);
            p.mm.free_slot(s);
        }
        if first > 0 {
            let _ = server::call(sys::ShmDt { addr: start });
        }
        let _ = p.mm.munmap(start, len);
        return Err(e);
    }
    if let Err(e) = p.mm.add_frames(start, &slots, prot) {
        let _ = server::call(sys::ShmDt { addr: start });
        return Err(e);
    }
    Ok(start as usize)
}

pub fn shmdt(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let addr = c.a[0];
    if addr & (PAGE - 1) != 0 {
        return Err(EINVAL);
    }
    let pages = server::call(sys::ShmDt { addr })?.pages;
    if pages > 0 {
        p.mm.munmap(addr, pages * PAGE)?;
    }
    Ok(0)
}

pub fn shmctl(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (id, cmd, buf) = (c.a[0], c.a[1] & !IPC_64, c.a[2]);
    let input = match cmd {
        IPC_SET => read_set(p, buf, false)?.as_bytes().to_vec(),
        IPC_STAT | IPC_RMID | SHM_LOCK | SHM_UNLOCK => Vec::new(),
        _ => return Err(EINVAL),
    };
    let a = server::call_with(sys::ShmCtl { id, cmd }, &input[..])?;
    if cmd == IPC_STAT {
        let s = stat_of(&a.bytes())?;
        let mut out = [0u8; SHMID_DS];
        perm_bytes(&s, &mut out);
        w64(&mut out, 48, s.counts[0]);
        for (i, t) in s.times.iter().enumerate() {
            w64(&mut out, 56 + 8 * i, *t);
        }
        out[80..84].copy_from_slice(&(s.counts[1] as u32).to_le_bytes());
        out[84..88].copy_from_slice(&(s.counts[2] as u32).to_le_bytes());
        w64(&mut out, 88, s.counts[3]);
        p.mm.write(buf, &out).map_err(|_| EFAULT)?;
    }
    Ok(0)
}
