//! Images made by `mke2fs -t ext2 -d DIR` (1, 2 and 4 KiB blocks, revision
//! 0 and 1, with and without hashed directories) read back byte for byte.

mod common;

use std::collections::HashMap;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use common::*;
use ext2::{FileType, Fs, MemDevice};

const SIZES: &[usize] = &[
    0,
    1,
    100,
    1023,
    1024,
    1025,
    4095,
    4096,
    4097,
    12 * 1024,
    12 * 1024 + 1,
    13 * 1024,
    70_000,
    268 * 1024,
    268 * 1024 + 1,
    300_000,
    1_100_000,
    5_000_000,
];
/// Offsets written in the sparse file (past 4 GiB, into triple indirect
/// blocks with 1 KiB blocks).
const SPARSE: &[u64] = &[0, 70 << 20, (4 << 30) + 1234, (5 << 30) - 10];

fn make_tree(root: &Path, many: usize, sparse: bool) {
    std::fs::create_dir_all(root.join("a/b/c/d")).unwrap();
    for (n, &len) in SIZES.iter().enumerate() {
        std::fs::write(root.join(format!("f{len}")), pattern(n as u64, len)).unwrap();
    }
    std::fs::write(root.join("a/b/c/d/deep"), b"deep file\n").unwrap();
    std::fs::write(root.join("a/linked"), pattern(99, 5000)).unwrap();
    std::fs::hard_link(root.join("a/linked"), root.join("a/b/linked2")).unwrap();
    std::fs::hard_link(root.join("a/linked"), root.join("linked3")).unwrap();
    std::os::unix::fs::symlink("a/b/c/d/deep", root.join("fast")).unwrap();
    let long: String = (0..20).map(|i| format!("dir{i:02}/")).collect::<String>() + "target";
    std::os::unix::fs::symlink(&long, root.join("slow")).unwrap();
    std::os::unix::fs::symlink("nowhere", root.join("a/dangling")).unwrap();
    std::fs::create_dir(root.join("empty")).unwrap();
    std::fs::create_dir(root.join("many")).unwrap();
    for i in 0..many {
        std::fs::write(
            root.join(format!("many/entry-{i:05}-with-a-longer-name")),
            format!("entry {i}\n"),
        )
        .unwrap();
    }
    let ok = Command::new("mkfifo")
        .arg(root.join("fifo"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "mkfifo");
    // Device nodes and owners need root: made when we can.
    let _ = Command::new("mknod")
        .arg(root.join("null"))
        .args(["c", "1", "3"])
        .status();
    let _ = Command::new("mknod")
        .arg(root.join("disk"))
        .args(["b", "259", "300"])
        .status();
    let _ = std::os::unix::fs::chown(root.join("f100"), Some(100_000), Some(70_000));
    std::fs::set_permissions(root.join("f1"), std::fs::Permissions::from_mode(0o4750)).unwrap();
    if sparse {
        let f = std::fs::File::create(root.join("sparse")).unwrap();
        for (i, &off) in SPARSE.iter().enumerate() {
            f.write_all_at(&pattern(1000 + i as u64, 10), off).unwrap();
        }
    }
}

fn host_type(m: &std::fs::Metadata) -> FileType {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_dir() {
        FileType::Directory
    } else if t.is_symlink() {
        FileType::Symlink
    } else if t.is_fifo() {
        FileType::Fifo
    } else if t.is_char_device() {
        FileType::CharDevice
    } else if t.is_block_device() {
        FileType::BlockDevice
    } else if t.is_socket() {
        FileType::Socket
    } else {
        FileType::Regular
    }
}

/// Compares the host tree at `host` with directory `ino` of the image.
fn compare(
    fs: &mut Fs<MemDevice>,
    host: &Path,
    ino: u32,
    links: &mut HashMap<u64, u32>,
    count: &mut usize,
) {
    let mut names: Vec<Vec<u8>> = std::fs::read_dir(host)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_encoded_bytes())
        .filter(|n| n != b"lost+found")
        .collect();
    names.sort();
    let entries = fs.read_dir(ino).unwrap();
    let mut got: Vec<Vec<u8>> = entries
        .iter()
        .map(|e| e.name.clone())
        .filter(|n| n != b"." && n != b".." && n != b"lost+found")
        .collect();
    got.sort();
    assert_eq!(got, names, "entries of {}", host.display());
    for e in entries
        .iter()
        .filter(|e| e.name != b"." && e.name != b".." && e.name != b"lost+found")
    {
        let path = host.join(std::str::from_utf8(&e.name).unwrap());
        let m = std::fs::symlink_metadata(&path).unwrap();
        let st = fs.stat(e.ino).unwrap();
        let ty = host_type(&m);
        *count += 1;
        assert_eq!(st.file_type, Some(ty), "{}", path.display());
        if fs.superblock().has_filetype() {
            assert_eq!(e.file_type, Some(ty), "entry type of {}", path.display());
        } else {
            assert_eq!(e.file_type, None);
        }
        assert_eq!(u32::from(st.mode), m.mode(), "mode of {}", path.display());
        assert_eq!(
            (st.uid, st.gid),
            (m.uid(), m.gid()),
            "owner of {}",
            path.display()
        );
        assert_eq!(
            u64::from(st.nlink),
            m.nlink(),
            "links of {}",
            path.display()
        );
        if let Some(&prev) = links.get(&m.ino()) {
            assert_eq!(prev, e.ino, "hard link {}", path.display());
        }
        links.insert(m.ino(), e.ino);
        if ty != FileType::Directory {
            assert_eq!(st.size, m.size(), "size of {}", path.display());
        }
        match ty {
            FileType::Directory => compare(fs, &path, e.ino, links, count),
            FileType::Symlink => {
                let t = std::fs::read_link(&path)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes();
                assert_eq!(
                    fs.readlink(e.ino).unwrap(),
                    t,
                    "target of {}",
                    path.display()
                );
            }
            FileType::Regular if m.size() > 64 << 20 => {
                let f = std::fs::File::open(&path).unwrap();
                for &off in SPARSE.iter().chain(&[1 << 20, 3 << 30]) {
                    let mut want = vec![0u8; 64];
                    let n = f.read_at(&mut want, off).unwrap();
                    let mut buf = vec![0u8; 64];
                    assert_eq!(fs.read(e.ino, off, &mut buf).unwrap(), n);
                    assert_eq!(buf[..n], want[..n], "{} at {off}", path.display());
                }
            }
            FileType::Regular => {
                let want = std::fs::read(&path).unwrap();
                let mut buf = vec![0u8; want.len() + 10];
                assert_eq!(fs.read(e.ino, 0, &mut buf).unwrap(), want.len());
                assert!(
                    buf[..want.len()] == want[..],
                    "contents of {}",
                    path.display()
                );
            }
            FileType::CharDevice | FileType::BlockDevice => {
                let r = m.rdev();
                let major = ((r >> 8) & 0xfff) | ((r >> 32) & !0xfff);
                let minor = (r & 0xff) | ((r >> 12) & !0xff);
                assert_eq!(
                    st.rdev,
                    (major as u32, minor as u32),
                    "rdev of {}",
                    path.display()
                );
            }
            _ => {}
        }
    }
}

