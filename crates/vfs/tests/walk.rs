//! The path walk against a small in-test tree: every errno rule, mounts,
//! permissions and link counting.

mod common;

use common::{loc, start, user, Ns, TestFs};
use vfs::walk::{
    dir_path, is_root_path, is_under, resolve, resolve_create, resolve_parent, Created, Loc, Mount,
    Mounts, Parent,
};
use vfs::{Cred, Errno, Ino, MAX_LINKS, NAME_MAX, PATH_MAX};

/// The inodes of the standard tree of fs 0:
///
/// ```text
/// /a/b/f        /a/lb -> b      /a/la -> /a      /f    /x (0755 file)
/// /mnt/         /priv/s (priv: 0700, uid 1000, gid 100)
/// /empty -> ""  /dangling -> nothere  /fslash -> f/  /toroot -> /
/// ```
struct T {
    a: Ino,
    b: Ino,
    bf: Ino,
    lb: Ino,
    f: Ino,
    mnt: Ino,
    privd: Ino,
    s: Ino,
    dangling: Ino,
    empty: Ino,
    fslash: Ino,
}

fn tree() -> (Ns, T) {
    let mut fs = TestFs::new();
    let a = fs.mkdir(1, "a", 0o755);
    let b = fs.mkdir(a, "b", 0o755);
    let bf = fs.file(b, "f", 0o644);
    let lb = fs.symlink(a, "lb", "b");
    fs.symlink(a, "la", "/a");
    let f = fs.file(1, "f", 0o644);
    fs.file(1, "x", 0o755);
    let mnt = fs.mkdir(1, "mnt", 0o755);
    let privd = fs.mkdir(1, "priv", 0o700);
    fs.chown(privd, 1000, 100);
    let s = fs.mkdir(privd, "s", 0o755);
    let empty = fs.symlink(1, "empty", "");
    let dangling = fs.symlink(1, "dangling", "nothere");
    let fslash = fs.symlink(1, "fslash", "f/");
    fs.symlink(1, "toroot", "/");
    let t = T {
        a,
        b,
        bf,
        lb,
        f,
        mnt,
        privd,
        s,
        dangling,
        empty,
        fslash,
    };
    (Ns::new(vec![fs]), t)
}

fn rootc() -> Cred {
    Cred::root()
}

/// Resolves from the namespace root, working directory `dir`, as root.
fn r(ns: &Ns, dir: Loc, path: &str, follow: bool) -> Result<Loc, Errno> {
    let c = rootc();
    resolve(ns, start(ns.root(), dir, &c), path.as_bytes(), follow)
}

fn rr(ns: &Ns, path: &str) -> Result<Loc, Errno> {
    r(ns, ns.root(), path, true)
}

fn l(ino: Ino) -> Result<Loc, Errno> {
    Ok(loc(0, ino))
}

#[test]
fn basic_components() {
    let (ns, t) = tree();
    assert_eq!(rr(&ns, "/"), l(1));
    assert_eq!(rr(&ns, "///"), l(1));
    assert_eq!(rr(&ns, "/a/b/f"), l(t.bf));
    assert_eq!(rr(&ns, "//a///b//f"), l(t.bf));
    assert_eq!(rr(&ns, "a/./b/./f"), l(t.bf));
    assert_eq!(rr(&ns, "."), l(1));
    assert_eq!(rr(&ns, "./"), l(1));
    assert_eq!(rr(&ns, "a/b/.."), l(t.a));
    assert_eq!(rr(&ns, "a/b/../.."), l(1));
    assert_eq!(rr(&ns, "/a/b/../../.."), l(1), "`..` at the root stays");
    assert_eq!(rr(&ns, "/../../a"), l(t.a));
    assert_eq!(rr(&ns, ".."), l(1));
    // Relative from a working directory, absolute ignores it.
    assert_eq!(r(&ns, loc(0, t.a), "b/f", true), l(t.bf));
    assert_eq!(r(&ns, loc(0, t.a), "..", true), l(1));
    assert_eq!(r(&ns, loc(0, t.a), "/f", true), l(t.f));
    assert_eq!(r(&ns, loc(0, t.b), "../../f", true), l(t.f));
}

#[test]
fn enoent() {
    let (ns, t) = tree();
    assert_eq!(rr(&ns, ""), Err(Errno::ENOENT));
    assert_eq!(r(&ns, loc(0, t.a), "", true), Err(Errno::ENOENT));
    assert_eq!(rr(&ns, "/nope"), Err(Errno::ENOENT));
    assert_eq!(rr(&ns, "/nope/f"), Err(Errno::ENOENT));
    assert_eq!(rr(&ns, "/nope/"), Err(Errno::ENOENT));
    assert_eq!(rr(&ns, "/a/nope/.."), Err(Errno::ENOENT));
    assert_eq!(rr(&ns, "/empty"), Err(Errno::ENOENT), "empty link target");
    assert_eq!(rr(&ns, "/empty/x"), Err(Errno::ENOENT));
    assert_eq!(
        r(&ns, ns.root(), "/empty", false),
        l(t.empty),
        "not followed: the link itself"
    );
    assert_eq!(rr(&ns, "/dangling"), Err(Errno::ENOENT));
    assert_eq!(r(&ns, ns.root(), "/dangling", false), l(t.dangling));
    assert_eq!(rr(&ns, "/dangling/"), Err(Errno::ENOENT));
}

