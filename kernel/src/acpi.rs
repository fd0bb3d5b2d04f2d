//! ACPI: finds the tables the firmware left (through `firmware::acpi`) and
//! keeps what the kernel needs at run time: the interrupt controllers and
//! the S5 (soft-off) registers.

use firmware::acpi::{self, AcpiInfo};
use spin::Once;

use crate::arch::io;
use crate::boot::DirectMap;

struct SoftOff {
    pm1a_cnt: u16,
    pm1b_cnt: u16,
    slp_typ_a: u16,
    slp_typ_b: u16,
    smi_cmd: u16,
    acpi_enable: u8,
}

static SOFT_OFF: Once<SoftOff> = Once::new();

/// Reads the ACPI tables, starting from the loader's RSDP if it gave one.
pub fn init(rsdp: Option<u64>) -> Option<AcpiInfo> {
    match acpi::discover(&DirectMap, rsdp) {
        Ok(info) => {
            if let (Some(fadt), Some(s5)) = (info.fadt.as_ref(), info.s5.as_ref()) {
                SOFT_OFF.call_once(|| SoftOff {
                    pm1a_cnt: fadt.pm1a_cnt as u16,
                    pm1b_cnt: fadt.pm1b_cnt as u16,
                    slp_typ_a: s5.slp_typ_a,
                    slp_typ_b: s5.slp_typ_b,
                    smi_cmd: fadt.smi_cmd as u16,
                    acpi_enable: fadt.acpi_enable,
                });
            } else {
                log::warn!(
                    "acpi: no FADT or \\_S5 object: power-off falls back to the debug-exit port"
                );
            }
            Some(info)
        }
        Err(e) => {
            log::warn!("acpi: {e}");
            None
        }
    }
}

/// Enters S5 (soft-off) if ACPI told us how. Returns if it did not work.
pub fn soft_off() {
    let Some(s) = SOFT_OFF.get() else { return };
    if s.pm1a_cnt == 0 {
        return;
    }
    const SCI_EN: u16 = 1;
    const SLP_EN: u16 = 1 << 13;
    if io::inw(s.pm1a_cnt) & SCI_EN == 0 && s.smi_cmd != 0 && s.acpi_enable != 0 {
        io::outb(s.smi_cmd, s.acpi_enable);
        for _ in 0..1_000_000 {
            if io::inw(s.pm1a_cnt) & SCI_EN != 0 {
                break;
            }
        }
    }
    io::outw(s.pm1a_cnt, (s.slp_typ_a << 10) | SLP_EN);
    if s.pm1b_cnt != 0 {
        io::outw(s.pm1b_cnt, (s.slp_typ_b << 10) | SLP_EN);
    }
    for _ in 0..1_000_000 {
        core::hint::spin_loop();
    }
}
