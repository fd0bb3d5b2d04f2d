//! The kernel symbol table (`ksyms`): the format the xtask patches into the
//! kernel ELF's `.ksyms` section and the kernel reads to symbolise backtraces.
//!
//! Layout (all integers little endian):
//!
//! ```text
//! header   b"KSYM"  count: u32  strings_len: u32  reserved: u32      (16 bytes)
//! entries  count x { addr: u64, size: u32, name_off: u32, name_len: u32, pad: u32 }
//!          (24 bytes each, sorted by addr, addresses unique)
//! strings  strings_len bytes of UTF-8 names (demangled, no hash suffix)
//! ```
//!
//! [`Table::parse`] reads a table (from the section contents, which may carry
//! trailing zero fill) and [`Table::lookup`] maps an address to
//! `(name, offset)`. With feature `std`, `build` produces the bytes.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
mod builder;
mod table;

#[cfg(feature = "std")]
pub use builder::{build, strip_hash_suffix};
pub use table::{Symbol, Table};

/// The four magic bytes that open a patched table.
pub const MAGIC: [u8; 4] = *b"KSYM";
/// Size of the header in bytes.
pub const HEADER_LEN: usize = 16;
/// Size of one entry in bytes.
pub const ENTRY_LEN: usize = 24;
