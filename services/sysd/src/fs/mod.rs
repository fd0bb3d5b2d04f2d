//! The file service's namespace: the file systems (in-memory ones from
//! `memfs` for `/`, `/dev`, `/tmp` and `/dev/shm`, and `/proc`, which the
//! process table answers), the mount table, and path resolution by
//! `vfs::walk` as a process sees it (its credentials, root and working
//! directory). The root starts as the boot ramdisk's tree ([`boot`]); its
//! files' pages stay the ramdisk's until written.

mod boot;
pub mod dev;
pub mod store;

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use memfs::MemFs;
use sysproto::Errno::{self, *};
use vfs::walk::{self, Loc, Mount, MountId, Mounts, Namespace, Parent, Start};
use vfs::{Attr, Cred, Fs, Ino, Time};

pub use store::{FrameStore, Frames};

/// The number of the `/proc` file system ([`Mount::fs`]): the process
/// table answers for it.
pub const PROC_FS: usize = usize::MAX;

/// `statfs` magic numbers.
pub const TMPFS_MAGIC: u64 = 0x0102_1994;
pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// What `/proc/mounts` says of a mount.
#[derive(Clone, Debug)]
pub struct MountInfo {
    pub source: &'static str,
    pub fstype: &'static str,
    pub options: &'static str,
}

/// Every file system and where it is mounted.
pub struct Files {
    /// The in-memory file systems by number (`None`: gone).
    pub mem: Vec<Option<MemFs<FrameStore>>>,
    pub mounts: Mounts,
    /// Per mount (same index as `mounts.list`).
    pub info: Vec<Option<MountInfo>>,
    pub frames: Rc<RefCell<Frames>>,
    /// FIFOs open somewhere: their pipe.
    pub fifos: alloc::collections::BTreeMap<Loc, usize>,
}

/// The namespace as one process sees it: `/proc` is answered by `proc`.
pub struct View<'a> {
    pub files: &'a Files,
    pub proc: &'a dyn Fs,
}

impl Namespace for View<'_> {
    fn mounts(&self) -> &Mounts {
        &self.files.mounts
    }
    fn fs(&self, fs: usize) -> &dyn Fs {
        match self.files.mem.get(fs).and_then(Option::as_ref) {
            Some(m) => m,
            None => self.proc,
        }
    }
}

/// Who resolves a path, and from where.
#[derive(Clone, Copy)]
pub struct Who<'a> {
    pub cred: &'a Cred,
    pub root: Loc,
    /// Where relative paths start.
    pub dir: Loc,
}

impl<'a> Who<'a> {
    fn start(&self) -> Start<'a> {
        Start {
            root: self.root,
            dir: self.dir,
            cred: self.cred,
        }
    }
}

/// The wall-clock time now.
pub fn now() -> Time {
    let ns = crate::procs::wall_clock_ns();
    Time {
        sec: (ns / 1_000_000_000) as i64,
        nsec: (ns % 1_000_000_000) as u32,
    }
}

impl Files {
    /// The root location.
    pub fn root(&self) -> Loc {
        self.mounts.root_of(0).unwrap_or(Loc { mount: 0, ino: 1 })
    }

    /// The file system number of mount `m`.
    pub fn fs_of(&self, m: MountId) -> Option<usize> {
        self.mounts
            .list
            .get(m)
            .and_then(Option::as_ref)
            .map(|m| m.fs)
    }

    /// The in-memory file system holding `loc` (`None` for `/proc`).
    pub fn mem(&self, loc: Loc) -> Option<&MemFs<FrameStore>> {
        self.mem.get(self.fs_of(loc.mount)?)?.as_ref()
    }

    pub fn mem_mut(&mut self, loc: Loc) -> Option<&mut MemFs<FrameStore>> {
        let fs = self.fs_of(loc.mount)?;
        self.mem.get_mut(fs)?.as_mut()
    }

    /// The attributes of `loc`.
    pub fn attr(&self, proc: &dyn Fs, loc: Loc) -> Result<Attr, Errno> {
        View { files: self, proc }
            .fs(self.fs_of(loc.mount).ok_or(ENOENT)?)
            .getattr(loc.ino)
    }

    /// `path` resolved as `who` does it.
    pub fn resolve(
        &self,
        proc: &dyn Fs,
        who: Who<'_>,
        path: &[u8],
        follow: bool,
    ) -> Result<Loc, Errno> {
        walk::resolve(&View { files: self, proc }, who.start(), path, follow)
    }

    /// As [`Files::resolve`], and the directory and name the node was
    /// found through (`vfs::walk::resolve_entry`).
    pub fn resolve_entry(
        &self,
        proc: &dyn Fs,
        who: Who<'_>,
        path: &[u8],
        follow: bool,
    ) -> Result<(Loc, Option<walk::Entry>), Errno> {
        walk::resolve_entry(&View { files: self, proc }, who.start(), path, follow)
    }

