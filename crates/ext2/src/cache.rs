//! The write-back overlay: blocks changed since the last write-back, each
//! with its kind, so they can go to the device in a safe order.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// What a dirty block holds. The order of the variants is the order of
/// write-back ([`crate::Fs::dirty_blocks`]): allocation marks first (a
/// crash then leaks space at worst, never hands out a block twice), then
/// file data, then the indirect blocks that point to data, then the inodes
/// that point to those, then the directories that point to inodes, then
/// the group and superblock counts (which e2fsck recomputes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockKind {
    /// A block or inode bitmap.
    Bitmap,
    /// File or slow-symlink data.
    Data,
    /// An indirect block of a block map.
    Indirect,
    /// A block of an inode table.
    InodeTable,
    /// A directory block.
    Directory,
    /// A block of group descriptors.
    GroupDesc,
    /// The block holding the superblock.
    Superblock,
}

/// Dirty blocks by number.
#[derive(Debug, Default)]
pub struct Overlay {
    blocks: BTreeMap<u64, (BlockKind, Vec<u8>)>,
}

impl Overlay {
    /// The dirty copy of block `n`, if any.
    pub fn get(&self, n: u64) -> Option<&[u8]> {
        self.blocks.get(&n).map(|(_, b)| b.as_slice())
    }

    /// Records block `n` as dirty with these contents.
    pub fn put(&mut self, n: u64, kind: BlockKind, data: Vec<u8>) {
        self.blocks.insert(n, (kind, data));
    }

    /// Takes block `n` out of the overlay.
    pub fn take(&mut self, n: u64) -> Option<(BlockKind, Vec<u8>)> {
        self.blocks.remove(&n)
    }

    /// The dirty blocks in write-back order.
    pub fn ordered(&self) -> Vec<(u64, BlockKind)> {
        let mut v: Vec<(u64, BlockKind)> = self.blocks.iter().map(|(n, (k, _))| (*n, *k)).collect();
        v.sort_by_key(|&(n, k)| (k, n));
        v
    }

    /// Whether nothing is dirty.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}
