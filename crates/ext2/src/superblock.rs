//! The superblock: 1024 bytes at byte 1024 of the device, describing the
//! whole file system. Parsed once at open, checked for what this crate
//! supports, and written back with its free counts and features.

use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::le::{get16, get32, put32};

/// The superblock's size and its byte offset on the device.
pub const SUPERBLOCK_SIZE: usize = 1024;
/// `s_magic`.
pub const MAGIC: u16 = 0xEF53;

/// Compatible feature: directory preallocation.
pub const COMPAT_DIR_PREALLOC: u32 = 0x1;
/// Compatible feature: a journal (ext3); ignored, as ext2 ignores it.
pub const COMPAT_HAS_JOURNAL: u32 = 0x4;
/// Compatible feature: extended attribute blocks (`i_file_acl`).
pub const COMPAT_EXT_ATTR: u32 = 0x8;
/// Compatible feature: the resize inode (7) reserves group descriptor blocks.
pub const COMPAT_RESIZE_INODE: u32 = 0x10;
/// Compatible feature: hashed directory indexes (read as linear ones).
pub const COMPAT_DIR_INDEX: u32 = 0x20;

/// Incompatible feature: directory entries carry a file type.
pub const INCOMPAT_FILETYPE: u32 = 0x2;
/// The incompatible features this crate implements.
pub const INCOMPAT_SUPPORTED: u32 = INCOMPAT_FILETYPE;

/// Read-only-compatible feature: superblock backups only in groups 0, 1
/// and powers of 3, 5 and 7.
pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
/// Read-only-compatible feature: files of 2 GiB and more (`i_size_high`).
pub const RO_COMPAT_LARGE_FILE: u32 = 0x2;
/// The read-only-compatible features this crate writes correctly; with any
/// other the image opens read-only.
pub const RO_COMPAT_SUPPORTED: u32 = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE;

/// Names of incompatible features, for the refusal's message.
fn incompat_name(bits: u32) -> &'static str {
    match bits.trailing_zeros() {
        0 => "incompatible feature compression",
        2 => "incompatible feature needs_recovery (replay the journal first)",
        3 => "incompatible feature journal_dev",
        4 => "incompatible feature meta_bg",
        6 => "incompatible feature extent",
        7 => "incompatible feature 64bit",
        8 => "incompatible feature mmp",
        9 => "incompatible feature flex_bg",
        15 => "incompatible feature inline_data",
        16 => "incompatible feature encrypt",
        17 => "incompatible feature casefold",
        _ => "an unknown incompatible feature",
    }
}

/// The superblock's fields this crate uses, and its raw bytes (written
/// back with the fields that change patched in).
#[derive(Clone, Debug)]
pub struct Superblock {
    raw: Vec<u8>,
    /// `s_inodes_count`.
    pub inodes_count: u32,
    /// `s_blocks_count`.
    pub blocks_count: u32,
    /// `s_r_blocks_count`: blocks reserved for the super-user.
    pub r_blocks_count: u32,
    /// `s_free_blocks_count`.
    pub free_blocks_count: u32,
    /// `s_free_inodes_count`.
    pub free_inodes_count: u32,
    /// `s_first_data_block`: 1 with 1 KiB blocks, else 0.
    pub first_data_block: u32,
    /// The block size in bytes (`1024 << s_log_block_size`).
    pub block_size: usize,
    /// `s_blocks_per_group`.
    pub blocks_per_group: u32,
    /// `s_inodes_per_group`.
    pub inodes_per_group: u32,
    /// `s_rev_level`: 0 (original) or 1 (dynamic).
    pub rev_level: u32,
    /// `s_first_ino`: the first inode not reserved.
    pub first_ino: u32,
    /// `s_inode_size`.
    pub inode_size: usize,
    /// `s_feature_compat`.
    pub feature_compat: u32,
    /// `s_feature_incompat`.
    pub feature_incompat: u32,
    /// `s_feature_ro_compat`.
    pub feature_ro_compat: u32,
    /// `s_wtime`: last write time.
    pub wtime: u32,
    /// The number of block groups.
    pub groups: u32,
}

