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

mod files;
mod groups;
mod lifecycle;
mod memory;
mod signals;
mod terminal;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use abi::{map_flags, Rights, Syscall, PAGE_SIZE};
use exo_rt::ipc::{map_into, thread_start, Msg};
use exo_rt::memory::{scratch_read_bytes, scratch_write_bytes, SCRATCH_BASE};
use exo_rt::{cap_delete, cap_mint, frame_alloc, map, notification_create, println, signal, Slot};
use sysproto::{
    control, kind, layout, ready, slots, status, Op, Stat, DATA_BYTES, JOB_SIGNALLED, NO_HANDLE,
    WOULD_BLOCK,
};

use super::console::Tty;
use super::image::{fill_frame, Image};
use super::objects::{Kind, Objects};
use super::slots::SlotPool;
use super::vfs::{Body, Vfs, S_IFMT, S_IFREG};

const EPERM: i64 = 1;
const ENOENT: i64 = 2;
const ESRCH: i64 = 3;
const EIO: i64 = 5;
const EBADF: i64 = 9;
const ECHILD: i64 = 10;
const ENOMEM: i64 = 12;
const EACCES: i64 = 13;
const EISDIR: i64 = 21;
const ENOTDIR: i64 = 20;
const EINVAL: i64 = 22;
const ENOTTY: i64 = 25;
const EMFILE: i64 = 24;
const EROFS: i64 = 30;
const EPIPE: i64 = 32;
const ENOSYS: i64 = 38;

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
/// Frames each process may use at first; it asks for more (`Op::Quota`)
/// when it runs out.
const PROCESS_QUOTA: u64 = 512;
/// Most open handles one process may hold at the server (its library OS
/// keeps far fewer descriptors): a client cannot fill the server's heap
/// with open files.
const HANDLES_MAX: usize = 8192;
/// Where the server maps process mailboxes (5 pages per process, by index).
const MAILBOXES: u64 = SCRATCH_BASE + 0x4000_0000;

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
    mailbox: [Slot; sysproto::MAILBOX_PAGES as usize],
    /// Where the server maps its mailbox; `None` once it has ended (a
    /// zombie has no mailbox, and nothing may write one it had).
    mailbox_at: Option<u64>,
    handles: Vec<Option<usize>>,
    cwd: String,
    exe: Vec<u8>,
    /// The wait status it gave before ending (`Op::Exit`).
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
            mailbox: [0; 5],
            mailbox_at: None,
            handles: Vec::new(),
            cwd: String::new(),
            exe: Vec::new(),
            exit_status: None,
            zombie: None,
            stop_event: None,
            stopped: false,
            started: false,
            execed: false,
            quota: 0,
        }
    }

    /// What stays of a process that ended until its parent collects it:
    /// its parent, group, session and wait status; no environment, no
    /// mailbox.
    fn zombie(ppid: u64, pgid: u64, sid: u64, st: u64) -> Proc {
        Proc {
            pgid,
            sid,
            zombie: Some(st),
            started: true,
            execed: true,
            ..Proc::new(ppid, u64::MAX, 0)
        }
    }
}

/// The system server.
pub struct Server {
    vfs: Vfs,
    image: Image,
    pool: SlotPool,
    mem: Slot,
    ep: Slot,
    procs: BTreeMap<u64, Proc>,
    objs: Objects,
    next_pid: u64,
    free_mailboxes: Vec<u64>,
    next_mailbox: u64,
    pub tty: Tty,
}

fn ok(v: i64) -> Msg {
    [v as u64, 0, 0, 0, 0, 0]
}

fn err(e: i64) -> Msg {
    ok(-e)
}

impl Server {
    pub fn new(vfs: Vfs, image: Image, pool: SlotPool, mem: Slot, ep: Slot) -> Server {
        memory::note_total();
        Server {
            vfs,
            image,
            pool,
            mem,
            ep,
            procs: BTreeMap::new(),
            objs: Objects::default(),
            next_pid: 1,
            free_mailboxes: Vec::new(),
            next_mailbox: 0,
            tty: Tty::new(),
        }
    }

