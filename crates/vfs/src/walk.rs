//! Path resolution over a mount table. A location ([`Loc`]) is a mount
//! and a node of its file system; a walk starts at the process's root
//! (absolute paths) or at a directory (its working directory or a
//! directory descriptor), takes each component in turn, needs search
//! permission on every directory it passes, steps onto the root of a
//! file system mounted on a directory it reaches and off it again for
//! `..`, never climbs above the process's root, and follows symbolic
//! links (relative ones from the link's directory), at most
//! [`crate::MAX_LINKS`] in one resolution (`ELOOP` past that).

use alloc::vec::Vec;

use crate::{Cred, Errno, Fs, Ino};

/// A mount's index in the [`Mounts`] table.
pub type MountId = usize;

/// A node in the namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub mount: MountId,
    pub ino: Ino,
}

/// One mounted file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Which file system (the namespace's number for it: [`Namespace::fs`]).
    pub fs: usize,
    /// The directory it is mounted on (`None`: the root mount).
    pub at: Option<Loc>,
    /// Its root directory.
    pub root: Ino,
}

/// The mount table: mount 0 is the root. A later mount on the same
/// directory hides an earlier one.
#[derive(Clone, Debug, Default)]
pub struct Mounts {
    pub list: Vec<Option<Mount>>,
}

impl Mounts {
    /// A table with `root` as the root mount.
    pub fn new(root: Mount) -> Mounts {
        unimplemented!()
    }
    /// Mounts `m`; its id (`EBUSY` if that file system is mounted there already).
    pub fn mount(&mut self, m: Mount) -> Result<MountId, Errno> {
        unimplemented!()
    }
    /// Removes mount `id` (`EBUSY` if another is mounted inside it, or it is the root).
    pub fn unmount(&mut self, id: MountId) -> Result<Mount, Errno> {
        unimplemented!()
    }
    /// The topmost mount on the directory `at`, if any.
    pub fn mounted_on(&self, at: Loc) -> Option<MountId> {
        unimplemented!()
    }
    /// The root location of mount `id`.
    pub fn root_of(&self, id: MountId) -> Option<Loc> {
        unimplemented!()
    }
}

/// What a walk reads: the mount table and the file system of each mount.
pub trait Namespace {
    fn mounts(&self) -> &Mounts;
    /// The file system numbered `fs` ([`Mount::fs`]).
    fn fs(&self, fs: usize) -> &dyn Fs;
}

/// Where and as whom a walk runs.
#[derive(Clone, Copy, Debug)]
pub struct Start<'a> {
    /// The process's root directory (absolute paths start here; `..` stops here).
    pub root: Loc,
    /// Where relative paths start (the working directory or a directory descriptor's).
    pub dir: Loc,
    pub cred: &'a Cred,
}

/// The result of [`resolve_parent`]: the directory an operation that
/// makes, removes or renames an entry works in, and the entry's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    pub dir: Loc,
    /// The last component (may be `.` or `..`; the caller refuses those as
    /// Linux does: `EEXIST` for mkdir, `EINVAL`/`ENOTEMPTY` for rmdir, ...).
    pub name: Vec<u8>,
    /// The path ended in a slash (only a directory may be named so).
    pub trailing_slash: bool,
}

/// Resolves `path` to the node it names; `follow`: follow a final
/// symbolic link (always followed when the path ends in a slash, and then
/// the node must be a directory: `ENOTDIR`). Errors as Linux's path walk:
/// `ENOENT` (empty path or missing component), `ENOTDIR`, `EACCES`
/// (search refused), `ELOOP`, `ENAMETOOLONG` (path over [`crate::PATH_MAX`]
/// or a component over [`crate::NAME_MAX`]).
pub fn resolve(ns: &dyn Namespace, at: Start<'_>, path: &[u8], follow: bool) -> Result<Loc, Errno> {
    unimplemented!()
}

/// Resolves all of `path` but its last component, which must be in a
/// directory ([`Parent`]). The root (`/`) has no parent: its last
/// component is reported as `.`.
pub fn resolve_parent(ns: &dyn Namespace, at: Start<'_>, path: &[u8]) -> Result<Parent, Errno> {
    unimplemented!()
}

/// The absolute path of directory `dir` as a process with root `root`
/// sees it (`/` for the root; `ENOENT` if `dir` was removed; a directory
/// outside the root is named from the root of the namespace, as Linux's
/// `getcwd` does not, so callers check [`is_under`]).
pub fn dir_path(ns: &dyn Namespace, root: Loc, dir: Loc) -> Result<Vec<u8>, Errno> {
    unimplemented!()
}

/// Whether `loc` is `root` or below it.
pub fn is_under(ns: &dyn Namespace, root: Loc, loc: Loc) -> bool {
    unimplemented!()
}
