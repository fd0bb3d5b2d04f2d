//! File calls: descriptors, reading and writing (files, directories,
//! pipes, the console), `stat`, directories, paths, `poll` and `select`.
//! Files live at the system server; the boot ramdisk is the read-only
//! root file system.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::Cell;

use abi::UpcallFrame;
use sysproto::{kind, ready, Op, Stat, DATA_BYTES, JOB_SIGNALLED, NO_HANDLE, WOULD_BLOCK};

use super::errno::*;
use super::nr::*;
use super::{read_timespec, Ret};
use crate::fd::{Fd, OpenFile};
use crate::proc::Proc;
use crate::server;
use crate::task::Block;

const O_ACCMODE: u64 = 3;
const O_APPEND: u64 = 0o2000;
const O_NONBLOCK: u64 = 0o4000;
const O_DIRECTORY: u64 = 0o200000;
const O_CLOEXEC: u64 = 0o2000000;
const AT_FDCWD: i64 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_EMPTY_PATH: u64 = 0x1000;

pub fn call(
    p: &mut Proc,
    f: &mut UpcallFrame,
    n: u64,
    a: [u64; 6],
    timed_out: bool,
) -> Option<Ret> {
    let fd = a[0] as i64;
    Some(match n {
        READ => read(p, f, fd, a[1], a[2], None),
        PREAD64 => read(p, f, fd, a[1], a[2], Some(a[3])),
        READV => readv(p, f, fd, a[1], a[2], None),
        PREADV => readv(p, f, fd, a[1], a[2], Some(a[3])),
        WRITE => write(p, f, fd, a[1], a[2]),
        WRITEV => writev(p, f, fd, a[1], a[2]),
        PWRITE64 => Ret::Val(-EROFS),
        OPEN => open(p, AT_FDCWD, a[0], a[1]).into(),
        OPENAT => open(p, a[0] as i32 as i64, a[1], a[2]).into(),
        CREAT => Ret::Val(-EROFS),
        CLOSE => p.fds.close(fd).map(|()| 0).into(),
        CLOSE_RANGE => {
            let hi = a[1].min(crate::fd::MAX_FDS as u64);
            for i in a[0]..=hi {
                let _ = p.fds.close(i as i64);
            }
            Ret::Val(0)
        }
        DUP => dup(p, fd, 0, false).into(),
        DUP2 => {
            if a[0] == a[1] {
                p.fds.get(fd).map(|_| fd).into()
            } else {
                dup_to(p, fd, a[1] as i64, false).into()
            }
        }
        DUP3 => {
            if a[0] == a[1] {
                Ret::Val(-EINVAL)
            } else {
                dup_to(p, fd, a[1] as i64, a[2] & O_CLOEXEC != 0).into()
            }
        }
        FCNTL => fcntl(p, fd, a[1], a[2]).into(),
        PIPE => pipe(p, a[0], 0).into(),
        PIPE2 => pipe(p, a[0], a[1]).into(),
        LSEEK => lseek(p, fd, a[1], a[2]).into(),
        FSTAT => fstat(p, fd, a[1]).into(),
        STAT => stat_path(p, AT_FDCWD, a[0], a[1], 0).into(),
        LSTAT => stat_path(p, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW).into(),
        NEWFSTATAT => stat_path(p, a[0] as i32 as i64, a[1], a[2], a[3]).into(),
        STATX => statx(p, a[0] as i32 as i64, a[1], a[2], a[4]).into(),
        GETDENTS64 => getdents(p, fd, a[1], a[2]).into(),
        ACCESS => access(p, AT_FDCWD, a[0], a[1]).into(),
        FACCESSAT | FACCESSAT2 => access(p, a[0] as i32 as i64, a[1], a[2]).into(),
        READLINK => readlink(p, a[0], a[1], a[2]).into(),
        READLINKAT => readlink(p, a[1], a[2], a[3]).into(),
        GETCWD => getcwd(p, a[0], a[1]).into(),
        CHDIR => chdir(p, a[0]).into(),
        FCHDIR => fchdir(p, fd).into(),
        IOCTL => ioctl(p, fd, a[1], a[2]),
        POLL => poll(p, a[0], a[1], a[2] as i32 as i64, timed_out),
        PPOLL => {
            let t = if a[2] == 0 {
                -1
            } else {
                match read_timespec(p, a[2]) {
                    Ok(ns) => (ns / 1_000_000) as i64,
                    Err(e) => return Some(Ret::Val(-e)),
                }
            };
            poll(p, a[0], a[1], t, timed_out)
        }
        SELECT => select(p, a[0], [a[1], a[2], a[3]], a[4], false, timed_out),
        PSELECT6 => select(p, a[0], [a[1], a[2], a[3]], a[4], true, timed_out),
        MKDIR | RMDIR | UNLINK | RENAME | LINK | SYMLINK | CHMOD | FCHMOD | CHOWN | FCHOWN
        | LCHOWN | TRUNCATE | FTRUNCATE | MKDIRAT | UNLINKAT | RENAMEAT | RENAMEAT2 | LINKAT
        | SYMLINKAT | FCHMODAT | FCHOWNAT | MKNOD | MKNODAT | UTIMENSAT | UTIMES | UTIME
        | FUTIMESAT => Ret::Val(-EROFS),
        SYNC | SYNCFS => Ret::Val(0),
        FSYNC | FDATASYNC => p.fds.get(fd).map(|_| 0).into(),
        UMASK => {
            let old = p.umask;
            p.umask = (a[0] & 0o777) as u32;
            Ret::Val(i64::from(old))
        }
        _ => return None,
    })
}

