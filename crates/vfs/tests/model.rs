//! Property test: random trees (several file systems mounted on random
//! directories, random modes and owners, random symbolic links) and
//! random paths, resolved by the walk and by a naive model: the namespace
//! flattened into a map from full path to node, and a recursive resolver
//! over path strings. Both give the same node or the same errno
//! (`resolve`, `resolve_parent`, `resolve_create`), and `dir_path` and `is_under` agree with
//! the map's paths.

mod common;

use std::collections::BTreeMap;

use common::{loc, start, Kind, Ns, TestFs};
use proptest::prelude::*;
use vfs::walk::{dir_path, is_under, resolve, resolve_create, resolve_parent, Created, Loc};
use vfs::{Cred, Errno, Fs, Ino, MAX_LINKS};

const NAMES: [&str; 3] = ["a", "b", "c"];
const COMPONENTS: [&str; 7] = ["a", "b", "c", ".", "..", "", "x"];
const PERMS: [u32; 6] = [0o755, 0o700, 0o711, 0o750, 0o705, 0o000];

#[derive(Clone, Debug)]
struct PathSpec {
    absolute: bool,
    comps: Vec<usize>,
    trailing: bool,
}

impl PathSpec {
    fn text(&self) -> String {
        let mut s = String::new();
        if self.absolute {
            s.push('/');
        }
        let parts: Vec<&str> = self.comps.iter().map(|&c| COMPONENTS[c]).collect();
        s.push_str(&parts.join("/"));
        if self.trailing {
            s.push('/');
        }
        s
    }
}

fn path_spec() -> impl Strategy<Value = PathSpec> {
    // Mostly names that may exist; `x` never does.
    let comp = prop_oneof![6 => 0usize..3, 1 => Just(3), 2 => Just(4), 1 => Just(5), 1 => Just(6)];
    (
        any::<bool>(),
        prop::collection::vec(comp, 0..6),
        any::<bool>(),
    )
        .prop_map(|(absolute, comps, trailing)| PathSpec {
            absolute,
            comps,
            trailing,
        })
}

/// One node: (parent selector, name, kind, perm, owner, link target).
type EntrySpec = (usize, usize, u8, usize, u32, PathSpec);

fn fs_spec() -> impl Strategy<Value = Vec<EntrySpec>> {
    prop::collection::vec(
        (
            0usize..16,
            0..NAMES.len(),
            0u8..4,
            0..PERMS.len(),
            0u32..3,
            path_spec(),
        ),
        0..24,
    )
}

fn build(spec: &[EntrySpec]) -> TestFs {
    let mut fs = TestFs::new();
    let mut dirs: Vec<Ino> = vec![1];
    for (sel, name, kind, perm, owner, target) in spec {
        let dir = dirs[sel % dirs.len()];
        let name = NAMES[*name];
        if fs.lookup(dir, name.as_bytes()).is_ok() {
            continue;
        }
        let ino = match kind {
            0 | 1 => {
                let d = fs.mkdir(dir, name, PERMS[*perm]);
                dirs.push(d);
                d
            }
            2 => fs.file(dir, name, 0o644),
            _ => fs.symlink(dir, name, &target.text()),
        };
        fs.chown(ino, *owner, 10 + owner % 2);
    }
    fs
}

#[derive(Clone, Debug)]
enum MKind {
    /// Search allowed for the test's credentials.
    Dir(bool),
    File,
    Link(String),
}

#[derive(Clone, Debug)]
struct MNode {
    loc: Loc,
    kind: MKind,
}

/// The full path (components joined by `/`, the root is "") of every node
/// in view.
type Map = BTreeMap<String, MNode>;

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn searchable(fs: &TestFs, ino: Ino, cred: &Cred) -> bool {
    let a = &fs.nodes[ino as usize].as_ref().unwrap().attr;
    if cred.caps != 0 {
        return true;
    }
    let bits = if a.uid == cred.uid {
        a.perm >> 6
    } else if a.gid == cred.gid || cred.groups.contains(&a.gid) {
        a.perm >> 3
    } else {
        a.perm
    };
    bits & 1 != 0
}

