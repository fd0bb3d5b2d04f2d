//! System V IPC at the server: semaphore sets, message queues and
//! shared-memory segments, by the rules of the `sysvipc` crate, checked
//! against the caller's credentials. A `semop`, `msgsnd` or `msgrcv` that
//! must wait is deferred ([`Waiting::Ipc`]) and tried again after every
//! request the server handles; removing the object ends such waits with
//! `EIDRM`, and a signal cancels one (`sys::Cancel`). A process's
//! `SEM_UNDO` adjustments are applied when it ends ([`Server::ipc_ended`]).

use alloc::vec::Vec;

use sysproto::{IpcSet, IpcStat};
use sysvipc::msg::{Queue, MSGMAX, MSGMNB, MSGMNI, MSG_COPY};
use sysvipc::sem::{self, SemBuf, SemSet, SEMMNI};
use sysvipc::shm::{Segment, SHMMNI, SHM_DEST};
use sysvipc::{cap, Caller, Perm, Table, IPC_RMID, IPC_SET, IPC_STAT, READ, WRITE};

use super::*;
use crate::fs::now;
use vfs::FileType;

/// The server's System V objects.
pub struct Ipc {
    sems: Table<SemSet>,
    msgs: Table<Queue>,
    pub(super) shms: Table<Segment>,
}

impl Default for Ipc {
    fn default() -> Ipc {
        Ipc {
            sems: Table::new(SEMMNI),
            msgs: Table::new(MSGMNI),
            shms: Table::new(SHMMNI),
        }
    }
}

/// A deferred System V operation and whether its object was removed.
pub(super) struct IpcWait {
    pub op: IpcOp,
    pub gone: bool,
}

/// What a deferred System V operation does when tried again.
pub(super) enum IpcOp {
    Sem(u32, Vec<SemBuf>),
    Snd(u32, i64, u64, Vec<u8>),
    Rcv(sys::MsgRcv),
    /// A POSIX queue's send (description, priority, message) and
    /// receive (description, buffer size).
    MqSnd(usize, u64, Vec<u8>),
    MqRcv(usize, u64),
}

impl IpcWait {
    /// The bytes of completion area its answer may need.
    pub fn room(&self) -> u64 {
        match &self.op {
            IpcOp::Rcv(r) => r.size.min(MSGMAX as u64),
            IpcOp::MqRcv(_, len) => (*len).min(DATA_BYTES as u64),
            _ => 0,
        }
    }
}

impl IpcOp {
    /// Which table and id it waits on (0 semaphores, 1 queues, 2 POSIX
    /// queues by description).
    fn object(&self) -> (u8, u32) {
        match self {
            IpcOp::Sem(id, _) => (0, *id),
            IpcOp::Snd(id, ..) => (1, *id),
            IpcOp::Rcv(r) => (1, r.id as u32),
            IpcOp::MqSnd(o, ..) | IpcOp::MqRcv(o, _) => (2, *o as u32),
        }
    }
}

/// Seconds since the epoch, for the `*time` fields.
fn secs() -> u64 {
    wall_clock_ns() / 1_000_000_000
}

/// The `ipc_perm` part of an `IPC_STAT`.
fn stat_of(p: &Perm) -> IpcStat {
    IpcStat {
        key: p.key,
        uid: p.uid,
        gid: p.gid,
        cuid: p.cuid,
        cgid: p.cgid,
        mode: p.mode.into(),
        seq: p.seq.into(),
        ..IpcStat::default()
    }
}

/// `IPC_SET`'s request from the data area.
fn set_of(input: &[u8]) -> Result<IpcSet, Errno> {
    use sysproto::zerocopy::FromBytes;
    IpcSet::read_from_prefix(input)
        .map(|(s, _)| s)
        .map_err(|_| EFAULT)
}

impl Server {
    /// Runs `f` with the caller's ids as the IPC rules see them.
    fn as_caller<T>(&mut self, pid: u64, f: impl FnOnce(&mut Ipc, &Caller) -> T) -> T {
        let c = &self.procs[&pid].creds;
        let groups: Vec<u32> = c.groups().to_vec();
        let who = Caller {
            uid: c.euid(),
            gid: c.egid(),
            groups: &groups,
            caps: c.effective(),
            pid: pid as u32,
        };
        f(&mut self.ipc, &who)
    }

