//! The operations that change the namespace or a node's attributes:
//! mknod, mkdir, unlink and rmdir, rename, link, symlink, chmod, chown,
//! truncate, utimens, statfs, fallocate. Each resolves its paths as the
//! calling process and leaves the rules to the file system
//! (`memfs`), which checks permission on the directories involved.

use super::*;
use crate::fs::{now, PROC_FS, PROC_SUPER_MAGIC, TMPFS_MAGIC};
use crate::objects::access;
use memfs::{RenameFlags, SetAttr, TimeSet};
use vfs::walk::{Loc, Parent};
use vfs::{FileType, Time, MAY_WRITE};

/// `utimensat`'s special nanosecond values.
const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// The two NUL-separated paths of a rename, link or symlink request.
fn two_paths(data: &[u8]) -> Result<(&[u8], &[u8]), Errno> {
    let i = data.iter().position(|b| *b == 0).ok_or(EINVAL)?;
    let b = &data[i + 1..];
    let b = &b[..b.iter().position(|c| *c == 0).unwrap_or(b.len())];
    Ok((&data[..i], b))
}

impl Server {
    /// The parent of a path that names an entry to make: `EEXIST` for
    /// `.`, `..` and `/`.
    fn new_entry(&self, pid: u64, path: &[u8], dir: u64) -> Result<Parent, Errno> {
        let start = self.start_dir(pid, dir, path)?;
        let p = &self.procs[&pid];
        let who = crate::fs::Who {
            cred: &p.cred,
            root: p.root,
            dir: start,
        };
        let parent = self.fs.resolve_parent(&self.procfs(pid), who, path)?;
        if parent.name == b"." || parent.name == b".." {
            return Err(EEXIST);
        }
        Ok(parent)
    }

    /// The in-memory file system holding `loc`, for a change; `/proc`
    /// refuses with `err`.
    fn mem_for(
        &mut self,
        loc: Loc,
        err: Errno,
    ) -> Result<&mut memfs::MemFs<crate::fs::FrameStore>, Errno> {
        self.fs.mem_mut(loc).ok_or(err)
    }

    pub(super) fn mknod(
        &mut self,
        pid: u64,
        path: &[u8],
        dir: u64,
        mode: u64,
        dev: u64,
    ) -> Result<(), Errno> {
        let mode = mode as u32;
        let ftype = match mode & 0o170000 {
            0 => FileType::Regular,
            m => FileType::from_mode(m).ok_or(EINVAL)?,
        };
        let cred = self.procs[&pid].cred.clone();
        match ftype {
            FileType::Directory => return Err(EPERM),
            FileType::Symlink => return Err(EINVAL),
            FileType::CharDevice | FileType::BlockDevice if !cred.has(vfs::cap::MKNOD) => {
                return Err(EPERM)
            }
            _ => {}
        }
        let parent = self.new_entry(pid, path, dir)?;
        if parent.trailing_slash {
            return match self.resolve(pid, path, dir, false) {
                Ok(_) => Err(EEXIST),
                Err(_) => Err(ENOENT),
            };
        }
        let rdev = match ftype {
            FileType::CharDevice | FileType::BlockDevice => linux_dev(dev),
            _ => 0,
        };
        self.mem_for(parent.dir, ENOENT)?
            .create(
                &cred,
                parent.dir.ino,
                &parent.name,
                ftype,
                mode & 0o7777,
                rdev,
                now(),
            )
            .map(|_| ())
    }

    pub(super) fn mkdir(
        &mut self,
        pid: u64,
        path: &[u8],
        dir: u64,
        mode: u64,
    ) -> Result<(), Errno> {
        let parent = self.new_entry(pid, path, dir)?;
        let cred = self.procs[&pid].cred.clone();
        self.mem_for(parent.dir, ENOENT)?
            .create(
                &cred,
                parent.dir.ino,
                &parent.name,
                FileType::Directory,
                mode as u32 & 0o7777,
                0,
                now(),
            )
            .map(|_| ())
    }

