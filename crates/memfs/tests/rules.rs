//! One test per rule of the file system: attributes and times, directory
//! offsets, permissions, errors, rename flags, contents and the byte
//! limit, holds, statfs. Every test ends with the store's page count
//! checked after everything is removed where pages were used.

mod common;

use common::{fs, fs_with, t, TestStore, BIG};
use memfs::{
    Errno, FileType, Limits, MemFs, PageRef, RenameFlags, SetAttr, TimeSet, MAX_LINKS, PAGE,
};
use vfs::{cap, Cred, Fs};

const REG: FileType = FileType::Regular;
const DIR: FileType = FileType::Directory;

fn user(uid: u32) -> Cred {
    Cred {
        uid,
        gid: uid,
        groups: vec![],
        caps: 0,
    }
}

fn root() -> Cred {
    Cred::root()
}

fn mk(f: &mut MemFs<TestStore>, who: &Cred, dir: u64, name: &str, ft: FileType, perm: u32) -> u64 {
    f.create(who, dir, name.as_bytes(), ft, perm, 0, t(2))
        .unwrap()
}

fn names(f: &MemFs<TestStore>, dir: u64) -> Vec<String> {
    let mut out = vec![];
    let mut pos = 0;
    while let Some(e) = f.readdir(dir, pos).unwrap() {
        out.push(String::from_utf8(e.name).unwrap());
        pos = e.next;
    }
    out
}

const NONE: RenameFlags = RenameFlags {
    noreplace: false,
    exchange: false,
};
const NOREPLACE: RenameFlags = RenameFlags {
    noreplace: true,
    exchange: false,
};
const EXCHANGE: RenameFlags = RenameFlags {
    noreplace: false,
    exchange: true,
};

#[test]
fn create_sets_attrs_and_times() {
    let mut f = fs();
    let r = f.root();
    let u = user(1000);
    let a = f.create(&u, r, b"a", REG, 0o640, 0, t(5)).unwrap();
    let at = f.getattr(a).unwrap();
    assert_eq!(
        (at.ftype, at.perm, at.uid, at.gid, at.nlink, at.size),
        (REG, 0o640, 1000, 1000, 1, 0)
    );
    assert_eq!((at.atime, at.mtime, at.ctime), (t(5), t(5), t(5)));
    let rt = f.getattr(r).unwrap();
    assert_eq!((rt.mtime, rt.ctime, rt.atime), (t(5), t(5), t(1)));
    let d = f.create(&u, r, b"d", DIR, 0o6755, 0, t(6)).unwrap();
    let dt = f.getattr(d).unwrap();
    assert_eq!(
        (dt.nlink, dt.perm),
        (2, 0o755),
        "a directory takes no set-id bits from mkdir"
    );
    assert_eq!(f.getattr(r).unwrap().nlink, 3);
    assert_eq!(f.lookup(r, b"d"), Ok(d));
    assert_eq!(f.parent(d), Ok(r));
    assert_eq!(f.parent(r), Ok(r));
    assert_eq!(f.name_of(r, d), Ok(b"d".to_vec()));
    assert_eq!(f.name_of(r, 999), Err(Errno::ENOENT));
    let dev = f
        .create(
            &root(),
            r,
            b"null",
            FileType::CharDevice,
            0o666,
            0x103,
            t(2),
        )
        .unwrap();
    assert_eq!(f.getattr(dev).unwrap().rdev, 0x103);
    assert_eq!(
        f.create(&u, r, b"null2", FileType::CharDevice, 0o666, 0x103, t(2)),
        Err(Errno::EPERM)
    );
    let fifo = f
        .create(&u, r, b"fifo", FileType::Fifo, 0o600, 0, t(2))
        .unwrap();
    assert_eq!(f.getattr(fifo).unwrap().ftype, FileType::Fifo);
    assert_eq!(
        f.create(&u, r, b"s", FileType::Symlink, 0o777, 0, t(2)),
        Err(Errno::EINVAL)
    );
}

#[test]
fn inos_are_not_reused() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    f.unlink(&root(), r, b"a", t(3)).unwrap();
    assert_eq!(f.getattr(a), Err(Errno::ENOENT));
    let b = mk(&mut f, &root(), r, "a", REG, 0o644);
    assert_ne!(a, b);
    assert!(b > a);
}

#[test]
fn create_errors() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    assert_eq!(
        f.create(&root(), r, b"a", REG, 0o644, 0, t(2)),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        f.create(&root(), r, b".", DIR, 0o755, 0, t(2)),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        f.create(&root(), a, b"x", REG, 0o644, 0, t(2)),
        Err(Errno::ENOTDIR)
    );
    let long = vec![b'x'; 256];
    assert_eq!(
        f.create(&root(), r, &long, REG, 0o644, 0, t(2)),
        Err(Errno::ENAMETOOLONG)
    );
    assert!(f
        .create(&root(), r, &long[..255], REG, 0o644, 0, t(2))
        .is_ok());
    assert_eq!(f.lookup(a, b"x"), Err(Errno::ENOTDIR));
    assert_eq!(f.lookup(r, b"zz"), Err(Errno::ENOENT));
    // No write permission: EACCES, but an existing name is EEXIST first.
    let d = mk(&mut f, &root(), r, "ro", DIR, 0o755);
    mk(&mut f, &root(), d, "x", REG, 0o644);
    let u = user(1000);
    assert_eq!(
        f.create(&u, d, b"y", REG, 0o644, 0, t(2)),
        Err(Errno::EACCES)
    );
    assert_eq!(
        f.create(&u, d, b"x", REG, 0o644, 0, t(2)),
        Err(Errno::EEXIST)
    );
    // No search permission: EACCES even for an existing name.
    let ns = mk(&mut f, &root(), r, "nosearch", DIR, 0o776);
    assert_eq!(
        f.create(&u, ns, b"y", REG, 0o644, 0, t(2)),
        Err(Errno::EACCES)
    );
}

#[test]
fn setgid_directory_inheritance() {
    let mut f = fs();
    let r = f.root();
    let g = mk(&mut f, &root(), r, "g", DIR, 0o777);
    f.setattr(
        &root(),
        g,
        SetAttr {
            gid: Some(50),
            perm: Some(0o2777),
            ..Default::default()
        },
        t(2),
    )
    .unwrap();
    let u = user(1000);
    let file = f.create(&u, g, b"f", REG, 0o2755, 0, t(3)).unwrap();
    let fa = f.getattr(file).unwrap();
    assert_eq!(
        (fa.uid, fa.gid, fa.perm),
        (1000, 50, 0o755),
        "sgid dropped: not in group 50"
    );
    let sub = f.create(&u, g, b"sub", DIR, 0o755, 0, t(3)).unwrap();
    let sa = f.getattr(sub).unwrap();
    assert_eq!((sa.gid, sa.perm), (50, 0o2755));
    let mut member = user(1001);
    member.groups.push(50);
    let kept = f.create(&member, g, b"k", REG, 0o2755, 0, t(3)).unwrap();
    assert_eq!(f.getattr(kept).unwrap().perm, 0o2755);
    let sym = f.symlink(&u, g, b"l", b"target", t(3)).unwrap();
    assert_eq!(f.getattr(sym).unwrap().gid, 50);
}

