//! Operations on names and inodes: create, mknod, mkdir, symlink, link,
//! unlink, rmdir, rename, readlink, setattr, and deleting an inode once
//! its last link is gone.

use alloc::vec;
use alloc::vec::Vec;

use crate::cache::BlockKind;
use crate::dev::BlockDevice;
use crate::dir::check_name;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{FileType, Inode, IBLOCK_BYTES, LINK_MAX, ROOT_INO};
use crate::le::{get32, put32};

/// What [`Fs::setattr`] changes (`None`: left as is). The change time
/// becomes the current time unless `ctime` is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits (`0o7777`; the type bits are kept).
    pub mode: Option<u16>,
    /// New owner (32 bits: the high half goes to `l_i_uid_high`).
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New access time.
    pub atime: Option<u32>,
    /// New modification time.
    pub mtime: Option<u32>,
    /// New change time.
    pub ctime: Option<u32>,
}

/// Owner and permissions of a new inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    /// Permission bits (`0o7777`).
    pub perm: u16,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

impl<D: BlockDevice> Fs<D> {
    /// Allocates and initialises an inode of type `ft` (not yet linked).
    fn new_inode(&mut self, parent: u32, ft: FileType, owner: Owner) -> Result<(u32, Inode)> {
        let ino = self.alloc_inode(parent, ft == FileType::Directory)?;
        let old = self.inode(ino)?;
        let mut i = Inode::new(self.sb.inode_size, old.generation.wrapping_add(1));
        i.mode = ft.mode_bits() | (owner.perm & 0o7777);
        i.uid = owner.uid;
        i.gid = owner.gid;
        i.atime = self.now;
        i.ctime = self.now;
        i.mtime = self.now;
        i.links = 1;
        Ok((ino, i))
    }

    /// Checks that `name` may be added to directory `dir`.
    fn prepare_add(&mut self, dir: u32, name: &[u8]) -> Result<Inode> {
        self.check_writable()?;
        check_name(name)?;
        let d = self.dir_inode(dir)?;
        if d.links == 0 {
            return Err(Error::NotFound);
        }
        match self.lookup(dir, name) {
            Ok(_) => Err(Error::Exists),
            Err(Error::NotFound) => Ok(d),
            Err(e) => Err(e),
        }
    }

    /// Links the new inode `ino` into `dir` as `name`, undoing its
    /// allocation if the directory cannot take it.
    fn link_new(
        &mut self,
        dir: u32,
        mut d: Inode,
        name: &[u8],
        ino: u32,
        i: &mut Inode,
    ) -> Result<()> {
        let ft = i.file_type().ok_or(Error::Invalid("mode"))?;
        if let Err(e) = self.add_entry(dir, &mut d, name, ino, ft) {
            self.put_inode(dir, &d)?;
            i.links = 0;
            self.delete_inode(ino, i.clone())?;
            return Err(e);
        }
        if ft == FileType::Directory {
            d.links += 1;
        }
        d.mtime = self.now;
        d.ctime = self.now;
        self.put_inode(dir, &d)?;
        self.put_inode(ino, i)
    }

    /// Creates an empty regular file `name` in `dir`.
    pub fn create(&mut self, dir: u32, name: &[u8], owner: Owner) -> Result<u32> {
        self.mknod(dir, name, FileType::Regular, owner, (0, 0))
    }

    /// Creates a regular file, device node, FIFO or socket `name` in
    /// `dir` (`rdev` is the (major, minor) of a device).
    pub fn mknod(
        &mut self,
        dir: u32,
        name: &[u8],
        ft: FileType,
        owner: Owner,
        rdev: (u32, u32),
    ) -> Result<u32> {
        if matches!(ft, FileType::Directory | FileType::Symlink) {
            return Err(Error::Invalid("mknod of a directory or symlink"));
        }
        let d = self.prepare_add(dir, name)?;
        let (ino, mut i) = self.new_inode(dir, ft, owner)?;
        if matches!(ft, FileType::CharDevice | FileType::BlockDevice) {
            i.set_rdev(rdev.0, rdev.1);
        }
        self.put_inode(ino, &i)?;
        self.link_new(dir, d, name, ino, &mut i)?;
        Ok(ino)
    }

    /// Creates directory `name` in `dir`.
    pub fn mkdir(&mut self, dir: u32, name: &[u8], owner: Owner) -> Result<u32> {
        let d = self.prepare_add(dir, name)?;
        if d.links >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        let (ino, mut i) = self.new_inode(dir, FileType::Directory, owner)?;
        i.links = 2;
        let (b, _) = match self.bmap_alloc(&mut i, 0) {
            Ok(r) => r,
            Err(e) => {
                i.links = 0;
                self.delete_inode(ino, i)?;
                return Err(e);
            }
        };
        let block = self.new_dir_block(ino, dir);
        self.put_block(u64::from(b), BlockKind::Directory, block);
        i.size = self.bs as u64;
        self.put_inode(ino, &i)?;
        self.link_new(dir, d, name, ino, &mut i)?;
        Ok(ino)
    }

