//! Path resolution over a mount table. A location ([`Loc`]) is a mount
//! and a node of its file system; a walk starts at the process's root
//! (absolute paths) or at a directory (its working directory or a
//! directory descriptor), takes each component in turn, needs search
//! permission on every directory it passes, steps onto the root of a
//! file system mounted on a directory it reaches and off it again for
//! `..`, never climbs above the process's root, and follows symbolic
//! links (relative ones from the link's directory), at most
//! [`crate::MAX_LINKS`] in one resolution (`ELOOP` past that).
//!
//! [`resolve`] finds a node, [`resolve_parent`] the directory and name an
//! entry is made or removed by, [`resolve_create`] what `open(O_CREAT)`
//! opens or creates; [`dir_path`] names a directory (`getcwd`) and
//! [`is_under`] tells whether a node is below a root.

use alloc::vec::Vec;
use core::cell::Cell;

use crate::{
    permission, Attr, Cred, Errno, FileType, Fs, Ino, MAX_LINKS, MAY_EXEC, NAME_MAX, PATH_MAX,
};

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
    /// A table with `root` as the root mount (id 0; its `at` is taken as
    /// `None` whatever it says).
    pub fn new(root: Mount) -> Mounts {
        Mounts {
            list: alloc::vec![Some(Mount { at: None, ..root })],
        }
    }

    /// Mounts `m`; its id (`EBUSY` if that file system is mounted there already).
    ///
    /// `m.at` must be a directory of a live mount (`EINVAL` otherwise; the
    /// caller checks that it is a directory). As Linux stacks mounts, a
    /// mount on a directory that already has one goes on the root of the
    /// topmost one there: the stored `at` is that root, so each location
    /// carries at most one mount directly and `..` from the new root
    /// passes through the hidden ones. `EBUSY` if the place it lands on is
    /// the root of a mount of the same file system. The id is the first
    /// free slot of [`Mounts::list`].
    pub fn mount(&mut self, m: Mount) -> Result<MountId, Errno> {
        let at = m.at.ok_or(Errno::EINVAL)?;
        self.root_of(at.mount).ok_or(Errno::EINVAL)?;
        let top = self.covering(at);
        let lands = &self.list[top.mount];
        if let Some(lands) = lands {
            if lands.root == top.ino && lands.fs == m.fs {
                return Err(Errno::EBUSY);
            }
        }
        let m = Mount { at: Some(top), ..m };
        match self.list.iter().position(Option::is_none) {
            Some(id) => {
                self.list[id] = Some(m);
                Ok(id)
            }
            None => {
                self.list.push(Some(m));
                Ok(self.list.len() - 1)
            }
        }
    }

    /// Removes mount `id` (`EBUSY` if another is mounted inside it, or it is the root).
    /// `EINVAL` if there is no mount `id`. Whether a process still uses
    /// it (a working directory, an open file) is the caller's to check.
    pub fn unmount(&mut self, id: MountId) -> Result<Mount, Errno> {
        let m = self
            .list
            .get(id)
            .and_then(Option::as_ref)
            .ok_or(Errno::EINVAL)?;
        if m.at.is_none()
            || self
                .live()
                .any(|(_, o)| o.at.is_some_and(|a| a.mount == id))
        {
            return Err(Errno::EBUSY);
        }
        Ok(self.list[id].take().expect("checked above"))
    }

    /// The topmost mount on the directory `at`, if any (following mounts
    /// stacked on mount roots).
    pub fn mounted_on(&self, at: Loc) -> Option<MountId> {
        let mut top = self.directly_on(at)?;
        // A mount per step, so the chain is at most the table long (a
        // table edited by hand into a cycle stops there).
        for _ in 0..self.list.len() {
            let root = self.root_of(top)?;
            match self.directly_on(root) {
                Some(next) => top = next,
                None => break,
            }
        }
        Some(top)
    }

    /// The root location of mount `id`.
    pub fn root_of(&self, id: MountId) -> Option<Loc> {
        let m = self.list.get(id)?.as_ref()?;
        Some(Loc {
            mount: id,
            ino: m.root,
        })
    }

    /// What a walk reaching `at` stands on: the root of the topmost mount
    /// on it, or `at` itself.
    pub fn covering(&self, at: Loc) -> Loc {
        self.mounted_on(at)
            .and_then(|id| self.root_of(id))
            .unwrap_or(at)
    }

    /// Whether `loc` is the root of its mount.
    pub fn is_root(&self, loc: Loc) -> bool {
        self.root_of(loc.mount) == Some(loc)
    }

    fn live(&self) -> impl Iterator<Item = (MountId, &Mount)> {
        self.list
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.as_ref().map(|m| (i, m)))
    }

    /// The mount whose `at` is `at` (the latest slot if a hand-edited
    /// table has several).
    fn directly_on(&self, at: Loc) -> Option<MountId> {
        self.live()
            .filter(|(_, m)| m.at == Some(at))
            .map(|(i, _)| i)
            .last()
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
/// The entry may be a mount point ([`Mounts::mounted_on`] of what the
/// name looks up): Linux refuses to remove or rename one (`EBUSY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    pub dir: Loc,
    /// The last component (may be `.` or `..`; the caller refuses those as
    /// Linux does: `EEXIST` for mkdir, `EINVAL`/`ENOTEMPTY` for rmdir, ...).
    pub name: Vec<u8>,
    /// The path ended in a slash (only a directory may be named so).
    pub trailing_slash: bool,
}

