//! The Root System Description Pointer: validating one at an address and
//! scanning the EBDA and the BIOS read-only area for one.
//!
//! Layout: "RSD PTR " @0, checksum @8 (over bytes 0..20), OEMID[6] @9,
//! revision @15, RSDT address u32 @16; revision >= 2 adds length u32 @20,
//! XSDT address u64 @24 and an extended checksum @32 over `length` bytes.

use super::AcpiError;
use crate::bytes::{array_at, checksum_ok, u32_at, u64_at, u8_at};
use crate::phys::{read_exact, read_u16};
use crate::PhysMem;

const SIGNATURE: &[u8] = b"RSD PTR ";
const V1_LEN: usize = 20;
const V2_LEN: usize = 36;
/// Upper bound accepted for the revision-2 `length` field.
const MAX_LEN: usize = 4096;
/// The BIOS data area word holding the EBDA's real-mode segment.
const EBDA_SEGMENT_PTR: u64 = 0x40E;
const EBDA_SCAN_LEN: u64 = 1024;
const BIOS_AREA: (u64, u64) = (0xE_0000, 0x10_0000);

/// A validated RSDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rsdp {
    pub revision: u8,
    pub oem: [u8; 6],
    pub rsdt: u32,
    /// Only for revision >= 2; may be zero.
    pub xsdt: u64,
}

/// Validates the RSDP at `addr`: signature, checksum, and for revision >= 2
/// the length and extended checksum.
pub(crate) fn parse_rsdp(mem: &impl PhysMem, addr: u64) -> Result<Rsdp, AcpiError> {
    let v1 = read_exact(mem, addr, V1_LEN).ok_or(AcpiError::Unreadable { paddr: addr })?;
    if !v1.starts_with(SIGNATURE) {
        return Err(AcpiError::BadSignature { what: "RSDP" });
    }
    if !checksum_ok(v1) {
        return Err(AcpiError::BadChecksum { what: "RSDP" });
    }
    let mut rsdp = Rsdp {
        revision: u8_at(v1, 15).unwrap_or(0),
        oem: array_at(v1, 9).unwrap_or([0; 6]),
        rsdt: u32_at(v1, 16).unwrap_or(0),
        xsdt: 0,
    };
    if rsdp.revision >= 2 {
        let v2 = read_exact(mem, addr, V2_LEN).ok_or(AcpiError::Unreadable { paddr: addr })?;
        let len = u32_at(v2, 20)
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(0);
        if !(V2_LEN..=MAX_LEN).contains(&len) {
            return Err(AcpiError::BadLength { what: "RSDP" });
        }
        let full = read_exact(mem, addr, len).ok_or(AcpiError::Unreadable { paddr: addr })?;
        if !checksum_ok(full) {
            return Err(AcpiError::BadChecksum {
                what: "RSDP (extended)",
            });
        }
        rsdp.xsdt = u64_at(v2, 24).unwrap_or(0);
    }
    Ok(rsdp)
}

/// Finds a valid RSDP the legacy-BIOS way: the first KiB of the EBDA, then
/// `0xE0000..0x100000`, on 16-byte boundaries.
///
/// `ebda_hint` is the EBDA's physical address if the kernel already knows it;
/// otherwise the real-mode segment in the BIOS data area word at `0x40E` is
/// used (an EBDA at 0 is ignored). Returns the RSDP's physical address.
pub fn find_rsdp(mem: &impl PhysMem, ebda_hint: Option<u64>) -> Option<u64> {
    let ebda = ebda_hint
        .or_else(|| read_u16(mem, EBDA_SEGMENT_PTR).map(|seg| u64::from(seg) << 4))
        .filter(|&a| a != 0);
    if let Some(found) = ebda.and_then(|base| scan(mem, base, base.saturating_add(EBDA_SCAN_LEN))) {
        return Some(found);
    }
    scan(mem, BIOS_AREA.0, BIOS_AREA.1)
}

/// The first valid RSDP at a 16-byte boundary in `start..end`.
fn scan(mem: &impl PhysMem, start: u64, end: u64) -> Option<u64> {
    let mut addr = start.checked_add(15)? & !15;
    while addr < end {
        let sig_matches = read_exact(mem, addr, SIGNATURE.len()) == Some(SIGNATURE);
        if sig_matches && parse_rsdp(mem, addr).is_ok() {
            return Some(addr);
        }
        addr = addr.checked_add(16)?;
    }
    None
}
