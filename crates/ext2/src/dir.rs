//! Directories: blocks of linear entries (inode, record length, name
//! length, file type, name). Hashed-index (htree) directories are read as
//! linear ones, as the format allows: their index blocks look like empty
//! entries. Changing such a directory clears its index flag, so it stays
//! a valid linear directory.

use alloc::vec;
use alloc::vec::Vec;

use crate::cache::BlockKind;
use crate::dev::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{FileType, Inode, FLAG_INDEX};
use crate::le::{get16, get32, get8, put16, put32, put8};

/// The longest name.
pub const NAME_MAX: usize = 255;

/// An entry as returned by [`Fs::read_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The name's bytes.
    pub name: Vec<u8>,
    /// The inode it names.
    pub ino: u32,
    /// The type recorded in the entry (with the `filetype` feature), else
    /// `None`.
    pub file_type: Option<FileType>,
    /// The entry's byte position in the directory: stable while other
    /// entries come and go (a removed entry's space joins the one before
    /// it), so a reader may resume after it (`getdents` offsets).
    pub offset: u64,
}

/// One raw entry of a directory block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawEntry {
    /// Byte offset in the block.
    pub off: usize,
    /// `inode` (0: unused).
    pub ino: u32,
    /// `rec_len`.
    pub rec_len: usize,
    /// `name_len`.
    pub name_len: usize,
    /// `file_type` (0 without the `filetype` feature).
    pub ftype: u8,
}

/// The space an entry with a name of `len` bytes needs.
pub fn entry_size(len: usize) -> usize {
    (8 + len + 3) & !3
}

/// Parses every entry of a directory block, checking that they tile it.
pub fn parse_block(b: &[u8], filetype: bool) -> Result<Vec<RawEntry>> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < b.len() {
        if off + 8 > b.len() {
            return Err(Error::Corrupt("directory entry header past the block"));
        }
        let ino = get32(b, off);
        let rec_len = usize::from(get16(b, off + 4));
        let (name_len, ftype) = if filetype {
            (usize::from(get8(b, off + 6)), get8(b, off + 7))
        } else {
            (usize::from(get16(b, off + 6)), 0)
        };
        if rec_len < 8
            || rec_len % 4 != 0
            || off + rec_len > b.len()
            || (ino != 0 && 8 + name_len > rec_len)
        {
            return Err(Error::Corrupt("directory entry length"));
        }
        out.push(RawEntry {
            off,
            ino,
            rec_len,
            name_len,
            ftype,
        });
        off += rec_len;
    }
    Ok(out)
}

fn name_of<'a>(b: &'a [u8], e: &RawEntry) -> &'a [u8] {
    b.get(e.off + 8..e.off + 8 + e.name_len).unwrap_or(&[])
}

fn write_entry(
    b: &mut [u8],
    off: usize,
    ino: u32,
    rec_len: usize,
    name: &[u8],
    ftype: u8,
    filetype: bool,
) {
    put32(b, off, ino);
    put16(b, off + 4, rec_len as u16);
    if filetype {
        put8(b, off + 6, name.len() as u8);
        put8(b, off + 7, ftype);
    } else {
        put16(b, off + 6, name.len() as u16);
    }
    if let Some(dst) = b.get_mut(off + 8..off + 8 + name.len()) {
        dst.copy_from_slice(name);
    }
}

/// Checks a name for a new entry.
pub fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(Error::Invalid("empty name, or one with '/' or NUL"));
    }
    if name.len() > NAME_MAX {
        return Err(Error::NameTooLong);
    }
    if name == b"." || name == b".." {
        return Err(Error::Invalid("'.' or '..'"));
    }
    Ok(())
}

/// Where an entry was found: directory block number (logical), disk
/// block, and the entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found {
    pub block: u32,
    pub entry: RawEntry,
    /// The entry before it in the block, if any.
    pub prev: Option<RawEntry>,
}