    /// Creates symbolic link `name` in `dir` pointing to `target`: kept in
    /// the inode when shorter than 60 bytes (fast), else in a block.
    pub fn symlink(&mut self, dir: u32, name: &[u8], target: &[u8], owner: Owner) -> Result<u32> {
        if target.is_empty() || target.len() >= self.bs || target.contains(&0) {
            return Err(Error::Invalid("symlink target empty, too long or with NUL"));
        }
        let d = self.prepare_add(dir, name)?;
        let (ino, mut i) = self.new_inode(
            dir,
            FileType::Symlink,
            Owner {
                perm: 0o777,
                ..owner
            },
        )?;
        if target.len() < IBLOCK_BYTES {
            i.set_block_bytes(target);
            i.size = target.len() as u64;
        } else if let Err((_, e)) = self.write_inode_data(&mut i, 0, target, BlockKind::Data) {
            i.links = 0;
            self.delete_inode(ino, i)?;
            return Err(e);
        }
        self.put_inode(ino, &i)?;
        self.link_new(dir, d, name, ino, &mut i)?;
        Ok(ino)
    }

    /// The target of symbolic link `ino`.
    pub fn readlink(&mut self, ino: u32) -> Result<Vec<u8>> {
        let i = self.live_inode(ino)?;
        if i.file_type() != Some(FileType::Symlink) {
            return Err(Error::Invalid("not a symlink"));
        }
        let len = usize::try_from(i.size).map_err(|_| Error::Corrupt("symlink size"))?;
        if i.is_fast_symlink(self.bs) {
            let bytes = i.block_bytes();
            return bytes
                .get(..len)
                .map(|b| b.to_vec())
                .ok_or(Error::Corrupt("fast symlink size"));
        }
        if len >= self.bs {
            return Err(Error::Corrupt("slow symlink size"));
        }
        let mut buf = vec![0u8; len];
        self.read_inode_data(&i, 0, &mut buf)?;
        Ok(buf)
    }

    /// Adds the name `name` in `dir` for inode `ino` (not a directory).
    pub fn link(&mut self, ino: u32, dir: u32, name: &[u8]) -> Result<()> {
        let mut d = self.prepare_add(dir, name)?;
        let i = self.live_inode(ino)?;
        if i.is_dir() {
            return Err(Error::IsDir);
        }
        if i.links >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        let ft = i.file_type().ok_or(Error::Invalid("mode"))?;
        self.add_entry(dir, &mut d, name, ino, ft)?;
        d.mtime = self.now;
        d.ctime = self.now;
        self.put_inode(dir, &d)?;
        // Re-read: adding the entry may have written the inode's block.
        let mut i = self.inode(ino)?;
        i.links += 1;
        i.ctime = self.now;
        self.put_inode(ino, &i)
    }

    /// Drops one link of inode `ino`; frees it when none is left (unless held).
    fn drop_link(&mut self, ino: u32, all: bool) -> Result<()> {
        let mut i = self.inode(ino)?;
        i.links = if all { 0 } else { i.links.saturating_sub(1) };
        i.ctime = self.now;
        if i.links == 0 && !self.held.contains(&ino) {
            self.delete_inode(ino, i)
        } else {
            self.put_inode(ino, &i)
        }
    }

    /// Frees inode `ino` (links already zero): its blocks, its attribute
    /// block's reference, and the inode, with `i_dtime` set.
    pub(crate) fn delete_inode(&mut self, ino: u32, mut i: Inode) -> Result<()> {
        let dir = i.is_dir();
        if i.has_block_map(self.bs) {
            self.free_from(&mut i, 0)?;
        }
        if i.file_acl != 0 {
            self.drop_xattr_block(i.file_acl)?;
            i.file_acl = 0;
            i.sectors = i.sectors.saturating_sub(self.block_sectors());
        }
        i.size = 0;
        i.links = 0;
        i.dtime = self.now.max(1);
        self.put_inode(ino, &i)?;
        self.free_inode(ino, dir)
    }

    /// Drops a reference to a shared extended attribute block (header:
    /// magic `0xEA020000`, then the reference count), freeing it at zero.
    fn drop_xattr_block(&mut self, b: u32) -> Result<()> {
        self.check_block(b)?;
        let mut blk = self.read_block(u64::from(b))?;
        if get32(&blk, 0) != 0xEA02_0000 {
            return Err(Error::Corrupt("extended attribute block magic"));
        }
        let refs = get32(&blk, 4);
        if refs <= 1 {
            self.free_block(b)
        } else {
            put32(&mut blk, 4, refs - 1);
            self.put_block(u64::from(b), BlockKind::Data, blk);
            Ok(())
        }
    }

    /// Removes the name `name` (not a directory) from `dir`.
    pub fn unlink(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        self.check_writable()?;
        let mut d = self.dir_inode(dir)?;
        let ino = self.lookup(dir, name)?;
        let i = self.live_inode(ino)?;
        if i.is_dir() {
            return Err(Error::IsDir);
        }
        self.remove_entry(&mut d, name)?;
        d.mtime = self.now;
        d.ctime = self.now;
        self.put_inode(dir, &d)?;
        self.drop_link(ino, false)
    }

