//! The server's state and its operations: processes (creation for init
//! and fork, exit, wait, signals, groups), files and pipes through the
//! per-process handle tables, and the console.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use abi::{map_flags, Rights, Syscall, PAGE_SIZE};
use exo_rt::ipc::{map_into, thread_start, Msg};
use exo_rt::memory::{scratch_read_bytes, scratch_write_bytes, SCRATCH_BASE};
use exo_rt::{cap_delete, cap_mint, frame_alloc, map, notification_create, println, signal, Slot};
use sysproto::{
    control, kind, layout, ready, slots, status, Op, Stat, DATA_BYTES, NO_HANDLE, WOULD_BLOCK,
};

use super::console::Tty;
use super::image::{fill_frame, Image};
use super::objects::{Kind, Objects, PIPE_CAPACITY};
use super::slots::SlotPool;
use super::vfs::{Body, Vfs, S_IFMT, S_IFREG};

const EPERM: i64 = 1;
const ENOENT: i64 = 2;
const ESRCH: i64 = 3;
const EBADF: i64 = 9;
const ECHILD: i64 = 10;
const ENOMEM: i64 = 12;
const EACCES: i64 = 13;
const EISDIR: i64 = 21;
const ENOTDIR: i64 = 20;
const EINVAL: i64 = 22;
const ENOTTY: i64 = 25;
const EROFS: i64 = 30;
const EPIPE: i64 = 32;
const ENOSYS: i64 = 38;

