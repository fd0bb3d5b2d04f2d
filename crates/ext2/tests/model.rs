//! Random sequences of operations against a simple in-memory model; the
//! image must match the model after every case and pass `e2fsck -fn`.

mod common;

use std::collections::BTreeMap;

use common::*;
use ext2::{Error, FileType, Fs, MemDevice, ROOT_INO};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Create {
        dir: usize,
        name: u8,
    },
    Mkdir {
        dir: usize,
        name: u8,
    },
    Symlink {
        dir: usize,
        name: u8,
        len: u8,
    },
    Link {
        file: usize,
        dir: usize,
        name: u8,
    },
    Write {
        file: usize,
        off: u32,
        len: u16,
        seed: u8,
    },
    Truncate {
        file: usize,
        size: u32,
    },
    Unlink {
        file: usize,
    },
    Rmdir {
        dir: usize,
    },
    Rename {
        src: usize,
        dir: usize,
        name: u8,
    },
    Sync,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<usize>(), 0..6u8).prop_map(|(dir, name)| Op::Create { dir, name }),
        2 => (any::<usize>(), 0..6u8).prop_map(|(dir, name)| Op::Mkdir { dir, name }),
        1 => (any::<usize>(), 0..6u8, 1..200u8).prop_map(|(dir, name, len)| Op::Symlink { dir, name, len }),
        1 => (any::<usize>(), any::<usize>(), 0..6u8).prop_map(|(file, dir, name)| Op::Link { file, dir, name }),
        4 => (any::<usize>(), 0..400_000u32, 0..20_000u16, any::<u8>())
            .prop_map(|(file, off, len, seed)| Op::Write { file, off, len, seed }),
        2 => (any::<usize>(), 0..400_000u32).prop_map(|(file, size)| Op::Truncate { file, size }),
        1 => any::<usize>().prop_map(|file| Op::Unlink { file }),
        1 => any::<usize>().prop_map(|dir| Op::Rmdir { dir }),
        2 => (any::<usize>(), any::<usize>(), 0..6u8).prop_map(|(src, dir, name)| Op::Rename { src, dir, name }),
        1 => Just(Op::Sync),
    ]
}

/// A path is a list of names; the root is the empty list.
type P = Vec<String>;

#[derive(Clone, Debug, PartialEq)]
enum Node {
    File(Vec<u8>),
    Dir,
    Symlink(Vec<u8>),
}

/// Names to node ids (hard links share an id), ids to nodes.
struct Model {
    names: BTreeMap<P, u32>,
    nodes: BTreeMap<u32, Node>,
    next: u32,
}

impl Model {
    fn node(&self, p: &P) -> &Node {
        &self.nodes[&self.names[p]]
    }
    fn select(&self, f: impl Fn(&Node) -> bool) -> Vec<P> {
        self.names
            .keys()
            .filter(|p| f(self.node(p)))
            .cloned()
            .collect()
    }
    fn dirs(&self) -> Vec<P> {
        self.select(|n| *n == Node::Dir)
    }
    fn files(&self) -> Vec<P> {
        self.select(|n| matches!(n, Node::File(_)))
    }
    fn non_dirs(&self) -> Vec<P> {
        self.select(|n| *n != Node::Dir)
    }
    fn children(&self, p: &P) -> impl Iterator<Item = &P> + '_ {
        let p = p.clone();
        self.names
            .keys()
            .filter(move |k| k.len() == p.len() + 1 && k.starts_with(&p))
    }
    fn add(&mut self, p: P, n: Node) {
        self.next += 1;
        self.names.insert(p, self.next);
        self.nodes.insert(self.next, n);
    }
}

fn ino_of(fs: &mut Fs<MemDevice>, p: &P) -> u32 {
    let mut ino = ROOT_INO;
    for n in p {
        ino = fs.lookup(ino, n.as_bytes()).unwrap();
    }
    ino
}

