//! Images the crate writes, starting from mke2fs-made ones, pass
//! `e2fsck -fn` with nothing to fix, and debugfs reads back what was
//! written.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use ext2::{Error, FileType, Fs, Owner, SetAttr, ROOT_INO};

fn cat(image: &Path, path: &str) -> Vec<u8> {
    debugfs(image, &format!("cat {path}"))
}

fn workload(block: &str, size_kib: u64) {
    let dir = scratch(&format!("write{block}"));
    let image = dir.join("image");
    mkfs(&image, size_kib, &["-b", block]);
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    fs.set_time(1_700_000_100);
    let mut want: BTreeMap<String, Vec<u8>> = BTreeMap::new();

    let d = fs.mkdir(ROOT_INO, b"dir", ROOT).unwrap();
    let sub = fs.mkdir(d, b"sub", ROOT).unwrap();
    let sizes = [
        0usize,
        1,
        1000,
        1024,
        4096,
        12 * 1024,
        13 * 1024 + 7,
        300_000,
        1_200_000,
        4_300_000,
    ];
    for (n, &len) in sizes.iter().enumerate() {
        let ino = fs.create(d, format!("f{n}").as_bytes(), ROOT).unwrap();
        // Written in uneven pieces.
        let data = pattern(n as u64, len);
        for chunk in data.chunks(7000).enumerate() {
            assert_eq!(
                fs.write(ino, (chunk.0 * 7000) as u64, chunk.1).unwrap(),
                chunk.1.len()
            );
        }
        want.insert(format!("/dir/f{n}"), data);
    }
    // Overwrite in the middle, extend with a hole, truncate down and up.
    let f8 = fs.resolve(b"/dir/f8").unwrap();
    fs.write(f8, 500_000, b"overwritten").unwrap();
    want.get_mut("/dir/f8").unwrap()[500_000..500_011].copy_from_slice(b"overwritten");
    let f7 = fs.resolve(b"/dir/f7").unwrap();
    fs.truncate(f7, 100_001).unwrap();
    want.get_mut("/dir/f7").unwrap().truncate(100_001);
    fs.truncate(f7, 150_000).unwrap();
    want.get_mut("/dir/f7").unwrap().resize(150_000, 0);
    let f9 = fs.resolve(b"/dir/f9").unwrap();
    fs.truncate(f9, 5000).unwrap();
    want.get_mut("/dir/f9").unwrap().truncate(5000);
    let hole = fs.create(sub, b"holes", ROOT).unwrap();
    fs.write(hole, 3_000_000, b"after a hole").unwrap();
    let mut h = vec![0u8; 3_000_000];
    h.extend_from_slice(b"after a hole");
    want.insert("/dir/sub/holes".into(), h);

    // Many entries, half deleted, some renamed across directories.
    let many = fs.mkdir(ROOT_INO, b"many", ROOT).unwrap();
    for i in 0..2000 {
        let ino = fs
            .create(many, format!("entry-{i:04}").as_bytes(), ROOT)
            .unwrap();
        fs.write(ino, 0, format!("{i}\n").as_bytes()).unwrap();
    }
    for i in (0..2000).step_by(2) {
        fs.unlink(many, format!("entry-{i:04}").as_bytes()).unwrap();
    }
    for i in (1..2000).step_by(10) {
        fs.rename(
            many,
            format!("entry-{i:04}").as_bytes(),
            sub,
            format!("moved-{i}").as_bytes(),
        )
        .unwrap();
        want.insert(format!("/dir/sub/moved-{i}"), format!("{i}\n").into_bytes());
    }
    want.insert("/many/entry-1999".into(), b"1999\n".to_vec());

    // Renames: over a file, a directory to another parent, over an empty directory.
    fs.rename(d, b"f2", d, b"f3").unwrap();
    let f2 = want.remove("/dir/f2").unwrap();
    want.insert("/dir/f3".into(), f2);
    let moving = fs.mkdir(d, b"moving", ROOT).unwrap();
    let inner = fs.create(moving, b"inner", ROOT).unwrap();
    fs.write(inner, 0, b"inner file").unwrap();
    fs.rename(d, b"moving", ROOT_INO, b"moved").unwrap();
    want.insert("/moved/inner".into(), b"inner file".to_vec());
    fs.mkdir(ROOT_INO, b"victim", ROOT).unwrap();
    fs.rename(ROOT_INO, b"moved", ROOT_INO, b"victim").unwrap();
    want = want
        .into_iter()
        .map(|(k, v)| (k.replace("/moved/", "/victim/"), v))
        .collect();
    assert_eq!(
        fs.rename(ROOT_INO, b"dir", sub, b"loop"),
        Err(Error::Invalid("a directory moved under itself"))
    );
    assert_eq!(fs.rmdir(ROOT_INO, b"dir"), Err(Error::NotEmpty));

    // Links, symlinks, nodes, attributes.
    let f1 = fs.resolve(b"/dir/f1").unwrap();
    fs.link(f1, ROOT_INO, b"f1-link").unwrap();
    fs.link(f1, sub, b"f1-link2").unwrap();
    fs.unlink(d, b"f1").unwrap();
    want.remove("/dir/f1");
    want.insert("/f1-link".into(), pattern(1, 1));
    assert_eq!(fs.stat(f1).unwrap().nlink, 2);
    fs.symlink(ROOT_INO, b"fast", b"dir/f3", ROOT).unwrap();
    let slow_target = "x/".repeat(150);
    fs.symlink(ROOT_INO, b"slow", slow_target.as_bytes(), ROOT)
        .unwrap();
    fs.symlink(d, b"gone", "y".repeat(100).as_bytes(), ROOT)
        .unwrap();
    fs.unlink(d, b"gone").unwrap();
    fs.mknod(ROOT_INO, b"null", FileType::CharDevice, ROOT, (1, 3))
        .unwrap();
    fs.mknod(
        ROOT_INO,
        b"bigdev",
        FileType::BlockDevice,
        ROOT,
        (259, 70_000),
    )
    .unwrap();
    fs.mknod(ROOT_INO, b"fifo", FileType::Fifo, ROOT, (0, 0))
        .unwrap();
    let owned = fs
        .create(
            ROOT_INO,
            b"owned",
            Owner {
                perm: 0o600,
                uid: 5,
                gid: 6,
            },
        )
        .unwrap();
    fs.setattr(
        owned,
        SetAttr {
            mode: Some(0o4711),
            uid: Some(100_000),
            gid: Some(70_001),
            mtime: Some(1234),
            ..Default::default()
        },
    )
    .unwrap();
    want.insert("/owned".into(), vec![]);
    let tmp = fs.mkdir(ROOT_INO, b"tmpdir", ROOT).unwrap();
    fs.create(tmp, b"x", ROOT).unwrap();
    fs.unlink(tmp, b"x").unwrap();
    fs.rmdir(ROOT_INO, b"tmpdir").unwrap();
    // An open file unlinked stays readable until released.
    let open = fs.create(ROOT_INO, b"open", ROOT).unwrap();
    fs.write(open, 0, &pattern(7, 20_000)).unwrap();
    fs.hold(open);
    fs.unlink(ROOT_INO, b"open").unwrap();
    let mut buf = vec![0u8; 20_000];
    assert_eq!(fs.read(open, 0, &mut buf).unwrap(), 20_000);
    assert_eq!(buf, pattern(7, 20_000));
    fs.release(open).unwrap();
    assert_eq!(fs.stat(open), Err(Error::NotFound));

    fs.sync().unwrap();
    assert!(fs.is_clean());
    drop(fs);
    assert_clean(&image);
    for (path, data) in &want {
        assert!(cat(&image, path) == *data, "debugfs cat {path}");
    }
    let stat = String::from_utf8(debugfs(&image, "stat /owned")).unwrap();
    assert!(
        stat.contains("User: 100000") && stat.contains("Group: 70001"),
        "{stat}"
    );
    assert!(stat.contains("Mode:  04711"), "{stat}");
    assert_eq!(cat(&image, "/slow"), slow_target.as_bytes());
    let dev = String::from_utf8(debugfs(&image, "stat /bigdev")).unwrap();
    assert!(
        dev.contains("Device major/minor number: 259:70000"),
        "{dev}"
    );

    // Read back by the crate too, after reopening.
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    for (path, data) in &want {
        let ino = fs.resolve(path.as_bytes()).unwrap();
        let mut buf = vec![0u8; data.len() + 1];
        assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), data.len());
        assert!(buf[..data.len()] == data[..], "{path}");
    }
    let slow = fs.resolve(b"/slow").unwrap();
    assert_eq!(fs.readlink(slow).unwrap(), slow_target.as_bytes());

    // Delete everything: the free counts come back to the empty image's.
    drop(fs);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_1k_blocks() {
    if have_tools() {
        workload("1024", 32 << 10);
    }
}