#[test]
fn symlinks() {
    let mut f = fs();
    let r = f.root();
    let u = user(7);
    let l = f.symlink(&u, r, b"l", b"some/where", t(3)).unwrap();
    let a = f.getattr(l).unwrap();
    assert_eq!(
        (a.ftype, a.perm, a.size, a.uid, a.nlink),
        (FileType::Symlink, 0o777, 10, 7, 1)
    );
    assert_eq!(f.readlink(l), Ok(b"some/where".to_vec()));
    assert_eq!(f.readlink(r), Err(Errno::EINVAL));
    assert_eq!(f.symlink(&u, r, b"l", b"x", t(3)), Err(Errno::EEXIST));
    assert_eq!(f.symlink(&u, r, b"e", b"", t(3)), Err(Errno::ENOENT));
    assert_eq!(
        f.symlink(&u, r, b"big", &[b'a'; PAGE], t(3)),
        Err(Errno::ENAMETOOLONG)
    );
    assert!(f.symlink(&u, r, b"big", &[b'a'; PAGE - 1], t(3)).is_ok());
    let d = mk(&mut f, &root(), r, "d", DIR, 0o755);
    assert_eq!(f.symlink(&u, d, b"x", b"y", t(3)), Err(Errno::EACCES));
    assert_eq!(f.read(l, 0, &mut [0; 4]), Err(Errno::EINVAL));
}

#[test]
fn link_rules() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    f.link(&root(), a, r, b"b", t(7)).unwrap();
    let at = f.getattr(a).unwrap();
    assert_eq!((at.nlink, at.ctime), (2, t(7)));
    assert_eq!(f.getattr(r).unwrap().mtime, t(7));
    assert_eq!(f.lookup(r, b"b"), Ok(a));
    assert_eq!(f.link(&root(), a, r, b"b", t(7)), Err(Errno::EEXIST));
    let d = mk(&mut f, &root(), r, "d", DIR, 0o777);
    assert_eq!(f.link(&root(), d, r, b"dl", t(7)), Err(Errno::EPERM));
    assert_eq!(f.link(&root(), 12345, r, b"x", t(7)), Err(Errno::ENOENT));
    // protected_hardlinks: a non-owner needs read and write on a plain file.
    let u = user(1000);
    assert_eq!(f.link(&u, a, d, b"x", t(7)), Err(Errno::EPERM));
    let rw = mk(&mut f, &root(), r, "rw", REG, 0o666);
    f.link(&u, rw, d, b"rw", t(7)).unwrap();
    let suid = mk(&mut f, &root(), r, "suid", REG, 0o4666);
    assert_eq!(f.link(&u, suid, d, b"s", t(7)), Err(Errno::EPERM));
    let sgid = mk(&mut f, &root(), r, "sgid", REG, 0o2676);
    assert_eq!(f.link(&u, sgid, d, b"g", t(7)), Err(Errno::EPERM));
    let sgid_noexec = mk(&mut f, &root(), r, "sgidnx", REG, 0o2666);
    f.link(&u, sgid_noexec, d, b"g", t(7)).unwrap();
    let fifo = f
        .create(&root(), r, b"fifo", FileType::Fifo, 0o666, 0, t(2))
        .unwrap();
    assert_eq!(f.link(&u, fifo, d, b"fifo", t(7)), Err(Errno::EPERM));
    // The owner may link anything of its own; CAP_FOWNER anything.
    let own = f.create(&u, d, b"own", REG, 0o000, 0, t(2)).unwrap();
    f.link(&u, own, d, b"own2", t(7)).unwrap();
    let mut fowner = user(2000);
    fowner.caps = cap::FOWNER;
    f.link(&fowner, a, d, b"a3", t(7)).unwrap();
    // Write permission on the directory.
    let ro = mk(&mut f, &root(), r, "ro", DIR, 0o755);
    assert_eq!(f.link(&u, rw, ro, b"nope", t(7)), Err(Errno::EACCES));
    // A node with no links left.
    f.hold(own);
    f.unlink(&u, d, b"own", t(8)).unwrap();
    f.unlink(&u, d, b"own2", t(8)).unwrap();
    assert_eq!(f.link(&u, own, d, b"back", t(8)), Err(Errno::ENOENT));
    f.release(own);
    assert_eq!(f.getattr(own), Err(Errno::ENOENT));
}

#[test]
fn link_count_limit() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    for i in 1..MAX_LINKS {
        f.link(&root(), a, r, format!("l{i}").as_bytes(), t(2))
            .unwrap();
    }
    assert_eq!(f.getattr(a).unwrap().nlink, MAX_LINKS);
    assert_eq!(f.link(&root(), a, r, b"over", t(2)), Err(Errno::EMLINK));
}

#[test]
fn mkdir_link_limit() {
    let mut f = fs();
    let r = f.root();
    let d = mk(&mut f, &root(), r, "d", DIR, 0o755);
    for i in 0..MAX_LINKS - 2 {
        mk(&mut f, &root(), d, &format!("s{i}"), DIR, 0o755);
    }
    assert_eq!(f.getattr(d).unwrap().nlink, MAX_LINKS);
    assert_eq!(
        f.create(&root(), d, b"over", DIR, 0o755, 0, t(2)),
        Err(Errno::EMLINK)
    );
    mk(&mut f, &root(), d, "file", REG, 0o644);
    let other = mk(&mut f, &root(), r, "o", DIR, 0o755);
    mk(&mut f, &root(), other, "m", DIR, 0o755);
    assert_eq!(
        f.rename(&root(), other, b"m", d, b"m", NONE, t(3)),
        Err(Errno::EMLINK)
    );
}

#[test]
fn unlink_and_rmdir() {
    let mut f = fs();
    let r = f.root();
    let d = mk(&mut f, &root(), r, "d", DIR, 0o755);
    let a = mk(&mut f, &root(), d, "a", REG, 0o644);
    f.link(&root(), a, r, b"a2", t(2)).unwrap();
    assert_eq!(f.unlink(&root(), r, b"d", t(3)), Err(Errno::EISDIR));
    assert_eq!(f.unlink(&root(), r, b"zz", t(3)), Err(Errno::ENOENT));
    assert_eq!(f.unlink(&root(), a, b"zz", t(3)), Err(Errno::ENOTDIR));
    assert_eq!(f.rmdir(&root(), r, b"a2", t(3)), Err(Errno::ENOTDIR));
    assert_eq!(f.rmdir(&root(), r, b"d", t(3)), Err(Errno::ENOTEMPTY));
    assert_eq!(f.rmdir(&root(), d, b".", t(3)), Err(Errno::EINVAL));
    assert_eq!(f.rmdir(&root(), d, b"..", t(3)), Err(Errno::ENOTEMPTY));
    assert_eq!(f.unlink(&user(5), d, b"a", t(3)), Err(Errno::EACCES));
    assert_eq!(f.unlink(&root(), d, b"a", t(4)), Ok(a));
    let at = f.getattr(a).unwrap();
    assert_eq!((at.nlink, at.ctime), (1, t(4)));
    assert_eq!(f.getattr(d).unwrap().mtime, t(4));
    assert_eq!(f.getattr(r).unwrap().nlink, 3);
    assert_eq!(f.rmdir(&root(), r, b"d", t(5)), Ok(d));
    assert_eq!(f.getattr(r).unwrap().nlink, 2);
    assert_eq!(f.getattr(r).unwrap().ctime, t(5));
    assert_eq!(f.getattr(d), Err(Errno::ENOENT));
    assert_eq!(f.lookup(r, b"d"), Err(Errno::ENOENT));
}

