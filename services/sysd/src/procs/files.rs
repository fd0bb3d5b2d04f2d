//! Files and pipes through a process's handles: open, read, write, stat,
//! directory entries, seek, pipes, links, access, the working directory.

use alloc::vec::Vec;

use super::*;
use crate::vfs::names_self_exe;

impl Server {
    /// Resolves a path of `pid`, relative to its directory or to the
    /// directory handle `dir`.
    pub(super) fn resolve(
        &self,
        pid: u64,
        path: &[u8],
        dir: u64,
        follow: bool,
    ) -> Result<usize, i64> {
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

    pub(super) fn open(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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
            Body::MemInfo if writing => return err(EROFS),
            Body::MemInfo => Kind::File { node },
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

    pub(super) fn read(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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
            Kind::Console => match self.job_check(pid, false, a[4] != 0) {
                Err(e) => ok(e),
                Ok(()) => self.console_read(pid, len),
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
                let woken = core::mem::take(&mut pipe.waiters);
                let bytes = self.objs.pipe_take(pi, len);
                let n = bytes.len();
                self.put_data(pid, &bytes);
                self.wake_all(&woken);
                ok(n as i64)
            }
        }
    }

    /// A read of the console by a process allowed to read it.
    fn console_read(&mut self, pid: u64, len: usize) -> Msg {
        match self.tty.take(len) {
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
        }
    }

    pub(super) fn write(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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
                let room = self.objs.pipe_room(pi);
                let Some(pipe) = self.objs.pipe_mut(pi) else {
                    return err(EPIPE);
                };
                if pipe.readers == 0 {
                    return err(EPIPE);
                }
                // Writes of up to PIPE_BUF are atomic: all or wait.
                let Some(n) = pipebuf::accepts(room, len) else {
                    if !pipe.waiters.contains(&pid) {
                        pipe.waiters.push(pid);
                    }
                    return ok(WOULD_BLOCK);
                };
                let woken = core::mem::take(&mut pipe.waiters);
                self.objs.pipe_put(pi, &data[..n]);
                self.wake_all(&woken);
                ok(n as i64)
            }
            _ => err(EBADF),
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

    pub(super) fn put_stat(&self, pid: u64, s: &Stat) {
        let bytes: Vec<u8> = s.to_words().iter().flat_map(|w| w.to_le_bytes()).collect();
        self.put_data(pid, &bytes);
    }

    pub(super) fn fstat(&mut self, pid: u64, h: u64) -> Msg {
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
            None => return err(EBADF),
        };
        self.put_stat(pid, &s);
        ok(0)
    }

    pub(super) fn stat(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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

    pub(super) fn getdents(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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

    pub(super) fn seek(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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

    pub(super) fn pipe(&mut self, pid: u64) -> Msg {
        let p = self.objs.new_pipe();
        let r = self.objs.open(Kind::PipeRead(p));
        let w = self.objs.open(Kind::PipeWrite(p));
        let hr = self.add_handle(pid, r);
        let hw = self.add_handle(pid, w);
        [hr as u64, hw as u64, 0, 0, 0, 0]
    }

    pub(super) fn readlink(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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
        let p = &self.procs[&pid];
        if !p.exe.is_empty() && names_self_exe(&p.cwd, &path) {
            let mut t = alloc::vec![b'/'];
            t.extend_from_slice(&p.exe);
            self.put_data(pid, &t);
            return ok(t.len() as i64);
        }
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

    pub(super) fn access(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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

    pub(super) fn chdir(&mut self, pid: u64, a: [u64; 5]) -> Msg {
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

    pub(super) fn close(&mut self, pid: u64, h: u64) -> Msg {
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
