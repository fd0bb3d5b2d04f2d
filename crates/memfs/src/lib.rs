//! An in-memory file system, one instance per mount (the root, `/tmp`,
//! `/dev/shm`): inodes with Linux's attributes, directories whose entry
//! offsets stay valid while entries come and go, hard and symbolic links,
//! device nodes and FIFOs, and file contents kept as pages of a [`Store`]
//! (frames of the file service; plain memory in host tests). A file may
//! start as bytes of an image (the boot ramdisk): its pages are read from
//! the image until written, and copied into the store then. Every change
//! checks the caller's permission on the directories involved and follows
//! Linux's errno rules; a size limit gives `ENOSPC`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

pub use linux_errno::Errno;
pub use vfs::{Attr, Cred, FileType, Ino, Time};

/// Bytes in a page of file contents.
pub const PAGE: usize = 4096;

/// Where file pages live.
pub trait Store {
    /// A page the store holds for the file system.
    type Page;
    /// A zeroed page (`ENOMEM` if the store has none).
    fn alloc(&mut self) -> Result<Self::Page, Errno>;
    fn free(&mut self, page: Self::Page);
    fn read(&self, page: &Self::Page, off: usize, out: &mut [u8]);
    fn write(&mut self, page: &mut Self::Page, off: usize, data: &[u8]);
    /// Bytes of the image at `at` (see [`MemFs::add_image_file`]).
    fn read_image(&self, at: u64, out: &mut [u8]);
}

/// A page of a file, as [`MemFs::page`] reports it.
pub enum PageRef<'a, P> {
    /// Never written: zeros (a hole, or past the image's bytes).
    Hole,
    /// Still the image's bytes at this offset.
    Image(u64),
    /// A page of the store.
    Page(&'a P),
}

/// Size limits of one instance.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of file pages (`ENOSPC` past it).
    pub bytes: u64,
    /// Nodes (`ENOSPC` past it).
    pub nodes: u64,
}

/// `renameat2` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenameFlags {
    pub noreplace: bool,
    pub exchange: bool,
}

/// What [`MemFs::setattr`] changes (`None`: leave it).
#[derive(Clone, Copy, Debug, Default)]
pub struct SetAttr {
    /// New permission bits (`chmod`).
    pub perm: Option<u32>,
    /// New owner and group (`chown`; `None` in either: leave it).
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// New size (`truncate`).
    pub size: Option<u64>,
    pub atime: Option<TimeSet>,
    pub mtime: Option<TimeSet>,
}

/// One time of `utimensat`.
#[derive(Clone, Copy, Debug)]
pub enum TimeSet {
    /// `UTIME_NOW`: the `now` the call passes.
    Now,
    At(Time),
}

/// `statfs` figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u64,
}

/// One directory entry (see [`MemFs::readdir`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub ino: Ino,
    pub ftype: FileType,
    pub name: Vec<u8>,
    /// The offset of the entry after it (`d_off`).
    pub next: u64,
}

/// The file system.
pub struct MemFs<S: Store> {
    store: S,
}

