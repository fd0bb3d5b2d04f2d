//! A small file system and namespace for the walk tests: directories,
//! regular files and symbolic links with modes and owners, kept in a
//! vector indexed by inode number.

#![allow(dead_code)]

use std::collections::BTreeMap;

use vfs::walk::{Loc, Mount, Mounts, Namespace, Start};
use vfs::{Attr, Cred, Errno, FileType, Fs, Ino, Time};

pub enum Kind {
    Dir(BTreeMap<Vec<u8>, Ino>),
    File,
    Link(Vec<u8>),
}

pub struct Node {
    pub attr: Attr,
    pub parent: Ino,
    pub kind: Kind,
}

/// Inode `n` is `nodes[n]`; 0 is unused, 1 the root.
pub struct TestFs {
    pub nodes: Vec<Option<Node>>,
}

fn attr(ino: Ino, ftype: FileType, perm: u32, uid: u32, gid: u32) -> Attr {
    Attr {
        ino,
        ftype,
        perm,
        nlink: if ftype == FileType::Directory { 2 } else { 1 },
        uid,
        gid,
        size: 0,
        blocks: 0,
        rdev: 0,
        atime: Time::default(),
        mtime: Time::default(),
        ctime: Time::default(),
        btime: None,
    }
}

impl Default for TestFs {
    fn default() -> Self {
        Self::new()
    }
}

impl TestFs {
    pub fn new() -> TestFs {
        TestFs {
            nodes: vec![
                None,
                Some(Node {
                    attr: attr(1, FileType::Directory, 0o755, 0, 0),
                    parent: 1,
                    kind: Kind::Dir(BTreeMap::new()),
                }),
            ],
        }
    }

    fn add(&mut self, dir: Ino, name: &str, ftype: FileType, perm: u32, kind: Kind) -> Ino {
        let ino = self.nodes.len() as Ino;
        self.nodes.push(Some(Node {
            attr: attr(ino, ftype, perm, 0, 0),
            parent: dir,
            kind,
        }));
        match &mut self.nodes[dir as usize].as_mut().unwrap().kind {
            Kind::Dir(entries) => {
                assert!(
                    entries.insert(name.as_bytes().to_vec(), ino).is_none(),
                    "{name} exists"
                );
            }
            _ => panic!("not a directory"),
        }
        ino
    }

    pub fn mkdir(&mut self, dir: Ino, name: &str, perm: u32) -> Ino {
        self.add(
            dir,
            name,
            FileType::Directory,
            perm,
            Kind::Dir(BTreeMap::new()),
        )
    }

    pub fn file(&mut self, dir: Ino, name: &str, perm: u32) -> Ino {
        self.add(dir, name, FileType::Regular, perm, Kind::File)
    }

    pub fn symlink(&mut self, dir: Ino, name: &str, target: &str) -> Ino {
        self.add(
            dir,
            name,
            FileType::Symlink,
            0o777,
            Kind::Link(target.as_bytes().to_vec()),
        )
    }

    pub fn chown(&mut self, ino: Ino, uid: u32, gid: u32) {
        let a = &mut self.nodes[ino as usize].as_mut().unwrap().attr;
        a.uid = uid;
        a.gid = gid;
    }

    pub fn chmod(&mut self, ino: Ino, perm: u32) {
        self.nodes[ino as usize].as_mut().unwrap().attr.perm = perm;
    }

    /// Removes the entry `name` of `dir`; the node stays (as one still
    /// in use does) with no links.
    pub fn unlink(&mut self, dir: Ino, name: &str) {
        let ino = match &mut self.nodes[dir as usize].as_mut().unwrap().kind {
            Kind::Dir(entries) => entries.remove(name.as_bytes()).unwrap(),
            _ => panic!("not a directory"),
        };
        self.nodes[ino as usize].as_mut().unwrap().attr.nlink = 0;
    }

    /// Forgets node `ino` altogether (getattr says ENOENT).
    pub fn forget(&mut self, ino: Ino) {
        self.nodes[ino as usize] = None;
    }

    fn node(&self, ino: Ino) -> Result<&Node, Errno> {
        self.nodes
            .get(ino as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::ENOENT)
    }
}

impl Fs for TestFs {
    fn root(&self) -> Ino {
        1
    }
    fn getattr(&self, ino: Ino) -> Result<Attr, Errno> {
        Ok(self.node(ino)?.attr)
    }
    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        assert!(
            !name.is_empty() && name != b"." && name != b"..",
            "walk passed {name:?}"
        );
        match &self.node(dir)?.kind {
            Kind::Dir(entries) => entries.get(name).copied().ok_or(Errno::ENOENT),
            _ => Err(Errno::ENOTDIR),
        }
    }
    fn parent(&self, dir: Ino) -> Result<Ino, Errno> {
        Ok(self.node(dir)?.parent)
    }
    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        match &self.node(ino)?.kind {
            Kind::Link(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL),
        }
    }
    fn name_of(&self, dir: Ino, child: Ino) -> Result<Vec<u8>, Errno> {
        match &self.node(dir)?.kind {
            Kind::Dir(entries) => entries
                .iter()
                .find(|(_, &i)| i == child)
                .map(|(n, _)| n.clone())
                .ok_or(Errno::ENOENT),
            _ => Err(Errno::ENOTDIR),
        }
    }
}

/// File systems and a mount table (fs 0 is mounted as the root).
pub struct Ns {
    pub mounts: Mounts,
    pub fss: Vec<TestFs>,
}

impl Ns {
    pub fn new(fss: Vec<TestFs>) -> Ns {
        Ns {
            mounts: Mounts::new(Mount {
                fs: 0,
                at: None,
                root: 1,
            }),
            fss,
        }
    }

    /// Mounts the root of fs `fs` on `at`.
    pub fn mount(&mut self, fs: usize, at: Loc) -> usize {
        self.mounts
            .mount(Mount {
                fs,
                at: Some(at),
                root: 1,
            })
            .unwrap()
    }

    pub fn root(&self) -> Loc {
        Loc { mount: 0, ino: 1 }
    }
}

impl Namespace for Ns {
    fn mounts(&self) -> &Mounts {
        &self.mounts
    }
    fn fs(&self, fs: usize) -> &dyn Fs {
        &self.fss[fs]
    }
}

pub fn loc(mount: usize, ino: Ino) -> Loc {
    Loc { mount, ino }
}

pub fn start<'a>(root: Loc, dir: Loc, cred: &'a Cred) -> Start<'a> {
    Start { root, dir, cred }
}

pub fn user(uid: u32, gid: u32, groups: &[u32]) -> Cred {
    Cred {
        uid,
        gid,
        groups: groups.to_vec(),
        caps: 0,
    }
}
