//! File calls: descriptors, opening, reading and writing (files,
//! directories, pipes, FIFOs, devices, the console), `stat`, directories,
//! the working directory, `ioctl`. Files live at the file service in the
//! system server; the calls that change names and attributes are in
//! [`super::paths`].

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::Cell;

use linux_errno::Errno::{
    self, EAGAIN, EBADF, EFAULT, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTTY, EPIPE, ERANGE, ESPIPE,
};
use sysproto::{at, kind, sys, Stat, DATA_BYTES, NO_HANDLE};

use super::{access_ok, wait_again, Call, Ret};
use crate::fd::{Fd, OpenFile};
use crate::proc::Proc;
use crate::server;

const O_ACCMODE: u64 = 3;
const O_APPEND: u64 = 0o2000;
const O_NONBLOCK: u64 = 0o4000;
const O_ASYNC: u64 = 0o20000;
const O_DIRECTORY: u64 = 0o200000;
const O_CLOEXEC: u64 = 0o2000000;
const O_CREAT: u64 = 0o100;
const O_TRUNC: u64 = 0o1000;
const O_PATH: u64 = 0o10000000;
const O_TMPFILE: u64 = 0o20000000;
/// Set on every file `open` makes (64-bit Linux forces it; musl asks
/// for it on i386).
const O_LARGEFILE: u64 = 0o100000;
pub(super) const AT_FDCWD: i64 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_EMPTY_PATH: u64 = 0x1000;

/// A descriptor argument: Linux takes these calls' descriptors as
/// `unsigned int`.
pub(super) fn fd_arg(x: u64) -> i64 {
    i64::from(x as u32)
}

/// A directory descriptor of an `*at` call (an `int`).
pub(super) fn dirfd_arg(x: u64) -> i64 {
    i64::from(x as i32)
}

pub fn read(p: &mut Proc, c: &mut Call) -> Ret {
    read_scatter(p, fd_arg(c.a[0]), &[(c.a[1], c.a[2])], None)
}

pub fn pread64(p: &mut Proc, c: &mut Call) -> Ret {
    if (c.a[3] as i64) < 0 {
        return EINVAL.into();
    }
    read_scatter(p, fd_arg(c.a[0]), &[(c.a[1], c.a[2])], Some(c.a[3]))
}

pub fn readv(p: &mut Proc, c: &mut Call) -> Ret {
    read_vector(p, fd_arg(c.a[0]), c.a[1], c.a[2], None)
}

pub fn preadv(p: &mut Proc, c: &mut Call) -> Ret {
    if (c.a[3] as i64) < 0 {
        return EINVAL.into();
    }
    read_vector(p, fd_arg(c.a[0]), c.a[1], c.a[2], Some(c.a[3]))
}

pub fn write(p: &mut Proc, c: &mut Call) -> Ret {
    write_gather(p, c, fd_arg(c.a[0]), &[(c.a[1], c.a[2])])
}

/// `writev`: the buffers are written as one operation.
pub fn writev(p: &mut Proc, c: &mut Call) -> Ret {
    let fd = fd_arg(c.a[0]);
    if let Err(e) = p.fds.get(fd) {
        return e.into();
    }
    match iovecs(p, c.a[1], c.a[2]) {
        Ok(v) => write_gather(p, c, fd, &v),
        Err(e) => e.into(),
    }
}

pub fn pwrite64(p: &mut Proc, c: &mut Call) -> Ret {
    if (c.a[3] as i64) < 0 {
        return EINVAL.into();
    }
    write_at(p, c, fd_arg(c.a[0]), &[(c.a[1], c.a[2])], Some(c.a[3]))
}

pub fn pwritev(p: &mut Proc, c: &mut Call) -> Ret {
    if (c.a[3] as i64) < 0 {
        return EINVAL.into();
    }
    let fd = fd_arg(c.a[0]);
    if let Err(e) = p.fds.get(fd) {
        return e.into();
    }
    match iovecs(p, c.a[1], c.a[2]) {
        Ok(v) => write_at(p, c, fd, &v, Some(c.a[3])),
        Err(e) => e.into(),
    }
}

pub fn open(p: &mut Proc, c: &mut Call) -> Ret {
    opening(p, AT_FDCWD, c.a[0], c.a[1], c.a[2])
}

pub fn openat(p: &mut Proc, c: &mut Call) -> Ret {
    opening(p, dirfd_arg(c.a[0]), c.a[1], c.a[2], c.a[3])
}

/// `creat`: `open` with `O_CREAT | O_WRONLY | O_TRUNC`.
pub fn creat(p: &mut Proc, c: &mut Call) -> Ret {
    opening(p, AT_FDCWD, c.a[0], O_CREAT | 1 | O_TRUNC, c.a[1])
}

/// An open that may wait: a FIFO opened without `O_NONBLOCK` waits for
/// its other side (the server wakes this process when that opens).
fn opening(p: &mut Proc, dirfd: i64, path: u64, flags: u64, mode: u64) -> Ret {
    match open_at(p, dirfd, path, flags, mode) {
        Err(EAGAIN) if flags & O_NONBLOCK == 0 => wait_again(),
        r => r.into(),
    }
}

pub fn close(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    p.fds.close(fd_arg(c.a[0])).map(|()| 0)
}

pub fn close_range(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    close_fds(p, c.a[0] as u32, c.a[1] as u32, c.a[2] as u32)
}

pub fn dup(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    dup_min(p, fd_arg(c.a[0]), 0, false)
}