impl<S: Store> MemFs<S> {
    /// An empty file system whose root directory has `perm`, `uid` and `gid`.
    pub fn new(store: S, limits: Limits, perm: u32, uid: u32, gid: u32, now: Time) -> MemFs<S> {
        unimplemented!()
    }
    pub fn store(&self) -> &S {
        &self.store
    }
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Makes `name` in `dir`: a regular file, directory, FIFO, socket or
    /// device node (`rdev`) with `perm` (the umask already applied), owned
    /// by `who` (group: the directory's if it is set-group-id, which a new
    /// directory inherits). Needs write and search on `dir`; `EEXIST`,
    /// `ENOSPC`, `EMLINK`, `ENAMETOOLONG`.
    pub fn create(&mut self, who: &Cred, dir: Ino, name: &[u8], ftype: FileType, perm: u32, rdev: u64, now: Time) -> Result<Ino, Errno> {
        unimplemented!()
    }
    /// Makes the symbolic link `name` in `dir` to `target`.
    pub fn symlink(&mut self, who: &Cred, dir: Ino, name: &[u8], target: &[u8], now: Time) -> Result<Ino, Errno> {
        unimplemented!()
    }
    /// A hard link `name` in `dir` to `ino` (`EPERM` for a directory).
    pub fn link(&mut self, who: &Cred, ino: Ino, dir: Ino, name: &[u8], now: Time) -> Result<(), Errno> {
        unimplemented!()
    }
    /// Removes the non-directory `name` from `dir` (`EISDIR` for a
    /// directory; the sticky bit's rule). The node lives on while open
    /// ([`MemFs::hold`]).
    pub fn unlink(&mut self, who: &Cred, dir: Ino, name: &[u8], now: Time) -> Result<Ino, Errno> {
        unimplemented!()
    }
    /// Removes the empty directory `name` from `dir` (`ENOTEMPTY`, `ENOTDIR`, `EBUSY` for the root).
    pub fn rmdir(&mut self, who: &Cred, dir: Ino, name: &[u8], now: Time) -> Result<Ino, Errno> {
        unimplemented!()
    }
    /// `renameat2` within this file system, with Linux's rules (a
    /// directory never into itself: `EINVAL`; onto a non-empty directory
    /// `ENOTEMPTY`; directory onto file `ENOTDIR`, file onto directory
    /// `EISDIR`; the same node: nothing happens).
    pub fn rename(&mut self, who: &Cred, from_dir: Ino, from: &[u8], to_dir: Ino, to: &[u8], flags: RenameFlags, now: Time) -> Result<(), Errno> {
        unimplemented!()
    }
    /// `chmod`, `chown`, `truncate` and `utimensat` with their rules (owner
    /// or `CAP_FOWNER` for the mode and explicit times, `CAP_CHOWN` or the
    /// owner giving a group of its own for the owner, set-id bits cleared
    /// as Linux clears them, write permission for `UTIME_NOW`); the new
    /// attributes. ctime is set on every change.
    pub fn setattr(&mut self, who: &Cred, ino: Ino, change: SetAttr, now: Time) -> Result<Attr, Errno> {
        unimplemented!()
    }
    /// Reads at `off` into `out` (clipped at the end); how many bytes.
    pub fn read(&self, ino: Ino, off: u64, out: &mut [u8]) -> Result<usize, Errno> {
        unimplemented!()
    }
    /// Writes `data` at `off` (growing the file); how many bytes (`ENOSPC`
    /// with nothing written, or a short count). Clears set-user-id (and
    /// set-group-id with group execute) unless `who` has `CAP_FSETID`.
    pub fn write(&mut self, who: &Cred, ino: Ino, off: u64, data: &[u8], now: Time) -> Result<usize, Errno> {
        unimplemented!()
    }
    /// `fallocate` mode 0 and `FALLOC_FL_KEEP_SIZE` (1): reserves pages
    /// for `[off, off + len)` (`ENOSPC`).
    pub fn fallocate(&mut self, ino: Ino, keep_size: bool, off: u64, len: u64, now: Time) -> Result<(), Errno> {
        unimplemented!()
    }
    /// The entry at offset `pos` of directory `dir` or the first after it
    /// (`.` is at 0, `..` at 1; an entry keeps its offset while others
    /// are added and removed); `None` at the end.
    pub fn readdir(&self, dir: Ino, pos: u64) -> Result<Option<Entry>, Errno> {
        unimplemented!()
    }
    /// Page `index` of file `ino`.
    pub fn page(&self, ino: Ino, index: u64) -> Result<PageRef<'_, S::Page>, Errno> {
        unimplemented!()
    }
    /// An open reference to `ino`: an unlinked node lives while held.
    pub fn hold(&mut self, ino: Ino) {
        unimplemented!()
    }
    /// Drops a [`MemFs::hold`]; an unlinked node no longer held goes (its pages freed).
    pub fn release(&mut self, ino: Ino) {
        unimplemented!()
    }
    /// A regular file `name` in `dir` whose `len` bytes are the image's at
    /// `at` until written (for the boot ramdisk's tree; no permission check).
    pub fn add_image_file(&mut self, dir: Ino, name: &[u8], perm: u32, uid: u32, gid: u32, mtime: Time, at: u64, len: u64) -> Result<Ino, Errno> {
        unimplemented!()
    }
    pub fn statfs(&self) -> StatFs {
        unimplemented!()
    }
}

impl<S: Store> vfs::Fs for MemFs<S> {
    fn root(&self) -> Ino {
        unimplemented!()
    }
    fn getattr(&self, ino: Ino) -> Result<Attr, Errno> {
        unimplemented!()
    }
    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        unimplemented!()
    }
    fn parent(&self, dir: Ino) -> Result<Ino, Errno> {
        unimplemented!()
    }
    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        unimplemented!()
    }
    fn name_of(&self, dir: Ino, child: Ino) -> Result<Vec<u8>, Errno> {
        unimplemented!()
    }
}
