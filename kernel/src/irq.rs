//! Interrupt set-up and device-line dispatch: the 8259s off, the local APIC
//! and its periodic timer on, the I/O APIC routing COM1's line to the
//! console. Lines are named by GSI. User space may bind any line to a
//! notification (`object::irq_line` keeps the bindings; this file only
//! routes and masks lines), the console's too: while the console's line is
//! lent out the kernel takes no serial input (user space reads the UART
//! itself); when it is back, input is the kernel's again.

use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use spin::Mutex;

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

/// The ISA overrides from the MADT: (source IRQ, GSI, active low, level).
/// A leaf lock (the kernel's lock order is in `object/mod.rs`).
static OVERRIDES: Mutex<[(u8, u32, bool, bool); 16]> = Mutex::new([(0xff, 0, false, false); 16]);
/// The console's line (`u32::MAX` if none).
static CONSOLE_GSI: AtomicU32 = AtomicU32::new(u32::MAX);

/// Runs the kernel's own handler for `gsi` (called from the trap path);
/// false if the kernel does not handle the line (it may be lent to user
/// space, see `object::irq_line`).
pub fn dispatch(gsi: u32) -> bool {
    let h = HANDLERS
        .get(gsi as usize)
        .map_or(0, |h| h.load(Ordering::Relaxed));
    if h == Handler::Console as u8 {
        console::on_irq();
        return true;
    }
    false
}

/// The device-register pages the kernel itself uses (I/O APIC, local APIC).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn kernel_mmio() -> [u64; 2] {
    [
        IOAPIC_ADDR.load(Ordering::Relaxed) & !0xfff,
        crate::arch::cpu::rdmsr(0x1b) & 0x000f_ffff_ffff_f000,
    ]
}

static IOAPIC_ADDR: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0xfec0_0000);

/// The lines user space may have: every I/O APIC line, the console's
/// included (binding it hands serial input to user space).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn user_lines() -> impl Iterator<Item = u32> {
    0..ioapic::lines().min(LINES as u32)
}

/// The console's line, if it has one.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn console_gsi() -> Option<u32> {
    Some(CONSOLE_GSI.load(Ordering::Relaxed)).filter(|g| *g != u32::MAX)
}

/// Polarity and trigger of `gsi`: ISA lines per the MADT overrides (edge,
/// active high by default), others level-triggered active low (PCI).
fn line_mode(gsi: u32) -> (bool, bool) {
    let over = OVERRIDES.lock();
    if let Some(o) = over.iter().find(|o| o.0 != 0xff && o.1 == gsi) {
        return (o.2, o.3);
    }
    if gsi < 16 {
        (false, false)
    } else {
        (true, true)
    }
}

/// The number of lines user space may be lent (GSIs `0..LINES`).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub const USER_LINES: usize = LINES;

/// Whether `gsi` is level-triggered; `None` if it cannot be lent.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn line_level(gsi: u32) -> Option<bool> {
    ((gsi as usize) < LINES).then(|| line_mode(gsi).1)
}

/// Lends `gsi` to user space: routed to the boot CPU (the console's line
/// stops feeding the kernel's input). False if it cannot be routed.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn lend(gsi: u32) -> bool {
    let (low, level) = line_mode(gsi);
    if gsi == CONSOLE_GSI.load(Ordering::Relaxed) {
        // Serial input is user space's now; the kernel keeps writing.
        HANDLERS[gsi as usize].store(Handler::None as u8, Ordering::Relaxed);
    }
    ioapic::route(gsi, IRQ_BASE_VECTOR + gsi as u8, lapic::id(), low, level)
}

/// Takes a lent line back: masked, or for the console's line, back to
/// the kernel's own input handler.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn reclaim(gsi: u32) {
    if gsi == CONSOLE_GSI.load(Ordering::Relaxed) {
        HANDLERS[gsi as usize].store(Handler::Console as u8, Ordering::Relaxed);
        let (low, level) = line_mode(gsi);
        ioapic::route(gsi, IRQ_BASE_VECTOR + gsi as u8, lapic::id(), low, level);
        console::enable_rx_interrupts();
        console::on_irq();
    } else {
        ioapic::set_masked(gsi, true);
    }
}

/// Masks or unmasks a lent line.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn set_masked(gsi: u32, masked: bool) {
    ioapic::set_masked(gsi, masked);
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
    if let Some(m) = acpi.and_then(|a| a.madt.as_ref()) {
        let mut over = OVERRIDES.lock();
        for (slot, o) in over.iter_mut().zip(m.overrides()) {
            *slot = (o.source_irq, o.gsi, o.active_low, o.level_triggered);
        }
    }
    let first_ioapic = acpi
        .and_then(|a| a.madt.as_ref())
        .and_then(|m| m.ioapics().first().copied());
    match first_ioapic {
        Some(io) => match arch::map_mmio(io.addr, 4096) {
            Some(virt) => {
                let lines = ioapic::init(virt, io.gsi_base);
                IOAPIC_ADDR.store(io.addr, Ordering::Relaxed);
                summary.ioapic = Some((io.addr, lines));
                let (gsi, low, level) = isa_line(acpi, 4);
                if (gsi as usize) < LINES
                    && ioapic::route(gsi, IRQ_BASE_VECTOR + gsi as u8, lapic::id(), low, level)
                {
                    HANDLERS[gsi as usize].store(Handler::Console as u8, Ordering::Relaxed);
                    CONSOLE_GSI.store(gsi, Ordering::Relaxed);
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
