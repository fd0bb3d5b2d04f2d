//! The calls that change the file namespace or a file's attributes:
//! mknod, mkdir, unlink, rmdir, rename, link, symlink, chmod, chown,
//! truncate, the utime family, statfs, fallocate and the syncs. Each
//! passes its paths (relative ones with the directory descriptor's
//! server handle) to the file service, which resolves them as this
//! process and applies Linux's rules; the umask is applied here, where
//! it lives.

use alloc::vec::Vec;

use linux_errno::Errno::{self, EBADF, EFAULT, EINVAL, ENOENT};
use sysproto::{at, kind, sys, Times, NO_HANDLE};

use super::files::{dir_handle, dirfd_arg, fd_arg, AT_FDCWD};
use super::Call;
use crate::proc::Proc;
use crate::server;

/// `UTIME_NOW`, `UTIME_OMIT`.
const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// The path at `addr` and the server handle it is relative to.
fn path_at(p: &mut Proc, dirfd: i64, addr: u64) -> Result<(Vec<u8>, u64), Errno> {
    let path = p.mm.read_cstr(addr, 4096)?;
    let dir = dir_handle(p, dirfd, &path)?;
    Ok((path, dir))
}

/// A path that is one of this process's `/proc/self/fd/N` links names
/// that descriptor's file (Linux follows the link to the open file, named
/// or not): as an empty path with `AT_EMPTY_PATH`.
fn own_target(p: &Proc, path: Vec<u8>, dir: u64, flags: u64) -> Result<(Vec<u8>, u64, u64), Errno> {
    match super::files::own_fd(&path) {
        Some(fd) => {
            let h = p.fds.file(fd).map_err(|_| ENOENT)?.handle;
            Ok((Vec::new(), h, flags | at::EMPTY_PATH))
        }
        None => Ok((path, dir, flags)),
    }
}

/// As [`path_at`], for the calls that take `AT_EMPTY_PATH`: an empty path
/// then names `dirfd` itself, of whatever kind.
fn target_at(p: &mut Proc, dirfd: i64, addr: u64, flags: u64) -> Result<(Vec<u8>, u64), Errno> {
    let path = p.mm.read_cstr(addr, 4096)?;
    if path.is_empty() {
        if flags & at::EMPTY_PATH == 0 {
            return Err(ENOENT);
        }
        if dirfd == AT_FDCWD {
            return Ok((path, NO_HANDLE));
        }
        return Ok((path, p.fds.file(dirfd)?.handle));
    }
    let dir = dir_handle(p, dirfd, &path)?;
    Ok((path, dir))
}

/// The server handle of `fd` for the `f*` calls (`fchmod`, `fchown`, ...).
fn fd_handle(p: &Proc, fd: i64) -> Result<u64, Errno> {
    Ok(p.fds.file(fd)?.handle)
}

/// The server handle of a descriptor a call changes the file through
/// (`EBADF` for an `O_PATH` one, as Linux's `fchmod` and `fchown`).
fn fd_handle_open(p: &Proc, fd: i64) -> Result<u64, Errno> {
    const O_PATH: u32 = 0o10000000;
    let f = p.fds.file(fd)?;
    if f.flags.get() & O_PATH != 0 {
        return Err(EBADF);
    }
    Ok(f.handle)
}

/// Two paths, NUL-separated, as rename, link and symlink send them.
fn two(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(a.len() + b.len() + 2);
    v.extend_from_slice(a);
    v.push(0);
    v.extend_from_slice(b);
    v.push(0);
    v
}

pub fn mknod(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    mknod_at(p, AT_FDCWD, c.a[0], c.a[1], c.a[2])
}

pub fn mknodat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    mknod_at(p, dirfd_arg(c.a[0]), c.a[1], c.a[2], c.a[3])
}

fn mknod_at(p: &mut Proc, dirfd: i64, path: u64, mode: u64, dev: u64) -> Result<usize, Errno> {
    let (path, dir) = path_at(p, dirfd, path)?;
    let mode = mode as u32;
    let mode = (mode & 0o170000) | (mode & 0o7777 & !p.umask);
    let req = sys::Mknod {
        dir,
        mode: u64::from(mode),
        dev: u64::from(dev as u32),
    };
    server::call_path(req, &path).map(|_| 0)
}

pub fn mkdir(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    mkdir_at(p, AT_FDCWD, c.a[0], c.a[1])
}

