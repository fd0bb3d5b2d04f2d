//! The Multiboot 1 boot protocol: decodes the Multiboot information structure
//! (guarded by its `flags` word), its module list and its size-prefixed memory
//! map into a [`BootInfo`].
//!
//! Fields used (all u32, little-endian): flags @0; bit 0 mem_lower @4 and
//! mem_upper @8 (KiB); bit 2 cmdline @16; bit 3 mods_count @20, mods_addr @24;
//! bit 6 mmap_length @44, mmap_addr @48; bit 9 boot_loader_name @64.

use crate::bytes::{u32_at, u64_at};
use crate::phys::{read_exact, read_u32};
use crate::{BootError, BootInfo, MemKind, PhysMem, Protocol};

/// The value a Multiboot 1 loader leaves in `eax`.
pub const MULTIBOOT1_BOOT_MAGIC: u32 = 0x2BAD_B002;

const FLAG_MEM: u32 = 1 << 0;
const FLAG_CMDLINE: u32 = 1 << 2;
const FLAG_MODS: u32 = 1 << 3;
const FLAG_MMAP: u32 = 1 << 6;
const FLAG_BOOTLOADER: u32 = 1 << 9;

/// For each flag bit, the structure length needed to hold its fields.
const FLAG_EXTENT: [(u32, usize); 13] = [
    (1 << 0, 12),   // mem_lower, mem_upper
    (1 << 1, 16),   // boot_device
    (1 << 2, 20),   // cmdline
    (1 << 3, 28),   // mods_count, mods_addr
    (1 << 4, 44),   // a.out symbol table
    (1 << 5, 44),   // ELF section headers
    (1 << 6, 52),   // mmap_length, mmap_addr
    (1 << 7, 60),   // drives_length, drives_addr
    (1 << 8, 64),   // config_table
    (1 << 9, 68),   // boot_loader_name
    (1 << 10, 72),  // apm_table
    (1 << 11, 88),  // VBE fields
    (1 << 12, 116), // framebuffer fields
];

/// `mod_start, mod_end, string, reserved`, all u32.
const MODULE_ENTRY_LEN: usize = 16;
/// base_addr u64, length u64, type u32 (after the size prefix).
const MMAP_ENTRY_MIN: usize = 20;

/// The structure length covering the fields of every flag set in `flags`.
fn struct_len(flags: u32, mask: u32) -> usize {
    FLAG_EXTENT
        .iter()
        .filter(|(bit, _)| flags & mask & bit != 0)
        .map(|&(_, len)| len)
        .fold(4, usize::max)
}

/// Parses the Multiboot 1 information structure at `mbi_paddr` (the value in `ebx`).
///
/// Without a memory map (flag 6 clear, or a map with no usable entry) the
/// regions come from `mem_lower`/`mem_upper` when flag 0 is set:
/// `0..mem_lower KiB` and `1 MiB..1 MiB + mem_upper KiB`, both usable.
/// Multiboot 1 carries no RSDP: [`BootInfo::rsdp`] is `None`.
pub fn parse_multiboot1<'m>(
    mem: &'m impl PhysMem,
    mbi_paddr: u64,
) -> Result<BootInfo<'m>, BootError> {
    let flags = read_u32(mem, mbi_paddr).ok_or(BootError::Unreadable { paddr: mbi_paddr })?;
    let used = FLAG_MEM | FLAG_CMDLINE | FLAG_MODS | FLAG_MMAP | FLAG_BOOTLOADER;
    let mbi = read_exact(mem, mbi_paddr, struct_len(flags, used)).ok_or(BootError::Truncated)?;
    let field = |off| u32_at(mbi, off).unwrap_or(0);

    let mut info = BootInfo::new(Protocol::Multiboot1);
    info.add_extent(mbi_paddr, struct_len(flags, u32::MAX) as u64);

    if flags & FLAG_CMDLINE != 0 {
        info.cmdline = info.read_string(mem, u64::from(field(16)));
    }
    if flags & FLAG_BOOTLOADER != 0 && field(64) != 0 {
        info.bootloader = Some(info.read_string(mem, u64::from(field(64))));
    }
    if flags & FLAG_MODS != 0 {
        read_modules(mem, &mut info, u64::from(field(24)), field(20))?;
    }
    if flags & FLAG_MMAP != 0 {
        read_memory_map(mem, &mut info, u64::from(field(48)), field(44))?;
    }
    if info.regions().is_empty() && flags & FLAG_MEM != 0 {
        info.push_region(0, u64::from(field(4)) * 1024, MemKind::Usable);
        info.push_region(0x10_0000, u64::from(field(8)) * 1024, MemKind::Usable);
    }
    Ok(info)
}

fn read_modules<'m>(
    mem: &'m impl PhysMem,
    info: &mut BootInfo<'m>,
    paddr: u64,
    count: u32,
) -> Result<(), BootError> {
    if count == 0 {
        return Ok(());
    }
    let what = "multiboot1 mods_count too large";
    let list = info.read_table(mem, paddr, count, MODULE_ENTRY_LEN, what)?;
    for e in list.chunks_exact(MODULE_ENTRY_LEN) {
        let start = u64::from(u32_at(e, 0).unwrap_or(0));
        let end = u64::from(u32_at(e, 4).unwrap_or(0));
        let cmdline = info.read_string(mem, u64::from(u32_at(e, 8).unwrap_or(0)));
        info.push_module(start, end, cmdline);
    }
    Ok(())
}

/// Entries are `size: u32` followed by `size` bytes (base u64, length u64,
/// type u32, …); the next entry starts `size + 4` bytes later. An entry with
/// `size < 20` or running past `mmap_length` ends the walk.
fn read_memory_map(
    mem: &impl PhysMem,
    info: &mut BootInfo<'_>,
    paddr: u64,
    length: u32,
) -> Result<(), BootError> {
    if length == 0 {
        return Ok(());
    }
    let len = usize::try_from(length).map_err(|_| BootError::Truncated)?;
    let map = info.read_struct(mem, paddr, len)?;
    let mut off = 0usize;
    while let Some(size) = u32_at(map, off).and_then(|s| usize::try_from(s).ok()) {
        let Some(entry) = off
            .checked_add(4)
            .and_then(|a| Some((a, a.checked_add(size)?)))
            .and_then(|(a, b)| map.get(a..b))
        else {
            break;
        };
        if size < MMAP_ENTRY_MIN {
            break;
        }
        let start = u64_at(entry, 0).unwrap_or(0);
        let region_len = u64_at(entry, 8).unwrap_or(0);
        let kind = MemKind::from_e820(u32_at(entry, 16).unwrap_or(0));
        info.push_region(start, region_len, kind);
        match off.checked_add(4 + size) {
            Some(next) => off = next,
            None => break,
        }
    }
    Ok(())
}
