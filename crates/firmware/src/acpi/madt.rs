//! The MADT (signature "APIC"): local APIC address, legacy-PIC flag, I/O
//! APICs, ISA interrupt source overrides and the processors (local APIC and
//! local x2APIC entries).
//!
//! After the header: local APIC address u32 @36, flags u32 @40 (bit 0
//! PCAT_COMPAT), then entries `type u8, length u8, …` from @44. Decoded
//! types: 0 local APIC, 1 I/O APIC, 2 interrupt source override, 5 local APIC
//! address override, 9 local x2APIC. Others are skipped; an entry shorter
//! than its type needs is skipped; a length below 2 ends the walk.

use super::sdt::HEADER_LEN;
use crate::bytes::{u16_at, u32_at, u64_at, u8_at};
use crate::fixed::FixedVec;

/// How many I/O APICs a [`Madt`] keeps.
pub const MAX_IOAPICS: usize = 8;
/// How many interrupt source overrides a [`Madt`] keeps.
pub const MAX_OVERRIDES: usize = 16;
/// How many processors a [`Madt`] keeps.
pub const MAX_CPUS: usize = 64;

const ENTRIES_START: usize = HEADER_LEN + 8;

/// An I/O APIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IoApic {
    /// Its I/O APIC id.
    pub id: u8,
    /// Physical address of its registers.
    pub addr: u64,
    /// The first global system interrupt it handles.
    pub gsi_base: u32,
}

/// An ISA IRQ routed to a different GSI or with non-ISA polarity/trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IrqOverride {
    /// The ISA IRQ number.
    pub source_irq: u8,
    /// The global system interrupt it arrives on.
    pub gsi: u32,
    /// Active low (MPS INTI polarity 3); "bus default" (0) and 1 are ISA
    /// active high, as is the reserved value 2.
    pub active_low: bool,
    /// Level triggered (MPS INTI trigger mode 3); "bus default" (0) and 1
    /// are ISA edge, as is the reserved value 2.
    pub level_triggered: bool,
}

/// A processor's local APIC (from a type 0 or type 9 entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LocalApic {
    /// ACPI processor UID.
    pub uid: u32,
    /// (x2)APIC id.
    pub apic_id: u32,
    /// Flags bit 0: the processor is usable now. (A disabled processor may
    /// still be "online capable"; this crate does not bring those up.)
    pub enabled: bool,
}

/// The decoded MADT.
#[derive(Clone, Debug)]
pub struct Madt {
    /// Local APIC physical address, with the 64-bit override entry (type 5)
    /// applied.
    pub local_apic_addr: u64,
    /// Flags bit 0 (PCAT_COMPAT): dual 8259 PICs are present and must be
    /// masked before using the APICs.
    pub has_8259: bool,
    ioapics: FixedVec<IoApic, MAX_IOAPICS>,
    overrides: FixedVec<IrqOverride, MAX_OVERRIDES>,
    cpus: FixedVec<LocalApic, MAX_CPUS>,
}

impl Madt {
    /// The I/O APICs, in table order.
    pub fn ioapics(&self) -> &[IoApic] {
        self.ioapics.as_slice()
    }

    /// The interrupt source overrides, in table order.
    pub fn overrides(&self) -> &[IrqOverride] {
        self.overrides.as_slice()
    }

    /// The processors (enabled or not), in table order; the boot processor
    /// is normally first.
    pub fn cpus(&self) -> &[LocalApic] {
        self.cpus.as_slice()
    }

    /// Entries that did not fit in the capacities above (I/O APICs,
    /// overrides and processors together).
    pub fn dropped_entries(&self) -> usize {
        self.ioapics.dropped() + self.overrides.dropped() + self.cpus.dropped()
    }

    /// The GSI, polarity and trigger mode of ISA `irq`: its override if the
    /// MADT has one, else the identity mapping, active high, edge triggered.
    pub fn isa_irq(&self, irq: u8) -> IrqOverride {
        self.overrides()
            .iter()
            .find(|o| o.source_irq == irq)
            .copied()
            .unwrap_or(IrqOverride {
                source_irq: irq,
                gsi: u32::from(irq),
                active_low: false,
                level_triggered: false,
            })
    }
}