fn new_file(handle: u64, kind: u64, flags: u64) -> Rc<OpenFile> {
    Rc::new(OpenFile {
        handle,
        kind,
        flags: Cell::new((flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)) as u32),
    })
}

/// The server handle of a directory descriptor for `*at` calls.
fn dir_handle(p: &Proc, dirfd: i64, path: &[u8]) -> Result<u64, i64> {
    if dirfd == AT_FDCWD || path.first() == Some(&b'/') {
        return Ok(NO_HANDLE);
    }
    let f = p.fds.file(dirfd)?;
    if f.kind != kind::DIR {
        return Err(ENOTDIR);
    }
    Ok(f.handle)
}

fn open(p: &mut Proc, dirfd: i64, path: u64, flags: u64) -> Result<i64, i64> {
    let path = p.mm.read_cstr(path, 4096)?;
    if path.is_empty() {
        return Err(ENOENT);
    }
    let dir = dir_handle(p, dirfd, &path)?;
    let (r, w) = server::request_path(Op::Open, &path, [flags, dir, 0, 0]);
    if r < 0 {
        return Err(-r);
    }
    if flags & O_DIRECTORY != 0 && w[0] != kind::DIR {
        server::request(Op::Close, [r as u64, 0, 0, 0, 0]);
        return Err(ENOTDIR);
    }
    let file = new_file(r as u64, w[0], flags);
    p.fds.install(
        Fd {
            file,
            cloexec: flags & O_CLOEXEC != 0,
        },
        0,
    )
}

fn dup(p: &mut Proc, fd: i64, min: usize, cloexec: bool) -> Result<i64, i64> {
    let file = p.fds.file(fd)?;
    p.fds.install(Fd { file, cloexec }, min)
}

fn dup_to(p: &mut Proc, fd: i64, to: i64, cloexec: bool) -> Result<i64, i64> {
    let file = p.fds.file(fd)?;
    p.fds.install_at(to, Fd { file, cloexec })
}

fn fcntl(p: &mut Proc, fd: i64, cmd: u64, arg: u64) -> Result<i64, i64> {
    match cmd {
        0 => dup(p, fd, arg as usize, false),
        1030 => dup(p, fd, arg as usize, true),
        1 => p.fds.get(fd).map(|f| i64::from(f.cloexec)),
        2 => p.fds.set_cloexec(fd, arg & 1 != 0).map(|()| 0),
        3 => p.fds.file(fd).map(|f| i64::from(f.flags.get())),
        4 => {
            let f = p.fds.file(fd)?;
            let keep = u64::from(f.flags.get()) & O_ACCMODE;
            f.flags.set((keep | arg & (O_APPEND | O_NONBLOCK)) as u32);
            Ok(0)
        }
        // Advisory locks on a read-only file system: nothing to lock against.
        5..=7 => p.fds.get(fd).map(|_| 0),
        _ => Err(EINVAL),
    }
}

