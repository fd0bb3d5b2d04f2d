//! Files and pipes through a process's handles: open (and creation),
//! read, write, stat, directory entries, seek, pipes and FIFOs, links,
//! access, the working directory. The names are the namespace's
//! ([`crate::fs`]); permission is checked as the calling process.

use alloc::vec::Vec;

use super::*;
use crate::fs::{dev, now, Who, PROC_FS};
use crate::objects::{access, Dropped};
use memfs::SetAttr;
use sysproto::dirent;
use vfs::walk::Loc;
use vfs::{Attr, FileType, MAY_EXEC, MAY_READ, MAY_WRITE};

const O_ACCMODE: u64 = 3;
const O_CREAT: u64 = 0o100;
const O_EXCL: u64 = 0o200;
const O_TRUNC: u64 = 0o1000;
const O_NONBLOCK: u64 = 0o4000;
const O_DIRECTORY: u64 = 0o200000;
const O_NOFOLLOW: u64 = 0o400000;
const O_PATH: u64 = 0o10000000;
const O_TMPFILE: u64 = 0o20000000;

/// Symbolic links one creating open may follow at its last component.
const MAX_CREATE_LINKS: u32 = 40;

impl Server {
    /// Where a path of `pid` starts: its working directory, or the
    /// directory handle `dir` for a relative path.
    pub(super) fn start_dir(&self, pid: u64, dir: u64, path: &[u8]) -> Result<Loc, Errno> {
        let p = &self.procs[&pid];
        if dir == NO_HANDLE || path.first() == Some(&b'/') {
            return Ok(p.cwd);
        }
        self.dir_of(pid, dir)
    }

    /// The directory a handle names (`ENOTDIR` for another kind).
    fn dir_of(&self, pid: u64, h: u64) -> Result<Loc, Errno> {
        let o = self.obj_of(pid, h)?;
        match self.objs.get(o).map(|o| o.kind) {
            Some(Kind::Dir(l)) => Ok(l),
            Some(Kind::Path(l)) if self.attr(pid, l)?.ftype == FileType::Directory => Ok(l),
            Some(_) => Err(ENOTDIR),
            None => Err(EBADF),
        }
    }

    /// The node a handle names (for the `EMPTY_PATH` forms).
    fn node_of(&self, pid: u64, h: u64) -> Result<Loc, Errno> {
        let o = self.obj_of(pid, h)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        obj.kind.loc().or(obj.node).ok_or(EBADF)
    }

    /// The node of a path operation: the path from `dir`, or with
    /// `EMPTY_PATH` and no path the handle `dir` itself.
    pub(super) fn target(&self, pid: u64, dir: u64, path: &[u8], flags: u64) -> Result<Loc, Errno> {
        if path.is_empty() && flags & at::EMPTY_PATH != 0 {
            if dir == NO_HANDLE {
                return Ok(self.procs[&pid].cwd);
            }
            return self.node_of(pid, dir);
        }
        self.resolve(pid, path, dir, flags & at::SYMLINK_NOFOLLOW == 0)
    }

    /// Resolves a path of `pid`, relative to its directory or to the
    /// directory handle `dir`.
    pub(super) fn resolve(
        &self,
        pid: u64,
        path: &[u8],
        dir: u64,
        follow: bool,
    ) -> Result<Loc, Errno> {
        let start = self.start_dir(pid, dir, path)?;
        let p = &self.procs[&pid];
        let who = Who {
            cred: &p.cred,
            root: p.root,
            dir: start,
        };
        self.fs.resolve(&self.procfs(pid), who, path, follow)
    }

    /// The parent directory and last name of a path of `pid`.
    fn resolve_parent(&self, pid: u64, path: &[u8], dir: u64) -> Result<vfs::walk::Parent, Errno> {
        let start = self.start_dir(pid, dir, path)?;
        let p = &self.procs[&pid];
        let who = Who {
            cred: &p.cred,
            root: p.root,
            dir: start,
        };
        self.fs.resolve_parent(&self.procfs(pid), who, path)
    }

    pub(super) fn attr(&self, pid: u64, loc: Loc) -> Result<Attr, Errno> {
        self.fs.attr(&self.procfs(pid), loc)
    }

    /// The in-memory file system of `loc` for a change (`/proc` refuses).
    fn mem_mut(&mut self, loc: Loc) -> Result<&mut memfs::MemFs<crate::fs::FrameStore>, Errno> {
        self.fs.mem_mut(loc).ok_or(EACCES)
    }

