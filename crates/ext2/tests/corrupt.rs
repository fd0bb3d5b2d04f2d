//! Corrupt images never make the crate panic: bytes of an mke2fs-made
//! image's metadata are mutated at random, then the image is opened,
//! walked, read and written; every failure must be an error value.

mod common;

use common::*;
use ext2::{Error, FileType, Fs, MemDevice, ROOT_INO};
use proptest::prelude::*;

fn base_image() -> Option<Vec<u8>> {
    if !have_tools() {
        return None;
    }
    let dir = scratch("corrupt");
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("d/e")).unwrap();
    for (i, len) in [0usize, 10, 1500, 13_000, 300_000].iter().enumerate() {
        std::fs::write(tree.join(format!("f{i}")), pattern(i as u64, *len)).unwrap();
    }
    for i in 0..60 {
        std::fs::write(tree.join(format!("d/n{i}")), b"x").unwrap();
    }
    std::os::unix::fs::symlink("f1", tree.join("fast")).unwrap();
    std::os::unix::fs::symlink("s/".repeat(60), tree.join("d/slow")).unwrap();
    std::fs::hard_link(tree.join("f2"), tree.join("d/e/hard")).unwrap();
    let image = dir.join("image");
    mkfs(
        &image,
        1024,
        &["-b", "1024", "-N", "128", "-d", tree.to_str().unwrap()],
    );
    let data = std::fs::read(&image).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Some(data)
}

/// Everything a server might do with an image, results ignored.
fn exercise(image: Vec<u8>) {
    let Ok(mut fs) = Fs::open(MemDevice::from_vec(image)) else {
        return;
    };
    let mut stack = vec![(ROOT_INO, 0)];
    let mut seen = 0;
    let mut buf = vec![0u8; 70_000];
    let mut files = Vec::new();
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = fs.read_dir(dir) else {
            continue;
        };
        for e in entries {
            seen += 1;
            if seen > 500 {
                break;
            }
            let Ok(st) = fs.stat(e.ino) else { continue };
            match st.file_type {
                Some(FileType::Directory) if depth < 6 && e.name != b"." && e.name != b".." => {
                    stack.push((e.ino, depth + 1))
                }
                Some(FileType::Symlink) => drop(fs.readlink(e.ino)),
                Some(FileType::Regular) => {
                    let _ = fs.read(e.ino, 0, &mut buf);
                    let _ = fs.read(e.ino, st.size.saturating_sub(100), &mut buf);
                    files.push((dir, e.name.clone(), e.ino));
                }
                _ => {}
            }
        }
    }
    let o = common::ROOT;
    let _ = fs
        .create(ROOT_INO, b"new", o)
        .and_then(|f| fs.write(f, 5000, &buf[..20_000]));
    let _ = fs.mkdir(ROOT_INO, b"newdir", o);
    let _ = fs.symlink(ROOT_INO, b"newlink", &[b'l'; 100], o);
    for (i, (dir, name, ino)) in files.into_iter().enumerate().take(4) {
        let _ = match i {
            0 => fs.truncate(ino, 100),
            1 => fs.write(ino, 200_000, b"more").map(drop),
            2 => fs.rename(dir, &name, ROOT_INO, b"renamed"),
            _ => fs.unlink(dir, &name),
        };
    }
    let _ = fs.rmdir(ROOT_INO, b"d");
    let _ = fs.sync();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_metadata_never_panics(
        muts in proptest::collection::vec((0usize..64 * 1024, any::<u8>()), 1..24),
    ) {
        static BASE: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
        let Some(base) = BASE.get_or_init(base_image) else { return Ok(()) };
        let mut image = base.clone();
        for (off, byte) in muts {
            image[off] = byte;
        }
        exercise(image);
    }

    #[test]
    fn random_superblocks_never_panic(sb in proptest::collection::vec(any::<u8>(), 1024)) {
        let mut image = vec![0u8; 64 * 1024];
        image[1024..2048].copy_from_slice(&sb);
        image[1024 + 56] = 0x53;
        image[1024 + 57] = 0xEF;
        exercise(image);
    }
}

#[test]
fn refuses_unsupported_features_and_bad_magic() {
    let Some(base) = base_image() else { return };
    let mut bad = base.clone();
    bad[1024 + 56] = 0;
    assert_eq!(
        Fs::open(MemDevice::from_vec(bad)).err(),
        Some(Error::NotExt2)
    );
    let mut ext4 = base.clone();
    ext4[1024 + 96] |= 0x40; // extent
    assert_eq!(
        Fs::open(MemDevice::from_vec(ext4)).err(),
        Some(Error::Unsupported("incompatible feature extent"))
    );
    let mut ro = base.clone();
    ro[1024 + 101] |= 0x04; // metadata_csum (0x400): read-only
    let mut fs = Fs::open(MemDevice::from_vec(ro)).unwrap();
    assert!(fs.is_read_only());
    assert_eq!(
        fs.create(ROOT_INO, b"x", common::ROOT),
        Err(Error::ReadOnly)
    );
    assert!(fs.read_dir(ROOT_INO).is_ok());
    let mut fs = Fs::open_read_only(MemDevice::from_vec(base)).unwrap();
    assert_eq!(fs.mkdir(ROOT_INO, b"x", common::ROOT), Err(Error::ReadOnly));
}