/// The result of [`resolve_create`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// The path names this node (a directory for `.`, `..` and `/`; the
    /// caller of `open(O_CREAT)` refuses directories with `EISDIR`; a
    /// symbolic link only when not following).
    Exists(Loc),
    /// Nothing has the name `name` in the directory `dir` (searchable by
    /// the caller; it checks write permission and creates). When the path
    /// ended in a symbolic link to a missing name, this is the link's
    /// target.
    Absent { dir: Loc, name: Vec<u8> },
}

/// Resolves `path` to the node it names; `follow`: follow a final
/// symbolic link (always followed when the path ends in a slash, and then
/// the node must be a directory: `ENOTDIR`). Errors as Linux's path walk:
/// `ENOENT` (empty path or missing component), `ENOTDIR`, `EACCES`
/// (search refused), `ELOOP`, `ENAMETOOLONG` (path over [`crate::PATH_MAX`]
/// or a component over [`crate::NAME_MAX`]).
///
/// A relative path with `at.dir` not a directory is `ENOTDIR` (as
/// `openat` with a descriptor of a file). The start locations are taken as
/// they are: a mount on `at.dir` made after the process went there does
/// not cover it (`.` is the hidden directory, as in Linux). A symbolic
/// link with an empty target is `ENOENT`. A mount id that is no longer in
/// the table is `ENOENT`.
pub fn resolve(ns: &dyn Namespace, at: Start<'_>, path: &[u8], follow: bool) -> Result<Loc, Errno> {
    resolve_entry(ns, at, path, follow).map(|(loc, _)| loc)
}

/// A directory entry: the directory and the name in it.
pub type Entry = (Loc, Vec<u8>);

/// As [`resolve`], and the entry the node was found through: the
/// directory and name of the last component walked (after the links
/// followed), `None` when the path ends in `/`, `.` or `..`.
pub fn resolve_entry(
    ns: &dyn Namespace,
    at: Start<'_>,
    path: &[u8],
    follow: bool,
) -> Result<(Loc, Option<Entry>), Errno> {
    let mut w = Walk::new(ns, at);
    let mut cur = w.begin(path)?;
    let mut last = w.walk(&mut cur, path)?;
    let mut follow = follow;
    let mut want_dir = false;
    loop {
        match last.kind {
            Kind::Root | Kind::Dot => return Ok((cur, None)),
            Kind::DotDot => return w.dotdot(cur).map(|l| (l, None)),
            Kind::Name => {}
        }
        // A trailing slash follows the final link and wants a directory,
        // for this component and for the final ones of the links it leads to.
        follow |= last.trailing;
        want_dir |= last.trailing;
        let (next, attr) = w.step(cur, &last.name)?;
        if attr.ftype == FileType::Symlink && follow {
            let body = w.link_body(next)?;
            last = w.walk(&mut cur, &body)?;
            continue;
        }
        if want_dir && attr.ftype != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        return Ok((next, Some((cur, last.name))));
    }
}

