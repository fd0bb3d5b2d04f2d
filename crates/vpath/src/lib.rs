//! Path resolution as the system server does it. Paths are kept
//! normalised: absolute, without the leading slash, components joined by
//! single slashes ("" is the root). [`normalize`] takes `.`, `..` and
//! repeated slashes lexically (`..` of the root is the root);
//! [`walk`] resolves a path component by component against a [`Tree`],
//! following symbolic links (at most [`MAX_LINKS`] in one resolution:
//! `ELOOP` past that).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

pub use linux_errno::Errno;

/// Longest path a process may pass (`PATH_MAX`, with its NUL).
pub const PATH_MAX: usize = 4096;
/// Symbolic links one resolution may follow.
pub const MAX_LINKS: u32 = 8;

/// What a node of the tree is, as resolution needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    Link,
    Other,
}

/// The tree paths are resolved in.
pub trait Tree {
    /// What names a node (to read a link's target later).
    type Node: Copy;
    /// The node at the normalised `path`, if any, and its kind.
    fn lookup(&self, path: &str) -> Option<(Self::Node, Kind)>;
    /// The target of the link `node`.
    fn read_link(&self, node: Self::Node) -> String;
}

/// The components of `path` taken from the directory `cwd` (normalised),
/// with `.`, `..` and empty components taken lexically.
pub fn normalize<'a>(cwd: &'a str, path: &'a str) -> Vec<&'a str> {
    let mut cur: Vec<&str> = Vec::new();
    let start = if path.starts_with('/') { "" } else { cwd };
    for c in start.split('/').chain(path.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                cur.pop();
            }
            c => cur.push(c),
        }
    }
    cur
}

/// [`normalize`], joined into a normalised path.
pub fn normalized(cwd: &str, path: &str) -> String {
    normalize(cwd, path).join("/")
}

/// Resolves `path` (as a process passed it) from the directory `cwd`
/// (normalised); `follow`: follow a final symbolic link. The normalised
/// path reached, whose node the caller looks up (a final link not
/// followed is the link itself). Every directory on the way must exist
/// (`ENOENT`) and be a directory (`ENOTDIR`), as must each component but
/// the last.
pub fn walk<T: Tree>(tree: &T, cwd: &str, path: &[u8], follow: bool) -> Result<String, Errno> {
    if path.len() > PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let path = core::str::from_utf8(path).map_err(|_| Errno::ENOENT)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut todo: Vec<String> = Vec::new();
    let full = if path.starts_with('/') {
        String::from(path)
    } else {
        alloc::format!("{}/{}", cwd, path)
    };
    for c in full.split('/').rev() {
        todo.push(c.into());
    }
    let mut cur: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                cur.pop();
                continue;
            }
            _ => {}
        }
        let parent = cur.join("/");
        match tree.lookup(&parent) {
            None => return Err(Errno::ENOENT),
            Some((_, Kind::Dir)) => {}
            Some(_) => return Err(Errno::ENOTDIR),
        }
        cur.push(c);
        let here = cur.join("/");
        let last = todo.iter().all(|t| t.is_empty() || t == ".");
        let (node, kind) = tree.lookup(&here).ok_or(Errno::ENOENT)?;
        if kind == Kind::Link && (follow || !last) {
            links += 1;
            if links > MAX_LINKS {
                return Err(Errno::ELOOP);
            }
            let target = tree.read_link(node);
            cur.pop();
            if target.starts_with('/') {
                cur.clear();
            }
            for t in target.split('/').rev() {
                todo.push(t.into());
            }
        }
    }
    Ok(cur.join("/"))
}

/// [`walk`], then the node reached: `ENOENT` if there is none, `ENOTDIR`
/// if `path` ends in a slash and it is not a directory.
pub fn resolve<T: Tree>(
    tree: &T,
    cwd: &str,
    path: &[u8],
    follow: bool,
) -> Result<(String, T::Node), Errno> {
    let here = walk(tree, cwd, path, follow)?;
    let (node, kind) = tree.lookup(&here).ok_or(Errno::ENOENT)?;
    if path.ends_with(b"/") && kind != Kind::Dir {
        return Err(Errno::ENOTDIR);
    }
    Ok((here, node))
}
