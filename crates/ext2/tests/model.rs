//! Random sequences of operations against a simple in-memory model; the
//! image must match the model after every case and pass `e2fsck -fn`.

mod common;

use std::collections::BTreeMap;

use common::*;
use ext2::{Error, Fs, MemDevice, ROOT_INO};
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
}

struct Model {
    nodes: BTreeMap<P, Node>,
}

impl Model {
    fn dirs(&self) -> Vec<P> {
        self.nodes
            .iter()
            .filter(|(_, n)| **n == Node::Dir)
            .map(|(p, _)| p.clone())
            .collect()
    }
    fn files(&self) -> Vec<P> {
        self.nodes
            .iter()
            .filter(|(_, n)| **n != Node::Dir)
            .map(|(p, _)| p.clone())
            .collect()
    }
    fn children(&self, p: &P) -> usize {
        self.nodes
            .keys()
            .filter(|k| k.len() == p.len() + 1 && k.starts_with(p))
            .count()
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

fn apply(fs: &mut Fs<MemDevice>, m: &mut Model, op: &Op) {
    let o = common::ROOT;
    match *op {
        Op::Create { dir, name } | Op::Mkdir { dir, name } => {
            let d = pick(&m.dirs(), dir).unwrap();
            let p = join(&d, name);
            let di = ino_of(fs, &d);
            let is_dir = matches!(op, Op::Mkdir { .. });
            let got = if is_dir {
                fs.mkdir(di, p.last().unwrap().as_bytes(), o)
            } else {
                fs.create(di, p.last().unwrap().as_bytes(), o)
            };
            match m.nodes.entry(p) {
                std::collections::btree_map::Entry::Occupied(_) => {
                    assert_eq!(got, Err(Error::Exists))
                }
                std::collections::btree_map::Entry::Vacant(v) => {
                    got.unwrap();
                    v.insert(if is_dir {
                        Node::Dir
                    } else {
                        Node::File(vec![])
                    });
                }
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
            if let Some(Node::File(v)) = m.nodes.get_mut(&p) {
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
            if let Some(Node::File(v)) = m.nodes.get_mut(&p) {
                v.resize(size as usize, 0);
            }
        }
        Op::Unlink { file } => {
            let Some(p) = pick(&m.files(), file) else {
                return;
            };
            let parent = p[..p.len() - 1].to_vec();
            let di = ino_of(fs, &parent);
            fs.unlink(di, p.last().unwrap().as_bytes()).unwrap();
            m.nodes.remove(&p);
        }
        Op::Rmdir { dir } => {
            let dirs: Vec<P> = m.dirs().into_iter().filter(|d| !d.is_empty()).collect();
            let Some(p) = pick(&dirs, dir) else { return };
            let di = ino_of(fs, &p[..p.len() - 1].to_vec());
            let got = fs.rmdir(di, p.last().unwrap().as_bytes());
            if m.children(&p) > 0 {
                assert_eq!(got, Err(Error::NotEmpty));
            } else {
                got.unwrap();
                m.nodes.remove(&p);
            }
        }
        Op::Rename { src, dir, name } => {
            let all: Vec<P> = m.nodes.keys().filter(|k| !k.is_empty()).cloned().collect();
            let Some(s) = pick(&all, src) else { return };
            let d = pick(&m.dirs(), dir).unwrap();
            let t = join(&d, name);
            let sp = s[..s.len() - 1].to_vec();
            let (si, di) = (ino_of(fs, &sp), ino_of(fs, &d));
            let got = fs.rename(
                si,
                s.last().unwrap().as_bytes(),
                di,
                t.last().unwrap().as_bytes(),
            );
            let sdir = m.nodes[&s] == Node::Dir;
            let want = if t == s {
                Ok(())
            } else if sdir && sp != d && d.starts_with(&s) {
                Err(Error::Invalid("a directory moved under itself"))
            } else {
                match m.nodes.get(&t) {
                    Some(Node::Dir) if !sdir => Err(Error::IsDir),
                    Some(Node::File(_)) if sdir => Err(Error::NotDir),
                    Some(Node::Dir) if m.children(&t) > 0 => Err(Error::NotEmpty),
                    _ => Ok(()),
                }
            };
            assert_eq!(got, want, "rename {s:?} -> {t:?}");
            if want.is_ok() && t != s {
                m.nodes.remove(&t);
                let moved: Vec<(P, Node)> = m
                    .nodes
                    .iter()
                    .filter(|(k, _)| k.starts_with(&s))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for (k, v) in moved {
                    m.nodes.remove(&k);
                    let mut nk = t.clone();
                    nk.extend_from_slice(&k[s.len()..]);
                    m.nodes.insert(nk, v);
                }
            }
        }
        Op::Sync => fs.sync().unwrap(),
    }
}

fn check_tree(fs: &mut Fs<MemDevice>, m: &Model) {
    for (p, n) in &m.nodes {
        let ino = ino_of(fs, p);
        match n {
            Node::Dir => {
                let names = fs.read_dir(ino).unwrap().len() - 2;
                let extra = usize::from(p.is_empty()); // lost+found
                assert_eq!(names, m.children(p) + extra, "entries of {p:?}");
                assert_eq!(
                    usize::from(fs.stat(ino).unwrap().nlink),
                    2 + m
                        .nodes
                        .keys()
                        .filter(|k| k.len() == p.len() + 1
                            && k.starts_with(p)
                            && m.nodes[*k] == Node::Dir)
                        .count()
                        + extra
                );
            }
            Node::File(v) => {
                let st = fs.stat(ino).unwrap();
                assert_eq!(st.size, v.len() as u64, "size of {p:?}");
                let mut buf = vec![0u8; v.len()];
                fs.read(ino, 0, &mut buf).unwrap();
                assert!(buf == *v, "contents of {p:?}");
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
        let mut m = Model { nodes: BTreeMap::from([(vec![], Node::Dir)]) };
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
