//! The server's state and its operations: processes (creation for init
//! and fork, exit, wait, signals, groups), files and pipes through the
//! per-process handle tables, and the console. This file holds the state
//! and the dispatch of requests; the operations are in [`lifecycle`],
//! [`signals`], [`groups`], [`files`] and [`terminal`].
//!
//! Nothing a client sends or does can end the server: every request's
//! arguments are checked, and a process that has ended keeps no mailbox
//! (a zombie is only its status), so nothing is written to memory that is
//! gone.

mod copy;
mod files;
mod groups;
mod ids;
mod lifecycle;
mod locks;
mod memory;
mod pages;
mod paths;
mod procfs;
mod serve;
mod signals;
mod sysv;
mod terminal;
mod window;

pub use memory::file_page_spare;
pub use procfs::PROC_ROOT;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::{map_flags, Rights, PAGE_SIZE};
use exo_rt::ipc::{map_into, thread_start, Msg};
use exo_rt::memory::{scratch_read_bytes, scratch_write_bytes, SCRATCH_BASE};
use exo_rt::{
    cap_delete, cap_mint, cap_mint_into, frame_alloc, map, notification_create, println, signal,
    Slot,
};
use sysproto::wire::{self, Data, DataArea};
use sysproto::zerocopy::IntoBytes;
use sysproto::Errno::{self, *};
use sysproto::{
    completion, control, kind, layout, ready, slots, status, sys, Stat, DATA_BYTES, NO_HANDLE,
};

use super::console::Tty;
use super::fs::Files;
use super::image::{fill_frame, Image};
use super::objects::{Kind, Objects};
use super::random::Random;
use super::slots::SlotPool;
use sysproto::at;
use vfs::walk::Loc;
use vfs::Cred;

const SIGHUP: u64 = 1;
const SIGKILL: u64 = 9;
const SIGCHLD: u64 = 17;
const SIGCONT: u64 = 18;
const SIGSTOP: u64 = 19;
const SIGTSTP: u64 = 20;
const SIGTTIN: u64 = 21;
const SIGTTOU: u64 = 22;

/// The server's slot for the clock's ports.
const RTC_PORTS: Slot = abi::root_slots::FIRST_FREE - 2;
/// Frames each process may use at first; it asks for more (`sys::Quota`)
/// when it runs out.
const PROCESS_QUOTA: u64 = 512;
/// Most open handles one process may hold at the server (its library OS
/// keeps far fewer descriptors): a client cannot fill the server's heap
/// with open files.
const HANDLES_MAX: usize = 8192;
/// Where the server maps process mailboxes and completion areas
/// ([`MAILBOX_FRAMES`] pages per process, by index).
const MAILBOXES: u64 = SCRATCH_BASE + 0x4000_0000;
/// Pages of a process's mailbox and completion area.
const MAILBOX_FRAMES: usize = (sysproto::MAILBOX_PAGES + sysproto::COMPLETION_PAGES) as usize;

