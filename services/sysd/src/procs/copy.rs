//! Copies between two handles inside the server, for `sendfile`,
//! `copy_file_range`, `splice` and `tee`: the bytes go from one memfs
//! file or pipe to another here and never through the library OS. The
//! caller checked the descriptor-level rules (access modes, `O_APPEND`,
//! which kinds each call takes); what needs the objects themselves (the
//! file's size, the pipe's bytes and room, one file on both sides) is
//! checked here.

use alloc::vec::Vec;

use super::*;
use crate::fs::now;
use crate::objects::access;
use sysproto::{copy, CopyArgs};
use vfs::walk::Loc;

/// Most bytes one copy moves: a long copy gives other requests their
/// turn (the caller sees a short count, as Linux allows, and goes on).
const COPY_MAX: u64 = 16 << 20;

/// Bytes a file-to-file copy moves at a time.
const CHUNK: usize = 64 * 1024;

/// One side of a copy.
#[derive(Clone, Copy)]
enum End {
    /// A memfs file (or a `/proc` file's text, as a source) at an offset;
    /// `own`: the offset is the description's position.
    File {
        obj: usize,
        loc: Loc,
        off: u64,
        own: bool,
    },
    Proc {
        obj: usize,
        off: u64,
        own: bool,
    },
    Pipe(usize),
    /// A device that takes every byte (`/dev/null`, `/dev/zero`,
    /// `/dev/random`), `/dev/full` (`ENOSPC`) or the kernel log.
    Sink(Kind),
}

impl Server {
    /// [`sys::Copy`]: how many bytes were copied.
    pub(super) fn copy(&mut self, pid: u64, r: sys::Copy, a: CopyArgs) -> Result<u64, Errno> {
        let src = self.copy_end(pid, r.from, access::READ, a.from_off)?;
        let dst = self.copy_end(pid, r.to, access::WRITE, a.to_off)?;
        let len = r.len.min(COPY_MAX);
        let tee = r.flags & copy::TEE != 0;
        if tee && !matches!((src, dst), (End::Pipe(_), End::Pipe(_))) {
            return Err(EINVAL);
        }
        match (src, dst) {
            (End::Pipe(a), End::Pipe(b)) if a == b => Err(EINVAL),
            (End::Pipe(pi), _) => self.copy_from_pipe(pid, pi, dst, len, tee, a.fsize),
            (End::File { .. } | End::Proc { .. }, End::File { .. } | End::Sink(_)) => {
                self.copy_file(pid, src, dst, len, r.flags, a.fsize)
            }
            (End::File { .. } | End::Proc { .. }, End::Pipe(po)) => {
                let room = self.pipe_room_for(pid, po)?;
                self.copy_file(pid, src, dst, len.min(room as u64), r.flags, a.fsize)
            }
            _ => Err(EINVAL),
        }
    }

    /// The side of a copy handle `h` names, open for `need`.
    fn copy_end(&self, pid: u64, h: u64, need: u8, off: u64) -> Result<End, Errno> {
        let o = self.obj_of(pid, h)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        if obj.access & need == 0 {
            return Err(EBADF);
        }
        let own = off == u64::MAX;
        let off = if own { obj.pos } else { off };
        Ok(match obj.kind {
            Kind::File(loc) => End::File {
                obj: o,
                loc,
                off,
                own,
            },
            Kind::Proc(_) if need == access::READ => End::Proc { obj: o, off, own },
            // The access check above kept a FIFO opened for reading
            // and writing as the only read end that may be written.
            Kind::PipeRead(p) | Kind::PipeWrite(p) => End::Pipe(p),
            Kind::Null | Kind::Zero | Kind::Random | Kind::Full | Kind::Kmsg
                if need == access::WRITE =>
            {
                End::Sink(obj.kind)
            }
            Kind::Dir(_) => return Err(EISDIR),
            _ => return Err(EINVAL),
        })
    }

    /// The room in pipe `p` for a copy into it: `EPIPE` with no reader,
    /// `EAGAIN` (the caller waits for it) with none.
    fn pipe_room_for(&mut self, pid: u64, p: usize) -> Result<usize, Errno> {
        let room = self.objs.pipe_room(p);
        let pipe = self.objs.pipe_mut(p).ok_or(EPIPE)?;
        if pipe.readers == 0 {
            return Err(EPIPE);
        }
        if room == 0 {
            if !pipe.waiters.contains(&pid) {
                pipe.waiters.push(pid);
            }
            return Err(EAGAIN);
        }
        Ok(room)
    }

    /// The source's size (the end a copy stops at).
    fn source_size(&self, pid: u64, src: End) -> Result<u64, Errno> {
        match src {
            End::File { loc, .. } => Ok(self.attr(pid, loc)?.size),
            End::Proc { obj, .. } => Ok(self
                .objs
                .get(obj)
                .and_then(|o| o.text.as_ref())
                .map_or(0, |t| t.len() as u64)),
            _ => Ok(0),
        }
    }