fn pick<T: Clone>(v: &[T], i: usize) -> Option<T> {
    if v.is_empty() {
        None
    } else {
        Some(v[i % v.len()].clone())
    }
}

fn join(p: &P, name: u8) -> P {
    let mut q = p.clone();
    q.push(format!("n{name}"));
    q
}

fn parent(p: &P) -> P {
    p[..p.len() - 1].to_vec()
}

fn last(p: &P) -> &[u8] {
    p.last().unwrap().as_bytes()
}

fn apply(fs: &mut Fs<MemDevice>, m: &mut Model, op: &Op) {
    let o = common::ROOT;
    match *op {
        Op::Create { dir, name } | Op::Mkdir { dir, name } | Op::Symlink { dir, name, .. } => {
            let d = pick(&m.dirs(), dir).unwrap();
            let p = join(&d, name);
            let di = ino_of(fs, &d);
            let (got, node) = match *op {
                Op::Mkdir { .. } => (fs.mkdir(di, last(&p), o), Node::Dir),
                Op::Symlink { len, .. } => {
                    let t = vec![b't'; usize::from(len)];
                    (fs.symlink(di, last(&p), &t, o), Node::Symlink(t))
                }
                _ => (fs.create(di, last(&p), o), Node::File(vec![])),
            };
            if m.names.contains_key(&p) {
                assert_eq!(got, Err(Error::Exists));
            } else {
                got.unwrap();
                m.add(p, node);
            }
        }
        Op::Link { file, dir, name } => {
            let Some(f) = pick(&m.non_dirs(), file) else {
                return;
            };
            let d = pick(&m.dirs(), dir).unwrap();
            let p = join(&d, name);
            let (fi, di) = (ino_of(fs, &f), ino_of(fs, &d));
            let got = fs.link(fi, di, last(&p));
            if m.names.contains_key(&p) {
                assert_eq!(got, Err(Error::Exists));
            } else {
                got.unwrap();
                let id = m.names[&f];
                m.names.insert(p, id);
            }
        }
        Op::Write {
            file,
            off,
            len,
            seed,
        } => {
            let Some(p) = pick(&m.files(), file) else {
                return;
            };
            let data = pattern(u64::from(seed), usize::from(len));
            let ino = ino_of(fs, &p);
            assert_eq!(fs.write(ino, u64::from(off), &data).unwrap(), data.len());
            let id = m.names[&p];
            if let Some(Node::File(v)) = m.nodes.get_mut(&id) {
                if !data.is_empty() {
                    let end = off as usize + data.len();
                    if v.len() < end {
                        v.resize(end, 0);
                    }
                    v[off as usize..end].copy_from_slice(&data);
                }
            }
        }
        Op::Truncate { file, size } => {
            let Some(p) = pick(&m.files(), file) else {
                return;
            };
            let ino = ino_of(fs, &p);
            fs.truncate(ino, u64::from(size)).unwrap();
            let id = m.names[&p];
            if let Some(Node::File(v)) = m.nodes.get_mut(&id) {
                v.resize(size as usize, 0);
            }
        }
        Op::Unlink { file } => {
            let Some(p) = pick(&m.non_dirs(), file) else {
                return;
            };
            let di = ino_of(fs, &parent(&p));
            fs.unlink(di, last(&p)).unwrap();
            m.names.remove(&p);
        }
        Op::Rmdir { dir } => {
            let dirs: Vec<P> = m.dirs().into_iter().filter(|d| !d.is_empty()).collect();
            let Some(p) = pick(&dirs, dir) else { return };
            let di = ino_of(fs, &parent(&p));
            let got = fs.rmdir(di, last(&p));
            if m.children(&p).count() > 0 {
                assert_eq!(got, Err(Error::NotEmpty));
            } else {
                got.unwrap();
                m.names.remove(&p);
            }
        }
        Op::Rename { src, dir, name } => {
            let all: Vec<P> = m.names.keys().filter(|k| !k.is_empty()).cloned().collect();
            let Some(s) = pick(&all, src) else { return };
            let d = pick(&m.dirs(), dir).unwrap();
            let t = join(&d, name);
            let sp = parent(&s);
            let (si, di) = (ino_of(fs, &sp), ino_of(fs, &d));
            let got = fs.rename(si, last(&s), di, last(&t));
            let sdir = *m.node(&s) == Node::Dir;
            let same = m.names.get(&t) == Some(&m.names[&s]);
            let want = if same {
                Ok(())
            } else if sdir && sp != d && d.starts_with(&s) {
                Err(Error::Invalid("a directory moved under itself"))
            } else {
                match m.names.get(&t).map(|_| m.node(&t)) {
                    Some(Node::Dir) if !sdir => Err(Error::IsDir),
                    Some(Node::File(_) | Node::Symlink(_)) if sdir => Err(Error::NotDir),
                    Some(Node::Dir) if m.children(&t).count() > 0 => Err(Error::NotEmpty),
                    _ => Ok(()),
                }
            };
            assert_eq!(got, want, "rename {s:?} -> {t:?}");
            if want.is_ok() && !same {
                m.names.remove(&t);
                let moved: Vec<(P, u32)> = m
                    .names
                    .iter()
                    .filter(|(k, _)| k.starts_with(&s))
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                for (k, v) in moved {
                    m.names.remove(&k);
                    let mut nk = t.clone();
                    nk.extend_from_slice(&k[s.len()..]);
                    m.names.insert(nk, v);
                }
            }
        }
        Op::Sync => fs.sync().unwrap(),
    }
}

