//! The file system handle: opening an image, block and inode access
//! through the write-back overlay, and ordered write-back.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use crate::cache::{BlockKind, Overlay};
use crate::dev::BlockDevice;
use crate::error::{Error, Result};
use crate::group::{GroupDesc, DESC_SIZE};
use crate::inode::{FileType, Inode, ROOT_INO};
use crate::superblock::{Superblock, SUPERBLOCK_SIZE};

/// An open ext2 file system on a block device.
///
/// Changes collect in memory (an overlay of dirty blocks) until
/// [`Fs::sync`], or until the caller writes them back itself in the order
/// [`Fs::dirty_blocks`] gives. Blocks and inodes freed since the last
/// write-back stay marked in their bitmaps until [`Fs::commit_frees`], so
/// nothing freed is reused, or marked free on the device, before the
/// pointers to it are gone from the device.
pub struct Fs<D: BlockDevice> {
    pub(crate) dev: D,
    pub(crate) sb: Superblock,
    pub(crate) groups: Vec<GroupDesc>,
    pub(crate) bs: usize,
    read_only: bool,
    pub(crate) overlay: Overlay,
    pub(crate) dirty_groups: BTreeSet<u32>,
    pub(crate) sb_dirty: bool,
    pub(crate) now: u32,
    pub(crate) pending_blocks: BTreeSet<u32>,
    /// Inodes freed but not yet cleared in their bitmap, with whether
    /// each was a directory.
    pub(crate) pending_inodes: BTreeMap<u32, bool>,
    /// Inodes kept although their link count is zero (open files).
    pub(crate) held: BTreeSet<u32>,
    /// Where the next block search starts.
    pub(crate) alloc_hint: u32,
}

/// An inode's attributes, as `stat` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// The inode number.
    pub ino: u32,
    /// The file type, if the mode names one.
    pub file_type: Option<FileType>,
    /// `i_mode`: type and permission bits.
    pub mode: u16,
    /// The link count.
    pub nlink: u16,
    /// The owner.
    pub uid: u32,
    /// The group.
    pub gid: u32,
    /// The size in bytes.
    pub size: u64,
    /// 512-byte sectors held.
    pub blocks: u64,
    /// Access time (seconds).
    pub atime: u32,
    /// Modification time.
    pub mtime: u32,
    /// Status change time.
    pub ctime: u32,
    /// A device node's (major, minor); (0, 0) for others.
    pub rdev: (u32, u32),
    /// `i_flags`.
    pub flags: u32,
}

/// The file system's totals, as `statfs` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatFs {
    /// The block size in bytes.
    pub block_size: usize,
    /// Blocks in the file system.
    pub blocks: u64,
    /// Free blocks.
    pub free_blocks: u64,
    /// Free blocks not reserved for the super-user.
    pub available_blocks: u64,
    /// Inodes in the file system.
    pub inodes: u64,
    /// Free inodes.
    pub free_inodes: u64,
}

impl<D: BlockDevice> Fs<D> {
    /// Opens the file system on `dev` for reading and writing (read-only
    /// if it has a read-only-compatible feature this crate does not keep).
    pub fn open(dev: D) -> Result<Fs<D>> {
        Fs::open_with(dev, false)
    }

    /// Opens the file system on `dev` read-only.
    pub fn open_read_only(dev: D) -> Result<Fs<D>> {
        Fs::open_with(dev, true)
    }

    fn open_with(mut dev: D, read_only: bool) -> Result<Fs<D>> {
        let mut raw = vec![0u8; SUPERBLOCK_SIZE];
        dev.read_block(1, &mut raw)?;
        let sb = Superblock::parse(&raw)?;
        let bs = sb.block_size;
        let mut fs = Fs {
            read_only: read_only || !sb.writable(),
            dev,
            groups: Vec::new(),
            bs,
            overlay: Overlay::default(),
            dirty_groups: BTreeSet::new(),
            sb_dirty: false,
            now: sb.wtime,
            pending_blocks: BTreeSet::new(),
            pending_inodes: BTreeMap::new(),
            held: BTreeSet::new(),
            alloc_hint: sb.first_data_block,
            sb,
        };
        fs.load_groups()?;
        let root = fs.inode(ROOT_INO)?;
        if !root.is_dir() {
            return Err(Error::Corrupt("root is not a directory"));
        }
        Ok(fs)
    }

    fn load_groups(&mut self) -> Result<()> {
        let start = u64::from(self.sb.first_data_block) + 1;
        let per_block = self.bs / DESC_SIZE;
        let itable = self.inode_table_blocks();
        let total = u64::from(self.sb.blocks_count);
        let mut block = Vec::new();
        for g in 0..self.sb.groups {
            let idx = g as usize;
            if idx.is_multiple_of(per_block) {
                block = self.read_block(start + (idx / per_block) as u64)?;
            }
            let off = (idx % per_block) * DESC_SIZE;
            let d = GroupDesc::parse(block.get(off..).unwrap_or(&[]));
            let ok = |b: u32| b >= self.sb.first_data_block && u64::from(b) < total;
            if !ok(d.block_bitmap)
                || !ok(d.inode_bitmap)
                || !ok(d.inode_table)
                || u64::from(d.inode_table) + itable > total
            {
                return Err(Error::Corrupt("group descriptor points outside the disk"));
            }
            self.groups.push(d);
        }
        Ok(())
    }