    pub(super) fn sem_get(&mut self, pid: u64, key: u64, n: u64, flags: u64) -> Result<u64, Errno> {
        let n = usize::try_from(n as i32).map_err(|_| EINVAL)?;
        if n > sem::SEMMSL {
            return Err(EINVAL);
        }
        let now = secs();
        self.as_caller(pid, |ipc, c| {
            ipc.sems.get(
                c,
                key as i32,
                flags as u32,
                |s| s.check_get(n),
                || SemSet::new(n, now),
            )
        })
        .map(u64::from)
    }

    /// `semop`: `Ok(true)` done, `Ok(false)` must wait.
    pub(super) fn sem_op(&mut self, pid: u64, id: u32, ops: &[SemBuf]) -> Result<bool, Errno> {
        sem::check_count(ops.len())?;
        let now = secs();
        self.as_caller(pid, |ipc, c| {
            let (perm, set) = ipc.sems.lookup(id)?;
            let want = if set.alters(ops)? { WRITE } else { READ };
            if !perm.allows(c, want) {
                return Err(EACCES);
            }
            set.semop(ops, c.pid, now).map(|b| b.is_none())
        })
    }

    pub(super) fn sem_ctl(
        &mut self,
        pid: u64,
        id: u32,
        num: u64,
        cmd: u64,
        val: u64,
        input: &[u8],
    ) -> Result<(u64, Vec<u8>), Errno> {
        let cmd = cmd as u32 & !sysvipc::IPC_64;
        let num = num as i32;
        let now = secs();
        // The waiters of each semaphore, for GETNCNT and GETZCNT.
        let waiting = |s: &Server, zero: bool| -> u64 {
            let set = match s.ipc.sems.peek(id) {
                Some(set) => set,
                None => return 0,
            };
            s.deferred
                .iter()
                .filter_map(|w| match &w.op {
                    Waiting::Ipc(IpcWait {
                        op: IpcOp::Sem(i, ops),
                        gone: false,
                    }) if *i == id => set.blocks(ops),
                    _ => None,
                })
                .filter(|b| i32::from(b.num) == num && b.zero == zero)
                .count() as u64
        };
        if matches!(cmd, sem::GETNCNT | sem::GETZCNT) {
            self.as_caller(pid, |ipc, c| {
                let (perm, set) = ipc.sems.lookup(id)?;
                if !perm.allows(c, READ) {
                    return Err(EACCES);
                }
                set.sem(usize::try_from(num).map_err(|_| EINVAL)?)
                    .map(|_| ())
            })?;
            return Ok((waiting(self, cmd == sem::GETZCNT), Vec::new()));
        }
        let r = self.as_caller(pid, |ipc, c| {
            let (perm, set) = ipc.sems.lookup(id)?;
            let need = |want| {
                if perm.allows(c, want) {
                    Ok(())
                } else {
                    Err(EACCES)
                }
            };
            let one = || usize::try_from(num).map_err(|_| EINVAL);
            match cmd {
                IPC_STAT => {
                    need(READ)?;
                    let mut st = stat_of(perm);
                    st.times = [set.otime, set.ctime, 0];
                    st.counts[0] = set.sems.len() as u64;
                    Ok((0, st.as_bytes().to_vec()))
                }
                IPC_SET => {
                    let s = set_of(input)?;
                    perm.set(c, s.uid, s.gid, s.mode)?;
                    set.ctime = now;
                    Ok((0, Vec::new()))
                }
                IPC_RMID => {
                    if !perm.owned_by(c) {
                        return Err(EPERM);
                    }
                    Ok((u64::MAX, Vec::new()))
                }
                sem::GETVAL => {
                    need(READ)?;
                    Ok((set.sem(one()?)?.val.into(), Vec::new()))
                }
                sem::GETPID => {
                    need(READ)?;
                    Ok((set.sem(one()?)?.pid.into(), Vec::new()))
                }
                sem::GETALL => {
                    need(READ)?;
                    let b = set.sems.iter().flat_map(|s| s.val.to_le_bytes()).collect();
                    Ok((0, b))
                }
                sem::SETVAL => {
                    need(WRITE)?;
                    set.set_val(one()?, val as i32, c.pid, now)?;
                    Ok((0, Vec::new()))
                }
                sem::SETALL => {
                    need(WRITE)?;
                    if input.len() < set.sems.len() * 2 {
                        return Err(EFAULT);
                    }
                    let vals: Vec<u16> = input
                        .chunks_exact(2)
                        .take(set.sems.len())
                        .map(|b| u16::from_le_bytes([b[0], b[1]]))
                        .collect();
                    set.set_all(&vals, c.pid, now)?;
                    Ok((0, Vec::new()))
                }
                _ => Err(EINVAL),
            }
        })?;
        if r.0 == u64::MAX {
            self.ipc.sems.remove(id);
            self.ipc_removed(0, id);
            return Ok((0, Vec::new()));
        }
        Ok(r)
    }

