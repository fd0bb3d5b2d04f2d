//! Files and pipes through a process's handles: open, read, write, stat,
//! directory entries, seek, pipes, links, access, the working directory.

use alloc::vec::Vec;

use super::*;
use crate::vfs::names_self_exe;
use sysproto::dirent;

impl Server {
    /// Resolves a path of `pid`, relative to its directory or to the
    /// directory handle `dir`.
    pub(super) fn resolve(
        &self,
        pid: u64,
        path: &[u8],
        dir: u64,
        follow: bool,
    ) -> Result<usize, Errno> {
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
        let exe = core::str::from_utf8(&self.procs[&pid].exe).unwrap_or("");
        self.vfs.resolve_as(&base, exe, path, follow)
    }

    pub(super) fn open(
        &mut self,
        pid: u64,
        path: &[u8],
        flags: u64,
        dir: u64,
    ) -> Result<sys::OpenReply, Errno> {
        let writing = flags & 3 != 0 || flags & 0o1000 != 0;
        let node = match self.resolve(pid, path, dir, flags & 0o400000 == 0) {
            Ok(n) => n,
            Err(ENOENT) if flags & 0o100 != 0 => return Err(EROFS),
            Err(e) => return Err(e),
        };
        let n = &self.vfs.nodes[node];
        let kind = match n.body {
            Body::Device(k) => match k {
                kind::NULL => Kind::Null,
                kind::ZERO => Kind::Zero,
                _ => Kind::Console,
            },
            Body::MemInfo if writing => return Err(EROFS),
            Body::MemInfo => Kind::File { node },
            Body::Data { .. } if n.is_dir() => {
                if writing {
                    return Err(EISDIR);
                }
                Kind::Dir { node }
            }
            Body::Data { .. } => {
                if writing {
                    return Err(EROFS);
                }
                if n.mode & S_IFMT != S_IFREG && n.mode & S_IFMT != 0o120000 {
                    return Err(EACCES);
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
        let (len, at) = ((r.len as usize).min(DATA_BYTES), r.offset);
        let o = self.obj_of(pid, r.handle)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        match obj.kind {
            Kind::File { node } => {
                let pos = if at == u64::MAX { obj.pos } else { at };
                let mut buf = alloc::vec![0u8; len];
                let n = match self.vfs.nodes[node].body {
                    Body::MemInfo => {
                        let text = self.meminfo();
                        let rest = text.as_bytes().get(pos as usize..).unwrap_or(&[]);
                        let n = rest.len().min(len);
                        buf[..n].copy_from_slice(&rest[..n]);
                        n
                    }
                    _ => self.vfs.nodes[node].read(pos, &mut buf),
                };
                d.put(&buf[..n]);
                if at == u64::MAX {
                    if let Some(obj) = self.objs.get_mut(o) {
                        obj.pos = pos + n as u64;
                    }
                }
                Ok(())
            }
            Kind::Dir { .. } => Err(EISDIR),
            Kind::Null => Ok(()),
            Kind::Zero => {
                d.put(&alloc::vec![0u8; len]);
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
                    if pipe.writers == 0 {
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
        h: u64,
        d: &mut Data<'_, sys::Write>,
    ) -> Result<u64, Errno> {
        let len = d.in_len();
        let o = self.obj_of(pid, h)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        match obj.kind {
            Kind::Null | Kind::Zero => Ok(len as u64),
            Kind::Console => {
                let bytes = d.input(len);
                let _ = exo_rt::debug_write(&bytes);
                Ok(len as u64)
            }
            Kind::PipeWrite(pi) => {
                let data = d.input(len);
                let room = self.objs.pipe_room(pi);
                let pipe = self.objs.pipe_mut(pi).ok_or(EPIPE)?;
                if pipe.readers == 0 {
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
            _ => Err(EBADF),
        }
    }

    pub(super) fn node_stat(&self, node: usize) -> Stat {
        let n = &self.vfs.nodes[node];
        Stat {
            dev: 1,
            ino: node as u64 + 1,
            mode: u64::from(n.mode),
            nlink: if n.is_dir() { 2 } else { 1 },
            size: n.len(),
            rdev: match n.body {
                Body::Device(k) => device_number(k),
                _ => 0,
            },
            mtime_ns: n.mtime * 1_000_000_000,
        }
    }

    pub(super) fn fstat(&mut self, pid: u64, h: u64) -> Result<Stat, Errno> {
        let o = self.obj_of(pid, h)?;
        Ok(match self.objs.get(o).map(|o| o.kind) {
            Some(Kind::File { node } | Kind::Dir { node }) => self.node_stat(node),
            Some(Kind::PipeRead(_) | Kind::PipeWrite(_)) => Stat {
                dev: 2,
                ino: o as u64 + 1,
                mode: 0o010600,
                nlink: 1,
                ..Stat::default()
            },
            Some(k @ (Kind::Null | Kind::Zero | Kind::Console)) => {
                let (dev, perm) = match k {
                    Kind::Null => (kind::NULL, 0o666),
                    Kind::Zero => (kind::ZERO, 0o666),
                    _ => (kind::CONSOLE, 0o620),
                };
                Stat {
                    dev: 3,
                    mode: 0o020000 | perm,
                    rdev: device_number(dev),
                    nlink: 1,
                    ..Stat::default()
                }
            }
            None => return Err(EBADF),
        })
    }

    /// The `dirent64` records of directory handle `h` that fit in `room`
    /// bytes, from its position on.
    pub(super) fn getdents(&mut self, pid: u64, h: u64, room: usize) -> Result<Vec<u8>, Errno> {
        let o = self.obj_of(pid, h)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        let Kind::Dir { node } = obj.kind else {
            return Err(ENOTDIR);
        };
        let room = room.min(DATA_BYTES);
        let start = obj.pos as usize;
        let mut out = alloc::vec![0u8; room];
        let mut at = 0;
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
            let Some(n) = dirent::put(&mut out[at..], *ino, (k + 1) as u64, *t, name) else {
                break;
            };
            at += n;
            taken += 1;
        }
        if taken == 0 && start < entries.len() {
            return Err(EINVAL);
        }
        if let Some(obj) = self.objs.get_mut(o) {
            obj.pos += taken as u64;
        }
        out.truncate(at);
        Ok(out)
    }

    pub(super) fn seek(&mut self, pid: u64, h: u64, off: i64, whence: u64) -> Result<u64, Errno> {
        let o = self.obj_of(pid, h)?;
        let size = match self.objs.get(o).map(|o| o.kind) {
            Some(Kind::File { node }) => self.vfs.nodes[node].len(),
            Some(Kind::Dir { .. }) => 0,
            _ => return Err(ESPIPE),
        };
        let obj = self.objs.get_mut(o).ok_or(EBADF)?;
        let base = match whence {
            0 => 0i64,
            1 => obj.pos as i64,
            2 => size as i64,
            _ => return Err(EINVAL),
        };
        let new = base.checked_add(off).filter(|v| *v >= 0).ok_or(EINVAL)?;
        obj.pos = new as u64;
        Ok(new as u64)
    }

    /// A new pipe: its read and write handles.
    pub(super) fn pipe(&mut self, pid: u64) -> (u64, u64) {
        let p = self.objs.new_pipe();
        let r = self.objs.open(Kind::PipeRead(p));
        let w = self.objs.open(Kind::PipeWrite(p));
        let hr = self.add_handle(pid, r);
        let hw = self.add_handle(pid, w);
        (hr as u64, hw as u64)
    }

    /// The target of the symlink at `path`; with no path and a directory
    /// or file handle `dir`, that file's path.
    pub(super) fn readlink(&mut self, pid: u64, path: &[u8], dir: u64) -> Result<Vec<u8>, Errno> {
        if path.is_empty() && dir != NO_HANDLE {
            return match self.obj_of(pid, dir).ok().and_then(|o| self.objs.get(o)) {
                Some(o) => match o.kind {
                    Kind::Dir { node } | Kind::File { node } => {
                        Ok(alloc::format!("/{}", self.vfs.nodes[node].path).into_bytes())
                    }
                    _ => Err(EINVAL),
                },
                None => Err(EBADF),
            };
        }
        let p = &self.procs[&pid];
        if !p.exe.is_empty() && names_self_exe(&p.cwd, path) {
            let mut t = alloc::vec![b'/'];
            t.extend_from_slice(&p.exe);
            return Ok(t);
        }
        let node = self.resolve(pid, path, NO_HANDLE, false)?;
        let n = &self.vfs.nodes[node];
        if n.mode & S_IFMT != 0o120000 {
            return Err(EINVAL);
        }
        let mut t = alloc::vec![0u8; n.len() as usize];
        n.read(0, &mut t);
        Ok(t)
    }

    pub(super) fn access(&mut self, pid: u64, path: &[u8], mode: u64) -> Result<(), Errno> {
        let node = self.resolve(pid, path, NO_HANDLE, true)?;
        let n = &self.vfs.nodes[node];
        if mode & 2 != 0 && !matches!(n.body, Body::Device(_)) {
            return Err(EROFS);
        }
        if mode & 1 != 0 && n.mode & 0o111 == 0 {
            return Err(EACCES);
        }
        Ok(())
    }

    pub(super) fn chdir(&mut self, pid: u64, path: &[u8]) -> Result<(), Errno> {
        let node = self.resolve(pid, path, NO_HANDLE, true)?;
        if !self.vfs.nodes[node].is_dir() {
            return Err(ENOTDIR);
        }
        let p = self.vfs.nodes[node].path.clone();
        if let Some(pr) = self.procs.get_mut(&pid) {
            pr.cwd = p;
        }
        Ok(())
    }

    pub(super) fn close(&mut self, pid: u64, h: u64) -> Result<(), Errno> {
        let o = self.obj_of(pid, h)?;
        if let Some(p) = self.procs.get_mut(&pid) {
            p.handles[h as usize] = None;
        }
        let w = self.objs.drop_ref(o);
        self.wake_all(&w);
        Ok(())
    }
}

/// The Linux device number (major << 8 | minor) of a device kind:
/// `/dev/null` 1:3, `/dev/zero` 1:5, the console 5:1.
fn device_number(k: u64) -> u64 {
    match k {
        kind::NULL => 0x103,
        kind::ZERO => 0x105,
        _ => 0x501,
    }
}
