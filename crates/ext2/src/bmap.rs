//! Block maps: a file's logical blocks to disk blocks through `i_block`'s
//! 12 direct pointers and its single, double and triple indirect blocks;
//! allocating along the path on writes, freeing subtrees on truncation.

use alloc::vec;
use alloc::vec::Vec;

use crate::cache::BlockKind;
use crate::dev::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{Inode, NDIR};
use crate::le::{get32, put32};

/// Where a logical block's pointer lives: the `i_block` slot, then one
/// index per indirect level (at most 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Path {
    /// The `i_block` slot (0..15).
    pub slot: usize,
    /// Indexes in the indirect blocks, outermost first.
    pub idx: [u32; 3],
    /// How many of `idx` are used (0 for a direct block).
    pub depth: usize,
}

/// The path to logical block `lbn` with `per` pointers per block, or
/// `None` past the triple indirect block's reach.
pub fn path(lbn: u64, per: u64) -> Option<Path> {
    let ndir = NDIR as u64;
    if lbn < ndir {
        return Some(Path {
            slot: lbn as usize,
            idx: [0; 3],
            depth: 0,
        });
    }
    let mut rest = lbn - ndir;
    let mut span = per;
    for depth in 1..=3usize {
        if rest < span {
            let mut idx = [0u32; 3];
            let mut r = rest;
            for i in (0..depth).rev() {
                idx[i] = (r % per) as u32;
                r /= per;
            }
            return Some(Path {
                slot: NDIR + depth - 1,
                idx,
                depth,
            });
        }
        rest -= span;
        span = span.checked_mul(per)?;
    }
    None
}

/// Logical blocks a block map can address with `per` pointers per block.
pub fn max_blocks(per: u64) -> u64 {
    NDIR as u64 + per + per * per + per * per * per
}

impl<D: BlockDevice> Fs<D> {
    pub(crate) fn per_block(&self) -> u64 {
        (self.bs / 4) as u64
    }

    /// Sectors one block counts in `i_blocks`.
    pub(crate) fn block_sectors(&self) -> u32 {
        (self.bs / 512) as u32
    }

    /// The disk block of logical block `lbn`, or 0 for a hole.
    pub(crate) fn bmap(&mut self, inode: &Inode, lbn: u64) -> Result<u32> {
        let p = path(lbn, self.per_block()).ok_or(Error::FileTooLarge)?;
        let mut b = inode.block[p.slot];
        for &i in &p.idx[..p.depth] {
            if b == 0 {
                return Ok(0);
            }
            let blk = self.read_block(u64::from(self.check_block(b)?))?;
            b = get32(&blk, i as usize * 4);
        }
        if b != 0 {
            self.check_block(b)?;
        }
        Ok(b)
    }

    fn charge(&self, inode: &mut Inode) -> Result<()> {
        inode.sectors = inode
            .sectors
            .checked_add(self.block_sectors())
            .ok_or(Error::FileTooLarge)?;
        Ok(())
    }

    /// The disk block of logical block `lbn`, allocating it (and the
    /// indirect blocks on its way, zeroed) if it is a hole. Returns the
    /// block and whether it is new (its contents then undefined: the
    /// caller writes all of it). `inode` is the caller's to store.
    pub(crate) fn bmap_alloc(&mut self, inode: &mut Inode, lbn: u64) -> Result<(u32, bool)> {
        let p = path(lbn, self.per_block()).ok_or(Error::FileTooLarge)?;
        let goal = self.alloc_hint;
        let mut b = inode.block[p.slot];
        if b == 0 {
            self.charge(inode)?;
            b = match self.alloc_block(goal) {
                Ok(b) => b,
                Err(e) => {
                    inode.sectors -= self.block_sectors();
                    return Err(e);
                }
            };
            inode.block[p.slot] = b;
            if p.depth == 0 {
                return Ok((b, true));
            }
            self.put_block(u64::from(b), BlockKind::Indirect, vec![0; self.bs]);
        } else {
            self.check_block(b)?;
        }
        for (level, &i) in p.idx[..p.depth].iter().enumerate() {
            let mut blk = self.read_block(u64::from(b))?;
            let next = get32(&blk, i as usize * 4);
            if next != 0 {
                b = self.check_block(next)?;
                continue;
            }
            self.charge(inode)?;
            let new = match self.alloc_block(goal) {
                Ok(n) => n,
                Err(e) => {
                    inode.sectors -= self.block_sectors();
                    return Err(e);
                }
            };
            put32(&mut blk, i as usize * 4, new);
            self.put_block(u64::from(b), BlockKind::Indirect, blk);
            let last = level + 1 == p.depth;
            if last {
                return Ok((new, true));
            }
            self.put_block(u64::from(new), BlockKind::Indirect, vec![0; self.bs]);
            b = new;
        }
        Ok((b, false))
    }