#[test]
fn write_4k_blocks() {
    if have_tools() {
        workload("4096", 64 << 10);
    }
}

/// Everything written and then deleted gives back every block and inode.
#[test]
fn delete_all_restores_free_counts() {
    if !have_tools() {
        return;
    }
    let dir = scratch("freeall");
    let image = dir.join("image");
    mkfs(&image, 8 << 10, &["-b", "1024"]);
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    let before = fs.statfs();
    let d = fs.mkdir(ROOT_INO, b"d", ROOT).unwrap();
    for i in 0..50 {
        let f = fs.create(d, format!("f{i}").as_bytes(), ROOT).unwrap();
        fs.write(f, 0, &pattern(i, 30_000 + i as usize * 1000))
            .unwrap();
        fs.symlink(
            d,
            format!("s{i}").as_bytes(),
            "z".repeat(80).as_bytes(),
            ROOT,
        )
        .unwrap();
    }
    fs.sync().unwrap();
    assert!(fs.statfs().free_blocks < before.free_blocks);
    for i in 0..50 {
        fs.unlink(d, format!("f{i}").as_bytes()).unwrap();
        fs.unlink(d, format!("s{i}").as_bytes()).unwrap();
    }
    fs.rmdir(ROOT_INO, b"d").unwrap();
    fs.sync().unwrap();
    assert_eq!(fs.statfs(), before);
    drop(fs);
    assert_clean(&image);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Filling the disk is an error, never corruption; what was freed is
/// reused without an explicit sync.
#[test]
fn full_disk() {
    if !have_tools() {
        return;
    }
    let dir = scratch("full");
    let image = dir.join("image");
    mkfs(&image, 2 << 10, &["-b", "1024"]);
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    let f = fs.create(ROOT_INO, b"big", ROOT).unwrap();
    let chunk = pattern(3, 64 << 10);
    let mut off = 0u64;
    loop {
        match fs.write(f, off, &chunk) {
            Ok(n) if n == chunk.len() => off += n as u64,
            Ok(n) => {
                off += n as u64;
                break;
            }
            Err(Error::NoSpace) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(fs.write(f, off, &chunk), Err(Error::NoSpace));
    fs.sync().unwrap();
    drop(fs);
    assert_clean(&image);
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    fs.unlink(ROOT_INO, b"big").unwrap();
    let g = fs.create(ROOT_INO, b"again", ROOT).unwrap();
    assert_eq!(fs.write(g, 0, &chunk).unwrap(), chunk.len());
    fs.sync().unwrap();
    drop(fs);
    assert_clean(&image);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Indexed directories made by `e2fsck -D` may be changed: their index
/// flag is cleared and e2fsck finds a valid linear directory.
#[test]
fn change_hashed_directory() {
    if !have_tools() {
        return;
    }
    let dir = scratch("htreewrite");
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("big")).unwrap();
    for i in 0..1500 {
        std::fs::write(tree.join(format!("big/name-{i}")), b"x").unwrap();
    }
    let image = dir.join("image");
    mkfs(
        &image,
        8 << 10,
        &["-b", "1024", "-d", tree.to_str().unwrap()],
    );
    fsck_with(&image, "-fyD");
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    let big = fs.resolve(b"/big").unwrap();
    assert_ne!(fs.stat(big).unwrap().flags & 0x1000, 0);
    for i in 0..1500 {
        if i % 3 == 0 {
            fs.unlink(big, format!("name-{i}").as_bytes()).unwrap();
        }
    }
    for i in 0..300 {
        fs.create(big, format!("new-{i}").as_bytes(), ROOT).unwrap();
    }
    assert_eq!(fs.stat(big).unwrap().flags & 0x1000, 0);
    assert_eq!(fs.read_dir(big).unwrap().len(), 2 + 1000 + 300);
    fs.sync().unwrap();
    drop(fs);
    assert_clean(&image);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Files past 4 GiB reach triple indirect blocks and set `large_file`
/// on an image made without it; truncating them frees every level.
#[test]
fn large_sparse_files() {
    if !have_tools() {
        return;
    }
    let dir = scratch("large");
    let image = dir.join("image");
    mkfs(&image, 8 << 10, &["-b", "1024", "-O", "^large_file"]);
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    assert_eq!(fs.superblock().feature_ro_compat & 2, 0);
    let f = fs.create(ROOT_INO, b"huge", ROOT).unwrap();
    let offsets = [
        0u64,
        12 << 10,
        300 << 10,
        70 << 20,
        (4 << 30) + 4321,
        (5 << 30) + 17,
    ];
    for (i, &off) in offsets.iter().enumerate() {
        fs.write(f, off, &pattern(i as u64, 3000)).unwrap();
    }
    fs.sync().unwrap();
    assert_ne!(fs.superblock().feature_ro_compat & 2, 0);
    let used = fs.stat(f).unwrap().blocks;
    for (i, &off) in offsets.iter().enumerate() {
        let mut buf = vec![0u8; 3000];
        assert_eq!(fs.read(f, off, &mut buf).unwrap(), 3000);
        assert_eq!(buf, pattern(i as u64, 3000));
    }
    drop(fs);
    assert_clean(&image);
    let stat = String::from_utf8(debugfs(&image, "stat /huge")).unwrap();
    assert!(
        stat.contains(&format!("Size: {}", (5u64 << 30) + 3017)),
        "{stat}"
    );
    assert!(stat.contains("TIND"), "{stat}");
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    fs.truncate(f, (70 << 20) + 100).unwrap();
    assert!(fs.stat(f).unwrap().blocks < used);
    fs.truncate(f, 12 << 10).unwrap();
    fs.sync().unwrap();
    assert_eq!(
        fs.stat(f).unwrap().blocks,
        3 * 2,
        "3000 bytes at 0: three 1 KiB blocks"
    );
    drop(fs);
    assert_clean(&image);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Extended attribute blocks (set by debugfs) are freed with their
/// inode; attributes inside large inodes are kept as read.
#[test]
fn extended_attributes() {
    if !have_tools() {
        return;
    }
    let dir = scratch("xattr");
    let image = dir.join("image");
    mkfs(&image, 4 << 10, &["-b", "1024"]);
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    let empty = fs.statfs();
    for name in ["big", "small"] {
        let f = fs.create(ROOT_INO, name.as_bytes(), ROOT).unwrap();
        fs.write(f, 0, b"contents").unwrap();
    }
    fs.sync().unwrap();
    drop(fs);
    let value = dir.join("value");
    std::fs::write(&value, "v".repeat(700)).unwrap();
    debugfs_w(
        &image,
        &format!("ea_set -f {} /big user.big", value.display()),
    );
    debugfs_w(&image, "ea_set /small user.small tiny");
    assert_clean(&image);
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    let big = fs.resolve(b"/big").unwrap();
    assert_eq!(
        fs.stat(big).unwrap().blocks,
        4,
        "a data block and an attribute block"
    );
    let small = fs.resolve(b"/small").unwrap();
    fs.setattr(
        small,
        SetAttr {
            uid: Some(77),
            ..Default::default()
        },
    )
    .unwrap();
    fs.write(small, 8, b" and more").unwrap();
    fs.unlink(ROOT_INO, b"big").unwrap();
    fs.sync().unwrap();
    drop(fs);
    assert_clean(&image);
    let out = String::from_utf8(debugfs(&image, "ea_get /small user.small")).unwrap();
    assert!(out.contains("tiny"), "{out}");
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    fs.unlink(ROOT_INO, b"small").unwrap();
    fs.sync().unwrap();
    assert_eq!(fs.statfs(), empty);
    drop(fs);
    assert_clean(&image);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Revision 0 (no file types in entries, 128-byte inodes) and 2 KiB
/// blocks are written as right as the defaults.
#[test]
fn revision_0_and_2k_blocks() {
    if !have_tools() {
        return;
    }
    for (name, args) in [
        ("rev0", &["-b", "1024", "-r", "0"][..]),
        ("2k", &["-b", "2048"][..]),
    ] {
        let dir = scratch(name);
        let image = dir.join("image");
        mkfs(&image, 8 << 10, args);
        let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
        let d = fs.mkdir(ROOT_INO, b"d", ROOT).unwrap();
        for i in 0..200u64 {
            let f = fs.create(d, format!("file-{i}").as_bytes(), ROOT).unwrap();
            fs.write(f, 0, &pattern(i, (i as usize * 997) % 40_000))
                .unwrap();
        }
        for i in (0..200).step_by(3) {
            fs.unlink(d, format!("file-{i}").as_bytes()).unwrap();
        }
        let e = fs.mkdir(d, b"e", ROOT).unwrap();
        fs.rename(d, b"file-1", e, b"one").unwrap();
        fs.symlink(e, b"link", b"../file-2", ROOT).unwrap();
        fs.rename(d, b"e", ROOT_INO, b"e2").unwrap();
        assert_eq!(
            fs.read_dir(e).unwrap()[0].file_type.is_some(),
            fs.superblock().has_filetype()
        );
        fs.sync().unwrap();
        drop(fs);
        assert_clean(&image);
        assert_eq!(debugfs(&image, "cat /e2/one"), pattern(1, 997));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Directory offsets stay put while other entries are removed, so a
/// reader can resume after the last entry it saw.
#[test]
fn directory_offsets_are_stable() {
    if !have_tools() {
        return;
    }
    let dir = scratch("offsets");
    let image = dir.join("image");
    mkfs(&image, 4 << 10, &["-b", "1024"]);
    let mut fs = Fs::open(FileDevice::open(&image)).unwrap();
    let d = fs.mkdir(ROOT_INO, b"d", ROOT).unwrap();
    for i in 0..300 {
        fs.create(d, format!("entry-{i}").as_bytes(), ROOT).unwrap();
    }
    let before = fs.read_dir(d).unwrap();
    assert!(before.windows(2).all(|w| w[0].offset < w[1].offset));
    for i in (0..300).step_by(4) {
        fs.unlink(d, format!("entry-{i}").as_bytes()).unwrap();
    }
    let after = fs.read_dir(d).unwrap();
    for e in &after {
        let old = before.iter().find(|b| b.name == e.name).unwrap();
        assert_eq!(
            old.offset,
            e.offset,
            "{:?}",
            String::from_utf8_lossy(&e.name)
        );
    }
    assert_eq!(after.len(), before.len() - 75);
    fs.sync().unwrap();
    drop(fs);
    assert_clean(&image);
    std::fs::remove_dir_all(&dir).unwrap();
}