impl<D: BlockDevice> Fs<D> {
    /// The directory inode `dir`, checked.
    pub(crate) fn dir_inode(&mut self, dir: u32) -> Result<Inode> {
        let i = self.live_inode(dir)?;
        if !i.is_dir() {
            return Err(Error::NotDir);
        }
        if i.size % self.bs as u64 != 0 || i.size / 512 > u64::from(i.sectors) {
            return Err(Error::Corrupt("directory size"));
        }
        Ok(i)
    }

    /// The directory's blocks: (disk block, contents), holes refused.
    fn dir_blocks(&mut self, i: &Inode) -> Result<Vec<u32>> {
        let n = i.size / self.bs as u64;
        let mut v = Vec::new();
        for l in 0..n {
            let b = self.bmap(i, l)?;
            if b == 0 {
                return Err(Error::Corrupt("hole in a directory"));
            }
            v.push(b);
        }
        Ok(v)
    }

    fn find(&mut self, i: &Inode, name: &[u8]) -> Result<Option<Found>> {
        let ft = self.sb.has_filetype();
        for b in self.dir_blocks(i)? {
            let data = self.read_block(u64::from(b))?;
            let mut prev = None;
            for e in parse_block(&data, ft)? {
                if e.ino != 0 && name_of(&data, &e) == name {
                    return Ok(Some(Found {
                        block: b,
                        entry: e,
                        prev,
                    }));
                }
                prev = Some(e);
            }
        }
        Ok(None)
    }

    /// The inode `name` names in directory `dir`.
    pub fn lookup(&mut self, dir: u32, name: &[u8]) -> Result<u32> {
        let i = self.dir_inode(dir)?;
        match self.find(&i, name)? {
            Some(f) => Ok(f.entry.ino),
            None => Err(Error::NotFound),
        }
    }

