//! The server's side of the `sysproto::sys` interface: one method per
//! operation, each handing its typed request to the operation's code in
//! [`super::files`], [`super::lifecycle`], [`super::signals`],
//! [`super::groups`], [`super::terminal`] and [`super::memory`] (the few
//! that are a line or two are here).

use sys::*;

use super::*;

/// Most bytes of a path.
const PATH_MAX: usize = 4096;

impl sys::Handler for Server {
    fn open(&mut self, pid: u64, r: Open, d: &mut Data<'_, Open>) -> Result<OpenReply, Errno> {
        Server::open(self, pid, &d.input(PATH_MAX), r.flags, r.dir, r.mode)
    }

    fn read(&mut self, pid: u64, r: Read, d: &mut Data<'_, Read>) -> Result<ReadReply, Errno> {
        match Server::read(self, pid, r, d) {
            Ok(()) => Ok(ReadReply {}),
            // It must wait: answered later if the caller takes that.
            Err(EAGAIN) if self.defer(pid, d.tag(), Waiting::Read(r)) => {
                d.defer();
                Ok(ReadReply {})
            }
            Err(e) => Err(e),
        }
    }

    fn read_map(
        &mut self,
        pid: u64,
        r: ReadMap,
        d: &mut Data<'_, ReadMap>,
    ) -> Result<ReadMapReply, Errno> {
        Server::read_map(self, pid, r, d)
    }

    fn write(&mut self, pid: u64, r: Write, d: &mut Data<'_, Write>) -> Result<WriteReply, Errno> {
        match Server::write(self, pid, r, d) {
            Ok(taken) => Ok(WriteReply { taken }),
            // A full pipe: the bytes wait here until it takes some.
            Err(EAGAIN) if self.defer(pid, d.tag(), Waiting::Write(r, d.input(DATA_BYTES))) => {
                d.defer();
                Ok(WriteReply { taken: 0 })
            }
            Err(e) => Err(e),
        }
    }

    fn close(&mut self, pid: u64, r: Close, _: &mut Data<'_, Close>) -> Result<CloseReply, Errno> {
        Server::close(self, pid, r.handle).map(|()| CloseReply {})
    }

    fn fstat(&mut self, pid: u64, r: Fstat, d: &mut Data<'_, Fstat>) -> Result<FstatReply, Errno> {
        d.put(&Server::fstat(self, pid, r.handle)?);
        Ok(FstatReply {})
    }

    fn stat(
        &mut self,
        pid: u64,
        r: sys::Stat,
        d: &mut Data<'_, sys::Stat>,
    ) -> Result<StatReply, Errno> {
        let path = d.input(PATH_MAX);
        let loc = self.target(pid, r.dir, &path, r.flags)?;
        d.put(&self.node_stat(pid, loc)?);
        Ok(StatReply {})
    }

    fn getdents(
        &mut self,
        pid: u64,
        r: Getdents,
        d: &mut Data<'_, Getdents>,
    ) -> Result<GetdentsReply, Errno> {
        let records = Server::getdents(self, pid, r.handle, r.room as usize)?;
        d.put(&records);
        Ok(GetdentsReply {})
    }

    fn seek(&mut self, pid: u64, r: Seek, _: &mut Data<'_, Seek>) -> Result<SeekReply, Errno> {
        let pos = Server::seek(self, pid, r.handle, r.offset, r.whence)?;
        Ok(SeekReply { pos })
    }

    fn pipe(&mut self, pid: u64, _: Pipe, _: &mut Data<'_, Pipe>) -> Result<PipeReply, Errno> {
        let (read, write) = Server::pipe(self, pid);
        Ok(PipeReply { read, write })
    }

    fn readlink(
        &mut self,
        pid: u64,
        r: Readlink,
        d: &mut Data<'_, Readlink>,
    ) -> Result<ReadlinkReply, Errno> {
        let target = Server::readlink(self, pid, &d.input(PATH_MAX), r.dir, r.own)?;
        d.put(&target);
        Ok(ReadlinkReply {})
    }