    /// Removes the empty directory `name` from `dir`.
    pub fn rmdir(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        self.check_writable()?;
        if name == b"." || name == b".." {
            return Err(Error::Invalid("rmdir of '.' or '..'"));
        }
        let mut d = self.dir_inode(dir)?;
        let ino = self.lookup(dir, name)?;
        let i = self.live_inode(ino)?;
        if !i.is_dir() {
            return Err(Error::NotDir);
        }
        if !self.dir_is_empty(&i)? {
            return Err(Error::NotEmpty);
        }
        self.remove_entry(&mut d, name)?;
        d.links = d.links.saturating_sub(1);
        d.mtime = self.now;
        d.ctime = self.now;
        self.put_inode(dir, &d)?;
        self.drop_link(ino, true)
    }

    /// Whether directory `a` is `b` or lies under it (walking `..` up).
    fn is_under(&mut self, mut a: u32, b: u32) -> Result<bool> {
        for _ in 0..=self.sb.inodes_count.min(1 << 16) {
            if a == b {
                return Ok(true);
            }
            if a == ROOT_INO {
                return Ok(false);
            }
            a = self.lookup(a, b"..")?;
        }
        Err(Error::Corrupt("directory loop"))
    }

    /// Renames `odir`/`oname` to `ndir`/`nname`, replacing a file there
    /// (or an empty directory, when moving a directory), as POSIX's rename.
    pub fn rename(&mut self, odir: u32, oname: &[u8], ndir: u32, nname: &[u8]) -> Result<()> {
        self.check_writable()?;
        check_name(nname)?;
        if oname == b"." || oname == b".." {
            return Err(Error::Invalid("rename of '.' or '..'"));
        }
        self.dir_inode(odir)?;
        self.dir_inode(ndir)?;
        let src = self.lookup(odir, oname)?;
        let si = self.live_inode(src)?;
        let sdir = si.is_dir();
        let ft = si.file_type().ok_or(Error::Invalid("mode"))?;
        let target = match self.lookup(ndir, nname) {
            Ok(t) => Some(t),
            Err(Error::NotFound) => None,
            Err(e) => return Err(e),
        };
        if target == Some(src) {
            return Ok(());
        }
        if sdir && odir != ndir && self.is_under(ndir, src)? {
            return Err(Error::Invalid("a directory moved under itself"));
        }
        if let Some(t) = target {
            let ti = self.live_inode(t)?;
            match (sdir, ti.is_dir()) {
                (true, false) => return Err(Error::NotDir),
                (false, true) => return Err(Error::IsDir),
                (true, true) if !self.dir_is_empty(&ti)? => return Err(Error::NotEmpty),
                _ => {}
            }
        }
        if sdir && target.is_none() && odir != ndir && self.dir_inode(ndir)?.links >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        // The new name first, so a failure leaves the old one in place.
        let mut nd = self.dir_inode(ndir)?;
        match target {
            Some(_) => self.set_entry(&mut nd, nname, src, ft)?,
            None => self.add_entry(ndir, &mut nd, nname, src, ft)?,
        }
        nd.mtime = self.now;
        nd.ctime = self.now;
        if sdir && target.is_none() && odir != ndir {
            nd.links += 1;
        }
        if sdir && target.is_some() && odir == ndir {
            nd.links = nd.links.saturating_sub(1);
        }
        self.put_inode(ndir, &nd)?;
        let mut od = self.dir_inode(odir)?;
        self.remove_entry(&mut od, oname)?;
        od.mtime = self.now;
        od.ctime = self.now;
        if sdir && odir != ndir {
            od.links = od.links.saturating_sub(1);
        }
        self.put_inode(odir, &od)?;
        if sdir && odir != ndir {
            let mut si = self.inode(src)?;
            self.set_entry(&mut si, b"..", ndir, FileType::Directory)?;
            self.put_inode(src, &si)?;
        }
        let mut si = self.inode(src)?;
        si.ctime = self.now;
        self.put_inode(src, &si)?;
        if let Some(t) = target {
            self.drop_link(t, sdir)?;
        }
        Ok(())
    }

    /// Changes inode `ino`'s permissions, owner, group or times.
    pub fn setattr(&mut self, ino: u32, a: SetAttr) -> Result<()> {
        self.check_writable()?;
        let mut i = self.live_inode(ino)?;
        if let Some(m) = a.mode {
            i.mode = (i.mode & crate::inode::S_IFMT) | (m & 0o7777);
        }
        if let Some(u) = a.uid {
            i.uid = u;
        }
        if let Some(g) = a.gid {
            i.gid = g;
        }
        if let Some(t) = a.atime {
            i.atime = t;
        }
        if let Some(t) = a.mtime {
            i.mtime = t;
        }
        i.ctime = a.ctime.unwrap_or(self.now);
        self.put_inode(ino, &i)
    }
}