    /// Bytes of a file source at `off` into `buf`; how many.
    fn source_read(&self, src: End, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        match src {
            End::File { loc, .. } => self.fs.mem(loc).ok_or(EBADF)?.read(loc.ino, off, buf),
            End::Proc { obj, .. } => {
                let text = self.objs.get(obj).and_then(|o| o.text.as_deref());
                let rest = text
                    .unwrap_or(&[])
                    .get(off.min(usize::MAX as u64) as usize..)
                    .unwrap_or(&[]);
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                Ok(n)
            }
            _ => Ok(0),
        }
    }

    /// Puts `data` at the destination (a file at `off`, a pipe with room
    /// for it, a device); how many bytes it took.
    fn dest_write(&mut self, pid: u64, dst: End, off: u64, data: &[u8]) -> Result<usize, Errno> {
        match dst {
            End::File { loc, .. } => {
                let cred = self.procs[&pid].cred.clone();
                self.fs
                    .mem_mut(loc)
                    .ok_or(EACCES)?
                    .write(&cred, loc.ino, off, data, now())
            }
            End::Pipe(p) => {
                let woken = self
                    .objs
                    .pipe_mut(p)
                    .map(|p| core::mem::take(&mut p.waiters));
                self.objs.pipe_put(p, data);
                self.wake_all(&woken.unwrap_or_default());
                Ok(data.len())
            }
            End::Sink(Kind::Full) => Err(ENOSPC),
            End::Sink(Kind::Kmsg) => {
                let _ = exo_rt::debug_write(data);
                Ok(data.len())
            }
            End::Sink(_) => Ok(data.len()),
            End::Proc { .. } => Err(EINVAL),
        }
    }

    /// Sets a side's position after a copy that used it.
    fn set_pos(&mut self, end: End, pos: u64) {
        if let End::File { obj, own: true, .. } | End::Proc { obj, own: true, .. } = end {
            if let Some(o) = self.objs.get_mut(obj) {
                o.pos = pos;
            }
        }
    }

    /// A copy from a file (up to its end) to a file, a pipe (`len` is cut
    /// to its room already) or a device.
    fn copy_file(
        &mut self,
        pid: u64,
        src: End,
        dst: End,
        len: u64,
        flags: u64,
        fsize: u64,
    ) -> Result<u64, Errno> {
        let (End::File { off: from, .. } | End::Proc { off: from, .. }) = src else {
            return Err(EINVAL);
        };
        let size = self.source_size(pid, src)?;
        let mut len = len.min(size.saturating_sub(from));
        let mut to = match dst {
            End::File { off, .. } => off,
            _ => 0,
        };
        if let (End::File { loc: a, .. }, End::File { loc: b, .. }) = (src, dst) {
            if a == b && flags & copy::NO_OVERLAP != 0 && to < from + len && from < to + len {
                return Err(EINVAL);
            }
        }
        if let End::File { .. } = dst {
            if len > 0 {
                if to >= fsize {
                    return Err(EFBIG);
                }
                len = len.min(fsize - to);
            }
        }
        let mut done = 0u64;
        let mut buf = Vec::new();
        while done < len {
            let want = (len - done).min(CHUNK as u64) as usize;
            buf.resize(want, 0);
            let got = self.source_read(src, from + done, &mut buf)?;
            if got == 0 {
                break;
            }
            let put = match self.dest_write(pid, dst, to, &buf[..got]) {
                Ok(n) => n,
                Err(_) if done > 0 => break,
                Err(e) => return Err(e),
            };
            done += put as u64;
            to += put as u64;
            if put < got {
                break;
            }
        }
        self.set_pos(src, from + done);
        self.set_pos(dst, to);
        Ok(done)
    }

    /// A copy of what pipe `pi` holds (up to `len`) to a file, another
    /// pipe or a device, taking the bytes unless `tee`.
    fn copy_from_pipe(
        &mut self,
        pid: u64,
        pi: usize,
        dst: End,
        len: u64,
        tee: bool,
        fsize: u64,
    ) -> Result<u64, Errno> {
        let pipe = self.objs.pipe_mut(pi).ok_or(EBADF)?;
        if pipe.buf.is_empty() {
            if pipe.writers == 0 {
                return Ok(0);
            }
            if !pipe.waiters.contains(&pid) {
                pipe.waiters.push(pid);
            }
            return Err(EAGAIN);
        }
        let mut n = (pipe.buf.len() as u64).min(len);
        let to = match dst {
            End::File { off, .. } => {
                if off >= fsize {
                    return Err(EFBIG);
                }
                n = n.min(fsize - off);
                off
            }
            End::Pipe(po) => {
                n = n.min(self.pipe_room_for(pid, po)? as u64);
                0
            }
            _ => 0,
        };
        let bytes = self
            .objs
            .pipe_mut(pi)
            .map(|p| p.buf.peek(n as usize))
            .unwrap_or_default();
        let put = self.dest_write(pid, dst, to, &bytes)?;
        if !tee {
            self.objs.pipe_take_with(pi, put, |_, _| {});
            let woken = self
                .objs
                .pipe_mut(pi)
                .map(|p| core::mem::take(&mut p.waiters));
            self.wake_all(&woken.unwrap_or_default());
        }
        self.set_pos(dst, to + put as u64);
        Ok(put as u64)
    }
}
