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

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

pub use linux_errno::Errno;
use vfs::{cap, MAY_EXEC, MAY_READ, MAY_WRITE, NAME_MAX};
pub use vfs::{Attr, Cred, FileType, Ino, Time};

mod data;
use data::{Data, Pages, Slot};

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
    /// A `chown` call even with `uid` and `gid` both `None` (Linux's
    /// `chown(-1, -1)` still clears set-id bits and sets ctime).
    pub chown: bool,
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

/// Most links a node may have (`EMLINK` past it; a directory's count is
/// 2 plus its subdirectories).
pub const MAX_LINKS: u32 = 65000;
/// Largest file size (`EFBIG` past it): Linux's `MAX_LFS_FILESIZE`.
pub const MAX_SIZE: u64 = i64::MAX as u64;
/// Longest symbolic link target (`ENAMETOOLONG` from it on).
pub const MAX_TARGET: usize = PAGE - 1;
/// What a directory's size grows by per entry (Linux tmpfs's figure).
pub const DIRENT_SIZE: u64 = 20;

const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_ISVTX: u32 = 0o1000;
const S_IXGRP: u32 = 0o010;

struct DirEnt {
    ino: Ino,
    off: u64,
}

/// A directory: entries by name, and names by offset for `readdir`.
struct Dir {
    parent: Ino,
    entries: BTreeMap<Vec<u8>, DirEnt>,
    by_off: BTreeMap<u64, Vec<u8>>,
    next_off: u64,
}

/// The offset of a directory's first entry: offsets count down from
/// here, so the newest entry comes first, as in Linux's tmpfs. It fits
/// an i386 `long` (`telldir`).
const FIRST_OFF: u64 = i32::MAX as u64;

impl Dir {
    fn new(parent: Ino) -> Dir {
        Dir {
            parent,
            entries: BTreeMap::new(),
            by_off: BTreeMap::new(),
            next_off: FIRST_OFF,
        }
    }

    fn insert(&mut self, name: &[u8], ino: Ino) {
        if self.next_off < 2 {
            self.renumber();
        }
        let off = self.next_off;
        self.next_off -= 1;
        self.entries.insert(name.to_vec(), DirEnt { ino, off });
        self.by_off.insert(off, name.to_vec());
    }

    /// Packs the offsets at the top again, in the same order (once
    /// 2^31 entries were made: readers' positions may move then).
    fn renumber(&mut self) {
        let names: Vec<Vec<u8>> = self.by_off.values().cloned().collect();
        self.by_off.clear();
        let first = FIRST_OFF + 1 - names.len() as u64;
        self.next_off = first - 1;
        for (off, n) in (first..).zip(names) {
            if let Some(e) = self.entries.get_mut(&n) {
                e.off = off;
            }
            self.by_off.insert(off, n);
        }
    }

    fn remove(&mut self, name: &[u8]) -> Option<Ino> {
        let e = self.entries.remove(name)?;
        self.by_off.remove(&e.off);
        Some(e.ino)
    }

    fn get(&self, name: &[u8]) -> Option<Ino> {
        self.entries.get(name).map(|e| e.ino)
    }

    /// Points the existing entry `name` at `ino` (its offset stays).
    fn set(&mut self, name: &[u8], ino: Ino) {
        if let Some(e) = self.entries.get_mut(name) {
            e.ino = ino;
        }
    }
}

enum Kind<P> {
    File(Data<P>),
    Dir(Dir),
    Link(Vec<u8>),
    Other,
}

struct Node<P> {
    ftype: FileType,
    perm: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    rdev: u64,
    atime: Time,
    mtime: Time,
    ctime: Time,
    /// Birth time (`statx`'s `stx_btime`).
    btime: Time,
    /// Open references ([`MemFs::hold`]).
    holds: u32,
    /// May be linked while it has no links ([`MemFs::set_linkable`]).
    linkable: bool,
    kind: Kind<P>,
}

impl<P> Node<P> {
    fn attr(&self, ino: Ino) -> Attr {
        let (size, blocks) = match &self.kind {
            Kind::File(d) => (d.size, d.page_count() * (PAGE as u64 / 512)),
            Kind::Dir(d) => ((d.entries.len() as u64 + 2) * DIRENT_SIZE, 0),
            Kind::Link(t) => (t.len() as u64, 0),
            Kind::Other => (0, 0),
        };
        Attr {
            ino,
            ftype: self.ftype,
            perm: self.perm,
            nlink: self.nlink,
            uid: self.uid,
            gid: self.gid,
            size,
            blocks,
            rdev: self.rdev,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
            btime: Some(self.btime),
        }
    }

    fn dir(&self) -> Option<&Dir> {
        match &self.kind {
            Kind::Dir(d) => Some(d),
            _ => None,
        }
    }

    fn dir_mut(&mut self) -> Option<&mut Dir> {
        match &mut self.kind {
            Kind::Dir(d) => Some(d),
            _ => None,
        }
    }

    fn is_dir(&self) -> bool {
        self.ftype == FileType::Directory
    }

    fn owner_or(&self, who: &Cred) -> bool {
        who.uid == self.uid || who.has(cap::FOWNER)
    }

