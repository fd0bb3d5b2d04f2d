//! Copies between descriptors without the program's memory: `sendfile`,
//! `copy_file_range`, `splice` and `tee`. The descriptor-level checks are
//! here, in Linux's order; the bytes move inside the file service
//! ([`sys::Copy`]), file to file, file to pipe, pipe to file and pipe to
//! pipe, never through the library OS. Only the console, which the
//! library OS writes itself, takes the bytes through here. A copy that
//! must wait (an empty pipe with writers, a full pipe) waits as `read`
//! and `write` do, unless `SPLICE_F_NONBLOCK` or the pipe's `O_NONBLOCK`
//! says `EAGAIN`.

use alloc::rc::Rc;

use linux_errno::Errno::{self, EAGAIN, EBADF, EFBIG, EINVAL, EISDIR, EPIPE, ESPIPE};
use sysproto::zerocopy::IntoBytes;
use sysproto::{copy, kind, sys, CopyArgs, DATA_BYTES};

use super::files::{console_write_allowed, fd_arg};
use super::{wait_again, Call, Ret};
use crate::fd::OpenFile;
use crate::proc::Proc;
use crate::server;

const O_ACCMODE: u32 = 3;
const O_APPEND: u32 = 0o2000;
const O_NONBLOCK: u32 = 0o4000;
const SPLICE_F_NONBLOCK: u64 = 2;
/// `SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT`.
const SPLICE_F_ALL: u64 = 0xf;
/// Most bytes one call moves (Linux's `MAX_RW_COUNT`).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

pub fn sendfile(p: &mut Proc, c: &mut Call) -> Ret {
    done(send_file(p, c.a))
}

pub fn copy_file_range(p: &mut Proc, c: &mut Call) -> Ret {
    done(copy_range(p, c.a))
}

pub fn splice(p: &mut Proc, c: &mut Call) -> Ret {
    done(splice_fds(p, c.a))
}

pub fn tee(p: &mut Proc, c: &mut Call) -> Ret {
    done(tee_fds(p, c.a))
}

fn done(r: Result<Ret, Errno>) -> Ret {
    r.unwrap_or_else(Ret::from)
}

fn is_pipe(f: &OpenFile) -> bool {
    matches!(
        f.kind,
        kind::PIPE_READ | kind::PIPE_WRITE | kind::FIFO_READ | kind::FIFO_WRITE
    )
}

fn readable(f: &OpenFile) -> bool {
    f.flags.get() & O_ACCMODE != 1
}

fn writable(f: &OpenFile) -> bool {
    f.flags.get() & O_ACCMODE != 0
}

fn flag(f: &OpenFile, bit: u32) -> bool {
    f.flags.get() & bit != 0
}

/// An open descriptor (an `O_PATH` one is none here, as in Linux).
fn open_file(p: &Proc, fd: u64) -> Result<Rc<OpenFile>, Errno> {
    let f = p.fds.file(fd_arg(fd))?;
    if f.kind == kind::PATH {
        return Err(EBADF);
    }
    Ok(f)
}

/// The `loff_t` at `addr` (0: none).
fn user_off(p: &mut Proc, addr: u64) -> Result<Option<i64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    Ok(Some(p.mm.read_u64(addr)? as i64))
}

/// An offset that must not be negative, as a server offset (`u64::MAX`:
/// the description's position).
fn server_off(off: Option<i64>) -> Result<u64, Errno> {
    match off {
        None => Ok(u64::MAX),
        Some(o) if o < 0 => Err(EINVAL),
        Some(o) => Ok(o as u64),
    }
}

/// One copy, the checks made.
struct Job {
    from: Rc<OpenFile>,
    /// The source offset and the pointer it came from (0: the position).
    from_off: u64,
    from_ptr: u64,
    to: Rc<OpenFile>,
    to_off: u64,
    to_ptr: u64,
    len: u64,
    flags: u64,
    nonblock: bool,
}