fn flatten(fs: &TestFs, mount: usize, ino: Ino, path: &str, cred: &Cred, out: &mut Map) {
    let node = fs.nodes[ino as usize].as_ref().unwrap();
    let kind = match &node.kind {
        Kind::Dir(entries) => {
            for (name, &child) in entries {
                flatten(
                    fs,
                    mount,
                    child,
                    &join(path, std::str::from_utf8(name).unwrap()),
                    cred,
                    out,
                );
            }
            MKind::Dir(searchable(fs, ino, cred))
        }
        Kind::File => MKind::File,
        Kind::Link(t) => MKind::Link(String::from_utf8(t.clone()).unwrap()),
    };
    out.insert(
        path.to_string(),
        MNode {
            loc: loc(mount, ino),
            kind,
        },
    );
}

fn under(path: &str, top: &str) -> bool {
    top.is_empty() || path == top || path.starts_with(&format!("{top}/"))
}

/// The naive resolver: canonical paths as component vectors.
struct Model<'m> {
    map: &'m Map,
    root: Vec<String>,
    links: u32,
}

impl Model<'_> {
    fn node(&self, p: &[String]) -> Option<&MNode> {
        self.map.get(&p.join("/"))
    }

    fn is_dir(&self, p: &[String]) -> bool {
        matches!(self.node(p).map(|n| &n.kind), Some(MKind::Dir(_)))
    }

    fn search(&self, p: &[String]) -> Result<(), Errno> {
        match self.node(p).map(|n| &n.kind) {
            Some(MKind::Dir(true)) => Ok(()),
            Some(MKind::Dir(false)) => Err(Errno::EACCES),
            _ => unreachable!("walking from a non-directory"),
        }
    }

    fn walk(
        &mut self,
        mut cur: Vec<String>,
        path: &str,
        follow: bool,
    ) -> Result<Vec<String>, Errno> {
        if path.starts_with('/') {
            cur = self.root.clone();
        }
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let trailing = path.ends_with('/');
        for (i, &c) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            self.search(&cur)?;
            match c {
                "." => {}
                ".." => {
                    if cur != self.root {
                        cur.pop();
                    }
                }
                name => {
                    let mut next = cur.clone();
                    next.push(name.to_string());
                    let node = self.node(&next).ok_or(Errno::ENOENT)?.clone();
                    if let MKind::Link(target) = &node.kind {
                        if !last || follow || trailing {
                            self.links += 1;
                            if self.links > MAX_LINKS {
                                return Err(Errno::ELOOP);
                            }
                            if target.is_empty() {
                                return Err(Errno::ENOENT);
                            }
                            next = self.walk(cur.clone(), target, true)?;
                        }
                    }
                    cur = next;
                }
            }
            if (!last || trailing) && !self.is_dir(&cur) {
                return Err(Errno::ENOTDIR);
            }
        }
        Ok(cur)
    }

    /// The directory and last name of `path` (for resolve_parent).
    fn parent(
        &mut self,
        cwd: Vec<String>,
        path: &str,
    ) -> Result<(Vec<String>, String, bool), Errno> {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let trailing = path.ends_with('/');
        let Some((last, init)) = comps.split_last() else {
            return Ok((self.root.clone(), ".".to_string(), true));
        };
        let mut cur = if path.starts_with('/') {
            self.root.clone()
        } else {
            cwd
        };
        if !init.is_empty() {
            cur = self.walk(cur, &format!("{}/", init.join("/")), true)?;
        }
        self.search(&cur)?;
        Ok((cur, last.to_string(), trailing))
    }

    /// What `open(O_CREAT)` finds: `Ok(path)` of a node, or `Err(dir, name)`
    /// to create.
    fn create(&mut self, cwd: Vec<String>, path: &str, follow: bool) -> Result<Found, Errno> {
        let (mut dir, name, trailing) = self.parent(cwd, path)?;
        match name.as_str() {
            "." => return Ok(Ok(dir)),
            ".." => {
                if dir != self.root {
                    dir.pop();
                }
                return Ok(Ok(dir));
            }
            _ => {}
        }
        if trailing {
            return Err(Errno::EISDIR);
        }
        let mut full = dir.clone();
        full.push(name.clone());
        match self.node(&full).map(|n| n.kind.clone()) {
            None => Ok(Err((dir, name))),
            Some(MKind::Link(target)) if follow => {
                self.links += 1;
                if self.links > MAX_LINKS {
                    return Err(Errno::ELOOP);
                }
                if target.is_empty() {
                    return Err(Errno::ENOENT);
                }
                self.create(dir, &target, true)
            }
            Some(_) => Ok(Ok(full)),
        }
    }
}

/// A node's path, or the directory and name to create.
type Found = Result<Vec<String>, (Vec<String>, String)>;