#[test]
fn name_too_long() {
    let (mut ns, _) = tree();
    let long = "n".repeat(NAME_MAX);
    ns.fss[0].file(1, &long, 0o644);
    assert!(
        rr(&ns, &format!("/{long}")).is_ok(),
        "NAME_MAX itself is fine"
    );
    let longer = "n".repeat(NAME_MAX + 1);
    assert_eq!(rr(&ns, &format!("/{longer}")), Err(Errno::ENAMETOOLONG));
    assert_eq!(rr(&ns, &format!("/{longer}/x")), Err(Errno::ENAMETOOLONG));
    // Found when looked up: an earlier missing component wins.
    assert_eq!(rr(&ns, &format!("/nope/{longer}")), Err(Errno::ENOENT));
    // PATH_MAX counts the NUL: 4095 bytes pass, 4096 do not.
    let mut p = "./".repeat((PATH_MAX - 1) / 2);
    p.push('.');
    assert_eq!(p.len(), PATH_MAX - 1);
    assert_eq!(rr(&ns, &p), l(1));
    p.push('/');
    assert_eq!(p.len(), PATH_MAX);
    assert_eq!(rr(&ns, &p), Err(Errno::ENAMETOOLONG));
    assert_eq!(
        resolve_parent(&ns, start(ns.root(), ns.root(), &rootc()), p.as_bytes()),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        resolve_parent(
            &ns,
            start(ns.root(), ns.root(), &rootc()),
            format!("/{longer}").as_bytes()
        ),
        Err(Errno::ENAMETOOLONG)
    );
}

#[test]
fn enotdir() {
    let (ns, t) = tree();
    assert_eq!(rr(&ns, "/f/x"), Err(Errno::ENOTDIR));
    assert_eq!(rr(&ns, "/f/"), Err(Errno::ENOTDIR));
    assert_eq!(rr(&ns, "/f//"), Err(Errno::ENOTDIR));
    assert_eq!(rr(&ns, "/f/."), Err(Errno::ENOTDIR));
    assert_eq!(rr(&ns, "/f/.."), Err(Errno::ENOTDIR));
    assert_eq!(rr(&ns, "/a/b/f/nope"), Err(Errno::ENOTDIR));
    assert_eq!(r(&ns, ns.root(), "/f/", false), Err(Errno::ENOTDIR));
    // A link to a file, named with a trailing slash: followed, then ENOTDIR.
    assert_eq!(r(&ns, ns.root(), "/fslash", false), l(t.fslash));
    assert_eq!(
        rr(&ns, "/fslash"),
        Err(Errno::ENOTDIR),
        "target ends in a slash"
    );
    assert_eq!(rr(&ns, "/fslash/x"), Err(Errno::ENOTDIR));
    // A relative path from a directory descriptor that is a file.
    assert_eq!(r(&ns, loc(0, t.f), "x", true), Err(Errno::ENOTDIR));
    assert_eq!(r(&ns, loc(0, t.f), ".", true), Err(Errno::ENOTDIR));
    // ... but an absolute one does not look at it.
    assert_eq!(r(&ns, loc(0, t.f), "/a", true), l(t.a));
}

#[test]
fn symlinks() {
    let (ns, t) = tree();
    // In the middle: always followed; relative targets from the link's directory.
    assert_eq!(rr(&ns, "/a/lb/f"), l(t.bf));
    assert_eq!(r(&ns, ns.root(), "/a/lb/f", false), l(t.bf));
    assert_eq!(rr(&ns, "/a/la/la/lb/f"), l(t.bf));
    assert_eq!(
        rr(&ns, "/a/lb/.."),
        l(t.a),
        "`..` after a link is the target's parent"
    );
    assert_eq!(rr(&ns, "/toroot/a"), l(t.a));
    assert_eq!(rr(&ns, "/toroot"), l(1));
    // The final one only when asked, or with a trailing slash.
    assert_eq!(r(&ns, ns.root(), "/a/lb", false), l(t.lb));
    assert_eq!(r(&ns, ns.root(), "/a/lb", true), l(t.b));
    assert_eq!(r(&ns, ns.root(), "/a/lb/", false), l(t.b));
    assert_eq!(r(&ns, ns.root(), "/a/lb//", false), l(t.b));
    assert_eq!(r(&ns, ns.root(), "/a/lb/.", false), l(t.b));
    // Relative from the working directory's link still from the link's directory.
    assert_eq!(r(&ns, loc(0, t.b), "../lb/f", true), l(t.bf));
}