#[test]
fn sticky_directory() {
    let mut f = fs();
    let r = f.root(); // 0o1777, owned by root
    let alice = user(1000);
    let bob = user(1001);
    mk(&mut f, &alice, r, "a", REG, 0o666);
    mk(&mut f, &alice, r, "ad", DIR, 0o777);
    assert_eq!(f.unlink(&bob, r, b"a", t(2)), Err(Errno::EPERM));
    assert_eq!(f.rmdir(&bob, r, b"ad", t(2)), Err(Errno::EPERM));
    assert_eq!(
        f.rename(&bob, r, b"a", r, b"b", NONE, t(2)),
        Err(Errno::EPERM)
    );
    mk(&mut f, &bob, r, "b", REG, 0o666);
    assert_eq!(
        f.rename(&bob, r, b"b", r, b"a", NONE, t(2)),
        Err(Errno::EPERM),
        "renaming over a's file"
    );
    let mut fowner = user(1002);
    fowner.caps = cap::FOWNER;
    f.unlink(&fowner, r, b"b", t(2)).unwrap();
    f.rename(&alice, r, b"a", r, b"a2", NONE, t(2)).unwrap();
    // The directory's owner may remove anything in it.
    let bd = f.create(&bob, r, b"bd", DIR, 0o1777, 0, t(2)).unwrap();
    mk(&mut f, &alice, bd, "x", REG, 0o644);
    f.unlink(&bob, bd, b"x", t(3)).unwrap();
    f.unlink(&alice, r, b"a2", t(3)).unwrap();
}

#[test]
fn rename_basics() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    f.rename(&root(), r, b"a", r, b"b", NONE, t(9)).unwrap();
    assert_eq!(f.lookup(r, b"b"), Ok(a));
    assert_eq!(f.lookup(r, b"a"), Err(Errno::ENOENT));
    assert_eq!(f.getattr(a).unwrap().ctime, t(9));
    assert_eq!(
        f.rename(&root(), r, b"a", r, b"c", NONE, t(9)),
        Err(Errno::ENOENT)
    );
    let c = mk(&mut f, &root(), r, "c", REG, 0o644);
    f.hold(c);
    f.rename(&root(), r, b"b", r, b"c", NONE, t(10)).unwrap();
    assert_eq!(f.lookup(r, b"c"), Ok(a));
    let ca = f.getattr(c).unwrap();
    assert_eq!((ca.nlink, ca.ctime), (0, t(10)));
    f.release(c);
    assert_eq!(f.getattr(c), Err(Errno::ENOENT));
    // Dir onto file, file onto dir, onto a non-empty dir.
    let d = mk(&mut f, &root(), r, "d", DIR, 0o755);
    let e = mk(&mut f, &root(), r, "e", DIR, 0o755);
    mk(&mut f, &root(), e, "inside", REG, 0o644);
    assert_eq!(
        f.rename(&root(), r, b"d", r, b"c", NONE, t(2)),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        f.rename(&root(), r, b"c", r, b"d", NONE, t(2)),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        f.rename(&root(), r, b"d", r, b"e", NONE, t(2)),
        Err(Errno::ENOTEMPTY)
    );
    // Into its own subtree; onto its own ancestor.
    let sub = mk(&mut f, &root(), d, "sub", DIR, 0o755);
    assert_eq!(
        f.rename(&root(), r, b"d", d, b"x", NONE, t(2)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        f.rename(&root(), r, b"d", sub, b"x", NONE, t(2)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        f.rename(&root(), d, b"sub", r, b"d", NONE, t(2)),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        f.rename(&root(), r, b".", r, b"x", NONE, t(2)),
        Err(Errno::EBUSY)
    );
    // A dir onto an empty dir elsewhere: nlinks and `..`.
    let empty = mk(&mut f, &root(), e, "empty", DIR, 0o755);
    assert_eq!(f.getattr(e).unwrap().nlink, 3);
    f.rename(&root(), d, b"sub", e, b"empty", NONE, t(3))
        .unwrap();
    assert_eq!(f.getattr(empty), Err(Errno::ENOENT));
    assert_eq!(f.getattr(e).unwrap().nlink, 3);
    assert_eq!(f.getattr(d).unwrap().nlink, 2);
    assert_eq!(f.parent(sub), Ok(e));
    assert_eq!(f.readdir(sub, 1).unwrap().unwrap().ino, e);
    // A dir to a new name elsewhere.
    f.rename(&root(), e, b"empty", r, b"top", NONE, t(3))
        .unwrap();
    assert_eq!(
        (f.getattr(e).unwrap().nlink, f.getattr(r).unwrap().nlink),
        (2, 5)
    );
    assert_eq!(f.parent(sub), Ok(r));
}

#[test]
fn rename_hard_link_of_itself() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    f.link(&root(), a, r, b"b", t(2)).unwrap();
    // Nothing happens, with no permission needed.
    let ro = mk(&mut f, &root(), r, "ro", DIR, 0o755);
    f.link(&root(), a, ro, b"c", t(2)).unwrap();
    f.rename(&user(9), ro, b"c", r, b"a", NONE, t(5)).unwrap();
    f.rename(&root(), r, b"a", r, b"b", NONE, t(5)).unwrap();
    assert_eq!(f.lookup(r, b"a"), Ok(a));
    assert_eq!(f.lookup(r, b"b"), Ok(a));
    assert_eq!(f.getattr(a).unwrap().nlink, 3);
    assert_eq!(f.getattr(a).unwrap().ctime, t(2));
    assert_eq!(
        f.rename(&root(), r, b"a", r, b"b", NOREPLACE, t(5)),
        Err(Errno::EEXIST)
    );
}