    pub(super) fn msg_get(&mut self, pid: u64, key: u64, flags: u64) -> Result<u64, Errno> {
        let now = secs();
        self.as_caller(pid, |ipc, c| {
            ipc.msgs.get(
                c,
                key as i32,
                flags as u32,
                |_| Ok(()),
                || Ok(Queue::new(now)),
            )
        })
        .map(u64::from)
    }

    /// `msgsnd`: `Ok(true)` done, `Ok(false)` must wait for room.
    pub(super) fn msg_snd(
        &mut self,
        pid: u64,
        id: u32,
        mtype: i64,
        flags: u64,
        text: &[u8],
    ) -> Result<bool, Errno> {
        Queue::check_send(mtype, text.len())?;
        let now = secs();
        self.as_caller(pid, |ipc, c| {
            let (perm, q) = ipc.msgs.lookup(id)?;
            if !perm.allows(c, WRITE) {
                return Err(EACCES);
            }
            match q.send(mtype, text, c.pid, now) {
                Ok(()) => Ok(true),
                Err(EAGAIN) if flags as u32 & sysvipc::IPC_NOWAIT == 0 => Ok(false),
                Err(e) => Err(e),
            }
        })
    }

    /// `msgrcv`: the message (`None`: must wait).
    pub(super) fn msg_rcv(
        &mut self,
        pid: u64,
        r: &sys::MsgRcv,
    ) -> Result<Option<(i64, Vec<u8>)>, Errno> {
        let flags = r.flags as u32;
        let size = usize::try_from(r.size as i64).map_err(|_| EINVAL)?;
        if flags & MSG_COPY != 0 {
            return Err(ENOSYS);
        }
        let id = id_of(r.id)?;
        let now = secs();
        self.as_caller(pid, |ipc, c| {
            let (perm, q) = ipc.msgs.lookup(id)?;
            if !perm.allows(c, READ) {
                return Err(EACCES);
            }
            match q.receive(r.mtype, size.min(MSGMAX), flags, c.pid, now) {
                Ok(m) => Ok(Some(m)),
                Err(ENOMSG) if flags & sysvipc::IPC_NOWAIT == 0 => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    pub(super) fn msg_ctl(
        &mut self,
        pid: u64,
        id: u32,
        cmd: u64,
        input: &[u8],
    ) -> Result<Vec<u8>, Errno> {
        let cmd = cmd as u32 & !sysvipc::IPC_64;
        let now = secs();
        let gone = self.as_caller(pid, |ipc, c| {
            let (perm, q) = ipc.msgs.lookup(id)?;
            match cmd {
                IPC_STAT => {
                    if !perm.allows(c, READ) {
                        return Err(EACCES);
                    }
                    let mut st = stat_of(perm);
                    st.times = [q.stime, q.rtime, q.ctime];
                    st.counts = [
                        q.cbytes as u64,
                        q.qnum() as u64,
                        q.qbytes as u64,
                        q.lspid.into(),
                        q.lrpid.into(),
                    ];
                    Ok(Some(st.as_bytes().to_vec()))
                }
                IPC_SET => {
                    let s = set_of(input)?;
                    if !perm.owned_by(c) {
                        return Err(EPERM);
                    }
                    if s.qbytes > MSGMNB as u64 && c.caps & cap::SYS_RESOURCE == 0 {
                        return Err(EPERM);
                    }
                    perm.set(c, s.uid, s.gid, s.mode)?;
                    q.qbytes = s.qbytes as usize;
                    q.ctime = now;
                    Ok(Some(Vec::new()))
                }
                IPC_RMID if perm.owned_by(c) => Ok(None),
                IPC_RMID => Err(EPERM),
                _ => Err(EINVAL),
            }
        })?;
        match gone {
            Some(out) => Ok(out),
            None => {
                self.ipc.msgs.remove(id);
                self.ipc_removed(1, id);
                Ok(Vec::new())
            }
        }
    }

    /// The object `id` of table `kind` is gone: its waiters end with
    /// `EIDRM`.
    fn ipc_removed(&mut self, kind: u8, id: u32) {
        for w in self.deferred.iter_mut() {
            if let Waiting::Ipc(iw) = &mut w.op {
                if iw.op.object() == (kind, id) {
                    iw.gone = true;
                }
            }
        }
    }

    /// Tries a deferred System V operation again: the reply's words and
    /// the bytes for the completion area (`EAGAIN`: it still waits).
    pub(super) fn ipc_retry(
        &mut self,
        pid: u64,
        w: &IpcWait,
    ) -> Result<([u64; 4], Vec<u8>), Errno> {
        if w.gone {
            return Err(EIDRM);
        }
        let (kind, id) = w.op.object();
        let exists = match kind {
            0 => self.ipc.sems.exists(id),
            1 => self.ipc.msgs.exists(id),
            _ => self
                .objs
                .get(id as usize)
                .is_some_and(|o| matches!(o.kind, Kind::Mqueue(_))),
        };
        if !exists {
            return Err(EIDRM);
        }
        let done = match &w.op {
            IpcOp::Sem(id, ops) => self.sem_op(pid, *id, ops)?.then(|| ([0; 4], Vec::new())),
            IpcOp::Snd(id, t, flags, text) => self
                .msg_snd(pid, *id, *t, *flags, text)?
                .then(|| ([0; 4], Vec::new())),
            IpcOp::Rcv(r) => self
                .msg_rcv(pid, r)?
                .map(|(t, text)| ([t as u64, 0, 0, 0], text)),
            IpcOp::MqSnd(o, prio, data) => self
                .mq_try_send(pid, *o, *prio, data)?
                .then(|| ([0; 4], Vec::new())),
            IpcOp::MqRcv(o, len) => self
                .mq_try_receive(*o, *len)?
                .map(|(m, prio)| ([u64::from(prio), 0, 0, 0], m)),
        };
        done.ok_or(EAGAIN)
    }

    /// Process `pid` ended: its semaphore adjustments are applied.
    pub(super) fn ipc_ended(&mut self, pid: u64) {
        let now = secs();
        for (_, _, set) in self.ipc.sems.iter_mut() {
            set.exit(pid as u32, now);
        }
        self.shm_ended(pid);
    }
}

/// A segment's pages: an unnamed file in the `/dev/shm` file system,
/// held while the segment lives.
pub(super) struct ShmFile {
    loc: Loc,
    pages: u64,
}

/// An attachment: the segment `id` mapped at `addr` in process `pid`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Attach {
    pid: u64,
    addr: u64,
    id: u32,
}

/// The segments' files and attachments.
#[derive(Default)]
pub struct ShmState {
    files: BTreeMap<u32, ShmFile>,
    attached: Vec<Attach>,
}

impl Server {
    pub(super) fn shm_get(
        &mut self,
        pid: u64,
        key: u64,
        size: u64,
        flags: u64,
    ) -> Result<u64, Errno> {
        let now = secs();
        let id = self.as_caller(pid, |ipc, c| {
            ipc.shms.get(
                c,
                key as i32,
                flags as u32,
                |s| s.check_get(size),
                || Segment::new(size, c.pid, now),
            )
        })?;
        if self.shm.files.contains_key(&id) {
            return Ok(id.into());
        }
        match self.shm_file(pid, size) {
            Ok(f) => {
                self.shm.files.insert(id, f);
                Ok(id.into())
            }
            Err(e) => {
                self.ipc.shms.remove(id);
                Err(e)
            }
        }
    }

    /// A new segment's file of `size` bytes, every page there (zeros).
    fn shm_file(&mut self, pid: u64, size: u64) -> Result<ShmFile, Errno> {
        let pages = size.div_ceil(PAGE_SIZE);
        let d = self
            .resolve(pid, b"/dev/shm", NO_HANDLE, true)
            .map_err(|_| ENOSPC)?;
        let fs = self.fs.mem_mut(d).ok_or(ENOSPC)?;
        let name = b"\0sysv-shm";
        let t = now();
        let ino = fs.create(&Cred::root(), d.ino, name, FileType::Regular, 0o600, 0, t)?;
        fs.hold(ino);
        let _ = fs.unlink(&Cred::root(), d.ino, name, t);
        if let Err(e) = fs.fallocate(ino, false, 0, pages * PAGE_SIZE, t) {
            fs.release(ino);
            return Err(if e == ENOSPC { ENOMEM } else { e });
        }
        Ok(ShmFile {
            loc: Loc {
                mount: d.mount,
                ino,
            },
            pages,
        })
    }

    /// `shmat`: gives the caller the segment's pages from page `first`
    /// on, one per slot named in `slots` (`u32` each, in its capability
    /// space), for the library OS to map at `addr`; the first part
    /// records the attachment. The segment's size.
    pub(super) fn shm_at(
        &mut self,
        pid: u64,
        id: u32,
        addr: u64,
        flags: u64,
        first: u64,
        slots: &[u8],
    ) -> Result<u64, Errno> {
        let now = secs();
        let size = self.as_caller(pid, |ipc, c| {
            let (perm, seg) = ipc.shms.lookup(id)?;
            let want = if flags as u32 & sysvipc::shm::SHM_RDONLY != 0 {
                READ
            } else {
                READ | WRITE
            };
            if !perm.allows(c, want) {
                return Err(EACCES);
            }
            Ok(seg.size)
        })?;
        let f = self.shm.files.get(&id).ok_or(EINVAL)?;
        let loc = f.loc;
        let cspace = self.procs[&pid].env + 1;
        let fs = self.fs.mem(loc).ok_or(EINVAL)?;
        for (i, s) in slots.chunks_exact(4).enumerate() {
            let dst = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            let page = first + i as u64;
            if page >= f.pages || dst < slots::FIRST_DYNAMIC {
                return Err(EINVAL);
            }
            let memfs::PageRef::Page(p) = fs.page(loc.ino, page)? else {
                return Err(EINVAL);
            };
            mint_into(p.slot(), cspace, dst, Rights::ALL)?;
        }
        if first == 0 {
            if let Ok((_, seg)) = self.ipc.shms.lookup(id) {
                seg.attach(pid as u32, now);
            }
            self.shm.attached.push(Attach { pid, addr, id });
        }
        Ok(size)
    }

    /// `shmdt` of the attachment at `addr`; its size in pages (the library
    /// OS unmaps them).
    pub(super) fn shm_dt(&mut self, pid: u64, addr: u64) -> Result<u64, Errno> {
        let i = self
            .shm
            .attached
            .iter()
            .position(|a| a.pid == pid && a.addr == addr)
            .ok_or(EINVAL)?;
        let a = self.shm.attached.remove(i);
        let pages = self.shm.files.get(&a.id).map_or(0, |f| f.pages);
        self.shm_detach(a);
        Ok(pages)
    }

    /// One attachment ends; a segment marked for removal goes with its
    /// last.
    fn shm_detach(&mut self, a: Attach) {
        let Ok((perm, seg)) = self.ipc.shms.lookup(a.id) else {
            return;
        };
        if seg.detach(a.pid as u32, secs()) && perm.mode & SHM_DEST != 0 {
            self.shm_destroy(a.id);
        }
    }

    fn shm_destroy(&mut self, id: u32) {
        self.ipc.shms.remove(id);
        if let Some(f) = self.shm.files.remove(&id) {
            if let Some(fs) = self.fs.mem_mut(f.loc) {
                fs.release(f.loc.ino);
            }
        }
    }

    pub(super) fn shm_ctl(
        &mut self,
        pid: u64,
        id: u32,
        cmd: u64,
        input: &[u8],
    ) -> Result<Vec<u8>, Errno> {
        let cmd = cmd as u32 & !sysvipc::IPC_64;
        let now = secs();
        let r = self.as_caller(pid, |ipc, c| {
            let (perm, seg) = ipc.shms.lookup(id)?;
            match cmd {
                IPC_STAT => {
                    if !perm.allows(c, READ) {
                        return Err(EACCES);
                    }
                    let mut st = stat_of(perm);
                    st.times = [seg.atime, seg.dtime, seg.ctime];
                    st.counts = [seg.size, seg.cpid.into(), seg.lpid.into(), seg.nattch, 0];
                    Ok(Some(st.as_bytes().to_vec()))
                }
                IPC_SET => {
                    let s = set_of(input)?;
                    perm.set(c, s.uid, s.gid, s.mode)?;
                    seg.ctime = now;
                    Ok(Some(Vec::new()))
                }
                IPC_RMID if perm.owned_by(c) => {
                    // Gone once the last attachment goes; its key is free
                    // at once.
                    perm.mode |= SHM_DEST;
                    perm.key = sysvipc::IPC_PRIVATE;
                    Ok((seg.nattch != 0).then(Vec::new))
                }
                IPC_RMID => Err(EPERM),
                sysvipc::shm::SHM_LOCK | sysvipc::shm::SHM_UNLOCK => {
                    if perm.owned_by(c) || c.caps & (1 << 14) != 0 {
                        Ok(Some(Vec::new()))
                    } else {
                        Err(EPERM)
                    }
                }
                _ => Err(EINVAL),
            }
        })?;
        match r {
            Some(out) => Ok(out),
            None => {
                self.shm_destroy(id);
                Ok(Vec::new())
            }
        }
    }

    /// A fork child, now started, holds its parent's attachments too.
    pub(super) fn shm_forked(&mut self, parent: u64, child: u64) {
        let now = secs();
        let copies: Vec<Attach> = self
            .shm
            .attached
            .iter()
            .filter(|a| a.pid == parent)
            .map(|a| Attach { pid: child, ..*a })
            .collect();
        for a in copies {
            if let Ok((_, seg)) = self.ipc.shms.lookup(a.id) {
                seg.attach(child as u32, now);
            }
            self.shm.attached.push(a);
        }
    }

    /// Process `pid` ended or ran a new program: its attachments go.
    pub(super) fn shm_ended(&mut self, pid: u64) {
        let (gone, kept) = self.shm.attached.iter().partition(|a| a.pid == pid);
        self.shm.attached = kept;
        for a in gone {
            self.shm_detach(a);
        }
    }
}

/// An id from the protocol's word (`EINVAL` for a negative `int`).
pub(super) fn id_of(w: u64) -> Result<u32, Errno> {
    u32::try_from(w as i32).map_err(|_| EINVAL)
}

/// `struct sembuf`s from their bytes.
pub(super) fn sembufs(b: &[u8]) -> Vec<SemBuf> {
    b.chunks_exact(6).map(SemBuf::from_bytes).collect()
}

impl IpcWait {
    pub fn new(op: IpcOp) -> IpcWait {
        IpcWait { op, gone: false }
    }
}

impl Server {
    /// Defers a System V operation that must wait; `ERESTARTSYS` if it
    /// cannot (the library OS asks again when woken).
    pub(super) fn defer_ipc(&mut self, pid: u64, tag: u32, w: IpcWait) -> Result<(), Errno> {
        if self.defer(pid, tag, Waiting::Ipc(w)) {
            Ok(())
        } else {
            Err(ERESTARTSYS)
        }
    }
}