    /// Blocks of one group's inode table.
    pub(crate) fn inode_table_blocks(&self) -> u64 {
        (u64::from(self.sb.inodes_per_group) * self.sb.inode_size as u64).div_ceil(self.bs as u64)
    }

    /// The superblock as read (with the counts kept since).
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// Group `g`'s descriptor (with the counts kept since open).
    pub fn group(&self, g: u32) -> Option<&GroupDesc> {
        self.groups.get(g as usize)
    }

    /// The block size in bytes.
    pub fn block_size(&self) -> usize {
        self.bs
    }

    /// Whether writes are refused.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Sets the clock used for the times of changes (seconds since 1970).
    pub fn set_time(&mut self, now: u32) {
        self.now = now;
    }

    /// The device, for the caller's own I/O (after a write-back).
    pub fn device(&mut self) -> &mut D {
        &mut self.dev
    }

    /// Closes the handle, giving back the device (write back first).
    pub fn into_device(self) -> D {
        self.dev
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.read_only {
            Err(Error::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Checks a block number stored in metadata.
    pub(crate) fn check_block(&self, b: u32) -> Result<u32> {
        if b < self.sb.first_data_block || b >= self.sb.blocks_count {
            Err(Error::Corrupt("block number outside the file system"))
        } else {
            Ok(b)
        }
    }

    /// Block `n`, from the overlay or the device.
    pub(crate) fn read_block(&mut self, n: u64) -> Result<Vec<u8>> {
        if let Some(b) = self.overlay.get(n) {
            return Ok(b.to_vec());
        }
        let mut buf = vec![0u8; self.bs];
        self.dev.read_block(n, &mut buf)?;
        Ok(buf)
    }

    /// Replaces block `n` in the overlay.
    pub(crate) fn put_block(&mut self, n: u64, kind: BlockKind, data: Vec<u8>) {
        self.overlay.put(n, kind, data);
    }

    /// Position of inode `ino`: (block, byte offset in it).
    fn inode_pos(&self, ino: u32) -> Result<(u64, usize)> {
        if ino == 0 || ino > self.sb.inodes_count {
            return Err(Error::Corrupt("inode number out of range"));
        }
        let idx = ino - 1;
        let g = self
            .groups
            .get((idx / self.sb.inodes_per_group) as usize)
            .ok_or(Error::Corrupt("inode's group"))?;
        let byte = u64::from(idx % self.sb.inodes_per_group) * self.sb.inode_size as u64;
        let block = u64::from(g.inode_table) + byte / self.bs as u64;
        Ok((block, (byte % self.bs as u64) as usize))
    }

    /// Reads inode `ino`.
    pub(crate) fn inode(&mut self, ino: u32) -> Result<Inode> {
        let (block, off) = self.inode_pos(ino)?;
        let b = self.read_block(block)?;
        let raw = b
            .get(off..off + self.sb.inode_size)
            .ok_or(Error::Corrupt("inode offset"))?;
        Ok(Inode::parse(raw))
    }

    /// Writes inode `ino` into the overlay.
    pub(crate) fn put_inode(&mut self, ino: u32, inode: &Inode) -> Result<()> {
        let (block, off) = self.inode_pos(ino)?;
        let mut b = self.read_block(block)?;
        let bytes = inode.to_bytes();
        b.get_mut(off..off + bytes.len())
            .ok_or(Error::Corrupt("inode offset"))?
            .copy_from_slice(&bytes);
        self.put_block(block, BlockKind::InodeTable, b);
        Ok(())
    }

    /// Inode `ino`, which must be in use.
    pub(crate) fn live_inode(&mut self, ino: u32) -> Result<Inode> {
        let i = self.inode(ino)?;
        if i.links == 0 && !self.held.contains(&ino) || i.file_type().is_none() {
            return Err(Error::NotFound);
        }
        Ok(i)
    }

    /// Inode `ino`'s attributes.
    pub fn stat(&mut self, ino: u32) -> Result<Stat> {
        let i = self.live_inode(ino)?;
        let dev = matches!(
            i.file_type(),
            Some(FileType::CharDevice) | Some(FileType::BlockDevice)
        );
        Ok(Stat {
            ino,
            file_type: i.file_type(),
            mode: i.mode,
            nlink: i.links,
            uid: i.uid,
            gid: i.gid,
            size: i.size,
            blocks: u64::from(i.sectors),
            atime: i.atime,
            mtime: i.mtime,
            ctime: i.ctime,
            rdev: if dev { i.rdev() } else { (0, 0) },
            flags: i.flags,
        })
    }

    /// The file system's totals.
    pub fn statfs(&self) -> StatFs {
        let free = u64::from(self.sb.free_blocks_count);
        StatFs {
            block_size: self.bs,
            blocks: u64::from(self.sb.blocks_count),
            free_blocks: free,
            available_blocks: free.saturating_sub(u64::from(self.sb.r_blocks_count)),
            inodes: u64::from(self.sb.inodes_count),
            free_inodes: u64::from(self.sb.free_inodes_count),
        }
    }

    /// Puts the changed group descriptors and superblock into the overlay.
    fn stage_counts(&mut self) -> Result<()> {
        let per_block = self.bs / DESC_SIZE;
        let start = u64::from(self.sb.first_data_block) + 1;
        let dirty: Vec<u32> = core::mem::take(&mut self.dirty_groups)
            .into_iter()
            .collect();
        for g in dirty {
            let idx = g as usize;
            let block = start + (idx / per_block) as u64;
            let mut b = self.read_block(block)?;
            let off = (idx % per_block) * DESC_SIZE;
            let d = self
                .groups
                .get(idx)
                .ok_or(Error::Corrupt("group index"))?
                .to_bytes();
            b.get_mut(off..off + DESC_SIZE)
                .ok_or(Error::Corrupt("group offset"))?
                .copy_from_slice(&d);
            self.put_block(block, BlockKind::GroupDesc, b);
        }
        if self.sb_dirty {
            self.sb_dirty = false;
            self.sb.wtime = self.now;
            let (block, off) = if self.bs == 1024 { (1, 0) } else { (0, 1024) };
            let mut b = self.read_block(block)?;
            b.get_mut(off..off + SUPERBLOCK_SIZE)
                .ok_or(Error::Corrupt("superblock offset"))?
                .copy_from_slice(&self.sb.to_bytes());
            self.put_block(block, BlockKind::Superblock, b);
        }
        Ok(())
    }

    /// The dirty blocks in the order to write them (see [`BlockKind`]),
    /// with the group descriptors and superblock staged first. A server
    /// that does its own I/O writes each with [`Fs::write_back`], issues a
    /// barrier, calls [`Fs::commit_frees`], and repeats.
    pub fn dirty_blocks(&mut self) -> Result<Vec<(u64, BlockKind)>> {
        self.stage_counts()?;
        Ok(self.overlay.ordered())
    }

    /// Writes dirty block `n` to the device and drops it from the overlay.
    pub fn write_back(&mut self, n: u64) -> Result<()> {
        if let Some((kind, data)) = self.overlay.take(n) {
            if let Err(e) = self.dev.write_block(n, &data) {
                self.overlay.put(n, kind, data);
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// Clears the bitmap bits of the blocks and inodes freed since the
    /// last commit and counts them free. Call only once the blocks that
    /// pointed to them are on the device. Returns whether there were any.
    pub fn commit_frees(&mut self) -> Result<bool> {
        let blocks: Vec<u32> = core::mem::take(&mut self.pending_blocks)
            .into_iter()
            .collect();
        let inodes: Vec<(u32, bool)> = core::mem::take(&mut self.pending_inodes)
            .into_iter()
            .collect();
        let any = !blocks.is_empty() || !inodes.is_empty();
        for b in blocks {
            self.clear_block_bit(b)?;
        }
        for (ino, dir) in inodes {
            self.clear_inode_bit(ino, dir)?;
        }
        Ok(any)
    }

    fn write_all_dirty(&mut self) -> Result<()> {
        for (n, _) in self.dirty_blocks()? {
            self.write_back(n)?;
        }
        self.dev.flush()?;
        Ok(())
    }

    /// Makes every change durable, in a safe order: the dirty blocks (see
    /// [`BlockKind`]), a barrier, then the bitmaps and counts of what was
    /// freed, and a second barrier.
    pub fn sync(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.write_all_dirty()?;
        if self.commit_frees()? {
            self.write_all_dirty()?;
        }
        Ok(())
    }

    /// Whether nothing waits to be written back.
    pub fn is_clean(&self) -> bool {
        self.overlay.is_empty()
            && self.dirty_groups.is_empty()
            && !self.sb_dirty
            && self.pending_blocks.is_empty()
            && self.pending_inodes.is_empty()
    }

    /// Keeps inode `ino` while its link count is zero (an open file):
    /// unlinking its last name then frees it only at [`Fs::release`].
    pub fn hold(&mut self, ino: u32) {
        self.held.insert(ino);
    }

    /// Ends a [`Fs::hold`]; frees the inode if it has no links left.
    pub fn release(&mut self, ino: u32) -> Result<()> {
        if self.held.remove(&ino) {
            let i = self.inode(ino)?;
            if i.links == 0 && i.dtime == 0 && !self.read_only {
                self.delete_inode(ino, i)?;
            }
        }
        Ok(())
    }
}