    /// The parent directory and last name of `path`.
    pub fn resolve_parent(
        &self,
        proc: &dyn Fs,
        who: Who<'_>,
        path: &[u8],
    ) -> Result<Parent, Errno> {
        walk::resolve_parent(&View { files: self, proc }, who.start(), path)
    }

    /// The absolute path of the directory `dir` seen from `root`.
    pub fn dir_path(&self, proc: &dyn Fs, root: Loc, dir: Loc) -> Result<Vec<u8>, Errno> {
        walk::dir_path(&View { files: self, proc }, root, dir)
    }

    /// Whether `loc` is where a file system is mounted (or a mount's root).
    pub fn is_mount_point(&self, loc: Loc) -> bool {
        self.mounts.mounted_on(loc).is_some()
            || self.mounts.root_of(loc.mount) == Some(loc) && loc.mount != 0
    }

    /// A new in-memory file system mounted on the directory `at`.
    pub fn mount_tmpfs(
        &mut self,
        at: Loc,
        info: MountInfo,
        limits: memfs::Limits,
        perm: u32,
    ) -> Result<MountId, Errno> {
        let store = FrameStore {
            frames: self.frames.clone(),
            image_at: 0,
        };
        let fs = MemFs::new(store, limits, perm, 0, 0, now());
        let root = vfs::Fs::root(&fs);
        let n = self.mem.len();
        self.mem.push(Some(fs));
        let id = self.mounts.mount(Mount {
            fs: n,
            at: Some(at),
            root,
        })?;
        self.set_info(id, info);
        Ok(id)
    }

    fn set_info(&mut self, id: MountId, info: MountInfo) {
        if self.info.len() <= id {
            self.info.resize(id + 1, None);
        }
        self.info[id] = Some(info);
    }

    /// The mounts in order, with where each is (for `/proc/mounts`).
    pub fn mount_list(&self, proc: &dyn Fs) -> Vec<(Vec<u8>, MountInfo)> {
        let mut out = Vec::new();
        for (id, m) in self.mounts.list.iter().enumerate() {
            let (Some(m), Some(Some(info))) = (m, self.info.get(id)) else {
                continue;
            };
            let path = match m.at {
                None => alloc::vec![b'/'],
                Some(at) => self.dir_path(proc, self.root(), at).unwrap_or_default(),
            };
            out.push((path, info.clone()));
        }
        out
    }

    /// Pages of file contents held by every in-memory file system.
    pub fn pages_used(&self) -> u64 {
        self.frames.borrow().used()
    }
}

/// A `/proc` with nothing in it, for the server's own lookups.
pub struct NoProc;

impl Fs for NoProc {
    fn root(&self) -> Ino {
        1
    }
    fn getattr(&self, _: Ino) -> Result<Attr, Errno> {
        Err(ENOENT)
    }
    fn lookup(&self, _: Ino, _: &[u8]) -> Result<Ino, Errno> {
        Err(ENOENT)
    }
    fn parent(&self, _: Ino) -> Result<Ino, Errno> {
        Err(ENOENT)
    }
    fn readlink(&self, _: Ino) -> Result<Vec<u8>, Errno> {
        Err(EINVAL)
    }
    fn name_of(&self, _: Ino, _: Ino) -> Result<Vec<u8>, Errno> {
        Err(ENOENT)
    }
}

impl Files {
    /// Up to `len` bytes at `off` of the file at `path`, as root sees it
    /// (for the server's own use at boot).
    pub fn read_range(&self, path: &[u8], off: u64, len: u64) -> Result<Vec<u8>, Errno> {
        let root = self.root();
        let cred = Cred::root();
        let who = Who {
            cred: &cred,
            root,
            dir: root,
        };
        let loc = self.resolve(&NoProc, who, path, true)?;
        let fs = self.mem(loc).ok_or(ENOENT)?;
        let size = vfs::Fs::getattr(fs, loc.ino)?.size;
        let mut out = alloc::vec![0u8; size.saturating_sub(off).min(len) as usize];
        let n = fs.read(loc.ino, off, &mut out)?;
        out.truncate(n);
        Ok(out)
    }
}

/// Linux's size of a tmpfs: half the machine's memory (in bytes), and as
/// many nodes as that has pages.
pub fn default_limits(machine_bytes: u64) -> memfs::Limits {
    let bytes = (machine_bytes / 2).min(store::MAX_PAGES * 4096);
    memfs::Limits {
        bytes,
        nodes: (bytes / 4096).max(1024),
    }
}

pub use boot::boot;