/// Resolves all of `path` but its last component, which must be in a
/// directory ([`Parent`]). The root (`/`) has no parent: its last
/// component is reported as `.`.
///
/// Symbolic links before the last component are followed; a final one is
/// not (the caller looks the name up; see [`resolve_create`] for
/// `open(O_CREAT)`). The directory is searchable by the caller (checked
/// here, as Linux checks it before looking the last name up); write
/// permission is the caller's to check. Trailing slashes are not part of
/// `name`; a path of slashes only (see [`is_root_path`]) gives `.` with
/// `trailing_slash` set. A last name over [`crate::NAME_MAX`] is
/// `ENAMETOOLONG` (Linux's lookup of it refuses it before any create or
/// remove). Other errors as [`resolve`].
pub fn resolve_parent(ns: &dyn Namespace, at: Start<'_>, path: &[u8]) -> Result<Parent, Errno> {
    let mut w = Walk::new(ns, at);
    let mut cur = w.begin(path)?;
    let last = w.walk(&mut cur, path)?;
    let name = match last.kind {
        Kind::Root | Kind::Dot => b".".to_vec(),
        Kind::DotDot => b"..".to_vec(),
        Kind::Name => {
            if last.name.len() > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            last.name
        }
    };
    Ok(Parent {
        dir: cur,
        name,
        trailing_slash: last.trailing,
    })
}

/// Resolves `path` for `open(O_CREAT)` as Linux does: the last component
/// is looked up in its directory; if it is missing the result is where to
/// create it ([`Created::Absent`]); if it is a symbolic link and `follow`
/// (no `O_NOFOLLOW`, no `O_EXCL`) the link is followed with the same rule
/// for the last component of its target, so a link to a missing name in
/// an existing directory creates at the target. `EISDIR` if a name to
/// look up ends in a slash (the path's, or a followed link target's),
/// whether or not it exists. `.`, `..` and `/` give
/// [`Created::Exists`] of that directory. Other errors as [`resolve`].
pub fn resolve_create(
    ns: &dyn Namespace,
    at: Start<'_>,
    path: &[u8],
    follow: bool,
) -> Result<Created, Errno> {
    let mut w = Walk::new(ns, at);
    let mut cur = w.begin(path)?;
    let mut last = w.walk(&mut cur, path)?;
    loop {
        match last.kind {
            Kind::Root | Kind::Dot => return Ok(Created::Exists(cur)),
            Kind::DotDot => return w.dotdot(cur).map(Created::Exists),
            Kind::Name => {}
        }
        if last.trailing {
            return Err(Errno::EISDIR);
        }
        let (next, attr) = match w.step(cur, &last.name) {
            Ok(found) => found,
            Err(Errno::ENOENT) => {
                return Ok(Created::Absent {
                    dir: cur,
                    name: last.name,
                })
            }
            Err(e) => return Err(e),
        };
        if attr.ftype == FileType::Symlink && follow {
            let body = w.link_body(next)?;
            last = w.walk(&mut cur, &body)?;
            continue;
        }
        return Ok(Created::Exists(next));
    }
}

/// Whether `path` consists of slashes only (it names the root; Linux
/// treats such a last component apart: `rmdir("/")` is `EBUSY` where
/// `rmdir(".")` is `EINVAL`).
pub fn is_root_path(path: &[u8]) -> bool {
    !path.is_empty() && path.iter().all(|&b| b == b'/')
}