pub fn mkdirat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    mkdir_at(p, dirfd_arg(c.a[0]), c.a[1], c.a[2])
}

fn mkdir_at(p: &mut Proc, dirfd: i64, path: u64, mode: u64) -> Result<usize, Errno> {
    let (path, dir) = path_at(p, dirfd, path)?;
    let mode = u64::from(mode as u32 & 0o7777 & !p.umask);
    server::call_path(sys::Mkdir { dir, mode }, &path).map(|_| 0)
}

pub fn unlink(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    unlink_at(p, AT_FDCWD, c.a[0], 0)
}

pub fn rmdir(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    unlink_at(p, AT_FDCWD, c.a[0], at::REMOVEDIR)
}

pub fn unlinkat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    unlink_at(p, dirfd_arg(c.a[0]), c.a[1], c.a[2] & 0xffff_ffff)
}

fn unlink_at(p: &mut Proc, dirfd: i64, path: u64, flags: u64) -> Result<usize, Errno> {
    if flags & !at::REMOVEDIR != 0 {
        return Err(EINVAL);
    }
    let (path, dir) = path_at(p, dirfd, path)?;
    server::call_path(sys::Unlink { dir, flags }, &path).map(|_| 0)
}

pub fn rename(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    rename_at(p, AT_FDCWD, c.a[0], AT_FDCWD, c.a[1], 0)
}

pub fn renameat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    rename_at(p, dirfd_arg(c.a[0]), c.a[1], dirfd_arg(c.a[2]), c.a[3], 0)
}

pub fn renameat2(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    rename_at(
        p,
        dirfd_arg(c.a[0]),
        c.a[1],
        dirfd_arg(c.a[2]),
        c.a[3],
        c.a[4] & 0xffff_ffff,
    )
}

fn rename_at(
    p: &mut Proc,
    d1: i64,
    old: u64,
    d2: i64,
    new: u64,
    flags: u64,
) -> Result<usize, Errno> {
    let (old, from) = path_at(p, d1, old)?;
    let (new, to) = path_at(p, d2, new)?;
    if old.is_empty() || new.is_empty() {
        return Err(ENOENT);
    }
    let req = sys::Rename { from, to, flags };
    server::call_with(req, &two(&old, &new)[..]).map(|_| 0)
}

pub fn link(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    link_at(p, AT_FDCWD, c.a[0], AT_FDCWD, c.a[1], 0)
}

pub fn linkat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    link_at(
        p,
        dirfd_arg(c.a[0]),
        c.a[1],
        dirfd_arg(c.a[2]),
        c.a[3],
        c.a[4] & 0xffff_ffff,
    )
}

fn link_at(p: &mut Proc, d1: i64, old: u64, d2: i64, new: u64, flags: u64) -> Result<usize, Errno> {
    if flags & !(at::SYMLINK_FOLLOW | at::EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let (old, from) = target_at(p, d1, old, flags)?;
    let (new, to) = path_at(p, d2, new)?;
    if new.is_empty() {
        return Err(ENOENT);
    }
    let req = sys::Link { from, to, flags };
    server::call_with(req, &two(&old, &new)[..]).map(|_| 0)
}

pub fn symlink(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    symlink_at(p, c.a[0], AT_FDCWD, c.a[1])
}

pub fn symlinkat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    symlink_at(p, c.a[0], dirfd_arg(c.a[1]), c.a[2])
}

fn symlink_at(p: &mut Proc, target: u64, dirfd: i64, path: u64) -> Result<usize, Errno> {
    let target = p.mm.read_cstr(target, 4096)?;
    let (path, dir) = path_at(p, dirfd, path)?;
    if target.is_empty() || path.is_empty() {
        return Err(ENOENT);
    }
    server::call_with(sys::Symlink { dir }, &two(&target, &path)[..]).map(|_| 0)
}

pub fn chmod(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (path, dir) = path_at(p, AT_FDCWD, c.a[0])?;
    let (path, dir, flags) = own_target(p, path, dir, 0)?;
    chmod_req(dir, flags, c.a[1], &path)
}

pub fn fchmod(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let dir = fd_handle_open(p, fd_arg(c.a[0]))?;
    chmod_req(dir, at::EMPTY_PATH, c.a[1], b"")
}

