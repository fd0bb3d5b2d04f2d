//! Random sequences of operations by root and by an unprivileged user,
//! run on the file system and on a plain model (a map from full path to
//! node, hard links sharing a node): every result and errno must agree,
//! and after every step the trees agree (every path's node, type, owner,
//! mode, link count, size, contents and pages; every directory's
//! listing, `.` and `..`), as do the held unlinked nodes. A listing read
//! while entries come and go sees every surviving entry exactly once. At
//! the end, with everything removed and released, the store has no pages.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::{t, TestStore, BIG};
use memfs::{Errno, FileType, MemFs, PageRef, RenameFlags, SetAttr, PAGE};
use proptest::prelude::*;
use vfs::{Cred, Fs};

const NAMES: [&str; 3] = ["a", "b", "c"];
const DIR_MODES: [u32; 4] = [0o777, 0o755, 0o1777, 0o700];
const FILE_MODES: [u32; 4] = [0o644, 0o666, 0o600, 0o4666];
const S_ISUID: u32 = 0o4000;
const S_ISVTX: u32 = 0o1000;

/// Parent directories the operations name: the root and two levels below.
fn parents() -> Vec<Vec<u8>> {
    let mut out = vec![vec![]];
    for a in NAMES {
        out.push(a.as_bytes().to_vec());
    }
    for a in NAMES {
        for b in NAMES {
            out.push(format!("{a}/{b}").into_bytes());
        }
    }
    out
}

#[derive(Clone, Debug)]
enum Op {
    Create {
        u: bool,
        p: usize,
        n: usize,
        dir: bool,
        mode: usize,
    },
    Symlink {
        u: bool,
        p: usize,
        n: usize,
    },
    Unlink {
        u: bool,
        p: usize,
        n: usize,
    },
    Rmdir {
        u: bool,
        p: usize,
        n: usize,
    },
    Rename {
        u: bool,
        p1: usize,
        n1: usize,
        p2: usize,
        n2: usize,
        flags: u8,
    },
    Link {
        u: bool,
        sp: usize,
        sn: usize,
        p: usize,
        n: usize,
    },
    Write {
        u: bool,
        p: usize,
        n: usize,
        off: u64,
        len: usize,
        byte: u8,
    },
    Truncate {
        u: bool,
        p: usize,
        n: usize,
        size: u64,
    },
    Read {
        p: usize,
        n: usize,
        off: u64,
        len: usize,
    },
    Chmod {
        u: bool,
        p: usize,
        n: usize,
        mode: usize,
        dir: bool,
    },
    Readdir {
        p: usize,
        k: usize,
        create: bool,
        n: usize,
    },
    Hold {
        p: usize,
        n: usize,
    },
    /// Drops the k-th hold taken.
    Release {
        k: usize,
    },
    Fallocate {
        p: usize,
        n: usize,
        off: u64,
        len: u64,
        keep: bool,
    },
}

/// Parent indices: mostly the root and the first level (which exist
/// more often), sometimes the second.
fn parent() -> impl Strategy<Value = usize> + Clone {
    prop_oneof![4 => Just(0usize), 6 => 1usize..4, 3 => 4usize..13]
}

/// Sizes and offsets: often at or next to a page boundary.
fn offset() -> impl Strategy<Value = u64> {
    let page = PAGE as u64;
    prop_oneof![
        2 => 0u64..4 * page,
        1 => (0u64..4, -1i64..=1).prop_map(move |(k, d)| (k * page).saturating_add_signed(d)),
    ]
}

/// A parent index, or (from 100) "the k-th existing path" in place of
/// the parent and name.
fn any_path() -> impl Strategy<Value = usize> + Clone {
    prop_oneof![1 => parent(), 1 => 100usize..1000]
}

