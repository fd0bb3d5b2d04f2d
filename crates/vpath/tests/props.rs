//! Normalisation is idempotent and never climbs above the root; walks
//! over a tree without links agree with lexical normalisation; walks over
//! trees with random links end on a real path (every prefix a directory,
//! no link left to follow) or fail with the error Linux gives.

use std::collections::BTreeMap;

use proptest::prelude::*;
use vpath::{normalize, normalized, resolve, walk, Errno, Kind, Tree};

/// A test tree: normalised path -> (kind, link target).
#[derive(Default, Debug)]
struct Map(BTreeMap<String, (Kind, String)>);

impl Map {
    fn new() -> Map {
        let mut m = Map::default();
        m.0.insert(String::new(), (Kind::Dir, String::new()));
        m
    }
    fn add(&mut self, path: &str, kind: Kind, target: &str) {
        self.0.insert(path.into(), (kind, target.into()));
    }
}

impl Tree for Map {
    type Node = usize;
    fn lookup(&self, path: &str) -> Option<(usize, Kind)> {
        self.0
            .keys()
            .position(|k| k == path)
            .map(|i| (i, self.0[path].0))
    }
    fn read_link(&self, node: usize) -> String {
        self.0.values().nth(node).unwrap().1.clone()
    }
}

fn component() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ab]{1,2}",
        1 => Just(".".to_string()),
        1 => Just("..".to_string()),
        1 => Just(String::new()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    (any::<bool>(), proptest::collection::vec(component(), 0..7)).prop_map(|(abs, cs)| {
        let p = cs.join("/");
        if abs {
            format!("/{p}")
        } else {
            p
        }
    })
}

fn cwd() -> impl Strategy<Value = String> {
    proptest::collection::vec("[ab]{1,2}", 0..3).prop_map(|cs| cs.join("/"))
}