#[test]
fn links_in_a_chroot() {
    let (mut ns, t) = tree();
    let fs = &mut ns.fss[0];
    let inner = fs.mkdir(t.a, "in", 0o755);
    let inf = fs.file(inner, "f", 0o644);
    fs.symlink(t.b, "abs", "/f");
    fs.symlink(t.b, "up", "../../../../f");
    let c = rootc();
    let at = start(loc(0, t.a), loc(0, t.b), &c);
    // Absolute paths and targets start at the process's root.
    assert_eq!(resolve(&ns, at, b"/in/f", true), l(inf));
    assert_eq!(
        resolve(&ns, at, b"abs", true),
        Err(Errno::ENOENT),
        "no /a/f"
    );
    assert_eq!(
        resolve(&ns, at, b"up", true),
        Err(Errno::ENOENT),
        "`..` stops at /a"
    );
    ns.fss[0].file(t.a, "f", 0o644);
    let af = r(&ns, ns.root(), "/a/f", false).unwrap();
    assert_eq!(resolve(&ns, at, b"abs", true), Ok(af));
    assert_eq!(resolve(&ns, at, b"up", true), Ok(af));
    assert_eq!(resolve(&ns, at, b"/../../..", true), l(t.a));
    assert_eq!(resolve(&ns, at, b"/", true), l(t.a));
}

#[test]
fn eloop() {
    let (mut ns, _) = tree();
    let fs = &mut ns.fss[0];
    let d = fs.mkdir(1, "loops", 0o755);
    fs.symlink(d, "self", "self");
    fs.symlink(d, "ping", "pong");
    fs.symlink(d, "pong", "ping");
    fs.symlink(d, "dirself", "dirself/x");
    let target = fs.file(d, "target", 0o644);
    // c0 -> target, ck -> c(k-1): following ck follows k+1 links.
    fs.symlink(d, "c0", "target");
    for k in 1..=MAX_LINKS {
        fs.symlink(d, &format!("c{k}"), &format!("c{}", k - 1));
    }
    let dd = loc(0, d);
    assert_eq!(r(&ns, dd, "self", true), Err(Errno::ELOOP));
    assert_eq!(r(&ns, dd, "self/x", false), Err(Errno::ELOOP));
    assert_eq!(r(&ns, dd, "self", false).map(|l| l.ino), Ok(d + 1));
    assert_eq!(r(&ns, dd, "ping", true), Err(Errno::ELOOP));
    assert_eq!(r(&ns, dd, "dirself", true), Err(Errno::ELOOP));
    let n = MAX_LINKS as usize;
    // 40 links: fine; 41: ELOOP.
    assert_eq!(r(&ns, dd, &format!("c{}", n - 1), true), l(target));
    assert_eq!(r(&ns, dd, &format!("c{n}"), true), Err(Errno::ELOOP));
    assert!(r(&ns, dd, &format!("c{n}"), false).is_ok());
    // The count is per resolution, links in the middle included:
    // 20 in the middle and 20 at the end pass, 20 + 21 do not.
    let mut fs = TestFs::new();
    let mut prev = "end".to_string();
    let end = fs.mkdir(1, "end", 0o755);
    let leaf = fs.file(end, "leaf", 0o644);
    for k in 1..=20 {
        let name = format!("m{k}");
        fs.symlink(1, &name, &prev);
        prev = name;
    }
    fs.symlink(end, "e0", "leaf");
    for k in 1..=20 {
        fs.symlink(end, &format!("e{k}"), &format!("e{}", k - 1));
    }
    let ns2 = Ns::new(vec![fs]);
    assert_eq!(rr(&ns2, "/m20/e19"), l(leaf));
    assert_eq!(rr(&ns2, "/m20/e20"), Err(Errno::ELOOP));
    assert_eq!(
        rr(&ns2, "/m20/m20/.."),
        Err(Errno::ENOENT),
        "no m20 in /end"
    );
}