    /// The inode at `path` (absolute, `/`-separated, symlinks not followed).
    pub fn resolve(&mut self, path: &[u8]) -> Result<u32> {
        let mut ino = crate::inode::ROOT_INO;
        for part in path.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
            ino = self.lookup(ino, part)?;
        }
        Ok(ino)
    }

    /// Every entry of directory `dir`, `.` and `..` included, in order.
    pub fn read_dir(&mut self, dir: u32) -> Result<Vec<DirEntry>> {
        let i = self.dir_inode(dir)?;
        let ft = self.sb.has_filetype();
        let mut out = Vec::new();
        for (l, b) in self.dir_blocks(&i)?.into_iter().enumerate() {
            let data = self.read_block(u64::from(b))?;
            for e in parse_block(&data, ft)? {
                if e.ino != 0 {
                    out.push(DirEntry {
                        offset: l as u64 * self.bs as u64 + e.off as u64,
                        name: name_of(&data, &e).to_vec(),
                        ino: e.ino,
                        file_type: if ft {
                            FileType::from_dirent_code(e.ftype)
                        } else {
                            None
                        },
                    });
                }
            }
        }
        Ok(out)
    }

    /// Whether directory `i` holds only `.` and `..`.
    pub(crate) fn dir_is_empty(&mut self, i: &Inode) -> Result<bool> {
        let ft = self.sb.has_filetype();
        for b in self.dir_blocks(i)? {
            let data = self.read_block(u64::from(b))?;
            for e in parse_block(&data, ft)? {
                let n = name_of(&data, &e);
                if e.ino != 0 && n != b"." && n != b".." {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Clears a directory's hashed-index flag before it changes.
    fn unindex(i: &mut Inode) {
        i.flags &= !FLAG_INDEX;
    }

    /// Adds entry `name` → `ino` to directory `dir` (whose inode the
    /// caller holds as `i`, and stores afterwards): into the first gap
    /// large enough, else into a new block.
    pub(crate) fn add_entry(
        &mut self,
        dir: u32,
        i: &mut Inode,
        name: &[u8],
        ino: u32,
        ft: FileType,
    ) -> Result<()> {
        let filetype = self.sb.has_filetype();
        let code = if filetype { ft.dirent_code() } else { 0 };
        let need = entry_size(name.len());
        Self::unindex(i);
        for b in self.dir_blocks(i)? {
            let mut data = self.read_block(u64::from(b))?;
            for e in parse_block(&data, filetype)? {
                if e.ino == 0 && e.rec_len >= need {
                    write_entry(&mut data, e.off, ino, e.rec_len, name, code, filetype);
                } else if e.ino != 0 && e.rec_len >= entry_size(e.name_len) + need {
                    let used = entry_size(e.name_len);
                    put16(&mut data, e.off + 4, used as u16);
                    write_entry(
                        &mut data,
                        e.off + used,
                        ino,
                        e.rec_len - used,
                        name,
                        code,
                        filetype,
                    );
                } else {
                    continue;
                }
                self.put_block(u64::from(b), BlockKind::Directory, data);
                return Ok(());
            }
        }
        let lbn = i.size / self.bs as u64;
        let (b, _) = self.bmap_alloc(i, lbn)?;
        let mut data = vec![0u8; self.bs];
        write_entry(&mut data, 0, ino, self.bs, name, code, filetype);
        self.put_block(u64::from(b), BlockKind::Directory, data);
        i.size += self.bs as u64;
        self.put_inode(dir, i)?;
        Ok(())
    }

    /// Removes entry `name` from directory `i` (stored by the caller), returning the inode it
    /// named: merged into the entry before it, or marked unused if first.
    pub(crate) fn remove_entry(&mut self, i: &mut Inode, name: &[u8]) -> Result<u32> {
        let f = self.find(i, name)?.ok_or(Error::NotFound)?;
        Self::unindex(i);
        let mut data = self.read_block(u64::from(f.block))?;
        match f.prev {
            Some(p) => put16(&mut data, p.off + 4, (p.rec_len + f.entry.rec_len) as u16),
            None => put32(&mut data, f.entry.off, 0),
        }
        self.put_block(u64::from(f.block), BlockKind::Directory, data);
        Ok(f.entry.ino)
    }

    /// Points the existing entry `name` of directory `i` at `ino`.
    pub(crate) fn set_entry(
        &mut self,
        i: &mut Inode,
        name: &[u8],
        ino: u32,
        ft: FileType,
    ) -> Result<()> {
        let f = self.find(i, name)?.ok_or(Error::NotFound)?;
        Self::unindex(i);
        let mut data = self.read_block(u64::from(f.block))?;
        put32(&mut data, f.entry.off, ino);
        if self.sb.has_filetype() {
            put8(&mut data, f.entry.off + 7, ft.dirent_code());
        }
        self.put_block(u64::from(f.block), BlockKind::Directory, data);
        Ok(())
    }

    /// The first block of a new directory: `.` and `..`.
    pub(crate) fn new_dir_block(&self, ino: u32, parent: u32) -> Vec<u8> {
        let ft = self.sb.has_filetype();
        let code = if ft {
            FileType::Directory.dirent_code()
        } else {
            0
        };
        let mut data = vec![0u8; self.bs];
        write_entry(&mut data, 0, ino, 12, b".", code, ft);
        write_entry(&mut data, 12, parent, self.bs - 12, b"..", code, ft);
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_tile_the_block_or_are_refused() {
        let mut b = vec![0u8; 1024];
        write_entry(&mut b, 0, 2, 12, b".", 2, true);
        write_entry(&mut b, 12, 2, 1012, b"..", 2, true);
        let e = parse_block(&b, true).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(name_of(&b, &e[1]), b"..");
        put16(&mut b, 16, 1016);
        assert!(parse_block(&b, true).is_err());
        put16(&mut b, 16, 6);
        assert!(parse_block(&b, true).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(entry_size(1), 12);
        assert_eq!(entry_size(4), 12);
        assert_eq!(entry_size(5), 16);
        assert!(check_name(b"a/b").is_err());
        assert!(check_name(b"..").is_err());
        assert_eq!(check_name(&[b'x'; 256]), Err(Error::NameTooLong));
        assert!(check_name(b"ok").is_ok());
    }
}
