//! Interrupt set-up and device-line dispatch: the 8259s off, the local APIC
//! and its periodic timer on, the I/O APIC routing COM1's line to the
//! console. Lines are named by GSI.

use core::sync::atomic::{AtomicU8, Ordering};

use firmware::acpi::AcpiInfo;

use crate::arch::{self, cpu, ioapic, lapic, pic, IRQ_BASE_VECTOR, TIMER_VECTOR};
use crate::{console, percpu, time};

/// Who handles a GSI.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Handler {
    None = 0,
    Console = 1,
}

const LINES: usize = 24;
static HANDLERS: [AtomicU8; LINES] = [const { AtomicU8::new(Handler::None as u8) }; LINES];

/// What interrupt set-up found, for the banner.
pub struct InterruptSummary {
    pub lapic_mode: &'static str,
    pub lapic_timer_hz: u64,
    pub ioapic: Option<(u64, u32)>,
    pub console_gsi: Option<u32>,
}

/// Runs the handler registered for `gsi` (called from the trap path).
pub fn dispatch(gsi: u32) {
    let h = HANDLERS
        .get(gsi as usize)
        .map_or(0, |h| h.load(Ordering::Relaxed));
    if h == Handler::Console as u8 {
        console::on_irq();
    }
}

/// ISA IRQ -> (GSI, active low, level triggered), after MADT overrides.
fn isa_line(acpi: Option<&AcpiInfo>, irq: u8) -> (u32, bool, bool) {
    let over = acpi
        .and_then(|a| a.madt.as_ref())
        .and_then(|m| m.overrides().iter().find(|o| o.source_irq == irq).copied());
    over.map_or((u32::from(irq), false, false), |o| {
        (o.gsi, o.active_low, o.level_triggered)
    })
}

/// Brings up the interrupt controllers and enables interrupts.
pub fn init(acpi: Option<&AcpiInfo>) -> InterruptSummary {
    let features = cpu::CpuInfo::read().features;
    pic::disable();
    let lapic_mode = lapic::init(features.x2apic, |p| arch::map_mmio(p, 4096).unwrap_or(0));
    percpu::this().apic_id.store(lapic::id(), Ordering::Relaxed);
    let lapic_timer_hz = lapic::calibrate_timer(time::tsc_hz());
    lapic::start_periodic(TIMER_VECTOR, time::TIMER_HZ);

    let mut summary = InterruptSummary {
        lapic_mode,
        lapic_timer_hz,
        ioapic: None,
        console_gsi: None,
    };
    let first_ioapic = acpi
        .and_then(|a| a.madt.as_ref())
        .and_then(|m| m.ioapics().first().copied());
    match first_ioapic {
        Some(io) => match arch::map_mmio(io.addr, 4096) {
            Some(virt) => {
                let lines = ioapic::init(virt, io.gsi_base);
                summary.ioapic = Some((io.addr, lines));
                let (gsi, low, level) = isa_line(acpi, 4);
                if (gsi as usize) < LINES
                    && ioapic::route(gsi, IRQ_BASE_VECTOR + gsi as u8, lapic::id(), low, level)
                {
                    HANDLERS[gsi as usize].store(Handler::Console as u8, Ordering::Relaxed);
                    console::enable_rx_interrupts();
                    summary.console_gsi = Some(gsi);
                }
            }
            None => log::warn!("irq: I/O APIC at {:#x} cannot be mapped", io.addr),
        },
        None => log::warn!("irq: no I/O APIC in the MADT: serial input is unavailable"),
    }
    cpu::enable_interrupts();
    summary
}