/// A process.
struct Proc {
    ppid: u64,
    pgid: u64,
    sid: u64,
    env_id: u64,
    /// The server's capabilities to its address space (and the two after:
    /// capability space, thread).
    env: Slot,
    wake: Slot,
    /// The frames of its mailbox, then of its completion area.
    mailbox: [Slot; MAILBOX_FRAMES],
    /// Where the server maps its mailbox; `None` once it has ended (a
    /// zombie has no mailbox, and nothing may write one it had).
    mailbox_at: Option<u64>,
    handles: Vec<Option<usize>>,
    /// Its working and root directories.
    cwd: Loc,
    root: Loc,
    /// Its credentials (every id, groups, capabilities) by Linux's rules.
    creds: creds::Creds,
    /// What the file rules see of them (kept in step with `creds`).
    cred: Cred,
    /// A FIFO it waits to open, and the other side's open count then.
    fifo_wait: Option<(Loc, u64)>,
    /// The parts of a `setgroups` list sent so far.
    groups_staged: Vec<u32>,
    /// The program it runs, an absolute path (for `/proc/PID/exe`).
    exe: Vec<u8>,
    /// Its arguments and environment, NUL-terminated strings, and its
    /// memory map as its library OS last sent them (`/proc/PID/cmdline`,
    /// `environ`, `maps`).
    cmdline: Vec<u8>,
    environ: Vec<u8>,
    maps: Vec<u8>,
    /// Its descriptors and their handles as its library OS last sent them
    /// (`None`: never; `/proc/PID/fd` then lists the handles).
    fd_table: Option<Vec<(u32, u64)>>,
    /// The last component of the path it was run by (`comm`).
    comm: Vec<u8>,
    /// When it was made (nanoseconds since boot).
    start_ns: u64,
    /// The wait status it gave before ending (`sys::Exit`).
    exit_status: Option<u64>,
    /// Ended; the status its parent will collect.
    zombie: Option<u64>,
    /// A stop or continue its parent has not collected yet.
    stop_event: Option<u64>,
    /// Stopped by a signal now (job control).
    stopped: bool,
    /// Started (a fork child is not until its parent's `ForkStart`).
    started: bool,
    /// Has run `execve` since it was forked (its parent may no longer
    /// change its process group).
    execed: bool,
    /// Frames of quota it has been given.
    quota: u64,
    /// Its CPU time in timer ticks (user, kernel) once it has ended (a
    /// zombie's; the kernel's figures while it runs), and that of the
    /// children it collected, theirs included (`cutime`, `cstime`).
    ended_times: (u64, u64),
    child_times: (u64, u64),
    /// The completion records the server wrote that the process may not
    /// have taken yet (bit `i` for record `i`).
    records: u16,
}

impl Proc {
    /// A process of parent `ppid` in environment `env_id` (its three
    /// capabilities from slot `env`), in init's group and session, not
    /// started, with nothing else yet.
    fn new(ppid: u64, env_id: u64, env: Slot) -> Proc {
        Proc {
            ppid,
            pgid: 1,
            sid: 1,
            env_id,
            env,
            wake: 0,
            mailbox: [0; MAILBOX_FRAMES],
            mailbox_at: None,
            handles: Vec::new(),
            cwd: Loc { mount: 0, ino: 1 },
            root: Loc { mount: 0, ino: 1 },
            creds: creds::Creds::root(),
            cred: Cred::root(),
            fifo_wait: None,
            groups_staged: Vec::new(),
            exe: Vec::new(),
            cmdline: Vec::new(),
            environ: Vec::new(),
            maps: Vec::new(),
            comm: Vec::new(),
            fd_table: None,
            start_ns: exo_rt::info::now_ns(),
            exit_status: None,
            ended_times: (0, 0),
            child_times: (0, 0),
            zombie: None,
            stop_event: None,
            stopped: false,
            started: false,
            execed: false,
            quota: 0,
            records: 0,
        }
    }

    /// What stays of a process that ended until its parent collects it:
    /// its parent, group, session and wait status; no environment, no
    /// mailbox.
    fn zombie(ppid: u64, pgid: u64, sid: u64, st: u64, times: [(u64, u64); 2]) -> Proc {
        Proc {
            pgid,
            sid,
            ended_times: times[0],
            child_times: times[1],
            zombie: Some(st),
            started: true,
            execed: true,
            ..Proc::new(ppid, u64::MAX, 0)
        }
    }
}

impl Proc {
    /// Its CPU time so far in timer ticks: (user, kernel).
    fn cpu_ticks(&self) -> (u64, u64) {
        if self.zombie.is_some() || self.mailbox_at.is_none() {
            return self.ended_times;
        }
        exo_rt::env_times(self.env + 2).unwrap_or(self.ended_times)
    }

    /// Its credentials as `access` checks with them: the real ids in
    /// place of the file-system ones, and the capabilities only for a
    /// real root (as Linux's `access` overrides them).
    fn real_cred(&self) -> Cred {
        let mut c = self.cred.clone();
        (c.uid, c.gid) = (self.creds.ruid(), self.creds.rgid());
        c.caps = if c.uid == 0 {
            self.creds.permitted() & creds::cap::FS_SET
        } else {
            0
        };
        c
    }

    /// Takes new credentials: the file view follows, and the ids go to
    /// the control page for the library OS.
    fn set_creds(&mut self, c: creds::Creds) {
        self.cred = c.fs_cred();
        self.creds = c;
        self.publish_ids();
    }

