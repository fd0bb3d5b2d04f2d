//! Allocation of blocks and inodes with the group bitmaps, keeping the
//! group and superblock free counts (and the groups' directory counts).

use crate::cache::BlockKind;
use crate::dev::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::Fs;

/// The first clear bit of `bitmap` in `from..limit`, if any.
fn find_clear(bitmap: &[u8], from: u32, limit: u32) -> Option<u32> {
    let mut bit = from;
    while bit < limit {
        let byte = *bitmap.get((bit / 8) as usize)?;
        if byte == 0xff && bit.is_multiple_of(8) {
            bit += 8;
            continue;
        }
        if byte & (1 << (bit % 8)) == 0 {
            return Some(bit);
        }
        bit += 1;
    }
    None
}

fn test_bit(bitmap: &[u8], bit: u32) -> bool {
    bitmap
        .get((bit / 8) as usize)
        .is_some_and(|b| b & (1 << (bit % 8)) != 0)
}

fn set_bit(bitmap: &mut [u8], bit: u32, on: bool) {
    if let Some(b) = bitmap.get_mut((bit / 8) as usize) {
        if on {
            *b |= 1 << (bit % 8);
        } else {
            *b &= !(1 << (bit % 8));
        }
    }
}

impl<D: BlockDevice> Fs<D> {
    fn group_of_block(&self, b: u32) -> u32 {
        b.saturating_sub(self.sb.first_data_block) / self.sb.blocks_per_group
    }

    /// The group holding inode `ino`.
    pub(crate) fn group_of_inode(&self, ino: u32) -> u32 {
        ino.saturating_sub(1) / self.sb.inodes_per_group
    }

    fn mark_group(&mut self, g: u32) {
        self.dirty_groups.insert(g);
        self.sb_dirty = true;
    }

    /// Allocates a block, searching from `goal` on. The block's contents
    /// are the caller's to write. When the disk is full but frees are
    /// pending, writes everything back, commits them, and tries again.
    pub(crate) fn alloc_block(&mut self, goal: u32) -> Result<u32> {
        match self.try_alloc_block(goal)? {
            Some(b) => Ok(b),
            None if !self.pending_blocks.is_empty() => {
                self.sync()?;
                self.try_alloc_block(goal)?.ok_or(Error::NoSpace)
            }
            None => Err(Error::NoSpace),
        }
    }

    fn try_alloc_block(&mut self, goal: u32) -> Result<Option<u32>> {
        let n = self.sb.groups;
        let goal = if goal < self.sb.first_data_block || goal >= self.sb.blocks_count {
            self.sb.first_data_block
        } else {
            goal
        };
        let first = self.group_of_block(goal);
        for step in 0..=n {
            let g = (first + step) % n;
            let gd = self.groups[g as usize];
            if gd.free_blocks == 0 {
                continue;
            }
            let limit = self.sb.blocks_in_group(g);
            let base = self.sb.first_data_block + g * self.sb.blocks_per_group;
            let from = if step == 0 { goal - base } else { 0 };
            let mut bitmap = self.read_block(u64::from(gd.block_bitmap))?;
            let bit = match find_clear(&bitmap, from, limit) {
                Some(bit) => bit,
                None if from > 0 => match find_clear(&bitmap, 0, from) {
                    Some(bit) => bit,
                    None => continue,
                },
                None => continue,
            };
            set_bit(&mut bitmap, bit, true);
            self.put_block(u64::from(gd.block_bitmap), BlockKind::Bitmap, bitmap);
            let gd = &mut self.groups[g as usize];
            gd.free_blocks -= 1;
            self.sb.free_blocks_count = self.sb.free_blocks_count.saturating_sub(1);
            self.mark_group(g);
            let b = base + bit;
            self.alloc_hint = b + 1;
            return Ok(Some(b));
        }
        Ok(None)
    }

    /// Frees block `b`: it stays marked in use until [`Fs::commit_frees`].
    pub(crate) fn free_block(&mut self, b: u32) -> Result<()> {
        self.check_block(b)?;
        let g = self.group_of_block(b);
        let gd = *self
            .groups
            .get(g as usize)
            .ok_or(Error::Corrupt("block's group"))?;
        let bit = b - self.sb.first_data_block - g * self.sb.blocks_per_group;
        let bitmap = self.read_block(u64::from(gd.block_bitmap))?;
        if !test_bit(&bitmap, bit) || !self.pending_blocks.insert(b) {
            return Err(Error::Corrupt("freeing a block that is free"));
        }
        Ok(())
    }