    pub(super) fn open(
        &mut self,
        pid: u64,
        path: &[u8],
        flags: u64,
        dir: u64,
        mode: u64,
    ) -> Result<sys::OpenReply, Errno> {
        if flags & O_PATH != 0 {
            return self.open_path(pid, path, flags, dir);
        }
        let acc = flags & O_ACCMODE;
        if acc == 3 {
            return Err(EINVAL);
        }
        let perm = (mode & 0o7777) as u32;
        if flags & O_TMPFILE == O_TMPFILE {
            return self.open_tmpfile(pid, path, flags, dir, perm);
        }
        // Linux (6.4 on) refuses the pair whether or not the name exists.
        if flags & (O_CREAT | O_DIRECTORY) == O_CREAT | O_DIRECTORY {
            return Err(EINVAL);
        }
        let (loc, created) = if flags & O_CREAT != 0 {
            self.open_create(pid, path, flags, dir, perm)?
        } else {
            (
                self.resolve(pid, path, dir, flags & O_NOFOLLOW == 0)?,
                false,
            )
        };
        let attr = self.attr(pid, loc)?;
        if attr.ftype == FileType::Symlink {
            return Err(ELOOP);
        }
        let is_dir = attr.ftype == FileType::Directory;
        if flags & O_DIRECTORY != 0 && !is_dir {
            return Err(ENOTDIR);
        }
        if is_dir && (acc != 0 || flags & (O_CREAT | O_TRUNC) != 0) {
            return Err(EISDIR);
        }
        let mut want = match acc {
            0 => MAY_READ,
            1 => MAY_WRITE,
            _ => MAY_READ | MAY_WRITE,
        };
        if flags & O_TRUNC != 0 {
            want |= MAY_WRITE;
        }
        if !created {
            vfs::permission(&attr, &self.procs[&pid].cred, want)?;
        }
        let access = match acc {
            0 => access::READ,
            1 => access::WRITE,
            _ => access::READ | access::WRITE,
        };
        let in_proc = self.fs.fs_of(loc.mount) == Some(PROC_FS);
        let (kind, k) = match attr.ftype {
            FileType::Directory => (Kind::Dir(loc), kind::DIR),
            FileType::Regular if in_proc => (Kind::Proc(loc), kind::FILE),
            FileType::Regular => {
                if flags & O_TRUNC != 0 && attr.size != 0 {
                    let cred = self.procs[&pid].cred.clone();
                    let change = SetAttr {
                        size: Some(0),
                        ..SetAttr::default()
                    };
                    self.mem_mut(loc)?.setattr(&cred, loc.ino, change, now())?;
                }
                (Kind::File(loc), kind::FILE)
            }
            FileType::CharDevice => {
                let k = dev::kind_of(attr.rdev).ok_or(ENXIO)?;
                let kind = match k {
                    kind::NULL => Kind::Null,
                    kind::ZERO => Kind::Zero,
                    kind::FULL => Kind::Full,
                    kind::RANDOM => Kind::Random,
                    kind::KMSG => Kind::Kmsg,
                    _ => Kind::Console,
                };
                (kind, k)
            }
            FileType::Fifo => return self.open_fifo(pid, loc, flags),
            FileType::BlockDevice | FileType::Socket | FileType::Symlink => return Err(ENXIO),
        };
        let entry = match kind {
            Kind::File(_) => self.opened_entry(pid, path, dir),
            _ => None,
        };
        let o = self.objs.open_as(kind, access);
        if let Some(obj) = self.objs.get_mut(o) {
            obj.node = Some(loc);
            obj.entry = entry;
        }
        if let Kind::Proc(l) = kind {
            let text = self.proc_text(pid, l)?;
            if let Some(obj) = self.objs.get_mut(o) {
                obj.text = Some(text);
            }
        }
        if matches!(kind, Kind::File(_) | Kind::Dir(_)) {
            if let Some(fs) = self.fs.mem_mut(loc) {
                fs.hold(loc.ino);
            }
        }
        let h = self.add_handle(pid, o);
        Ok(sys::OpenReply {
            handle: h as u64,
            kind: k,
        })
    }

    /// The text of a `/proc` file for `pid` now.
    fn proc_text(&self, pid: u64, loc: Loc) -> Result<Vec<u8>, Errno> {
        self.procfs(pid).text(loc.ino)
    }

