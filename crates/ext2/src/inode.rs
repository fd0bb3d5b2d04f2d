//! Inodes: the on-disk record of a file (128 bytes in revision 0,
//! `s_inode_size` in revision 1; the bytes past 128 are kept as read).

use alloc::vec::Vec;

use crate::le::{get16, get32, put16, put32};

/// The root directory's inode number.
pub const ROOT_INO: u32 = 2;
/// ext2's limit on a link count.
pub const LINK_MAX: u16 = 32000;
/// Direct block pointers in `i_block`.
pub const NDIR: usize = 12;
/// Bytes of `i_block` (a fast symlink's target is shorter than this).
pub const IBLOCK_BYTES: usize = 60;

/// `i_flags`: the directory has a hashed index (htree).
pub const FLAG_INDEX: u32 = 0x1000;

/// The file-type bits of `i_mode`.
pub const S_IFMT: u16 = 0o170000;
/// Socket.
pub const S_IFSOCK: u16 = 0o140000;
/// Symbolic link.
pub const S_IFLNK: u16 = 0o120000;
/// Regular file.
pub const S_IFREG: u16 = 0o100000;
/// Block device.
pub const S_IFBLK: u16 = 0o060000;
/// Directory.
pub const S_IFDIR: u16 = 0o040000;
/// Character device.
pub const S_IFCHR: u16 = 0o020000;
/// FIFO.
pub const S_IFIFO: u16 = 0o010000;

/// What kind of file an inode is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileType {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A FIFO.
    Fifo,
    /// A socket.
    Socket,
    /// A symbolic link.
    Symlink,
}

impl FileType {
    /// The type of a mode, if its type bits name one.
    pub fn from_mode(mode: u16) -> Option<FileType> {
        Some(match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            S_IFLNK => FileType::Symlink,
            _ => return None,
        })
    }

    /// The type bits of `i_mode`.
    pub fn mode_bits(self) -> u16 {
        match self {
            FileType::Regular => S_IFREG,
            FileType::Directory => S_IFDIR,
            FileType::CharDevice => S_IFCHR,
            FileType::BlockDevice => S_IFBLK,
            FileType::Fifo => S_IFIFO,
            FileType::Socket => S_IFSOCK,
            FileType::Symlink => S_IFLNK,
        }
    }

    /// The directory entry's `file_type` byte.
    pub fn dirent_code(self) -> u8 {
        match self {
            FileType::Regular => 1,
            FileType::Directory => 2,
            FileType::CharDevice => 3,
            FileType::BlockDevice => 4,
            FileType::Fifo => 5,
            FileType::Socket => 6,
            FileType::Symlink => 7,
        }
    }

    /// The type a directory entry's `file_type` byte names.
    pub fn from_dirent_code(code: u8) -> Option<FileType> {
        Some(match code {
            1 => FileType::Regular,
            2 => FileType::Directory,
            3 => FileType::CharDevice,
            4 => FileType::BlockDevice,
            5 => FileType::Fifo,
            6 => FileType::Socket,
            7 => FileType::Symlink,
            _ => return None,
        })
    }
}

/// An inode: its fields, and its raw bytes (fields this crate does not
/// use, such as the large inode's extra fields, are written back as read).
#[derive(Clone, Debug)]
pub struct Inode {
    raw: Vec<u8>,
    /// `i_mode`: type and permission bits.
    pub mode: u16,
    /// The owner (`i_uid` and, on Linux-made images, `l_i_uid_high`).
    pub uid: u32,
    /// The group (`i_gid` and `l_i_gid_high`).
    pub gid: u32,
    /// The size in bytes (`i_size`, and `i_size_high` for regular files).
    pub size: u64,
    /// `i_atime`.
    pub atime: u32,
    /// `i_ctime`.
    pub ctime: u32,
    /// `i_mtime`.
    pub mtime: u32,
    /// `i_dtime`: deletion time, zero while in use.
    pub dtime: u32,
    /// `i_links_count`.
    pub links: u16,
    /// `i_blocks`: 512-byte sectors held (data, indirect and attribute blocks).
    pub sectors: u32,
    /// `i_flags`.
    pub flags: u32,
    /// `i_block`: 12 direct pointers, then single, double and triple
    /// indirect; or a fast symlink's target; or a device number.
    pub block: [u32; 15],
    /// `i_generation`.
    pub generation: u32,
    /// `i_file_acl`: the extended attribute block, or 0.
    pub file_acl: u32,
}

impl Inode {
    /// Parses an inode record (`raw` is `s_inode_size` bytes).
    pub fn parse(raw: &[u8]) -> Inode {
        let mode = get16(raw, 0);
        let mut block = [0u32; 15];
        for (i, b) in block.iter_mut().enumerate() {
            *b = get32(raw, 40 + 4 * i);
        }
        let mut size = u64::from(get32(raw, 4));
        if mode & S_IFMT == S_IFREG {
            size |= u64::from(get32(raw, 108)) << 32;
        }
        Inode {
            raw: raw.to_vec(),
            mode,
            uid: u32::from(get16(raw, 2)) | u32::from(get16(raw, 120)) << 16,
            gid: u32::from(get16(raw, 24)) | u32::from(get16(raw, 122)) << 16,
            size,
            atime: get32(raw, 8),
            ctime: get32(raw, 12),
            mtime: get32(raw, 16),
            dtime: get32(raw, 20),
            links: get16(raw, 26),
            sectors: get32(raw, 28),
            flags: get32(raw, 32),
            block,
            generation: get32(raw, 100),
            file_acl: get32(raw, 104),
        }
    }

