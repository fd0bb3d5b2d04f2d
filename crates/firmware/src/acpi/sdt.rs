//! System Description Table headers: reading a whole table by its declared
//! length and validating its checksum, and listing the entries of the root
//! table (RSDT with 32-bit or XSDT with 64-bit addresses).
//!
//! Header: signature[4] @0, length u32 @4, revision @8, checksum @9,
//! OEMID[6] @10, OEM table id[8] @16, OEM revision @24, creator id @28,
//! creator revision @32; 36 bytes.

use super::AcpiError;
use crate::bytes::{array_at, checksum_ok, u32_at, u64_at};
use crate::phys::read_exact;
use crate::PhysMem;

/// Length of the common table header.
pub(crate) const HEADER_LEN: usize = 36;
/// Largest table length accepted (a hostile length is refused, not read).
pub(crate) const MAX_TABLE_LEN: usize = 16 << 20;

/// The four-byte signature of a table (`[0; 4]` if too short).
pub(crate) fn signature(table: &[u8]) -> [u8; 4] {
    array_at(table, 0).unwrap_or([0; 4])
}

/// The whole table at `addr` (exactly `length` bytes), after checking that
/// the length is sane and the checksum is right. `what` names it in errors.
pub(crate) fn read_table<'m>(
    mem: &'m impl PhysMem,
    addr: u64,
    what: &'static str,
) -> Result<&'m [u8], AcpiError> {
    let header = read_exact(mem, addr, HEADER_LEN).ok_or(AcpiError::Unreadable { paddr: addr })?;
    let len = u32_at(header, 4)
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(0);
    if !(HEADER_LEN..=MAX_TABLE_LEN).contains(&len) {
        return Err(AcpiError::BadLength { what });
    }
    let table = read_exact(mem, addr, len).ok_or(AcpiError::Unreadable { paddr: addr })?;
    if !checksum_ok(table) {
        return Err(AcpiError::BadChecksum { what });
    }
    Ok(table)
}

/// Reads the root table at `addr` and checks its signature (`RSDT`/`XSDT`).
pub(crate) fn read_root(mem: &impl PhysMem, addr: u64, xsdt: bool) -> Result<&[u8], AcpiError> {
    let (what, sig) = if xsdt {
        ("XSDT", *b"XSDT")
    } else {
        ("RSDT", *b"RSDT")
    };
    if addr == 0 {
        return Err(AcpiError::NoRootTable);
    }
    let table = read_table(mem, addr, what)?;
    if signature(table) != sig {
        return Err(AcpiError::BadSignature { what });
    }
    Ok(table)
}

/// The table addresses listed in a root table (`xsdt`: 8-byte entries,
/// otherwise 4-byte entries); a trailing partial entry is ignored.
pub(crate) fn root_entries(root: &[u8], xsdt: bool) -> impl Iterator<Item = u64> + '_ {
    let width = if xsdt { 8 } else { 4 };
    root.get(HEADER_LEN..)
        .unwrap_or(&[])
        .chunks_exact(width)
        .map(move |e| {
            if xsdt {
                u64_at(e, 0).unwrap_or(0)
            } else {
                u64::from(u32_at(e, 0).unwrap_or(0))
            }
        })
}