/// Makes the copy at the server (to the console: here), waiting if it
/// must; the offset pointers are moved past what was copied.
fn run(p: &mut Proc, j: Job) -> Result<Ret, Errno> {
    let len = j.len.min(MAX_RW_COUNT);
    if len == 0 {
        return Ok(Ok(0).into());
    }
    let moved = if j.to.kind == kind::CONSOLE {
        if let Err(r) = console_write_allowed(p) {
            return Ok(r);
        }
        to_console(&j, len)
    } else {
        let args = CopyArgs {
            from_off: j.from_off,
            to_off: j.to_off,
            fsize: crate::limits::cur(crate::limits::RLIMIT_FSIZE),
        };
        let req = sys::Copy {
            from: j.from.handle,
            to: j.to.handle,
            len,
            flags: j.flags,
        };
        server::call_with(req, args.as_bytes()).map(|a| a.reply.done)
    };
    let n = match moved {
        Ok(n) => n,
        Err(EAGAIN) if !j.nonblock => return Ok(wait_again()),
        Err(e) => {
            let sig = match e {
                EPIPE => crate::signal::SIGPIPE,
                EFBIG => crate::signal::SIGXFSZ,
                _ => return Err(e),
            };
            crate::signal::post_task(p, p.cur, sig, crate::signal::SI_USER);
            return Err(e);
        }
    };
    for (ptr, off) in [(j.from_ptr, j.from_off), (j.to_ptr, j.to_off)] {
        if ptr != 0 {
            p.mm.write_u64(ptr, off + n)?;
        }
    }
    Ok(Ok(n as usize).into())
}

/// A copy to the console: one read of the source (a mailbox at most),
/// written out here.
fn to_console(j: &Job, len: u64) -> Result<u64, Errno> {
    if j.flags & copy::TEE != 0 {
        return Err(EINVAL);
    }
    let read = sys::Read {
        handle: j.from.handle,
        len: len.min(DATA_BYTES as u64),
        offset: j.from_off,
        ttin_ignored: false,
    };
    let got = server::call_with(read, &())?;
    got.with_bytes(crate::console::write);
    Ok(got.len() as u64)
}

/// `sendfile(out_fd, in_fd, offset, count)`: from a file to a file, a
/// pipe or a device.
fn send_file(p: &mut Proc, a: [u64; 6]) -> Result<Ret, Errno> {
    let from = open_file(p, a[1])?;
    if !readable(&from) {
        return Err(EBADF);
    }
    let off = user_off(p, a[2])?;
    if off.is_some() && from.kind != kind::FILE {
        return Err(ESPIPE);
    }
    let from_off = server_off(off)?;
    if (a[3] as i64) < 0 {
        return Err(EINVAL);
    }
    let to = open_file(p, a[0])?;
    if !writable(&to) {
        return Err(EBADF);
    }
    let nonblock = if is_pipe(&to) {
        flag(&to, O_NONBLOCK)
    } else {
        if flag(&to, O_APPEND) {
            return Err(EINVAL);
        }
        flag(&from, O_NONBLOCK)
    };
    if from.kind != kind::FILE {
        return Err(EINVAL);
    }
    run(
        p,
        Job {
            from,
            from_off,
            from_ptr: a[2],
            to,
            to_off: u64::MAX,
            to_ptr: 0,
            len: a[3],
            flags: 0,
            nonblock,
        },
    )
}

