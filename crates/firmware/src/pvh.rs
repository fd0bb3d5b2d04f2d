//! The PVH boot protocol: decodes Xen's `hvm_start_info` (versions 0 and 1),
//! its module list and its memory map into a [`BootInfo`].
//!
//! Layout (all little-endian): magic u32 @0, version u32 @4, flags u32 @8,
//! nr_modules u32 @12, modlist_paddr u64 @16, cmdline_paddr u64 @24,
//! rsdp_paddr u64 @32 (40 bytes in version 0); version 1 adds memmap_paddr
//! u64 @40, memmap_entries u32 @48, reserved u32 @52 (56 bytes). A zero
//! address means "not present".

use crate::bytes::{u32_at, u64_at};
use crate::phys::read_exact;
use crate::{BootError, BootInfo, MemKind, PhysMem, Protocol};

/// `hvm_start_info.magic`: "xEn3" with the top bit of the 'E' set.
pub const PVH_MAGIC: u32 = 0x336e_c578;

const V0_LEN: usize = 40;
const V1_LEN: usize = 56;
/// `hvm_modlist_entry`: paddr u64, size u64, cmdline_paddr u64, reserved u64.
const MODLIST_ENTRY_LEN: usize = 32;
/// `hvm_memmap_table_entry`: addr u64, size u64, type u32, reserved u32.
const MEMMAP_ENTRY_LEN: usize = 24;

/// Parses the PVH `hvm_start_info` at `start_info_paddr` (the value in `ebx`).
///
/// Version 0 has no memory map: the result then has no regions and the
/// kernel must report that. Versions above 1 are read as version 1 (the
/// format is defined to stay backwards compatible). `rsdp_paddr` is taken in
/// every version when non-zero (it is part of version 0).
pub fn parse_pvh<'m>(
    mem: &'m impl PhysMem,
    start_info_paddr: u64,
) -> Result<BootInfo<'m>, BootError> {
    let head = read_exact(mem, start_info_paddr, 8).ok_or(BootError::Unreadable {
        paddr: start_info_paddr,
    })?;
    if u32_at(head, 0) != Some(PVH_MAGIC) {
        return Err(BootError::BadMagic);
    }
    let version = u32_at(head, 4).unwrap_or(0);
    let len = if version == 0 { V0_LEN } else { V1_LEN };
    let si = read_exact(mem, start_info_paddr, len).ok_or(BootError::Truncated)?;

    let mut info = BootInfo::new(Protocol::Pvh);
    info.add_extent(start_info_paddr, len as u64);

    let field64 = |off| u64_at(si, off).unwrap_or(0);
    let field32 = |off| u32_at(si, off).unwrap_or(0);

    info.cmdline = info.read_string(mem, field64(24));

    let rsdp = field64(32);
    if rsdp != 0 {
        info.rsdp = Some(rsdp);
    }

    if version >= 1 {
        read_memmap(mem, &mut info, field64(40), field32(48))?;
    }
    read_modules(mem, &mut info, field64(16), field32(12))?;
    Ok(info)
}

fn read_memmap(
    mem: &impl PhysMem,
    info: &mut BootInfo<'_>,
    paddr: u64,
    entries: u32,
) -> Result<(), BootError> {
    if paddr == 0 || entries == 0 {
        return Ok(());
    }
    let what = "PVH memmap_entries too large";
    let table = info.read_table(mem, paddr, entries, MEMMAP_ENTRY_LEN, what)?;
    for e in table.chunks_exact(MEMMAP_ENTRY_LEN) {
        let start = u64_at(e, 0).unwrap_or(0);
        let size = u64_at(e, 8).unwrap_or(0);
        let kind = MemKind::from_e820(u32_at(e, 16).unwrap_or(0));
        info.push_region(start, size, kind);
    }
    Ok(())
}

fn read_modules<'m>(
    mem: &'m impl PhysMem,
    info: &mut BootInfo<'m>,
    paddr: u64,
    count: u32,
) -> Result<(), BootError> {
    if paddr == 0 || count == 0 {
        return Ok(());
    }
    let what = "PVH nr_modules too large";
    let list = info.read_table(mem, paddr, count, MODLIST_ENTRY_LEN, what)?;
    for e in list.chunks_exact(MODLIST_ENTRY_LEN) {
        let start = u64_at(e, 0).unwrap_or(0);
        let size = u64_at(e, 8).unwrap_or(0);
        let Some(end) = start.checked_add(size) else {
            continue;
        };
        let cmdline = info.read_string(mem, u64_at(e, 16).unwrap_or(0));
        info.push_module(start, end, cmdline);
    }
    Ok(())
}