#[test]
fn rename_flags() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    let d = mk(&mut f, &root(), r, "d", DIR, 0o755);
    let both = RenameFlags {
        noreplace: true,
        exchange: true,
    };
    assert_eq!(
        f.rename(&root(), r, b"a", r, b"z", both, t(2)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        f.rename(&root(), r, b"a", r, b"d", NOREPLACE, t(2)),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        f.rename(&root(), r, b"a", r, b"z", EXCHANGE, t(2)),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        f.rename(&root(), r, b"z", r, b"a", EXCHANGE, t(2)),
        Err(Errno::ENOENT)
    );
    f.rename(&root(), r, b"a", r, b"n", NOREPLACE, t(2))
        .unwrap();
    // Exchange a file in the root with a dir's file.
    let inner = mk(&mut f, &root(), d, "inner", DIR, 0o755);
    let sub = mk(&mut f, &root(), d, "subd", DIR, 0o755);
    assert_eq!(f.getattr(d).unwrap().nlink, 4);
    assert_eq!(f.getattr(r).unwrap().nlink, 3);
    f.rename(&root(), r, b"n", d, b"inner", EXCHANGE, t(4))
        .unwrap();
    assert_eq!(f.lookup(r, b"n"), Ok(inner));
    assert_eq!(f.lookup(d, b"inner"), Ok(a));
    assert_eq!(f.parent(inner), Ok(r));
    assert_eq!(f.getattr(d).unwrap().nlink, 3);
    assert_eq!(f.getattr(r).unwrap().nlink, 4);
    assert_eq!(
        (f.getattr(a).unwrap().ctime, f.getattr(inner).unwrap().ctime),
        (t(4), t(4))
    );
    // Exchange with a non-empty dir is fine; with its own ancestor EINVAL.
    mk(&mut f, &root(), sub, "x", REG, 0o644);
    f.rename(&root(), r, b"n", d, b"subd", EXCHANGE, t(5))
        .unwrap();
    assert_eq!(f.lookup(r, b"n"), Ok(sub));
    assert_eq!(
        f.rename(&root(), r, b"n", sub, b"x", EXCHANGE, t(5)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        f.rename(&root(), sub, b"x", r, b"n", EXCHANGE, t(5)),
        Err(Errno::EINVAL)
    );
    // Within one directory.
    f.rename(&root(), r, b"n", r, b"d", EXCHANGE, t(6)).unwrap();
    assert_eq!((f.lookup(r, b"n"), f.lookup(r, b"d")), (Ok(d), Ok(sub)));
}

#[test]
fn rename_dir_needs_write_on_itself_elsewhere() {
    let mut f = fs();
    let r = f.root();
    let u = user(1000);
    let p = f.create(&u, r, b"p", DIR, 0o777, 0, t(2)).unwrap();
    let q = f.create(&u, r, b"q", DIR, 0o777, 0, t(2)).unwrap();
    mk(&mut f, &root(), p, "rootdir", DIR, 0o755);
    // Same parent: only the parent's permission counts.
    f.rename(&u, p, b"rootdir", p, b"rd", NONE, t(3)).unwrap();
    assert_eq!(
        f.rename(&u, p, b"rd", q, b"rd", NONE, t(3)),
        Err(Errno::EACCES)
    );
    mk(&mut f, &u, q, "file", REG, 0o644);
    assert_eq!(
        f.rename(&u, q, b"file", p, b"rd", EXCHANGE, t(3)),
        Err(Errno::EACCES)
    );
    f.rename(&root(), p, b"rd", q, b"rd", NONE, t(3)).unwrap();
}

#[test]
fn readdir_offsets_are_stable() {
    let mut f = fs();
    let r = f.root();
    assert_eq!(names(&f, r), vec![".", ".."]);
    for i in 0..10 {
        mk(&mut f, &root(), r, &format!("f{i}"), REG, 0o644);
    }
    let e0 = f.readdir(r, 0).unwrap().unwrap();
    assert_eq!((e0.ino, e0.next, e0.ftype), (r, 1, DIR));
    let e1 = f.readdir(r, 1).unwrap().unwrap();
    assert_eq!((e1.ino, e1.name.as_slice(), e1.next), (r, &b".."[..], 2));
    // Read three, remove some seen and unseen, add some, go on.
    let mut seen = vec![];
    let mut pos = 2;
    for _ in 0..3 {
        let e = f.readdir(r, pos).unwrap().unwrap();
        seen.push(String::from_utf8(e.name).unwrap());
        pos = e.next;
    }
    // Newest first, as Linux's tmpfs lists.
    assert_eq!(seen, vec!["f9", "f8", "f7"], "newest first");
    f.unlink(&root(), r, b"f8", t(3)).unwrap();
    f.unlink(&root(), r, b"f4", t(3)).unwrap();
    f.unlink(&root(), r, b"f3", t(3)).unwrap();
    // Made after the reader's position: before it, so not seen.
    mk(&mut f, &root(), r, "new", REG, 0o644);
    while let Some(e) = f.readdir(r, pos).unwrap() {
        seen.push(String::from_utf8(e.name).unwrap());
        pos = e.next;
    }
    assert_eq!(seen, vec!["f9", "f8", "f7", "f6", "f5", "f2", "f1", "f0"]);
    assert_eq!(names(&f, r)[2], "new");
    assert_eq!(f.readdir(r, pos), Ok(None));
    assert_eq!(f.readdir(r, 1 << 40), Ok(None));
    let a = f.lookup(r, b"f0").unwrap();
    assert_eq!(f.readdir(a, 0), Err(Errno::ENOTDIR));
    assert_eq!(f.getattr(r).unwrap().size, 20 * (8 + 2));
}

#[test]
fn removed_directory_while_held() {
    let mut f = fs();
    let r = f.root();
    let d = mk(&mut f, &root(), r, "d", DIR, 0o777);
    f.hold(d);
    f.rmdir(&root(), r, b"d", t(3)).unwrap();
    let a = f.getattr(d).unwrap();
    assert_eq!(a.nlink, 0);
    assert_eq!(f.readdir(d, 0), Ok(None));
    assert_eq!(
        f.create(&root(), d, b"x", REG, 0o644, 0, t(3)),
        Err(Errno::ENOENT)
    );
    assert_eq!(f.symlink(&root(), d, b"x", b"y", t(3)), Err(Errno::ENOENT));
    assert_eq!(f.lookup(d, b"x"), Err(Errno::ENOENT));
    f.release(d);
    assert_eq!(f.getattr(d), Err(Errno::ENOENT));
    assert_eq!(f.node_count(), 1);
}

#[test]
fn unlinked_file_lives_while_held() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    f.write(&root(), a, 0, &[7u8; 3 * PAGE], t(2)).unwrap();
    f.hold(a);
    f.hold(a);
    f.unlink(&root(), r, b"a", t(3)).unwrap();
    assert_eq!(f.lookup(r, b"a"), Err(Errno::ENOENT));
    assert_eq!(f.getattr(a).unwrap().nlink, 0);
    f.release(a);
    let mut buf = [0u8; 4];
    assert_eq!(f.read(a, PAGE as u64, &mut buf), Ok(4));
    assert_eq!(buf, [7; 4]);
    f.write(&root(), a, 3 * PAGE as u64, b"more", t(4)).unwrap();
    assert_eq!(f.store().live, 4);
    f.release(a);
    assert_eq!(f.getattr(a), Err(Errno::ENOENT));
    assert_eq!(f.store().live, 0);
    assert_eq!(f.pages_used(), 0);
}

