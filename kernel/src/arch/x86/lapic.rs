//! The local APIC: x2APIC through MSRs when the CPU has it, otherwise the
//! memory-mapped xAPIC. Owns end-of-interrupt, the APIC id and the timer.

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::cpu::{rdmsr, rdtsc, wrmsr};

const IA32_APIC_BASE: u32 = 0x1b;
const REG_ID: u32 = 0x20;
const REG_TPR: u32 = 0x80;
const REG_EOI: u32 = 0xb0;
const REG_SVR: u32 = 0xf0;
const REG_LVT_TIMER: u32 = 0x320;
const REG_TIMER_INIT: u32 = 0x380;
const REG_TIMER_CUR: u32 = 0x390;
const REG_TIMER_DIV: u32 = 0x3e0;

static X2APIC: AtomicBool = AtomicBool::new(false);
static MMIO: AtomicUsize = AtomicUsize::new(0);
/// LAPIC timer ticks per second (after the divider).
static TIMER_HZ: AtomicUsize = AtomicUsize::new(0);

fn read(reg: u32) -> u32 {
    if X2APIC.load(Ordering::Relaxed) {
        rdmsr(0x800 + (reg >> 4)) as u32
    } else {
        let addr = MMIO.load(Ordering::Relaxed) + reg as usize;
        // SAFETY: `addr` lies in the xAPIC page mapped uncached by `init`.
        unsafe { core::ptr::read_volatile(addr as *const u32) }
    }
}

fn write(reg: u32, v: u32) {
    if X2APIC.load(Ordering::Relaxed) {
        wrmsr(0x800 + (reg >> 4), u64::from(v));
    } else {
        let addr = MMIO.load(Ordering::Relaxed) + reg as usize;
        // SAFETY: as in `read`.
        unsafe { core::ptr::write_volatile(addr as *mut u32, v) };
    }
}

/// Enables this CPU's local APIC. `map` maps the xAPIC page when needed.
pub fn init(use_x2apic: bool, map: impl FnOnce(u64) -> usize) -> &'static str {
    let base = rdmsr(IA32_APIC_BASE);
    if use_x2apic {
        wrmsr(IA32_APIC_BASE, base | (1 << 11) | (1 << 10));
        X2APIC.store(true, Ordering::Relaxed);
    } else {
        wrmsr(IA32_APIC_BASE, base | (1 << 11));
        let phys = base & 0x000f_ffff_ffff_f000;
        MMIO.store(map(phys), Ordering::Relaxed);
    }
    write(REG_TPR, 0);
    write(REG_SVR, 0x100 | u32::from(super::SPURIOUS_VECTOR));
    if use_x2apic {
        "x2apic"
    } else {
        "xapic"
    }
}

/// This CPU's APIC id.
pub fn id() -> u32 {
    if X2APIC.load(Ordering::Relaxed) {
        read(REG_ID)
    } else {
        read(REG_ID) >> 24
    }
}

/// Signals end of interrupt.
pub fn eoi() {
    write(REG_EOI, 0);
}

/// Measures the timer rate against the calibrated TSC and returns it in Hz.
pub fn calibrate_timer(tsc_hz: u64) -> u64 {
    write(REG_TIMER_DIV, 0x3); // divide by 16
    write(REG_LVT_TIMER, 1 << 16); // masked, one-shot
    write(REG_TIMER_INIT, u32::MAX);
    let window = tsc_hz / 100; // 10 ms
    let t0 = rdtsc();
    while rdtsc().wrapping_sub(t0) < window {
        core::hint::spin_loop();
    }
    let elapsed = u32::MAX - read(REG_TIMER_CUR);
    write(REG_TIMER_INIT, 0);
    let hz = u64::from(elapsed) * 100;
    TIMER_HZ.store(hz as usize, Ordering::Relaxed);
    hz
}

/// Starts the periodic timer interrupt at `hz` on `vector`.
pub fn start_periodic(vector: u8, hz: u32) {
    let rate = TIMER_HZ.load(Ordering::Relaxed) as u64;
    let count = (rate / u64::from(hz.max(1))).clamp(1, u64::from(u32::MAX)) as u32;
    write(REG_TIMER_DIV, 0x3);
    write(REG_LVT_TIMER, u32::from(vector) | (1 << 17));
    write(REG_TIMER_INIT, count);
}