    /// Writes the ids to the control page ([`control::UIDS`] on).
    fn publish_ids(&self) {
        let c = &self.creds;
        let two = |a: u32, b: u32| u64::from(a) | u64::from(b) << 32;
        set_word(self, control::UIDS, two(c.ruid(), c.euid()));
        set_word(self, control::SUIDS, two(c.suid(), c.fsuid()));
        set_word(self, control::GIDS, two(c.rgid(), c.egid()));
        set_word(self, control::SGIDS, two(c.sgid(), c.fsgid()));
    }
}

/// The system server.
pub struct Server {
    fs: Files,
    /// The generator behind `/dev/random`, `/dev/urandom` and `getrandom`.
    random: Random,
    image: Image,
    pool: SlotPool,
    mem: Slot,
    ep: Slot,
    procs: BTreeMap<u64, Proc>,
    objs: Objects,
    next_pid: u64,
    free_mailboxes: Vec<u64>,
    next_mailbox: u64,
    /// Requests answered later, in the order they came.
    deferred: Vec<Deferred>,
    /// A child ended, stopped or continued since deferred `Wait`s last
    /// looked.
    children_changed: bool,
    /// Parents to wake once the deferred requests were looked at (unless
    /// a completion woke them already): a parent woken before its `Wait`
    /// completes would only find nothing and wait again.
    late_wakes: Vec<u64>,
    pub tty: Tty,
    /// Every file lock and lock waiter.
    locks: locks::Locks,
    /// System V semaphores, queues and segments, and the segments' pages.
    ipc: sysv::Ipc,
    shm: sysv::ShmState,
    /// The processes' read windows (`sys::ReadMap`).
    windows: window::Windows,
    /// Where a file read or write gathers its bytes (from or for the
    /// data area), kept to spare an allocation each time.
    read_buf: Vec<u8>,
}

/// A request that waits at the server: it is answered with a
/// completion record in the process's mailbox.
struct Deferred {
    pid: u64,
    tag: u32,
    op: Waiting,
}

/// What a deferred request waits for.
enum Waiting {
    /// Bytes (or the end) in a pipe or at the console.
    Read(sys::Read),
    /// Room in a pipe for the bytes kept here.
    Write(sys::Write, Vec<u8>),
    /// A child to change state.
    Wait(sys::Wait),
    /// A file lock (`F_SETLKW`, `flock` without `LOCK_NB`), recorded by
    /// the lock manager under this id.
    Lock(filelock::WaiterId),
    /// A System V semaphore or queue to change (tried again each time).
    Ipc(sysv::IpcWait),
}

/// Most requests one process may have waiting at the server (one per
/// waiting thread; more are refused and asked again).
const DEFERRED_MAX: usize = 256;

// `Proc::records` has a bit per record.
const _: () = assert!(completion::RECORDS <= 16);

impl Server {
    pub fn new(
        fs: Files,
        random: Random,
        image: Image,
        pool: SlotPool,
        mem: Slot,
        ep: Slot,
    ) -> Server {
        memory::note_total();
        Server {
            fs,
            random,
            image,
            pool,
            mem,
            ep,
            procs: BTreeMap::new(),
            objs: Objects::default(),
            next_pid: 1,
            free_mailboxes: Vec::new(),
            next_mailbox: 0,
            deferred: Vec::new(),
            children_changed: false,
            late_wakes: Vec::new(),
            tty: Tty::new(),
            locks: locks::Locks::default(),
            ipc: sysv::Ipc::default(),
            shm: sysv::ShmState::default(),
            windows: window::Windows::default(),
            read_buf: Vec::new(),
        }
    }

    /// A request from process `pid`.
    pub fn request(&mut self, pid: u64, msg: Msg) -> Msg {
        let Some(p) = self.procs.get(&pid) else {
            return wire::error_msg(ESRCH);
        };
        let mut area = Mailbox(p.mailbox_at);
        let new_handles = match sys::Op::from_word(msg[0]) {
            Some(sys::Op::Open | sys::Op::Console) => 1,
            Some(sys::Op::Pipe) => 2,
            _ => 0,
        };
        if new_handles > 0 && self.open_handles(pid) + new_handles > HANDLES_MAX {
            return wire::error_msg(EMFILE);
        }
        // File pages made for the request are the process's to pay for.
        let payer = crate::fs::store::Payer {
            pid,
            start_ns: p.start_ns,
        };
        self.fs.frames.borrow_mut().charge_to = Some(payer);
        let reply = sys::dispatch(self, pid, &msg, &mut area);
        self.settle_charges(pid);
        reply
    }