    /// A fresh inode record of `size` bytes: all zero but the generation,
    /// and, in a large inode, `i_extra_isize` covering the extra time
    /// fields as Linux and mke2fs set it.
    pub fn new(inode_size: usize, generation: u32) -> Inode {
        let mut raw = alloc::vec![0u8; inode_size];
        if inode_size >= 160 {
            put16(&mut raw, 128, 32);
        }
        let mut i = Inode::parse(&raw);
        i.generation = generation;
        i
    }

    /// The record's bytes with the fields stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut raw = self.raw.clone();
        let r = &mut raw;
        put16(r, 0, self.mode);
        put16(r, 2, self.uid as u16);
        put32(r, 4, self.size as u32);
        put32(r, 8, self.atime);
        put32(r, 12, self.ctime);
        put32(r, 16, self.mtime);
        put32(r, 20, self.dtime);
        put16(r, 24, self.gid as u16);
        put16(r, 26, self.links);
        put32(r, 28, self.sectors);
        put32(r, 32, self.flags);
        for (i, b) in self.block.iter().enumerate() {
            put32(r, 40 + 4 * i, *b);
        }
        put32(r, 100, self.generation);
        put32(r, 104, self.file_acl);
        if self.file_type() == Some(FileType::Regular) {
            put32(r, 108, (self.size >> 32) as u32);
        }
        put16(r, 120, (self.uid >> 16) as u16);
        put16(r, 122, (self.gid >> 16) as u16);
        raw
    }

    /// The inode's file type, if its mode names one.
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode)
    }

    /// Whether the inode is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Whether `i_block` holds block pointers (regular files, directories
    /// and slow symlinks); devices, FIFOs, sockets and fast symlinks keep
    /// other things there.
    pub fn has_block_map(&self, block_size: usize) -> bool {
        match self.file_type() {
            Some(FileType::Regular) | Some(FileType::Directory) => true,
            Some(FileType::Symlink) => !self.is_fast_symlink(block_size),
            _ => false,
        }
    }

    /// Whether a symlink keeps its target in `i_block`: it holds no
    /// blocks but its attribute block (the rule Linux uses).
    pub fn is_fast_symlink(&self, block_size: usize) -> bool {
        let acl = if self.file_acl != 0 {
            (block_size / 512) as u32
        } else {
            0
        };
        self.sectors == acl
    }

    /// `i_block` as bytes (a fast symlink's target).
    pub fn block_bytes(&self) -> [u8; IBLOCK_BYTES] {
        let mut out = [0u8; IBLOCK_BYTES];
        for (chunk, b) in out.chunks_exact_mut(4).zip(self.block.iter()) {
            chunk.copy_from_slice(&b.to_le_bytes());
        }
        out
    }

    /// Stores bytes into `i_block` (a fast symlink's target; the rest zero).
    pub fn set_block_bytes(&mut self, bytes: &[u8]) {
        let mut buf = [0u8; IBLOCK_BYTES];
        for (d, s) in buf.iter_mut().zip(bytes) {
            *d = *s;
        }
        for (b, chunk) in self.block.iter_mut().zip(buf.chunks_exact(4)) {
            *b = get32(chunk, 0);
        }
    }

    /// The device number of a device node as (major, minor): the old
    /// 16-bit encoding in `i_block[0]`, else Linux's new one in `i_block[1]`.
    pub fn rdev(&self) -> (u32, u32) {
        let old = self.block[0];
        if old != 0 {
            ((old >> 8) & 0xff, old & 0xff)
        } else {
            let new = self.block[1];
            ((new >> 8) & 0xfff, (new & 0xff) | ((new >> 12) & 0xfff00))
        }
    }

    /// Stores a device number, in the old encoding when it fits (as Linux does).
    pub fn set_rdev(&mut self, major: u32, minor: u32) {
        self.block = [0; 15];
        if major < 256 && minor < 256 {
            self.block[0] = (major << 8) | minor;
        } else {
            self.block[1] = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_with_high_ids_and_size() {
        let mut i = Inode::new(256, 7);
        i.mode = S_IFREG | 0o644;
        i.uid = 100_000;
        i.gid = 70_000;
        i.size = 5 << 30;
        i.links = 3;
        let j = Inode::parse(&i.to_bytes());
        assert_eq!(
            (j.mode, j.uid, j.gid, j.size, j.links, j.generation),
            (i.mode, 100_000, 70_000, 5 << 30, 3, 7)
        );
        assert_eq!(crate::le::get16(&i.to_bytes(), 128), 32);
    }

    #[test]
    fn device_numbers_old_and_new() {
        let mut i = Inode::new(128, 0);
        i.set_rdev(8, 1);
        assert_eq!(i.block[0], 0x801);
        assert_eq!(i.rdev(), (8, 1));
        i.set_rdev(300, 70_000);
        assert_eq!(i.block[0], 0);
        assert_eq!(i.rdev(), (300, 70_000));
    }

    #[test]
    fn symlink_bytes() {
        let mut i = Inode::new(128, 0);
        i.set_block_bytes(b"hello/world");
        assert_eq!(&i.block_bytes()[..11], b"hello/world");
        assert!(i.block_bytes()[11..].iter().all(|&b| b == 0));
    }
}
