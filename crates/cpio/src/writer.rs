//! Writing newc archives (feature `alloc`): member headers, name and data
//! padding, and the closing trailer.

use alloc::vec::Vec;
use core::fmt;

use crate::entry::Metadata;
use crate::header::{normalize_path, push_hex, HEADER_LEN, MAGIC_NEWC, TRAILER};
use crate::{S_IFDIR, S_IFLNK, S_IFREG};

/// Why a member could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// The path is empty (after normalisation), contains NUL, or is the
    /// trailer name.
    BadName,
    /// The name or data is longer than a header field can describe (4 GiB).
    TooLarge,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuildError::BadName => "cpio: invalid member name",
            BuildError::TooLarge => "cpio: member larger than 4 GiB",
        })
    }
}

impl core::error::Error for BuildError {}

/// Builds an archive in memory.
///
/// Convenience methods store paths relative (no leading `/`, as the Linux
/// initramfs does), with uid/gid 0, the builder's `mtime` (0 unless set),
/// and inode numbers counting up from 1. [`Builder::add`] writes any header.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    buf: Vec<u8>,
    next_ino: u32,
    mtime: u32,
}

impl Builder {
    /// An empty archive.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Sets the modification time used by the convenience methods.
    pub fn with_mtime(mut self, mtime: u32) -> Builder {
        self.mtime = mtime;
        self
    }

    fn meta(&mut self, mode: u32, nlink: u32) -> Metadata {
        self.next_ino += 1;
        Metadata {
            ino: self.next_ino,
            mode,
            nlink,
            mtime: self.mtime,
            ..Metadata::default()
        }
    }

    /// Adds a directory; `mode`'s permission bits are used.
    pub fn add_dir(&mut self, path: &str, mode: u32) -> Result<(), BuildError> {
        let meta = self.meta(S_IFDIR | (mode & 0o7777), 2);
        self.add(normalize_path(path), meta, &[])
    }

    /// Adds a regular file; `mode`'s permission bits are used.
    pub fn add_file(&mut self, path: &str, mode: u32, data: &[u8]) -> Result<(), BuildError> {
        let meta = self.meta(S_IFREG | (mode & 0o7777), 1);
        self.add(normalize_path(path), meta, data)
    }

    /// Adds a symbolic link `path` pointing at `target` (mode 0777).
    pub fn add_symlink(&mut self, path: &str, target: &str) -> Result<(), BuildError> {
        let meta = self.meta(S_IFLNK | 0o777, 1);
        self.add(normalize_path(path), meta, target.as_bytes())
    }

    /// Adds a member with exactly the given name and header fields.
    pub fn add(&mut self, name: &str, meta: Metadata, data: &[u8]) -> Result<(), BuildError> {
        if name.is_empty() || name.contains('\0') || name == TRAILER {
            return Err(BuildError::BadName);
        }
        self.push(name, meta, data)
    }

    fn push(&mut self, name: &str, meta: Metadata, data: &[u8]) -> Result<(), BuildError> {
        let namesize = u32::try_from(name.len() + 1).map_err(|_| BuildError::TooLarge)?;
        let filesize = u32::try_from(data.len()).map_err(|_| BuildError::TooLarge)?;
        let start = self.buf.len();
        self.buf.reserve(HEADER_LEN + name.len() + data.len() + 8);
        self.buf.extend_from_slice(MAGIC_NEWC);
        for v in [
            meta.ino,
            meta.mode,
            meta.uid,
            meta.gid,
            meta.nlink,
            meta.mtime,
            filesize,
            meta.dev_major,
            meta.dev_minor,
            meta.rdev_major,
            meta.rdev_minor,
            namesize,
            meta.check,
        ] {
            push_hex(&mut self.buf, v);
        }
        debug_assert_eq!(self.buf.len() - start, HEADER_LEN);
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(0);
        self.pad4();
        self.buf.extend_from_slice(data);
        self.pad4();
        Ok(())
    }

    fn pad4(&mut self) {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
    }

    /// Appends the `TRAILER!!!` member and returns the archive bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let trailer = Metadata {
            nlink: 1,
            ..Metadata::default()
        };
        self.push(TRAILER, trailer, &[])
            .expect("the trailer always fits");
        self.buf
    }
}