/// Every directory up to depth 3 over names a, b, aa, ab, ba, bb.
fn full_tree() -> Map {
    let mut m = Map::new();
    let names = ["a", "b", "aa", "ab", "ba", "bb"];
    let mut level = vec![String::new()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for d in &level {
            for n in names {
                let p = if d.is_empty() {
                    n.to_string()
                } else {
                    format!("{d}/{n}")
                };
                m.add(&p, Kind::Dir, "");
                next.push(p);
            }
        }
        level = next;
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn normalisation_is_idempotent_and_clean(cwd in cwd(), p in path()) {
        let n = normalized(&cwd, &p);
        prop_assert!(!n.starts_with('/') && !n.ends_with('/'));
        for c in normalize("", &n) {
            prop_assert!(!matches!(c, "" | "." | ".."));
        }
        prop_assert_eq!(normalized("", &format!("/{n}")), n.clone());
        prop_assert_eq!(normalized(&n, ""), n.clone());
        prop_assert_eq!(normalized("x/y", &format!("/{n}")), n);
    }

    #[test]
    fn dotdot_never_climbs_above_the_root(k in 0usize..6, p in path()) {
        let up = "../".repeat(k);
        let rel = p.trim_start_matches('/');
        prop_assert_eq!(normalized("", &format!("/{up}{rel}")), normalized("", &format!("/{rel}")));
    }

    #[test]
    fn link_free_walks_are_lexical(cwd in cwd(), p in path()) {
        let tree = full_tree();
        let got = walk(&tree, &cwd, p.as_bytes(), true);
        // The lexical walk: does it ever step below depth 3 (where the
        // tree ends)?
        let full = if p.starts_with('/') { p.clone() } else { format!("{cwd}/{p}") };
        let mut depth = 0usize;
        let mut too_deep = false;
        for c in full.split('/') {
            match c {
                "" | "." => {}
                ".." => depth = depth.saturating_sub(1),
                _ => {
                    depth += 1;
                    too_deep |= depth > 3;
                }
            }
        }
        if p.is_empty() || too_deep {
            prop_assert_eq!(got, Err(Errno::ENOENT));
        } else {
            prop_assert_eq!(got, Ok(normalized(&cwd, &p)));
        }
    }

    #[test]
    fn walks_with_links_end_on_real_paths(
        links in proptest::collection::vec(("[ab]{1,2}", "[ab]{1,2}", path()), 1..8),
        files in proptest::collection::vec("[ab]{1,2}/[ab]{1,2}", 0..4),
        cwd in cwd(),
        p in path(),
        follow in any::<bool>(),
    ) {
        let mut tree = full_tree();
        for (dir, name, target) in &links {
            tree.add(&format!("{dir}/{name}"), Kind::Link, target);
        }
        for f in &files {
            tree.add(f, Kind::Other, "");
        }
        match walk(&tree, &cwd, p.as_bytes(), follow) {
            Ok(n) => {
                let cs = normalize("", &n);
                for i in 0..cs.len() {
                    let prefix = cs[..i].join("/");
                    prop_assert_eq!(tree.lookup(&prefix).map(|(_, k)| k), Some(Kind::Dir));
                }
                if follow {
                    prop_assert_ne!(tree.lookup(&n).map(|(_, k)| k), Some(Kind::Link));
                }
            }
            Err(e) => prop_assert!(matches!(e, Errno::ENOENT | Errno::ENOTDIR | Errno::ELOOP)),
        }
    }
}

#[test]
fn links_are_followed_relative_to_their_directory() {
    let mut t = Map::new();
    t.add("bin", Kind::Dir, "");
    t.add("bin/sh", Kind::Link, "busybox");
    t.add("bin/busybox", Kind::Other, "");
    t.add("usr", Kind::Dir, "");
    t.add("usr/bin", Kind::Link, "../bin");
    t.add("abs", Kind::Link, "/bin/sh");
    assert_eq!(walk(&t, "", b"/usr/bin/sh", true).unwrap(), "bin/busybox");
    assert_eq!(walk(&t, "usr", b"bin/sh", false).unwrap(), "bin/sh");
    assert_eq!(walk(&t, "", b"abs", true).unwrap(), "bin/busybox");
    assert_eq!(walk(&t, "", b"abs", false).unwrap(), "abs");
    assert_eq!(
        resolve(&t, "", b"/bin/busybox/", true).unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(resolve(&t, "", b"/bin/", true).unwrap().0, "bin");
    assert_eq!(
        walk(&t, "", b"/bin/busybox/x", true).unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(walk(&t, "", b"/nope/x", true).unwrap_err(), Errno::ENOENT);
    assert_eq!(walk(&t, "", b"", true).unwrap_err(), Errno::ENOENT);
    assert_eq!(
        walk(&t, "", &[b'/'; 4097], true).unwrap_err(),
        Errno::ENAMETOOLONG
    );
    assert_eq!(walk(&t, "", b"/\xff", true).unwrap_err(), Errno::ENOENT);
}

#[test]
fn eight_links_in_a_row_are_fine_nine_are_eloop() {
    let mut t = Map::new();
    t.add("end", Kind::Other, "");
    for i in 0..9 {
        let next = if i == 0 {
            "end".to_string()
        } else {
            format!("l{}", i - 1)
        };
        t.add(&format!("l{i}"), Kind::Link, &next);
    }
    assert_eq!(walk(&t, "", b"/l7", true).unwrap(), "end");
    assert_eq!(walk(&t, "", b"/l8", true).unwrap_err(), Errno::ELOOP);
    assert_eq!(walk(&t, "", b"/l8", false).unwrap(), "l8");
    t.add("self", Kind::Link, "self");
    assert_eq!(walk(&t, "", b"/self", true).unwrap_err(), Errno::ELOOP);
    // A link in the middle is followed even when the last one is not.
    t.add("d", Kind::Dir, "");
    t.add("d/x", Kind::Other, "");
    t.add("dl", Kind::Link, "d");
    assert_eq!(walk(&t, "", b"/dl/x", false).unwrap(), "d/x");
    assert_eq!(walk(&t, "", b"/dl/.", false).unwrap(), "dl");
}