    /// Set-user-id, and set-group-id with group execute, go (what a write,
    /// truncate or chown does to a regular file).
    fn kill_setid(&mut self) {
        self.perm &= !S_ISUID;
        if self.perm & S_IXGRP != 0 {
            self.perm &= !S_ISGID;
        }
    }
}

/// The file system.
pub struct MemFs<S: Store> {
    pages: Pages<S>,
    nodes: BTreeMap<Ino, Node<S::Page>>,
    next_ino: Ino,
    limits: Limits,
}

const ROOT: Ino = 1;

fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

fn is_dot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

impl<S: Store> MemFs<S> {
    /// An empty file system whose root directory has `perm`, `uid` and `gid`.
    pub fn new(store: S, limits: Limits, perm: u32, uid: u32, gid: u32, now: Time) -> MemFs<S> {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT,
            Node {
                ftype: FileType::Directory,
                perm: perm & 0o7777,
                uid,
                gid,
                nlink: 2,
                rdev: 0,
                atime: now,
                mtime: now,
                ctime: now,
                btime: now,
                holds: 0,
                linkable: false,
                kind: Kind::Dir(Dir::new(ROOT)),
            },
        );
        MemFs {
            pages: Pages {
                store,
                used: 0,
                max: limits.bytes / PAGE as u64,
            },
            nodes,
            next_ino: ROOT + 1,
            limits,
        }
    }
    pub fn store(&self) -> &S {
        &self.pages.store
    }
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.pages.store
    }

    /// The limits this instance was made with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Nodes alive (linked, or unlinked and held), the root included.
    pub fn node_count(&self) -> u64 {
        self.nodes.len() as u64
    }

    /// Store pages the files hold.
    pub fn pages_used(&self) -> u64 {
        self.pages.used
    }

    fn node(&self, ino: Ino) -> Result<&Node<S::Page>, Errno> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, ino: Ino) -> Result<&mut Node<S::Page>, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn dir_of(&self, ino: Ino) -> Result<&Dir, Errno> {
        self.node(ino)?.dir().ok_or(Errno::ENOTDIR)
    }

    fn dir_mut(&mut self, ino: Ino) -> Result<&mut Dir, Errno> {
        self.node_mut(ino)?.dir_mut().ok_or(Errno::ENOTDIR)
    }

    fn perm(&self, ino: Ino, who: &Cred, mask: u32) -> Result<(), Errno> {
        let n = self.node(ino)?;
        vfs::permission(&n.attr(ino), who, mask)
    }

    /// The start of every change naming `name` in `dir`: a directory,
    /// searchable, a name of the right length; the entry there.
    fn enter(&self, who: &Cred, dir: Ino, name: &[u8]) -> Result<Option<Ino>, Errno> {
        let d = self.dir_of(dir)?;
        self.perm(dir, who, MAY_EXEC)?;
        check_name(name)?;
        Ok(d.get(name))
    }

    /// Linux's `may_create`: the directory still linked, write and search.
    fn may_create(&self, who: &Cred, dir: Ino) -> Result<(), Errno> {
        if self.node(dir)?.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        self.perm(dir, who, MAY_WRITE | MAY_EXEC)
    }

    /// Linux's `may_delete` of `victim` from `dir` as a directory
    /// (`isdir`) or not: write and search, the sticky bit, the type.
    fn may_delete(&self, who: &Cred, dir: Ino, victim: Ino, isdir: bool) -> Result<(), Errno> {
        self.perm(dir, who, MAY_WRITE | MAY_EXEC)?;
        let d = self.node(dir)?;
        let v = self.node(victim)?;
        if d.perm & S_ISVTX != 0 && who.uid != v.uid && who.uid != d.uid && !who.has(cap::FOWNER) {
            return Err(Errno::EPERM);
        }
        if isdir {
            if !v.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if victim == ROOT {
                return Err(Errno::EBUSY);
            }
        } else if v.is_dir() {
            return Err(Errno::EISDIR);
        }
        Ok(())
    }

    fn new_ino(&mut self) -> Result<Ino, Errno> {
        if self.nodes.len() as u64 >= self.limits.nodes {
            return Err(Errno::ENOSPC);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        Ok(ino)
    }

    /// The group of a new node in `dir` and whether it inherits set-group-id.
    fn new_group(&self, who: &Cred, dir: Ino) -> (u32, bool) {
        match self.nodes.get(&dir) {
            Some(d) if d.perm & S_ISGID != 0 => (d.gid, true),
            _ => (who.gid, false),
        }
    }

    fn touch_dir(&mut self, dir: Ino, now: Time) {
        if let Some(d) = self.nodes.get_mut(&dir) {
            d.mtime = now;
            d.ctime = now;
        }
    }

    /// Frees `ino` if no name and no hold keeps it.
    fn maybe_free(&mut self, ino: Ino) {
        let gone = matches!(self.nodes.get(&ino), Some(n) if n.nlink == 0 && n.holds == 0);
        if gone {
            if let Some(mut n) = self.nodes.remove(&ino) {
                if let Kind::File(d) = &mut n.kind {
                    d.free_all(&mut self.pages);
                }
            }
        }
    }

    /// Adds a node for `name` in `dir` (checked) and links it.
    fn add(&mut self, dir: Ino, name: &[u8], mut node: Node<S::Page>) -> Result<Ino, Errno> {
        let ino = self.new_ino()?;
        let isdir = node.is_dir();
        if let Kind::Dir(d) = &mut node.kind {
            d.parent = dir;
        }
        self.nodes.insert(ino, node);
        let d = self.node_mut(dir)?;
        if isdir {
            d.nlink += 1;
        }
        if let Some(d) = d.dir_mut() {
            d.insert(name, ino);
        }
        Ok(ino)
    }

    /// Makes `name` in `dir`: a regular file, directory, FIFO, socket or
    /// device node (`rdev`) with `perm` (the umask already applied), owned
    /// by `who` (group: the directory's if it is set-group-id, which a new
    /// directory inherits). Needs write and search on `dir`; `EEXIST`,
    /// `ENOSPC`, `EMLINK`, `ENAMETOOLONG`; `EPERM` for a device node
    /// without `CAP_MKNOD`; `EINVAL` for a symbolic link (see
    /// [`MemFs::symlink`]). A directory's set-user-id and set-group-id
    /// bits of `perm` are ignored (it inherits set-group-id); a file's
    /// set-group-id goes when its group is inherited from a set-group-id
    /// directory the caller is not a member of, without `CAP_FSETID`.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &mut self,
        who: &Cred,
        dir: Ino,
        name: &[u8],
        ftype: FileType,
        perm: u32,
        rdev: u64,
        now: Time,
    ) -> Result<Ino, Errno> {
        if ftype == FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        if is_dot(name) {
            self.dir_of(dir)?;
            return Err(Errno::EEXIST);
        }
        if self.enter(who, dir, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        self.may_create(who, dir)?;
        if matches!(ftype, FileType::CharDevice | FileType::BlockDevice) && !who.has(cap::MKNOD) {
            return Err(Errno::EPERM);
        }
        let isdir = ftype == FileType::Directory;
        if isdir && self.node(dir)?.nlink >= MAX_LINKS {
            return Err(Errno::EMLINK);
        }
        let (gid, inherit) = self.new_group(who, dir);
        let mut perm = perm & 0o7777;
        if isdir {
            perm &= 0o1777;
            if inherit {
                perm |= S_ISGID;
            }
        } else if inherit
            && perm & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP
            && !who.in_group(gid)
            && !who.has(cap::FSETID)
        {
            perm &= !S_ISGID;
        }
        let kind = match ftype {
            FileType::Regular => Kind::File(Data::new()),
            FileType::Directory => Kind::Dir(Dir::new(dir)),
            _ => Kind::Other,
        };
        let ino = self.add(
            dir,
            name,
            Node {
                ftype,
                perm,
                uid: who.uid,
                gid,
                nlink: if isdir { 2 } else { 1 },
                rdev: if matches!(ftype, FileType::CharDevice | FileType::BlockDevice) {
                    rdev
                } else {
                    0
                },
                atime: now,
                mtime: now,
                ctime: now,
                btime: now,
                holds: 0,
                linkable: false,
                kind,
            },
        )?;
        self.touch_dir(dir, now);
        Ok(ino)
    }

    /// Makes the symbolic link `name` in `dir` to `target` (`ENOENT` for
    /// an empty target, `ENAMETOOLONG` past [`MAX_TARGET`]).
    pub fn symlink(
        &mut self,
        who: &Cred,
        dir: Ino,
        name: &[u8],
        target: &[u8],
        now: Time,
    ) -> Result<Ino, Errno> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if is_dot(name) {
            self.dir_of(dir)?;
            return Err(Errno::EEXIST);
        }
        if self.enter(who, dir, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        self.may_create(who, dir)?;
        if target.len() > MAX_TARGET {
            return Err(Errno::ENAMETOOLONG);
        }
        let (gid, _) = self.new_group(who, dir);
        let ino = self.add(
            dir,
            name,
            Node {
                ftype: FileType::Symlink,
                perm: 0o777,
                uid: who.uid,
                gid,
                nlink: 1,
                rdev: 0,
                atime: now,
                mtime: now,
                ctime: now,
                btime: now,
                holds: 0,
                linkable: false,
                kind: Kind::Link(target.to_vec()),
            },
        )?;
        self.touch_dir(dir, now);
        Ok(ino)
    }

    /// A hard link `name` in `dir` to `ino` (`EPERM` for a directory).
    /// Linux's `protected_hardlinks` rule holds: a caller that neither
    /// owns `ino` nor has `CAP_FOWNER` may link only a regular file it
    /// may read and write that is not set-user-id or set-group-id with
    /// group execute (`EPERM`). `ENOENT` for a node with no links left.
    pub fn link(
        &mut self,
        who: &Cred,
        ino: Ino,
        dir: Ino,
        name: &[u8],
        now: Time,
    ) -> Result<(), Errno> {
        let n = self.node(ino)?;
        if is_dot(name) {
            self.dir_of(dir)?;
            return Err(Errno::EEXIST);
        }
        if self.enter(who, dir, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        if !n.owner_or(who) {
            let safe = n.ftype == FileType::Regular
                && n.perm & S_ISUID == 0
                && n.perm & (S_ISGID | S_IXGRP) != S_ISGID | S_IXGRP
                && vfs::permission(&n.attr(ino), who, MAY_READ | MAY_WRITE).is_ok();
            if !safe {
                return Err(Errno::EPERM);
            }
        }
        self.may_create(who, dir)?;
        let n = self.node(ino)?;
        if n.is_dir() {
            return Err(Errno::EPERM);
        }
        if n.nlink == 0 && !n.linkable {
            return Err(Errno::ENOENT);
        }
        if n.nlink >= MAX_LINKS {
            return Err(Errno::EMLINK);
        }
        self.dir_mut(dir)?.insert(name, ino);
        let n = self.node_mut(ino)?;
        n.nlink += 1;
        // Once named, an unnamed file is like any other (Linux's
        // `I_LINKABLE` goes with its first link).
        n.linkable = false;
        n.ctime = now;
        self.touch_dir(dir, now);
        Ok(())
    }

    /// Removes the non-directory `name` from `dir` (`EISDIR` for a
    /// directory; the sticky bit's rule). The node lives on while open
    /// ([`MemFs::hold`]).
    pub fn unlink(&mut self, who: &Cred, dir: Ino, name: &[u8], now: Time) -> Result<Ino, Errno> {
        if is_dot(name) {
            self.dir_of(dir)?;
            return Err(Errno::EISDIR);
        }
        let victim = self.enter(who, dir, name)?.ok_or(Errno::ENOENT)?;
        self.may_delete(who, dir, victim, false)?;
        self.dir_mut(dir)?.remove(name);
        let v = self.node_mut(victim)?;
        v.nlink -= 1;
        v.ctime = now;
        self.touch_dir(dir, now);
        self.maybe_free(victim);
        Ok(victim)
    }

    /// Removes the empty directory `name` from `dir` (`ENOTEMPTY`,
    /// `ENOTDIR`, `EBUSY` for the root; `EINVAL` for `.` and `ENOTEMPTY`
    /// for `..`, as Linux answers those names).
    pub fn rmdir(&mut self, who: &Cred, dir: Ino, name: &[u8], now: Time) -> Result<Ino, Errno> {
        if is_dot(name) {
            self.dir_of(dir)?;
            return Err(if name == b"." {
                Errno::EINVAL
            } else {
                Errno::ENOTEMPTY
            });
        }
        let victim = self.enter(who, dir, name)?.ok_or(Errno::ENOENT)?;
        self.may_delete(who, dir, victim, true)?;
        if !self.dir_of(victim)?.entries.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.dir_mut(dir)?.remove(name);
        self.node_mut(dir)?.nlink -= 1;
        let v = self.node_mut(victim)?;
        v.nlink = 0;
        v.ctime = now;
        self.touch_dir(dir, now);
        self.maybe_free(victim);
        Ok(victim)
    }

    /// Whether `a` is `b` or inside it.
    fn is_under(&self, mut a: Ino, b: Ino) -> bool {
        loop {
            if a == b {
                return true;
            }
            match self.nodes.get(&a).and_then(|n| n.dir()) {
                Some(d) if d.parent != a => a = d.parent,
                _ => return false,
            }
        }
    }

    /// `renameat2` within this file system, with Linux's rules (a
    /// directory never into itself: `EINVAL`; onto a non-empty directory
    /// `ENOTEMPTY`; directory onto file `ENOTDIR`, file onto directory
    /// `EISDIR`; the same node: nothing happens). Moving a directory to
    /// another parent needs write permission on it (for its `..`);
    /// `noreplace` and `exchange` together are `EINVAL`, `exchange` with
    /// either name missing `ENOENT`. `.` or `..` as a name: `EBUSY`.
    #[allow(clippy::too_many_arguments)]
    pub fn rename(
        &mut self,
        who: &Cred,
        from_dir: Ino,
        from: &[u8],
        to_dir: Ino,
        to: &[u8],
        flags: RenameFlags,
        now: Time,
    ) -> Result<(), Errno> {
        if flags.noreplace && flags.exchange {
            return Err(Errno::EINVAL);
        }
        self.dir_of(from_dir)?;
        self.dir_of(to_dir)?;
        // Both parents are searched (walked) before either name is looked up.
        self.perm(from_dir, who, MAY_EXEC)?;
        self.perm(to_dir, who, MAY_EXEC)?;
        if is_dot(from) || is_dot(to) {
            return Err(Errno::EBUSY);
        }
        let src = self.enter(who, from_dir, from)?.ok_or(Errno::ENOENT)?;
        let tgt = self.enter(who, to_dir, to)?;
        if flags.noreplace && tgt.is_some() {
            return Err(Errno::EEXIST);
        }
        if flags.exchange && tgt.is_none() {
            return Err(Errno::ENOENT);
        }
        let src_dir = self.node(src)?.is_dir();
        let tgt_dir = match tgt {
            Some(t) => self.node(t)?.is_dir(),
            None => false,
        };
        if from_dir != to_dir {
            if src_dir && self.is_under(to_dir, src) {
                return Err(Errno::EINVAL);
            }
            if let Some(t) = tgt {
                if tgt_dir && self.is_under(from_dir, t) {
                    return Err(if flags.exchange {
                        Errno::EINVAL
                    } else {
                        Errno::ENOTEMPTY
                    });
                }
            }
        }
        if tgt == Some(src) {
            return Ok(());
        }
        self.may_delete(who, from_dir, src, src_dir)?;
        match tgt {
            None => self.may_create(who, to_dir)?,
            Some(t) => self.may_delete(
                who,
                to_dir,
                t,
                if flags.exchange { tgt_dir } else { src_dir },
            )?,
        }
        if from_dir != to_dir {
            if src_dir {
                self.perm(src, who, MAY_WRITE)?;
            }
            if let (true, true, Some(t)) = (flags.exchange, tgt_dir, tgt) {
                self.perm(t, who, MAY_WRITE)?;
            }
            if src_dir && !tgt_dir && self.node(to_dir)?.nlink >= MAX_LINKS {
                return Err(Errno::EMLINK);
            }
            if flags.exchange && !src_dir && tgt_dir && self.node(from_dir)?.nlink >= MAX_LINKS {
                return Err(Errno::EMLINK);
            }
        }
        if let (false, true, Some(t)) = (flags.exchange, tgt_dir, tgt) {
            if !self.dir_of(t)?.entries.is_empty() {
                return Err(Errno::ENOTEMPTY);
            }
        }
        if flags.exchange {
            let t = tgt.ok_or(Errno::ENOENT)?;
            self.dir_mut(from_dir)?.set(from, t);
            self.dir_mut(to_dir)?.set(to, src);
            if from_dir != to_dir {
                if let Some(d) = self.node_mut(src)?.dir_mut() {
                    d.parent = to_dir;
                }
                if let Some(d) = self.node_mut(t)?.dir_mut() {
                    d.parent = from_dir;
                }
                if src_dir && !tgt_dir {
                    self.node_mut(from_dir)?.nlink -= 1;
                    self.node_mut(to_dir)?.nlink += 1;
                } else if tgt_dir && !src_dir {
                    self.node_mut(to_dir)?.nlink -= 1;
                    self.node_mut(from_dir)?.nlink += 1;
                }
            }
            self.node_mut(t)?.ctime = now;
        } else {
            self.dir_mut(from_dir)?.remove(from);
            match tgt {
                Some(t) => {
                    self.dir_mut(to_dir)?.set(to, src);
                    let tn = self.node_mut(t)?;
                    tn.ctime = now;
                    if tgt_dir {
                        tn.nlink = 0;
                        self.node_mut(to_dir)?.nlink -= 1;
                    } else {
                        tn.nlink -= 1;
                    }
                }
                None => self.dir_mut(to_dir)?.insert(to, src),
            }
            if src_dir && from_dir != to_dir {
                if let Some(d) = self.node_mut(src)?.dir_mut() {
                    d.parent = to_dir;
                }
                self.node_mut(from_dir)?.nlink -= 1;
                self.node_mut(to_dir)?.nlink += 1;
            }
            if let Some(t) = tgt {
                self.maybe_free(t);
            }
        }
        self.node_mut(src)?.ctime = now;
        self.touch_dir(from_dir, now);
        self.touch_dir(to_dir, now);
        Ok(())
    }

    /// `chmod`, `chown`, `truncate` and `utimensat` with their rules (owner
    /// or `CAP_FOWNER` for the mode and explicit times, `CAP_CHOWN` or the
    /// owner giving a group of its own for the owner, set-id bits cleared
    /// as Linux clears them, write permission for `UTIME_NOW`); the new
    /// attributes. ctime is set on every change.
    ///
    /// Nothing changes unless every part is allowed. In detail, as Linux:
    /// * `size`: `EISDIR` for a directory, `EINVAL` for other non-files,
    ///   `EFBIG` past [`MAX_SIZE`]; `ENOSPC` if growing a file whose last
    ///   page is still the image's (partly) needs that page copied. No permission check here: the caller
    ///   checked write permission (open for writing, or `truncate`'s
    ///   check), as Linux's path does. Clears set-user-id (and
    ///   set-group-id with group execute) of a regular file unless `who`
    ///   has `CAP_FSETID`; mtime and ctime change only if the size does.
    /// * `uid`: `CAP_CHOWN`, or the owner "changing" it to itself; `gid`:
    ///   `CAP_CHOWN`, or the owner giving the current group or one of its
    ///   own (`EPERM`). A chown of a non-directory clears set-user-id and
    ///   set-group-id-with-group-execute whoever does it (root included),
    ///   as Linux's `chown` does; a chown with both `None` is no chown
    ///   unless `chown` is set. Where that clearing changes the mode, a
    ///   caller neither owner nor with `CAP_FOWNER` gets `EPERM` (Linux
    ///   turns the clearing into a mode change).
    /// * `perm`: owner or `CAP_FOWNER` (`EPERM`); set-group-id is dropped
    ///   if the caller is not in the (new) group and lacks `CAP_FSETID`.
    /// * times: an explicit time needs owner or `CAP_FOWNER` (`EPERM`);
    ///   `UTIME_NOW` alone needs owner, `CAP_FOWNER` or write permission
    ///   (which `CAP_DAC_OVERRIDE` gives) (`EACCES`).
    pub fn setattr(
        &mut self,
        who: &Cred,
        ino: Ino,
        change: SetAttr,
        now: Time,
    ) -> Result<Attr, Errno> {
        let n = self.node(ino)?;
        if let Some(size) = change.size {
            match n.ftype {
                FileType::Regular => {}
                FileType::Directory => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            if size > MAX_SIZE {
                return Err(Errno::EFBIG);
            }
        }
        let owner = who.uid == n.uid;
        if let Some(uid) = change.uid {
            if !(who.has(cap::CHOWN) || (owner && uid == n.uid)) {
                return Err(Errno::EPERM);
            }
        }
        if let Some(gid) = change.gid {
            if !(who.has(cap::CHOWN) || (owner && (gid == n.gid || who.in_group(gid)))) {
                return Err(Errno::EPERM);
            }
        }
        let chown = change.chown || change.uid.is_some() || change.gid.is_some();
        if chown && !n.is_dir() && !n.owner_or(who) {
            let sgid_goes = n.perm & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP;
            if n.perm & S_ISUID != 0 || sgid_goes {
                return Err(Errno::EPERM);
            }
        }
        if change.perm.is_some() && !n.owner_or(who) {
            return Err(Errno::EPERM);
        }
        let times = [change.atime, change.mtime];
        if times.iter().any(|t| matches!(t, Some(TimeSet::At(_)))) {
            if !n.owner_or(who) {
                return Err(Errno::EPERM);
            }
        } else if times.iter().any(|t| t.is_some()) && !n.owner_or(who) {
            vfs::permission(&n.attr(ino), who, MAY_WRITE)?;
        }
        if let Some(size) = change.size {
            let fsetid = who.has(cap::FSETID);
            let n = self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
            if let Kind::File(d) = &mut n.kind {
                let old = d.size;
                d.truncate(&mut self.pages, size)?;
                if old != size {
                    n.mtime = now;
                    n.ctime = now;
                }
            }
            if !fsetid && n.perm & (S_ISUID | S_ISGID) != 0 {
                n.kill_setid();
                n.ctime = now;
            }
        }
        let n = self.node_mut(ino)?;
        if chown {
            if let Some(uid) = change.uid {
                n.uid = uid;
            }
            if let Some(gid) = change.gid {
                n.gid = gid;
            }
            if !n.is_dir() {
                n.kill_setid();
            }
            n.ctime = now;
        }
        if let Some(perm) = change.perm {
            let mut perm = perm & 0o7777;
            if !who.in_group(n.gid) && !who.has(cap::FSETID) {
                perm &= !S_ISGID;
            }
            n.perm = perm;
            n.ctime = now;
        }
        for (set, slot) in [(change.atime, &mut n.atime), (change.mtime, &mut n.mtime)] {
            match set {
                Some(TimeSet::Now) => *slot = now,
                Some(TimeSet::At(t)) => *slot = t,
                None => {}
            }
        }
        if change.atime.is_some() || change.mtime.is_some() {
            n.ctime = now;
        }
        Ok(n.attr(ino))
    }

    fn file(&self, ino: Ino) -> Result<&Data<S::Page>, Errno> {
        match &self.node(ino)?.kind {
            Kind::File(d) => Ok(d),
            Kind::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The size of file `ino` (`EISDIR` for a directory, `EINVAL` for
    /// other non-files).
    pub fn size(&self, ino: Ino) -> Result<u64, Errno> {
        Ok(self.file(ino)?.size)
    }

    /// Reads at `off` into `out` (clipped at the end); how many bytes
    /// (`EISDIR` for a directory, `EINVAL` for other non-files).
    pub fn read(&self, ino: Ino, off: u64, out: &mut [u8]) -> Result<usize, Errno> {
        Ok(self.file(ino)?.read(&self.pages.store, off, out))
    }

    /// Writes `data` at `off` (growing the file); how many bytes (`ENOSPC`
    /// with nothing written, or a short count). Clears set-user-id (and
    /// set-group-id with group execute) unless `who` has `CAP_FSETID`.
    /// `EFBIG` at or past [`MAX_SIZE`] (a write reaching past it is cut
    /// there); an empty write changes nothing. mtime and ctime are set.
    pub fn write(
        &mut self,
        who: &Cred,
        ino: Ino,
        off: u64,
        data: &[u8],
        now: Time,
    ) -> Result<usize, Errno> {
        self.file(ino)?;
        if data.is_empty() {
            return Ok(0);
        }
        if off >= MAX_SIZE {
            return Err(Errno::EFBIG);
        }
        let data = &data[..data
            .len()
            .min((MAX_SIZE - off).min(usize::MAX as u64) as usize)];
        let n = self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        let Kind::File(d) = &mut n.kind else {
            return Err(Errno::EINVAL);
        };
        let done = d.write(&mut self.pages, off, data)?;
        if !who.has(cap::FSETID) {
            n.kill_setid();
        }
        n.mtime = now;
        n.ctime = now;
        Ok(done)
    }

    /// `fallocate` mode 0 and `FALLOC_FL_KEEP_SIZE` (1): reserves pages
    /// for `[off, off + len)` (`ENOSPC`, with nothing reserved), so that
    /// writes there cannot fail for space. `EINVAL` for an empty range,
    /// `EFBIG` past [`MAX_SIZE`], `EISDIR` for a directory, `ENODEV` for
    /// other non-files. mtime and ctime are set (the caller clears set-id
    /// bits as a write would, knowing who asks).
    pub fn fallocate(
        &mut self,
        ino: Ino,
        keep_size: bool,
        off: u64,
        len: u64,
        now: Time,
    ) -> Result<(), Errno> {
        match self.node(ino)?.ftype {
            FileType::Regular => {}
            FileType::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::ENODEV),
        }
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        let end = off
            .checked_add(len)
            .filter(|e| *e <= MAX_SIZE)
            .ok_or(Errno::EFBIG)?;
        let n = self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        if let Kind::File(d) = &mut n.kind {
            d.allocate(&mut self.pages, off, end, !keep_size)?;
        }
        n.mtime = now;
        n.ctime = now;
        Ok(())
    }

    /// `FALLOC_FL_PUNCH_HOLE` (with `FALLOC_FL_KEEP_SIZE`): `[off, off +
    /// len)` reads as zeros after, its whole pages given back; the size
    /// stays. mtime and ctime are set.
    pub fn punch_hole(&mut self, ino: Ino, off: u64, len: u64, now: Time) -> Result<(), Errno> {
        match self.node(ino)?.ftype {
            FileType::Regular => {}
            FileType::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::ENODEV),
        }
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        let end = off.saturating_add(len);
        let n = self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        if let Kind::File(d) = &mut n.kind {
            d.punch(&mut self.pages, off, end)?;
        }
        n.mtime = now;
        n.ctime = now;
        Ok(())
    }

    /// The entry at offset `pos` of directory `dir` or the first after it
    /// (`.` is at 0, `..` at 1; an entry keeps its offset while others
    /// are added and removed); `None` at the end. A removed directory
    /// (nlink 0, still held) has no entries at all, not even `.` and `..`
    /// (Linux's `getdents` says `ENOENT` there: the caller can tell from
    /// the nlink).
    pub fn readdir(&self, dir: Ino, pos: u64) -> Result<Option<Entry>, Errno> {
        let n = self.node(dir)?;
        let d = n.dir().ok_or(Errno::ENOTDIR)?;
        if n.nlink == 0 {
            return Ok(None);
        }
        if pos <= 1 {
            let (ino, name): (Ino, &[u8]) = if pos == 0 {
                (dir, b".")
            } else {
                (d.parent, b"..")
            };
            return Ok(Some(Entry {
                ino,
                ftype: FileType::Directory,
                name: name.to_vec(),
                next: pos + 1,
            }));
        }
        let Some((off, name)) = d.by_off.range(pos..).next() else {
            return Ok(None);
        };
        let ino = d.get(name).ok_or(Errno::ENOENT)?;
        Ok(Some(Entry {
            ino,
            ftype: self.node(ino)?.ftype,
            name: name.clone(),
            next: off + 1,
        }))
    }

    /// Page `index` of file `ino`. For an image page the bytes past the
    /// file's size (in its last page) are the mapper's to zero.
    pub fn page(&self, ino: Ino, index: u64) -> Result<PageRef<'_, S::Page>, Errno> {
        Ok(match self.file(ino)?.slot(index) {
            None => PageRef::Hole,
            Some(Slot::Image { at, .. }) => PageRef::Image(at),
            Some(Slot::Store(p)) => PageRef::Page(p),
        })
    }

    /// The store pages of file `ino` at page indices in `range`, in order,
    /// as (index, page): pages still the image's and holes are not there.
    pub fn store_pages(
        &self,
        ino: Ino,
        range: core::ops::Range<u64>,
    ) -> Result<impl Iterator<Item = (u64, &S::Page)> + '_, Errno> {
        let d = self.file(ino)?;
        Ok(d.pages.range(range).filter_map(|(i, s)| match s {
            Slot::Store(p) => Some((*i, p)),
            Slot::Image { .. } => None,
        }))
    }

    /// Page `index` of file `ino` as a store page, for mapping it into a
    /// process: an image page is copied and a hole filled with a zeroed
    /// page first. `ENXIO` at or past the end of the file (a mapping
    /// there faults with SIGBUS), `ENOSPC` with no page left.
    pub fn page_for_mapping(&mut self, ino: Ino, index: u64) -> Result<&S::Page, Errno> {
        let n = self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        let Kind::File(d) = &mut n.kind else {
            return Err(Errno::ENODEV);
        };
        if index.saturating_mul(PAGE as u64) >= d.size {
            return Err(Errno::ENXIO);
        }
        d.materialize(&mut self.pages, index)?;
        match d.pages.get(&index) {
            Some(Slot::Store(p)) => Ok(p),
            _ => Err(Errno::ENOMEM),
        }
    }

    /// Records an access (a read, `getdents`, `readlink`, an exec) at
    /// `now` with Linux's `relatime` rule: atime moves only if it is not
    /// after mtime or ctime, or is a day old. Whether it moved.
    pub fn accessed(&mut self, ino: Ino, now: Time) -> bool {
        const DAY: i64 = 24 * 60 * 60;
        let Some(n) = self.nodes.get_mut(&ino) else {
            return false;
        };
        let stale = n.atime <= n.mtime || n.atime <= n.ctime || now.sec - n.atime.sec >= DAY;
        if stale && n.atime != now {
            n.atime = now;
            return true;
        }
        false
    }

    /// An open reference to `ino`: an unlinked node lives while held.
    /// (Nothing for a node that does not exist.)
    pub fn hold(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.holds += 1;
        }
    }
    /// Lets a node with no links be given one by [`MemFs::link`] (an
    /// `O_TMPFILE` file opened without `O_EXCL`), until it has one.
    pub fn set_linkable(&mut self, ino: Ino, on: bool) -> Result<(), Errno> {
        self.node_mut(ino)?.linkable = on;
        Ok(())
    }

    /// Drops a [`MemFs::hold`]; an unlinked node no longer held goes (its pages freed).
    pub fn release(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.holds = n.holds.saturating_sub(1);
        }
        self.maybe_free(ino);
    }

    /// A regular file `name` in `dir` whose `len` bytes are the image's at
    /// `at` until written (for the boot ramdisk's tree; no permission check).
    /// Its pages are not charged to the byte limit until copied.
    #[allow(clippy::too_many_arguments)]
    pub fn add_image_file(
        &mut self,
        dir: Ino,
        name: &[u8],
        perm: u32,
        uid: u32,
        gid: u32,
        mtime: Time,
        at: u64,
        len: u64,
    ) -> Result<Ino, Errno> {
        let d = self.dir_of(dir)?;
        check_name(name)?;
        if is_dot(name) || d.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        if self.node(dir)?.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        if len > MAX_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut data = Data::new();
        data.size = len;
        data.image = (len > 0).then_some(data::Extent { at, len });
        self.add(
            dir,
            name,
            Node {
                ftype: FileType::Regular,
                perm: perm & 0o7777,
                uid,
                gid,
                nlink: 1,
                rdev: 0,
                atime: mtime,
                mtime,
                ctime: mtime,
                btime: mtime,
                holds: 0,
                linkable: false,
                kind: Kind::File(data),
            },
        )
    }

    pub fn statfs(&self) -> StatFs {
        let blocks = self.pages.max;
        StatFs {
            block_size: PAGE as u64,
            blocks,
            blocks_free: blocks.saturating_sub(self.pages.used),
            files: self.limits.nodes,
            files_free: self.limits.nodes.saturating_sub(self.nodes.len() as u64),
            name_max: NAME_MAX as u64,
        }
    }
}

