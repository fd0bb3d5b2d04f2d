//! Block group descriptors: 32 bytes each, in the blocks after the
//! superblock, giving each group's bitmaps, inode table and free counts.

use crate::le::{get16, get32, put16, put32};

/// A group descriptor's size on disk.
pub const DESC_SIZE: usize = 32;

/// One block group's descriptor (the fields ext2 defines; the reserved
/// bytes are kept as read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupDesc {
    /// `bg_block_bitmap`.
    pub block_bitmap: u32,
    /// `bg_inode_bitmap`.
    pub inode_bitmap: u32,
    /// `bg_inode_table`: the first block of the group's inodes.
    pub inode_table: u32,
    /// `bg_free_blocks_count`.
    pub free_blocks: u16,
    /// `bg_free_inodes_count`.
    pub free_inodes: u16,
    /// `bg_used_dirs_count`.
    pub used_dirs: u16,
    raw: [u8; DESC_SIZE],
}

impl GroupDesc {
    /// Parses a descriptor from its 32 bytes (shorter input reads as zero).
    pub fn parse(b: &[u8]) -> GroupDesc {
        let mut raw = [0u8; DESC_SIZE];
        for (d, s) in raw.iter_mut().zip(b) {
            *d = *s;
        }
        GroupDesc {
            block_bitmap: get32(&raw, 0),
            inode_bitmap: get32(&raw, 4),
            inode_table: get32(&raw, 8),
            free_blocks: get16(&raw, 12),
            free_inodes: get16(&raw, 14),
            used_dirs: get16(&raw, 16),
            raw,
        }
    }

    /// The descriptor's 32 bytes.
    pub fn to_bytes(&self) -> [u8; DESC_SIZE] {
        let mut raw = self.raw;
        put32(&mut raw, 0, self.block_bitmap);
        put32(&mut raw, 4, self.inode_bitmap);
        put32(&mut raw, 8, self.inode_table);
        put16(&mut raw, 12, self.free_blocks);
        put16(&mut raw, 14, self.free_inodes);
        put16(&mut raw, 16, self.used_dirs);
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_reserved_bytes() {
        let mut b = [0u8; 32];
        b[0] = 3;
        b[4] = 4;
        b[8] = 5;
        b[12] = 10;
        b[31] = 0x55;
        let mut g = GroupDesc::parse(&b);
        assert_eq!(
            (g.block_bitmap, g.inode_bitmap, g.inode_table, g.free_blocks),
            (3, 4, 5, 10)
        );
        g.free_blocks = 9;
        let out = g.to_bytes();
        assert_eq!(out[12], 9);
        assert_eq!(out[31], 0x55);
    }
}