/// The absolute path of directory `dir` as a process with root `root`
/// sees it (`/` for the root; `ENOENT` if `dir` was removed; a directory
/// outside the root is named from the root of the namespace, as Linux's
/// `getcwd` does not, so callers check [`is_under`]).
///
/// Removed means `Fs::getattr` of `dir` fails (its error is returned) or
/// reports no links (`ENOENT`), as Linux's `getcwd` refuses an unlinked
/// working directory. Names come from `Fs::parent` and `Fs::name_of`
/// (their errors are returned); a mount's root is named by the directory
/// it is mounted on.
pub fn dir_path(ns: &dyn Namespace, root: Loc, dir: Loc) -> Result<Vec<u8>, Errno> {
    let attr = fs_of(ns, dir.mount)?.getattr(dir.ino)?;
    if attr.nlink == 0 {
        return Err(Errno::ENOENT);
    }
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut cur = dir;
    while cur != root {
        let crossing = ns.mounts().is_root(cur);
        let Some(next) = up(ns, cur)? else { break };
        if !crossing {
            names.push(fs_of(ns, cur.mount)?.name_of(next.ino, cur.ino)?);
        }
        cur = next;
    }
    let mut out = Vec::new();
    for name in names.iter().rev() {
        out.push(b'/');
        out.extend_from_slice(name);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    Ok(out)
}

/// Whether `loc` is `root` or below it.
///
/// Climbs from `loc` by `Fs::parent` and through mount points; an error
/// on the way counts as not below.
pub fn is_under(ns: &dyn Namespace, root: Loc, loc: Loc) -> bool {
    let mut cur = loc;
    loop {
        if cur == root {
            return true;
        }
        match up(ns, cur) {
            Ok(Some(next)) => cur = next,
            _ => return false,
        }
    }
}

/// One step towards the namespace's root: from a mount's root to the
/// directory it is mounted on, else to the parent directory. `None` at the
/// namespace's root (or at a file system root that is not its mount's).
fn up(ns: &dyn Namespace, cur: Loc) -> Result<Option<Loc>, Errno> {
    let m = mount_of(ns, cur.mount)?;
    if m.root == cur.ino {
        return Ok(m.at);
    }
    let parent = fs_of(ns, cur.mount)?.parent(cur.ino)?;
    if parent == cur.ino {
        return Ok(None);
    }
    Ok(Some(Loc {
        mount: cur.mount,
        ino: parent,
    }))
}

fn mount_of(ns: &dyn Namespace, id: MountId) -> Result<&Mount, Errno> {
    ns.mounts()
        .list
        .get(id)
        .and_then(Option::as_ref)
        .ok_or(Errno::ENOENT)
}

fn fs_of(ns: &dyn Namespace, id: MountId) -> Result<&dyn Fs, Errno> {
    Ok(ns.fs(mount_of(ns, id)?.fs))
}

/// What the last component of a walked path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The path was slashes only (a link target too): nothing to look up.
    Root,
    Dot,
    DotDot,
    Name,
}

/// The last component a walk left for its caller.
struct Last {
    kind: Kind,
    /// The name (for [`Kind::Name`]), without slashes.
    name: Vec<u8>,
    /// Slashes followed it.
    trailing: bool,
}

/// One resolution: where it started and the links it followed so far.
struct Walk<'n, 'a> {
    ns: &'n dyn Namespace,
    at: Start<'a>,
    links: u32,
    /// The attributes last read (a step reads them, then the search and
    /// directory checks of the same node use them).
    seen: Cell<Option<(Loc, Attr)>>,
}

impl<'n, 'a> Walk<'n, 'a> {
    fn new(ns: &'n dyn Namespace, at: Start<'a>) -> Self {
        Walk {
            ns,
            at,
            links: 0,
            seen: Cell::new(None),
        }
    }

