//! File contents: reading (holes read as zeros), writing (allocating
//! blocks), truncating (freeing them, zeroing the tail of the last).

use alloc::vec;

use crate::bmap::max_blocks;
use crate::cache::BlockKind;
use crate::dev::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{FileType, Inode};
use crate::superblock::RO_COMPAT_LARGE_FILE;

impl<D: BlockDevice> Fs<D> {
    /// The largest file size: what the block map addresses, at most 2 TiB
    /// (`i_blocks` counts 512-byte sectors in 32 bits), and under 2 GiB on
    /// a revision 0 image (which has no `large_file`).
    pub fn max_file_size(&self) -> u64 {
        if self.sb.rev_level == 0 {
            return (1 << 31) - 1;
        }
        let map = max_blocks(self.per_block()).saturating_mul(self.bs as u64);
        map.min((1u64 << 41) - 1)
    }

    fn regular(&mut self, ino: u32) -> Result<Inode> {
        let i = self.live_inode(ino)?;
        match i.file_type() {
            Some(FileType::Regular) => Ok(i),
            Some(FileType::Directory) => Err(Error::IsDir),
            _ => Err(Error::Invalid("not a regular file")),
        }
    }

    /// Reads from file `ino` at `offset` into `buf`; returns the bytes
    /// read (fewer at the end of the file).
    pub fn read(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let i = self.live_inode(ino)?;
        if i.is_dir() {
            return Err(Error::IsDir);
        }
        if !i.has_block_map(self.bs) {
            return Err(Error::Invalid("no contents to read"));
        }
        self.read_inode_data(&i, offset, buf)
    }

    pub(crate) fn read_inode_data(
        &mut self,
        i: &Inode,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize> {
        if offset >= i.size {
            return Ok(0);
        }
        let len = (buf.len() as u64).min(i.size - offset) as usize;
        let bs = self.bs as u64;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let boff = (pos % bs) as usize;
            let n = (self.bs - boff).min(len - done);
            let out = &mut buf[done..done + n];
            match self.bmap(i, pos / bs)? {
                0 => out.fill(0),
                b => {
                    let data = self.read_block(u64::from(b))?;
                    out.copy_from_slice(&data[boff..boff + n]);
                }
            }
            done += n;
        }
        Ok(len)
    }

    /// Marks the image as holding large files once one passes 2 GiB.
    fn note_size(&mut self, size: u64) -> Result<()> {
        if size > (1 << 31) - 1 && self.sb.feature_ro_compat & RO_COMPAT_LARGE_FILE == 0 {
            if self.sb.rev_level == 0 {
                return Err(Error::FileTooLarge);
            }
            self.sb.feature_ro_compat |= RO_COMPAT_LARGE_FILE;
            self.sb_dirty = true;
        }
        Ok(())
    }

    /// Writes `data` to file `ino` at `offset`, allocating blocks; returns
    /// the bytes written (short only when the disk filled part-way).
    pub fn write(&mut self, ino: u32, offset: u64, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        let mut i = self.regular(ino)?;
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or(Error::FileTooLarge)?;
        if end > self.max_file_size() {
            return Err(Error::FileTooLarge);
        }
        self.note_size(end)?;
        let done = self.write_inode_data(&mut i, offset, data, BlockKind::Data);
        let written = match done {
            Ok(n) => n,
            Err((0, e)) => {
                self.put_inode(ino, &i)?;
                return Err(e);
            }
            Err((n, _)) => n,
        };
        if written > 0 {
            i.size = i.size.max(offset + written as u64);
            i.mtime = self.now;
            i.ctime = self.now;
        }
        self.put_inode(ino, &i)?;
        Ok(written)
    }

    /// Writes into the blocks of `i` (stored by the caller, size too);
    /// on failure, how much was written and why.
    pub(crate) fn write_inode_data(
        &mut self,
        i: &mut Inode,
        offset: u64,
        data: &[u8],
        kind: BlockKind,
    ) -> core::result::Result<usize, (usize, Error)> {
        let bs = self.bs as u64;
        let mut done = 0;
        while done < data.len() {
            let pos = offset + done as u64;
            let boff = (pos % bs) as usize;
            let n = (self.bs - boff).min(data.len() - done);
            let (b, new) = self.bmap_alloc(i, pos / bs).map_err(|e| (done, e))?;
            let mut blk = if n == self.bs || new {
                vec![0u8; self.bs]
            } else {
                self.read_block(u64::from(b)).map_err(|e| (done, e))?
            };
            blk[boff..boff + n].copy_from_slice(&data[done..done + n]);
            self.put_block(u64::from(b), kind, blk);
            done += n;
            i.size = i.size.max(pos + n as u64);
        }
        Ok(done)
    }

    /// Sets file `ino`'s size: shrinking frees the blocks past the end
    /// (and zeroes the rest of the last block), growing leaves a hole.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        self.check_writable()?;
        let mut i = self.regular(ino)?;
        if size > self.max_file_size() {
            return Err(Error::FileTooLarge);
        }
        self.note_size(size)?;
        self.truncate_inode(&mut i, size)?;
        i.mtime = self.now;
        i.ctime = self.now;
        self.put_inode(ino, &i)
    }

    /// Shrinks or grows `i` (stored by the caller).
    pub(crate) fn truncate_inode(&mut self, i: &mut Inode, size: u64) -> Result<()> {
        let bs = self.bs as u64;
        if size < i.size {
            self.free_from(i, size.div_ceil(bs))?;
            if !size.is_multiple_of(bs) {
                let b = self.bmap(i, size / bs)?;
                if b != 0 {
                    let mut blk = self.read_block(u64::from(b))?;
                    blk[(size % bs) as usize..].fill(0);
                    self.put_block(u64::from(b), BlockKind::Data, blk);
                }
            }
        }
        i.size = size;
        Ok(())
    }
}
