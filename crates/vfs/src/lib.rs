//! The file namespace as the file service sees it, independent of what
//! stores the files: node attributes ([`Attr`]), who is asking ([`Cred`])
//! and Linux's permission rules ([`permission`]), the [`Fs`] interface a
//! file system offers for lookups, and (in [`walk`]) path resolution over
//! a mount table: `.`, `..` (also across mount points), repeated
//! slashes, symbolic links (at most [`MAX_LINKS`] per resolution), search
//! permission on every directory passed, and trailing slashes.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

pub use linux_errno::Errno;

pub mod walk;

/// Longest path a process may pass (`PATH_MAX`, with its NUL).
pub const PATH_MAX: usize = 4096;
/// Longest name of one directory entry (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Symbolic links one resolution may follow (Linux's `MAXSYMLINKS`).
pub const MAX_LINKS: u32 = 40;

/// A node's number within its file system.
pub type Ino = u64;

/// A time stamp (`struct timespec`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time {
    pub sec: i64,
    pub nsec: u32,
}

/// What a node is (the `S_IFMT` part of a mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
}

impl FileType {
    /// The `S_IFMT` bits.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Fifo => 0o010000,
            FileType::CharDevice => 0o020000,
            FileType::Directory => 0o040000,
            FileType::BlockDevice => 0o060000,
            FileType::Regular => 0o100000,
            FileType::Symlink => 0o120000,
            FileType::Socket => 0o140000,
        }
    }

    /// The type of the `S_IFMT` bits of `mode` (`None`: not a type).
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & 0o170000 {
            0o010000 => FileType::Fifo,
            0o020000 => FileType::CharDevice,
            0o040000 => FileType::Directory,
            0o060000 => FileType::BlockDevice,
            0o100000 => FileType::Regular,
            0o120000 => FileType::Symlink,
            0o140000 => FileType::Socket,
            _ => return None,
        })
    }

    /// The `d_type` of a directory entry of this type.
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::BlockDevice => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// A node's attributes, as `stat` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    pub ino: Ino,
    pub ftype: FileType,
    /// Permission bits with set-user-id, set-group-id and sticky (`0o7777`).
    pub perm: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    /// Device number of a device node (Linux `makedev` encoding).
    pub rdev: u64,
    pub atime: Time,
    pub mtime: Time,
    pub ctime: Time,
    /// Birth time, where the file system keeps one (`statx`).
    pub btime: Option<Time>,
}

impl Attr {
    /// The full `st_mode`.
    pub fn mode(&self) -> u32 {
        self.ftype.mode_bits() | self.perm
    }
}

/// Capabilities the file rules consult (bits of [`Cred::caps`], Linux's
/// numbering).
pub mod cap {
    pub const CHOWN: u64 = 1 << 0;
    pub const DAC_OVERRIDE: u64 = 1 << 1;
    pub const DAC_READ_SEARCH: u64 = 1 << 2;
    pub const FOWNER: u64 = 1 << 3;
    pub const FSETID: u64 = 1 << 4;
    pub const MKNOD: u64 = 1 << 27;
    pub const SYS_ADMIN: u64 = 1 << 21;
    /// What a process with file-system uid 0 holds.
    pub const ROOT: u64 =
        CHOWN | DAC_OVERRIDE | DAC_READ_SEARCH | FOWNER | FSETID | MKNOD | SYS_ADMIN;
}

/// Who asks: the file-system ids and groups of a process, and the
/// capabilities it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    pub caps: u64,
}

impl Cred {
    /// Root: uid and gid 0 with every capability.
    pub fn root() -> Cred {
        Cred {
            uid: 0,
            gid: 0,
            groups: Vec::new(),
            caps: cap::ROOT,
        }
    }

    /// Whether `gid` is the caller's group or one of its supplementary groups.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }

    pub fn has(&self, cap: u64) -> bool {
        self.caps & cap == cap
    }
}

/// Access bits as `access(2)` and [`permission`] take them.
pub const MAY_EXEC: u32 = 1;
pub const MAY_WRITE: u32 = 2;
pub const MAY_READ: u32 = 4;

/// Linux's permission check of `mask` (`MAY_*` bits) on a node with
/// attributes `a` by `who`: the owner, group or other class of the mode,
/// then `CAP_DAC_OVERRIDE` (read and write always; execute only if some
/// execute bit is set or the node is a directory) and
/// `CAP_DAC_READ_SEARCH` (read, and search of directories). `EACCES` if
/// refused.
///
/// This is Linux's `generic_permission` without ACLs, with one user
/// namespace (so `capable_wrt_inode_uidgid` is the capability itself).
/// Bits of `mask` other than `MAY_*` are ignored; an empty mask is allowed.
pub fn permission(a: &Attr, who: &Cred, mask: u32) -> Result<(), Errno> {
    let mask = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
    let mode = a.perm;
    let class = if who.uid == a.uid {
        mode >> 6
    } else if who.in_group(a.gid) {
        mode >> 3
    } else {
        mode
    } & 7;
    if mask & !class == 0 {
        return Ok(());
    }
    let dir = a.ftype == FileType::Directory;
    if who.has(cap::DAC_OVERRIDE) && (mask & MAY_EXEC == 0 || dir || mode & 0o111 != 0) {
        return Ok(());
    }
    if who.has(cap::DAC_READ_SEARCH) && (mask == MAY_READ || (dir && mask & MAY_WRITE == 0)) {
        return Ok(());
    }
    Err(Errno::EACCES)
}

/// What a file system offers for path walks. Every method names nodes of
/// this file system only; a walk crosses into another through the mount
/// table.
pub trait Fs {
    /// The root directory.
    fn root(&self) -> Ino;
    /// The attributes of `ino` (`ENOENT`: no such node, e.g. removed).
    fn getattr(&self, ino: Ino) -> Result<Attr, Errno>;
    /// The node named `name` in the directory `dir` (`name` is never
    /// empty, `.` or `..`: the walk takes those). `ENOTDIR` if `dir` is
    /// not a directory, `ENOENT` if there is no such entry.
    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno>;
    /// The parent of the directory `dir` (the root's is itself).
    fn parent(&self, dir: Ino) -> Result<Ino, Errno>;
    /// The target of the symbolic link `ino` (`EINVAL` if not a link).
    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno>;
    /// The name under which the directory `dir` holds `child` (for the
    /// path of a directory; `ENOENT` if none).
    fn name_of(&self, dir: Ino, child: Ino) -> Result<Vec<u8>, Errno>;
}