#[test]
fn permission_walk() {
    let (ns, t) = tree();
    let owner = user(1000, 5, &[]);
    let member = user(7, 5, &[3, 100]);
    let other = user(7, 5, &[3]);
    let go = |c: &Cred, p: &str| resolve(&ns, start(ns.root(), ns.root(), c), p.as_bytes(), true);
    assert_eq!(go(&owner, "/priv/s"), l(t.s));
    // Mode 0700: the group has nothing, so a member is refused too.
    assert_eq!(go(&member, "/priv/s"), Err(Errno::EACCES));
    assert_eq!(go(&other, "/priv/s"), Err(Errno::EACCES));
    assert_eq!(
        go(&other, "/priv/nope"),
        Err(Errno::EACCES),
        "search before lookup"
    );
    assert_eq!(
        go(&other, "/priv/."),
        Err(Errno::EACCES),
        "`.` needs search too"
    );
    assert_eq!(go(&other, "/priv/.."), Err(Errno::EACCES));
    assert_eq!(
        go(&other, "/priv"),
        l(t.privd),
        "naming it needs search of / only"
    );
    assert_eq!(go(&other, "/priv/"), l(t.privd));
    // Relative from a working directory that cannot be searched.
    let at = start(ns.root(), loc(0, t.privd), &other);
    assert_eq!(resolve(&ns, at, b"s", true), Err(Errno::EACCES));
    assert_eq!(resolve(&ns, at, b".", true), Err(Errno::EACCES));
    assert_eq!(resolve(&ns, at, b"/a", true), l(t.a));
    // Past it, with a link whose target passes through it.
    let mut ns = ns;
    ns.fss[0].symlink(1, "ps", "/priv/s");
    let go = |c: &Cred, p: &str| resolve(&ns, start(ns.root(), ns.root(), c), p.as_bytes(), true);
    assert_eq!(go(&other, "/ps"), Err(Errno::EACCES));
    assert!(resolve(&ns, start(ns.root(), ns.root(), &other), b"/ps", false).is_ok());
    assert_eq!(go(&owner, "/ps"), l(t.s));
}

#[test]
fn permission_groups_and_caps() {
    let (mut ns, t) = tree();
    // 0o710: the owner searches, the group searches, others not.
    ns.fss[0].chmod(t.privd, 0o710);
    let member = user(7, 5, &[3, 100]);
    let primary = user(7, 100, &[]);
    let other = user(7, 5, &[3]);
    let go = |c: &Cred, p: &str| resolve(&ns, start(ns.root(), ns.root(), c), p.as_bytes(), true);
    assert_eq!(go(&member, "/priv/s"), l(t.s), "supplementary group");
    assert_eq!(go(&primary, "/priv/s"), l(t.s), "primary group");
    assert_eq!(go(&other, "/priv/s"), Err(Errno::EACCES));
    // The owner class decides for the owner, even if the group could.
    ns.fss[0].chmod(t.privd, 0o610);
    ns.fss[0].chown(t.privd, 7, 100);
    let go = |c: &Cred, p: &str| resolve(&ns, start(ns.root(), ns.root(), c), p.as_bytes(), true);
    assert_eq!(go(&member, "/priv/s"), Err(Errno::EACCES));
    // Root: CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE searches any directory.
    ns.fss[0].chmod(t.privd, 0o000);
    let go = |c: &Cred, p: &str| resolve(&ns, start(ns.root(), ns.root(), c), p.as_bytes(), true);
    assert_eq!(go(&Cred::root(), "/priv/s"), l(t.s));
    let mut rs = user(0, 0, &[]);
    rs.caps = vfs::cap::DAC_READ_SEARCH;
    assert_eq!(go(&rs, "/priv/s"), l(t.s));
    let mut ov = user(0, 0, &[]);
    ov.caps = vfs::cap::DAC_OVERRIDE;
    assert_eq!(go(&ov, "/priv/s"), l(t.s));
    // Uid 0 without the capabilities is an ordinary user (here not the owner).
    assert_eq!(go(&user(0, 0, &[]), "/priv/s"), Err(Errno::EACCES));
}

fn attr(ftype: vfs::FileType, perm: u32, uid: u32, gid: u32) -> vfs::Attr {
    let mut fs = TestFs::new();
    let ino = fs.file(1, "n", perm);
    fs.chown(ino, uid, gid);
    let mut a = vfs::Fs::getattr(&fs, ino).unwrap();
    a.ftype = ftype;
    a
}

