//! Processes: creating their environments (init and fork children),
//! starting them, their end (death notices, zombies, orphans to init,
//! what a dead process leaves behind), and `wait`.

use alloc::vec::Vec;

use exo_rt::ipc::env_create_sized;

use super::*;

impl Server {
    /// Creates the environment of process `pid` with the library OS's
    /// shared pages and a mailbox, not started.
    pub(super) fn create(&mut self, pid: u64, ppid: u64) -> Result<Proc, Errno> {
        if !super::memory::can_give(PROCESS_QUOTA) {
            return Err(ENOMEM);
        }
        let env = self.pool.alloc3().ok_or(ENOMEM)?;
        let Some(badged) = self.pool.alloc() else {
            self.pool.free3(env);
            return Err(ENOMEM);
        };
        let rights = Rights::EXECUTE | Rights::GRANT | Rights::DERIVE;
        cap_mint(self.ep, badged, rights, pid).map_err(|_| ENOMEM)?;
        let made = env_create_sized(self.mem, env, Some(badged), Some(self.ep), slots::COUNT);
        let _ = cap_delete(badged);
        self.pool.free(badged);
        let Ok(made) = made else {
            self.pool.free3(env);
            return Err(ENOMEM);
        };
        let mut p = Proc {
            quota: PROCESS_QUOTA,
            ..Proc::new(ppid, u64::from(made.id), env)
        };
        match self.furnish(&mut p, pid, ppid) {
            Ok(()) => Ok(p),
            Err(e) => {
                // Nothing of a half-made process stays: its environment
                // (never started) and everything the server took for it.
                self.discard(p);
                Err(e)
            }
        }
    }

    /// Gives the new environment of `p` its quota, memory, wake-up
    /// notification, mailbox and the library OS's shared pages.
    fn furnish(&mut self, p: &mut Proc, pid: u64, ppid: u64) -> Result<(), Errno> {
        let (aspace, cspace, thread) = (p.env, p.env + 1, p.env + 2);
        let fail = |_| ENOMEM;
        exo_rt::quota_give(thread, PROCESS_QUOTA).map_err(fail)?;
        mint_into(self.mem, cspace, slots::MEMORY, Rights::ALL)?;
        p.wake = self.pool.alloc().ok_or(ENOMEM)?;
        notification_create(self.mem, p.wake).map_err(fail)?;
        mint_into(p.wake, cspace, slots::WAKE, Rights::ALL)?;
        let at = self.free_mailboxes.pop().unwrap_or_else(|| {
            self.next_mailbox += 1;
            MAILBOXES + (self.next_mailbox - 1) * MAILBOX_FRAMES as u64 * PAGE_SIZE
        });
        p.mailbox_at = Some(at);
        // The completion area's pages come with the first deferred read.
        for i in 0..sysproto::MAILBOX_PAGES {
            p.mailbox[i as usize] = self.mailbox_page(aspace, at, i)?;
        }
        for &(va, slot, flags) in &self.image.shared {
            map_into(aspace, slot, va, flags).map_err(fail)?;
        }
        // The console's ports: programs write the terminal themselves.
        let console = abi::root_slots::CONSOLE_PORTS;
        if exo_rt::cap_identify(console).is_ok() {
            mint_into(console, cspace, slots::CONSOLE, Rights::ALL)?;
        }
        set_word(p, control::CONSOLE_OFLAG, self.tty.oflag());
        set_word(p, control::PID, pid);
        set_word(p, control::PPID, ppid);
        set_word(p, control::BOOT_EPOCH_NS, boot_epoch_ns());
        p.publish_ids();
        Ok(())
    }