#[test]
fn write_read_holes_and_truncate() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    assert_eq!(f.write(&root(), a, 10, b"hello", t(3)), Ok(5));
    let at = f.getattr(a).unwrap();
    assert_eq!(
        (at.size, at.blocks, at.mtime, at.ctime),
        (15, 8, t(3), t(3))
    );
    let mut buf = [1u8; 32];
    assert_eq!(f.read(a, 0, &mut buf), Ok(15));
    assert_eq!(&buf[..15], b"\0\0\0\0\0\0\0\0\0\0hello");
    assert_eq!(f.read(a, 15, &mut buf), Ok(0));
    assert_eq!(f.read(a, 100, &mut buf), Ok(0));
    // A write far past the end leaves a hole.
    f.write(&root(), a, 5 * PAGE as u64 + 1, b"x", t(4))
        .unwrap();
    let at = f.getattr(a).unwrap();
    assert_eq!((at.size, at.blocks), (5 * PAGE as u64 + 2, 16));
    assert!(matches!(f.page(a, 2), Ok(PageRef::Hole)));
    assert!(matches!(f.page(a, 5), Ok(PageRef::Page(_))));
    let mut big = vec![9u8; 6 * PAGE];
    assert_eq!(f.read(a, 0, &mut big), Ok(5 * PAGE + 2));
    assert!(big[15..5 * PAGE + 1].iter().all(|b| *b == 0));
    // Truncate down frees pages and zeroes the tail; up is a hole.
    let w = f
        .setattr(
            &root(),
            a,
            SetAttr {
                size: Some(12),
                ..Default::default()
            },
            t(5),
        )
        .unwrap();
    assert_eq!((w.size, w.blocks, w.mtime, w.ctime), (12, 8, t(5), t(5)));
    assert_eq!(f.store().live, 1);
    f.setattr(
        &root(),
        a,
        SetAttr {
            size: Some(100),
            ..Default::default()
        },
        t(6),
    )
    .unwrap();
    let mut buf = [1u8; 100];
    assert_eq!(f.read(a, 0, &mut buf), Ok(100));
    assert_eq!(&buf[10..12], b"he");
    assert!(buf[12..].iter().all(|b| *b == 0));
    // Same size: no time change.
    let w = f
        .setattr(
            &root(),
            a,
            SetAttr {
                size: Some(100),
                ..Default::default()
            },
            t(7),
        )
        .unwrap();
    assert_eq!(w.mtime, t(6));
    f.setattr(
        &root(),
        a,
        SetAttr {
            size: Some(0),
            ..Default::default()
        },
        t(8),
    )
    .unwrap();
    assert_eq!(f.store().live, 0);
    // Errors.
    let d = mk(&mut f, &root(), r, "d", DIR, 0o755);
    assert_eq!(f.read(d, 0, &mut buf), Err(Errno::EISDIR));
    assert_eq!(f.write(&root(), d, 0, b"x", t(2)), Err(Errno::EISDIR));
    assert_eq!(
        f.setattr(
            &root(),
            d,
            SetAttr {
                size: Some(0),
                ..Default::default()
            },
            t(2)
        )
        .err(),
        Some(Errno::EISDIR)
    );
    let fifo = f
        .create(&root(), r, b"p", FileType::Fifo, 0o644, 0, t(2))
        .unwrap();
    assert_eq!(
        f.setattr(
            &root(),
            fifo,
            SetAttr {
                size: Some(0),
                ..Default::default()
            },
            t(2)
        )
        .err(),
        Some(Errno::EINVAL)
    );
    assert_eq!(
        f.setattr(
            &root(),
            a,
            SetAttr {
                size: Some(1 << 63),
                ..Default::default()
            },
            t(2)
        )
        .err(),
        Some(Errno::EFBIG)
    );
    assert_eq!(
        f.write(&root(), a, i64::MAX as u64, b"x", t(2)),
        Err(Errno::EFBIG)
    );
    assert_eq!(f.write(&root(), a, i64::MAX as u64 - 1, b"xy", t(2)), Ok(1));
    assert_eq!(f.getattr(a).unwrap().size, i64::MAX as u64);
    assert_eq!(f.write(&root(), a, 0, b"", t(9)), Ok(0));
    f.unlink(&root(), r, b"a", t(2)).unwrap();
    assert_eq!(f.store().live, 0);
}

#[test]
fn write_clears_setid() {
    let mut f = fs();
    let r = f.root();
    let u = user(1000);
    let a = f.create(&u, r, b"a", REG, 0o6775, 0, t(2)).unwrap();
    let mut fsetid = user(1000);
    fsetid.caps = cap::FSETID;
    f.write(&fsetid, a, 0, b"x", t(3)).unwrap();
    assert_eq!(f.getattr(a).unwrap().perm, 0o6775);
    f.write(&u, a, 0, b"x", t(3)).unwrap();
    assert_eq!(f.getattr(a).unwrap().perm, 0o775);
    let b = f.create(&u, r, b"b", REG, 0o6765, 0, t(2)).unwrap();
    f.write(&u, b, 0, b"x", t(3)).unwrap();
    assert_eq!(
        f.getattr(b).unwrap().perm,
        0o2765,
        "sgid without group exec stays"
    );
    let c = f.create(&u, r, b"c", REG, 0o4755, 0, t(2)).unwrap();
    f.setattr(
        &u,
        c,
        SetAttr {
            size: Some(0),
            ..Default::default()
        },
        t(4),
    )
    .unwrap();
    assert_eq!(f.getattr(c).unwrap().perm, 0o755, "truncate clears too");
    let c2 = f.create(&u, r, b"c2", REG, 0o4755, 0, t(2)).unwrap();
    f.setattr(
        &root(),
        c2,
        SetAttr {
            size: Some(0),
            ..Default::default()
        },
        t(4),
    )
    .unwrap();
    assert_eq!(f.getattr(c2).unwrap().perm, 0o4755, "root keeps them");
}

#[test]
fn chmod_rules() {
    let mut f = fs();
    let r = f.root();
    let u = user(1000);
    let a = f.create(&u, r, b"a", REG, 0o644, 0, t(2)).unwrap();
    assert_eq!(
        f.setattr(
            &user(1001),
            a,
            SetAttr {
                perm: Some(0o777),
                ..Default::default()
            },
            t(3)
        )
        .err(),
        Some(Errno::EPERM)
    );
    let w = f
        .setattr(
            &u,
            a,
            SetAttr {
                perm: Some(0o4755),
                ..Default::default()
            },
            t(3),
        )
        .unwrap();
    assert_eq!((w.perm, w.ctime), (0o4755, t(3)));
    let mut fowner = user(5);
    fowner.caps = cap::FOWNER;
    assert_eq!(
        f.setattr(
            &fowner,
            a,
            SetAttr {
                perm: Some(0o2755),
                ..Default::default()
            },
            t(3)
        )
        .unwrap()
        .perm,
        0o755,
        "not in the group: sgid goes"
    );
    f.setattr(
        &root(),
        a,
        SetAttr {
            gid: Some(77),
            ..Default::default()
        },
        t(3),
    )
    .unwrap();
    assert_eq!(
        f.setattr(
            &u,
            a,
            SetAttr {
                perm: Some(0o2755),
                ..Default::default()
            },
            t(3)
        )
        .unwrap()
        .perm,
        0o755
    );
    assert_eq!(
        f.setattr(
            &root(),
            a,
            SetAttr {
                perm: Some(0o2755),
                ..Default::default()
            },
            t(3)
        )
        .unwrap()
        .perm,
        0o2755
    );
}