fn split(p: &str) -> Vec<String> {
    p.split('/')
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

fn creds() -> [Cred; 4] {
    [
        Cred::root(),
        common::user(1, 10, &[]),
        common::user(2, 12, &[11]),
        common::user(5, 12, &[]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn walk_matches_model(
        root_fs in fs_spec(),
        mounts in prop::collection::vec((0usize..64, fs_spec()), 0..3),
        cred_sel in 0usize..4,
        root_sel in 0usize..64,
        cwd_sel in 0usize..64,
        paths in prop::collection::vec((path_spec(), any::<bool>()), 1..10),
    ) {
        let cred = creds()[cred_sel].clone();
        let mut fss = vec![build(&root_fs)];
        let mut map = Map::new();
        flatten(&fss[0], 0, 1, "", &cred, &mut map);
        let mut ns = Ns::new(Vec::new());
        for (sel, spec) in &mounts {
            // A directory in view other than the root.
            let dirs: Vec<String> = map
                .iter()
                .filter(|(p, n)| !p.is_empty() && matches!(n.kind, MKind::Dir(_)))
                .map(|(p, _)| p.clone())
                .collect();
            if dirs.is_empty() {
                break;
            }
            let at = dirs[sel % dirs.len()].clone();
            let fs = build(spec);
            let id = ns.mounts.mount(vfs::walk::Mount { fs: fss.len(), at: Some(map[&at].loc), root: 1 }).unwrap();
            map.retain(|p, _| !under(p, &at));
            flatten(&fs, id, 1, &at, &cred, &mut map);
            fss.push(fs);
        }
        ns.fss = fss;
        let dirs: Vec<String> = map
            .iter()
            .filter(|(_, n)| matches!(n.kind, MKind::Dir(_)))
            .map(|(p, _)| p.clone())
            .collect();
        let root = dirs[root_sel % dirs.len()].clone();
        let cwd = dirs[cwd_sel % dirs.len()].clone();
        let at = start(map[&root].loc, map[&cwd].loc, &cred);

        for (spec, follow) in &paths {
            let path = spec.text();
            let mut model = Model { map: &map, root: split(&root), links: 0 };
            let want = if path.is_empty() {
                Err(Errno::ENOENT)
            } else {
                model.walk(split(&cwd), &path, *follow).map(|p| map[&p.join("/")].loc)
            };
            let got = resolve(&ns, at, path.as_bytes(), *follow);
            prop_assert_eq!(got, want, "resolve {:?} follow {} root {:?} cwd {:?}", path, follow, root, cwd);

            let mut model = Model { map: &map, root: split(&root), links: 0 };
            let want = if path.is_empty() {
                Err(Errno::ENOENT)
            } else {
                model.parent(split(&cwd), &path).map(|(d, n, t)| (map[&d.join("/")].loc, n, t))
            };
            let got = resolve_parent(&ns, at, path.as_bytes()).map(|p| (p.dir, String::from_utf8(p.name).unwrap(), p.trailing_slash));
            prop_assert_eq!(got, want, "resolve_parent {:?} root {:?} cwd {:?}", path, root, cwd);

            let mut model = Model { map: &map, root: split(&root), links: 0 };
            let want = if path.is_empty() {
                Err(Errno::ENOENT)
            } else {
                model.create(split(&cwd), &path, *follow).map(|r| match r {
                    Ok(p) => Created::Exists(map[&p.join("/")].loc),
                    Err((d, name)) => Created::Absent { dir: map[&d.join("/")].loc, name: name.into_bytes() },
                })
            };
            let got = resolve_create(&ns, at, path.as_bytes(), *follow);
            prop_assert_eq!(got, want, "resolve_create {:?} follow {} root {:?} cwd {:?}", path, follow, root, cwd);
        }

        // Every directory in view is named by its path; below the root or not.
        for d in &dirs {
            let l = map[d].loc;
            prop_assert_eq!(dir_path(&ns, ns.root(), l), Ok(format!("/{d}").into_bytes()));
            prop_assert_eq!(is_under(&ns, map[&root].loc, l), under(d, &root), "{:?} under {:?}", d, root);
            if under(d, &root) {
                let rest = d[root.len()..].trim_start_matches('/');
                prop_assert_eq!(dir_path(&ns, map[&root].loc, l), Ok(format!("/{rest}").into_bytes()));
            }
        }
    }
}