    /// Page `i` of a mailbox and completion area (mapped by the server at
    /// `at`) for the environment whose address space is in `aspace` (its
    /// capability space after it): a new frame mapped on both sides; its
    /// slot.
    fn mailbox_page(&mut self, aspace: Slot, at: u64, i: u64) -> Result<Slot, Errno> {
        let f = self.pool.alloc().ok_or(ENOMEM)?;
        let dst = if i < sysproto::MAILBOX_PAGES {
            slots::MAILBOX + i as u32
        } else {
            slots::COMPLETION + (i - sysproto::MAILBOX_PAGES) as u32
        };
        let flags = map_flags::WRITE | map_flags::TARGET_SLOT;
        let made = frame_alloc(self.mem, f, None)
            .and_then(|_| map(f, at + i * PAGE_SIZE, map_flags::WRITE))
            .map_err(|_| ENOMEM)
            .and_then(|()| mint_into(f, aspace + 1, dst, Rights::ALL))
            .and_then(|()| {
                map_into(aspace, dst, layout::MAILBOX + i * PAGE_SIZE, flags).map_err(|_| ENOMEM)
            });
        match made {
            Ok(()) => Ok(f),
            Err(e) => {
                let _ = cap_delete(f);
                self.pool.free(f);
                Err(e)
            }
        }
    }

    /// Whether `pid` has its completion area, making it if not (false if
    /// that fails: its reads are then asked again instead of deferred).
    pub(super) fn completion_area(&mut self, pid: u64) -> bool {
        let Some(p) = self.procs.get(&pid) else {
            return false;
        };
        let (Some(at), aspace) = (p.mailbox_at, p.env) else {
            return false;
        };
        if p.mailbox[sysproto::MAILBOX_PAGES as usize..]
            .iter()
            .all(|&f| f != 0)
        {
            return true;
        }
        for i in sysproto::MAILBOX_PAGES as usize..MAILBOX_FRAMES {
            if self.procs[&pid].mailbox[i] != 0 {
                continue;
            }
            let Ok(f) = self.mailbox_page(aspace, at, i as u64) else {
                return false;
            };
            if let Some(p) = self.procs.get_mut(&pid) {
                p.mailbox[i] = f;
            }
        }
        true
    }