#[test]
fn permission_rules() {
    use vfs::{cap, permission, FileType::*, MAY_EXEC as X, MAY_READ as R, MAY_WRITE as W};
    let ok = Ok(());
    let no = Err(Errno::EACCES);
    let u = user(10, 20, &[30]);
    let caps = |c: u64| Cred {
        caps: c,
        ..user(10, 20, &[])
    };
    // Classes: owner, then group (primary or supplementary), then other.
    assert_eq!(permission(&attr(Regular, 0o600, 10, 0), &u, R | W), ok);
    assert_eq!(permission(&attr(Regular, 0o066, 10, 20), &u, R), no);
    assert_eq!(permission(&attr(Regular, 0o060, 11, 30), &u, R | W), ok);
    assert_eq!(permission(&attr(Regular, 0o606, 11, 30), &u, R), no);
    assert_eq!(permission(&attr(Regular, 0o004, 11, 31), &u, R), ok);
    assert_eq!(permission(&attr(Regular, 0o004, 11, 31), &u, W), no);
    assert_eq!(permission(&attr(Regular, 0o000, 11, 31), &u, 0), ok, "F_OK");
    assert_eq!(permission(&attr(Regular, 0o4755, 11, 31), &u, R | X), ok);
    // CAP_DAC_OVERRIDE: read and write always; execute if any x bit, or a directory.
    let ov = caps(cap::DAC_OVERRIDE);
    assert_eq!(permission(&attr(Regular, 0o000, 0, 0), &ov, R | W), ok);
    assert_eq!(permission(&attr(Regular, 0o000, 0, 0), &ov, X), no);
    assert_eq!(permission(&attr(Regular, 0o001, 0, 0), &ov, X), ok);
    assert_eq!(permission(&attr(Regular, 0o010, 0, 0), &ov, R | W | X), ok);
    assert_eq!(
        permission(&attr(Directory, 0o000, 0, 0), &ov, R | W | X),
        ok
    );
    // CAP_DAC_READ_SEARCH: read of anything, read and search of directories.
    let rs = caps(cap::DAC_READ_SEARCH);
    assert_eq!(permission(&attr(Regular, 0o000, 0, 0), &rs, R), ok);
    assert_eq!(permission(&attr(Regular, 0o000, 0, 0), &rs, W), no);
    assert_eq!(permission(&attr(Regular, 0o110, 0, 0), &rs, X), no);
    assert_eq!(permission(&attr(Regular, 0o000, 0, 0), &rs, R | X), no);
    assert_eq!(permission(&attr(Directory, 0o000, 0, 0), &rs, R | X), ok);
    assert_eq!(permission(&attr(Directory, 0o000, 0, 0), &rs, X | W), no);
    // Root holds both.
    let root = Cred::root();
    assert_eq!(permission(&attr(Regular, 0o000, 5, 5), &root, R | W), ok);
    assert_eq!(permission(&attr(Regular, 0o000, 5, 5), &root, X), no);
    assert_eq!(permission(&attr(Regular, 0o100, 5, 5), &root, X), ok);
    assert_eq!(
        permission(&attr(Directory, 0o000, 5, 5), &root, R | W | X),
        ok
    );
}

fn fs_with(dirs: &[&str]) -> TestFs {
    let mut fs = TestFs::new();
    for d in dirs {
        fs.mkdir(1, d, 0o755);
    }
    fs
}

#[test]
fn mounts_crossed_both_ways() {
    let (mut ns, t) = tree();
    let mut m1 = fs_with(&["sub"]);
    m1.file(2, "g", 0o644);
    m1.symlink(1, "up", "../f");
    m1.symlink(1, "abs", "/a");
    ns.fss.push(m1);
    let id = ns.mount(1, loc(0, t.mnt));
    assert_eq!(id, 1);
    assert_eq!(rr(&ns, "/mnt"), Ok(loc(1, 1)));
    assert_eq!(rr(&ns, "/mnt/"), Ok(loc(1, 1)));
    assert_eq!(rr(&ns, "/mnt/sub/g"), Ok(loc(1, 3)));
    assert_eq!(
        rr(&ns, "/mnt/.."),
        l(1),
        "`..` from a mount's root: the mount point's parent"
    );
    assert_eq!(rr(&ns, "/mnt/sub/../.."), l(1));
    assert_eq!(rr(&ns, "/mnt/../mnt/sub"), Ok(loc(1, 2)));
    assert_eq!(
        rr(&ns, "/mnt/up"),
        l(t.f),
        "relative link target crosses up"
    );
    assert_eq!(rr(&ns, "/mnt/abs"), l(t.a));
    assert_eq!(r(&ns, loc(1, 2), "../../a", true), l(t.a));
    assert_eq!(r(&ns, loc(1, 1), "..", true), l(1));
    // The working directory under the mount point: `.` is the hidden directory.
    assert_eq!(r(&ns, loc(0, t.mnt), ".", true), l(t.mnt));
    assert_eq!(r(&ns, loc(0, t.mnt), "../mnt", true), Ok(loc(1, 1)));
    // A link to the mount point leads onto the mount.
    ns.fss[0].symlink(1, "lm", "mnt");
    assert_eq!(rr(&ns, "/lm/sub"), Ok(loc(1, 2)));
    // The parent `..` reaches is covered: step onto what is mounted there.
    let inner = ns.fss[0].mkdir(t.b, "c", 0o755);
    let m2 = fs_with(&[]);
    ns.fss.push(m2);
    let id2 = ns.mount(2, loc(0, t.b));
    assert_eq!(r(&ns, loc(0, inner), "..", true), Ok(loc(id2, 1)));
    assert_eq!(rr(&ns, "/a/b"), Ok(loc(id2, 1)));
    assert_eq!(rr(&ns, "/a/b/f"), Err(Errno::ENOENT), "hidden");
}