pub fn dup2(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let fd = fd_arg(c.a[0]);
    if c.a[0] as u32 == c.a[1] as u32 {
        p.fds.get(fd).map(|_| fd as usize)
    } else {
        dup_to(p, fd, fd_arg(c.a[1]), false)
    }
}

pub fn dup3(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[2] as u32 as u64 & !O_CLOEXEC != 0 || c.a[0] as u32 == c.a[1] as u32 {
        return Err(EINVAL);
    }
    dup_to(p, fd_arg(c.a[0]), fd_arg(c.a[1]), c.a[2] & O_CLOEXEC != 0)
}

pub fn fcntl(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    fcntl_cmd(p, fd_arg(c.a[0]), c.a[1] as u32, c.a[2])
}

pub fn pipe(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    make_pipe(p, c.a[0], 0)
}

pub fn pipe2(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    make_pipe(p, c.a[0], c.a[1])
}

pub fn lseek(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    seek(p, fd_arg(c.a[0]), c.a[1], c.a[2] as u32 as u64)
}

pub fn fstat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let s = fstat_of(p, fd_arg(c.a[0]))?;
    p.mm.write(c.a[1], &linux_stat(&s))?;
    Ok(0)
}

pub fn stat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    stat_path(p, AT_FDCWD, c.a[0], c.a[1], 0)
}

pub fn lstat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    stat_path(p, AT_FDCWD, c.a[0], c.a[1], AT_SYMLINK_NOFOLLOW)
}

pub fn newfstatat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    stat_path(p, dirfd_arg(c.a[0]), c.a[1], c.a[2], c.a[3])
}

pub fn statx(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    statx_of(p, dirfd_arg(c.a[0]), c.a[1], c.a[2], c.a[3], c.a[4])
}

pub fn getdents64(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    getdents(p, fd_arg(c.a[0]), c.a[1], c.a[2])
}

pub fn access(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    access_at(p, AT_FDCWD, c.a[0], c.a[1], 0)
}

pub fn faccessat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    access_at(p, dirfd_arg(c.a[0]), c.a[1], c.a[2], 0)
}

pub fn faccessat2(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    access_at(p, dirfd_arg(c.a[0]), c.a[1], c.a[2], c.a[3] & 0xffff_ffff)
}

pub fn readlink(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    read_link(p, AT_FDCWD, c.a[0], c.a[1], c.a[2])
}

pub fn readlinkat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    read_link(p, dirfd_arg(c.a[0]), c.a[1], c.a[2], c.a[3])
}

pub fn getcwd(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    get_cwd(p, c.a[0], c.a[1])
}

pub fn chdir(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let path = p.mm.read_cstr(c.a[0], 4096)?;
    let req = sys::Chdir {
        dir: NO_HANDLE,
        flags: 0,
    };
    server::call_path(req, &path)?;
    Ok(0)
}

pub fn fchdir(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let file = p.fds.file(fd_arg(c.a[0]))?;
    if file.kind != kind::DIR {
        return Err(ENOTDIR);
    }
    let req = sys::Chdir {
        dir: file.handle,
        flags: at::EMPTY_PATH,
    };
    server::call_path(req, b"")?;
    Ok(0)
}

pub fn umask(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let old = p.umask;
    p.umask = (c.a[0] & 0o777) as u32;
    Ok(old as usize)
}

/// A descriptor (the lowest free) for a server handle just opened; the
/// handle is closed again if none is free.
pub(super) fn install_file(
    p: &mut Proc,
    handle: u64,
    kind: u64,
    flags: u64,
    cloexec: bool,
) -> Result<usize, Errno> {
    let file = new_file(handle, kind, flags | O_LARGEFILE);
    p.fds.install(Fd { file, cloexec }, 0).map(|fd| fd as usize)
}

fn new_file(handle: u64, kind: u64, flags: u64) -> Rc<OpenFile> {
    let keep = if flags & O_PATH != 0 {
        O_PATH
    } else {
        O_ACCMODE | O_APPEND | O_NONBLOCK | O_LARGEFILE
    };
    Rc::new(OpenFile {
        handle,
        kind,
        flags: Cell::new((flags & keep) as u32),
    })
}

/// The server handle of a directory descriptor for `*at` calls.
pub(super) fn dir_handle(p: &Proc, dirfd: i64, path: &[u8]) -> Result<u64, Errno> {
    if dirfd == AT_FDCWD || path.first() == Some(&b'/') {
        return Ok(NO_HANDLE);
    }
    let f = p.fds.file(dirfd)?;
    if f.kind != kind::DIR {
        return Err(ENOTDIR);
    }
    Ok(f.handle)
}

fn open_at(p: &mut Proc, dirfd: i64, path: u64, flags: u64, mode: u64) -> Result<usize, Errno> {
    let flags = u64::from(flags as u32);
    let path = p.mm.read_cstr(path, 4096)?;
    if path.is_empty() {
        return Err(ENOENT);
    }
    if let Some(fd) = own_fd(&path) {
        return reopen(p, fd, flags);
    }
    super::procmaps::before_open(p, &path);
    let dir = dir_handle(p, dirfd, &path)?;
    let mode = if flags & O_CREAT != 0 || flags & O_TMPFILE == O_TMPFILE {
        u64::from(mode as u32 & 0o7777 & !p.umask)
    } else {
        0
    };
    let o = server::call_path(sys::Open { flags, dir, mode }, &path)?.reply;
    // (`O_TMPFILE` carries `O_DIRECTORY`'s bit, and opens a file.)
    if flags & O_DIRECTORY != 0 && flags & O_TMPFILE == 0 && o.kind != kind::DIR {
        let _ = server::call(sys::Close { handle: o.handle });
        return Err(ENOTDIR);
    }
    let file = new_file(o.handle, o.kind, flags | O_LARGEFILE);
    let fd = p.fds.install(
        Fd {
            file,
            cloexec: flags & O_CLOEXEC != 0,
        },
        0,
    )?;
    super::procmaps::after_open(p, &path);
    Ok(fd as usize)
}