    /// Defers the request of `pid` tagged `tag` that must wait, if the
    /// process takes a later answer: whether it did.
    fn defer(&mut self, pid: u64, tag: u32, op: Waiting) -> bool {
        if tag == 0 {
            return false;
        }
        let (mut mine, mut again) = (0, false);
        for w in self.deferred.iter().filter(|w| w.pid == pid) {
            mine += 1;
            again |= w.tag == tag;
        }
        if mine >= DEFERRED_MAX || again || !self.completion_area(pid) {
            return false;
        }
        self.deferred.push(Deferred { pid, tag, op });
        true
    }

    /// Completes the deferred requests that can complete now (after every
    /// message the server handles): the bytes go to the completion area,
    /// the record to the control page, and the process is woken.
    #[inline]
    pub fn complete_deferred(&mut self) {
        while !self.deferred.is_empty() {
            self.complete_waiting();
            // A lock granted there may let other waiters go.
            if !self.take_lock_wakes() {
                break;
            }
        }
        if !self.late_wakes.is_empty() {
            for pid in core::mem::take(&mut self.late_wakes) {
                self.wake(pid);
            }
        }
    }

    /// [`Self::complete_deferred`] with some deferred requests (looked
    /// at in place, in the order they came).
    fn complete_waiting(&mut self) {
        let children_changed = core::mem::take(&mut self.children_changed);
        self.take_lock_wakes();
        let mut i = 0;
        while i < self.deferred.len() {
            let w = &self.deferred[i];
            let pid = w.pid;
            let probe = match &w.op {
                Waiting::Read(r) => Some((r.handle, ready::IN | ready::HUP)),
                Waiting::Write(r, _) => Some((r.handle, ready::OUT | ready::ERR)),
                Waiting::Wait(_) | Waiting::Lock(_) | Waiting::Ipc(_) => None,
            };
            let lock = match w.op {
                Waiting::Lock(id) => Some(id),
                _ => None,
            };
            let stopped = match self.procs.get(&pid) {
                Some(p) if p.mailbox_at.is_some() => p.stopped,
                _ => {
                    self.deferred.remove(i);
                    continue;
                }
            };
            // Only a request with something to take, by a process that
            // runs: a stopped one takes nothing (and gets no SIGTTIN)
            // until it is continued, as when it asked again itself.
            let ready = !stopped
                && match (probe, lock) {
                    (Some((h, want)), _) => self.polls(pid, h, want),
                    (None, Some(id)) => self.lock_ready(id),
                    (None, None) => children_changed || matches!(w.op, Waiting::Ipc(_)),
                };
            if ready {
                let w = self.deferred.remove(i);
                if self.complete(&w) {
                    continue;
                }
                self.deferred.insert(i, w);
            }
            i += 1;
        }
    }

    /// Whether handle `h` of `pid` shows one of the readiness bits `want`
    /// (or is gone: the request then fails).
    fn polls(&mut self, pid: u64, h: u64, want: u64) -> bool {
        match self.poll(pid, h, false) {
            Ok((r, _)) => r & want != 0,
            Err(_) => true,
        }
    }

