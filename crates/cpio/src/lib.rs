//! SVR4 "newc" cpio archives (magic `070701`, and `070702` with checksums),
//! the format of the ExoV6 boot ramdisk.
//!
//! [`Archive`] reads an archive in place without allocating: its
//! [`entries`](Archive::entries) iterator yields [`Entry`] values borrowing
//! names and data from the input, stops at `TRAILER!!!`, and reports
//! malformed input as a [`CpioError`] carrying the byte offset; it never
//! panics. With feature `alloc`, `Builder` writes archives.
//!
//! Layout of one member: a 110-byte ASCII header (`070701` and thirteen
//! 8-digit hex fields), the NUL-terminated name padded so that header plus
//! name is a multiple of 4, then the data padded to a multiple of 4.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod entry;
mod error;
mod header;
mod reader;
#[cfg(feature = "alloc")]
mod writer;

pub use entry::{Entry, Metadata};
pub use error::{CpioError, ErrorKind};
pub use header::{normalize_path, HEADER_LEN, MAGIC_CRC, MAGIC_NEWC, TRAILER};
pub use reader::{Archive, Entries};
#[cfg(feature = "alloc")]
pub use writer::{BuildError, Builder};

/// File-type bits of `mode` (`S_IFMT`).
pub const S_IFMT: u32 = 0o170_000;
/// Directory (`S_IFDIR`).
pub const S_IFDIR: u32 = 0o040_000;
/// Regular file (`S_IFREG`).
pub const S_IFREG: u32 = 0o100_000;
/// Symbolic link (`S_IFLNK`).
pub const S_IFLNK: u32 = 0o120_000;