    /// The checks on the whole path and where it starts.
    fn begin(&self, path: &[u8]) -> Result<Loc, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if path[0] == b'/' {
            return Ok(self.at.root);
        }
        if self.attr(self.at.dir)?.ftype != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok(self.at.dir)
    }

    fn attr(&self, loc: Loc) -> Result<Attr, Errno> {
        if let Some((seen, attr)) = self.seen.get() {
            if seen == loc {
                return Ok(attr);
            }
        }
        let attr = fs_of(self.ns, loc.mount)?.getattr(loc.ino)?;
        self.seen.set(Some((loc, attr)));
        Ok(attr)
    }

    /// Search permission on the directory `dir`.
    fn may_search(&self, dir: Loc) -> Result<(), Errno> {
        permission(&self.attr(dir)?, self.at.cred, MAY_EXEC)
    }

    /// Walks `path` from `cur` (from the root if it is absolute) up to its
    /// last component, which it returns with `cur` its directory, searched.
    /// Links met on the way are followed in full, their targets' last
    /// components too.
    fn walk(&mut self, cur: &mut Loc, path: &[u8]) -> Result<Last, Errno> {
        // The rest of each path a link interrupted: (path, offset).
        let mut stack: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut buf = path.to_vec();
        let mut pos = self.enter(cur, &buf);
        if pos == buf.len() {
            return Ok(Last {
                kind: Kind::Root,
                name: Vec::new(),
                trailing: true,
            });
        }
        loop {
            self.may_search(*cur)?;
            let end = buf[pos..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(buf.len(), |n| pos + n);
            let name = buf[pos..end].to_vec();
            pos = end;
            while pos < buf.len() && buf[pos] == b'/' {
                pos += 1;
            }
            if pos == buf.len() {
                match stack.pop() {
                    None => {
                        let kind = match &name[..] {
                            b"." => Kind::Dot,
                            b".." => Kind::DotDot,
                            _ => Kind::Name,
                        };
                        return Ok(Last {
                            kind,
                            name,
                            trailing: end < buf.len(),
                        });
                    }
                    // The last component of a link's target: followed
                    // like any in the middle, then back to what the link
                    // interrupted.
                    Some((outer, at)) => {
                        buf = outer;
                        pos = at;
                    }
                }
            }
            match &name[..] {
                b"." => {}
                b".." => *cur = self.dotdot(*cur)?,
                _ => {
                    let (next, attr) = self.step(*cur, &name)?;
                    if attr.ftype == FileType::Symlink {
                        let body = self.link_body(next)?;
                        let start = self.enter(cur, &body);
                        if start < body.len() {
                            stack.push((core::mem::replace(&mut buf, body), pos));
                            pos = start;
                        }
                        // A target of slashes only is a jump to the root.
                        continue;
                    }
                    *cur = next;
                }
            }
            if self.attr(*cur)?.ftype != FileType::Directory {
                return Err(Errno::ENOTDIR);
            }
        }
    }

    /// Where a (link target) path starts: from the root if absolute,
    /// moving `cur`; the offset past its leading slashes.
    fn enter(&self, cur: &mut Loc, path: &[u8]) -> usize {
        let pos = path.iter().position(|&b| b != b'/').unwrap_or(path.len());
        if pos > 0 {
            *cur = self.at.root;
        }
        pos
    }

    /// Looks `name` up in the directory `dir` (searched already) and
    /// steps onto what is mounted there: the node and its attributes.
    fn step(&self, dir: Loc, name: &[u8]) -> Result<(Loc, Attr), Errno> {
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let ino = fs_of(self.ns, dir.mount)?.lookup(dir.ino, name)?;
        let next = self.ns.mounts().covering(Loc {
            mount: dir.mount,
            ino,
        });
        Ok((next, self.attr(next)?))
    }

    /// Counts a link to follow (`ELOOP` past [`MAX_LINKS`]) and reads its
    /// target (`ENOENT` if empty).
    fn link_body(&mut self, link: Loc) -> Result<Vec<u8>, Errno> {
        if self.links >= MAX_LINKS {
            return Err(Errno::ELOOP);
        }
        self.links += 1;
        let body = fs_of(self.ns, link.mount)?.readlink(link.ino)?;
        if body.is_empty() {
            return Err(Errno::ENOENT);
        }
        Ok(body)
    }

    /// `..` from the directory `cur`: stays at the process's root; from a
    /// mount's root goes to the directory it is mounted on (through mounts
    /// on mount roots), then to that one's parent, and onto what is
    /// mounted there. Where there is nothing above (the namespace's root,
    /// or the next mount point is the process's root) it stays.
    fn dotdot(&self, cur: Loc) -> Result<Loc, Errno> {
        let root = self.at.root;
        if cur == root {
            return Ok(cur);
        }
        let mounts = self.ns.mounts();
        let mut here = cur;
        let mut hops = 0;
        while mounts.is_root(here) {
            match mount_of(self.ns, here.mount)?.at {
                None => return Ok(cur),
                Some(at) if at == root => return Ok(cur),
                Some(at) => here = at,
            }
            hops += 1;
            if hops > mounts.list.len() {
                return Ok(cur);
            }
        }
        let parent = fs_of(self.ns, here.mount)?.parent(here.ino)?;
        Ok(mounts.covering(Loc {
            mount: here.mount,
            ino: parent,
        }))
    }
}