    /// Answers the deferred request `w` if it can complete and its
    /// process has a free record; whether it did.
    fn complete(&mut self, w: &Deferred) -> bool {
        let p = &self.procs[&w.pid];
        let Some(at) = p.mailbox_at else {
            return true;
        };
        // Only the records written since they were last seen free are
        // read: none in the common case.
        let mut records = p.records;
        let mut used = Vec::new();
        for i in 0..completion::RECORDS {
            if records & 1 << i != 0 {
                if get_tag(p, i) == 0 {
                    records &= !(1 << i);
                } else {
                    used.push(record_bytes(p, i));
                }
            }
        }
        let first = completion::first_for(w.tag);
        let Some(slot) = (0..completion::RECORDS)
            .map(|k| (first + k) % completion::RECORDS)
            .find(|&i| records & 1 << i == 0)
        else {
            set_word(p, completion::FULL, 1);
            return false;
        };
        let area_size = sysproto::COMPLETION_PAGES * PAGE_SIZE;
        let (mut rec, done) = match &w.op {
            Waiting::Read(req) => {
                let (start, room) = completion::free_run(&mut used, area_size);
                if room == 0 {
                    set_word(&self.procs[&w.pid], completion::FULL, 1);
                    return false;
                }
                let req = sys::Read {
                    len: req.len.min(room),
                    ..*req
                };
                let mut area = Completion(at, start);
                let mut d = Data::<sys::Read>::new(&mut area, 0, w.tag);
                let r = Server::read(self, w.pid, req, &mut d);
                let rec = completion::Record {
                    at: start,
                    len: d.out_len() as u64,
                    ..Default::default()
                };
                (rec, r.map(|()| [0; 4]))
            }
            Waiting::Write(req, bytes) => {
                let mut kept = bytes.clone();
                let mut d = Data::<sys::Write>::new(&mut kept, bytes.len(), w.tag);
                let r = Server::write(self, w.pid, *req, &mut d);
                (Default::default(), r.map(|n| [n, 0, 0, 0]))
            }
            Waiting::Wait(req) => {
                let r = Server::wait(self, w.pid, req.pid, req.options);
                (Default::default(), r.map(|(c, st)| [c, st, 0, 0]))
            }
            // Granted only now that its record can be written.
            Waiting::Lock(id) => match self.lock_retry(w.pid, *id) {
                None => return false,
                Some(r) => (Default::default(), r.map(|()| [0; 4])),
            },
            Waiting::Ipc(op) => {
                let (start, room) = completion::free_run(&mut used, area_size);
                if room < op.room() {
                    set_word(&self.procs[&w.pid], completion::FULL, 1);
                    return false;
                }
                let r = self.ipc_retry(w.pid, op);
                let mut rec = completion::Record {
                    at: start,
                    ..Default::default()
                };
                if let Ok((_, text)) = &r {
                    Completion(at, start).write(0, text);
                    rec.len = text.len() as u64;
                }
                (rec, r.map(|(words, _)| words))
            }
        };
        match done {
            Err(EAGAIN) => return false,
            Ok(words) => rec.words = words,
            Err(e) => {
                rec.result = e.raw().into();
                rec.len = 0;
            }
        }
        rec.tag = w.tag.into();
        let Some(p) = self.procs.get_mut(&w.pid) else {
            return true;
        };
        if p.mailbox_at.is_none() {
            return true;
        }
        p.records = records | 1 << slot;
        set_record(p, slot, &rec);
        if p.wake != 0 {
            let _ = signal(p.wake, 1);
        }
        self.late_wakes.retain(|&q| q != w.pid);
        true
    }

    /// Forgets the deferred request `tag` of `pid`; whether it was
    /// waiting.
    fn cancel_deferred(&mut self, pid: u64, tag: u64) -> bool {
        self.lock_cancel(pid, Some(tag));
        let before = self.deferred.len();
        self.deferred
            .retain(|w| !(w.pid == pid && u64::from(w.tag) == tag));
        self.deferred.len() != before
    }

    fn wake(&self, pid: u64) {
        if let Some(p) = self.procs.get(&pid) {
            if p.wake != 0 {
                let _ = signal(p.wake, 1);
            }
        }
    }

    fn wake_all(&self, pids: &[u64]) {
        for &p in pids {
            self.wake(p);
        }
    }

    /// How many handles `pid` holds.
    fn open_handles(&self, pid: u64) -> usize {
        self.procs
            .get(&pid)
            .map_or(0, |p| p.handles.iter().flatten().count())
    }

    fn add_handle(&mut self, pid: u64, obj: usize) -> usize {
        let p = self.procs.get_mut(&pid).expect("caller exists");
        match p.handles.iter().position(Option::is_none) {
            Some(i) => {
                p.handles[i] = Some(obj);
                i
            }
            None => {
                p.handles.push(Some(obj));
                p.handles.len() - 1
            }
        }
    }