/// Decodes a whole MADT (header included). `None` if it is too short to hold
/// the local APIC address and flags.
pub(crate) fn parse_madt(table: &[u8]) -> Option<Madt> {
    let mut madt = Madt {
        local_apic_addr: u64::from(u32_at(table, HEADER_LEN)?),
        has_8259: u32_at(table, HEADER_LEN + 4)? & 1 != 0,
        ioapics: FixedVec::new(IoApic {
            id: 0,
            addr: 0,
            gsi_base: 0,
        }),
        overrides: FixedVec::new(IrqOverride {
            source_irq: 0,
            gsi: 0,
            active_low: false,
            level_triggered: false,
        }),
        cpus: FixedVec::new(LocalApic {
            uid: 0,
            apic_id: 0,
            enabled: false,
        }),
    };
    let mut rest = table.get(ENTRIES_START..).unwrap_or(&[]);
    while let (Some(typ), Some(len)) = (u8_at(rest, 0), u8_at(rest, 1)) {
        let len = usize::from(len);
        if len < 2 {
            break;
        }
        let Some(entry) = rest.get(..len) else {
            break;
        };
        decode_entry(&mut madt, typ, entry);
        rest = rest.get(len..).unwrap_or(&[]);
    }
    Some(madt)
}

/// Decodes one entry; entries too short for their type are ignored.
fn decode_entry(madt: &mut Madt, typ: u8, e: &[u8]) {
    match typ {
        0 => {
            if let (Some(uid), Some(id), Some(flags)) = (u8_at(e, 2), u8_at(e, 3), u32_at(e, 4)) {
                madt.cpus.push(LocalApic {
                    uid: u32::from(uid),
                    apic_id: u32::from(id),
                    enabled: flags & 1 != 0,
                });
            }
        }
        1 => {
            if let (Some(id), Some(addr), Some(gsi_base)) =
                (u8_at(e, 2), u32_at(e, 4), u32_at(e, 8))
            {
                madt.ioapics.push(IoApic {
                    id,
                    addr: u64::from(addr),
                    gsi_base,
                });
            }
        }
        2 => {
            if let (Some(source_irq), Some(gsi), Some(flags)) =
                (u8_at(e, 3), u32_at(e, 4), u16_at(e, 8))
            {
                madt.overrides.push(IrqOverride {
                    source_irq,
                    gsi,
                    active_low: flags & 0b11 == 0b11,
                    level_triggered: (flags >> 2) & 0b11 == 0b11,
                });
            }
        }
        5 => {
            if let Some(addr) = u64_at(e, 4) {
                madt.local_apic_addr = addr;
            }
        }
        9 => {
            if let (Some(apic_id), Some(flags), Some(uid)) =
                (u32_at(e, 4), u32_at(e, 8), u32_at(e, 12))
            {
                madt.cpus.push(LocalApic {
                    uid,
                    apic_id,
                    enabled: flags & 1 != 0,
                });
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn madt_with(entries: &[u8]) -> Madt {
        let mut t = [0u8; 44].to_vec();
        t[36..40].copy_from_slice(&0xFEE0_0000u32.to_le_bytes());
        t[40] = 1;
        t.extend_from_slice(entries);
        parse_madt(&t).unwrap()
    }

    #[test]
    fn override_polarity_and_trigger() {
        let mut entries = Vec::new();
        for flags in [0x0000u16, 0x0005, 0x000F, 0x000D, 0x0007] {
            entries.extend_from_slice(&[2, 10, 0, 9]);
            entries.extend_from_slice(&9u32.to_le_bytes());
            entries.extend_from_slice(&flags.to_le_bytes());
        }
        let m = madt_with(&entries);
        let got: Vec<(bool, bool)> = m
            .overrides()
            .iter()
            .map(|o| (o.active_low, o.level_triggered))
            .collect();
        assert_eq!(
            got,
            [
                (false, false),
                (false, false),
                (true, true),
                (false, true),
                (true, false)
            ]
        );
    }

    #[test]
    fn short_entries_are_skipped_and_zero_length_stops() {
        // A type-1 entry of length 4 (too short), then a good local APIC,
        // then a zero-length entry, then a local APIC that must not be seen.
        let entries = [
            1, 4, 0, 0, 0, 8, 0, 1, 1, 0, 0, 0, 0, 0, 0, 8, 1, 2, 1, 0, 0, 0,
        ];
        let m = madt_with(&entries);
        assert!(m.ioapics().is_empty());
        assert_eq!(m.cpus().len(), 1);
        assert_eq!(m.cpus()[0].apic_id, 1);
    }

    #[test]
    fn isa_irq_defaults_to_identity() {
        let m = madt_with(&[]);
        assert!(m.has_8259);
        assert_eq!(m.isa_irq(4).gsi, 4);
        assert!(!m.isa_irq(4).active_low);
    }

    #[test]
    fn too_short_table() {
        assert!(parse_madt(&[0u8; 40]).is_none());
    }
}
