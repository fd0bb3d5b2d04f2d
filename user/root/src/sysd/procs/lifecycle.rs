//! Processes: creating their environments (init and fork children),
//! starting them, their end (death notices, zombies, orphans to init),
//! `wait`, signals between processes, process groups.

use alloc::vec::Vec;

use super::*;

impl Server {
    /// Creates the environment of process `pid` with the library OS's
    /// shared pages and a mailbox, not started.
    pub(super) fn create(&mut self, pid: u64, ppid: u64) -> Result<Proc, i64> {
        if !super::memory::can_give(PROCESS_QUOTA) {
            return Err(ENOMEM);
        }
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
            quota: PROCESS_QUOTA,
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

    pub(super) fn fork(&mut self, parent: u64) -> Msg {
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

    pub(super) fn fork_start(&mut self, parent: u64, a: [u64; 5]) -> Msg {
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
    pub(super) fn discard(&mut self, p: Proc) {
        let _ = exo_rt::syscall6(
            Syscall::EnvKill as u64,
            [u64::from(p.env + 2), 0, 0, 0, 0, 0],
        );
        self.release(p);
    }

    /// Frees the server's resources of an ended process.
    pub(super) fn release(&mut self, p: Proc) {
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
            quota: 0,
        };
        self.procs.insert(pid, ghost);
        self.post(ppid, 17, pid);
        None
    }

    pub(super) fn wait(&mut self, pid: u64, sel: i64, options: u64) -> Msg {
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

    pub(super) fn kill(&mut self, from: u64, sel: i64, sig: u64) -> Msg {
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
    pub(super) fn signal(&mut self, pid: u64, sig: u64, from: u64) {
        // Init takes only signals it handles (its library OS drops the
        // rest); SIGKILL cannot be handled, so init never gets it.
        if sig == 9 && pid == 1 {
            return;
        }
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
    pub(super) fn post(&mut self, pid: u64, sig: u64, from: u64) {
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

    pub(super) fn stopped(&mut self, pid: u64, stopped: bool, sig: u64) -> Msg {
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

    pub(super) fn setpgid(&mut self, pid: u64, who: u64, pgid: u64) -> Msg {
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
}