    pub(super) fn unlink(
        &mut self,
        pid: u64,
        path: &[u8],
        dir: u64,
        flags: u64,
    ) -> Result<(), Errno> {
        if flags & !at::REMOVEDIR != 0 {
            return Err(EINVAL);
        }
        let parent = self.resolve_parent_of(pid, path, dir)?;
        let cred = self.procs[&pid].cred.clone();
        if flags & at::REMOVEDIR != 0 {
            match &parent.name[..] {
                b"." => return Err(EINVAL),
                b".." => return Err(ENOTEMPTY),
                _ => {}
            }
            if let Ok(l) = self.resolve(pid, path, dir, false) {
                if self.fs.is_mount_point(l) {
                    return Err(EBUSY);
                }
            }
            return self
                .mem_for(parent.dir, EACCES)?
                .rmdir(&cred, parent.dir.ino, &parent.name, now())
                .map(|_| ());
        }
        if parent.name == b"." || parent.name == b".." {
            return Err(EISDIR);
        }
        if parent.trailing_slash {
            let l = self.resolve(pid, path, dir, true)?;
            return match self.attr(pid, l)?.ftype {
                FileType::Directory => Err(EISDIR),
                _ => Err(ENOTDIR),
            };
        }
        self.mem_for(parent.dir, EACCES)?
            .unlink(&cred, parent.dir.ino, &parent.name, now())
            .map(|_| ())
    }

    fn resolve_parent_of(&self, pid: u64, path: &[u8], dir: u64) -> Result<Parent, Errno> {
        let start = self.start_dir(pid, dir, path)?;
        let p = &self.procs[&pid];
        let who = crate::fs::Who {
            cred: &p.cred,
            root: p.root,
            dir: start,
        };
        self.fs.resolve_parent(&self.procfs(pid), who, path)
    }

    pub(super) fn rename(
        &mut self,
        pid: u64,
        data: &[u8],
        from: u64,
        to: u64,
        flags: u64,
    ) -> Result<(), Errno> {
        const NOREPLACE: u64 = 1;
        const EXCHANGE: u64 = 2;
        if flags & !(NOREPLACE | EXCHANGE) != 0 || flags == NOREPLACE | EXCHANGE {
            return Err(EINVAL);
        }
        let (old, new) = two_paths(data)?;
        let a = self.resolve_parent_of(pid, old, from)?;
        let b = self.resolve_parent_of(pid, new, to)?;
        for n in [&a.name, &b.name] {
            if n == b"." || n == b".." {
                return Err(EBUSY);
            }
        }
        if a.dir.mount != b.dir.mount {
            return Err(EXDEV);
        }
        let src = self.resolve(pid, old, from, false)?;
        if self.fs.is_mount_point(src) {
            return Err(EBUSY);
        }
        if let Ok(dst) = self.resolve(pid, new, to, false) {
            if self.fs.is_mount_point(dst) {
                return Err(EBUSY);
            }
        }
        if (a.trailing_slash || b.trailing_slash)
            && self.attr(pid, src)?.ftype != FileType::Directory
        {
            return Err(ENOTDIR);
        }
        let cred = self.procs[&pid].cred.clone();
        let rf = RenameFlags {
            noreplace: flags & NOREPLACE != 0,
            exchange: flags & EXCHANGE != 0,
        };
        self.mem_for(a.dir, EACCES)?.rename(
            &cred,
            a.dir.ino,
            &a.name,
            b.dir.ino,
            &b.name,
            rf,
            now(),
        )?;
        self.entries_moved((a.dir, &a.name), (b.dir, &b.name), rf.exchange);
        Ok(())
    }

    pub(super) fn link(
        &mut self,
        pid: u64,
        data: &[u8],
        from: u64,
        to: u64,
        flags: u64,
    ) -> Result<(), Errno> {
        if flags & !(at::SYMLINK_FOLLOW | at::EMPTY_PATH) != 0 {
            return Err(EINVAL);
        }
        let (old, new) = two_paths(data)?;
        let cred = self.procs[&pid].cred.clone();
        let src = if old.is_empty() && flags & at::EMPTY_PATH != 0 {
            if !cred.has(vfs::cap::DAC_READ_SEARCH) {
                return Err(ENOENT);
            }
            self.target(pid, from, old, at::EMPTY_PATH)?
        } else {
            self.resolve(pid, old, from, flags & at::SYMLINK_FOLLOW != 0)?
        };
        let b = self.new_entry(pid, new, to)?;
        if b.trailing_slash {
            return Err(ENOENT);
        }
        if src.mount != b.dir.mount {
            return Err(EXDEV);
        }
        self.mem_for(b.dir, EACCES)?
            .link(&cred, src.ino, b.dir.ino, &b.name, now())
    }