    /// The node an `O_CREAT` open names, made (a regular file with
    /// `perm`) if it does not exist: whether it was made. A last component
    /// that is a symbolic link is followed (unless `O_EXCL` or
    /// `O_NOFOLLOW`), and a dangling one makes its target.
    fn open_create(
        &mut self,
        pid: u64,
        path: &[u8],
        flags: u64,
        dir: u64,
        perm: u32,
    ) -> Result<(Loc, bool), Errno> {
        let mut path = path.to_vec();
        let mut dir_loc: Option<Loc> = None;
        for _ in 0..MAX_CREATE_LINKS {
            let parent = match dir_loc {
                Some(d) if path.first() != Some(&b'/') => {
                    self.resolve_parent_from(pid, &path, d)?
                }
                _ => self.resolve_parent(pid, &path, dir)?,
            };
            if parent.trailing_slash || parent.name == b"." || parent.name == b".." {
                return Err(EISDIR);
            }
            let found = {
                let view = self.procfs(pid);
                let ns = crate::fs::View {
                    files: &self.fs,
                    proc: &view,
                };
                let fsn = self.fs.fs_of(parent.dir.mount).ok_or(ENOENT)?;
                vfs::walk::Namespace::fs(&ns, fsn)
                    .lookup(parent.dir.ino, &parent.name)
                    .map(|ino| Loc {
                        mount: parent.dir.mount,
                        ino,
                    })
            };
            match found {
                Ok(loc) => {
                    if flags & O_EXCL != 0 {
                        return Err(EEXIST);
                    }
                    // A file system mounted there is what the name opens.
                    let loc = match self
                        .fs
                        .mounts
                        .mounted_on(loc)
                        .and_then(|m| self.fs.mounts.root_of(m))
                    {
                        Some(r) => r,
                        None => loc,
                    };
                    let attr = self.attr(pid, loc)?;
                    if attr.ftype != FileType::Symlink {
                        return Ok((loc, false));
                    }
                    if flags & O_NOFOLLOW != 0 {
                        return Err(ELOOP);
                    }
                    let target = {
                        let view = self.procfs(pid);
                        let ns = crate::fs::View {
                            files: &self.fs,
                            proc: &view,
                        };
                        let fsn = self.fs.fs_of(loc.mount).ok_or(ENOENT)?;
                        vfs::walk::Namespace::fs(&ns, fsn).readlink(loc.ino)?
                    };
                    if target.is_empty() {
                        return Err(ENOENT);
                    }
                    path = target;
                    dir_loc = Some(parent.dir);
                }
                Err(ENOENT) => {
                    let cred = self.procs[&pid].cred.clone();
                    let fs = self.mem_mut(parent.dir).map_err(|_| ENOENT)?;
                    let ino = fs.create(
                        &cred,
                        parent.dir.ino,
                        &parent.name,
                        FileType::Regular,
                        perm,
                        0,
                        now(),
                    )?;
                    return Ok((
                        Loc {
                            mount: parent.dir.mount,
                            ino,
                        },
                        true,
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        Err(ELOOP)
    }

    /// [`Self::resolve_parent`] of a relative path from the directory `d`.
    fn resolve_parent_from(
        &self,
        pid: u64,
        path: &[u8],
        d: Loc,
    ) -> Result<vfs::walk::Parent, Errno> {
        let p = &self.procs[&pid];
        let who = Who {
            cred: &p.cred,
            root: p.root,
            dir: d,
        };
        self.fs.resolve_parent(&self.procfs(pid), who, path)
    }

    /// `O_PATH`: a handle naming the node, with no access to its data.
    fn open_path(
        &mut self,
        pid: u64,
        path: &[u8],
        flags: u64,
        dir: u64,
    ) -> Result<sys::OpenReply, Errno> {
        let loc = self.resolve(pid, path, dir, flags & O_NOFOLLOW == 0)?;
        let attr = self.attr(pid, loc)?;
        if flags & O_DIRECTORY != 0 && attr.ftype != FileType::Directory {
            return Err(ENOTDIR);
        }
        let k = match attr.ftype {
            FileType::Directory => kind::DIR,
            FileType::Symlink => kind::LINK,
            _ => kind::PATH,
        };
        let entry = match attr.ftype {
            FileType::Directory => None,
            _ if flags & O_NOFOLLOW != 0 => self.start_dir(pid, dir, path).ok().and_then(|d| {
                let p = self.resolve_parent_from(pid, path, d).ok()?;
                Some((p.dir, p.name))
            }),
            _ => self.opened_entry(pid, path, dir),
        };
        let o = self.objs.open_as(Kind::Path(loc), 0);
        if let Some(obj) = self.objs.get_mut(o) {
            obj.entry = entry;
        }
        if let Some(fs) = self.fs.mem_mut(loc) {
            fs.hold(loc.ino);
        }
        let h = self.add_handle(pid, o);
        Ok(sys::OpenReply {
            handle: h as u64,
            kind: k,
        })
    }

    /// `O_TMPFILE`: an unnamed regular file in the directory `path`.
    fn open_tmpfile(
        &mut self,
        pid: u64,
        path: &[u8],
        flags: u64,
        dir: u64,
        perm: u32,
    ) -> Result<sys::OpenReply, Errno> {
        let acc = flags & O_ACCMODE;
        if acc == 0 {
            return Err(EINVAL);
        }
        let d = self.resolve(pid, path, dir, true)?;
        if self.attr(pid, d)?.ftype != FileType::Directory {
            return Err(ENOTDIR);
        }
        let cred = self.procs[&pid].cred.clone();
        let fs = self.fs.mem_mut(d).ok_or(EOPNOTSUPP)?;
        // Made under a name no path can hold, then unlinked at once: the
        // node lives while held.
        let name = b"\0tmpfile";
        let ino = fs.create(&cred, d.ino, name, FileType::Regular, perm, 0, now())?;
        fs.hold(ino);
        let _ = fs.unlink(&Cred::root(), d.ino, name, now());
        // Without O_EXCL, `linkat(AT_EMPTY_PATH)` may name it later.
        fs.set_linkable(ino, flags & O_EXCL == 0)?;
        let loc = Loc {
            mount: d.mount,
            ino,
        };
        // Linux shows it as `#INODE` in its directory.
        let mut name = self
            .fs
            .dir_path(&self.procfs(pid), self.procs[&pid].root, d)
            .ok();
        if let Some(n) = name.as_mut() {
            if n != b"/" {
                n.push(b'/');
            }
            n.extend_from_slice(alloc::format!("#{ino}").as_bytes());
        }
        let a = if acc == 1 {
            access::WRITE
        } else {
            access::READ | access::WRITE
        };
        let o = self.objs.open_as(Kind::File(loc), a);
        if let Some(obj) = self.objs.get_mut(o) {
            obj.name = name;
        }
        let h = self.add_handle(pid, o);
        Ok(sys::OpenReply {
            handle: h as u64,
            kind: kind::FILE,
        })
    }

    /// Opens the FIFO at `loc`: its pipe, made on the first open. A
    /// reader waits for a writer and a writer for a reader (`EAGAIN`: the
    /// server wakes the caller when the other side opens), unless
    /// `O_NONBLOCK` (a reader then goes ahead; a writer gets `ENXIO`) or
    /// the FIFO is opened for both.
    fn open_fifo(&mut self, pid: u64, loc: Loc, flags: u64) -> Result<sys::OpenReply, Errno> {
        let p = match self.fs.fifos.get(&loc) {
            Some(&p) => p,
            None => {
                let p = self.objs.new_pipe();
                if let Some(pipe) = self.objs.pipe_mut(p) {
                    pipe.fifo = Some(loc);
                }
                self.fs.fifos.insert(loc, p);
                p
            }
        };
        let acc = flags & O_ACCMODE;
        let nonblock = flags & O_NONBLOCK != 0;
        let seen = self
            .procs
            .get(&pid)
            .and_then(|pr| pr.fifo_wait)
            .filter(|w| w.0 == loc);
        let pipe = self.objs.pipe_mut(p).ok_or(ENXIO)?;
        if acc != 2 {
            let (side, other) = if acc == 0 { (0, 1) } else { (1, 0) };
            let other_open = if side == 0 {
                pipe.writers
            } else {
                pipe.readers
            } > 0
                || !pipe.opening[other].is_empty()
                || seen.is_some_and(|w| pipe.opens[other] != w.1);
            if !other_open {
                if side == 1 && nonblock {
                    return Err(ENXIO);
                }
                if side == 1 || !nonblock {
                    let count = pipe.opens[other];
                    if !pipe.opening[side].contains(&pid) {
                        pipe.opening[side].push(pid);
                    }
                    if !pipe.waiters.contains(&pid) {
                        pipe.waiters.push(pid);
                    }
                    // Whoever waits to open the other side may go now.
                    let woken = pipe.opening[other].clone();
                    self.wake_all(&woken);
                    if let Some(pr) = self.procs.get_mut(&pid) {
                        pr.fifo_wait = Some((loc, count));
                    }
                    return Err(EAGAIN);
                }
            }
        }
        if let Some(pr) = self.procs.get_mut(&pid) {
            pr.fifo_wait = None;
        }
        let (kind, k, a) = match acc {
            0 => (Kind::PipeRead(p), kind::FIFO_READ, access::READ),
            1 => (Kind::PipeWrite(p), kind::FIFO_WRITE, access::WRITE),
            _ => (
                Kind::PipeRead(p),
                kind::FIFO_READ,
                access::READ | access::WRITE,
            ),
        };
        let o = self.objs.open_as(kind, a);
        if let Some(obj) = self.objs.get_mut(o) {
            obj.node = Some(loc);
        }
        let mut woken = Vec::new();
        if let Some(pipe) = self.objs.pipe_mut(p) {
            if acc == 2 {
                // Both ends through one description: a reader and a writer.
                pipe.writers += 1;
            }
            for side in 0..2 {
                if acc == 2 || acc as usize == side {
                    pipe.opens[side] += 1;
                    pipe.opening[side].retain(|w| *w != pid);
                }
            }
            woken = core::mem::take(&mut pipe.waiters);
        }
        self.wake_all(&woken);
        let h = self.add_handle(pid, o);
        Ok(sys::OpenReply {
            handle: h as u64,
            kind: k,
        })
    }

    /// A read into the data area (`EAGAIN`: nothing to read yet).
    pub(super) fn read(
        &mut self,
        pid: u64,
        r: sys::Read,
        d: &mut Data<'_, sys::Read>,
    ) -> Result<(), Errno> {
        let len = (r.len as usize).min(DATA_BYTES);
        let o = self.obj_of(pid, r.handle)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        if obj.access & access::READ == 0 {
            return Err(EBADF);
        }
        match obj.kind {
            Kind::File(_) | Kind::Proc(_) => self.read_file_into(o, r, d).map(|_| ()),
            Kind::Dir(_) => Err(EISDIR),
            Kind::Path(_) => Err(EBADF),
            Kind::Null => Ok(()),
            Kind::Kmsg => self.kmsg_read(o, len, d),
            Kind::Zero | Kind::Full => {
                d.put(&alloc::vec![0u8; len]);
                Ok(())
            }
            Kind::Random => {
                let mut buf = alloc::vec![0u8; len];
                self.random.fill(&mut buf);
                d.put(&buf);
                Ok(())
            }
            Kind::Console => {
                self.job_check(pid, false, r.ttin_ignored)?;
                self.console_read(pid, len, d)
            }
            Kind::PipeWrite(_) => Err(EBADF),
            Kind::PipeRead(pi) => {
                let Some(pipe) = self.objs.pipe_mut(pi) else {
                    return Ok(());
                };
                if pipe.buf.is_empty() {
                    // A FIFO writer still waiting in its open counts.
                    if pipe.writers == 0 && pipe.opening[1].is_empty() {
                        return Ok(());
                    }
                    if !pipe.waiters.contains(&pid) {
                        pipe.waiters.push(pid);
                    }
                    return Err(EAGAIN);
                }
                let woken = core::mem::take(&mut pipe.waiters);
                // From the pipe's buffer straight into the mailbox.
                self.objs
                    .pipe_take_with(pi, len, |a, b| d.put_parts(&[a, b]));
                self.wake_all(&woken);
                Ok(())
            }
        }
    }

    /// A read of the regular file (or `/proc` file) behind object `o`
    /// (checked readable) into the data area; how many bytes.
    pub(super) fn read_file_into<R: sysproto::wire::Request<Out = [u8]>>(
        &mut self,
        o: usize,
        r: sys::Read,
        d: &mut Data<'_, R>,
    ) -> Result<u64, Errno> {
        let obj = self.objs.get(o).ok_or(EBADF)?;
        let (len, at) = ((r.len as usize).min(DATA_BYTES), r.offset);
        let pos = if at == u64::MAX { obj.pos } else { at };
        let n = match obj.kind {
            Kind::File(loc) => {
                // Through a buffer kept for it (no allocation, no zeroing).
                let mut buf = core::mem::take(&mut self.read_buf);
                buf.resize(DATA_BYTES, 0);
                let got = match self.fs.mem(loc) {
                    Some(m) => m.read(loc.ino, pos, &mut buf[..len]),
                    None => Err(EBADF),
                };
                if let Ok(n) = got {
                    d.put(&buf[..n]);
                }
                self.read_buf = buf;
                got?
            }
            Kind::Proc(_) => {
                let text = obj.text.as_deref().unwrap_or(&[]);
                let rest = text.get(pos as usize..).unwrap_or(&[]);
                let n = rest.len().min(len);
                d.put(&rest[..n]);
                n
            }
            _ => return Err(EBADF),
        };
        if at == u64::MAX {
            if let Some(obj) = self.objs.get_mut(o) {
                obj.pos = pos + n as u64;
            }
        }
        Ok(n as u64)
    }

    /// A read of the console by a process allowed to read it.
    fn console_read(
        &mut self,
        pid: u64,
        len: usize,
        d: &mut Data<'_, sys::Read>,
    ) -> Result<(), Errno> {
        match self.tty.take(len) {
            Some(bytes) => {
                d.put(&bytes);
                Ok(())
            }
            None => {
                if !self.tty.waiters.contains(&pid) {
                    self.tty.waiters.push(pid);
                }
                Err(EAGAIN)
            }
        }
    }

    /// A write of the data area's bytes; how many were taken (`EAGAIN`:
    /// no room yet).
    pub(super) fn write(
        &mut self,
        pid: u64,
        w: sys::Write,
        d: &mut Data<'_, sys::Write>,
    ) -> Result<u64, Errno> {
        let len = d.in_len();
        let o = self.obj_of(pid, w.handle)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        if obj.access & access::WRITE == 0 {
            return Err(EBADF);
        }
        match obj.kind {
            Kind::Null | Kind::Zero | Kind::Random => Ok(len as u64),
            Kind::Full => Err(ENOSPC),
            Kind::Console | Kind::Kmsg => {
                let bytes = d.input(len);
                let _ = exo_rt::debug_write(&bytes);
                Ok(len as u64)
            }
            Kind::File(loc) => {
                let size = self.fs.mem(loc).ok_or(EACCES)?.size(loc.ino)?;
                let off = if w.append {
                    size
                } else if w.offset == u64::MAX {
                    obj.pos
                } else {
                    w.offset
                };
                if off >= w.fsize {
                    return Err(EFBIG);
                }
                let n = (len as u64).min(w.fsize - off) as usize;
                // Through the buffer kept for file data (no allocation).
                let mut buf = core::mem::take(&mut self.read_buf);
                buf.resize(DATA_BYTES, 0);
                let n = d.input_into(&mut buf[..n]);
                let cred = &self.procs.get(&pid).ok_or(ESRCH)?.cred;
                let done = match self.fs.mem_mut(loc) {
                    Some(m) => m.write(cred, loc.ino, off, &buf[..n], now()),
                    None => Err(EACCES),
                };
                self.read_buf = buf;
                let done = done?;
                // `pwrite` leaves the offset alone, `O_APPEND` or not.
                if w.offset == u64::MAX {
                    if let Some(obj) = self.objs.get_mut(o) {
                        obj.pos = off + done as u64;
                    }
                }
                Ok(done as u64)
            }
            Kind::PipeWrite(pi) => {
                let data = d.input(len);
                let room = self.objs.pipe_room(pi);
                let pipe = self.objs.pipe_mut(pi).ok_or(EPIPE)?;
                if pipe.readers == 0 && pipe.opening[0].is_empty() {
                    return Err(EPIPE);
                }
                // Writes of up to PIPE_BUF are atomic: all or wait.
                let Some(n) = pipebuf::accepts(room, len) else {
                    if !pipe.waiters.contains(&pid) {
                        pipe.waiters.push(pid);
                    }
                    return Err(EAGAIN);
                };
                let woken = core::mem::take(&mut pipe.waiters);
                self.objs.pipe_put(pi, &data[..n]);
                self.wake_all(&woken);
                Ok(n as u64)
            }
            Kind::PipeRead(pi) if obj.access & access::READ != 0 => {
                // A FIFO opened for reading and writing.
                let data = d.input(len);
                let room = self.objs.pipe_room(pi);
                let Some(n) = pipebuf::accepts(room, len) else {
                    if let Some(pipe) = self.objs.pipe_mut(pi) {
                        if !pipe.waiters.contains(&pid) {
                            pipe.waiters.push(pid);
                        }
                    }
                    return Err(EAGAIN);
                };
                let woken = self
                    .objs
                    .pipe_mut(pi)
                    .map(|p| core::mem::take(&mut p.waiters));
                self.objs.pipe_put(pi, &data[..n]);
                self.wake_all(&woken.unwrap_or_default());
                Ok(n as u64)
            }
            _ => Err(EBADF),
        }
    }

    /// `stat` figures of the node at `loc`.
    pub(super) fn node_stat(&self, pid: u64, loc: Loc) -> Result<Stat, Errno> {
        let a = self.attr(pid, loc)?;
        let fsn = self.fs.fs_of(loc.mount).unwrap_or(0);
        Ok(Stat {
            dev: dev::makedev(0, if fsn == PROC_FS { 19 } else { 20 + fsn as u64 }),
            ino: a.ino,
            mode: u64::from(a.mode()),
            nlink: u64::from(a.nlink),
            uid: u64::from(a.uid),
            gid: u64::from(a.gid),
            size: a.size,
            rdev: a.rdev,
            blocks: a.blocks,
            atime_sec: a.atime.sec,
            atime_nsec: u64::from(a.atime.nsec),
            mtime_sec: a.mtime.sec,
            mtime_nsec: u64::from(a.mtime.nsec),
            ctime_sec: a.ctime.sec,
            ctime_nsec: u64::from(a.ctime.nsec),
            btime_sec: a.btime.map_or(0, |t| t.sec),
            btime_nsec: a.btime.map_or(0, |t| u64::from(t.nsec)),
            has_btime: u64::from(a.btime.is_some()),
        })
    }

    pub(super) fn fstat(&mut self, pid: u64, h: u64) -> Result<Stat, Errno> {
        let o = self.obj_of(pid, h)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        if let Some(loc) = obj.kind.loc().or(obj.node) {
            let mut s = self.node_stat(pid, loc)?;
            if let Some(t) = &obj.text {
                // A /proc file's size is 0 in `stat`, as on Linux.
                let _ = t;
                s.size = 0;
            }
            return Ok(s);
        }
        Ok(match obj.kind {
            Kind::PipeRead(_) | Kind::PipeWrite(_) => Stat {
                dev: dev::makedev(0, 12),
                ino: o as u64 + 1,
                mode: 0o010600,
                nlink: 1,
                ..Stat::default()
            },
            _ => Stat {
                dev: dev::makedev(0, 5),
                mode: 0o020620,
                rdev: dev::makedev(5, 1),
                nlink: 1,
                ..Stat::default()
            },
        })
    }

    /// The `dirent64` records of directory handle `h` that fit in `room`
    /// bytes, from its position on (an entry's offset stays valid while
    /// others are removed).
    pub(super) fn getdents(&mut self, pid: u64, h: u64, room: usize) -> Result<Vec<u8>, Errno> {
        let o = self.obj_of(pid, h)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        let Kind::Dir(loc) = obj.kind else {
            return Err(ENOTDIR);
        };
        let room = room.min(DATA_BYTES);
        let mut pos = obj.pos;
        let mut out = alloc::vec![0u8; room];
        let mut at = 0;
        let mut taken = 0;
        if let Some(fs) = self.fs.mem(loc) {
            // Linux lists nothing of a removed directory.
            if vfs::Fs::getattr(fs, loc.ino)?.nlink == 0 {
                return Err(ENOENT);
            }
            // `..` of a mount's root is the directory it is mounted on.
            let up = self.parent_ino(pid, loc);
            while let Some(e) = fs.readdir(loc.ino, pos)? {
                let ino = if e.name == b".." { up } else { e.ino };
                let Some(n) =
                    dirent::put(&mut out[at..], ino, e.next, e.ftype.dirent_type(), &e.name)
                else {
                    break;
                };
                at += n;
                taken += 1;
                pos = e.next;
            }
        } else {
            let procfs = self.procfs(pid);
            let mut all = alloc::vec![
                (loc.ino, FileType::Directory, b".".to_vec()),
                (
                    self.parent_ino(pid, loc),
                    FileType::Directory,
                    b"..".to_vec()
                ),
            ];
            all.extend(procfs.entries(loc.ino)?);
            for (i, (ino, t, name)) in all.iter().enumerate().skip(pos as usize) {
                let Some(n) =
                    dirent::put(&mut out[at..], *ino, i as u64 + 1, t.dirent_type(), name)
                else {
                    break;
                };
                at += n;
                taken += 1;
                pos = i as u64 + 1;
            }
        }
        if taken == 0 && at == 0 && room < dirent::reclen(255) {
            // Not even one record fitted (or there are none left).
            let more = match self.fs.mem(loc) {
                Some(fs) => fs.readdir(loc.ino, pos)?.is_some(),
                None => false,
            };
            if more {
                return Err(EINVAL);
            }
        }
        if let Some(obj) = self.objs.get_mut(o) {
            obj.pos = pos;
        }
        out.truncate(at);
        Ok(out)
    }

    /// The inode `..` of directory `loc` shows.
    fn parent_ino(&self, pid: u64, loc: Loc) -> u64 {
        let up = self.resolve_from(pid, loc, b"..").unwrap_or(loc);
        up.ino
    }

    /// `path` resolved from the directory `d`.
    fn resolve_from(&self, pid: u64, d: Loc, path: &[u8]) -> Result<Loc, Errno> {
        let p = &self.procs[&pid];
        let who = Who {
            cred: &Cred::root(),
            root: p.root,
            dir: d,
        };
        self.fs.resolve(&self.procfs(pid), who, path, false)
    }

    pub(super) fn seek(&mut self, pid: u64, h: u64, off: i64, whence: u64) -> Result<u64, Errno> {
        let o = self.obj_of(pid, h)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        let (size, is_dir) = match obj.kind {
            Kind::File(loc) => (self.attr(pid, loc)?.size, false),
            Kind::Proc(_) => (obj.text.as_ref().map_or(0, |t| t.len() as u64), false),
            Kind::Dir(_) => (0, true),
            Kind::Path(_) => return Err(EBADF),
            Kind::Null | Kind::Zero | Kind::Full | Kind::Random | Kind::Kmsg => return Ok(0),
            _ => return Err(ESPIPE),
        };
        let pos = obj.pos as i64;
        let new = match whence {
            0 => Some(off),
            1 => pos.checked_add(off),
            2 if !is_dir => (size as i64).checked_add(off),
            // SEEK_DATA: a tmpfs file is all data; SEEK_HOLE: its end.
            3 | 4 if !is_dir => {
                if off < 0 || off as u64 >= size {
                    return Err(ENXIO);
                }
                Some(if whence == 3 { off } else { size as i64 })
            }
            _ => return Err(EINVAL),
        };
        let new = new.filter(|v| *v >= 0).ok_or(EINVAL)?;
        let obj = self.objs.get_mut(o).ok_or(EBADF)?;
        obj.pos = new as u64;
        Ok(new as u64)
    }

    /// A new pipe: its read and write handles.
    pub(super) fn pipe(&mut self, pid: u64) -> (u64, u64) {
        let p = self.objs.new_pipe();
        let r = self.objs.open_as(Kind::PipeRead(p), access::READ);
        let w = self.objs.open_as(Kind::PipeWrite(p), access::WRITE);
        let hr = self.add_handle(pid, r);
        let hw = self.add_handle(pid, w);
        (hr as u64, hw as u64)
    }

    /// The target of the symlink at `path` (from `dir`); with `own`, the
    /// path of the handle `dir`.
    pub(super) fn readlink(
        &self,
        pid: u64,
        path: &[u8],
        dir: u64,
        own: bool,
    ) -> Result<Vec<u8>, Errno> {
        if own {
            let o = self.obj_of(pid, dir)?;
            let obj = self.objs.get(o).ok_or(EBADF)?;
            return match obj.kind {
                Kind::Dir(l) | Kind::Path(l) if obj.entry.is_none() && obj.name.is_none() => self
                    .fs
                    .dir_path(&self.procfs(pid), self.procs[&pid].root, l),
                Kind::PipeRead(p) | Kind::PipeWrite(p) if obj.node.is_none() => {
                    Ok(alloc::format!("pipe:[{}]", p + 1).into_bytes())
                }
                _ => match (&obj.entry, &obj.name) {
                    (Some((d, n)), _) => {
                        let node = obj.kind.loc().or(obj.node);
                        self.entry_text(pid, *d, n, node).ok_or(ENOENT)
                    }
                    (None, Some(n)) => {
                        let mut n = n.clone();
                        // Linux marks a file whose last name went.
                        let loc = obj.kind.loc().or(obj.node);
                        if loc.is_some_and(|l| self.attr(pid, l).is_ok_and(|a| a.nlink == 0)) {
                            n.extend_from_slice(b" (deleted)");
                        }
                        Ok(n)
                    }
                    (None, None) => Ok(b"/dev/console".to_vec()),
                },
            };
        }
        let loc = if path.is_empty() {
            self.node_of(pid, dir).map_err(|_| ENOENT)?
        } else {
            self.resolve(pid, path, dir, false)?
        };
        let view = self.procfs(pid);
        let ns = crate::fs::View {
            files: &self.fs,
            proc: &view,
        };
        let fsn = self.fs.fs_of(loc.mount).ok_or(ENOENT)?;
        vfs::walk::Namespace::fs(&ns, fsn).readlink(loc.ino)
    }

    /// `faccessat`: `mode` (`R_OK` 4, `W_OK` 2, `X_OK` 1; 0 only asks
    /// whether it exists) checked with the real ids, or the effective ones
    /// with `EACCESS`.
    pub(super) fn access(
        &mut self,
        pid: u64,
        path: &[u8],
        dir: u64,
        mode: u64,
        flags: u64,
    ) -> Result<(), Errno> {
        if mode & !7 != 0 {
            return Err(EINVAL);
        }
        let loc = self.target(
            pid,
            dir,
            path,
            flags & (at::SYMLINK_NOFOLLOW | at::EMPTY_PATH),
        )?;
        if mode == 0 {
            return Ok(());
        }
        let a = self.attr(pid, loc)?;
        let p = &self.procs[&pid];
        let cred = if flags & at::EACCESS != 0 {
            p.cred.clone()
        } else {
            p.real_cred()
        };
        vfs::permission(&a, &cred, mode as u32)
    }

    pub(super) fn chdir(
        &mut self,
        pid: u64,
        path: &[u8],
        dir: u64,
        flags: u64,
    ) -> Result<(), Errno> {
        let loc = self.target(pid, dir, path, flags & at::EMPTY_PATH)?;
        let a = self.attr(pid, loc)?;
        if a.ftype != FileType::Directory {
            return Err(ENOTDIR);
        }
        vfs::permission(&a, &self.procs[&pid].cred, MAY_EXEC)?;
        self.hold_dir(loc);
        let old = self
            .procs
            .get_mut(&pid)
            .map(|pr| core::mem::replace(&mut pr.cwd, loc));
        if let Some(old) = old {
            self.release_dir(old);
        }
        Ok(())
    }

    /// A working directory's hold on its node (it outlives its removal,
    /// as Linux's does: `stat(".")` still works there).
    pub(super) fn hold_dir(&mut self, loc: Loc) {
        if let Some(fs) = self.fs.mem_mut(loc) {
            fs.hold(loc.ino);
        }
    }

    pub(super) fn release_dir(&mut self, loc: Loc) {
        if let Some(fs) = self.fs.mem_mut(loc) {
            fs.release(loc.ino);
        }
    }

    /// The path of `pid`'s working directory (`ENOENT` once removed).
    pub(super) fn getcwd(&self, pid: u64) -> Result<Vec<u8>, Errno> {
        let p = &self.procs[&pid];
        if self.attr(pid, p.cwd).map_or(true, |a| a.nlink == 0) {
            return Err(ENOENT);
        }
        self.fs.dir_path(&self.procfs(pid), p.root, p.cwd)
    }

    pub(super) fn close(&mut self, pid: u64, h: u64) -> Result<(), Errno> {
        let o = self.obj_of(pid, h)?;
        if let Some(p) = self.procs.get_mut(&pid) {
            p.handles[h as usize] = None;
        }
        self.drop_obj(o);
        Ok(())
    }

    /// Drops one reference to description `o`: a pipe end's waiters are
    /// woken, a node's hold at its file system released.
    pub(super) fn drop_obj(&mut self, o: usize) {
        self.lock_drop_ref(o);
        let Dropped {
            woken,
            node,
            fifo_gone,
        } = self.objs.drop_ref(o);
        self.wake_all(&woken);
        if let Some(loc) = node {
            if let Some(fs) = self.fs.mem_mut(loc) {
                fs.release(loc.ino);
            }
        }
        if let Some(loc) = fifo_gone {
            self.fs.fifos.remove(&loc);
        }
    }
}

impl Server {
    /// The absolute path of the program `path` names for `pid` (links
    /// followed, the last one too, as Linux's `/proc/PID/exe` shows it);
    /// the path itself if it cannot be resolved.
    pub(super) fn exe_path(&self, pid: u64, path: &[u8]) -> Vec<u8> {
        let from = self.procs[&pid].cwd;
        self.path_from(pid, path, from)
    }

    /// The absolute path `path` names for `pid` from the directory
    /// `from` (links followed, the last one too); the path itself if it
    /// cannot be resolved.
    fn path_from(&self, pid: u64, path: &[u8], from: Loc) -> Vec<u8> {
        match self.entry_from(pid, path, from) {
            Ok((dir, name)) => self
                .entry_path(pid, dir, &name)
                .unwrap_or_else(|| path.to_vec()),
            Err(p) => p,
        }
    }

    /// The directory and name `path` ends at for `pid` from `from`, links
    /// in the last component followed; the path left if not resolved.
    fn entry_from(&self, pid: u64, path: &[u8], mut from: Loc) -> Result<(Loc, Vec<u8>), Vec<u8>> {
        let mut path = path.to_vec();
        for _ in 0..MAX_CREATE_LINKS {
            let Ok(parent) = self.resolve_parent_from(pid, &path, from) else {
                break;
            };
            let Some(full) = self.entry_path(pid, parent.dir, &parent.name) else {
                break;
            };
            match self.readlink(pid, &full, NO_HANDLE, false) {
                Ok(target) if !target.is_empty() => {
                    path = target;
                    from = parent.dir;
                }
                _ => return Ok((parent.dir, parent.name)),
            }
        }
        Err(path)
    }

    /// The absolute path of `name` in the directory `dir`.
    fn entry_path(&self, pid: u64, dir: Loc, name: &[u8]) -> Option<Vec<u8>> {
        let mut full = self
            .fs
            .dir_path(&self.procfs(pid), self.procs[&pid].root, dir)
            .ok()?;
        if full != b"/" {
            full.push(b'/');
        }
        full.extend_from_slice(name);
        Some(full)
    }

    /// The `/proc/PID/fd` text of a file opened through the entry `name`
    /// of `dir`: its path, with " (deleted)" once the entry no longer
    /// names `node` (as Linux's `d_path`); `None` if the directory went.
    fn entry_text(&self, pid: u64, dir: Loc, name: &[u8], node: Option<Loc>) -> Option<Vec<u8>> {
        let mut full = self.entry_path(pid, dir, name)?;
        let here = {
            let view = self.procfs(pid);
            let ns = crate::fs::View {
                files: &self.fs,
                proc: &view,
            };
            self.fs.fs_of(dir.mount).and_then(|fsn| {
                vfs::walk::Namespace::fs(&ns, fsn)
                    .lookup(dir.ino, name)
                    .ok()
            })
        };
        if node.is_some_and(|n| here != Some(n.ino)) {
            full.extend_from_slice(b" (deleted)");
        }
        Some(full)
    }

    /// Moves the entry of every description opened through `from` to
    /// `to` (a rename; both ways for an exchange).
    pub(super) fn entries_moved(&mut self, from: (Loc, &[u8]), to: (Loc, &[u8]), exchange: bool) {
        for obj in self.objs.objs.iter_mut().flatten() {
            let Some((d, n)) = &obj.entry else {
                continue;
            };
            if *d == from.0 && n == from.1 {
                obj.entry = Some((to.0, to.1.to_vec()));
            } else if exchange && *d == to.0 && n == to.1 {
                obj.entry = Some((from.0, from.1.to_vec()));
            }
        }
    }

    /// The entry `/proc/PID/fd` shows for a file `pid` opened by `path`
    /// from `dir`.
    pub(super) fn opened_entry(&self, pid: u64, path: &[u8], dir: u64) -> Option<(Loc, Vec<u8>)> {
        let from = self.start_dir(pid, dir, path).ok()?;
        self.entry_from(pid, path, from).ok()
    }
}