    /// Starts `/sbin/init` (pid 1) with `argv` and the environment `env`.
    pub fn start_init(&mut self, argv: &[Vec<u8>], env: &[Vec<u8>]) -> Result<(), &'static str> {
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
        let mut data = Vec::new();
        for s in argv.iter().chain(env.iter()) {
            data.extend_from_slice(s);
            data.push(0);
        }
        if data.len() > DATA_BYTES {
            return Err("the init command line is too long");
        }
        let at = p.mailbox_at.ok_or("no mailbox")?;
        scratch_write_bytes(at + sysproto::DATA_OFFSET, &data);
        set_word(&p, control::ARGC, argv.len() as u64);
        set_word(&p, control::ENVC, env.len() as u64);
        p.cwd = self.fs.root();
        p.root = self.fs.root();
        self.hold_dir(p.cwd);
        // The library OS's entry moves to its own stack at once; the
        // kernel wants a valid user stack pointer to start with.
        let rsp = layout::MAILBOX + PAGE_SIZE;
        thread_start(p.env + 2, self.image.entry, rsp, 0).map_err(|_| "cannot start init")?;
        p.started = true;
        self.procs.insert(1, p);
        self.next_pid = 2;
        self.publish_job_words();
        Ok(())
    }

    pub(super) fn fork(&mut self, parent: u64) -> Result<u64, Errno> {
        // A process forks one child at a time (its library OS starts or
        // abandons each before the next): a child still unstarted from an
        // earlier `Fork` was abandoned, and goes now.
        self.discard_unstarted(parent);
        let pid = self.next_pid;
        let mut child = self.create(pid, parent)?;
        let pp = &self.procs[&parent];
        let pcspace = pp.env + 1;
        child.pgid = pp.pgid;
        child.sid = pp.sid;
        child.cwd = pp.cwd;
        child.root = pp.root;
        child.cred = pp.cred.clone();
        child.creds = pp.creds.clone();
        child.publish_ids();
        child.exe = pp.exe.clone();
        (child.cmdline, child.environ) = (pp.cmdline.clone(), pp.environ.clone());
        child.maps = pp.maps.clone();
        child.comm = pp.comm.clone();
        child.fd_table = pp.fd_table.clone();
        child.handles = pp.handles.clone();
        self.hold_dir(child.cwd);
        // Lend the parent the child's address and capability spaces.
        let lent = mint_into(child.env, pcspace, slots::CHILD_ASPACE, Rights::ALL)
            .and_then(|()| mint_into(child.env + 1, pcspace, slots::CHILD_CSPACE, Rights::ALL));
        if let Err(e) = lent {
            self.discard(child);
            return Err(e);
        }
        for o in child.handles.iter().flatten() {
            self.objs.add_ref(*o);
        }
        self.next_pid += 1;
        self.procs.insert(pid, child);
        self.publish_job_words();
        Ok(pid)
    }

    pub(super) fn fork_start(&mut self, parent: u64, r: sys::ForkStart) -> Result<(), Errno> {
        let pid = r.child;
        let c = self.procs.get(&pid).ok_or(ESRCH)?;
        if c.ppid != parent || c.started {
            return Err(EINVAL);
        }
        if r.rip == 0 {
            // The parent gave up on the fork: the child goes at once.
            if let Some(c) = self.procs.remove(&pid) {
                self.discard(c);
            }
            return Ok(());
        }
        thread_start(c.env + 2, r.rip, r.rsp, r.rdi).map_err(|_| EINVAL)?;
        if let Some(c) = self.procs.get_mut(&pid) {
            c.started = true;
        }
        self.shm_forked(parent, pid);
        Ok(())
    }

    /// Releases a process that never ran (its death notice, if the kernel
    /// sends one, then names no process).
    pub(super) fn discard(&mut self, p: Proc) {
        let _ = exo_rt::env_kill(p.env + 2, 0);
        self.release(p);
    }

    /// Discards the children `parent` made with `Fork` and never started.
    fn discard_unstarted(&mut self, parent: u64) {
        let unstarted: Vec<u64> = self
            .procs
            .iter()
            .filter(|(_, c)| c.ppid == parent && !c.started)
            .map(|(k, _)| *k)
            .collect();
        for c in unstarted {
            if let Some(c) = self.procs.remove(&c) {
                self.discard(c);
            }
        }
    }

    /// Frees the server's resources of an ended process: its mailbox,
    /// notification, environment slots and open files.
    pub(super) fn release(&mut self, p: Proc) {
        for s in p.mailbox.iter().filter(|s| **s != 0) {
            let _ = cap_delete(*s);
            self.pool.free(*s);
        }
        if let Some(at) = p.mailbox_at {
            self.free_mailboxes.push(at);
        }
        if p.wake != 0 {
            let _ = cap_delete(p.wake);
            self.pool.free(p.wake);
        }
        for s in p.env..p.env + 3 {
            let _ = cap_delete(s);
        }
        self.pool.free3(p.env);
        for o in p.handles.iter().flatten() {
            self.drop_obj(*o);
        }
        self.release_dir(p.cwd);
    }

    /// Forgets `pid` wherever it waited (pipes, the console, its deferred
    /// requests).
    fn forget_waiter(&mut self, pid: u64) {
        self.deferred.retain(|w| w.pid != pid);
        self.tty.waiters.retain(|w| *w != pid);
        for pipe in self.objs.pipes.iter_mut().flatten() {
            pipe.waiters.retain(|w| *w != pid);
            for o in pipe.opening.iter_mut() {
                o.retain(|w| *w != pid);
            }
        }
    }

    /// A death notice: environment `env_id` ended (`how`, `detail` as the
    /// kernel reports). `Some(code)` when the server itself must end.
    pub fn ended(&mut self, env_id: u64, how: u64, detail: u64, times: (u64, u64)) -> Option<i32> {
        let pid = self
            .procs
            .iter()
            .find(|(_, p)| p.env_id == env_id && p.mailbox_at.is_some())
            .map(|(k, _)| *k)?;
        let p = self.procs.remove(&pid)?;
        let st = p.exit_status.unwrap_or_else(|| match how {
            0 => status::exited(detail as u8),
            abi::ipc::HOW_KILLED => status::signaled(detail as u8, false),
            v => {
                let sig = match v - 1 {
                    0 | 16 | 19 => 8,
                    6 => 4,
                    _ => 11,
                };
                status::signaled(sig, false)
            }
        });
        let (ppid, pgid, sid, child_times) = (p.ppid, p.pgid, p.sid, p.child_times);
        self.release(p);
        self.window_ended(pid);
        self.locks_exited(pid);
        self.forget_waiter(pid);
        self.ipc_ended(pid);
        // Children it was still forking never ran: they go with it.
        self.discard_unstarted(pid);
        if pid == 1 {
            let code = status::shell_code(st);
            // The server ends with init's status; its processes end with
            // it, and with `shutdown` the kernel powers off with that code.
            println!("sysd: init ended with status {code}");
            return Some(i32::from(code));
        }
        self.reparent_children(pid, pgid, sid);
        self.orphan_check_own_group(ppid, pgid, sid);
        if sid == pid && self.tty.session == sid {
            self.controlling_process_gone();
        }
        self.publish_job_words();
        // A zombie for the parent to collect, unless it reaps nothing.
        let (code, value) = match st & 0x7f {
            0 => (sysproto::si::CLD_EXITED, (st >> 8) & 0xff),
            s if st & 0x80 != 0 => (sysproto::si::CLD_DUMPED, s),
            s => (sysproto::si::CLD_KILLED, s),
        };
        let flags = self
            .procs
            .get(&ppid)
            .map_or(0, |pp| get_word(pp, control::CHLD_FLAGS));
        if flags & control::CHLD_NOCLDWAIT == 0 {
            self.procs
                .insert(pid, Proc::zombie(ppid, pgid, sid, st, [times, child_times]));
        }
        if flags & control::CHLD_IGNORED == 0 {
            self.post(ppid, SIGCHLD, pid, code, value);
        }
        // A parent blocked in `wait` looks again (and may see ECHILD).
        self.children_changed = true;
        self.late_wakes.push(ppid);
        None
    }

    /// Hands the children of `pid` (which ended, in group `pgid` of
    /// session `sid`) to init; a zombie among them is collected by init
    /// (or at once if init reaps nothing). Each child group this leaves
    /// orphaned with stopped members gets SIGHUP and SIGCONT (Linux's
    /// `exit_notify`).
    fn reparent_children(&mut self, pid: u64, pgid: u64, sid: u64) {
        let orphans: Vec<u64> = self
            .procs
            .iter()
            .filter(|(_, c)| c.ppid == pid)
            .map(|(k, _)| *k)
            .collect();
        let init_flags = self
            .procs
            .get(&1)
            .map_or(0, |i| get_word(i, control::CHLD_FLAGS));
        let mut init_has_zombie = false;
        let mut groups = Vec::new();
        for o in orphans {
            let Some(c) = self.procs.get_mut(&o) else {
                continue;
            };
            c.ppid = 1;
            set_word(c, control::PPID, 1);
            if c.zombie.is_some() {
                if init_flags & control::CHLD_NOCLDWAIT != 0 {
                    self.procs.remove(&o);
                } else {
                    init_has_zombie = true;
                }
            } else if c.pgid != pgid && c.sid == sid && !groups.contains(&c.pgid) {
                groups.push(c.pgid);
            }
        }
        if init_has_zombie && init_flags & control::CHLD_IGNORED == 0 {
            self.post(1, SIGCHLD, pid, sysproto::si::CLD_EXITED, 0);
        }
        for g in groups {
            self.hangup_if_orphaned(g);
        }
    }

    /// `wait4` for `pid`: the child collected and its status (0 and 0
    /// with `WNOHANG` and none ready; `EAGAIN`: none yet).
    pub(super) fn wait(&mut self, pid: u64, sel: i64, options: u64) -> Result<(u64, u64), Errno> {
        const WNOHANG: u64 = 1;
        const WUNTRACED: u64 = 2;
        const WCONTINUED: u64 = 8;
        let my_pgid = self.procs[&pid].pgid;
        let matches = |k: u64, c: &Proc| {
            c.ppid == pid
                && match sel {
                    -1 => true,
                    0 => c.pgid == my_pgid,
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
                    // Its time and its children's count as its parent's
                    // children's (`times`, `getrusage`, `cutime`).
                    if let Some(c) = self.procs.remove(&k) {
                        let (u, s) = c.ended_times;
                        let (cu, cs) = c.child_times;
                        if let Some(me) = self.procs.get_mut(&pid) {
                            me.child_times.0 += u + cu;
                            me.child_times.1 += s + cs;
                        }
                    }
                } else if let Some(c) = self.procs.get_mut(&k) {
                    c.stop_event = None;
                }
                Ok((k, st))
            }
            None if !any => Err(ECHILD),
            None if options & WNOHANG != 0 => Ok((0, 0)),
            None => Err(EAGAIN),
        }
    }
}