#[test]
fn chown_rules() {
    let mut f = fs();
    let r = f.root();
    let mut u = user(1000);
    u.groups.push(30);
    let a = f.create(&u, r, b"a", REG, 0o6755, 0, t(2)).unwrap();
    assert_eq!(
        f.setattr(
            &u,
            a,
            SetAttr {
                uid: Some(1001),
                ..Default::default()
            },
            t(3)
        )
        .err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        f.setattr(
            &u,
            a,
            SetAttr {
                gid: Some(31),
                ..Default::default()
            },
            t(3)
        )
        .err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        f.setattr(
            &user(1001),
            a,
            SetAttr {
                gid: Some(1000),
                ..Default::default()
            },
            t(3)
        )
        .err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        f.setattr(
            &user(1001),
            a,
            SetAttr {
                uid: Some(1000),
                ..Default::default()
            },
            t(3)
        )
        .err(),
        Some(Errno::EPERM)
    );
    let w = f
        .setattr(
            &u,
            a,
            SetAttr {
                uid: Some(1000),
                gid: Some(30),
                ..Default::default()
            },
            t(4),
        )
        .unwrap();
    assert_eq!(
        (w.uid, w.gid, w.perm, w.ctime),
        (1000, 30, 0o755, t(4)),
        "chown clears set-id bits"
    );
    // Root too clears them; set-group-id without group exec stays.
    f.setattr(
        &root(),
        a,
        SetAttr {
            perm: Some(0o6745),
            ..Default::default()
        },
        t(5),
    )
    .unwrap();
    let w = f
        .setattr(
            &root(),
            a,
            SetAttr {
                uid: Some(0),
                ..Default::default()
            },
            t(5),
        )
        .unwrap();
    assert_eq!((w.uid, w.gid, w.perm), (0, 30, 0o2745));
    let mut chown = user(9);
    chown.caps = cap::CHOWN;
    assert_eq!(
        f.setattr(
            &chown,
            a,
            SetAttr {
                uid: Some(5),
                gid: Some(6),
                ..Default::default()
            },
            t(5)
        )
        .unwrap()
        .uid,
        5
    );
    // A directory keeps its bits.
    let d = f.create(&u, r, b"d", DIR, 0o755, 0, t(2)).unwrap();
    f.setattr(
        &u,
        d,
        SetAttr {
            perm: Some(0o2755),
            ..Default::default()
        },
        t(5),
    )
    .unwrap();
    assert_eq!(
        f.setattr(
            &u,
            d,
            SetAttr {
                gid: Some(30),
                ..Default::default()
            },
            t(5)
        )
        .unwrap()
        .perm,
        0o2755
    );
    // A failing part changes nothing.
    let before = f.getattr(a).unwrap();
    assert!(f
        .setattr(
            &user(5),
            a,
            SetAttr {
                perm: Some(0o777),
                uid: Some(7),
                ..Default::default()
            },
            t(9)
        )
        .is_err());
    assert_eq!(f.getattr(a).unwrap(), before);
}

#[test]
fn chown_with_no_ids_still_clears_set_id_bits() {
    let mut f = fs();
    let r = f.root();
    let u = user(1000);
    let a = f.create(&u, r, b"a", REG, 0o6755, 0, t(2)).unwrap();
    let same = SetAttr {
        chown: true,
        ..Default::default()
    };
    // Not the owner, no CAP_FOWNER: the clearing is a mode change.
    let mut chowner = user(9);
    chowner.caps = cap::CHOWN;
    assert_eq!(f.setattr(&chowner, a, same, t(3)).err(), Some(Errno::EPERM));
    let w = f.setattr(&u, a, same, t(4)).unwrap();
    assert_eq!((w.uid, w.gid, w.perm, w.ctime), (1000, 1000, 0o755, t(4)));
    // Nothing to clear: anyone's no-change chown only sets ctime.
    let w = f.setattr(&user(9), a, same, t(5)).unwrap();
    assert_eq!((w.perm, w.ctime), (0o755, t(5)));
    // Without the flag, nothing at all is a chown.
    f.setattr(
        &u,
        a,
        SetAttr {
            perm: Some(0o6755),
            ..Default::default()
        },
        t(6),
    )
    .unwrap();
    let w = f.setattr(&u, a, SetAttr::default(), t(7)).unwrap();
    assert_eq!(w.perm, 0o6755);
    // Root clears too; a directory keeps its bits.
    assert_eq!(f.setattr(&root(), a, same, t(8)).unwrap().perm, 0o755);
    let d = f.create(&u, r, b"d", DIR, 0o755, 0, t(2)).unwrap();
    let sgid = SetAttr {
        perm: Some(0o6755),
        ..Default::default()
    };
    f.setattr(&u, d, sgid, t(8)).unwrap();
    assert_eq!(f.setattr(&root(), d, same, t(8)).unwrap().perm, 0o6755);
}

#[test]
fn birth_time_is_the_creation_time() {
    let mut f = fs();
    let r = f.root();
    let a = f.create(&root(), r, b"a", REG, 0o644, 0, t(2)).unwrap();
    f.write(&root(), a, 0, b"x", t(3)).unwrap();
    f.setattr(
        &root(),
        a,
        SetAttr {
            mtime: Some(memfs::TimeSet::At(t(1))),
            ..Default::default()
        },
        t(4),
    )
    .unwrap();
    let w = f.getattr(a).unwrap();
    assert_eq!((w.btime, w.mtime, w.ctime), (Some(t(2)), t(1), t(4)));
}

#[test]
fn utimens_rules() {
    let mut f = fs();
    let r = f.root();
    let u = user(1000);
    let a = f.create(&u, r, b"a", REG, 0o644, 0, t(2)).unwrap();
    let other = user(1001);
    let at = |s| SetAttr {
        atime: Some(TimeSet::At(t(s))),
        mtime: Some(TimeSet::At(t(s + 1))),
        ..Default::default()
    };
    let now = SetAttr {
        atime: Some(TimeSet::Now),
        mtime: Some(TimeSet::Now),
        ..Default::default()
    };
    assert_eq!(
        f.setattr(&other, a, at(100), t(50)).err(),
        Some(Errno::EPERM)
    );
    assert_eq!(f.setattr(&other, a, now, t(50)).err(), Some(Errno::EACCES));
    let w = f.setattr(&u, a, at(100), t(50)).unwrap();
    assert_eq!((w.atime, w.mtime, w.ctime), (t(100), t(101), t(50)));
    let mut fowner = user(3);
    fowner.caps = cap::FOWNER;
    f.setattr(&fowner, a, at(7), t(51)).unwrap();
    let mut dac = user(3);
    dac.caps = cap::DAC_OVERRIDE;
    assert_eq!(f.setattr(&dac, a, at(7), t(51)).err(), Some(Errno::EPERM));
    let w = f.setattr(&dac, a, now, t(52)).unwrap();
    assert_eq!((w.atime, w.mtime), (t(52), t(52)));
    f.setattr(
        &u,
        a,
        SetAttr {
            perm: Some(0o666),
            ..Default::default()
        },
        t(53),
    )
    .unwrap();
    let w = f
        .setattr(
            &other,
            a,
            SetAttr {
                mtime: Some(TimeSet::Now),
                ..Default::default()
            },
            t(54),
        )
        .unwrap();
    assert_eq!((w.atime, w.mtime, w.ctime), (t(52), t(54), t(54)));
}

