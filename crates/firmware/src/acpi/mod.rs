//! ACPI discovery: from an RSDP (given or found by scanning) through the
//! XSDT/RSDT to the MADT, the FADT and the `\_S5_` sleep type in the DSDT,
//! collected in one [`AcpiInfo`].
//!
//! Every table's checksum is validated; a table that is unreadable, has an
//! impossible length or a bad checksum is skipped and counted in
//! [`AcpiInfo::bad_tables`]. Only a bad RSDP or root table is an error.

mod error;
mod fadt;
mod madt;
mod rsdp;
mod s5;
mod sdt;

pub use error::AcpiError;
pub use fadt::{Fadt, GenericAddress};
pub use madt::{IoApic, IrqOverride, LocalApic, Madt, MAX_CPUS, MAX_IOAPICS, MAX_OVERRIDES};
pub use rsdp::find_rsdp;
pub use s5::{find_s5, SleepType};

use crate::fixed::FixedVec;
use crate::PhysMem;
use sdt::{read_root, read_table, root_entries, signature, HEADER_LEN};

/// How many table references an [`AcpiInfo`] keeps.
pub const MAX_TABLES: usize = 64;

/// A valid table listed by the root table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableRef {
    /// Its signature, e.g. `*b"HPET"`.
    pub signature: [u8; 4],
    /// Physical address of its header.
    pub addr: u64,
    /// Its length in bytes (header included).
    pub len: u32,
}

/// What ACPI discovery found.
#[derive(Clone, Debug)]
pub struct AcpiInfo {
    /// Physical address of the RSDP used.
    pub rsdp_addr: u64,
    /// The RSDP revision (0 for ACPI 1.0, 2 and up for XSDT-capable).
    pub revision: u8,
    /// The RSDP's OEM id.
    pub oem: [u8; 6],
    /// The first valid MADT ("APIC").
    pub madt: Option<Madt>,
    /// The first valid FADT ("FACP").
    pub fadt: Option<Fadt>,
    /// `\_S5_` from the DSDT (or, failing that, from an SSDT).
    pub s5: Option<SleepType>,
    /// Valid tables listed by the root table (may exceed [`MAX_TABLES`]).
    pub table_count: usize,
    /// Tables skipped: unreadable, impossible length or bad checksum
    /// (root-table entries and the DSDT).
    pub bad_tables: usize,
    /// True when the XSDT was used, false for the RSDT.
    pub used_xsdt: bool,
    tables: FixedVec<TableRef, MAX_TABLES>,
}

impl AcpiInfo {
    /// The valid tables the root table lists, in its order (at most
    /// [`MAX_TABLES`]). The DSDT is not among them: see [`Fadt::dsdt`].
    pub fn tables(&self) -> &[TableRef] {
        self.tables.as_slice()
    }

    /// The first listed valid table with signature `sig`.
    pub fn find_table(&self, sig: &[u8; 4]) -> Option<TableRef> {
        self.tables().iter().find(|t| &t.signature == sig).copied()
    }
}

/// Walks the ACPI tables from the RSDP at `rsdp_addr`, or, when `None`, from
/// the one [`find_rsdp`] finds (BIOS area scan).
///
/// The XSDT is used when the RSDP revision is >= 2 and it has a non-zero
/// XSDT address; if that XSDT is invalid, the RSDT is tried.
pub fn discover(mem: &impl PhysMem, rsdp_addr: Option<u64>) -> Result<AcpiInfo, AcpiError> {
    let rsdp_addr = match rsdp_addr {
        Some(a) => a,
        None => find_rsdp(mem, None).ok_or(AcpiError::NoRsdp)?,
    };
    let rsdp = rsdp::parse_rsdp(mem, rsdp_addr)?;

    let (root, used_xsdt) = if rsdp.revision >= 2 && rsdp.xsdt != 0 {
        match read_root(mem, rsdp.xsdt, true) {
            Ok(t) => (t, true),
            Err(e) if rsdp.rsdt == 0 => return Err(e),
            Err(_) => (read_root(mem, u64::from(rsdp.rsdt), false)?, false),
        }
    } else {
        (read_root(mem, u64::from(rsdp.rsdt), false)?, false)
    };

    let mut info = AcpiInfo {
        rsdp_addr,
        revision: rsdp.revision,
        oem: rsdp.oem,
        madt: None,
        fadt: None,
        s5: None,
        table_count: 0,
        bad_tables: 0,
        used_xsdt,
        tables: FixedVec::new(TableRef {
            signature: [0; 4],
            addr: 0,
            len: 0,
        }),
    };

    let mut ssdt_s5 = None;
    for addr in root_entries(root, used_xsdt) {
        let Ok(table) = read_table(mem, addr, "table") else {
            info.bad_tables += 1;
            continue;
        };
        let sig = signature(table);
        info.table_count += 1;
        info.tables.push(TableRef {
            signature: sig,
            addr,
            len: u32::try_from(table.len()).unwrap_or(u32::MAX),
        });
        match &sig {
            b"APIC" if info.madt.is_none() => info.madt = madt::parse_madt(table),
            b"FACP" if info.fadt.is_none() => info.fadt = fadt::parse_fadt(table),
            b"SSDT" if ssdt_s5.is_none() => ssdt_s5 = find_s5(aml(table)),
            _ => {}
        }
    }

    if let Some(dsdt) = info.fadt.map(|f| f.dsdt).filter(|&a| a != 0) {
        match read_table(mem, dsdt, "DSDT") {
            Ok(t) if signature(t) == *b"DSDT" => info.s5 = find_s5(aml(t)),
            _ => info.bad_tables += 1,
        }
    }
    info.s5 = info.s5.or(ssdt_s5);
    Ok(info)
}

/// The AML after a definition block's header.
fn aml(table: &[u8]) -> &[u8] {
    table.get(HEADER_LEN..).unwrap_or(&[])
}
