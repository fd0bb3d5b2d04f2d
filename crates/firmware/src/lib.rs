//! `firmware`: everything the kernel learns from the boot loader and the
//! platform firmware, parsed from raw physical memory without `unsafe`,
//! without allocation and without panicking on hostile input.
//!
//! * Boot protocols ([`parse_pvh`], [`parse_multiboot2`], [`parse_multiboot1`],
//!   or [`parse`] to dispatch on the magic the entry stub saw) all produce one
//!   normalised [`BootInfo`].
//! * [`acpi`] finds the RSDP and decodes the MADT, the FADT and the `\_S5_`
//!   sleep type from the DSDT.
//!
//! The kernel reaches physical memory through the [`PhysMem`] trait (its
//! direct map); every parser reads through bounds-checked helpers, so a bad,
//! truncated or malicious structure yields an `Err` or a skipped entry.
//!
//! ```
//! use firmware::{parse_multiboot2, SliceMem};
//!
//! // A Multiboot2 MBI with one command-line tag and the end tag.
//! let mut mbi = Vec::new();
//! for word in [32u32, 0, 1, 14] {
//!     mbi.extend_from_slice(&word.to_le_bytes());
//! }
//! mbi.extend_from_slice(b"quiet\0\0\0");
//! mbi.extend_from_slice(&[0, 0, 0, 0, 8, 0, 0, 0]);
//! let mem = SliceMem::new(0x1_0000, &mbi);
//! let info = parse_multiboot2(&mem, 0x1_0000).unwrap();
//! assert_eq!(info.cmdline, "quiet");
//! assert_eq!(info.structure_extents(), &[(0x1_0000, 0x1_0020)]);
//! ```
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod acpi;
mod boot_error;
mod bootinfo;
mod bytes;
mod fixed;
mod multiboot1;
mod multiboot2;
mod phys;
mod pvh;

pub use boot_error::BootError;
pub use bootinfo::{
    BootInfo, MemKind, MemRegion, Module, Protocol, MAX_EXTENTS, MAX_MODULES, MAX_REGIONS,
};
pub use multiboot1::{parse_multiboot1, MULTIBOOT1_BOOT_MAGIC};
pub use multiboot2::{parse_multiboot2, MULTIBOOT2_BOOT_MAGIC};
pub use phys::{PhysMem, SliceMem, MAX_STRING_LEN};
pub use pvh::{parse_pvh, PVH_MAGIC};

/// Parses the boot information for whichever protocol `magic` names.
///
/// `magic` is the value the entry stub found in `eax` ([`MULTIBOOT2_BOOT_MAGIC`]
/// or [`MULTIBOOT1_BOOT_MAGIC`]); a PVH entry stub, which gets no magic in a
/// register, passes [`PVH_MAGIC`]. `info_paddr` is the value in `ebx`.
pub fn parse<'m>(
    mem: &'m impl PhysMem,
    magic: u32,
    info_paddr: u64,
) -> Result<BootInfo<'m>, BootError> {
    match magic {
        PVH_MAGIC => parse_pvh(mem, info_paddr),
        MULTIBOOT2_BOOT_MAGIC => parse_multiboot2(mem, info_paddr),
        MULTIBOOT1_BOOT_MAGIC => parse_multiboot1(mem, info_paddr),
        _ => Err(BootError::BadMagic),
    }
}