    /// Clears block `b`'s bit (a committed free).
    pub(crate) fn clear_block_bit(&mut self, b: u32) -> Result<()> {
        let g = self.group_of_block(b);
        let gd = *self
            .groups
            .get(g as usize)
            .ok_or(Error::Corrupt("block's group"))?;
        let bit = b - self.sb.first_data_block - g * self.sb.blocks_per_group;
        let mut bitmap = self.read_block(u64::from(gd.block_bitmap))?;
        set_bit(&mut bitmap, bit, false);
        self.put_block(u64::from(gd.block_bitmap), BlockKind::Bitmap, bitmap);
        let gd = &mut self.groups[g as usize];
        gd.free_blocks = gd.free_blocks.saturating_add(1);
        self.sb.free_blocks_count = self.sb.free_blocks_count.saturating_add(1);
        self.mark_group(g);
        Ok(())
    }

    /// Allocates an inode: a directory in the group with the most free
    /// inodes (spreading the tree), anything else in its parent's group or
    /// the next with room.
    pub(crate) fn alloc_inode(&mut self, parent: u32, dir: bool) -> Result<u32> {
        let n = self.sb.groups;
        let mut order: alloc::vec::Vec<u32> = (0..n)
            .map(|s| (self.group_of_inode(parent) + s) % n)
            .collect();
        if dir {
            order.sort_by_key(|&g| core::cmp::Reverse(self.groups[g as usize].free_inodes));
        }
        for g in order {
            let gd = self.groups[g as usize];
            if gd.free_inodes == 0 {
                continue;
            }
            let mut bitmap = self.read_block(u64::from(gd.inode_bitmap))?;
            let base = g * self.sb.inodes_per_group;
            let from = self
                .sb
                .first_ino
                .saturating_sub(1)
                .saturating_sub(base)
                .min(self.sb.inodes_per_group);
            let Some(bit) = find_clear(&bitmap, from, self.sb.inodes_per_group) else {
                continue;
            };
            set_bit(&mut bitmap, bit, true);
            self.put_block(u64::from(gd.inode_bitmap), BlockKind::Bitmap, bitmap);
            let gd = &mut self.groups[g as usize];
            gd.free_inodes -= 1;
            if dir {
                gd.used_dirs = gd.used_dirs.saturating_add(1);
            }
            self.sb.free_inodes_count = self.sb.free_inodes_count.saturating_sub(1);
            self.mark_group(g);
            return Ok(base + bit + 1);
        }
        Err(Error::NoSpace)
    }

    /// Frees inode `ino` (a directory if `dir`): it stays marked in use
    /// until [`Fs::commit_frees`].
    pub(crate) fn free_inode(&mut self, ino: u32, dir: bool) -> Result<()> {
        if self.pending_inodes.insert(ino, dir).is_some() {
            return Err(Error::Corrupt("freeing an inode twice"));
        }
        Ok(())
    }

    /// Clears inode `ino`'s bit (a committed free).
    pub(crate) fn clear_inode_bit(&mut self, ino: u32, dir: bool) -> Result<()> {
        let g = self.group_of_inode(ino);
        let gd = *self
            .groups
            .get(g as usize)
            .ok_or(Error::Corrupt("inode's group"))?;
        let bit = (ino - 1) % self.sb.inodes_per_group;
        let mut bitmap = self.read_block(u64::from(gd.inode_bitmap))?;
        if !test_bit(&bitmap, bit) {
            return Err(Error::Corrupt("freeing an inode that is free"));
        }
        set_bit(&mut bitmap, bit, false);
        self.put_block(u64::from(gd.inode_bitmap), BlockKind::Bitmap, bitmap);
        let gd = &mut self.groups[g as usize];
        gd.free_inodes = gd.free_inodes.saturating_add(1);
        if dir {
            gd.used_dirs = gd.used_dirs.saturating_sub(1);
        }
        self.sb.free_inodes_count = self.sb.free_inodes_count.saturating_add(1);
        self.mark_group(g);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_search() {
        let mut b = [0xffu8, 0x0f, 0];
        assert_eq!(find_clear(&b, 0, 24), Some(12));
        assert_eq!(find_clear(&b, 0, 12), None);
        set_bit(&mut b, 12, true);
        assert!(test_bit(&b, 12));
        assert_eq!(find_clear(&b, 0, 100), Some(13));
        assert_eq!(find_clear(&b, 30, 100), None);
    }
}