#[test]
fn mounts_on_mounts() {
    let (mut ns, t) = tree();
    ns.fss.push(fs_with(&["one"]));
    ns.fss.push(fs_with(&["two"]));
    ns.fss.push(fs_with(&["three"]));
    let a = ns.mount(1, loc(0, t.mnt));
    // A second mount on the same directory goes on top of the first.
    let b = ns.mount(2, loc(0, t.mnt));
    assert_eq!(ns.mounts.list[b].as_ref().unwrap().at, Some(loc(a, 1)));
    assert_eq!(ns.mounts.mounted_on(loc(0, t.mnt)), Some(b));
    assert_eq!(rr(&ns, "/mnt/two"), Ok(loc(b, 2)));
    assert_eq!(rr(&ns, "/mnt/one"), Err(Errno::ENOENT));
    // One on the root of the topmost, named by it.
    let c = ns.mount(3, loc(b, 1));
    assert_eq!(ns.mounts.mounted_on(loc(0, t.mnt)), Some(c));
    assert_eq!(rr(&ns, "/mnt/three"), Ok(loc(c, 2)));
    assert_eq!(rr(&ns, "/mnt/.."), l(1), "through all three");
    assert_eq!(r(&ns, loc(b, 2), "../..", true), l(1));
    assert_eq!(
        dir_path(&ns, ns.root(), loc(c, 2)),
        Ok(b"/mnt/three".to_vec())
    );
    assert_eq!(
        dir_path(&ns, ns.root(), loc(a, 2)),
        Ok(b"/mnt/one".to_vec())
    );
    // Unmounting the top uncovers the one below.
    assert_eq!(ns.mounts.unmount(b), Err(Errno::EBUSY), "c is on it");
    assert_eq!(ns.mounts.unmount(c).map(|m| m.fs), Ok(3));
    assert_eq!(rr(&ns, "/mnt/two"), Ok(loc(b, 2)));
    ns.mounts.unmount(b).unwrap();
    assert_eq!(rr(&ns, "/mnt/one"), Ok(loc(a, 2)));
    // A mount on the root directory covers everything.
    let top = ns.mount(2, ns.root());
    // A process's root is kept as it is: the old one stays in view.
    assert_eq!(rr(&ns, "/two"), Err(Errno::ENOENT));
    assert_eq!(rr(&ns, "/"), l(1));
    assert_eq!(rr(&ns, "/a"), l(t.a));
    let c = rootc();
    let at = start(loc(top, 1), loc(top, 1), &c);
    assert_eq!(resolve(&ns, at, b"/two", true), Ok(loc(top, 2)));
    assert_eq!(resolve(&ns, at, b"/two/../..", true), Ok(loc(top, 1)));
    // From inside it with the old root: nothing above the mount's root.
    assert_eq!(r(&ns, loc(top, 2), "../..", true), Ok(loc(top, 1)));
}

#[test]
fn dotdot_at_a_process_root() {
    let (mut ns, t) = tree();
    ns.fss.push(fs_with(&["d"]));
    let m = ns.mount(1, loc(0, t.mnt));
    let c = rootc();
    // A root that is a mount's root (chroot /mnt): `..` stays.
    let at = start(loc(m, 1), loc(m, 2), &c);
    assert_eq!(resolve(&ns, at, b"..", true), Ok(loc(m, 1)));
    assert_eq!(resolve(&ns, at, b"../../..", true), Ok(loc(m, 1)));
    assert_eq!(resolve(&ns, at, b"/..", true), Ok(loc(m, 1)));
    assert_eq!(resolve(&ns, at, b"../../d", true), Ok(loc(m, 2)));
    // A root that is the hidden directory under a mount: `..` from the
    // mount's root stops there (at the mount's root, as Linux does).
    let at = start(loc(0, t.mnt), loc(m, 2), &c);
    assert_eq!(resolve(&ns, at, b"../..", true), Ok(loc(m, 1)));
    // A working directory outside the root: `..` climbs to the
    // namespace's root and stays.
    let at = start(loc(0, t.a), loc(0, t.privd), &c);
    assert_eq!(resolve(&ns, at, b"../..", true), l(1));
    assert_eq!(resolve(&ns, at, b"/", true), l(t.a));
}