    /// A request from process `pid`.
    pub fn request(&mut self, pid: u64, msg: Msg) -> Msg {
        if !self.procs.contains_key(&pid) {
            return err(ESRCH);
        }
        let a = [msg[1], msg[2], msg[3], msg[4], msg[5]];
        let Some(op) = Op::from_word(msg[0]) else {
            return err(ENOSYS);
        };
        let new_handles = match op {
            Op::Open | Op::Dup | Op::Console => 1,
            Op::Pipe => 2,
            _ => 0,
        };
        if new_handles > 0 && self.open_handles(pid) + new_handles > HANDLES_MAX {
            return err(EMFILE);
        }
        match op {
            Op::Open => self.open(pid, a),
            Op::Read => self.read(pid, a),
            Op::Write => self.write(pid, a),
            Op::Close => self.close(pid, a[0]),
            Op::Fstat => self.fstat(pid, a[0]),
            Op::Stat => self.stat(pid, a),
            Op::Getdents => self.getdents(pid, a),
            Op::Seek => self.seek(pid, a),
            Op::Pipe => self.pipe(pid),
            Op::Dup => match self.obj_of(pid, a[0]) {
                Ok(o) => {
                    self.objs.add_ref(o);
                    ok(self.add_handle(pid, o) as i64)
                }
                Err(e) => err(e),
            },
            Op::Readlink => self.readlink(pid, a),
            Op::Access => self.access(pid, a),
            Op::Chdir => self.chdir(pid, a),
            Op::Getcwd => {
                let cwd = alloc::format!("/{}", self.procs[&pid].cwd);
                self.put_data(pid, cwd.as_bytes());
                ok(cwd.len() as i64)
            }
            Op::Fork => self.fork(pid),
            Op::ForkStart => self.fork_start(pid, a),
            Op::Exec => {
                // The program as the file it is (links followed, normalised),
                // as Linux's /proc/self/exe names it.
                let path = self.path_arg(pid, a[0]);
                let exe = match self.resolve(pid, &path, NO_HANDLE, true) {
                    Ok(node) => self.vfs.nodes[node].path.clone().into_bytes(),
                    Err(_) => path,
                };
                if let Some(p) = self.procs.get_mut(&pid) {
                    p.exe = exe;
                    p.execed = true;
                }
                ok(0)
            }
            Op::Exit => {
                if let Some(p) = self.procs.get_mut(&pid) {
                    p.exit_status = Some(a[0]);
                }
                ok(0)
            }
            Op::Wait => self.wait(pid, a[0] as i64, a[1]),
            Op::Kill => self.kill(pid, a[0] as i64, a[1]),
            Op::Setpgid => self.setpgid(pid, a[0], a[1]),
            Op::Getpgid => {
                let who = if a[0] == 0 { pid } else { a[0] };
                self.procs
                    .get(&who)
                    .map_or(err(ESRCH), |p| ok(p.pgid as i64))
            }
            Op::Setsid => self.setsid(pid),
            Op::Getsid => {
                let who = if a[0] == 0 { pid } else { a[0] };
                self.procs
                    .get(&who)
                    .map_or(err(ESRCH), |p| ok(p.sid as i64))
            }
            Op::Ioctl => self.ioctl(pid, a),
            Op::Poll => self.poll(pid, a[0], a[1] != 0),
            Op::Console => {
                let o = self.objs.open(Kind::Console);
                let h = self.add_handle(pid, o);
                [h as u64, kind::CONSOLE, 0, 0, 0, 0]
            }
            Op::Stopped => self.stopped(pid, a[0] != 0, a[1]),
            Op::TtyWrite => match self.job_check(pid, true, a[0] != 0) {
                Ok(()) => ok(0),
                Err(e) => ok(e),
            },
            Op::Quota => self.quota(pid, a[0], a[1] != 0),
            Op::Meminfo => {
                let (total, free) = self.memory();
                [0, total, free, 0, 0, 0]
            }
        }
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

    fn obj_of(&self, pid: u64, h: u64) -> Result<usize, i64> {
        self.procs[&pid]
            .handles
            .get(h as usize)
            .copied()
            .flatten()
            .ok_or(EBADF)
    }

    /// Copies `bytes` (at most `DATA_BYTES`) into the data area of `pid`'s
    /// mailbox; nothing if it has none.
    fn put_data(&self, pid: u64, bytes: &[u8]) {
        let Some(at) = self.procs.get(&pid).and_then(|p| p.mailbox_at) else {
            return;
        };
        let n = bytes.len().min(DATA_BYTES);
        scratch_write_bytes(at + sysproto::DATA_OFFSET, &bytes[..n]);
    }

    /// `len` bytes (at most `DATA_BYTES`) from the data area of `pid`'s
    /// mailbox; zeros if it has none.
    fn get_data(&self, pid: u64, len: u64) -> Vec<u8> {
        let mut v = alloc::vec![0u8; (len as usize).min(DATA_BYTES)];
        if let Some(at) = self.procs.get(&pid).and_then(|p| p.mailbox_at) {
            scratch_read_bytes(at + sysproto::DATA_OFFSET, &mut v);
        }
        v
    }

    fn path_arg(&self, pid: u64, len: u64) -> Vec<u8> {
        self.get_data(pid, len.min(4096))
    }
}

/// Derives the server's `src` into `dst` of the capability space `cspace`.
fn mint_into(src: Slot, cspace: Slot, dst: u32, rights: Rights) -> Result<(), i64> {
    let r = exo_rt::syscall6(
        Syscall::CapMintInto as u64,
        [src.into(), cspace.into(), dst.into(), rights.0, 0, 0],
    );
    if r.0 == 0 {
        Ok(())
    } else {
        Err(ENOMEM)
    }
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