impl Superblock {
    /// Parses and checks a superblock. Errors: [`Error::NotExt2`] without
    /// the magic number, [`Error::Unsupported`] for a revision or
    /// incompatible feature not implemented, [`Error::Corrupt`] for
    /// geometry that cannot be right.
    pub fn parse(raw: &[u8]) -> Result<Superblock> {
        if raw.len() < SUPERBLOCK_SIZE {
            return Err(Error::Corrupt("short superblock"));
        }
        if get16(raw, 56) != MAGIC {
            return Err(Error::NotExt2);
        }
        let log = get32(raw, 24);
        // 64 KiB blocks need ext4's encoding of a 65536-byte rec_len.
        if log > 5 {
            return Err(Error::Unsupported("block size above 32 KiB"));
        }
        let block_size = 1024usize << log;
        let rev_level = get32(raw, 76);
        let (first_ino, inode_size, compat, incompat, ro_compat) = match rev_level {
            0 => (11, 128, 0, 0, 0),
            1 => (
                get32(raw, 84),
                usize::from(get16(raw, 88)),
                get32(raw, 92),
                get32(raw, 96),
                get32(raw, 100),
            ),
            _ => return Err(Error::Unsupported("revision above 1")),
        };
        let unknown = incompat & !INCOMPAT_SUPPORTED;
        if unknown != 0 {
            return Err(Error::Unsupported(incompat_name(unknown)));
        }
        if inode_size < 128 || !inode_size.is_power_of_two() || inode_size > block_size {
            return Err(Error::Corrupt("inode size"));
        }
        let sb = Superblock {
            raw: raw[..SUPERBLOCK_SIZE].to_vec(),
            inodes_count: get32(raw, 0),
            blocks_count: get32(raw, 4),
            r_blocks_count: get32(raw, 8),
            free_blocks_count: get32(raw, 12),
            free_inodes_count: get32(raw, 16),
            first_data_block: get32(raw, 20),
            block_size,
            blocks_per_group: get32(raw, 32),
            inodes_per_group: get32(raw, 40),
            rev_level,
            first_ino,
            inode_size,
            feature_compat: compat,
            feature_incompat: incompat,
            feature_ro_compat: ro_compat,
            wtime: get32(raw, 48),
            groups: 0,
        };
        sb.check()
    }

    fn check(mut self) -> Result<Superblock> {
        let bits = u32::try_from(self.block_size * 8).unwrap_or(u32::MAX);
        if self.blocks_per_group == 0 || self.blocks_per_group > bits {
            return Err(Error::Corrupt("blocks per group"));
        }
        if self.inodes_per_group == 0 || self.inodes_per_group > bits {
            return Err(Error::Corrupt("inodes per group"));
        }
        if self.first_data_block >= self.blocks_count {
            return Err(Error::Corrupt("first data block"));
        }
        if self.block_size == 1024 && self.first_data_block == 0 {
            return Err(Error::Corrupt("first data block"));
        }
        let data = self.blocks_count - self.first_data_block;
        self.groups = data.div_ceil(self.blocks_per_group);
        if u64::from(self.groups) * u64::from(self.inodes_per_group) != u64::from(self.inodes_count)
        {
            return Err(Error::Corrupt(
                "inode count is not groups times inodes per group",
            ));
        }
        if self.first_ino < 3 || self.first_ino > self.inodes_count {
            return Err(Error::Corrupt("first inode"));
        }
        let gdt_end = u64::from(self.first_data_block) + 1 + self.gdt_blocks();
        if gdt_end > u64::from(self.blocks_count) {
            return Err(Error::Corrupt("group descriptors past the end"));
        }
        Ok(self)
    }

    /// Blocks taken by the group descriptor table.
    pub fn gdt_blocks(&self) -> u64 {
        (u64::from(self.groups) * 32).div_ceil(self.block_size as u64)
    }

    /// Blocks in group `g` (the last may be short).
    pub fn blocks_in_group(&self, g: u32) -> u32 {
        let start =
            u64::from(self.first_data_block) + u64::from(g) * u64::from(self.blocks_per_group);
        let left = u64::from(self.blocks_count).saturating_sub(start);
        u32::try_from(left.min(u64::from(self.blocks_per_group))).unwrap_or(0)
    }

    /// Whether the image may be written: every read-only-compatible
    /// feature is one this crate keeps right.
    pub fn writable(&self) -> bool {
        self.feature_ro_compat & !RO_COMPAT_SUPPORTED == 0
    }

    /// Whether directory entries carry file types.
    pub fn has_filetype(&self) -> bool {
        self.feature_incompat & INCOMPAT_FILETYPE != 0
    }

    /// The superblock's bytes with the changing fields patched in.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut raw = self.raw.clone();
        put32(&mut raw, 12, self.free_blocks_count);
        put32(&mut raw, 16, self.free_inodes_count);
        put32(&mut raw, 48, self.wtime);
        if self.rev_level >= 1 {
            put32(&mut raw, 100, self.feature_ro_compat);
        }
        raw
    }
}