#[test]
fn image_files_share_until_written() {
    let image: Vec<u8> = (0..3 * PAGE + 500).map(|i| (i % 251) as u8).collect();
    let limits = Limits {
        bytes: 16 * PAGE as u64,
        nodes: 100,
    };
    let mut f = fs_with(limits, image.clone());
    let r = f.root();
    let a = f
        .add_image_file(r, b"a", 0o755, 0, 0, t(3), 100, 2 * PAGE as u64 + 10)
        .unwrap();
    let at = f.getattr(a).unwrap();
    assert_eq!(
        (at.size, at.blocks, at.mtime, at.perm),
        (2 * PAGE as u64 + 10, 24, t(3), 0o755)
    );
    assert_eq!(f.statfs().blocks_free, 16, "not charged");
    let mut buf = vec![0u8; 3 * PAGE];
    assert_eq!(f.read(a, 0, &mut buf), Ok(2 * PAGE + 10));
    assert_eq!(&buf[..2 * PAGE + 10], &image[100..100 + 2 * PAGE + 10]);
    assert!(matches!(f.page(a, 1), Ok(PageRef::Image(at)) if at == 100 + PAGE as u64));
    f.write(&root(), a, PAGE as u64 + 1, b"Z", t(4)).unwrap();
    assert!(matches!(f.page(a, 1), Ok(PageRef::Page(_))));
    assert_eq!(f.statfs().blocks_free, 15);
    assert_eq!(f.read(a, 0, &mut buf), Ok(2 * PAGE + 10));
    assert_eq!(buf[PAGE + 1], b'Z');
    assert_eq!(
        &buf[PAGE + 2..2 * PAGE + 10],
        &image[100 + PAGE + 2..100 + 2 * PAGE + 10]
    );
    // Growing past the partial image page: its bytes past the old end are zeros.
    f.setattr(
        &root(),
        a,
        SetAttr {
            size: Some(3 * PAGE as u64),
            ..Default::default()
        },
        t(5),
    )
    .unwrap();
    assert_eq!(f.read(a, 0, &mut buf), Ok(3 * PAGE));
    assert!(buf[2 * PAGE + 10..].iter().all(|b| *b == 0));
    assert_eq!(
        &buf[2 * PAGE..2 * PAGE + 10],
        &image[100 + 2 * PAGE..110 + 2 * PAGE]
    );
    // Truncating into an image page, then growing: zeros after the cut.
    let b = f
        .add_image_file(r, b"b", 0o644, 0, 0, t(3), 0, 2 * PAGE as u64)
        .unwrap();
    f.setattr(
        &root(),
        b,
        SetAttr {
            size: Some(PAGE as u64 + 7),
            ..Default::default()
        },
        t(5),
    )
    .unwrap();
    assert_eq!(f.store().live, 2, "cutting an image page copies nothing");
    f.write(&root(), b, 2 * PAGE as u64, b"q", t(5)).unwrap();
    let mut buf = vec![1u8; 2 * PAGE + 1];
    assert_eq!(f.read(b, 0, &mut buf), Ok(2 * PAGE + 1));
    assert_eq!(&buf[..PAGE + 7], &image[..PAGE + 7]);
    assert!(buf[PAGE + 7..2 * PAGE].iter().all(|b| *b == 0));
    assert_eq!(
        f.add_image_file(r, b"b", 0o644, 0, 0, t(3), 0, 1),
        Err(Errno::EEXIST)
    );
    f.unlink(&root(), r, b"a", t(6)).unwrap();
    f.unlink(&root(), r, b"b", t(6)).unwrap();
    assert_eq!(f.store().live, 0);
    assert_eq!(f.statfs().blocks_free, 16);
}

#[test]
fn byte_limit() {
    let limits = Limits {
        bytes: 4 * PAGE as u64 + 100,
        nodes: 100,
    };
    let mut f = fs_with(limits, vec![]);
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    assert_eq!(
        f.write(&root(), a, 100, &vec![1u8; 6 * PAGE], t(2)),
        Ok(4 * PAGE - 100),
        "short count"
    );
    assert_eq!(f.getattr(a).unwrap().size, 4 * PAGE as u64);
    assert_eq!(
        f.write(&root(), a, 4 * PAGE as u64, b"x", t(2)),
        Err(Errno::ENOSPC)
    );
    assert_eq!(
        f.write(&root(), a, 0, b"rewrite", t(2)),
        Ok(7),
        "existing pages need nothing"
    );
    let s = f.statfs();
    assert_eq!(
        (s.block_size, s.blocks, s.blocks_free, s.name_max),
        (4096, 4, 0, 255)
    );
    // Holes cost nothing.
    f.setattr(
        &root(),
        a,
        SetAttr {
            size: Some(1 << 40),
            ..Default::default()
        },
        t(2),
    )
    .unwrap();
    f.setattr(
        &root(),
        a,
        SetAttr {
            size: Some(PAGE as u64),
            ..Default::default()
        },
        t(2),
    )
    .unwrap();
    assert_eq!(f.statfs().blocks_free, 3);
    // The store itself running out.
    f.store_mut().cap = Some(2);
    assert_eq!(
        f.write(&root(), a, 0, &vec![2u8; 3 * PAGE], t(2)),
        Ok(2 * PAGE)
    );
    assert_eq!(
        f.write(&root(), a, 2 * PAGE as u64, b"x", t(2)),
        Err(Errno::ENOMEM)
    );
    f.unlink(&root(), r, b"a", t(2)).unwrap();
    assert_eq!(f.store().live, 0);
}

#[test]
fn node_limit_and_statfs() {
    let limits = Limits {
        bytes: 8 * PAGE as u64,
        nodes: 3,
    };
    let mut f = fs_with(limits, vec![]);
    let r = f.root();
    mk(&mut f, &root(), r, "a", REG, 0o644);
    mk(&mut f, &root(), r, "b", DIR, 0o755);
    let s = f.statfs();
    assert_eq!(
        (s.files, s.files_free, s.blocks, s.blocks_free),
        (3, 0, 8, 8)
    );
    assert_eq!(
        f.create(&root(), r, b"c", REG, 0o644, 0, t(2)),
        Err(Errno::ENOSPC)
    );
    assert_eq!(f.symlink(&root(), r, b"c", b"x", t(2)), Err(Errno::ENOSPC));
    assert_eq!(
        f.add_image_file(r, b"c", 0o644, 0, 0, t(2), 0, 0),
        Err(Errno::ENOSPC)
    );
    let a = f.lookup(r, b"a").unwrap();
    f.link(&root(), a, r, b"c", t(2)).unwrap();
    f.unlink(&root(), r, b"a", t(2)).unwrap();
    assert_eq!(f.statfs().files_free, 0);
    f.unlink(&root(), r, b"c", t(2)).unwrap();
    assert_eq!(f.statfs().files_free, 1);
}