/// `copy_file_range(fd_in, off_in, fd_out, off_out, len, flags)`:
/// between regular files (one file's ranges must not overlap).
fn copy_range(p: &mut Proc, a: [u64; 6]) -> Result<Ret, Errno> {
    let from = open_file(p, a[0])?;
    let to = open_file(p, a[2])?;
    let off_in = user_off(p, a[1])?;
    let off_out = user_off(p, a[3])?;
    if a[5] != 0 {
        return Err(EINVAL);
    }
    if from.kind == kind::DIR || to.kind == kind::DIR {
        return Err(EISDIR);
    }
    if from.kind != kind::FILE || to.kind != kind::FILE {
        return Err(EINVAL);
    }
    if !readable(&from) || !writable(&to) || flag(&to, O_APPEND) {
        return Err(EBADF);
    }
    let from_off = server_off(off_in)?;
    let to_off = server_off(off_out)?;
    run(
        p,
        Job {
            from,
            from_off,
            from_ptr: a[1],
            to,
            to_off,
            to_ptr: a[3],
            len: a[4],
            flags: copy::NO_OVERLAP,
            nonblock: false,
        },
    )
}

/// `splice(fd_in, off_in, fd_out, off_out, len, flags)`: one side (or
/// both) a pipe; the offset pointer, if any, belongs to the other side.
fn splice_fds(p: &mut Proc, a: [u64; 6]) -> Result<Ret, Errno> {
    let (len, flags) = (a[4], a[5] & 0xffff_ffff);
    if len == 0 {
        return Ok(Ok(0).into());
    }
    if flags & !SPLICE_F_ALL != 0 {
        return Err(EINVAL);
    }
    let from = open_file(p, a[0])?;
    let to = open_file(p, a[2])?;
    let (in_pipe, out_pipe) = (is_pipe(&from), is_pipe(&to));
    if (in_pipe && a[1] != 0) || (out_pipe && a[3] != 0) {
        return Err(ESPIPE);
    }
    let off_out = user_off(p, a[3])?;
    let off_in = user_off(p, a[1])?;
    if !readable(&from) || !writable(&to) {
        return Err(EBADF);
    }
    let mut nonblock = flags & SPLICE_F_NONBLOCK != 0;
    match (in_pipe, out_pipe) {
        (true, true) => nonblock |= flag(&from, O_NONBLOCK) || flag(&to, O_NONBLOCK),
        (true, false) => {
            if off_out.is_some() && to.kind != kind::FILE {
                return Err(ESPIPE);
            }
            if flag(&to, O_APPEND) {
                return Err(EINVAL);
            }
            nonblock |= flag(&from, O_NONBLOCK);
        }
        (false, true) => {
            if off_in.is_some() && from.kind != kind::FILE {
                return Err(ESPIPE);
            }
            nonblock |= flag(&to, O_NONBLOCK);
        }
        (false, false) => return Err(EINVAL),
    }
    let from_off = server_off(off_in)?;
    let to_off = server_off(off_out)?;
    run(
        p,
        Job {
            from,
            from_off,
            from_ptr: a[1],
            to,
            to_off,
            to_ptr: a[3],
            len,
            flags: 0,
            nonblock,
        },
    )
}

/// `tee(fd_in, fd_out, len, flags)`: copies what one pipe holds to
/// another, leaving it in the first.
fn tee_fds(p: &mut Proc, a: [u64; 6]) -> Result<Ret, Errno> {
    let (len, flags) = (a[2], a[3] & 0xffff_ffff);
    if flags & !SPLICE_F_ALL != 0 {
        return Err(EINVAL);
    }
    if len == 0 {
        return Ok(Ok(0).into());
    }
    let from = open_file(p, a[0])?;
    let to = open_file(p, a[1])?;
    if !readable(&from) || !writable(&to) {
        return Err(EBADF);
    }
    if !is_pipe(&from) || !is_pipe(&to) {
        return Err(EINVAL);
    }
    let nonblock =
        flags & SPLICE_F_NONBLOCK != 0 || flag(&from, O_NONBLOCK) || flag(&to, O_NONBLOCK);
    run(
        p,
        Job {
            from,
            from_off: u64::MAX,
            from_ptr: 0,
            to,
            to_off: u64::MAX,
            to_ptr: 0,
            len,
            flags: copy::TEE,
            nonblock,
        },
    )
}