    pub(super) fn symlink(&mut self, pid: u64, data: &[u8], dir: u64) -> Result<(), Errno> {
        let (target, path) = two_paths(data)?;
        if target.is_empty() {
            return Err(ENOENT);
        }
        let b = self.new_entry(pid, path, dir)?;
        if b.trailing_slash {
            return Err(ENOENT);
        }
        let cred = self.procs[&pid].cred.clone();
        self.mem_for(b.dir, ENOENT)?
            .symlink(&cred, b.dir.ino, &b.name, target, now())
            .map(|_| ())
    }

    /// Applies `change` to the node a path operation names.
    fn set(&mut self, pid: u64, loc: Loc, change: SetAttr) -> Result<(), Errno> {
        let cred = self.procs[&pid].cred.clone();
        self.mem_for(loc, EPERM)?
            .setattr(&cred, loc.ino, change, now())
            .map(|_| ())
    }

    pub(super) fn chmod(
        &mut self,
        pid: u64,
        path: &[u8],
        dir: u64,
        flags: u64,
        mode: u64,
    ) -> Result<(), Errno> {
        let loc = self.target(pid, dir, path, flags)?;
        if flags & at::SYMLINK_NOFOLLOW != 0 && self.attr(pid, loc)?.ftype == FileType::Symlink {
            return Err(EOPNOTSUPP);
        }
        let change = SetAttr {
            perm: Some(mode as u32 & 0o7777),
            ..SetAttr::default()
        };
        self.set(pid, loc, change)
    }

    pub(super) fn chown(
        &mut self,
        pid: u64,
        path: &[u8],
        dir: u64,
        flags: u64,
        uid: u64,
        gid: u64,
    ) -> Result<(), Errno> {
        let loc = self.target(pid, dir, path, flags)?;
        let id = |v: u64| (v as u32 != u32::MAX).then_some(v as u32);
        let change = SetAttr {
            uid: id(uid),
            gid: id(gid),
            chown: true,
            ..SetAttr::default()
        };
        self.set(pid, loc, change)
    }

    pub(super) fn truncate(
        &mut self,
        pid: u64,
        path: &[u8],
        dir: u64,
        flags: u64,
        size: u64,
    ) -> Result<(), Errno> {
        let loc = if path.is_empty() && flags & at::EMPTY_PATH != 0 {
            // `ftruncate`: a regular file open for writing.
            let o = self.obj_of(pid, dir)?;
            let obj = self.objs.get(o).ok_or(EBADF)?;
            match obj.kind {
                Kind::File(l) if obj.access & access::WRITE != 0 => l,
                Kind::File(_) | Kind::Path(_) => return Err(EBADF),
                _ => return Err(EINVAL),
            }
        } else {
            let l = self.resolve(pid, path, dir, true)?;
            let a = self.attr(pid, l)?;
            match a.ftype {
                FileType::Directory => return Err(EISDIR),
                FileType::Regular => {}
                _ => return Err(EINVAL),
            }
            vfs::permission(&a, &self.procs[&pid].cred, MAY_WRITE)?;
            l
        };
        if (size as i64) < 0 {
            return Err(EINVAL);
        }
        if self.fs.fs_of(loc.mount) == Some(PROC_FS) {
            return Err(EACCES);
        }
        let change = SetAttr {
            size: Some(size),
            ..SetAttr::default()
        };
        self.set(pid, loc, change)
    }