    fn access(
        &mut self,
        pid: u64,
        r: Access,
        d: &mut Data<'_, Access>,
    ) -> Result<AccessReply, Errno> {
        Server::access(self, pid, &d.input(PATH_MAX), r.dir, r.mode, r.flags)
            .map(|()| AccessReply {})
    }

    fn chdir(&mut self, pid: u64, r: Chdir, d: &mut Data<'_, Chdir>) -> Result<ChdirReply, Errno> {
        Server::chdir(self, pid, &d.input(PATH_MAX), r.dir, r.flags).map(|()| ChdirReply {})
    }

    fn getcwd(
        &mut self,
        pid: u64,
        _: Getcwd,
        d: &mut Data<'_, Getcwd>,
    ) -> Result<GetcwdReply, Errno> {
        d.put(&Server::getcwd(self, pid)?);
        Ok(GetcwdReply {})
    }

    fn fork(&mut self, pid: u64, _: Fork, _: &mut Data<'_, Fork>) -> Result<ForkReply, Errno> {
        let child = Server::fork(self, pid)?;
        Ok(ForkReply { pid: child })
    }

    fn fork_start(
        &mut self,
        pid: u64,
        r: ForkStart,
        _: &mut Data<'_, ForkStart>,
    ) -> Result<ForkStartReply, Errno> {
        Server::fork_start(self, pid, r).map(|()| ForkStartReply {})
    }

    fn exec(&mut self, pid: u64, _: Exec, d: &mut Data<'_, Exec>) -> Result<ExecReply, Errno> {
        // The program as the file it is (links followed, normalised), as
        // Linux's /proc/self/exe names it.
        let path = d.input(PATH_MAX);
        let exe = self.exe_path(pid, &path);
        let loc = self.resolve(pid, &exe, NO_HANDLE, true).ok();
        self.exec_creds(pid, loc);
        self.shm_ended(pid);
        if let Some(p) = self.procs.get_mut(&pid) {
            p.exe = exe;
            p.execed = true;
            p.maps.clear();
            p.comm = path.rsplit(|&b| b == b'/').next().unwrap_or(&[]).to_vec();
        }
        Ok(ExecReply {})
    }