#[test]
fn fallocate_reserves() {
    let limits = Limits {
        bytes: 4 * PAGE as u64,
        nodes: 100,
    };
    let mut f = fs_with(limits, vec![]);
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    f.fallocate(a, true, 0, 2 * PAGE as u64, t(5)).unwrap();
    let at = f.getattr(a).unwrap();
    assert_eq!((at.size, at.blocks, at.mtime), (0, 16, t(5)));
    assert_eq!(
        f.fallocate(a, false, PAGE as u64, 4 * PAGE as u64, t(6)),
        Err(Errno::ENOSPC)
    );
    assert_eq!(
        f.getattr(a).unwrap().blocks,
        16,
        "nothing kept of a failed reservation"
    );
    f.fallocate(a, false, 10, 3 * PAGE as u64, t(6)).unwrap();
    let at = f.getattr(a).unwrap();
    assert_eq!((at.size, at.blocks), (3 * PAGE as u64 + 10, 32));
    assert_eq!(
        f.write(&root(), a, 0, &vec![1u8; 4 * PAGE], t(7)),
        Ok(4 * PAGE),
        "reserved pages take writes"
    );
    let mut buf = [9u8; 8];
    f.setattr(
        &root(),
        a,
        SetAttr {
            size: Some(0),
            ..Default::default()
        },
        t(7),
    )
    .unwrap();
    f.fallocate(a, false, 0, 8, t(8)).unwrap();
    assert_eq!(f.read(a, 0, &mut buf), Ok(8));
    assert_eq!(buf, [0; 8]);
    assert_eq!(f.fallocate(a, false, 0, 0, t(8)), Err(Errno::EINVAL));
    assert_eq!(
        f.fallocate(a, false, u64::MAX - 1, 8, t(8)),
        Err(Errno::EFBIG)
    );
    assert_eq!(f.fallocate(r, false, 0, 8, t(8)), Err(Errno::EISDIR));
    f.unlink(&root(), r, b"a", t(9)).unwrap();
    assert_eq!(f.store().live, 0);
}

#[test]
fn nothing_leaks() {
    let mut f = MemFs::new(TestStore::default(), BIG, 0o755, 0, 0, t(1));
    let r = f.root();
    let d = mk(&mut f, &root(), r, "d", DIR, 0o755);
    let a = mk(&mut f, &root(), d, "a", REG, 0o644);
    f.write(&root(), a, 0, &vec![3u8; 5 * PAGE], t(2)).unwrap();
    f.link(&root(), a, r, b"a2", t(2)).unwrap();
    let b = mk(&mut f, &root(), r, "b", REG, 0o644);
    f.write(&root(), b, 3 * PAGE as u64, b"b", t(2)).unwrap();
    f.hold(b);
    f.rename(&root(), d, b"a", r, b"b", NONE, t(3)).unwrap();
    assert!(f.store().live > 0);
    f.unlink(&root(), r, b"b", t(4)).unwrap();
    f.unlink(&root(), r, b"a2", t(4)).unwrap();
    f.rmdir(&root(), r, b"d", t(4)).unwrap();
    assert_eq!(f.store().live, 1, "b is held");
    f.release(b);
    assert_eq!(f.store().live, 0);
    assert_eq!(f.node_count(), 1);
    assert!(f.store().allocs >= 6);
}

#[test]
fn relatime() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    assert!(f.accessed(a, t(10)), "atime == mtime: moves");
    assert!(
        !f.accessed(a, t(20)),
        "after mtime and ctime, under a day: stays"
    );
    assert_eq!(f.getattr(a).unwrap().atime, t(10));
    f.write(&root(), a, 0, b"x", t(30)).unwrap();
    assert!(f.accessed(a, t(40)));
    assert!(f.accessed(a, t(40 + 24 * 3600)), "a day later");
    assert!(!f.accessed(999, t(1)));
}

#[test]
fn pages_for_mapping_become_store_pages() {
    let image: Vec<u8> = (0..3 * PAGE).map(|i| (i % 251) as u8).collect();
    let mut f = fs_with(BIG, image.clone());
    let r = f.root();
    let a = f
        .add_image_file(r, b"a", 0o644, 0, 0, t(3), 0, PAGE as u64 + 5)
        .unwrap();
    // The image page is copied; the same page comes back the second time.
    let p = f.page_for_mapping(a, 0).unwrap().clone();
    assert_eq!(&p[..], &image[..PAGE]);
    assert_eq!(f.store().live, 1);
    assert_eq!(f.page_for_mapping(a, 0).unwrap(), &p);
    assert_eq!(f.store().live, 1);
    // The last page: the image's bytes up to the end, zeros after.
    let q = f.page_for_mapping(a, 1).unwrap();
    assert_eq!(&q[..5], &image[PAGE..PAGE + 5]);
    assert!(q[5..].iter().all(|b| *b == 0));
    assert_eq!(f.page_for_mapping(a, 2), Err(Errno::ENXIO));
    // A hole becomes a zeroed page.
    let h = mk(&mut f, &root(), r, "h", REG, 0o644);
    let grow = SetAttr {
        size: Some(2 * PAGE as u64),
        ..Default::default()
    };
    f.setattr(&root(), h, grow, t(4)).unwrap();
    assert!(f.page_for_mapping(h, 1).unwrap().iter().all(|b| *b == 0));
    assert_eq!(f.store().live, 3);
    assert!(matches!(f.page(h, 1), Ok(PageRef::Page(_))));
    assert_eq!(f.page_for_mapping(r, 0), Err(Errno::ENODEV));
    f.unlink(&root(), r, b"a", t(5)).unwrap();
    f.unlink(&root(), r, b"h", t(5)).unwrap();
    assert_eq!(f.store().live, 0);
}

#[test]
fn linkable_unnamed_file() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    f.hold(a);
    f.unlink(&root(), r, b"a", t(3)).unwrap();
    assert_eq!(f.link(&root(), a, r, b"b", t(4)), Err(Errno::ENOENT));
    f.set_linkable(a, true).unwrap();
    f.link(&root(), a, r, b"b", t(4)).unwrap();
    assert_eq!(f.getattr(a).unwrap().nlink, 1);
    // Only until its first link.
    f.unlink(&root(), r, b"b", t(5)).unwrap();
    assert_eq!(f.link(&root(), a, r, b"c", t(6)), Err(Errno::ENOENT));
    f.release(a);
    assert!(f.getattr(a).is_err());
}

#[test]
fn punch_hole_zeroes_and_frees() {
    let mut f = fs();
    let r = f.root();
    let a = mk(&mut f, &root(), r, "a", REG, 0o644);
    let p = PAGE as u64;
    f.write(&root(), a, 0, &vec![7u8; 4 * PAGE], t(2)).unwrap();
    assert_eq!(f.getattr(a).unwrap().blocks, 32);
    // Half of page 0, all of pages 1 and 2, a byte of page 3.
    f.punch_hole(a, p / 2, 2 * p + p / 2 + 1, t(3)).unwrap();
    let at = f.getattr(a).unwrap();
    assert_eq!((at.size, at.blocks, at.mtime), (4 * p, 16, t(3)));
    let mut buf = vec![1u8; 4 * PAGE];
    assert_eq!(f.read(a, 0, &mut buf), Ok(4 * PAGE));
    let zero = PAGE / 2..3 * PAGE + 1;
    for (i, b) in buf.iter().enumerate() {
        assert_eq!(*b, if zero.contains(&i) { 0 } else { 7 }, "byte {i}");
    }
    // A huge length past the end frees the rest without walking it.
    f.punch_hole(a, 0, u64::MAX / 2, t(4)).unwrap();
    assert_eq!(f.getattr(a).unwrap().blocks, 0);
    assert_eq!(f.getattr(a).unwrap().size, 4 * p);
    assert_eq!(f.punch_hole(a, 0, 0, t(4)), Err(Errno::EINVAL));
}