fn check_tree(fs: &mut Fs<MemDevice>, m: &Model) {
    let mut inos: BTreeMap<u32, u32> = BTreeMap::new();
    for (p, id) in &m.names {
        let ino = ino_of(fs, p);
        assert_eq!(
            *inos.entry(*id).or_insert(ino),
            ino,
            "hard links of {p:?} share an inode"
        );
        let st = fs.stat(ino).unwrap();
        let links = m.names.values().filter(|v| *v == id).count();
        match &m.nodes[id] {
            Node::Dir => {
                let names = fs.read_dir(ino).unwrap().len() - 2;
                let extra = usize::from(p.is_empty()); // lost+found
                assert_eq!(names, m.children(p).count() + extra, "entries of {p:?}");
                let subdirs = m.children(p).filter(|c| *m.node(c) == Node::Dir).count();
                assert_eq!(usize::from(st.nlink), 2 + subdirs + extra, "links of {p:?}");
            }
            Node::File(v) => {
                assert_eq!(st.file_type, Some(FileType::Regular));
                assert_eq!(usize::from(st.nlink), links, "links of {p:?}");
                assert_eq!(st.size, v.len() as u64, "size of {p:?}");
                let mut buf = vec![0u8; v.len()];
                fs.read(ino, 0, &mut buf).unwrap();
                assert!(buf == *v, "contents of {p:?}");
            }
            Node::Symlink(t) => {
                assert_eq!(usize::from(st.nlink), links, "links of {p:?}");
                assert_eq!(fs.readlink(ino).unwrap(), *t, "target of {p:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn operations_match_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        if !have_tools() {
            return Ok(());
        }
        let dir = scratch("model");
        let image = dir.join("image");
        mkfs(&image, 8 << 10, &["-b", "1024"]);
        let mut fs = Fs::open(MemDevice::from_vec(std::fs::read(&image).unwrap())).unwrap();
        let mut m = Model { names: BTreeMap::new(), nodes: BTreeMap::new(), next: 0 };
        m.add(vec![], Node::Dir);
        for op in &ops {
            apply(&mut fs, &mut m, op);
        }
        check_tree(&mut fs, &m);
        fs.sync().unwrap();
        std::fs::write(&image, fs.into_device().into_vec()).unwrap();
        assert_clean(&image);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