impl<S: Store> vfs::Fs for MemFs<S> {
    fn root(&self) -> Ino {
        ROOT
    }
    fn getattr(&self, ino: Ino) -> Result<Attr, Errno> {
        Ok(self.node(ino)?.attr(ino))
    }
    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let d = self.dir_of(dir)?;
        match name {
            b"." => Ok(dir),
            b".." => Ok(d.parent),
            _ => {
                check_name(name)?;
                d.get(name).ok_or(Errno::ENOENT)
            }
        }
    }
    fn parent(&self, dir: Ino) -> Result<Ino, Errno> {
        Ok(self.dir_of(dir)?.parent)
    }
    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        match &self.node(ino)?.kind {
            Kind::Link(t) => Ok(t.clone()),
            _ => Err(Errno::EINVAL),
        }
    }
    fn name_of(&self, dir: Ino, child: Ino) -> Result<Vec<u8>, Errno> {
        let d = self.dir_of(dir)?;
        d.entries
            .iter()
            .find(|(_, e)| e.ino == child)
            .map(|(n, _)| n.clone())
            .ok_or(Errno::ENOENT)
    }
}

#[cfg(test)]
mod dir_tests {
    use super::*;

    #[test]
    fn renumber_keeps_the_order() {
        let mut d = Dir::new(ROOT);
        d.next_off = 4;
        for n in [&b"a"[..], b"b", b"c", b"d", b"e"] {
            d.insert(n, 10);
        }
        let order: Vec<&[u8]> = d.by_off.values().map(|n| n.as_slice()).collect();
        assert_eq!(order, [&b"e"[..], b"d", b"c", b"b", b"a"]);
        assert!(d.by_off.keys().all(|o| *o >= 2 && *o <= FIRST_OFF));
        for (n, e) in &d.entries {
            assert_eq!(d.by_off.get(&e.off), Some(n));
        }
    }
}
