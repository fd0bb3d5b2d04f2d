//! The FADT (signature "FACP"): SCI interrupt, SMI command port, PM1 control
//! blocks, PM timer, DSDT address, reset register, RTC century index and the
//! IA-PC boot architecture flags.
//!
//! Offsets used: DSDT u32 @40, SCI_INT u16 @46, SMI_CMD u32 @48,
//! ACPI_ENABLE @52, PM1a_CNT_BLK u32 @64, PM1b_CNT_BLK u32 @68, PM_TMR_BLK
//! u32 @76, CENTURY @108, IAPC_BOOT_ARCH u16 @109, Flags u32 @112,
//! RESET_REG (GAS) @116, RESET_VALUE @128, X_DSDT u64 @140,
//! X_PM1a_CNT_BLK @172, X_PM1b_CNT_BLK @184, X_PM_TMR_BLK @208.
//! Fields past the table's length (older revisions) read as zero.

use crate::bytes::{u16_at, u32_at, u64_at, u8_at};

/// FADT flags bit 10: the reset register is supported.
const RESET_REG_SUP: u32 = 1 << 10;
/// Address space id of system I/O in a generic address.
const SPACE_SYSTEM_IO: u8 = 1;
/// The FADT must at least reach the end of the DSDT field.
const MIN_LEN: usize = 44;

/// An ACPI Generic Address Structure (12 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GenericAddress {
    /// Address space: 0 system memory, 1 system I/O, 2 PCI config, …
    pub space: u8,
    /// Register width in bits.
    pub bit_width: u8,
    /// Bit offset of the register.
    pub bit_offset: u8,
    /// Access size: 0 undefined, 1 byte, 2 word, 3 dword, 4 qword.
    pub access_size: u8,
    /// The address in that space.
    pub address: u64,
}

impl GenericAddress {
    /// Decodes the 12 bytes at `off`.
    fn at(b: &[u8], off: usize) -> Option<Self> {
        Some(Self {
            space: u8_at(b, off)?,
            bit_width: u8_at(b, off + 1)?,
            bit_offset: u8_at(b, off + 2)?,
            access_size: u8_at(b, off + 3)?,
            address: u64_at(b, off + 4)?,
        })
    }
}

/// The decoded FADT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fadt {
    /// The SCI interrupt (an ISA IRQ number, subject to MADT overrides).
    pub sci_irq: u16,
    /// SMI command port; 0 when the platform is hardware-reduced or ACPI is
    /// always enabled.
    pub smi_cmd: u32,
    /// Value to write to `smi_cmd` to enable ACPI mode.
    pub acpi_enable: u8,
    /// PM1a control block I/O port (from X_PM1a_CNT_BLK when the legacy
    /// field is zero and the extended one is a 32-bit I/O port).
    pub pm1a_cnt: u32,
    /// PM1b control block I/O port; 0 if none.
    pub pm1b_cnt: u32,
    /// PM timer I/O port; 0 if none.
    pub pm_tmr_blk: u32,
    /// Physical address of the DSDT: X_DSDT if present and non-zero, else DSDT.
    pub dsdt: u64,
    /// The reset register and the value to write to it, when flags bit 10
    /// (RESET_REG_SUP) is set and the table is long enough to hold them.
    pub reset: Option<(GenericAddress, u8)>,
    /// CMOS index of the RTC century register; 0 if none.
    pub century: u8,
    /// IA-PC boot architecture flags (bit 0 legacy devices, bit 1 8042,
    /// bit 2 VGA not present, bit 3 MSI not supported, …); 0 before ACPI 2.
    pub iapc_boot_arch: u16,
    /// The FADT flags word.
    pub flags: u32,
}

/// A legacy 32-bit I/O port field, or the extended GAS at `x_off` when the
/// legacy one is zero and the GAS is a system I/O port that fits 32 bits.
fn io_port(t: &[u8], legacy_off: usize, x_off: usize) -> u32 {
    let legacy = u32_at(t, legacy_off).unwrap_or(0);
    if legacy != 0 {
        return legacy;
    }
    GenericAddress::at(t, x_off)
        .filter(|g| g.space == SPACE_SYSTEM_IO)
        .and_then(|g| u32::try_from(g.address).ok())
        .unwrap_or(0)
}

/// Decodes a whole FADT (header included); `None` if it is too short to hold
/// the DSDT address.
pub(crate) fn parse_fadt(t: &[u8]) -> Option<Fadt> {
    if t.len() < MIN_LEN {
        return None;
    }
    let flags = u32_at(t, 112).unwrap_or(0);
    let x_dsdt = u64_at(t, 140).unwrap_or(0);
    let dsdt = if x_dsdt != 0 {
        x_dsdt
    } else {
        u64::from(u32_at(t, 40).unwrap_or(0))
    };
    let reset = if flags & RESET_REG_SUP != 0 {
        GenericAddress::at(t, 116).zip(u8_at(t, 128))
    } else {
        None
    };
    Some(Fadt {
        sci_irq: u16_at(t, 46).unwrap_or(0),
        smi_cmd: u32_at(t, 48).unwrap_or(0),
        acpi_enable: u8_at(t, 52).unwrap_or(0),
        pm1a_cnt: io_port(t, 64, 172),
        pm1b_cnt: io_port(t, 68, 184),
        pm_tmr_blk: io_port(t, 76, 208),
        dsdt,
        reset,
        century: u8_at(t, 108).unwrap_or(0),
        iapc_boot_arch: u16_at(t, 109).unwrap_or(0),
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acpi1_fadt_has_no_extended_fields() {
        let mut t = vec![0u8; 116];
        t[40..44].copy_from_slice(&0x1234u32.to_le_bytes());
        t[46] = 9;
        t[64..68].copy_from_slice(&0x604u32.to_le_bytes());
        let f = parse_fadt(&t).unwrap();
        assert_eq!(f.dsdt, 0x1234);
        assert_eq!(f.sci_irq, 9);
        assert_eq!(f.pm1a_cnt, 0x604);
        assert_eq!(f.reset, None);
    }

    #[test]
    fn extended_pm1a_used_when_legacy_is_zero() {
        let mut t = vec![0u8; 244];
        t[172] = SPACE_SYSTEM_IO;
        t[176..184].copy_from_slice(&0xB004u64.to_le_bytes());
        t[208] = 0; // memory space: not an I/O port
        t[212..220].copy_from_slice(&0xFED0_0000u64.to_le_bytes());
        let f = parse_fadt(&t).unwrap();
        assert_eq!(f.pm1a_cnt, 0xB004);
        assert_eq!(f.pm_tmr_blk, 0);
    }

    #[test]
    fn reset_needs_the_flag() {
        let mut t = vec![0u8; 129];
        t[116] = SPACE_SYSTEM_IO;
        t[120..128].copy_from_slice(&0xCF9u64.to_le_bytes());
        t[128] = 6;
        assert_eq!(parse_fadt(&t).unwrap().reset, None);
        t[113] = 0x04; // flags bit 10
        let (gas, value) = parse_fadt(&t).unwrap().reset.unwrap();
        assert_eq!((gas.space, gas.address, value), (1, 0xCF9, 6));
    }

    #[test]
    fn too_short() {
        assert!(parse_fadt(&[0u8; 43]).is_none());
    }
}
