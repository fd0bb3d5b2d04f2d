//! The write-back order: what a sync writes, in which order, and that
//! frees reach the device only after the pointers to them are gone.

mod common;

use common::*;
use ext2::{BlockDevice, BlockKind, DevError, Fs, MemDevice, ROOT_INO};

/// A device that records writes and barriers.
struct Recorder {
    inner: MemDevice,
    log: Vec<Option<u64>>,
}

impl BlockDevice for Recorder {
    fn read_block(&mut self, n: u64, buf: &mut [u8]) -> Result<(), DevError> {
        self.inner.read_block(n, buf)
    }
    fn write_block(&mut self, n: u64, buf: &[u8]) -> Result<(), DevError> {
        self.log.push(Some(n));
        self.inner.write_block(n, buf)
    }
    fn flush(&mut self) -> Result<(), DevError> {
        self.log.push(None);
        Ok(())
    }
}

fn image() -> Option<Vec<u8>> {
    if !have_tools() {
        return None;
    }
    let dir = scratch("order");
    let image = dir.join("image");
    mkfs(&image, 4 << 10, &["-b", "1024"]);
    let data = std::fs::read(&image).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Some(data)
}

#[test]
fn data_before_the_metadata_that_points_to_it() {
    let Some(img) = image() else { return };
    let mut fs = Fs::open(Recorder {
        inner: MemDevice::from_vec(img),
        log: vec![],
    })
    .unwrap();
    let f = fs.create(ROOT_INO, b"file", ROOT).unwrap();
    fs.write(f, 0, &pattern(1, 300_000)).unwrap();
    let order = fs.dirty_blocks().unwrap();
    let kinds: Vec<BlockKind> = order.iter().map(|&(_, k)| k).collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(kinds, sorted, "dirty blocks come in kind order");
    for k in [
        BlockKind::Bitmap,
        BlockKind::Data,
        BlockKind::Indirect,
        BlockKind::InodeTable,
        BlockKind::Directory,
        BlockKind::GroupDesc,
        BlockKind::Superblock,
    ] {
        assert!(kinds.contains(&k), "{k:?} is dirty");
    }
    fs.sync().unwrap();
    let log = std::mem::take(&mut fs.device().log);
    let written: Vec<u64> = log.iter().flatten().copied().collect();
    assert_eq!(written, order.iter().map(|&(n, _)| n).collect::<Vec<_>>());
    assert_eq!(log.last(), Some(&None), "a barrier ends the sync");
    assert!(fs.is_clean());

    // A delete: the inode and directory go first; the bitmaps that free
    // the blocks only after a barrier.
    fs.unlink(ROOT_INO, b"file").unwrap();
    let before = fs.statfs();
    fs.sync().unwrap();
    let log = std::mem::take(&mut fs.device().log);
    let barrier = log.iter().position(Option::is_none).unwrap();
    let first: Vec<u64> = log[..barrier].iter().flatten().copied().collect();
    let second: Vec<u64> = log[barrier + 1..].iter().flatten().copied().collect();
    assert!(!first.is_empty() && !second.is_empty());
    assert_eq!(log.last(), Some(&None));
    let bitmaps: Vec<u64> = (0..fs.superblock().groups)
        .flat_map(|g| {
            let d = fs.group(g).unwrap();
            [u64::from(d.block_bitmap), u64::from(d.inode_bitmap)]
        })
        .collect();
    assert!(
        first.iter().all(|b| !bitmaps.contains(b)),
        "no bitmap before the barrier: {first:?}"
    );
    assert!(
        second.iter().any(|b| bitmaps.contains(b)),
        "the bitmaps after it: {second:?}"
    );
    assert!(
        fs.statfs().free_blocks > before.free_blocks,
        "frees counted after the commit"
    );
}

/// A device that keeps a copy of the image at every barrier.
struct Snapshots {
    inner: MemDevice,
    shots: Vec<Vec<u8>>,
}

impl BlockDevice for Snapshots {
    fn read_block(&mut self, n: u64, buf: &mut [u8]) -> Result<(), DevError> {
        self.inner.read_block(n, buf)
    }
    fn write_block(&mut self, n: u64, buf: &[u8]) -> Result<(), DevError> {
        self.inner.write_block(n, buf)
    }
    fn flush(&mut self) -> Result<(), DevError> {
        self.shots.push(self.inner.as_bytes().to_vec());
        Ok(())
    }
}

/// At every barrier of every sync, the image on the device is one that
/// e2fsck finds consistent but for leaks: passes 1 to 4 (inodes, blocks,
/// directories, connectivity, link counts) report nothing, and pass 5
/// only bitmap bits still set and the free counts that go with them.
#[test]
fn every_barrier_leaves_at_most_leaks() {
    let Some(img) = image() else { return };
    let mut fs = Fs::open(Snapshots {
        inner: MemDevice::from_vec(img),
        shots: vec![],
    })
    .unwrap();
    let d = fs.mkdir(ROOT_INO, b"d", ROOT).unwrap();
    for i in 0..30u64 {
        let f = fs.create(d, format!("f{i}").as_bytes(), ROOT).unwrap();
        fs.write(f, 0, &pattern(i, 20_000 + i as usize * 3000))
            .unwrap();
    }
    fs.sync().unwrap();
    for i in (0..30).step_by(2) {
        fs.unlink(d, format!("f{i}").as_bytes()).unwrap();
    }
    let f1 = fs.resolve(b"/d/f1").unwrap();
    fs.truncate(f1, 100).unwrap();
    fs.rename(d, b"f3", ROOT_INO, b"moved").unwrap();
    fs.sync().unwrap();
    fs.rmdir(ROOT_INO, b"d").unwrap_err();
    fs.mkdir(ROOT_INO, b"e", ROOT).unwrap();
    fs.rename(ROOT_INO, b"e", d, b"e").unwrap();
    fs.sync().unwrap();
    let shots = std::mem::take(&mut fs.device().shots);
    assert!(shots.len() >= 4, "{} barriers", shots.len());
    let dir = scratch("barriers");
    for (n, shot) in shots.iter().enumerate() {
        let path = dir.join(format!("shot{n}"));
        std::fs::write(&path, shot).unwrap();
        let (_, text) = fsck(&path);
        let mut pass = 0;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("Pass ") {
                pass = rest[..1].parse().unwrap();
                continue;
            }
            let leak = line.starts_with("Block bitmap differences:")
                || line.starts_with("Inode bitmap differences:")
                || line.starts_with("Free blocks count wrong")
                || line.starts_with("Free inodes count wrong")
                || line.starts_with("Directories count wrong")
                || line.starts_with("Fix? no")
                || line.is_empty()
                || line.starts_with("e2fsck ")
                || line.contains("********** WARNING")
                || line.contains(" files (")
                || line.starts_with("Warning: skipping journal");
            assert!(
                pass == 0 || (pass == 5 && leak),
                "barrier {n}, pass {pass}: {line}\n{text}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