#[test]
fn mount_table() {
    let mut m = Mounts::new(Mount {
        fs: 0,
        at: Some(loc(3, 3)),
        root: 1,
    });
    assert_eq!(m.list[0].as_ref().unwrap().at, None);
    assert_eq!(m.root_of(0), Some(loc(0, 1)));
    assert_eq!(m.root_of(1), None);
    let mk = |fs, at: Option<Loc>| Mount { fs, at, root: 1 };
    assert_eq!(m.mount(mk(1, None)), Err(Errno::EINVAL));
    assert_eq!(
        m.mount(mk(1, Some(loc(5, 2)))),
        Err(Errno::EINVAL),
        "no mount 5"
    );
    let a = m.mount(mk(1, Some(loc(0, 7)))).unwrap();
    assert_eq!(
        m.mount(mk(1, Some(loc(0, 7)))),
        Err(Errno::EBUSY),
        "same fs there"
    );
    assert_eq!(
        m.mount(mk(1, Some(loc(a, 1)))),
        Err(Errno::EBUSY),
        "on its own root"
    );
    let b = m.mount(mk(1, Some(loc(a, 4)))).unwrap(); // same fs elsewhere is fine
    let c = m.mount(mk(2, Some(loc(0, 8)))).unwrap();
    assert_eq!((a, b, c), (1, 2, 3));
    assert_eq!(m.mounted_on(loc(0, 7)), Some(a));
    assert_eq!(m.mounted_on(loc(a, 4)), Some(b));
    assert_eq!(m.mounted_on(loc(0, 9)), None);
    assert_eq!(m.unmount(0), Err(Errno::EBUSY), "the root");
    assert_eq!(m.unmount(a), Err(Errno::EBUSY), "b is inside");
    assert_eq!(m.unmount(9), Err(Errno::EINVAL));
    assert_eq!(m.unmount(b).unwrap().at, Some(loc(a, 4)));
    assert_eq!(m.unmount(b), Err(Errno::EINVAL));
    assert_eq!(m.root_of(b), None);
    assert_eq!(m.mounted_on(loc(a, 4)), None);
    // Ids are stable: c keeps 3, the freed slot is reused.
    assert_eq!(m.mount(mk(4, Some(loc(c, 5)))), Ok(b));
    assert_eq!(m.root_of(c), Some(loc(c, 1)));
    m.unmount(b).unwrap();
    m.unmount(c).unwrap();
    m.unmount(a).unwrap();
    assert_eq!(m.list.iter().filter(|s| s.is_some()).count(), 1);
}

#[test]
fn parent_of_paths() {
    let (ns, t) = tree();
    let c = rootc();
    let at = start(ns.root(), ns.root(), &c);
    let p = |path: &str| resolve_parent(&ns, at, path.as_bytes());
    let par = |dir: Ino, name: &str, trailing_slash: bool| {
        Ok(Parent {
            dir: loc(0, dir),
            name: name.as_bytes().to_vec(),
            trailing_slash,
        })
    };
    assert_eq!(p("/a/b"), par(t.a, "b", false));
    assert_eq!(p("a/new"), par(t.a, "new", false));
    assert_eq!(p("a/new//"), par(t.a, "new", true));
    assert_eq!(p("new"), par(1, "new", false));
    assert_eq!(p("/"), par(1, ".", true));
    assert!(is_root_path(b"//") && !is_root_path(b"/.") && !is_root_path(b""));
    assert_eq!(p("."), par(1, ".", false));
    assert_eq!(p("a/.."), par(t.a, "..", false));
    assert_eq!(p("a/b/./"), par(t.b, ".", true));
    // A final link is not followed, those before are.
    assert_eq!(p("/a/lb"), par(t.a, "lb", false));
    assert_eq!(p("/a/lb/"), par(t.a, "lb", true));
    assert_eq!(p("/a/lb/f"), par(t.b, "f", false));
    assert_eq!(p("/dangling"), par(1, "dangling", false));
    assert_eq!(p(""), Err(Errno::ENOENT));
    assert_eq!(p("/nope/x"), Err(Errno::ENOENT));
    assert_eq!(p("/f/x"), Err(Errno::ENOTDIR));
    assert_eq!(p("/empty/x"), Err(Errno::ENOENT));
    // Search permission on the directory is checked; write is the caller's.
    let other = user(7, 5, &[]);
    let at = start(ns.root(), ns.root(), &other);
    assert_eq!(resolve_parent(&ns, at, b"/priv/x"), Err(Errno::EACCES));
    assert_eq!(resolve_parent(&ns, at, b"/priv"), par(1, "priv", false));
    assert_eq!(resolve_parent(&ns, at, b"/a/new"), par(t.a, "new", false));
}