fn dup_min(p: &mut Proc, fd: i64, min: usize, cloexec: bool) -> Result<usize, Errno> {
    let file = p.fds.file(fd)?;
    p.fds
        .install(Fd { file, cloexec }, min)
        .map(|fd| fd as usize)
}

fn dup_to(p: &mut Proc, fd: i64, to: i64, cloexec: bool) -> Result<usize, Errno> {
    let file = p.fds.file(fd)?;
    p.fds
        .install_at(to, Fd { file, cloexec })
        .map(|fd| fd as usize)
}

/// `close_range`: closes (or with `CLOSE_RANGE_CLOEXEC` marks
/// close-on-exec) every open descriptor in `[lo, hi]`.
fn close_fds(p: &mut Proc, lo: u32, hi: u32, flags: u32) -> Result<usize, Errno> {
    const CLOSE_RANGE_UNSHARE: u32 = 2;
    const CLOSE_RANGE_CLOEXEC: u32 = 4;
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || lo > hi {
        return Err(EINVAL);
    }
    let hi = hi.min(crate::fd::MAX_FDS as u32);
    for i in lo..=hi {
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            let _ = p.fds.set_cloexec(i64::from(i), true);
        } else {
            let _ = p.fds.close(i64::from(i));
        }
    }
    Ok(0)
}

