//! One archive member as read from an archive: its header fields, name and
//! data, with file-type helpers.

use crate::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

/// The numeric header fields of a member (everything but name and size).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Inode number.
    pub ino: u32,
    /// File type and permission bits (`st_mode`).
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Link count.
    pub nlink: u32,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: u32,
    /// Major number of the device holding the file.
    pub dev_major: u32,
    /// Minor number of the device holding the file.
    pub dev_minor: u32,
    /// Major number of a device special file.
    pub rdev_major: u32,
    /// Minor number of a device special file.
    pub rdev_minor: u32,
    /// Checksum (`070702` archives) or 0.
    pub check: u32,
}

/// A member of an archive, borrowing name and data from the archive bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Name as stored (without the NUL), e.g. `etc/motd` or `./etc/motd`.
    pub name: &'a str,
    /// The numeric header fields (also reachable directly: `entry.mode`).
    pub meta: Metadata,
    /// File contents (for a symlink: the target path).
    pub data: &'a [u8],
    /// Offset of this member's header in the archive.
    pub offset: usize,
}

impl core::ops::Deref for Entry<'_> {
    type Target = Metadata;

    fn deref(&self) -> &Metadata {
        &self.meta
    }
}

impl<'a> Entry<'a> {
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// True for a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }

    /// Permission bits (`mode & 0o7777`).
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }

    /// The link target of a symlink, if it is UTF-8.
    pub fn symlink_target(&self) -> Option<&'a str> {
        if self.is_symlink() {
            core::str::from_utf8(self.data).ok()
        } else {
            None
        }
    }

    /// The name with leading `/` or `./` and trailing `/` removed.
    pub fn path(&self) -> &'a str {
        crate::normalize_path(self.name)
    }

    /// All numeric header fields.
    pub fn metadata(&self) -> Metadata {
        self.meta
    }
}