pub fn fchmodat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (path, dir) = path_at(p, dirfd_arg(c.a[0]), c.a[1])?;
    let (path, dir, flags) = own_target(p, path, dir, 0)?;
    chmod_req(dir, flags, c.a[2], &path)
}

/// `fchmodat2`: with `AT_SYMLINK_NOFOLLOW` (a link itself: EOPNOTSUPP, as
/// Linux) and `AT_EMPTY_PATH`.
pub fn fchmodat2(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let flags = c.a[3] & 0xffff_ffff;
    if flags & !(at::SYMLINK_NOFOLLOW | at::EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let (path, dir) = target_at(p, dirfd_arg(c.a[0]), c.a[1], flags)?;
    chmod_req(dir, flags, c.a[2], &path)
}

fn chmod_req(dir: u64, flags: u64, mode: u64, path: &[u8]) -> Result<usize, Errno> {
    let req = sys::Chmod {
        dir,
        flags,
        mode: mode & 0o7777,
    };
    server::call_path(req, path).map(|_| 0)
}

pub fn chown(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (path, dir) = path_at(p, AT_FDCWD, c.a[0])?;
    chown_req(dir, 0, c.a[1], c.a[2], &path)
}

pub fn lchown(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (path, dir) = path_at(p, AT_FDCWD, c.a[0])?;
    chown_req(dir, at::SYMLINK_NOFOLLOW, c.a[1], c.a[2], &path)
}

pub fn fchown(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let dir = fd_handle_open(p, fd_arg(c.a[0]))?;
    chown_req(dir, at::EMPTY_PATH, c.a[1], c.a[2], b"")
}

pub fn fchownat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let flags = c.a[4] & 0xffff_ffff;
    if flags & !(at::SYMLINK_NOFOLLOW | at::EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let (path, dir) = target_at(p, dirfd_arg(c.a[0]), c.a[1], flags)?;
    chown_req(dir, flags, c.a[2], c.a[3], &path)
}

fn chown_req(dir: u64, flags: u64, uid: u64, gid: u64, path: &[u8]) -> Result<usize, Errno> {
    // The ids are `uid_t`/`gid_t`: -1 (all ones) leaves one as it is.
    let id = |v: u64| {
        if v as u32 == u32::MAX {
            u64::MAX
        } else {
            u64::from(v as u32)
        }
    };
    let req = sys::Chown {
        dir,
        flags,
        uid: id(uid),
        gid: id(gid),
    };
    server::call_path(req, path).map(|_| 0)
}

pub fn truncate(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (path, dir) = path_at(p, AT_FDCWD, c.a[0])?;
    let size = c.a[1];
    if (size as i64) < 0 {
        return Err(EINVAL);
    }
    fsize_check(p, size)?;
    server::call_path(
        sys::Truncate {
            dir,
            flags: 0,
            size,
        },
        &path,
    )
    .map(|_| 0)
}

pub fn ftruncate(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let file = p.fds.file(fd_arg(c.a[0]))?;
    let size = c.a[1];
    if (size as i64) < 0 {
        return Err(EINVAL);
    }
    if file.kind != kind::FILE {
        return Err(if matches!(file.kind, kind::PATH | kind::LINK) {
            EBADF
        } else {
            EINVAL
        });
    }
    if u64::from(file.flags.get()) & 3 == 0 {
        return Err(EINVAL);
    }
    fsize_check(p, size)?;
    let req = sys::Truncate {
        dir: file.handle,
        flags: at::EMPTY_PATH,
        size,
    };
    server::call_path(req, b"").map(|_| 0)
}

/// `RLIMIT_FSIZE`: growing a file past it is `EFBIG` with SIGXFSZ.
fn fsize_check(p: &mut Proc, size: u64) -> Result<(), Errno> {
    if size > crate::limits::cur(crate::limits::RLIMIT_FSIZE) {
        crate::signal::post_task(p, p.cur, crate::signal::SIGXFSZ, crate::signal::SI_USER);
        return Err(Errno::EFBIG);
    }
    Ok(())
}

pub fn utimensat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let flags = c.a[3] & 0xffff_ffff;
    if flags & !(at::SYMLINK_NOFOLLOW | at::EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let times = if c.a[2] == 0 {
        None
    } else {
        let b = p.mm.read(c.a[2], 32)?;
        let w = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        Some(Times {
            atime_sec: w(0),
            atime_nsec: w(1),
            mtime_sec: w(2),
            mtime_nsec: w(3),
        })
    };
    // A NULL path names the descriptor itself (`futimens`).
    let (path, dir) = if c.a[1] == 0 {
        let dirfd = dirfd_arg(c.a[0]);
        if dirfd == AT_FDCWD {
            return Err(EFAULT);
        }
        (Vec::new(), fd_handle(p, dirfd)?)
    } else {
        target_at(p, dirfd_arg(c.a[0]), c.a[1], flags)?
    };
    let flags = if c.a[1] == 0 {
        flags | at::EMPTY_PATH
    } else {
        flags
    };
    utimens_req(dir, flags, times, &path)
}

pub fn utime(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let times = if c.a[1] == 0 {
        None
    } else {
        let b = p.mm.read(c.a[1], 16)?;
        let w = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        Some(Times {
            atime_sec: w(0),
            atime_nsec: 0,
            mtime_sec: w(1),
            mtime_nsec: 0,
        })
    };
    let (path, dir) = path_at(p, AT_FDCWD, c.a[0])?;
    utimens_req(dir, 0, times, &path)
}

pub fn utimes(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    futimes_at(p, AT_FDCWD, c.a[0], c.a[1])
}

pub fn futimesat(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    futimes_at(p, dirfd_arg(c.a[0]), c.a[1], c.a[2])
}

/// `utimes`, `futimesat`: two `timeval`s (microseconds, which must be
/// below a million).
fn futimes_at(p: &mut Proc, dirfd: i64, path: u64, tv: u64) -> Result<usize, Errno> {
    let times = if tv == 0 {
        None
    } else {
        let b = p.mm.read(tv, 32)?;
        let w = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        if !(0..1_000_000).contains(&w(1)) || !(0..1_000_000).contains(&w(3)) {
            return Err(EINVAL);
        }
        Some(Times {
            atime_sec: w(0),
            atime_nsec: w(1) * 1000,
            mtime_sec: w(2),
            mtime_nsec: w(3) * 1000,
        })
    };
    let (path, dir) = path_at(p, dirfd, path)?;
    utimens_req(dir, 0, times, &path)
}

fn utimens_req(dir: u64, flags: u64, times: Option<Times>, path: &[u8]) -> Result<usize, Errno> {
    if path.len() > 4095 {
        return Err(Errno::ENAMETOOLONG);
    }
    let (flags, t) = match times {
        None => (flags | at::TIMES_NOW, Times::default()),
        Some(t) => {
            for ns in [t.atime_nsec, t.mtime_nsec] {
                if ns != UTIME_NOW && ns != UTIME_OMIT && !(0..1_000_000_000).contains(&ns) {
                    return Err(EINVAL);
                }
            }
            (flags, t)
        }
    };
    let mut data = Vec::with_capacity(32 + path.len());
    data.extend_from_slice(sysproto::zerocopy::IntoBytes::as_bytes(&t));
    data.extend_from_slice(path);
    server::call_with(sys::Utimens { dir, flags }, &data[..]).map(|_| 0)
}

pub fn statfs(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (path, dir) = path_at(p, AT_FDCWD, c.a[0])?;
    statfs_req(p, dir, 0, &path, c.a[1])
}

pub fn fstatfs(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let dir = fd_handle(p, fd_arg(c.a[0]))?;
    statfs_req(p, dir, at::EMPTY_PATH, b"", c.a[1])
}

/// Linux `struct statfs` (120 bytes) at `buf`.
fn statfs_req(p: &mut Proc, dir: u64, flags: u64, path: &[u8], buf: u64) -> Result<usize, Errno> {
    p.mm.prepare(buf, 120, true)?;
    let s: sysproto::Statfs = server::call_path(sys::Statfs { dir, flags }, path)?.value();
    let mut b = [0u8; 120];
    let mut put = |o: usize, v: u64| b[o..o + 8].copy_from_slice(&v.to_le_bytes());
    put(0, s.kind);
    put(8, s.block_size);
    put(16, s.blocks);
    put(24, s.blocks_free);
    put(32, s.blocks_free);
    put(40, s.files);
    put(48, s.files_free);
    put(56, s.fsid);
    put(64, s.name_max);
    put(72, s.block_size);
    put(80, s.flags);
    p.mm.write(buf, &b)?;
    Ok(0)
}

pub fn fallocate(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let file = p.fds.file(fd_arg(c.a[0]))?;
    let (mode, off, len) = (c.a[1] & 0xffff_ffff, c.a[2], c.a[3]);
    if (off as i64) < 0 || (len as i64) <= 0 {
        return Err(EINVAL);
    }
    if u64::from(file.flags.get()) & 3 == 0 {
        return Err(EBADF);
    }
    if mode & 1 == 0 {
        fsize_check(p, off.saturating_add(len))?;
    }
    let req = sys::Fallocate {
        handle: file.handle,
        mode,
        offset: off,
        len,
    };
    server::call(req).map(|_| 0)
}

/// `sync`, `syncfs`: the in-memory file systems have nothing to write
/// back; `syncfs` checks its descriptor.
pub fn sync(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(0)
}

pub fn syncfs(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    p.fds.get(fd_arg(c.a[0])).map(|_| 0)
}

/// `fsync`, `fdatasync`: nothing to write back for files of the
/// in-memory file systems; pipes, FIFOs and sockets cannot be synced
/// (`EINVAL`), as on Linux.
pub fn fsync(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let file = p.fds.file(fd_arg(c.a[0]))?;
    match file.kind {
        kind::PIPE_READ | kind::PIPE_WRITE | kind::FIFO_READ | kind::FIFO_WRITE => Err(EINVAL),
        kind::PATH | kind::LINK => Err(EBADF),
        _ => Ok(0),
    }
}

/// `fadvise64`: the advice is checked (a pipe `ESPIPE`, an unknown one
/// `EINVAL`) and taken as a hint there is nothing to do for: the files
/// are in memory.
pub fn fadvise64(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let file = p.fds.file(fd_arg(c.a[0]))?;
    if matches!(
        file.kind,
        kind::PIPE_READ | kind::PIPE_WRITE | kind::FIFO_READ | kind::FIFO_WRITE
    ) {
        return Err(Errno::ESPIPE);
    }
    if c.a[3] as u32 > 5 || (c.a[2] as i64) < 0 {
        return Err(EINVAL);
    }
    Ok(0)
}

/// `readahead`: a regular file open for reading; nothing to read ahead
/// of memory.
pub fn readahead(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let file = p.fds.file(fd_arg(c.a[0]))?;
    if file.kind != kind::FILE || u64::from(file.flags.get()) & 3 == 1 {
        return Err(if file.kind == kind::FILE {
            EBADF
        } else {
            EINVAL
        });
    }
    Ok(0)
}

/// `sync_file_range`: Linux's argument checks; nothing to write back.
pub fn sync_file_range(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let file = p.fds.file(fd_arg(c.a[0]))?;
    let (off, n, flags) = (c.a[1] as i64, c.a[2] as i64, c.a[3] as u32);
    if flags & !7 != 0 || off < 0 || n < 0 || off.checked_add(n).is_none() {
        return Err(EINVAL);
    }
    if matches!(
        file.kind,
        kind::PIPE_READ | kind::PIPE_WRITE | kind::FIFO_READ | kind::FIFO_WRITE
    ) {
        return Err(Errno::ESPIPE);
    }
    Ok(0)
}

/// `memfd_create`: an unnamed file of `/dev/shm`'s tmpfs, open for
/// reading and writing (`MFD_CLOEXEC` honoured; `MFD_ALLOW_SEALING`
/// accepted, and seals are refused by `fcntl`; huge pages `EINVAL`).
pub fn memfd_create(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    const MFD_CLOEXEC: u64 = 1;
    const MFD_ALLOW_SEALING: u64 = 2;
    let flags = u64::from(c.a[1] as u32);
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING) != 0 {
        return Err(EINVAL);
    }
    // The name is only for /proc's links; it must be readable and short.
    let name = p.mm.read_cstr(c.a[0], 4096)?;
    if name.len() > 249 {
        return Err(EINVAL);
    }
    const O_RDWR: u64 = 2;
    const O_TMPFILE: u64 = 0o20200000;
    let open = sys::Open {
        flags: O_TMPFILE | O_RDWR,
        dir: NO_HANDLE,
        mode: 0o777,
    };
    let o = server::call_path(open, b"/dev/shm")?.reply;
    super::files::install_file(p, o.handle, o.kind, O_RDWR, flags & MFD_CLOEXEC != 0)
}
