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