fn check(
    name: &str,
    size_kib: u64,
    args: &[&str],
    many: usize,
    sparse: bool,
    index: bool,
) -> ext2::Stat {
    let dir = scratch(name);
    let tree = dir.join("tree");
    make_tree(&tree, many, sparse);
    let image = dir.join("image");
    let mut a = args.to_vec();
    let t = tree.to_str().unwrap();
    a.extend(["-d", t]);
    mkfs(&image, size_kib, &a);
    if index {
        fsck_with(&image, "-fyD");
    }
    assert_clean(&image);
    let mut fs = Fs::open(MemDevice::from_vec(std::fs::read(&image).unwrap())).unwrap();
    let mut count = 0;
    compare(
        &mut fs,
        &tree,
        ext2::ROOT_INO,
        &mut HashMap::new(),
        &mut count,
    );
    assert!(count > many, "{count} files compared");
    let many_dir = fs.resolve(b"/many").unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    fs.stat(many_dir).unwrap()
}

#[test]
fn mke2fs_1k_blocks() {
    if !have_tools() {
        return;
    }
    check("read1k", 24 << 10, &["-b", "1024"], 2000, true, false);
}

#[test]
fn mke2fs_2k_blocks() {
    if !have_tools() {
        return;
    }
    check("read2k", 24 << 10, &["-b", "2048"], 300, false, false);
}

#[test]
fn mke2fs_4k_blocks() {
    if !have_tools() {
        return;
    }
    check("read4k", 32 << 10, &["-b", "4096"], 2000, true, false);
}

#[test]
fn mke2fs_revision_0() {
    if !have_tools() {
        return;
    }
    check(
        "readrev0",
        16 << 10,
        &["-b", "1024", "-r", "0"],
        100,
        false,
        false,
    );
}

#[test]
fn hashed_directories_read_as_linear() {
    if !have_tools() {
        return;
    }
    let st = check("readhtree", 24 << 10, &["-b", "1024"], 2000, false, true);
    assert_ne!(st.flags & 0x1000, 0, "e2fsck -D indexed the big directory");
}
