//! Page-table entry bits, the same in 4-level (x86_64) and PAE (i386)
//! tables: both use 64-bit entries.

pub const PRESENT: u64 = 1;
pub const WRITABLE: u64 = 1 << 1;
pub const WRITE_THROUGH: u64 = 1 << 3;
pub const NO_CACHE: u64 = 1 << 4;
pub const HUGE: u64 = 1 << 7;
pub const GLOBAL: u64 = 1 << 8;
pub const NO_EXECUTE: u64 = 1 << 63;
/// The physical address bits of an entry (and of CR3 in 4-level mode).
pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
/// A large page (a page-directory entry with `HUGE`).
pub const MIB2: u64 = 2 << 20;