    pub(super) fn utimens(
        &mut self,
        pid: u64,
        data: &[u8],
        dir: u64,
        flags: u64,
    ) -> Result<(), Errno> {
        let n = core::mem::size_of::<sysproto::Times>();
        if data.len() < n {
            return Err(EINVAL);
        }
        let t: sysproto::Times = sysproto::wire::read_out(&data[..n]);
        let path = &data[n..];
        let path = &path[..path.iter().position(|b| *b == 0).unwrap_or(path.len())];
        let one = |sec: i64, nsec: i64| -> Result<Option<TimeSet>, Errno> {
            Ok(match nsec {
                UTIME_NOW => Some(TimeSet::Now),
                UTIME_OMIT => None,
                0..=999_999_999 => Some(TimeSet::At(Time {
                    sec,
                    nsec: nsec as u32,
                })),
                _ => return Err(EINVAL),
            })
        };
        let (atime, mtime) = if flags & at::TIMES_NOW != 0 {
            (Some(TimeSet::Now), Some(TimeSet::Now))
        } else {
            (
                one(t.atime_sec, t.atime_nsec)?,
                one(t.mtime_sec, t.mtime_nsec)?,
            )
        };
        let loc = self.target(
            pid,
            dir,
            path,
            flags & (at::SYMLINK_NOFOLLOW | at::EMPTY_PATH),
        )?;
        if atime.is_none() && mtime.is_none() {
            return Ok(());
        }
        let change = SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        };
        self.set(pid, loc, change)
    }

    pub(super) fn statfs(
        &self,
        pid: u64,
        path: &[u8],
        dir: u64,
        flags: u64,
    ) -> Result<sysproto::Statfs, Errno> {
        let loc = self.target(pid, dir, path, flags & at::EMPTY_PATH)?;
        let fsid = self.fs.fs_of(loc.mount).unwrap_or(0) as u64;
        Ok(match self.fs.mem(loc) {
            Some(fs) => {
                let s = fs.statfs();
                sysproto::Statfs {
                    kind: TMPFS_MAGIC,
                    block_size: s.block_size,
                    blocks: s.blocks,
                    blocks_free: s.blocks_free,
                    files: s.files,
                    files_free: s.files_free,
                    name_max: s.name_max,
                    flags: 0x20, // ST_RELATIME
                    fsid,
                }
            }
            None => sysproto::Statfs {
                kind: PROC_SUPER_MAGIC,
                block_size: 4096,
                name_max: 255,
                flags: 0x20 | 0x2 | 0x4 | 0x8, // RELATIME, NOSUID, NODEV, NOEXEC
                fsid,
                ..sysproto::Statfs::default()
            },
        })
    }

    pub(super) fn fallocate(&mut self, pid: u64, r: sys::Fallocate) -> Result<(), Errno> {
        const KEEP_SIZE: u64 = 1;
        let o = self.obj_of(pid, r.handle)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        if obj.access & access::WRITE == 0 {
            return Err(EBADF);
        }
        let loc = match obj.kind {
            Kind::File(l) => l,
            Kind::Dir(_) => return Err(EISDIR),
            Kind::PipeRead(_) | Kind::PipeWrite(_) => return Err(ESPIPE),
            _ => return Err(ENODEV),
        };
        const PUNCH_HOLE: u64 = 2;
        if (r.offset as i64) < 0 || (r.len as i64) <= 0 {
            return Err(EINVAL);
        }
        // tmpfs: plain, KEEP_SIZE, and PUNCH_HOLE with KEEP_SIZE.
        if r.mode & !(KEEP_SIZE | PUNCH_HOLE) != 0 || r.mode == PUNCH_HOLE {
            return Err(EOPNOTSUPP);
        }
        if r.offset
            .checked_add(r.len)
            .is_none_or(|e| e > i64::MAX as u64)
        {
            return Err(EFBIG);
        }
        if r.mode & PUNCH_HOLE != 0 {
            return self
                .mem_for(loc, ENODEV)?
                .punch_hole(loc.ino, r.offset, r.len, now());
        }
        self.mem_for(loc, ENODEV)?.fallocate(
            loc.ino,
            r.mode & KEEP_SIZE != 0,
            r.offset,
            r.len,
            now(),
        )
    }
}

/// A device number as `mknod` passes it (the kernel's `new_decode_dev`
/// of the 32-bit form) in `st_rdev`'s encoding.
fn linux_dev(dev: u64) -> u64 {
    let d = dev as u32 as u64;
    let major = (d & 0xfff00) >> 8;
    let minor = (d & 0xff) | ((d >> 12) & 0xfff00);
    crate::fs::dev::makedev(major, minor)
}