/// `fcntl` (the lock commands are [`super::locks`]'s). The descriptor is
/// checked first, as in Linux; `arg` is an `int` for the commands that
/// take a number.
fn fcntl_cmd(p: &mut Proc, fd: i64, cmd: u32, arg: u64) -> Result<usize, Errno> {
    const F_DUPFD: u32 = 0;
    const F_GETFD: u32 = 1;
    const F_SETFD: u32 = 2;
    const F_GETFL: u32 = 3;
    const F_SETFL: u32 = 4;
    const F_DUPFD_CLOEXEC: u32 = 1030;
    let file = p.fds.file(fd)?;
    let argi = arg as u32;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if argi as usize >= crate::fd::MAX_FDS {
                return Err(EINVAL);
            }
            dup_min(p, fd, argi as usize, cmd == F_DUPFD_CLOEXEC)
        }
        F_GETFD => p.fds.get(fd).map(|f| usize::from(f.cloexec)),
        F_SETFD => p.fds.set_cloexec(fd, argi & 1 != 0).map(|()| 0),
        F_GETFL => Ok(file.flags.get() as usize),
        F_SETFL => {
            let keep = u64::from(file.flags.get()) & (O_ACCMODE | O_LARGEFILE);
            file.flags
                .set((keep | arg & (O_APPEND | O_NONBLOCK | O_ASYNC)) as u32);
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

fn make_pipe(p: &mut Proc, fds_addr: u64, flags: u64) -> Result<usize, Errno> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    p.mm.prepare(fds_addr, 8, true)?;
    let ends = server::call(sys::Pipe {})?;
    let cloexec = flags & O_CLOEXEC != 0;
    let rf = new_file(ends.read, kind::PIPE_READ, flags & O_NONBLOCK);
    let wf = new_file(ends.write, kind::PIPE_WRITE, 1 | flags & O_NONBLOCK);
    let rfd = p.fds.install(Fd { file: rf, cloexec }, 0)?;
    let wfd = match p.fds.install(Fd { file: wf, cloexec }, 0) {
        Ok(x) => x,
        Err(e) => {
            let _ = p.fds.close(rfd);
            return Err(e);
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&(rfd as u32).to_le_bytes());
    b[4..].copy_from_slice(&(wfd as u32).to_le_bytes());
    p.mm.write(fds_addr, &b)?;
    Ok(0)
}

/// Reads into the buffers `iov` in order (`read`, `pread`, `readv`): a
/// regular file a mailbox at a time up to their total (short only at its
/// end, as on Linux), anything else one server read (at most a mailbox),
/// scattered.
fn read_scatter(p: &mut Proc, fd: i64, iov: &[(u64, u64)], at: Option<u64>) -> Ret {
    let file = match p.fds.file(fd) {
        Ok(x) => x,
        Err(e) => return e.into(),
    };
    if u64::from(file.flags.get()) & O_ACCMODE == 1 {
        return EBADF.into();
    }
    if file.kind == kind::DIR {
        return EISDIR.into();
    }
    if at.is_some() && !matches!(file.kind, kind::FILE) {
        return ESPIPE.into();
    }
    for &(b, l) in iov {
        if let Err(e) = access_ok(b, l) {
            return e.into();
        }
    }
    let total = iov.iter().fold(0u64, |t, (_, l)| t.saturating_add(*l));
    // A regular file is read whole (a mailbox at a time); anything else
    // gives what one server read has.
    let is_file = file.kind == kind::FILE;
    let cap = if is_file {
        MAX_RW_COUNT
    } else {
        DATA_BYTES as u64
    };
    let mut want = total.min(cap);
    if want == 0 {
        return Ok(0).into();
    }
    // Check the buffers first, so a bad one loses no data: ask only for
    // the bytes that fit before the first one the program cannot take
    // (Linux copies up to the fault); none at all is EFAULT.
    let mut left = want;
    for &(b, l) in iov {
        let n = l.min(left);
        let ok = writable_prefix(p, b, n);
        left -= ok;
        if ok < n {
            want -= left;
            break;
        }
    }
    if want == 0 {
        return EFAULT.into();
    }
    if is_file {
        return read_file(p, &file, iov, want, at);
    }
    let nonblock = u64::from(file.flags.get()) & O_NONBLOCK != 0;
    let ttin = crate::signal::ignores_or_blocks(p, crate::signal::SIGTTIN);
    // A blocking read of a pipe or the console is answered later.
    let wait = !nonblock && matches!(file.kind, kind::PIPE_READ | kind::CONSOLE);
    let mut done = 0u64;
    while done < want {
        let len = (want - done).min(DATA_BYTES as u64);
        let read = sys::Read {
            handle: file.handle,
            len,
            offset: at.map_or(u64::MAX, |a| a + done),
            ttin_ignored: ttin,
        };
        let got = match server::read(read, p.tasks[p.cur].tid, wait) {
            Ok(Some(got)) => got,
            // Deferred: the server answers when data comes.
            Ok(None) => return wait_again(),
            // SIGTTIN went to this background process's group: made again
            // once that is dealt with.
            Err(Errno::ERESTARTSYS) => return wait_again(),
            Err(EAGAIN) if !nonblock => return wait_again(),
            Err(e) => return partial(done, e),
        };
        let r = got.len() as u64;
        // Scattered straight from the data area: the buffers' pages were
        // made ready above, so the writes ask nothing of the server.
        let put = got.with_bytes(|data| scatter(p, iov, done, data));
        if let Err(e) = put {
            return partial(done, e);
        }
        done += r;
        if !is_file || r < len {
            break;
        }
    }
    Ok(done as usize).into()
}

/// Reads `want` bytes of a regular file into the buffers `iov` (checked
/// writable), at `at` or at the file's position: each request brings the
/// bytes either mapped in the read window (pages of the server's cache,
/// copied from there straight into the buffers) or in the data area.
/// Short only at the end of the file.
fn read_file(p: &mut Proc, file: &OpenFile, iov: &[(u64, u64)], want: u64, at: Option<u64>) -> Ret {
    let mut done = 0u64;
    while done < want {
        let req = sys::ReadMap {
            handle: file.handle,
            len: want - done,
            offset: at.map_or(u64::MAX, |a| a + done),
        };
        let got = match server::call_with(req, &()) {
            Ok(g) => g,
            Err(e) => return partial(done, e),
        };
        let sys::ReadMapReply { n, window, end } = got.reply;
        let put = if window == u64::MAX {
            got.with_bytes(|data| scatter(p, iov, done, data))
        } else {
            crate::window::with_bytes(window, n, |data| scatter(p, iov, done, data))
        };
        if let Err(e) = put {
            return partial(done, e);
        }
        done += n;
        if end || n == 0 {
            break;
        }
    }
    Ok(done as usize).into()
}

/// Writes `data` into the user buffers `iov` from offset `off` of their
/// concatenation on.
fn scatter(p: &mut Proc, iov: &[(u64, u64)], off: u64, data: &[u8]) -> Result<(), Errno> {
    let end = off + data.len() as u64;
    let mut base = 0u64;
    for &(b, l) in iov {
        let e = base + l;
        if e > off && base < end {
            let s = off.max(base);
            let t = end.min(e);
            let from = (s - off) as usize;
            p.mm.write(b + (s - base), &data[from..from + (t - s) as usize])?;
        }
        base = e;
        if base >= end {
            break;
        }
    }
    Ok(())
}

/// How many bytes at `addr` (of `len`) the program lets the library OS
/// write, page by page from the start.
fn writable_prefix(p: &mut Proc, addr: u64, len: u64) -> u64 {
    let mut done = 0;
    while done < len {
        let n = (4096 - ((addr + done) & 4095)).min(len - done);
        if p.mm.prepare(addr + done, n, true).is_err() {
            break;
        }
        done += n;
    }
    done
}

/// Most bytes one read or write moves (Linux's `MAX_RW_COUNT`).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

/// The `iovec`s at `iov` (`cnt` is an `int`), with Linux's checks: at most
/// `UIO_MAXIOV` of them, no length above `ssize_t`'s range (`EINVAL`),
/// every buffer below the top of user memory (`EFAULT`); lengths past a
/// total of `MAX_RW_COUNT` are cut, as in Linux.
fn iovecs(p: &mut Proc, iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, Errno> {
    let cnt = u64::from(cnt as u32);
    if cnt > 1024 {
        return Err(EINVAL);
    }
    let raw = p.mm.read(iov, (cnt * 16) as usize)?;
    let mut v: Vec<(u64, u64)> = raw
        .chunks(16)
        .map(|c| {
            let base = u64::from_le_bytes(c[..8].try_into().unwrap_or([0; 8]));
            let len = u64::from_le_bytes(c[8..].try_into().unwrap_or([0; 8]));
            (base, len)
        })
        .collect();
    if v.iter().any(|&(_, l)| (l as i64) < 0) {
        return Err(EINVAL);
    }
    let mut total = 0u64;
    let single = v.len() == 1;
    for (b, l) in v.iter_mut() {
        // Linux cuts a single buffer before it checks it.
        if single {
            *l = (*l).min(MAX_RW_COUNT);
        }
        access_ok(*b, *l)?;
        *l = (*l).min(MAX_RW_COUNT - total);
        total += *l;
    }
    Ok(v)
}

fn read_vector(p: &mut Proc, fd: i64, iov: u64, cnt: u64, at: Option<u64>) -> Ret {
    if let Err(e) = p.fds.get(fd) {
        return e.into();
    }
    match iovecs(p, iov, cnt) {
        Ok(v) => read_scatter(p, fd, &v, at),
        Err(e) => e.into(),
    }
}

/// The `n` bytes at offset `off` of the concatenation of the user
/// buffers `iov`, copied out a piece at a time (never the whole).
fn gather(p: &mut Proc, iov: &[(u64, u64)], off: u64, n: usize) -> Result<Vec<u8>, Errno> {
    let want_end = off + n as u64;
    let mut out = Vec::with_capacity(n);
    let mut base = 0u64;
    for &(b, l) in iov {
        let end = base + l;
        if end > off && base < want_end {
            let s = off.max(base);
            let e = want_end.min(end);
            out.extend_from_slice(&p.mm.read(b + (s - base), (e - s) as usize)?);
        }
        base = end;
        if base >= want_end {
            break;
        }
    }
    Ok(out)
}

/// Writes the user buffers `iov` in order to `fd`, a mailbox at a time.
fn write_gather(p: &mut Proc, c: &mut Call, fd: i64, iov: &[(u64, u64)]) -> Ret {
    let file = match p.fds.file(fd) {
        Ok(x) => x,
        Err(e) => return e.into(),
    };
    if u64::from(file.flags.get()) & O_ACCMODE == 0 {
        return EBADF.into();
    }
    for &(b, l) in iov {
        if let Err(e) = access_ok(b, l) {
            return e.into();
        }
    }
    let len = iov
        .iter()
        .fold(0u64, |t, (_, l)| t.saturating_add(*l))
        .min(MAX_RW_COUNT);
    match file.kind {
        kind::CONSOLE => {
            if let Err(r) = console_write_allowed(p) {
                return r;
            }
            let mut done = 0;
            while done < len {
                let chunk = (len - done).min(DATA_BYTES as u64) as usize;
                match gather(p, iov, done, chunk) {
                    Ok(b) => crate::console::write(&b),
                    Err(e) => return partial(done, e),
                }
                done += chunk as u64;
            }
            Ok(len as usize).into()
        }
        kind::DIR | kind::PATH | kind::LINK => EBADF.into(),
        _ => send(p, c, &file, len, &mut |p, off, n| gather(p, iov, off, n)),
    }
}

/// Writes the buffers `iov` at `at` (`pwrite`) or at the file's
/// position: to a file at the file service, elsewhere as `write`.
fn write_at(p: &mut Proc, c: &mut Call, fd: i64, iov: &[(u64, u64)], at: Option<u64>) -> Ret {
    let file = match p.fds.file(fd) {
        Ok(x) => x,
        Err(e) => return e.into(),
    };
    if at.is_some() && file.kind != kind::FILE {
        return ESPIPE.into();
    }
    if u64::from(file.flags.get()) & O_ACCMODE == 0 {
        return EBADF.into();
    }
    for &(b, l) in iov {
        if let Err(e) = access_ok(b, l) {
            return e.into();
        }
    }
    let len = iov
        .iter()
        .fold(0u64, |t, (_, l)| t.saturating_add(*l))
        .min(MAX_RW_COUNT);
    send_at(p, c, &file, len, at, &mut |p, off, n| {
        gather(p, iov, off, n)
    })
}

/// Whether this process may write the console now: with `TOSTOP` set a
/// background process asks the server, which may send SIGTTOU to its
/// group (then the call is made again later) or refuse (`EIO`).
pub(super) fn console_write_allowed(p: &Proc) -> Result<(), Ret> {
    use sysproto::control::{TTY_BACKGROUND, TTY_JOB, TTY_TOSTOP};
    let job = server::control(TTY_JOB);
    if job & (TTY_BACKGROUND | TTY_TOSTOP) != TTY_BACKGROUND | TTY_TOSTOP {
        return Ok(());
    }
    let ttou = crate::signal::ignores_or_blocks(p, crate::signal::SIGTTOU);
    match server::call(sys::TtyWrite { ttou_ignored: ttou }) {
        Ok(_) => Ok(()),
        Err(Errno::ERESTARTSYS) => Err(wait_again()),
        Err(e) => Err(e.into()),
    }
}

/// Where [`send`] takes the bytes at an offset from.
type Fetch<'a> = dyn FnMut(&mut Proc, u64, usize) -> Result<Vec<u8>, Errno> + 'a;

/// Sends `len` bytes to the server's object behind `file` (a pipe or a
/// device), a mailbox at a time, taking them from `fetch(offset, n)`.
/// A blocked write carries the bytes it moved in its block, so the call
/// made again continues where it stopped.
fn send(p: &mut Proc, c: &mut Call, file: &OpenFile, len: u64, fetch: &mut Fetch<'_>) -> Ret {
    send_at(p, c, file, len, None, fetch)
}

/// [`send`] at offset `at` of a file (`None`: its position).
fn send_at(
    p: &mut Proc,
    c: &mut Call,
    file: &OpenFile,
    len: u64,
    at: Option<u64>,
    fetch: &mut Fetch<'_>,
) -> Ret {
    let nonblock = u64::from(file.flags.get()) & O_NONBLOCK != 0;
    let wait = !nonblock && matches!(file.kind, kind::PIPE_WRITE | kind::FIFO_WRITE);
    let append = u64::from(file.flags.get()) & O_APPEND != 0;
    let fsize = crate::limits::cur(crate::limits::RLIMIT_FSIZE);
    let mut done = c.again.done;
    while done < len {
        let chunk = (len - done).min(DATA_BYTES as u64) as usize;
        let bytes = match fetch(p, done, chunk) {
            Ok(b) => b,
            Err(e) => return partial(done, e),
        };
        let write = sys::Write {
            handle: file.handle,
            offset: at.map_or(u64::MAX, |a| a + done),
            append,
            fsize,
        };
        // A blocking write to a full pipe is answered later, once the
        // pipe took some of the bytes.
        let taken = if wait {
            server::deferred(write, &bytes[..], p.tasks[p.cur].tid)
                .and_then(|g| g.map(|g| g.reply().taken).ok_or(EAGAIN))
        } else {
            server::call_with(write, &bytes[..]).map(|a| a.reply.taken)
        };
        match taken {
            Err(EAGAIN) if nonblock => return partial(done, EAGAIN),
            Err(EAGAIN) => {
                c.again.done = done;
                return c.wait();
            }
            Ok(n) => done += n,
            Err(e) => {
                if e == Errno::EFBIG && done == 0 {
                    crate::signal::post_task(
                        p,
                        p.cur,
                        crate::signal::SIGXFSZ,
                        crate::signal::SI_USER,
                    );
                }
                if e == EPIPE && done == 0 {
                    crate::signal::post_task(
                        p,
                        p.cur,
                        crate::signal::SIGPIPE,
                        crate::signal::SI_USER,
                    );
                }
                return partial(done, e);
            }
        }
    }
    Ok(done as usize).into()
}

/// A transfer that stopped at `e`: the bytes moved if any, else `e`.
fn partial(done: u64, e: Errno) -> Ret {
    if done > 0 {
        Ok(done as usize).into()
    } else {
        e.into()
    }
}

fn seek(p: &mut Proc, fd: i64, off: u64, whence: u64) -> Result<usize, Errno> {
    let file = p.fds.file(fd)?;
    if !matches!(file.kind, kind::FILE | kind::DIR) {
        return Err(ESPIPE);
    }
    let seek = sys::Seek {
        handle: file.handle,
        offset: off as i64,
        whence,
    };
    Ok(server::call(seek)?.pos as usize)
}

/// Linux `struct stat` (144 bytes).
fn linux_stat(s: &Stat) -> [u8; 144] {
    let mut b = [0u8; 144];
    let put = |b: &mut [u8; 144], o: usize, v: u64| b[o..o + 8].copy_from_slice(&v.to_le_bytes());
    put(&mut b, 0, s.dev);
    put(&mut b, 8, s.ino);
    put(&mut b, 16, s.nlink);
    b[24..28].copy_from_slice(&(s.mode as u32).to_le_bytes());
    b[28..32].copy_from_slice(&(s.uid as u32).to_le_bytes());
    b[32..36].copy_from_slice(&(s.gid as u32).to_le_bytes());
    put(&mut b, 40, s.rdev);
    put(&mut b, 48, s.size);
    put(&mut b, 56, 4096);
    put(&mut b, 64, s.blocks);
    for (o, sec, nsec) in [
        (72, s.atime_sec, s.atime_nsec),
        (88, s.mtime_sec, s.mtime_nsec),
        (104, s.ctime_sec, s.ctime_nsec),
    ] {
        put(&mut b, o, sec as u64);
        put(&mut b, o + 8, nsec);
    }
    b
}

fn fstat_of(p: &Proc, fd: i64) -> Result<Stat, Errno> {
    let file = p.fds.file(fd)?;
    let fstat = sys::Fstat {
        handle: file.handle,
    };
    Ok(server::call_with(fstat, &())?.value())
}

fn stat_of(p: &mut Proc, dirfd: i64, path: u64, flags: u64) -> Result<Stat, Errno> {
    let path = p.mm.read_cstr(path, 4096)?;
    if path.is_empty() {
        if flags & AT_EMPTY_PATH != 0 {
            return fstat_of(p, dirfd);
        }
        return Err(ENOENT);
    }
    if let Some(fd) = own_fd(&path) {
        if flags & AT_SYMLINK_NOFOLLOW == 0 {
            return fstat_of(p, fd);
        }
    }
    let dir = dir_handle(p, dirfd, &path)?;
    let stat = sys::Stat {
        dir,
        flags: flags & AT_SYMLINK_NOFOLLOW,
    };
    Ok(server::call_path(stat, &path)?.value())
}

/// The descriptor a path names when it is one of this process's own
/// descriptor links (`/dev/fd/N`, `/proc/self/fd/N`, `/proc/PID/fd/N` of
/// this process), which only the library OS can answer: it keeps the
/// descriptor table.
pub(super) fn own_fd(path: &[u8]) -> Option<i64> {
    let rest = path
        .strip_prefix(b"/dev/fd/")
        .or_else(|| path.strip_prefix(b"/proc/self/fd/"))
        .or_else(|| {
            let r = path.strip_prefix(b"/proc/")?;
            let slash = r.iter().position(|b| *b == b'/')?;
            let pid = core::str::from_utf8(&r[..slash])
                .ok()?
                .parse::<u64>()
                .ok()?;
            (pid == server::pid()).then_some(())?;
            r[slash..].strip_prefix(b"/fd/")
        })?;
    let n = core::str::from_utf8(rest).ok()?.parse::<u32>().ok()?;
    (rest[0] != b'0' || rest.len() == 1).then_some(i64::from(n))
}

/// Opening one of this process's descriptor links: a new descriptor for
/// the same open file (Linux opens the file anew; for pipes, terminals
/// and devices that is the same thing).
fn reopen(p: &mut Proc, fd: i64, flags: u64) -> Result<usize, Errno> {
    let file = p.fds.file(fd).map_err(|_| ENOENT)?;
    let acc = u64::from(file.flags.get()) & O_ACCMODE;
    let want = flags & O_ACCMODE;
    if want != acc && acc != 2 {
        return Err(Errno::EACCES);
    }
    p.fds
        .install(
            Fd {
                file,
                cloexec: flags & O_CLOEXEC != 0,
            },
            0,
        )
        .map(|fd| fd as usize)
}

fn stat_path(p: &mut Proc, dirfd: i64, path: u64, buf: u64, flags: u64) -> Result<usize, Errno> {
    let s = stat_of(p, dirfd, path, flags)?;
    p.mm.write(buf, &linux_stat(&s))?;
    Ok(0)
}

/// `statx`: the flags Linux knows (`AT_SYMLINK_NOFOLLOW`,
/// `AT_NO_AUTOMOUNT`, `AT_EMPTY_PATH`, one `AT_STATX_*_SYNC`) and no
/// `STATX__RESERVED` in the mask, else `EINVAL`, checked before the path.
/// Every basic field is filled whatever the mask asks (as Linux may), and
/// the birth time where the file system keeps one.
fn statx_of(
    p: &mut Proc,
    dirfd: i64,
    path: u64,
    flags: u64,
    mask: u64,
    buf: u64,
) -> Result<usize, Errno> {
    const AT_NO_AUTOMOUNT: u64 = 0x800;
    const AT_STATX_SYNC_TYPE: u64 = 0x6000;
    const STATX__RESERVED: u32 = 0x8000_0000;
    const STATX_BASIC_STATS: u32 = 0x7ff;
    const STATX_BTIME: u32 = 0x800;
    let flags = u64::from(flags as u32);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || mask as u32 & STATX__RESERVED != 0
    {
        return Err(EINVAL);
    }
    let s = stat_of(
        p,
        dirfd,
        path,
        flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH),
    )?;
    let mut b = [0u8; 256];
    let got = if s.has_btime != 0 {
        STATX_BASIC_STATS | STATX_BTIME
    } else {
        STATX_BASIC_STATS
    };
    b[0..4].copy_from_slice(&got.to_le_bytes());
    b[4..8].copy_from_slice(&4096u32.to_le_bytes());
    b[16..20].copy_from_slice(&(s.nlink as u32).to_le_bytes());
    b[20..24].copy_from_slice(&(s.uid as u32).to_le_bytes());
    b[24..28].copy_from_slice(&(s.gid as u32).to_le_bytes());
    b[28..30].copy_from_slice(&(s.mode as u16).to_le_bytes());
    b[32..40].copy_from_slice(&s.ino.to_le_bytes());
    b[40..48].copy_from_slice(&s.size.to_le_bytes());
    b[48..56].copy_from_slice(&s.blocks.to_le_bytes());
    // atime, btime (zero where none is kept), ctime, mtime.
    for (o, sec, nsec) in [
        (64usize, s.atime_sec, s.atime_nsec),
        (80, s.btime_sec, s.btime_nsec),
        (96, s.ctime_sec, s.ctime_nsec),
        (112, s.mtime_sec, s.mtime_nsec),
    ] {
        b[o..o + 8].copy_from_slice(&sec.to_le_bytes());
        b[o + 8..o + 12].copy_from_slice(&(nsec as u32).to_le_bytes());
    }
    let (rmaj, rmin) = dev_split(s.rdev);
    let (dmaj, dmin) = dev_split(s.dev);
    b[128..132].copy_from_slice(&rmaj.to_le_bytes());
    b[132..136].copy_from_slice(&rmin.to_le_bytes());
    b[136..140].copy_from_slice(&dmaj.to_le_bytes());
    b[140..144].copy_from_slice(&dmin.to_le_bytes());
    p.mm.write(buf, &b)?;
    Ok(0)
}

/// The major and minor of a device number in `st_rdev`'s encoding.
fn dev_split(d: u64) -> (u32, u32) {
    (
        (((d >> 8) & 0xfff) | ((d >> 32) & !0xfff)) as u32,
        ((d & 0xff) | ((d >> 12) & !0xff)) as u32,
    )
}

fn getdents(p: &mut Proc, fd: i64, buf: u64, len: u64) -> Result<usize, Errno> {
    let file = p.fds.file(fd)?;
    if file.kind != kind::DIR {
        return Err(ENOTDIR);
    }
    p.mm.prepare(buf, len.min(DATA_BYTES as u64), true)?;
    let getdents = sys::Getdents {
        handle: file.handle,
        room: len.min(DATA_BYTES as u64),
    };
    let got = server::call_with(getdents, &())?;
    // Straight from the data area into the buffer made ready above.
    got.with_bytes(|b| p.mm.write(buf, b))?;
    Ok(got.len())
}

fn access_at(p: &mut Proc, dirfd: i64, path: u64, mode: u64, flags: u64) -> Result<usize, Errno> {
    if flags & !(at::EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let path = p.mm.read_cstr(path, 4096)?;
    let dir = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        p.fds.file(dirfd)?.handle
    } else {
        dir_handle(p, dirfd, &path)?
    };
    let req = sys::Access {
        dir,
        mode: u64::from(mode as u32),
        flags,
    };
    server::call_path(req, &path)?;
    Ok(0)
}

fn read_link(p: &mut Proc, dirfd: i64, path: u64, buf: u64, size: u64) -> Result<usize, Errno> {
    // The size is an `int`, checked before the path (as Linux does).
    if size as i32 <= 0 {
        return Err(EINVAL);
    }
    let size = u64::from(size as u32);
    let path = p.mm.read_cstr(path, 4096)?;
    let target = if let Some(fd) = own_fd(&path) {
        let h = p.fds.file(fd).map_err(|_| ENOENT)?.handle;
        server::call_path(sys::Readlink { dir: h, own: true }, b"")?.bytes()
    } else {
        let dir = if path.is_empty() {
            p.fds.file(dirfd).map_err(|_| ENOENT)?.handle
        } else {
            dir_handle(p, dirfd, &path)?
        };
        server::call_path(sys::Readlink { dir, own: false }, &path)?.bytes()
    };
    let n = target.len().min(size as usize);
    p.mm.write(buf, &target[..n])?;
    Ok(n)
}

fn get_cwd(p: &mut Proc, buf: u64, size: u64) -> Result<usize, Errno> {
    let mut cwd = server::call_with(sys::Getcwd {}, &())?.bytes();
    cwd.push(0);
    if cwd.len() as u64 > size {
        return Err(ERANGE);
    }
    p.mm.write(buf, &cwd)?;
    Ok(cwd.len())
}

/// `ioctl`. The generic requests Linux answers for every kind of
/// descriptor come first (`FIOCLEX`, `FIONCLEX`, `FIONBIO`, `FIOASYNC`,
/// `FIONREAD` of a regular file); the rest belong to the terminal, except
/// `FIONREAD` of a pipe. Linux takes the request as a 32-bit number.
pub fn ioctl(p: &mut Proc, c: &mut Call) -> Ret {
    match ioctl_call(p, fd_arg(c.a[0]), c.a[1], c.a[2]) {
        Err(Errno::ERESTARTSYS) => c.wait(),
        r => r.into(),
    }
}

fn ioctl_call(p: &mut Proc, fd: i64, req: u64, arg: u64) -> Result<usize, Errno> {
    const FIONCLEX: u32 = 0x5450;
    const FIOCLEX: u32 = 0x5451;
    const FIONBIO: u32 = 0x5421;
    const FIOASYNC: u32 = 0x5452;
    const FIONREAD: u32 = 0x541b;
    let file = p.fds.file(fd)?;
    let req = u64::from(req as u32);
    match req as u32 {
        FIOCLEX | FIONCLEX => return p.fds.set_cloexec(fd, req as u32 == FIOCLEX).map(|()| 0),
        FIONBIO | FIOASYNC => {
            let on = p.mm.read_u32(arg)? != 0;
            let bit = if req as u32 == FIONBIO {
                O_NONBLOCK
            } else {
                O_ASYNC
            } as u32;
            let flags = file.flags.get();
            // Only pipes and terminals take signal-driven I/O in Linux;
            // changing FASYNC on anything else is ENOTTY.
            let fasync = matches!(
                file.kind,
                kind::PIPE_READ | kind::PIPE_WRITE | kind::CONSOLE
            );
            if bit == O_ASYNC as u32 && (flags & bit != 0) != on && !fasync {
                return Err(ENOTTY);
            }
            file.flags.set(if on { flags | bit } else { flags & !bit });
            return Ok(0);
        }
        FIONREAD if file.kind == kind::FILE => {
            let size = fstat_of(p, fd)?.size;
            let here = sys::Seek {
                handle: file.handle,
                offset: 0,
                whence: 1,
            };
            let pos = server::call(here).map_or(0, |r| r.pos);
            let left = size.saturating_sub(pos).min(i32::MAX as u64);
            return p.mm.write_u32(arg, left as u32).map(|()| 0);
        }
        _ => {}
    }
    if file.kind != kind::CONSOLE {
        if req == u64::from(FIONREAD) && matches!(file.kind, kind::PIPE_READ | kind::PIPE_WRITE) {
            let poll = sys::Poll {
                handle: file.handle,
                register: false,
            };
            let queued = server::call(poll).map_or(0, |r| r.queued);
            return p.mm.write_u32(arg, queued as u32).map(|()| 0);
        }
        return Err(ENOTTY);
    }
    // Terminal requests: the argument's bytes travel in the data area.
    let size = match req {
        0x5401..=0x5404 => 36, // TCGETS, TCSETS* (kernel termios)
        0x5413 | 0x5414 => 8,  // TIOCGWINSZ, TIOCSWINSZ
        0x540f | 0x5410 => 4,  // TIOCGPGRP, TIOCSPGRP
        0x5429 => 4,           // TIOCGSID
        0x541b => 4,           // FIONREAD
        _ => 0,
    };
    let input = if size > 0 && matches!(req, 0x5402..=0x5404 | 0x5414 | 0x5410) {
        p.mm.read(arg, size)?
    } else {
        Vec::new()
    };
    let ttou = crate::signal::ignores_or_blocks(p, crate::signal::SIGTTOU);
    let ioctl = sys::Ioctl {
        handle: file.handle,
        request: req,
        arg,
        ttou_ignored: ttou,
    };
    let got = server::call_with(ioctl, &input[..])?;
    if size > 0 && matches!(req, 0x5401 | 0x5413 | 0x540f | 0x541b | 0x5429) {
        let mut b = got.bytes();
        b.resize(size, 0);
        p.mm.write(arg, &b)?;
    }
    Ok(0)
}
