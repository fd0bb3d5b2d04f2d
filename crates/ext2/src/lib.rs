//! The ext2 file system format, read and write, over any block device:
//! the format logic of ExoV6's ext2 file server, tested on the host
//! against e2fsprogs.
//!
//! What is implemented, from the format's specification ("The Second
//! Extended File System", Dave Poirier):
//!
//! - revision 0 and 1 superblocks, block sizes 1 KiB to 32 KiB (tested: 1, 2
//!   and 4 KiB), the
//!   `sparse_super`, `large_file` and `filetype` features; `ext_attr`,
//!   `resize_inode`, `dir_index` and the other compatible features are
//!   tolerated (hashed directories are read and changed as linear ones,
//!   their index flag cleared on change); any other incompatible feature
//!   is refused ([`Error::Unsupported`]), any other read-only-compatible
//!   one opens the image read-only;
//! - group descriptors, bitmaps, inodes of any size (the large inode's
//!   extra bytes kept), block maps with direct, single, double and triple
//!   indirect blocks, files past 4 GiB;
//! - directories with file types, fast and slow symlinks, hard links,
//!   device nodes, FIFOs and sockets;
//! - create, mknod, mkdir, symlink, link, unlink, rmdir, rename, write,
//!   truncate and setattr, keeping bitmaps, free counts, directory counts,
//!   link counts, `i_blocks` and `i_dtime` as e2fsck expects them;
//! - ordered write-back for fsync ([`Fs::sync`], [`Fs::dirty_blocks`],
//!   [`BlockKind`]): bitmaps, data, indirect blocks, inodes, directories,
//!   counts; frees reach the bitmaps only after the pointers are gone.
//!
//! No input bytes make it panic: corrupt metadata is an
//! [`Error::Corrupt`]. There is no `unsafe` code.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[path = "alloc.rs"]
mod allocator;
pub mod bmap;
mod cache;
mod data;
pub mod dev;
pub mod dir;
mod error;
mod fs;
pub mod group;
pub mod inode;
mod le;
mod namei;
pub mod superblock;

pub use cache::BlockKind;
pub use dev::{BlockDevice, MemDevice};
pub use dir::DirEntry;
pub use error::{DevError, Error, Result};
pub use fs::{Fs, Stat, StatFs};
pub use inode::{FileType, ROOT_INO};
pub use namei::{Owner, SetAttr};