fn pipe(p: &mut Proc, fds_addr: u64, flags: u64) -> Result<i64, i64> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    p.mm.prepare(fds_addr, 8, true)?;
    let (r, w) = server::request(Op::Pipe, [0; 5]);
    if r < 0 {
        return Err(-r);
    }
    let cloexec = flags & O_CLOEXEC != 0;
    let rf = new_file(r as u64, kind::PIPE_READ, flags & O_NONBLOCK);
    let wf = new_file(w[0], kind::PIPE_WRITE, 1 | flags & O_NONBLOCK);
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

/// `read`/`pread` into user memory.
fn read(p: &mut Proc, f: &mut UpcallFrame, fd: i64, buf: u64, len: u64, at: Option<u64>) -> Ret {
    read_scatter(p, f, fd, &[(buf, len)], at)
}

/// Reads into the buffers `iov` in order (`read`, `pread`, `readv`):
/// one server read of up to their total (at most a mailbox), scattered.
fn read_scatter(
    p: &mut Proc,
    _f: &mut UpcallFrame,
    fd: i64,
    iov: &[(u64, u64)],
    at: Option<u64>,
) -> Ret {
    let file = match p.fds.file(fd) {
        Ok(x) => x,
        Err(e) => return Ret::Val(-e),
    };
    if u64::from(file.flags.get()) & O_ACCMODE == 1 {
        return Ret::Val(-EBADF);
    }
    if file.kind == kind::DIR {
        return Ret::Val(-EISDIR);
    }
    if at.is_some() && !matches!(file.kind, kind::FILE) {
        return Ret::Val(-ESPIPE);
    }
    let total: u64 = iov.iter().map(|(_, l)| *l).sum();
    let want = total.min(DATA_BYTES as u64);
    if want == 0 {
        return Ret::Val(0);
    }
    // Check the buffers first, so a bad one loses no data.
    let mut left = want;
    for &(b, l) in iov {
        let n = l.min(left);
        if let Err(e) = p.mm.prepare(b, n, true) {
            return Ret::Val(-e);
        }
        left -= n;
    }
    let nonblock = u64::from(file.flags.get()) & O_NONBLOCK != 0;
    let ttin = crate::signal::ignores_or_blocks(p, crate::signal::SIGTTIN);
    let (r, _) = server::request(
        Op::Read,
        [
            file.handle,
            want,
            at.unwrap_or(u64::MAX),
            u64::from(nonblock),
            u64::from(ttin),
        ],
    );
    if r == JOB_SIGNALLED {
        // SIGTTIN went to this background process's group: made again
        // once that is dealt with.
        return Ret::Block(Block::Retry { deadline: None });
    }
    if r == WOULD_BLOCK {
        return if nonblock {
            Ret::Val(-EAGAIN)
        } else {
            Ret::Block(Block::Retry { deadline: None })
        };
    }
    if r <= 0 {
        return Ret::Val(r);
    }
    let mut tmp = alloc::vec![0u8; r as usize];
    server::get(&mut tmp);
    let mut done = 0;
    for &(b, l) in iov {
        if done >= tmp.len() {
            break;
        }
        let n = (l as usize).min(tmp.len() - done);
        if let Err(e) = p.mm.write(b, &tmp[done..done + n]) {
            return Ret::Val(-e);
        }
        done += n;
    }
    Ret::Val(r)
}

