//! Time: the TSC calibrated against the PIT at boot, microseconds since the
//! kernel's first instruction, and the periodic timer tick.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::{cpu, pit};
use crate::percpu;

/// Periodic timer rate.
pub const TIMER_HZ: u32 = 100;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);

/// Records the TSC value taken at the kernel's first instruction.
pub fn set_boot_tsc(tsc: u64) {
    BOOT_TSC.store(tsc, Ordering::Relaxed);
}

/// The TSC at the kernel's first instruction.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn boot_tsc() -> u64 {
    BOOT_TSC.load(Ordering::Relaxed)
}

/// Calibrates the TSC against the PIT.
pub fn calibrate() {
    let hz = pit::tsc_hz();
    TSC_HZ.store(hz.max(1), Ordering::Relaxed);
    log::debug!("tsc: {} kHz", hz / 1000);
}

/// TSC ticks per second (0 before calibration).
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// Converts a TSC delta to microseconds.
pub fn tsc_to_us(delta: u64) -> u64 {
    let hz = tsc_hz();
    if hz == 0 {
        return 0;
    }
    (u128::from(delta) * 1_000_000 / u128::from(hz)) as u64
}

/// Microseconds since the kernel's first instruction.
pub fn now_us() -> u64 {
    tsc_to_us(cpu::rdtsc().wrapping_sub(BOOT_TSC.load(Ordering::Relaxed)))
}

/// The timer interrupt.
pub fn on_tick() {
    percpu::this().ticks.fetch_add(1, Ordering::Relaxed);
}

/// Timer interrupts taken on this CPU so far.
pub fn ticks() -> u64 {
    percpu::this().ticks.load(Ordering::Relaxed)
}