    /// Frees every block of `inode` mapping logical blocks `from` and up,
    /// and the indirect blocks left with nothing to map.
    pub(crate) fn free_from(&mut self, inode: &mut Inode, from: u64) -> Result<()> {
        let per = self.per_block();
        for slot in 0..NDIR {
            if slot as u64 >= from && inode.block[slot] != 0 {
                self.free_tree(inode, inode.block[slot], 0)?;
                inode.block[slot] = 0;
            }
        }
        let mut start = NDIR as u64;
        let mut span = per;
        for depth in 1..=3usize {
            let slot = NDIR + depth - 1;
            let root = inode.block[slot];
            if root != 0 {
                if from <= start {
                    self.free_tree(inode, root, depth)?;
                    inode.block[slot] = 0;
                } else if from < start + span && self.trim(inode, root, depth, start, from)? {
                    self.free_tree(inode, root, 0)?;
                    inode.block[slot] = 0;
                }
            }
            start += span;
            span = span.saturating_mul(per);
        }
        Ok(())
    }

    /// Frees block `b` and, if it is an indirect block of `depth` levels,
    /// everything under it.
    fn free_tree(&mut self, inode: &mut Inode, b: u32, depth: usize) -> Result<()> {
        self.check_block(b)?;
        if depth > 0 {
            let blk = self.read_block(u64::from(b))?;
            for i in 0..self.bs / 4 {
                let c = get32(&blk, i * 4);
                if c != 0 {
                    self.free_tree(inode, c, depth - 1)?;
                }
            }
        }
        self.free_block(b)?;
        inode.sectors = inode.sectors.saturating_sub(self.block_sectors());
        Ok(())
    }

    /// Frees what the indirect block `b` (of `depth` levels, mapping from
    /// logical block `start`) maps at `from` and up. Returns whether `b`
    /// is left empty.
    fn trim(
        &mut self,
        inode: &mut Inode,
        b: u32,
        depth: usize,
        start: u64,
        from: u64,
    ) -> Result<bool> {
        self.check_block(b)?;
        let mut blk = self.read_block(u64::from(b))?;
        let per = self.per_block();
        let child_span = per.pow(depth as u32 - 1);
        let mut changed = false;
        let mut empty = true;
        for i in 0..per as usize {
            let c = get32(&blk, i * 4);
            if c == 0 {
                continue;
            }
            let cstart = start + i as u64 * child_span;
            if cstart >= from {
                self.free_tree(inode, c, depth - 1)?;
                put32(&mut blk, i * 4, 0);
                changed = true;
            } else if depth > 1 && cstart + child_span > from {
                if self.trim(inode, c, depth - 1, cstart, from)? {
                    self.free_tree(inode, c, 0)?;
                    put32(&mut blk, i * 4, 0);
                    changed = true;
                } else {
                    empty = false;
                }
            } else {
                empty = false;
            }
        }
        if changed && !empty {
            self.put_block(u64::from(b), BlockKind::Indirect, blk);
        }
        Ok(empty)
    }

    /// The disk blocks of logical blocks `0..n` (0 for holes), for tests
    /// and for a server that maps file pages.
    pub fn block_list(&mut self, ino: u32, n: u64) -> Result<Vec<u32>> {
        let i = self.live_inode(ino)?;
        (0..n).map(|l| self.bmap(&i, l)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_at_the_boundaries() {
        let per = 256;
        assert_eq!(path(11, per).unwrap().slot, 11);
        let p = path(12, per).unwrap();
        assert_eq!((p.slot, p.depth, p.idx[0]), (12, 1, 0));
        let p = path(12 + 255, per).unwrap();
        assert_eq!((p.slot, p.idx[0]), (12, 255));
        let p = path(12 + 256, per).unwrap();
        assert_eq!((p.slot, p.depth, p.idx[..2].to_vec()), (13, 2, vec![0, 0]));
        let p = path(12 + 256 + 65536 - 1, per).unwrap();
        assert_eq!((p.slot, p.idx[..2].to_vec()), (13, vec![255, 255]));
        let p = path(12 + 256 + 65536, per).unwrap();
        assert_eq!((p.slot, p.depth), (14, 3));
        assert!(path(max_blocks(per) - 1, per).is_some());
        assert!(path(max_blocks(per), per).is_none());
    }
}