/// The `iovec`s at `iov`.
fn iovecs(p: &mut Proc, iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, i64> {
    if cnt > 1024 {
        return Err(EINVAL);
    }
    let raw = p.mm.read(iov, (cnt * 16) as usize)?;
    Ok(raw
        .chunks(16)
        .map(|c| {
            let base = u64::from_le_bytes(c[..8].try_into().unwrap_or([0; 8]));
            let len = u64::from_le_bytes(c[8..].try_into().unwrap_or([0; 8]));
            (base, len)
        })
        .collect())
}

fn readv(p: &mut Proc, f: &mut UpcallFrame, fd: i64, iov: u64, cnt: u64, at: Option<u64>) -> Ret {
    match iovecs(p, iov, cnt) {
        Ok(v) => read_scatter(p, f, fd, &v, at),
        Err(e) => Ret::Val(-e),
    }
}

/// `write` from user memory.
fn write(p: &mut Proc, f: &mut UpcallFrame, fd: i64, buf: u64, len: u64) -> Ret {
    let file = match p.fds.file(fd) {
        Ok(x) => x,
        Err(e) => return Ret::Val(-e),
    };
    if u64::from(file.flags.get()) & O_ACCMODE == 0 {
        return Ret::Val(-EBADF);
    }
    match file.kind {
        kind::CONSOLE => {
            if let Err(r) = console_write_allowed(p) {
                return r;
            }
            let mut done = 0;
            while done < len {
                let chunk = (len - done).min(DATA_BYTES as u64) as usize;
                match p.mm.read(buf + done, chunk) {
                    Ok(b) => crate::console::write(&b),
                    Err(e) => return Ret::Val(if done > 0 { done as i64 } else { -e }),
                }
                done += chunk as u64;
            }
            Ret::Val(len as i64)
        }
        kind::FILE | kind::DIR => Ret::Val(-EBADF),
        _ => send(p, f, &file, len, &mut |p, off, n| p.mm.read(buf + off, n)),
    }
}

/// Whether this process may write the console now: with `TOSTOP` set a
/// background process asks the server, which may send SIGTTOU to its
/// group (then the call is made again later) or refuse (`EIO`).
fn console_write_allowed(p: &Proc) -> Result<(), Ret> {
    use sysproto::control::{TTY_BACKGROUND, TTY_JOB, TTY_TOSTOP};
    let job = server::control(TTY_JOB);
    if job & (TTY_BACKGROUND | TTY_TOSTOP) != TTY_BACKGROUND | TTY_TOSTOP {
        return Ok(());
    }
    let ttou = crate::signal::ignores_or_blocks(p, crate::signal::SIGTTOU);
    match server::request(Op::TtyWrite, [u64::from(ttou), 0, 0, 0, 0]).0 {
        0 => Ok(()),
        JOB_SIGNALLED => Err(Ret::Block(Block::Retry { deadline: None })),
        r => Err(Ret::Val(r)),
    }
}

/// Where [`send`] takes the bytes at an offset from.
type Fetch<'a> = dyn FnMut(&mut Proc, u64, usize) -> Result<Vec<u8>, i64> + 'a;

/// Sends `len` bytes to the server's object behind `file` (a pipe or a
/// device), a mailbox at a time, taking them from `fetch(offset, n)`.
/// Progress of a blocked write is kept in the task's saved registers
/// (`reserved[1]`), so the retried call continues where it stopped.
fn send(
    p: &mut Proc,
    f: &mut UpcallFrame,
    file: &OpenFile,
    len: u64,
    fetch: &mut Fetch<'_>,
) -> Ret {
    let nonblock = u64::from(file.flags.get()) & O_NONBLOCK != 0;
    let mut done = f.reserved[1];
    while done < len {
        let chunk = (len - done).min(DATA_BYTES as u64) as usize;
        let bytes = match fetch(p, done, chunk) {
            Ok(b) => b,
            Err(e) => return Ret::Val(if done > 0 { done as i64 } else { -e }),
        };
        server::put(&bytes);
        let (r, _) = server::request(Op::Write, [file.handle, chunk as u64, 0, 0, 0]);
        if r == WOULD_BLOCK {
            if nonblock {
                return Ret::Val(if done > 0 { done as i64 } else { -EAGAIN });
            }
            f.reserved[1] = done;
            return Ret::Block(Block::Retry { deadline: None });
        }
        if r < 0 {
            f.reserved[1] = 0;
            if r == -EPIPE && done == 0 {
                crate::signal::post_task(p, p.cur, crate::signal::SIGPIPE, crate::signal::SI_USER);
            }
            return Ret::Val(if done > 0 { done as i64 } else { r });
        }
        done += r as u64;
    }
    f.reserved[1] = 0;
    Ret::Val(done as i64)
}

fn writev(p: &mut Proc, f: &mut UpcallFrame, fd: i64, iov: u64, cnt: u64) -> Ret {
    let v = match iovecs(p, iov, cnt) {
        Ok(v) => v,
        Err(e) => return Ret::Val(-e),
    };
    // Gather into one buffer so the write is one operation.
    let total: u64 = v.iter().map(|(_, l)| *l).sum();
    if total == 0 {
        return match p.fds.get(fd) {
            Ok(_) => Ret::Val(0),
            Err(e) => Ret::Val(-e),
        };
    }
    if v.iter().filter(|(_, l)| *l > 0).count() == 1 {
        let (b, l) = *v.iter().find(|(_, l)| *l > 0).unwrap_or(&(0, 0));
        return write(p, f, fd, b, l);
    }
    let mut all = Vec::new();
    for (b, l) in v {
        match p.mm.read(b, l as usize) {
            Ok(bytes) => all.extend_from_slice(&bytes),
            Err(e) => return Ret::Val(-e),
        }
    }
    write_bytes(p, f, fd, &all)
}

/// Writes bytes the library OS holds (a gathered `writev`).
fn write_bytes(p: &mut Proc, f: &mut UpcallFrame, fd: i64, all: &[u8]) -> Ret {
    let file = match p.fds.file(fd) {
        Ok(x) => x,
        Err(e) => return Ret::Val(-e),
    };
    if file.kind == kind::CONSOLE {
        if let Err(r) = console_write_allowed(p) {
            return r;
        }
        crate::console::write(all);
        return Ret::Val(all.len() as i64);
    }
    if file.kind == kind::FILE || file.kind == kind::DIR {
        return Ret::Val(-EBADF);
    }
    send(p, f, &file, all.len() as u64, &mut |_, off, n| {
        let off = off as usize;
        Ok(all[off..off + n].to_vec())
    })
}

fn lseek(p: &mut Proc, fd: i64, off: u64, whence: u64) -> Result<i64, i64> {
    let file = p.fds.file(fd)?;
    if !matches!(file.kind, kind::FILE | kind::DIR) {
        return Err(ESPIPE);
    }
    let (r, _) = server::request(Op::Seek, [file.handle, off, whence, 0, 0]);
    if r < 0 {
        Err(-r)
    } else {
        Ok(r)
    }
}

/// The stat words in the data area after a successful request.
fn stat_words() -> Stat {
    let mut w = [0u64; Stat::WORDS];
    for (i, x) in w.iter_mut().enumerate() {
        *x = server::data_word(i);
    }
    Stat::from_words(w)
}

/// Linux `struct stat` (144 bytes).
fn linux_stat(s: &Stat) -> [u8; 144] {
    let mut b = [0u8; 144];
    let put = |b: &mut [u8; 144], o: usize, v: u64| b[o..o + 8].copy_from_slice(&v.to_le_bytes());
    put(&mut b, 0, s.dev);
    put(&mut b, 8, s.ino);
    put(&mut b, 16, s.nlink);
    b[24..28].copy_from_slice(&(s.mode as u32).to_le_bytes());
    put(&mut b, 40, s.rdev);
    put(&mut b, 48, s.size);
    put(&mut b, 56, 4096);
    put(&mut b, 64, s.size.div_ceil(512));
    for o in [72, 88, 104] {
        put(&mut b, o, s.mtime_ns / 1_000_000_000);
        put(&mut b, o + 8, s.mtime_ns % 1_000_000_000);
    }
    b
}

fn fstat_of(p: &Proc, fd: i64) -> Result<Stat, i64> {
    let file = p.fds.file(fd)?;
    let (r, _) = server::request(Op::Fstat, [file.handle, 0, 0, 0, 0]);
    if r < 0 {
        return Err(-r);
    }
    Ok(stat_words())
}

fn fstat(p: &mut Proc, fd: i64, buf: u64) -> Result<i64, i64> {
    let s = fstat_of(p, fd)?;
    p.mm.write(buf, &linux_stat(&s))?;
    Ok(0)
}

fn stat_of(p: &mut Proc, dirfd: i64, path: u64, flags: u64) -> Result<Stat, i64> {
    let path = p.mm.read_cstr(path, 4096)?;
    if path.is_empty() {
        if flags & AT_EMPTY_PATH != 0 {
            return fstat_of(p, dirfd);
        }
        return Err(ENOENT);
    }
    let abs = absolute(p, dirfd, &path)?;
    let (r, _) = server::request_path(
        Op::Stat,
        &abs,
        [u64::from(flags & AT_SYMLINK_NOFOLLOW != 0), 0, 0, 0],
    );
    if r < 0 {
        return Err(-r);
    }
    Ok(stat_words())
}

/// `path` made absolute against a directory descriptor (the server knows
/// the current directory; a directory handle's path comes from it).
fn absolute(p: &Proc, dirfd: i64, path: &[u8]) -> Result<Vec<u8>, i64> {
    if dirfd == AT_FDCWD || path.first() == Some(&b'/') {
        return Ok(path.to_vec());
    }
    let h = dir_handle(p, dirfd, path)?;
    // Ask the server to open the path relative to the directory, then
    // stat through the handle is not possible for a path; resolve via
    // readlink of the handle's path.
    let (r, _) = server::request(Op::Readlink, [0, h, 0, 0, 0]);
    if r < 0 {
        return Err(-r);
    }
    let mut dir = alloc::vec![0u8; r as usize];
    server::get(&mut dir);
    dir.push(b'/');
    dir.extend_from_slice(path);
    Ok(dir)
}

fn stat_path(p: &mut Proc, dirfd: i64, path: u64, buf: u64, flags: u64) -> Result<i64, i64> {
    let s = stat_of(p, dirfd, path, flags)?;
    p.mm.write(buf, &linux_stat(&s))?;
    Ok(0)
}

fn statx(p: &mut Proc, dirfd: i64, path: u64, flags: u64, buf: u64) -> Result<i64, i64> {
    let s = stat_of(p, dirfd, path, flags)?;
    let mut b = [0u8; 256];
    b[0..4].copy_from_slice(&0x7ffu32.to_le_bytes()); // STATX_BASIC_STATS
    b[4..8].copy_from_slice(&4096u32.to_le_bytes());
    b[16..20].copy_from_slice(&(s.nlink as u32).to_le_bytes());
    b[28..30].copy_from_slice(&(s.mode as u16).to_le_bytes());
    b[32..40].copy_from_slice(&s.ino.to_le_bytes());
    b[40..48].copy_from_slice(&s.size.to_le_bytes());
    b[48..56].copy_from_slice(&s.size.div_ceil(512).to_le_bytes());
    for o in [64usize, 80, 96, 112] {
        b[o..o + 8].copy_from_slice(&(s.mtime_ns / 1_000_000_000).to_le_bytes());
        b[o + 8..o + 12].copy_from_slice(&((s.mtime_ns % 1_000_000_000) as u32).to_le_bytes());
    }
    b[128..132].copy_from_slice(&((s.rdev >> 8) as u32).to_le_bytes());
    b[132..136].copy_from_slice(&((s.rdev & 0xff) as u32).to_le_bytes());
    p.mm.write(buf, &b)?;
    Ok(0)
}

fn getdents(p: &mut Proc, fd: i64, buf: u64, len: u64) -> Result<i64, i64> {
    let file = p.fds.file(fd)?;
    if file.kind != kind::DIR {
        return Err(ENOTDIR);
    }
    p.mm.prepare(buf, len.min(DATA_BYTES as u64), true)?;
    let (r, _) = server::request(
        Op::Getdents,
        [file.handle, len.min(DATA_BYTES as u64), 0, 0, 0],
    );
    if r < 0 {
        return Err(-r);
    }
    let mut tmp = alloc::vec![0u8; r as usize];
    server::get(&mut tmp);
    p.mm.write(buf, &tmp)?;
    Ok(r)
}

fn access(p: &mut Proc, dirfd: i64, path: u64, mode: u64) -> Result<i64, i64> {
    let path = p.mm.read_cstr(path, 4096)?;
    let abs = absolute(p, dirfd, &path)?;
    let (r, _) = server::request_path(Op::Access, &abs, [mode, 0, 0, 0]);
    if r < 0 {
        Err(-r)
    } else {
        Ok(0)
    }
}

fn readlink(p: &mut Proc, path: u64, buf: u64, size: u64) -> Result<i64, i64> {
    let path = p.mm.read_cstr(path, 4096)?;
    let (r, _) = server::request_path(Op::Readlink, &path, [NO_HANDLE, 0, 0, 0]);
    if r < 0 {
        return Err(-r);
    }
    let mut target = alloc::vec![0u8; r as usize];
    server::get(&mut target);
    if size == 0 {
        return Err(EINVAL);
    }
    let n = target.len().min(size as usize);
    p.mm.write(buf, &target[..n])?;
    Ok(n as i64)
}

fn getcwd(p: &mut Proc, buf: u64, size: u64) -> Result<i64, i64> {
    let (r, _) = server::request(Op::Getcwd, [0; 5]);
    if r < 0 {
        return Err(-r);
    }
    let mut cwd = alloc::vec![0u8; r as usize];
    server::get(&mut cwd);
    cwd.push(0);
    if cwd.len() as u64 > size {
        return Err(ERANGE);
    }
    p.mm.write(buf, &cwd)?;
    Ok(cwd.len() as i64)
}

fn chdir(p: &mut Proc, path: u64) -> Result<i64, i64> {
    let path = p.mm.read_cstr(path, 4096)?;
    let (r, _) = server::request_path(Op::Chdir, &path, [0; 4]);
    if r < 0 {
        Err(-r)
    } else {
        Ok(0)
    }
}

fn fchdir(p: &mut Proc, fd: i64) -> Result<i64, i64> {
    let file = p.fds.file(fd)?;
    if file.kind != kind::DIR {
        return Err(ENOTDIR);
    }
    let (r, _) = server::request(Op::Readlink, [0, file.handle, 0, 0, 0]);
    if r < 0 {
        return Err(-r);
    }
    let mut path = alloc::vec![0u8; r as usize];
    server::get(&mut path);
    let (r, _) = server::request_path(Op::Chdir, &path, [0; 4]);
    if r < 0 {
        Err(-r)
    } else {
        Ok(0)
    }
}

fn ioctl(p: &mut Proc, fd: i64, req: u64, arg: u64) -> Ret {
    match ioctl_call(p, fd, req, arg) {
        Err(e) if -e == JOB_SIGNALLED => Ret::Block(Block::Retry { deadline: None }),
        r => r.into(),
    }
}

fn ioctl_call(p: &mut Proc, fd: i64, req: u64, arg: u64) -> Result<i64, i64> {
    let file = p.fds.file(fd)?;
    if file.kind != kind::CONSOLE {
        if req == 0x541b && matches!(file.kind, kind::PIPE_READ) {
            // FIONREAD on a pipe.
            let (r, w) = server::request(Op::Poll, [file.handle, 0, 0, 0, 0]);
            let _ = r;
            return p.mm.write_u32(arg, w[0] as u32).map(|()| 0);
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
    if size > 0 && matches!(req, 0x5402..=0x5404 | 0x5414 | 0x5410) {
        let b = p.mm.read(arg, size)?;
        server::put(&b);
    }
    let ttou = crate::signal::ignores_or_blocks(p, crate::signal::SIGTTOU);
    let (r, _) = server::request(Op::Ioctl, [file.handle, req, arg, u64::from(ttou), 0]);
    if r < 0 {
        return Err(-r);
    }
    if size > 0 && matches!(req, 0x5401 | 0x5413 | 0x540f | 0x541b | 0x5429) {
        let mut b = alloc::vec![0u8; size];
        server::get(&mut b);
        p.mm.write(arg, &b)?;
    }
    Ok(r)
}

/// Readiness of one descriptor (`register`: ask to be woken on change).
fn readiness(p: &Proc, fd: i64, register: bool) -> Option<u64> {
    let file = p.fds.file(fd).ok()?;
    match file.kind {
        kind::FILE | kind::DIR | kind::NULL | kind::ZERO => Some(ready::IN | ready::OUT),
        _ => {
            let (r, _) = server::request(Op::Poll, [file.handle, u64::from(register), 0, 0, 0]);
            Some(r.max(0) as u64)
        }
    }
}

fn poll(p: &mut Proc, fds: u64, nfds: u64, timeout_ms: i64, timed_out: bool) -> Ret {
    if nfds > 4096 {
        return Ret::Val(-EINVAL);
    }
    let raw = match p.mm.read(fds, (nfds * 8) as usize) {
        Ok(r) => r,
        Err(e) => return Ret::Val(-e),
    };
    let block = timeout_ms != 0 && !timed_out;
    let mut out = raw.clone();
    let mut count = 0;
    for (i, c) in raw.chunks(8).enumerate() {
        let fd = i32::from_le_bytes(c[..4].try_into().unwrap_or([0; 4]));
        let events = u16::from_le_bytes([c[4], c[5]]) as u64;
        let revents = if fd < 0 {
            0
        } else {
            match readiness(p, i64::from(fd), block) {
                None => 0x20, // POLLNVAL
                Some(r) => r & (events | ready::ERR | ready::HUP),
            }
        };
        out[i * 8 + 6..i * 8 + 8].copy_from_slice(&(revents as u16).to_le_bytes());
        if revents != 0 {
            count += 1;
        }
    }
    if count == 0 && block {
        let deadline =
            (timeout_ms > 0).then(|| crate::time::now_ns() + timeout_ms as u64 * 1_000_000);
        return Ret::Block(Block::Retry { deadline });
    }
    match p.mm.write(fds, &out) {
        Ok(()) => Ret::Val(count),
        Err(e) => Ret::Val(-e),
    }
}

fn select(p: &mut Proc, nfds: u64, sets: [u64; 3], tv: u64, ts: bool, timed_out: bool) -> Ret {
    if nfds > 1024 {
        return Ret::Val(-EINVAL);
    }
    let words = nfds.div_ceil(64) as usize;
    let mut inp = [
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
    ];
    for (k, &addr) in sets.iter().enumerate() {
        if addr != 0 {
            for (w, slot) in inp[k].iter_mut().enumerate() {
                match p.mm.read_u64(addr + w as u64 * 8) {
                    Ok(v) => *slot = v,
                    Err(e) => return Ret::Val(-e),
                }
            }
        }
    }
    let timeout_ns = if tv == 0 {
        None
    } else {
        let sec = p.mm.read_u64(tv).unwrap_or(0);
        let sub = p.mm.read_u64(tv + 8).unwrap_or(0);
        Some(sec * 1_000_000_000 + if ts { sub } else { sub * 1000 })
    };
    let block = timeout_ns != Some(0) && !timed_out;
    let mut outp = [
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
    ];
    let mut count = 0;
    for fd in 0..nfds {
        let (w, b) = ((fd / 64) as usize, 1u64 << (fd % 64));
        if (inp[0][w] | inp[1][w] | inp[2][w]) & b == 0 {
            continue;
        }
        let Some(r) = readiness(p, fd as i64, block) else {
            return Ret::Val(-EBADF);
        };
        let hits = [
            r & (ready::IN | ready::HUP) != 0,
            r & (ready::OUT | ready::ERR) != 0,
            false,
        ];
        for k in 0..3 {
            if inp[k][w] & b != 0 && hits[k] {
                outp[k][w] |= b;
                count += 1;
            }
        }
    }
    if count == 0 && block {
        let deadline = timeout_ns.map(|t| crate::time::now_ns() + t);
        return Ret::Block(Block::Retry { deadline });
    }
    for (k, &addr) in sets.iter().enumerate() {
        if addr != 0 {
            for (w, v) in outp[k].iter().enumerate() {
                if let Err(e) = p.mm.write_u64(addr + w as u64 * 8, *v) {
                    return Ret::Val(-e);
                }
            }
        }
    }
    Ret::Val(count)
}
