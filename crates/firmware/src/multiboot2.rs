//! The Multiboot2 boot protocol: walks the boot information (MBI) tag list
//! into a [`BootInfo`].
//!
//! The MBI starts with `total_size: u32, reserved: u32`, then tags
//! `type: u32, size: u32, data…`, each starting on an 8-byte boundary, ended
//! by a tag of type 0. Used here: 1 command line, 2 boot loader name,
//! 3 module, 4 basic memory info (only as a fallback when there is no memory
//! map), 6 memory map, 14 ACPI old RSDP copy, 15 ACPI new RSDP copy. Other
//! tags are skipped.

use crate::bytes::{cstr_in, u32_at, u64_at};
use crate::phys::read_exact;
use crate::{BootError, BootInfo, MemKind, PhysMem, Protocol};

/// The value a Multiboot2 loader leaves in `eax`.
pub const MULTIBOOT2_BOOT_MAGIC: u32 = 0x36d7_6289;

const TAG_END: u32 = 0;
const TAG_CMDLINE: u32 = 1;
const TAG_BOOTLOADER: u32 = 2;
const TAG_MODULE: u32 = 3;
const TAG_BASIC_MEMINFO: u32 = 4;
const TAG_MMAP: u32 = 6;
const TAG_ACPI_OLD: u32 = 14;
const TAG_ACPI_NEW: u32 = 15;

/// Fixed header of the MBI and of each tag.
const HEADER_LEN: usize = 8;
/// The part of a memory map entry this parser reads: base u64, length u64, type u32.
const MMAP_ENTRY_MIN: usize = 20;
/// An RSDP (version 1 part) starts with this signature.
const RSDP_SIGNATURE: &[u8] = b"RSD PTR ";

/// Parses the Multiboot2 information structure at `mbi_paddr` (the value in `ebx`).
///
/// Errors when the MBI is unreadable, its `total_size` is below 8, a tag's
/// `size` is below 8, or a tag runs past `total_size`. Malformed entries
/// inside a tag (a module whose end is below its start, a memory map with an
/// entry size below 20, an ACPI tag without an RSDP signature) are skipped.
pub fn parse_multiboot2<'m>(
    mem: &'m impl PhysMem,
    mbi_paddr: u64,
) -> Result<BootInfo<'m>, BootError> {
    let head =
        read_exact(mem, mbi_paddr, HEADER_LEN).ok_or(BootError::Unreadable { paddr: mbi_paddr })?;
    let total = u32_at(head, 0)
        .and_then(|t| usize::try_from(t).ok())
        .unwrap_or(0);
    if total < HEADER_LEN {
        return Err(BootError::Malformed {
            what: "multiboot2 total_size below 8",
        });
    }
    let mbi = read_exact(mem, mbi_paddr, total).ok_or(BootError::Truncated)?;

    let mut info = BootInfo::new(Protocol::Multiboot2);
    info.add_extent(mbi_paddr, total as u64);

    let mut rsdp_old = None;
    let mut rsdp_new = None;
    let mut basic_mem = None;
    let mut saw_mmap = false;

    let mut off = HEADER_LEN;
    while off < total {
        let typ = u32_at(mbi, off).ok_or(BootError::Truncated)?;
        if typ == TAG_END {
            break;
        }
        let size_off = off.checked_add(4).ok_or(BootError::Truncated)?;
        let size = u32_at(mbi, size_off).ok_or(BootError::Truncated)?;
        let size = usize::try_from(size).map_err(|_| BootError::Truncated)?;
        if size < HEADER_LEN {
            return Err(BootError::Malformed {
                what: "multiboot2 tag size below 8",
            });
        }
        let end = off.checked_add(size).ok_or(BootError::Truncated)?;
        // size >= 8, so off + 8 <= end cannot overflow.
        let body = mbi.get(off + HEADER_LEN..end).ok_or(BootError::Truncated)?;
        let tag_paddr = mbi_paddr.saturating_add(off as u64);
        match typ {
            TAG_CMDLINE => info.cmdline = cstr_in(body),
            TAG_BOOTLOADER => info.bootloader = Some(cstr_in(body)),
            TAG_MODULE => {
                if let (Some(start), Some(stop)) = (u32_at(body, 0), u32_at(body, 4)) {
                    let cmdline = body.get(8..).map(cstr_in).unwrap_or("");
                    info.push_module(u64::from(start), u64::from(stop), cmdline);
                }
            }
            TAG_BASIC_MEMINFO => {
                if let (Some(lower), Some(upper)) = (u32_at(body, 0), u32_at(body, 4)) {
                    basic_mem = Some((lower, upper));
                }
            }
            TAG_MMAP => {
                saw_mmap = true;
                memory_map(&mut info, body);
            }
            TAG_ACPI_OLD | TAG_ACPI_NEW if body.starts_with(RSDP_SIGNATURE) => {
                let addr = Some(tag_paddr.saturating_add(HEADER_LEN as u64));
                if typ == TAG_ACPI_NEW {
                    rsdp_new = rsdp_new.or(addr);
                } else {
                    rsdp_old = rsdp_old.or(addr);
                }
            }
            _ => {}
        }
        // The next tag starts on an 8-byte boundary.
        off = end.checked_add(7).ok_or(BootError::Truncated)? & !7;
    }

    info.rsdp = rsdp_new.or(rsdp_old);
    if !saw_mmap {
        if let Some((lower, upper)) = basic_mem {
            info.push_region(0, u64::from(lower) * 1024, MemKind::Usable);
            info.push_region(0x10_0000, u64::from(upper) * 1024, MemKind::Usable);
        }
    }
    Ok(info)
}

/// Tag 6 body: `entry_size: u32, entry_version: u32`, then entries of
/// `entry_size` bytes (base u64, length u64, type u32, reserved u32).
fn memory_map(info: &mut BootInfo<'_>, body: &[u8]) {
    let Some(entry_size) = u32_at(body, 0).and_then(|s| usize::try_from(s).ok()) else {
        return;
    };
    if entry_size < MMAP_ENTRY_MIN {
        return;
    }
    let entries = body.get(8..).unwrap_or(&[]);
    for e in entries.chunks_exact(entry_size) {
        let start = u64_at(e, 0).unwrap_or(0);
        let len = u64_at(e, 8).unwrap_or(0);
        let kind = MemKind::from_e820(u32_at(e, 16).unwrap_or(0));
        info.push_region(start, len, kind);
    }
}