    fn obj_of(&self, pid: u64, h: u64) -> Result<usize, Errno> {
        self.procs[&pid]
            .handles
            .get(h as usize)
            .copied()
            .flatten()
            .ok_or(EBADF)
    }
}

/// The data area of a process's mailbox, as the server maps it (none for
/// a process that has ended: reads see zeros, writes go nowhere).
struct Mailbox(Option<u64>);

impl DataArea for Mailbox {
    fn read(&self, at: usize, out: &mut [u8]) {
        match self.0 {
            Some(m) => scratch_read_bytes(m + sysproto::DATA_OFFSET + at as u64, out),
            None => out.fill(0),
        }
    }

    fn write(&mut self, at: usize, bytes: &[u8]) {
        if let Some(m) = self.0 {
            scratch_write_bytes(m + sysproto::DATA_OFFSET + at as u64, bytes);
        }
    }
}

/// The completion area of a process, as the server maps it (after its
/// mailbox), from an offset on: written only, never past its end.
struct Completion(u64, u64);

impl DataArea for Completion {
    fn read(&self, _: usize, out: &mut [u8]) {
        out.fill(0);
    }

    fn write(&mut self, at: usize, bytes: &[u8]) {
        let size = sysproto::COMPLETION_PAGES * PAGE_SIZE;
        let start = (self.1 + at as u64).min(size);
        let n = (bytes.len() as u64).min(size - start) as usize;
        let base = self.0 + sysproto::MAILBOX_PAGES * PAGE_SIZE;
        scratch_write_bytes(base + start, &bytes[..n]);
    }
}

/// The tag of completion record `i` of `p` (0, free, for an ended
/// process).
fn get_tag(p: &Proc, i: usize) -> u64 {
    get_word(p, completion::word(i) + completion::TAG)
}

/// Where the bytes of completion record `i` of `p` are (as the server
/// wrote them: the process only frees a record).
fn record_bytes(p: &Proc, i: usize) -> (u64, u64) {
    let w = completion::word(i);
    let size = sysproto::COMPLETION_PAGES * PAGE_SIZE;
    let at = get_word(p, w + completion::AT).min(size);
    (at, get_word(p, w + completion::LEN).min(size - at))
}

/// Writes completion record `i` of `p`: its tag last, so the library OS
/// never sees a record half written.
fn set_record(p: &Proc, i: usize, r: &completion::Record) {
    if let Some(at) = p.mailbox_at {
        let base = at + completion::word(i) as u64 * 8;
        let b = r.as_bytes();
        scratch_write_bytes(base + 8, &b[8..]);
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::Release);
        scratch_write_bytes(base, &b[..8]);
    }
}

/// Derives the server's `src` into `dst` of the capability space `cspace`.
fn mint_into(src: Slot, cspace: Slot, dst: u32, rights: Rights) -> Result<(), Errno> {
    cap_mint_into(src, cspace, dst, rights, 0).map_err(|_| ENOMEM)
}

/// Writes control word `i` of `p`'s mailbox (nothing for a process that
/// has ended: its mailbox is gone).
fn set_word(p: &Proc, i: usize, v: u64) {
    if let Some(at) = p.mailbox_at {
        scratch_write_bytes(at + i as u64 * 8, &v.to_le_bytes());
    }
}

/// Reads control word `i` of `p`'s mailbox (0 for an ended process).
fn get_word(p: &Proc, i: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(at) = p.mailbox_at {
        scratch_read_bytes(at + i as u64 * 8, &mut b);
    }
    u64::from_le_bytes(b)
}

/// Wall-clock time now, in nanoseconds since the Unix epoch.
pub fn wall_clock_ns() -> u64 {
    boot_epoch_ns() + exo_rt::info::now_ns()
}

/// Wall-clock time at boot, from the CMOS clock (read once).
fn boot_epoch_ns() -> u64 {
    static EPOCH: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
    let e = EPOCH.load(core::sync::atomic::Ordering::Relaxed);
    if e != 0 {
        return e;
    }
    let now = super::rtc::unix_seconds(RTC_PORTS).unwrap_or(0) * 1_000_000_000;
    let e = now.saturating_sub(exo_rt::info::now_ns()).max(1);
    EPOCH.store(e, core::sync::atomic::Ordering::Relaxed);
    e
}