/// The server's slot for the clock's ports.
const RTC_PORTS: Slot = abi::root_slots::FIRST_FREE - 2;
/// Frames each process may use at first; it asks for more (`Op::Quota`)
/// when it runs out.
const PROCESS_QUOTA: u64 = 2048;
/// Most frames one `Op::Quota` grants.
const QUOTA_STEP_MAX: u64 = 4096;
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
    mailbox_at: u64,
    handles: Vec<Option<usize>>,
    cwd: String,
    exe: Vec<u8>,
    /// The wait status it gave before ending (`Op::Exit`).
    exit_status: Option<u64>,
    /// Ended; the status its parent will collect.
    zombie: Option<u64>,
    /// A stop or continue its parent has not collected yet.
    stop_event: Option<u64>,
    started: bool,
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

    // ---- processes -------------------------------------------------------

    /// Creates the environment of process `pid` with the library OS's
    /// shared pages and a mailbox, not started.
    fn create(&mut self, pid: u64, ppid: u64) -> Result<Proc, i64> {
        let env = self.pool.alloc3().ok_or(ENOMEM)?;
        let badged = self.pool.alloc().ok_or(ENOMEM)?;
        let rights = Rights::EXECUTE | Rights::GRANT | Rights::DERIVE;
        cap_mint(self.ep, badged, rights, pid).map_err(|_| ENOMEM)?;
        let r = exo_rt::syscall6(
            Syscall::EnvCreate as u64,
            [
                self.mem.into(),
                env.into(),
                badged.into(),
                self.ep.into(),
                u64::from(slots::COUNT),
                0,
            ],
        );
        let _ = cap_delete(badged);
        self.pool.free(badged);
        if r.0 != 0 {
            return Err(ENOMEM);
        }
        let (aspace, cspace, thread) = (env, env + 1, env + 2);
        let mut p = Proc {
            ppid,
            pgid: 1,
            sid: 1,
            env_id: r.1[0],
            env,
            wake: 0,
            mailbox: [0; 5],
            mailbox_at: 0,
            handles: Vec::new(),
            cwd: String::new(),
            exe: Vec::new(),
            exit_status: None,
            zombie: None,
            stop_event: None,
            started: false,
        };
        let fail = |_| ENOMEM;
        exo_rt::quota_give(thread, PROCESS_QUOTA).map_err(fail)?;
        mint_into(self.mem, cspace, slots::MEMORY, Rights::ALL)?;
        p.wake = self.pool.alloc().ok_or(ENOMEM)?;
        notification_create(self.mem, p.wake).map_err(fail)?;
        mint_into(p.wake, cspace, slots::WAKE, Rights::ALL)?;
        p.mailbox_at = self.free_mailboxes.pop().unwrap_or_else(|| {
            self.next_mailbox += 1;
            MAILBOXES + (self.next_mailbox - 1) * sysproto::MAILBOX_PAGES * PAGE_SIZE
        });
        for i in 0..sysproto::MAILBOX_PAGES {
            let f = self.pool.alloc().ok_or(ENOMEM)?;
            p.mailbox[i as usize] = f;
            frame_alloc(self.mem, f, None).map_err(fail)?;
            map(f, p.mailbox_at + i * PAGE_SIZE, map_flags::WRITE).map_err(fail)?;
            let dst = slots::MAILBOX + i as u32;
            mint_into(f, cspace, dst, Rights::ALL)?;
            map_into(
                aspace,
                dst,
                layout::MAILBOX + i * PAGE_SIZE,
                map_flags::WRITE | map_flags::TARGET_SLOT,
            )
            .map_err(fail)?;
        }
        for &(va, slot, flags) in &self.image.shared {
            map_into(aspace, slot, va, flags).map_err(fail)?;
        }
        // The console's ports: programs write the terminal themselves.
        let console = abi::root_slots::CONSOLE_PORTS;
        if exo_rt::cap_identify(console).is_ok() {
            mint_into(console, cspace, slots::CONSOLE, Rights::ALL)?;
        }
        set_word(&p, control::CONSOLE_OFLAG, self.tty.oflag());
        set_word(&p, control::PID, pid);
        set_word(&p, control::PPID, ppid);
        set_word(&p, control::BOOT_EPOCH_NS, boot_epoch_ns());
        Ok(p)
    }

    /// Starts `/sbin/init` (pid 1) with `argv`.
    pub fn start_init(&mut self, argv: &[Vec<u8>]) -> Result<(), &'static str> {
        let mut p = self
            .create(1, 0)
            .map_err(|_| "cannot create the environment")?;
        let cspace = p.env + 1;
        // Init's private library OS pages, from the image.
        for (i, content) in self.image.private.iter().enumerate() {
            let f = self.pool.alloc().ok_or("out of slots")?;
            fill_frame(self.mem, f, content).map_err(|_| "out of memory")?;
            let dst = slots::FIRST_IMAGE + i as u32;
            mint_into(f, cspace, dst, Rights::ALL).map_err(|_| "cannot give a page")?;
            let _ = cap_delete(f);
            self.pool.free(f);
            map_into(
                p.env,
                dst,
                self.image.private_start + i as u64 * PAGE_SIZE,
                map_flags::WRITE | map_flags::TARGET_SLOT,
            )
            .map_err(|_| "cannot map a page")?;
        }
        set_word(&p, control::IMAGE_START, self.image.private_start);
        set_word(&p, control::IMAGE_PAGES, self.image.private.len() as u64);
        let env = [
            b"PATH=/bin:/sbin:/usr/bin".to_vec(),
            b"HOME=/".to_vec(),
            b"TERM=vt100".to_vec(),
        ];
        let mut data = Vec::new();
        for s in argv.iter().chain(env.iter()) {
            data.extend_from_slice(s);
            data.push(0);
        }
        if data.len() > DATA_BYTES {
            return Err("the init command line is too long");
        }
        scratch_write_bytes(p.mailbox_at + sysproto::DATA_OFFSET, &data);
        set_word(&p, control::ARGC, argv.len() as u64);
        set_word(&p, control::ENVC, env.len() as u64);
        p.cwd = String::new();
        // The library OS's entry moves to its own stack at once; the
        // kernel wants a valid user stack pointer to start with.
        let rsp = layout::MAILBOX + PAGE_SIZE;
        thread_start(p.env + 2, self.image.entry, rsp, 0).map_err(|_| "cannot start init")?;
        p.started = true;
        self.procs.insert(1, p);
        self.next_pid = 2;
        Ok(())
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
                let path = self.path_arg(pid, a[0]);
                if let Some(p) = self.procs.get_mut(&pid) {
                    p.exe = path;
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
            Op::Setsid => {
                let p = self.procs.get_mut(&pid).expect("caller exists");
                if p.pgid == pid {
                    return err(EPERM);
                }
                p.sid = pid;
                p.pgid = pid;
                ok(pid as i64)
            }
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
            Op::Quota => {
                let want = a[0].min(QUOTA_STEP_MAX);
                let thread = self.procs[&pid].env + 2;
                match exo_rt::quota_give(thread, want) {
                    Ok(()) => ok(want as i64),
                    Err(_) => err(ENOMEM),
                }
            }
        }
    }

    fn fork(&mut self, parent: u64) -> Msg {
        let pid = self.next_pid;
        let mut child = match self.create(pid, parent) {
            Ok(c) => c,
            Err(e) => return err(e),
        };
        let pp = &self.procs[&parent];
        let pcspace = pp.env + 1;
        child.pgid = pp.pgid;
        child.sid = pp.sid;
        child.cwd = pp.cwd.clone();
        child.exe = pp.exe.clone();
        child.handles = pp.handles.clone();
        // Lend the parent the child's address and capability spaces.
        let lent = mint_into(child.env, pcspace, slots::CHILD_ASPACE, Rights::ALL)
            .and_then(|()| mint_into(child.env + 1, pcspace, slots::CHILD_CSPACE, Rights::ALL));
        if let Err(e) = lent {
            self.discard(child);
            return err(e);
        }
        for o in child.handles.iter().flatten() {
            self.objs.add_ref(*o);
        }
        self.next_pid += 1;
        self.procs.insert(pid, child);
        ok(pid as i64)
    }

    fn fork_start(&mut self, parent: u64, a: [u64; 5]) -> Msg {
        let pid = a[0];
        let Some(c) = self.procs.get(&pid) else {
            return err(ESRCH);
        };
        if c.ppid != parent || c.started {
            return err(EINVAL);
        }
        if a[1] == 0 {
            // The parent gave up on the fork.
            let _ = exo_rt::syscall6(
                Syscall::EnvKill as u64,
                [u64::from(c.env + 2), 0, 0, 0, 0, 0],
            );
            return ok(0);
        }
        match thread_start(c.env + 2, a[1], a[2], a[3]) {
            Ok(()) => {
                if let Some(c) = self.procs.get_mut(&pid) {
                    c.started = true;
                }
                ok(0)
            }
            Err(_) => err(EINVAL),
        }
    }

    /// Releases a process that never ran.
    fn discard(&mut self, p: Proc) {
        let _ = exo_rt::syscall6(
            Syscall::EnvKill as u64,
            [u64::from(p.env + 2), 0, 0, 0, 0, 0],
        );
        self.release(p);
    }

    /// Frees the server's resources of an ended process.
    fn release(&mut self, p: Proc) {
        for s in p.mailbox.iter().filter(|s| **s != 0) {
            let _ = cap_delete(*s);
            self.pool.free(*s);
        }
        self.free_mailboxes.push(p.mailbox_at);
        if p.wake != 0 {
            let _ = cap_delete(p.wake);
            self.pool.free(p.wake);
        }
        for s in p.env..p.env + 3 {
            let _ = cap_delete(s);
        }
        let mut wake = Vec::new();
        for o in p.handles.iter().flatten() {
            wake.extend(self.objs.drop_ref(*o));
        }
        self.wake_all(&wake);
    }

    /// A death notice: environment `env_id` ended (`how`, `detail` as the
    /// kernel reports). `Some(code)` when the server itself must end.
    pub fn ended(&mut self, env_id: u64, how: u64, detail: u64) -> Option<i32> {
        let pid = self
            .procs
            .iter()
            .find(|(_, p)| p.env_id == env_id)
            .map(|(k, _)| *k)?;
        let mut p = self.procs.remove(&pid)?;
        let st = p.exit_status.unwrap_or_else(|| match how {
            0 => status::exited(detail as u8),
            abi::ipc::HOW_KILLED => status::signaled(detail as u8, false),
            v => {
                let sig = match v - 1 {
                    0 | 16 | 19 => 8,
                    6 => 4,
                    _ => 11,
                };
                status::signaled(sig, true)
            }
        });
        let ppid = p.ppid;
        let handles = core::mem::take(&mut p.handles);
        let mut wake = Vec::new();
        for o in handles.iter().flatten() {
            wake.extend(self.objs.drop_ref(*o));
        }
        self.wake_all(&wake);
        self.release(p);
        // Orphans go to init.
        let orphans: Vec<u64> = self
            .procs
            .iter()
            .filter(|(_, c)| c.ppid == pid)
            .map(|(k, _)| *k)
            .collect();
        let mut init_has_zombie = false;
        for o in orphans {
            if let Some(c) = self.procs.get_mut(&o) {
                c.ppid = 1;
                init_has_zombie |= c.zombie.is_some();
                set_word(c, control::PPID, 1);
            }
        }
        if init_has_zombie {
            self.post(1, 17, pid);
        }
        if pid == 1 {
            let code = status::shell_code(st);
            // The server ends with init's status; its processes end with
            // it, and with `shutdown` the kernel powers off with that code.
            println!("sysd: init ended with status {code}");
            return Some(i32::from(code));
        }
        // A zombie for the parent to collect.
        let ghost = Proc {
            ppid,
            pgid: 0,
            sid: 0,
            env_id: u64::MAX,
            env: 0,
            wake: 0,
            mailbox: [0; 5],
            mailbox_at: 0,
            handles: Vec::new(),
            cwd: String::new(),
            exe: Vec::new(),
            exit_status: None,
            zombie: Some(st),
            stop_event: None,
            started: true,
        };
        self.procs.insert(pid, ghost);
        self.post(ppid, 17, pid);
        None
    }

    fn wait(&mut self, pid: u64, sel: i64, options: u64) -> Msg {
        const WNOHANG: u64 = 1;
        const WUNTRACED: u64 = 2;
        const WCONTINUED: u64 = 8;
        let my_pgid = self.procs[&pid].pgid;
        let matches = |k: u64, c: &Proc| {
            c.ppid == pid
                && match sel {
                    -1 => true,
                    0 => c.pgid == my_pgid || c.zombie.is_some() && c.pgid == 0,
                    s if s > 0 => k == s as u64,
                    s => c.pgid == (-s) as u64,
                }
        };
        let mut any = false;
        let mut found = None;
        for (&k, c) in &self.procs {
            if !matches(k, c) {
                continue;
            }
            any = true;
            if let Some(st) = c.zombie {
                found = Some((k, st, true));
                break;
            }
            if let Some(ev) = c.stop_event {
                let wanted = if ev == status::CONTINUED {
                    options & WCONTINUED != 0
                } else {
                    options & WUNTRACED != 0
                };
                if wanted {
                    found = Some((k, ev, false));
                    break;
                }
            }
        }
        match found {
            Some((k, st, reap)) => {
                if reap {
                    self.procs.remove(&k);
                } else if let Some(c) = self.procs.get_mut(&k) {
                    c.stop_event = None;
                }
                [k, st, 0, 0, 0, 0]
            }
            None if !any => err(ECHILD),
            None if options & WNOHANG != 0 => ok(0),
            None => ok(WOULD_BLOCK),
        }
    }

    fn kill(&mut self, from: u64, sel: i64, sig: u64) -> Msg {
        if sig > 64 {
            return err(EINVAL);
        }
        let my_pgid = self.procs[&from].pgid;
        let targets: Vec<u64> = self
            .procs
            .iter()
            .filter(|(_, p)| p.zombie.is_none())
            .filter(|(&k, p)| match sel {
                -1 => k != 1 && k != from,
                0 => p.pgid == my_pgid,
                s if s > 0 => k == s as u64,
                s => p.pgid == (-s) as u64,
            })
            .map(|(k, _)| *k)
            .collect();
        if targets.is_empty() {
            return err(ESRCH);
        }
        if sig != 0 {
            for t in targets {
                self.signal(t, sig, from);
            }
        }
        ok(0)
    }

    /// Delivers `sig` from process `from` to process `pid`.
    fn signal(&mut self, pid: u64, sig: u64, from: u64) {
        if sig == 9 {
            if let Some(p) = self.procs.get_mut(&pid) {
                p.exit_status = Some(status::signaled(9, false));
                let thread = p.env + 2;
                let _ =
                    exo_rt::syscall6(Syscall::EnvKill as u64, [u64::from(thread), 9, 0, 0, 0, 0]);
            }
            return;
        }
        if sig == 18 {
            if let Some(p) = self.procs.get_mut(&pid) {
                if p.stop_event.is_some_and(|e| e != status::CONTINUED) {
                    p.stop_event = Some(status::CONTINUED);
                }
            }
        }
        self.post(pid, sig, from);
    }

    /// Sets the signal's bit (and its sender) in the process's mailbox and
    /// wakes it.
    fn post(&mut self, pid: u64, sig: u64, from: u64) {
        let Some(p) = self.procs.get(&pid) else {
            return;
        };
        if p.zombie.is_some() || p.mailbox_at == 0 {
            return;
        }
        set_word(p, control::SENDERS + sig as usize - 1, from);
        let w = get_word(p, control::PENDING_SIGNALS) | 1 << (sig - 1);
        set_word(p, control::PENDING_SIGNALS, w);
        let _ = signal(p.wake, 1);
    }

    fn stopped(&mut self, pid: u64, stopped: bool, sig: u64) -> Msg {
        let ppid = {
            let Some(p) = self.procs.get_mut(&pid) else {
                return err(ESRCH);
            };
            p.stop_event = Some(if stopped {
                status::stopped(sig as u8)
            } else {
                status::CONTINUED
            });
            p.ppid
        };
        self.post(ppid, 17, pid);
        ok(0)
    }

    fn setpgid(&mut self, pid: u64, who: u64, pgid: u64) -> Msg {
        let who = if who == 0 { pid } else { who };
        let pgid = if pgid == 0 { who } else { pgid };
        let Some(p) = self.procs.get_mut(&who) else {
            return err(ESRCH);
        };
        if who != pid && p.ppid != pid {
            return err(ESRCH);
        }
        p.pgid = pgid;
        ok(0)
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

    // ---- handles and data -------------------------------------------------

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

    fn close(&mut self, pid: u64, h: u64) -> Msg {
        let Ok(o) = self.obj_of(pid, h) else {
            return err(EBADF);
        };
        if let Some(p) = self.procs.get_mut(&pid) {
            p.handles[h as usize] = None;
        }
        let w = self.objs.drop_ref(o);
        self.wake_all(&w);
        ok(0)
    }

    fn put_data(&self, pid: u64, bytes: &[u8]) {
        let p = &self.procs[&pid];
        let n = bytes.len().min(DATA_BYTES);
        scratch_write_bytes(p.mailbox_at + sysproto::DATA_OFFSET, &bytes[..n]);
    }

    fn get_data(&self, pid: u64, len: u64) -> Vec<u8> {
        let p = &self.procs[&pid];
        let mut v = alloc::vec![0u8; (len as usize).min(DATA_BYTES)];
        scratch_read_bytes(p.mailbox_at + sysproto::DATA_OFFSET, &mut v);
        v
    }

    fn path_arg(&self, pid: u64, len: u64) -> Vec<u8> {
        self.get_data(pid, len.min(4096))
    }

    // ---- files ---------------------------------------------------------------

    /// Resolves a path of `pid`, relative to its directory or to the
    /// directory handle `dir`.
    fn resolve(&self, pid: u64, path: &[u8], dir: u64, follow: bool) -> Result<usize, i64> {
        let base = if dir != NO_HANDLE && path.first() != Some(&b'/') {
            match self.obj_of(pid, dir).ok().and_then(|o| self.objs.get(o)) {
                Some(o) => match o.kind {
                    Kind::Dir { node } => self.vfs.nodes[node].path.clone(),
                    _ => return Err(ENOTDIR),
                },
                None => return Err(EBADF),
            }
        } else {
            self.procs[&pid].cwd.clone()
        };
        self.vfs.resolve(&base, path, follow)
    }

    fn open(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let path = self.path_arg(pid, a[0]);
        let flags = a[1];
        let writing = flags & 3 != 0 || flags & 0o1000 != 0;
        let node = match self.resolve(pid, &path, a[2], flags & 0o400000 == 0) {
            Ok(n) => n,
            Err(ENOENT) if flags & 0o100 != 0 => return err(EROFS),
            Err(e) => return err(e),
        };
        let n = &self.vfs.nodes[node];
        let kind = match n.body {
            Body::Device(k) => match k {
                kind::NULL => Kind::Null,
                kind::ZERO => Kind::Zero,
                _ => Kind::Console,
            },
            Body::Data { .. } if n.is_dir() => {
                if writing {
                    return err(EISDIR);
                }
                Kind::Dir { node }
            }
            Body::Data { .. } => {
                if writing {
                    return err(EROFS);
                }
                if n.mode & S_IFMT != S_IFREG && n.mode & S_IFMT != 0o120000 {
                    return err(EACCES);
                }
                Kind::File { node }
            }
        };
        let k = match kind {
            Kind::File { .. } => kind::FILE,
            Kind::Dir { .. } => kind::DIR,
            Kind::Console => kind::CONSOLE,
            Kind::Null => kind::NULL,
            Kind::Zero => kind::ZERO,
            _ => kind::FILE,
        };
        let o = self.objs.open(kind);
        let h = self.add_handle(pid, o);
        [h as u64, k, 0, 0, 0, 0]
    }

    fn read(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let (h, len, at) = (a[0], (a[1] as usize).min(DATA_BYTES), a[2]);
        let o = match self.obj_of(pid, h) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        let Some(obj) = self.objs.get(o) else {
            return err(EBADF);
        };
        match obj.kind {
            Kind::File { node } => {
                let pos = if at == u64::MAX { obj.pos } else { at };
                let mut buf = alloc::vec![0u8; len];
                let n = self.vfs.nodes[node].read(pos, &mut buf);
                self.put_data(pid, &buf[..n]);
                if at == u64::MAX {
                    if let Some(obj) = self.objs.get_mut(o) {
                        obj.pos = pos + n as u64;
                    }
                }
                ok(n as i64)
            }
            Kind::Dir { .. } => err(EISDIR),
            Kind::Null => ok(0),
            Kind::Zero => {
                self.put_data(pid, &alloc::vec![0u8; len]);
                ok(len as i64)
            }
            Kind::Console => match self.tty.take(len) {
                Some(bytes) => {
                    self.put_data(pid, &bytes);
                    ok(bytes.len() as i64)
                }
                None => {
                    if !self.tty.waiters.contains(&pid) {
                        self.tty.waiters.push(pid);
                    }
                    ok(WOULD_BLOCK)
                }
            },
            Kind::PipeWrite(_) => err(EBADF),
            Kind::PipeRead(pi) => {
                let Some(pipe) = self.objs.pipe_mut(pi) else {
                    return ok(0);
                };
                if pipe.buf.is_empty() {
                    if pipe.writers == 0 {
                        return ok(0);
                    }
                    if !pipe.waiters.contains(&pid) {
                        pipe.waiters.push(pid);
                    }
                    return ok(WOULD_BLOCK);
                }
                let n = len.min(pipe.buf.len());
                let bytes: Vec<u8> = pipe.buf.drain(..n).collect();
                let woken = core::mem::take(&mut pipe.waiters);
                self.put_data(pid, &bytes);
                self.wake_all(&woken);
                ok(n as i64)
            }
        }
    }

    fn write(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let (h, len) = (a[0], (a[1] as usize).min(DATA_BYTES));
        let o = match self.obj_of(pid, h) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        let Some(obj) = self.objs.get(o) else {
            return err(EBADF);
        };
        match obj.kind {
            Kind::Null | Kind::Zero => ok(len as i64),
            Kind::Console => {
                let bytes = self.get_data(pid, len as u64);
                let _ = exo_rt::debug_write(&bytes);
                ok(len as i64)
            }
            Kind::PipeWrite(pi) => {
                let data = self.get_data(pid, len as u64);
                let Some(pipe) = self.objs.pipe_mut(pi) else {
                    return err(EPIPE);
                };
                if pipe.readers == 0 {
                    return err(EPIPE);
                }
                let room = PIPE_CAPACITY - pipe.buf.len();
                // Writes of up to a page are atomic: all or wait.
                if room == 0 || (len <= 4096 && room < len) {
                    if !pipe.waiters.contains(&pid) {
                        pipe.waiters.push(pid);
                    }
                    return ok(WOULD_BLOCK);
                }
                let n = room.min(len);
                pipe.buf.extend(&data[..n]);
                let woken = core::mem::take(&mut pipe.waiters);
                self.wake_all(&woken);
                ok(n as i64)
            }
            _ => err(EBADF),
        }
    }

    fn node_stat(&self, node: usize) -> Stat {
        let n = &self.vfs.nodes[node];
        Stat {
            dev: 1,
            ino: node as u64 + 1,
            mode: u64::from(n.mode),
            nlink: if n.is_dir() { 2 } else { 1 },
            size: n.len(),
            rdev: match n.body {
                Body::Device(kind::NULL) => 0x103,
                Body::Device(kind::ZERO) => 0x105,
                Body::Device(_) => 0x501,
                _ => 0,
            },
            mtime_ns: n.mtime * 1_000_000_000,
        }
    }

    fn put_stat(&self, pid: u64, s: &Stat) {
        let bytes: Vec<u8> = s.to_words().iter().flat_map(|w| w.to_le_bytes()).collect();
        self.put_data(pid, &bytes);
    }

    fn fstat(&mut self, pid: u64, h: u64) -> Msg {
        let o = match self.obj_of(pid, h) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        let s = match self.objs.get(o).map(|o| o.kind) {
            Some(Kind::File { node } | Kind::Dir { node }) => self.node_stat(node),
            Some(Kind::PipeRead(_) | Kind::PipeWrite(_)) => Stat {
                dev: 2,
                ino: o as u64 + 1,
                mode: 0o010600,
                nlink: 1,
                ..Stat::default()
            },
            Some(Kind::Null) => Stat {
                dev: 3,
                mode: 0o020666,
                rdev: 0x103,
                nlink: 1,
                ..Stat::default()
            },
            Some(Kind::Zero) => Stat {
                dev: 3,
                mode: 0o020666,
                rdev: 0x105,
                nlink: 1,
                ..Stat::default()
            },
            Some(Kind::Console) => Stat {
                dev: 3,
                mode: 0o020620,
                rdev: 0x501,
                nlink: 1,
                ..Stat::default()
            },
            None => return err(EBADF),
        };
        self.put_stat(pid, &s);
        ok(0)
    }

    fn stat(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let path = self.path_arg(pid, a[0]);
        match self.resolve(pid, &path, NO_HANDLE, a[1] == 0) {
            Ok(node) => {
                let s = self.node_stat(node);
                self.put_stat(pid, &s);
                ok(0)
            }
            Err(e) => err(e),
        }
    }

    fn getdents(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let o = match self.obj_of(pid, a[0]) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        let Some(obj) = self.objs.get(o) else {
            return err(EBADF);
        };
        let Kind::Dir { node } = obj.kind else {
            return err(ENOTDIR);
        };
        let room = (a[1] as usize).min(DATA_BYTES);
        let start = obj.pos as usize;
        let mut out: Vec<u8> = Vec::new();
        let mut taken = 0;
        let parent = {
            let p = &self.vfs.nodes[node].path;
            let pp = p.rfind('/').map_or("", |i| &p[..i]);
            self.vfs.find_exact(pp).unwrap_or(0)
        };
        let mut entries: Vec<(u64, u8, Vec<u8>)> = alloc::vec![
            (node as u64 + 1, 4, b".".to_vec()),
            (parent as u64 + 1, 4, b"..".to_vec()),
        ];
        for (i, n) in self.vfs.children(node) {
            let name = n.path.rsplit('/').next().unwrap_or("").as_bytes().to_vec();
            let t = match n.mode & S_IFMT {
                0o040000 => 4,
                0o120000 => 10,
                0o020000 => 2,
                _ => 8,
            };
            entries.push((i as u64 + 1, t, name));
        }
        for (k, (ino, t, name)) in entries.iter().enumerate().skip(start) {
            let reclen = (19 + name.len() + 1).div_ceil(8) * 8;
            if out.len() + reclen > room {
                break;
            }
            let mut rec = alloc::vec![0u8; reclen];
            rec[0..8].copy_from_slice(&ino.to_le_bytes());
            rec[8..16].copy_from_slice(&((k + 1) as u64).to_le_bytes());
            rec[16..18].copy_from_slice(&(reclen as u16).to_le_bytes());
            rec[18] = *t;
            rec[19..19 + name.len()].copy_from_slice(name);
            out.extend_from_slice(&rec);
            taken += 1;
        }
        if taken == 0 && start < entries.len() {
            return err(EINVAL);
        }
        if let Some(obj) = self.objs.get_mut(o) {
            obj.pos += taken as u64;
        }
        self.put_data(pid, &out);
        ok(out.len() as i64)
    }

    fn seek(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let o = match self.obj_of(pid, a[0]) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        let size = match self.objs.get(o).map(|o| o.kind) {
            Some(Kind::File { node }) => self.vfs.nodes[node].len(),
            Some(Kind::Dir { .. }) => 0,
            _ => return err(29),
        };
        let Some(obj) = self.objs.get_mut(o) else {
            return err(EBADF);
        };
        let base = match a[2] {
            0 => 0i64,
            1 => obj.pos as i64,
            2 => size as i64,
            _ => return err(EINVAL),
        };
        let new = base.checked_add(a[1] as i64).filter(|v| *v >= 0);
        match new {
            Some(v) => {
                obj.pos = v as u64;
                ok(v)
            }
            None => err(EINVAL),
        }
    }

    fn pipe(&mut self, pid: u64) -> Msg {
        let p = self.objs.new_pipe();
        let r = self.objs.open(Kind::PipeRead(p));
        let w = self.objs.open(Kind::PipeWrite(p));
        let hr = self.add_handle(pid, r);
        let hw = self.add_handle(pid, w);
        [hr as u64, hw as u64, 0, 0, 0, 0]
    }

    fn readlink(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        // With no path and a directory handle: that directory's path.
        if a[0] == 0 && a[1] != NO_HANDLE {
            return match self.obj_of(pid, a[1]).ok().and_then(|o| self.objs.get(o)) {
                Some(o) => match o.kind {
                    Kind::Dir { node } | Kind::File { node } => {
                        let p = alloc::format!("/{}", self.vfs.nodes[node].path);
                        self.put_data(pid, p.as_bytes());
                        ok(p.len() as i64)
                    }
                    _ => err(EINVAL),
                },
                None => err(EBADF),
            };
        }
        let path = self.path_arg(pid, a[0]);
        let node = match self.resolve(pid, &path, NO_HANDLE, false) {
            Ok(n) => n,
            Err(e) => return err(e),
        };
        let n = &self.vfs.nodes[node];
        if n.mode & S_IFMT != 0o120000 {
            return err(EINVAL);
        }
        let mut t = alloc::vec![0u8; n.len() as usize];
        n.read(0, &mut t);
        self.put_data(pid, &t);
        ok(t.len() as i64)
    }

    fn access(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let path = self.path_arg(pid, a[0]);
        let node = match self.resolve(pid, &path, NO_HANDLE, true) {
            Ok(n) => n,
            Err(e) => return err(e),
        };
        let n = &self.vfs.nodes[node];
        if a[1] & 2 != 0 && !matches!(n.body, Body::Device(_)) {
            return err(EROFS);
        }
        if a[1] & 1 != 0 && n.mode & 0o111 == 0 {
            return err(EACCES);
        }
        ok(0)
    }

    fn chdir(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let path = self.path_arg(pid, a[0]);
        match self.resolve(pid, &path, NO_HANDLE, true) {
            Ok(node) if self.vfs.nodes[node].is_dir() => {
                let p = self.vfs.nodes[node].path.clone();
                if let Some(pr) = self.procs.get_mut(&pid) {
                    pr.cwd = p;
                }
                ok(0)
            }
            Ok(_) => err(ENOTDIR),
            Err(e) => err(e),
        }
    }

    fn ioctl(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let o = match self.obj_of(pid, a[0]) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        if self.objs.get(o).map(|o| o.kind) != Some(Kind::Console) {
            return err(ENOTTY);
        }
        match a[1] {
            0x5401 => {
                let t = self.tty.termios;
                self.put_data(pid, &t);
                ok(0)
            }
            0x5402..=0x5404 => {
                let d = self.get_data(pid, 36);
                self.tty.termios.copy_from_slice(&d[..36]);
                let oflag = self.tty.oflag();
                for p in self.procs.values().filter(|p| p.mailbox_at != 0) {
                    set_word(p, control::CONSOLE_OFLAG, oflag);
                }
                ok(0)
            }
            0x5413 => {
                let mut w = [0u8; 8];
                w[0..2].copy_from_slice(&24u16.to_le_bytes());
                w[2..4].copy_from_slice(&80u16.to_le_bytes());
                self.put_data(pid, &w);
                ok(0)
            }
            0x5414 | 0x540e => ok(0), // TIOCSWINSZ, TIOCSCTTY
            0x540f => {
                let g = (self.tty.pgrp as u32).to_le_bytes();
                self.put_data(pid, &g);
                ok(0)
            }
            0x5410 => {
                let d = self.get_data(pid, 4);
                self.tty.pgrp = u64::from(u32::from_le_bytes([d[0], d[1], d[2], d[3]]));
                ok(0)
            }
            0x541b => {
                let n = (self.tty.ready.len() as u32).to_le_bytes();
                self.put_data(pid, &n);
                ok(0)
            }
            _ => err(EINVAL),
        }
    }

    /// A message from the console reader.
    pub fn console_request(&mut self, msg: Msg) -> Msg {
        if msg[0] == super::console::HELLO {
            self.tty.live = true;
            return ok(0);
        }
        let n = (msg[1] as usize).min(32);
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate().take(n) {
            *b = (msg[2 + i / 8] >> ((i % 8) * 8)) as u8;
        }
        let signals = self.tty.input(&bytes[..n]);
        let fg = self.tty.pgrp;
        for sig in signals {
            let members: Vec<u64> = self
                .procs
                .iter()
                .filter(|(_, p)| p.zombie.is_none() && p.pgid == fg)
                .map(|(k, _)| *k)
                .collect();
            for m in members {
                self.signal(m, sig, 0);
            }
        }
        let w = core::mem::take(&mut self.tty.waiters);
        self.wake_all(&w);
        ok(0)
    }

    fn poll(&mut self, pid: u64, h: u64, register: bool) -> Msg {
        let o = match self.obj_of(pid, h) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        let Some(kind) = self.objs.get(o).map(|o| o.kind) else {
            return err(EBADF);
        };
        let (r, n) = match kind {
            Kind::PipeRead(p) | Kind::PipeWrite(p) => {
                let Some(pipe) = self.objs.pipe_mut(p) else {
                    return ok(0);
                };
                let mut r = 0;
                if let Kind::PipeRead(_) = kind {
                    if !pipe.buf.is_empty() {
                        r |= ready::IN;
                    }
                    if pipe.writers == 0 {
                        r |= ready::HUP;
                    }
                } else {
                    if pipe.buf.len() < PIPE_CAPACITY {
                        r |= ready::OUT;
                    }
                    if pipe.readers == 0 {
                        r |= ready::ERR;
                    }
                }
                let n = pipe.buf.len();
                if register && !pipe.waiters.contains(&pid) {
                    pipe.waiters.push(pid);
                }
                (r, n)
            }
            Kind::Console => {
                let r = if self.tty.ready.is_empty() && self.tty.eofs == 0 && self.tty.live {
                    ready::OUT
                } else {
                    ready::IN | ready::OUT
                };
                if register && r & ready::IN == 0 && !self.tty.waiters.contains(&pid) {
                    self.tty.waiters.push(pid);
                }
                (r, self.tty.ready.len())
            }
            _ => (ready::IN | ready::OUT, 0),
        };
        [r, n as u64, 0, 0, 0, 0]
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

fn set_word(p: &Proc, i: usize, v: u64) {
    scratch_write_bytes(p.mailbox_at + i as u64 * 8, &v.to_le_bytes());
}

fn get_word(p: &Proc, i: usize) -> u64 {
    let mut b = [0u8; 8];
    scratch_read_bytes(p.mailbox_at + i as u64 * 8, &mut b);
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