fn op() -> impl Strategy<Value = Op> {
    let p = any_path();
    let newp = parent();
    let n = 0usize..3;
    prop_oneof![
        6 => (any::<bool>(), newp.clone(), n.clone(), any::<bool>(), 0usize..4)
            .prop_map(|(u, p, n, dir, mode)| Op::Create { u, p, n, dir, mode }),
        1 => (any::<bool>(), newp.clone(), n.clone()).prop_map(|(u, p, n)| Op::Symlink { u, p, n }),
        3 => (any::<bool>(), p.clone(), n.clone()).prop_map(|(u, p, n)| Op::Unlink { u, p, n }),
        2 => (any::<bool>(), p.clone(), n.clone()).prop_map(|(u, p, n)| Op::Rmdir { u, p, n }),
        5 => (any::<bool>(), p.clone(), n.clone(), p.clone(), n.clone(), 0u8..4)
            .prop_map(|(u, p1, n1, p2, n2, flags)| Op::Rename { u, p1, n1, p2, n2, flags }),
        3 => (any::<bool>(), p.clone(), n.clone(), newp.clone(), n.clone())
            .prop_map(|(u, sp, sn, p, n)| Op::Link { u, sp, sn, p, n }),
        4 => (any::<bool>(), p.clone(), n.clone(), offset(), 0usize..2 * PAGE, any::<u8>())
            .prop_map(|(u, p, n, off, len, byte)| Op::Write { u, p, n, off, len, byte }),
        2 => (any::<bool>(), p.clone(), n.clone(), offset())
            .prop_map(|(u, p, n, size)| Op::Truncate { u, p, n, size }),
        1 => (p.clone(), n.clone(), 0u64..4 * PAGE as u64, 0usize..2 * PAGE)
            .prop_map(|(p, n, off, len)| Op::Read { p, n, off, len }),
        2 => (any::<bool>(), p.clone(), n.clone(), 0usize..4, any::<bool>())
            .prop_map(|(u, p, n, mode, dir)| Op::Chmod { u, p, n, mode, dir }),
        2 => (newp, 0usize..4, any::<bool>(), n.clone())
            .prop_map(|(p, k, create, n)| Op::Readdir { p, k, create, n }),
        1 => (p.clone(), n.clone()).prop_map(|(p, n)| Op::Hold { p, n }),
        1 => any::<usize>().prop_map(|k| Op::Release { k }),
        1 => (p, n, offset(), 0u64..3 * PAGE as u64, any::<bool>())
            .prop_map(|(p, n, off, len, keep)| Op::Fallocate { p, n, off, len, keep }),
    ]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum K {
    Dir,
    File,
    Sym,
}

struct MNode {
    k: K,
    uid: u32,
    gid: u32,
    perm: u32,
    data: Vec<u8>,
    /// Pages a write touched since a truncate below them.
    pages: BTreeSet<u64>,
    /// Started as image bytes (its store pages are not tracked).
    image: bool,
}

struct Model {
    paths: BTreeMap<Vec<u8>, usize>,
    nodes: HashMap<usize, MNode>,
    ino: HashMap<usize, u64>,
    next: usize,
    held: Vec<usize>,
    /// The byte limit in pages, if small enough to reach.
    max_pages: Option<u64>,
}

fn join(p: &[u8], n: &str) -> Vec<u8> {
    if p.is_empty() {
        n.as_bytes().to_vec()
    } else {
        let mut v = p.to_vec();
        v.push(b'/');
        v.extend_from_slice(n.as_bytes());
        v
    }
}

/// Whether `path` is `anc` or below it.
fn under(path: &[u8], anc: &[u8]) -> bool {
    anc.is_empty() || path == anc || (path.starts_with(anc) && path.get(anc.len()) == Some(&b'/'))
}

fn cred(u: bool) -> Cred {
    if u {
        Cred {
            uid: 1000,
            gid: 1000,
            groups: vec![],
            caps: 0,
        }
    } else {
        Cred::root()
    }
}

impl Model {
    fn new() -> Model {
        let mut m = Model {
            paths: BTreeMap::new(),
            nodes: HashMap::new(),
            ino: HashMap::new(),
            next: 1,
            held: vec![],
            max_pages: None,
        };
        m.paths.insert(vec![], 0);
        m.nodes.insert(
            0,
            MNode {
                k: K::Dir,
                uid: 0,
                gid: 0,
                perm: 0o1777,
                data: vec![],
                pages: BTreeSet::new(),
                image: false,
            },
        );
        m
    }

    fn node(&self, path: &[u8]) -> Option<&MNode> {
        self.paths.get(path).map(|id| &self.nodes[id])
    }

    fn is_dir(&self, path: &[u8]) -> bool {
        self.node(path).is_some_and(|n| n.k == K::Dir)
    }

    fn children(&self, dir: &[u8]) -> Vec<Vec<u8>> {
        self.paths
            .keys()
            .filter(|p| !p.is_empty() && under(p, dir) && p.as_slice() != dir)
            .filter(|p| {
                let rest = if dir.is_empty() {
                    &p[..]
                } else {
                    &p[dir.len() + 1..]
                };
                !rest.contains(&b'/')
            })
            .cloned()
            .collect()
    }

    fn allowed(n: &MNode, who: &Cred, mask: u32) -> bool {
        if who.uid == 0 {
            return mask & 1 == 0 || n.k == K::Dir || n.perm & 0o111 != 0;
        }
        let class = if n.uid == who.uid {
            n.perm >> 6
        } else if n.gid == who.gid {
            n.perm >> 3
        } else {
            n.perm
        } & 7;
        mask & !class == 0
    }

    fn nlink(&self, id: usize) -> u32 {
        let paths: Vec<&Vec<u8>> = self
            .paths
            .iter()
            .filter(|(_, i)| **i == id)
            .map(|(p, _)| p)
            .collect();
        match self.nodes[&id].k {
            K::Dir => match paths.first() {
                Some(p) => 2 + self.children(p).iter().filter(|c| self.is_dir(c)).count() as u32,
                None => 0,
            },
            _ => paths.len() as u32,
        }
    }

    fn sticky_denies(&self, dir: &[u8], victim: &[u8], who: &Cred) -> bool {
        let d = self.node(dir).unwrap();
        let v = self.node(victim).unwrap();
        d.perm & S_ISVTX != 0 && who.uid != 0 && who.uid != v.uid && who.uid != d.uid
    }

    fn may_delete(&self, dir: &[u8], victim: &[u8], isdir: bool, who: &Cred) -> Result<(), Errno> {
        if !Self::allowed(self.node(dir).unwrap(), who, 3) {
            return Err(Errno::EACCES);
        }
        if self.sticky_denies(dir, victim, who) {
            return Err(Errno::EPERM);
        }
        match (isdir, self.is_dir(victim)) {
            (true, false) => Err(Errno::ENOTDIR),
            (false, true) => Err(Errno::EISDIR),
            _ => Ok(()),
        }
    }

    fn create(
        &mut self,
        who: &Cred,
        p: &[u8],
        name: &str,
        k: K,
        perm: u32,
    ) -> Result<usize, Errno> {
        let d = self.node(p).unwrap();
        if !Self::allowed(d, who, 1) {
            return Err(Errno::EACCES);
        }
        let path = join(p, name);
        if self.paths.contains_key(&path) {
            return Err(Errno::EEXIST);
        }
        if !Self::allowed(d, who, 3) {
            return Err(Errno::EACCES);
        }
        let id = self.next;
        self.next += 1;
        let perm = match k {
            K::Dir => perm & 0o1777,
            K::File => perm,
            K::Sym => 0o777,
        };
        let data = if k == K::Sym { b"t".to_vec() } else { vec![] };
        self.nodes.insert(
            id,
            MNode {
                k,
                uid: who.uid,
                gid: who.gid,
                perm,
                data,
                pages: BTreeSet::new(),
                image: false,
            },
        );
        self.paths.insert(path, id);
        Ok(id)
    }

    fn unlink(&mut self, who: &Cred, p: &[u8], name: &str, dir: bool) -> Result<(), Errno> {
        if !Self::allowed(self.node(p).unwrap(), who, 1) {
            return Err(Errno::EACCES);
        }
        let path = join(p, name);
        if !self.paths.contains_key(&path) {
            return Err(Errno::ENOENT);
        }
        self.may_delete(p, &path, dir, who)?;
        if dir && !self.children(&path).is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.paths.remove(&path);
        Ok(())
    }

    fn link(&mut self, who: &Cred, src: &[u8], p: &[u8], name: &str) -> Result<(), Errno> {
        let id = self.paths[src];
        let d = self.node(p).unwrap();
        if !Self::allowed(d, who, 1) {
            return Err(Errno::EACCES);
        }
        let path = join(p, name);
        if self.paths.contains_key(&path) {
            return Err(Errno::EEXIST);
        }
        let s = &self.nodes[&id];
        if who.uid != 0 && who.uid != s.uid {
            let safe = s.k == K::File && s.perm & S_ISUID == 0 && Self::allowed(s, who, 6);
            if !safe {
                return Err(Errno::EPERM);
            }
        }
        if !Self::allowed(d, who, 3) {
            return Err(Errno::EACCES);
        }
        if s.k == K::Dir {
            return Err(Errno::EPERM);
        }
        self.paths.insert(path, id);
        Ok(())
    }

    /// Moves every path at or under `from` to under `to`.
    fn take_subtree(&mut self, from: &[u8]) -> Vec<(Vec<u8>, usize)> {
        let keys: Vec<Vec<u8>> = self
            .paths
            .keys()
            .filter(|k| !k.is_empty() && under(k, from))
            .cloned()
            .collect();
        keys.into_iter()
            .map(|k| {
                let id = self.paths.remove(&k).unwrap();
                (k[from.len()..].to_vec(), id)
            })
            .collect()
    }

    fn put_subtree(&mut self, to: &[u8], sub: Vec<(Vec<u8>, usize)>) {
        for (rest, id) in sub {
            let mut k = to.to_vec();
            k.extend_from_slice(&rest);
            self.paths.insert(k, id);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn rename(
        &mut self,
        who: &Cred,
        p1: &[u8],
        n1: &str,
        p2: &[u8],
        n2: &str,
        noreplace: bool,
        exchange: bool,
    ) -> Result<(), Errno> {
        if noreplace && exchange {
            return Err(Errno::EINVAL);
        }
        if !Self::allowed(self.node(p1).unwrap(), who, 1) {
            return Err(Errno::EACCES);
        }
        if !Self::allowed(self.node(p2).unwrap(), who, 1) {
            return Err(Errno::EACCES);
        }
        let src = join(p1, n1);
        let Some(&sid) = self.paths.get(&src) else {
            return Err(Errno::ENOENT);
        };
        let tgt = join(p2, n2);
        let tid = self.paths.get(&tgt).copied();
        if noreplace && tid.is_some() {
            return Err(Errno::EEXIST);
        }
        if exchange && tid.is_none() {
            return Err(Errno::ENOENT);
        }
        let sdir = self.is_dir(&src);
        let tdir = self.is_dir(&tgt);
        if p1 != p2 {
            if sdir && under(p2, &src) {
                return Err(Errno::EINVAL);
            }
            if tdir && under(p1, &tgt) {
                return Err(if exchange {
                    Errno::EINVAL
                } else {
                    Errno::ENOTEMPTY
                });
            }
        }
        if tid == Some(sid) {
            return Ok(());
        }
        self.may_delete(p1, &src, sdir, who)?;
        match tid {
            None => {
                if !Self::allowed(self.node(p2).unwrap(), who, 3) {
                    return Err(Errno::EACCES);
                }
            }
            Some(_) => self.may_delete(p2, &tgt, if exchange { tdir } else { sdir }, who)?,
        }
        if p1 != p2 {
            if sdir && !Self::allowed(&self.nodes[&sid], who, 2) {
                return Err(Errno::EACCES);
            }
            if exchange && tdir && !Self::allowed(&self.nodes[&tid.unwrap()], who, 2) {
                return Err(Errno::EACCES);
            }
        }
        if !exchange && tdir && !self.children(&tgt).is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        let s = self.take_subtree(&src);
        let t = self.take_subtree(&tgt);
        self.put_subtree(&tgt, s);
        if exchange {
            self.put_subtree(&src, t);
        }
        Ok(())
    }

    /// Nodes alive: named, or held.
    fn live(&self) -> BTreeSet<usize> {
        let mut ids: BTreeSet<usize> = self.paths.values().copied().collect();
        ids.extend(self.held.iter().copied());
        ids
    }

    fn write(&mut self, who: &Cred, path: &[u8], off: u64, data: &[u8]) -> Result<usize, Errno> {
        let id = self.paths[path];
        let mut used: u64 = self
            .live()
            .iter()
            .map(|i| self.nodes[i].pages.len() as u64)
            .sum();
        let max = self.max_pages.unwrap_or(u64::MAX);
        let n = self.nodes.get_mut(&id).unwrap();
        match n.k {
            K::Dir => return Err(Errno::EISDIR),
            K::Sym => return Err(Errno::EINVAL),
            K::File => {}
        }
        if data.is_empty() {
            return Ok(0);
        }
        let off = off as usize;
        let mut done = 0;
        while done < data.len() {
            let idx = ((off + done) / PAGE) as u64;
            if !n.pages.contains(&idx) {
                if used >= max {
                    break;
                }
                used += 1;
                n.pages.insert(idx);
            }
            done += (PAGE - (off + done) % PAGE).min(data.len() - done);
        }
        if done == 0 {
            return Err(Errno::ENOSPC);
        }
        let end = off + done;
        if n.data.len() < end {
            n.data.resize(end, 0);
        }
        n.data[off..end].copy_from_slice(&data[..done]);
        if who.uid != 0 {
            n.perm &= !S_ISUID;
        }
        Ok(done)
    }

    fn fallocate(&mut self, path: &[u8], off: u64, len: u64, keep: bool) -> Result<(), Errno> {
        let id = self.paths[path];
        let used: u64 = self
            .live()
            .iter()
            .map(|i| self.nodes[i].pages.len() as u64)
            .sum();
        let max = self.max_pages.unwrap_or(u64::MAX);
        let n = self.nodes.get_mut(&id).unwrap();
        match n.k {
            K::Dir => return Err(Errno::EISDIR),
            K::Sym => return Err(Errno::ENODEV),
            K::File => {}
        }
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        let range = off / PAGE as u64..=(off + len - 1) / PAGE as u64;
        let new = range.clone().filter(|i| !n.pages.contains(i)).count() as u64;
        if !n.image && used + new > max {
            return Err(Errno::ENOSPC);
        }
        n.pages.extend(range);
        if !keep && n.data.len() < (off + len) as usize {
            n.data.resize((off + len) as usize, 0);
        }
        Ok(())
    }

    fn truncate(&mut self, who: &Cred, path: &[u8], size: u64) -> Result<(), Errno> {
        let id = self.paths[path];
        let n = self.nodes.get_mut(&id).unwrap();
        match n.k {
            K::Dir => return Err(Errno::EISDIR),
            K::Sym => return Err(Errno::EINVAL),
            K::File => {}
        }
        // As Linux: pages past the end (reserved with keep_size) go on a
        // truncate to the same or a smaller size, not on growing.
        if size as usize <= n.data.len() {
            let keep = (size as usize).div_ceil(PAGE) as u64;
            n.pages.retain(|p| *p < keep);
        }
        n.data.resize(size as usize, 0);
        if who.uid != 0 {
            n.perm &= !S_ISUID;
        }
        Ok(())
    }

    fn chmod(&mut self, who: &Cred, path: &[u8], perm: u32) -> Result<(), Errno> {
        let id = self.paths[path];
        let n = self.nodes.get_mut(&id).unwrap();
        if who.uid != 0 && who.uid != n.uid {
            return Err(Errno::EPERM);
        }
        n.perm = perm;
        Ok(())
    }
}

fn walk(f: &MemFs<TestStore>, path: &[u8]) -> Result<u64, Errno> {
    let mut ino = f.root();
    if path.is_empty() {
        return Ok(ino);
    }
    for c in path.split(|b| *b == b'/') {
        ino = f.lookup(ino, c)?;
    }
    Ok(ino)
}

fn listing(f: &MemFs<TestStore>, dir: u64) -> Vec<(Vec<u8>, u64)> {
    let mut out = vec![];
    let mut pos = 0;
    while let Some(e) = f.readdir(dir, pos).unwrap() {
        assert!(e.next > pos);
        out.push((e.name, e.ino));
        pos = e.next;
    }
    out
}

fn check(f: &MemFs<TestStore>, m: &Model) {
    let mut pages = 0;
    for (path, id) in &m.paths {
        let ino = walk(f, path)
            .unwrap_or_else(|e| panic!("{} missing: {e:?}", String::from_utf8_lossy(path)));
        assert_eq!(ino, m.ino[id], "{}", String::from_utf8_lossy(path));
        let n = &m.nodes[id];
        let a = f.getattr(ino).unwrap();
        let ft = match n.k {
            K::Dir => FileType::Directory,
            K::File => FileType::Regular,
            K::Sym => FileType::Symlink,
        };
        assert_eq!(
            (a.ftype, a.uid, a.gid, a.perm, a.nlink),
            (ft, n.uid, n.gid, n.perm, m.nlink(*id)),
            "{}",
            String::from_utf8_lossy(path)
        );
        if n.k == K::Dir {
            let got = listing(f, ino);
            assert_eq!(got[0], (b".".to_vec(), ino));
            let parent = if path.is_empty() {
                vec![]
            } else {
                path[..path.iter().rposition(|b| *b == b'/').unwrap_or(0)].to_vec()
            };
            assert_eq!(got[1], (b"..".to_vec(), walk(f, &parent).unwrap()));
            let names: BTreeSet<Vec<u8>> = got[2..].iter().map(|(n, _)| n.clone()).collect();
            assert_eq!(names.len(), got.len() - 2, "no name twice");
            let want: BTreeSet<Vec<u8>> = m
                .children(path)
                .iter()
                .map(|c| c[c.iter().rposition(|b| *b == b'/').map_or(0, |i| i + 1)..].to_vec())
                .collect();
            assert_eq!(names, want);
        }
    }
    let mut images = false;
    for id in m.live() {
        let n = &m.nodes[&id];
        let ino = m.ino[&id];
        let a = f.getattr(ino).unwrap();
        assert_eq!(a.nlink, m.nlink(id));
        if n.k == K::File {
            assert_eq!(a.size, n.data.len() as u64);
            if n.image {
                images = true;
            } else {
                assert_eq!(a.blocks, n.pages.len() as u64 * 8);
                pages += n.pages.len() as u64;
            }
            let mut buf = vec![0xAA; n.data.len() + 10];
            assert_eq!(f.read(ino, 0, &mut buf), Ok(n.data.len()));
            assert!(buf[..n.data.len()] == n.data[..], "contents of {id}");
            check_pages(f, ino, &n.data);
        }
        if n.k == K::Dir && a.nlink == 0 {
            assert_eq!(f.readdir(ino, 0), Ok(None));
        }
    }
    if images {
        assert!(f.store().live >= pages);
    } else {
        assert_eq!(f.store().live, pages);
    }
    assert_eq!(f.pages_used(), f.store().live);
}

/// What a mapper sees through `page`: each page of the file holds its
/// bytes, and zeros past the end (an image page's bytes past the end are
/// the mapper's to zero, so only the part up to the end counts there).
fn check_pages(f: &MemFs<TestStore>, ino: u64, data: &[u8]) {
    for idx in 0..data.len().div_ceil(PAGE) + 1 {
        let start = (idx * PAGE).min(data.len());
        let want = &data[start..(start + PAGE).min(data.len())];
        match f.page(ino, idx as u64).unwrap() {
            PageRef::Hole => assert!(want.iter().all(|b| *b == 0)),
            PageRef::Image(at) => {
                let at = at as usize;
                assert_eq!(
                    &f.store().image[at..at + want.len()],
                    want,
                    "image page {idx}"
                );
            }
            PageRef::Page(p) => {
                assert_eq!(&p[..want.len()], want, "page {idx}");
                assert!(
                    p[want.len()..].iter().all(|b| *b == 0),
                    "page {idx} past the end"
                );
            }
        }
    }
}

/// The (parent, name) pairs an operation names: `p` below 100 picks a
/// parent and `n` a name; from 100, an existing path (if any).
fn sel(m: &Model, par: &[Vec<u8>], p: usize, n: usize) -> (Vec<u8>, String) {
    let existing: Vec<&Vec<u8>> = m.paths.keys().filter(|k| !k.is_empty()).collect();
    if p >= 100 && !existing.is_empty() {
        let path = existing[(p - 100) % existing.len()];
        let (parent, name) = match path.iter().rposition(|b| *b == b'/') {
            Some(i) => (path[..i].to_vec(), &path[i + 1..]),
            None => (vec![], &path[..]),
        };
        return (parent, String::from_utf8(name.to_vec()).unwrap());
    }
    (par[p % par.len()].clone(), NAMES[n].to_string())
}

fn sels(op: &Op, m: &Model, par: &[Vec<u8>]) -> ((Vec<u8>, String), (Vec<u8>, String)) {
    let (a, b) = match *op {
        Op::Rename { p1, n1, p2, n2, .. } => ((p1, n1), (p2, n2)),
        Op::Link { sp, sn, p, n, .. } => ((sp, sn), (p, n)),
        Op::Create { p, n, .. }
        | Op::Symlink { p, n, .. }
        | Op::Unlink { p, n, .. }
        | Op::Rmdir { p, n, .. }
        | Op::Write { p, n, .. }
        | Op::Truncate { p, n, .. }
        | Op::Read { p, n, .. }
        | Op::Chmod { p, n, .. }
        | Op::Readdir { p, n, .. }
        | Op::Fallocate { p, n, .. }
        | Op::Hold { p, n } => ((p, n), (p, n)),
        Op::Release { .. } => ((0, 0), (0, 0)),
    };
    (sel(m, par, a.0, a.1), sel(m, par, b.0, b.1))
}

/// How a run starts: with image-backed files, or with a byte limit small
/// enough to reach (and no image).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    Images,
    Small,
}

const SMALL_PAGES: u64 = 6;

fn run(ops: Vec<Op>, start: Start) {
    let par = parents();
    let image: Vec<u8> = (0..4 * PAGE).map(|i| (i % 253) as u8 + 1).collect();
    let limits = match start {
        Start::Images => BIG,
        Start::Small => memfs::Limits {
            bytes: SMALL_PAGES * PAGE as u64,
            nodes: BIG.nodes,
        },
    };
    let store = TestStore {
        image: image.clone(),
        ..TestStore::default()
    };
    let mut f = MemFs::new(store, limits, 0o1777, 0, 0, t(1));
    let mut m = Model::new();
    m.ino.insert(0, f.root());
    if start == Start::Small {
        m.max_pages = Some(SMALL_PAGES);
    } else {
        // Files of the image in the root and in a directory, one ending
        // inside a page.
        let d = f
            .create(
                &Cred::root(),
                f.root(),
                b"b",
                FileType::Directory,
                0o777,
                0,
                t(1),
            )
            .unwrap();
        m.paths.insert(b"b".to_vec(), 1);
        m.nodes.insert(
            1,
            MNode {
                k: K::Dir,
                uid: 0,
                gid: 0,
                perm: 0o777,
                data: vec![],
                pages: BTreeSet::new(),
                image: false,
            },
        );
        m.ino.insert(1, d);
        for (id, dir, path, at, len) in [
            (2, f.root(), &b"a"[..], 50u64, 2 * PAGE + 100),
            (3, d, &b"b/c"[..], 0, PAGE),
        ] {
            let name = &path[path.len() - 1..];
            let ino = f
                .add_image_file(dir, name, 0o666, 0, 0, t(1), at, len as u64)
                .unwrap();
            let data = image[at as usize..at as usize + len].to_vec();
            m.paths.insert(path.to_vec(), id);
            m.nodes.insert(
                id,
                MNode {
                    k: K::File,
                    uid: 0,
                    gid: 0,
                    perm: 0o666,
                    data,
                    pages: BTreeSet::new(),
                    image: true,
                },
            );
            m.ino.insert(id, ino);
        }
        m.next = 4;
    }
    let mut fs_held = vec![];
    for op in ops {
        let ((pa, na), (pb, nb)) = sels(&op, &m, &par);
        let (na, nb) = (na.as_str(), nb.as_str());
        match op {
            Op::Create { u, dir, mode, .. } => {
                let pp = &pa;
                if !m.is_dir(pp) {
                    continue;
                }
                let who = cred(u);
                let (k, ft, perm) = if dir {
                    (K::Dir, FileType::Directory, DIR_MODES[mode])
                } else {
                    (K::File, FileType::Regular, FILE_MODES[mode])
                };
                let want = m.create(&who, pp, na, k, perm);
                let got = f.create(
                    &who,
                    walk(&f, pp).unwrap(),
                    na.as_bytes(),
                    ft,
                    perm,
                    0,
                    t(2),
                );
                assert_eq!(
                    got.is_ok(),
                    want.is_ok(),
                    "{op:?}: {got:?} {:?}",
                    want.err()
                );
                match (want, got) {
                    (Ok(id), Ok(ino)) => {
                        m.ino.insert(id, ino);
                    }
                    (Err(w), Err(g)) => assert_eq!(w, g, "{op:?}"),
                    _ => unreachable!(),
                }
            }
            Op::Symlink { u, .. } => {
                let pp = &pa;
                if !m.is_dir(pp) {
                    continue;
                }
                let who = cred(u);
                let want = m.create(&who, pp, na, K::Sym, 0);
                let got = f.symlink(&who, walk(&f, pp).unwrap(), na.as_bytes(), b"t", t(2));
                match (want, got) {
                    (Ok(id), Ok(ino)) => {
                        m.ino.insert(id, ino);
                    }
                    (w, g) => assert_eq!(w.err(), g.err(), "{op:?}"),
                }
            }
            Op::Unlink { u, .. } | Op::Rmdir { u, .. } => {
                let pp = &pa;
                if !m.is_dir(pp) {
                    continue;
                }
                let who = cred(u);
                let dir = matches!(op, Op::Rmdir { .. });
                let want = m.unlink(&who, pp, na, dir);
                let d = walk(&f, pp).unwrap();
                let got = if dir {
                    f.rmdir(&who, d, na.as_bytes(), t(3))
                } else {
                    f.unlink(&who, d, na.as_bytes(), t(3))
                };
                assert_eq!(want, got.map(|_| ()), "{op:?}");
            }
            Op::Rename { u, flags, .. } => {
                let (a, b) = (&pa, &pb);
                if !m.is_dir(a) || !m.is_dir(b) {
                    continue;
                }
                let who = cred(u);
                let fl = RenameFlags {
                    noreplace: flags & 1 != 0,
                    exchange: flags & 2 != 0,
                };
                let want = m.rename(&who, a, na, b, nb, fl.noreplace, fl.exchange);
                let got = f.rename(
                    &who,
                    walk(&f, a).unwrap(),
                    na.as_bytes(),
                    walk(&f, b).unwrap(),
                    nb.as_bytes(),
                    fl,
                    t(4),
                );
                assert_eq!(want, got, "{op:?}");
            }
            Op::Link { u, .. } => {
                let src = join(&pa, na);
                if !m.paths.contains_key(&src) || !m.is_dir(&pb) {
                    continue;
                }
                let who = cred(u);
                let want = m.link(&who, &src, &pb, nb);
                let got = f.link(
                    &who,
                    walk(&f, &src).unwrap(),
                    walk(&f, &pb).unwrap(),
                    nb.as_bytes(),
                    t(5),
                );
                assert_eq!(want, got, "{op:?}");
            }
            Op::Write {
                u, off, len, byte, ..
            } => {
                let path = join(&pa, na);
                if !m.paths.contains_key(&path) {
                    continue;
                }
                let who = cred(u);
                let data = vec![byte; len];
                let want = m.write(&who, &path, off, &data);
                let got = f.write(&who, walk(&f, &path).unwrap(), off, &data, t(6));
                assert_eq!(want, got, "{op:?}");
            }
            Op::Truncate { u, size, .. } => {
                let path = join(&pa, na);
                if !m.paths.contains_key(&path) {
                    continue;
                }
                let who = cred(u);
                let want = m.truncate(&who, &path, size);
                let got = f.setattr(
                    &who,
                    walk(&f, &path).unwrap(),
                    SetAttr {
                        size: Some(size),
                        ..Default::default()
                    },
                    t(7),
                );
                assert_eq!(want, got.map(|_| ()), "{op:?}");
            }
            Op::Read { off, len, .. } => {
                let path = join(&pa, na);
                let Some(node) = m.node(&path) else { continue };
                let mut buf = vec![0u8; len];
                let got = f.read(walk(&f, &path).unwrap(), off, &mut buf);
                match node.k {
                    K::Dir => assert_eq!(got, Err(Errno::EISDIR)),
                    K::Sym => assert_eq!(got, Err(Errno::EINVAL)),
                    K::File => {
                        let d = &node.data;
                        let start = (off as usize).min(d.len());
                        let end = (off as usize + len).min(d.len());
                        assert_eq!(got, Ok(end - start));
                        assert_eq!(&buf[..end - start], &d[start..end]);
                    }
                }
            }
            Op::Chmod { u, mode, dir, .. } => {
                let path = join(&pa, na);
                if !m.paths.contains_key(&path) {
                    continue;
                }
                let who = cred(u);
                let perm = if dir {
                    DIR_MODES[mode]
                } else {
                    FILE_MODES[mode]
                };
                let want = m.chmod(&who, &path, perm);
                let got = f.setattr(
                    &who,
                    walk(&f, &path).unwrap(),
                    SetAttr {
                        perm: Some(perm),
                        ..Default::default()
                    },
                    t(8),
                );
                assert_eq!(want, got.map(|_| ()), "{op:?}");
            }
            Op::Readdir { k, create, .. } => {
                let pp = &pa;
                if !m.is_dir(pp) {
                    continue;
                }
                let d = walk(&f, pp).unwrap();
                let before: BTreeSet<Vec<u8>> =
                    listing(&f, d).into_iter().map(|(n, _)| n).collect();
                let mut seen = vec![];
                let mut pos = 0;
                for _ in 0..k + 2 {
                    match f.readdir(d, pos).unwrap() {
                        Some(e) => {
                            seen.push(e.name);
                            pos = e.next;
                        }
                        None => break,
                    }
                }
                let root = Cred::root();
                if create {
                    if let Ok(id) = m.create(&root, pp, na, K::File, 0o644) {
                        m.ino.insert(
                            id,
                            f.create(&root, d, na.as_bytes(), FileType::Regular, 0o644, 0, t(9))
                                .unwrap(),
                        );
                    }
                } else {
                    let isdir = m.is_dir(&join(pp, na));
                    let want = m.unlink(&root, pp, na, isdir);
                    let got = if isdir {
                        f.rmdir(&root, d, na.as_bytes(), t(9))
                    } else {
                        f.unlink(&root, d, na.as_bytes(), t(9))
                    };
                    assert_eq!(want, got.map(|_| ()));
                }
                while let Some(e) = f.readdir(d, pos).unwrap() {
                    seen.push(e.name);
                    pos = e.next;
                }
                let after: BTreeSet<Vec<u8>> = listing(&f, d).into_iter().map(|(n, _)| n).collect();
                let seen_set: BTreeSet<Vec<u8>> = seen.iter().cloned().collect();
                assert_eq!(seen_set.len(), seen.len(), "a name seen twice: {seen:?}");
                for s in before.intersection(&after) {
                    assert!(seen_set.contains(s), "survivor {s:?} skipped");
                }
                for s in &seen_set {
                    assert!(before.contains(s) || after.contains(s));
                }
            }
            Op::Release { k } => {
                if fs_held.is_empty() {
                    continue;
                }
                let i = k % fs_held.len();
                f.release(fs_held.remove(i));
                m.held.remove(i);
            }
            Op::Fallocate { off, len, keep, .. } => {
                let path = join(&pa, na);
                if !m.paths.contains_key(&path) {
                    continue;
                }
                let want = m.fallocate(&path, off, len, keep);
                let got = f.fallocate(walk(&f, &path).unwrap(), keep, off, len, t(11));
                assert_eq!(want, got, "{op:?}");
            }
            Op::Hold { .. } => {
                let path = join(&pa, na);
                let Some(&id) = m.paths.get(&path) else {
                    continue;
                };
                let ino = walk(&f, &path).unwrap();
                f.hold(ino);
                fs_held.push(ino);
                m.held.push(id);
            }
        }
        check(&f, &m);
    }
    // Remove everything, deepest first, then release the holds.
    let root = Cred::root();
    let paths: Vec<Vec<u8>> = m
        .paths
        .keys()
        .rev()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect();
    for path in paths {
        let (parent, name) = match path.iter().rposition(|b| *b == b'/') {
            Some(i) => (path[..i].to_vec(), path[i + 1..].to_vec()),
            None => (vec![], path.clone()),
        };
        let d = walk(&f, &parent).unwrap();
        if m.is_dir(&path) {
            f.rmdir(&root, d, &name, t(10)).unwrap();
        } else {
            f.unlink(&root, d, &name, t(10)).unwrap();
        }
    }
    for ino in fs_held {
        f.release(ino);
    }
    assert_eq!(f.store().live, 0);
    assert_eq!(f.node_count(), 1);
    assert_eq!(listing(&f, f.root()).len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn agrees_with_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops, Start::Images);
    }

    #[test]
    fn agrees_with_model_when_full(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops, Start::Small);
    }
}