#[test]
fn create_paths() {
    let (mut ns, t) = tree();
    let fs = &mut ns.fss[0];
    fs.symlink(t.a, "tonew", "b/new");
    fs.symlink(t.a, "toabs", "/a/b/absnew");
    fs.symlink(t.a, "nodir", "nodir/new");
    fs.symlink(t.a, "slashed", "new/");
    fs.symlink(t.a, "missingdir", "nope/new");
    fs.symlink(t.a, "chain", "tonew");
    fs.symlink(t.a, "tobf", "b/f");
    let c = rootc();
    let at = start(ns.root(), loc(0, t.a), &c);
    let cr = |p: &str, follow| resolve_create(&ns, at, p.as_bytes(), follow);
    let absent = |dir, name: &str| {
        Ok(Created::Absent {
            dir: loc(0, dir),
            name: name.as_bytes().to_vec(),
        })
    };
    assert_eq!(cr("b/f", true), Ok(Created::Exists(loc(0, t.bf))));
    assert_eq!(cr("tobf", true), Ok(Created::Exists(loc(0, t.bf))));
    assert_eq!(cr("b/new", true), absent(t.b, "new"));
    // A dangling link creates its target.
    assert_eq!(cr("tonew", true), absent(t.b, "new"));
    assert_eq!(cr("chain", true), absent(t.b, "new"));
    assert_eq!(cr("toabs", true), absent(t.b, "absnew"));
    assert_eq!(
        cr("nodir", true),
        Err(Errno::ELOOP),
        "nodir/new loops on nodir"
    );
    assert_eq!(cr("missingdir", true), Err(Errno::ENOENT));
    assert_eq!(cr("/dangling", true), absent(1, "nothere"));
    assert_eq!(cr("/empty", true), Err(Errno::ENOENT));
    assert_eq!(cr("/nope/x", true), Err(Errno::ENOENT));
    // O_NOFOLLOW / O_EXCL: the link itself.
    let tonew = r(&ns, loc(0, t.a), "tonew", false).unwrap();
    assert_eq!(cr("tonew", false), Ok(Created::Exists(tonew)));
    // Trailing slashes: EISDIR, whether the name exists or not.
    assert_eq!(cr("new/", true), Err(Errno::EISDIR));
    assert_eq!(cr("b/", true), Err(Errno::EISDIR));
    assert_eq!(cr("b/f/", true), Err(Errno::EISDIR));
    assert_eq!(cr("slashed", true), Err(Errno::EISDIR));
    // Dots and the root: that directory (the caller refuses it with EISDIR).
    assert_eq!(cr(".", true), Ok(Created::Exists(loc(0, t.a))));
    assert_eq!(cr("..", true), Ok(Created::Exists(loc(0, 1))));
    assert_eq!(cr("/", true), Ok(Created::Exists(loc(0, 1))));
    assert_eq!(cr("", true), Err(Errno::ENOENT));
    // Search permission on the directory of the name.
    let other = user(7, 5, &[]);
    let at = start(ns.root(), ns.root(), &other);
    assert_eq!(
        resolve_create(&ns, at, b"/priv/new", true),
        Err(Errno::EACCES)
    );
}

#[test]
fn paths_of_directories() {
    let (mut ns, t) = tree();
    ns.fss.push(fs_with(&["d"]));
    let m = ns.mount(1, loc(0, t.mnt));
    let root = ns.root();
    assert_eq!(dir_path(&ns, root, root), Ok(b"/".to_vec()));
    assert_eq!(dir_path(&ns, root, loc(0, t.b)), Ok(b"/a/b".to_vec()));
    assert_eq!(dir_path(&ns, root, loc(m, 1)), Ok(b"/mnt".to_vec()));
    assert_eq!(dir_path(&ns, root, loc(m, 2)), Ok(b"/mnt/d".to_vec()));
    assert_eq!(
        dir_path(&ns, root, loc(0, t.mnt)),
        Ok(b"/mnt".to_vec()),
        "the covered one"
    );
    // Inside a chroot, and outside it (named from the namespace's root).
    assert_eq!(dir_path(&ns, loc(0, t.a), loc(0, t.b)), Ok(b"/b".to_vec()));
    assert_eq!(dir_path(&ns, loc(0, t.a), loc(0, t.a)), Ok(b"/".to_vec()));
    assert_eq!(dir_path(&ns, loc(m, 1), loc(m, 2)), Ok(b"/d".to_vec()));
    assert_eq!(
        dir_path(&ns, loc(0, t.a), loc(0, t.s)),
        Ok(b"/priv/s".to_vec())
    );
    // Removed: unlinked (no links) or gone.
    ns.fss[0].unlink(t.privd, "s");
    assert_eq!(dir_path(&ns, root, loc(0, t.s)), Err(Errno::ENOENT));
    ns.fss[0].forget(t.s);
    assert_eq!(dir_path(&ns, root, loc(0, t.s)), Err(Errno::ENOENT));
    // A working directory that was removed: names in it are gone, `.` is not.
    let at_s = r(&ns, loc(0, t.s), "x", true);
    assert_eq!(at_s, Err(Errno::ENOENT));
}

#[test]
fn under() {
    let (mut ns, t) = tree();
    ns.fss.push(fs_with(&["d"]));
    let m = ns.mount(1, loc(0, t.mnt));
    let root = ns.root();
    assert!(is_under(&ns, root, loc(0, t.bf)));
    assert!(is_under(&ns, root, root));
    assert!(is_under(&ns, loc(0, t.a), loc(0, t.bf)));
    assert!(is_under(&ns, loc(0, t.a), loc(0, t.a)));
    assert!(!is_under(&ns, loc(0, t.a), root));
    assert!(!is_under(&ns, loc(0, t.a), loc(0, t.privd)));
    assert!(is_under(&ns, loc(0, t.mnt), loc(m, 2)), "across the mount");
    assert!(is_under(&ns, root, loc(m, 2)));
    assert!(!is_under(&ns, loc(m, 2), loc(m, 1)));
    assert!(!is_under(&ns, loc(0, t.a), loc(m, 2)));
}