    fn exit(&mut self, pid: u64, r: Exit, _: &mut Data<'_, Exit>) -> Result<ExitReply, Errno> {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.exit_status = Some(r.status);
        }
        Ok(ExitReply {})
    }

    fn wait(&mut self, pid: u64, r: Wait, d: &mut Data<'_, Wait>) -> Result<WaitReply, Errno> {
        match Server::wait(self, pid, r.pid, r.options) {
            Ok((child, status)) => Ok(WaitReply { pid: child, status }),
            Err(EAGAIN) if self.defer(pid, d.tag(), Waiting::Wait(r)) => {
                d.defer();
                Ok(WaitReply::default())
            }
            Err(e) => Err(e),
        }
    }

    fn kill(&mut self, pid: u64, r: Kill, _: &mut Data<'_, Kill>) -> Result<KillReply, Errno> {
        Server::kill(self, pid, r.pid, r.signal).map(|()| KillReply {})
    }

    fn setpgid(
        &mut self,
        pid: u64,
        r: Setpgid,
        _: &mut Data<'_, Setpgid>,
    ) -> Result<SetpgidReply, Errno> {
        Server::setpgid(self, pid, r.pid, r.pgid).map(|()| SetpgidReply {})
    }

    fn getpgid(
        &mut self,
        pid: u64,
        r: Getpgid,
        _: &mut Data<'_, Getpgid>,
    ) -> Result<GetpgidReply, Errno> {
        let who = if r.pid == 0 { pid } else { r.pid };
        let p = self.procs.get(&who).ok_or(ESRCH)?;
        Ok(GetpgidReply { pgid: p.pgid })
    }

    fn setsid(
        &mut self,
        pid: u64,
        _: Setsid,
        _: &mut Data<'_, Setsid>,
    ) -> Result<SetsidReply, Errno> {
        let sid = Server::setsid(self, pid)?;
        Ok(SetsidReply { sid })
    }

    fn getsid(
        &mut self,
        pid: u64,
        r: Getsid,
        _: &mut Data<'_, Getsid>,
    ) -> Result<GetsidReply, Errno> {
        let who = if r.pid == 0 { pid } else { r.pid };
        let p = self.procs.get(&who).ok_or(ESRCH)?;
        Ok(GetsidReply { sid: p.sid })
    }

    fn ioctl(&mut self, pid: u64, r: Ioctl, d: &mut Data<'_, Ioctl>) -> Result<IoctlReply, Errno> {
        Server::ioctl(self, pid, r, d).map(|()| IoctlReply {})
    }

    fn poll(&mut self, pid: u64, r: Poll, _: &mut Data<'_, Poll>) -> Result<PollReply, Errno> {
        let (ready, queued) = Server::poll(self, pid, r.handle, r.register)?;
        Ok(PollReply { ready, queued })
    }

    fn console(
        &mut self,
        pid: u64,
        _: Console,
        _: &mut Data<'_, Console>,
    ) -> Result<ConsoleReply, Errno> {
        let o = self.objs.open(Kind::Console);
        let handle = self.add_handle(pid, o) as u64;
        Ok(ConsoleReply {
            handle,
            kind: kind::CONSOLE,
        })
    }

    fn stopped(
        &mut self,
        pid: u64,
        r: Stopped,
        _: &mut Data<'_, Stopped>,
    ) -> Result<StoppedReply, Errno> {
        Server::stopped(self, pid, r.stopped, r.signal).map(|()| StoppedReply {})
    }

    fn quota(&mut self, pid: u64, r: Quota, _: &mut Data<'_, Quota>) -> Result<QuotaReply, Errno> {
        let granted = Server::quota(self, pid, r.frames, r.short)?;
        Ok(QuotaReply { granted })
    }

    fn child_times(
        &mut self,
        pid: u64,
        _: ChildTimes,
        _: &mut Data<'_, ChildTimes>,
    ) -> Result<ChildTimesReply, Errno> {
        let (user, system) = self.procs.get(&pid).ok_or(ESRCH)?.child_times;
        Ok(ChildTimesReply { user, system })
    }

    fn meminfo(
        &mut self,
        _: u64,
        _: Meminfo,
        _: &mut Data<'_, Meminfo>,
    ) -> Result<MeminfoReply, Errno> {
        let (total, free) = self.memory();
        Ok(MeminfoReply { total, free })
    }

    fn cancel(
        &mut self,
        pid: u64,
        r: Cancel,
        _: &mut Data<'_, Cancel>,
    ) -> Result<CancelReply, Errno> {
        let cancelled = self.cancel_deferred(pid, r.tag);
        Ok(CancelReply { cancelled })
    }

    fn tty_write(
        &mut self,
        pid: u64,
        r: TtyWrite,
        _: &mut Data<'_, TtyWrite>,
    ) -> Result<TtyWriteReply, Errno> {
        self.job_check(pid, true, r.ttou_ignored)?;
        Ok(TtyWriteReply {})
    }

    fn mknod(&mut self, pid: u64, r: Mknod, d: &mut Data<'_, Mknod>) -> Result<MknodReply, Errno> {
        Server::mknod(self, pid, &d.input(PATH_MAX), r.dir, r.mode, r.dev).map(|()| MknodReply {})
    }

    fn mkdir(&mut self, pid: u64, r: Mkdir, d: &mut Data<'_, Mkdir>) -> Result<MkdirReply, Errno> {
        Server::mkdir(self, pid, &d.input(PATH_MAX), r.dir, r.mode).map(|()| MkdirReply {})
    }

    fn unlink(
        &mut self,
        pid: u64,
        r: Unlink,
        d: &mut Data<'_, Unlink>,
    ) -> Result<UnlinkReply, Errno> {
        Server::unlink(self, pid, &d.input(PATH_MAX), r.dir, r.flags).map(|()| UnlinkReply {})
    }

    fn rename(
        &mut self,
        pid: u64,
        r: Rename,
        d: &mut Data<'_, Rename>,
    ) -> Result<RenameReply, Errno> {
        Server::rename(self, pid, &d.input(2 * PATH_MAX + 2), r.from, r.to, r.flags)
            .map(|()| RenameReply {})
    }

    fn link(&mut self, pid: u64, r: Link, d: &mut Data<'_, Link>) -> Result<LinkReply, Errno> {
        Server::link(self, pid, &d.input(2 * PATH_MAX + 2), r.from, r.to, r.flags)
            .map(|()| LinkReply {})
    }

    fn symlink(
        &mut self,
        pid: u64,
        r: Symlink,
        d: &mut Data<'_, Symlink>,
    ) -> Result<SymlinkReply, Errno> {
        Server::symlink(self, pid, &d.input(2 * PATH_MAX + 2), r.dir).map(|()| SymlinkReply {})
    }

    fn chmod(&mut self, pid: u64, r: Chmod, d: &mut Data<'_, Chmod>) -> Result<ChmodReply, Errno> {
        Server::chmod(self, pid, &d.input(PATH_MAX), r.dir, r.flags, r.mode).map(|()| ChmodReply {})
    }

    fn chown(&mut self, pid: u64, r: Chown, d: &mut Data<'_, Chown>) -> Result<ChownReply, Errno> {
        Server::chown(self, pid, &d.input(PATH_MAX), r.dir, r.flags, r.uid, r.gid)
            .map(|()| ChownReply {})
    }

    fn truncate(
        &mut self,
        pid: u64,
        r: Truncate,
        d: &mut Data<'_, Truncate>,
    ) -> Result<TruncateReply, Errno> {
        Server::truncate(self, pid, &d.input(PATH_MAX), r.dir, r.flags, r.size)
            .map(|()| TruncateReply {})
    }

    fn utimens(
        &mut self,
        pid: u64,
        r: Utimens,
        d: &mut Data<'_, Utimens>,
    ) -> Result<UtimensReply, Errno> {
        Server::utimens(self, pid, &d.input(PATH_MAX + 64), r.dir, r.flags)
            .map(|()| UtimensReply {})
    }

    fn statfs(
        &mut self,
        pid: u64,
        r: Statfs,
        d: &mut Data<'_, Statfs>,
    ) -> Result<StatfsReply, Errno> {
        let s = Server::statfs(self, pid, &d.input(PATH_MAX), r.dir, r.flags)?;
        d.put(&s);
        Ok(StatfsReply {})
    }

    fn fallocate(
        &mut self,
        pid: u64,
        r: Fallocate,
        _: &mut Data<'_, Fallocate>,
    ) -> Result<FallocateReply, Errno> {
        Server::fallocate(self, pid, r).map(|()| FallocateReply {})
    }

    fn set_ids(
        &mut self,
        pid: u64,
        r: SetIds,
        _: &mut Data<'_, SetIds>,
    ) -> Result<SetIdsReply, Errno> {
        Server::set_ids(self, pid, r).map(|old| SetIdsReply { old })
    }

    fn set_groups(
        &mut self,
        pid: u64,
        r: SetGroups,
        d: &mut Data<'_, SetGroups>,
    ) -> Result<SetGroupsReply, Errno> {
        let list = d.input(DATA_BYTES);
        Server::set_groups(self, pid, r.count, r.at, &list).map(|()| SetGroupsReply {})
    }

    fn get_groups(
        &mut self,
        pid: u64,
        r: GetGroups,
        d: &mut Data<'_, GetGroups>,
    ) -> Result<GetGroupsReply, Errno> {
        let (count, g) = Server::get_groups(self, pid, r.at);
        d.put(&g);
        Ok(GetGroupsReply { count })
    }

    fn random(
        &mut self,
        _: u64,
        r: sys::Random,
        d: &mut Data<'_, sys::Random>,
    ) -> Result<RandomReply, Errno> {
        let mut buf = alloc::vec![0u8; (r.len as usize).min(DATA_BYTES)];
        self.random.fill(&mut buf);
        d.put(&buf);
        Ok(RandomReply {})
    }

    fn map_page(
        &mut self,
        pid: u64,
        r: MapPage,
        _: &mut Data<'_, MapPage>,
    ) -> Result<MapPageReply, Errno> {
        Server::map_page(self, pid, r).map(|()| MapPageReply {})
    }

    fn map_pages(
        &mut self,
        pid: u64,
        r: MapPages,
        d: &mut Data<'_, MapPages>,
    ) -> Result<MapPagesReply, Errno> {
        let raw = d.input(4 * MAP_PAGES_MAX);
        let slots: Vec<u32> = raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Server::map_pages(self, pid, r, &slots).map(|mapped| MapPagesReply { mapped })
    }

    fn flock(&mut self, pid: u64, r: Flock, d: &mut Data<'_, Flock>) -> Result<FlockReply, Errno> {
        if Server::flock(self, pid, r.handle, r.op, d.tag())? {
            d.defer();
        }
        Ok(FlockReply {})
    }

    fn lock(&mut self, pid: u64, r: Lock, d: &mut Data<'_, Lock>) -> Result<LockReply, Errno> {
        let mut fl = sysproto::Flock::default();
        let b = d.input(core::mem::size_of::<sysproto::Flock>());
        fl.as_mut_bytes()[..b.len()].copy_from_slice(&b);
        if Server::record_lock(self, pid, r.handle, r.cmd, &mut fl, d.tag())? {
            d.defer();
        } else {
            d.put(&fl);
        }
        Ok(LockReply {})
    }

    fn lock_close(
        &mut self,
        pid: u64,
        r: LockClose,
        _: &mut Data<'_, LockClose>,
    ) -> Result<LockCloseReply, Errno> {
        Server::lock_close(self, pid, r.handle).map(|()| LockCloseReply {})
    }

    fn copy(&mut self, pid: u64, r: Copy, d: &mut Data<'_, Copy>) -> Result<CopyReply, Errno> {
        let args = wire::read_out::<sysproto::CopyArgs>(&d.input(64));
        let done = Server::copy(self, pid, r, args)?;
        Ok(CopyReply { done })
    }

    fn sem_get(
        &mut self,
        pid: u64,
        r: SemGet,
        _: &mut Data<'_, SemGet>,
    ) -> Result<SemGetReply, Errno> {
        Server::sem_get(self, pid, r.key, r.nsems, r.flags).map(|id| SemGetReply { id })
    }

    fn sem_op(&mut self, pid: u64, r: SemOp, d: &mut Data<'_, SemOp>) -> Result<SemOpReply, Errno> {
        let id = sysv::id_of(r.id)?;
        let ops = sysv::sembufs(&d.input(sysvipc::sem::SEMOPM * 6));
        if Server::sem_op(self, pid, id, &ops)? {
            return Ok(SemOpReply {});
        }
        let w = sysv::IpcWait::new(sysv::IpcOp::Sem(id, ops));
        self.defer_ipc(pid, d.tag(), w)?;
        d.defer();
        Ok(SemOpReply {})
    }

    fn sem_ctl(
        &mut self,
        pid: u64,
        r: SemCtl,
        d: &mut Data<'_, SemCtl>,
    ) -> Result<SemCtlReply, Errno> {
        let input = d.input(DATA_BYTES);
        let (value, out) =
            Server::sem_ctl(self, pid, sysv::id_of(r.id)?, r.num, r.cmd, r.val, &input)?;
        d.put(&out);
        Ok(SemCtlReply { value })
    }

    fn msg_get(
        &mut self,
        pid: u64,
        r: MsgGet,
        _: &mut Data<'_, MsgGet>,
    ) -> Result<MsgGetReply, Errno> {
        Server::msg_get(self, pid, r.key, r.flags).map(|id| MsgGetReply { id })
    }

    fn msg_snd(
        &mut self,
        pid: u64,
        r: MsgSnd,
        d: &mut Data<'_, MsgSnd>,
    ) -> Result<MsgSndReply, Errno> {
        let id = sysv::id_of(r.id)?;
        let text = d.input(DATA_BYTES);
        if Server::msg_snd(self, pid, id, r.mtype, r.flags, &text)? {
            return Ok(MsgSndReply {});
        }
        let w = sysv::IpcWait::new(sysv::IpcOp::Snd(id, r.mtype, r.flags, text));
        self.defer_ipc(pid, d.tag(), w)?;
        d.defer();
        Ok(MsgSndReply {})
    }

    fn msg_rcv(
        &mut self,
        pid: u64,
        r: MsgRcv,
        d: &mut Data<'_, MsgRcv>,
    ) -> Result<MsgRcvReply, Errno> {
        if let Some((mtype, text)) = Server::msg_rcv(self, pid, &r)? {
            d.put(&text);
            return Ok(MsgRcvReply { mtype });
        }
        self.defer_ipc(pid, d.tag(), sysv::IpcWait::new(sysv::IpcOp::Rcv(r)))?;
        d.defer();
        Ok(MsgRcvReply { mtype: 0 })
    }

    fn msg_ctl(
        &mut self,
        pid: u64,
        r: MsgCtl,
        d: &mut Data<'_, MsgCtl>,
    ) -> Result<MsgCtlReply, Errno> {
        let input = d.input(DATA_BYTES);
        let out = Server::msg_ctl(self, pid, sysv::id_of(r.id)?, r.cmd, &input)?;
        d.put(&out);
        Ok(MsgCtlReply {})
    }

    fn shm_get(
        &mut self,
        pid: u64,
        r: ShmGet,
        _: &mut Data<'_, ShmGet>,
    ) -> Result<ShmGetReply, Errno> {
        Server::shm_get(self, pid, r.key, r.size, r.flags).map(|id| ShmGetReply { id })
    }

    fn shm_at(&mut self, pid: u64, r: ShmAt, d: &mut Data<'_, ShmAt>) -> Result<ShmAtReply, Errno> {
        let slots = d.input(DATA_BYTES);
        let id = sysv::id_of(r.id)?;
        Server::shm_at(self, pid, id, r.addr, r.flags, r.first, &slots)
            .map(|size| ShmAtReply { size })
    }

    fn shm_dt(&mut self, pid: u64, r: ShmDt, _: &mut Data<'_, ShmDt>) -> Result<ShmDtReply, Errno> {
        Server::shm_dt(self, pid, r.addr).map(|pages| ShmDtReply { pages })
    }

    fn shm_ctl(
        &mut self,
        pid: u64,
        r: ShmCtl,
        d: &mut Data<'_, ShmCtl>,
    ) -> Result<ShmCtlReply, Errno> {
        let input = d.input(DATA_BYTES);
        let out = Server::shm_ctl(self, pid, sysv::id_of(r.id)?, r.cmd, &input)?;
        d.put(&out);
        Ok(ShmCtlReply {})
    }

    fn proc_args(
        &mut self,
        pid: u64,
        r: ProcArgs,
        d: &mut Data<'_, ProcArgs>,
    ) -> Result<ProcArgsReply, Errno> {
        let mut all = d.input(DATA_BYTES);
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        p.environ = all.split_off((r.args_len as usize).min(all.len()));
        p.cmdline = all;
        Ok(ProcArgsReply {})
    }

    fn proc_maps(
        &mut self,
        pid: u64,
        _: ProcMaps,
        d: &mut Data<'_, ProcMaps>,
    ) -> Result<ProcMapsReply, Errno> {
        let maps = d.input(DATA_BYTES);
        self.procs.get_mut(&pid).ok_or(ESRCH)?.maps = maps;
        Ok(ProcMapsReply {})
    }

    fn klog(&mut self, _: u64, r: Klog, d: &mut Data<'_, Klog>) -> Result<KlogReply, Errno> {
        if r.clear {
            crate::klog::clear();
        }
        let (start, bytes) = crate::klog::read(r.from, (r.len as usize).min(DATA_BYTES));
        d.put(&bytes);
        Ok(KlogReply {
            start,
            end: crate::klog::end(),
        })
    }

    fn proc_fds(
        &mut self,
        pid: u64,
        _: ProcFds,
        d: &mut Data<'_, ProcFds>,
    ) -> Result<ProcFdsReply, Errno> {
        let bytes = d.input(DATA_BYTES);
        let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        let table = bytes
            .chunks_exact(16)
            .map(|c| (word(&c[..8]) as u32, word(&c[8..])))
            .collect();
        self.procs.get_mut(&pid).ok_or(ESRCH)?.fd_table = Some(table);
        Ok(ProcFdsReply {})
    }
}
