//! The I/O APIC: routes legacy and PCI interrupt lines (GSIs) to vectors.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

static BASE: AtomicUsize = AtomicUsize::new(0);
static GSI_BASE: AtomicU32 = AtomicU32::new(0);
static ENTRIES: AtomicU32 = AtomicU32::new(0);

fn write_reg(reg: u32, v: u32) {
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: `base` is the IOAPIC's register window mapped uncached by `init`;
    // IOREGSEL is at +0 and IOWIN at +0x10.
    unsafe {
        core::ptr::write_volatile(base as *mut u32, reg);
        core::ptr::write_volatile((base + 0x10) as *mut u32, v);
    }
}

fn read_reg(reg: u32) -> u32 {
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: as in `write_reg`.
    unsafe {
        core::ptr::write_volatile(base as *mut u32, reg);
        core::ptr::read_volatile((base + 0x10) as *const u32)
    }
}

/// Takes over the IOAPIC mapped at `virt`, masking every line. Returns the line count.
pub fn init(virt: usize, gsi_base: u32) -> u32 {
    BASE.store(virt, Ordering::Relaxed);
    GSI_BASE.store(gsi_base, Ordering::Relaxed);
    let entries = ((read_reg(1) >> 16) & 0xff) + 1;
    ENTRIES.store(entries, Ordering::Relaxed);
    for i in 0..entries {
        write_reg(0x10 + 2 * i, 1 << 16);
        write_reg(0x11 + 2 * i, 0);
    }
    entries
}

/// Routes `gsi` to `vector` on the CPU with APIC id `dest`, unmasked.
/// Returns false if this IOAPIC does not serve `gsi`.
pub fn route(gsi: u32, vector: u8, dest: u32, active_low: bool, level: bool) -> bool {
    let Some(pin) = gsi.checked_sub(GSI_BASE.load(Ordering::Relaxed)) else {
        return false;
    };
    if pin >= ENTRIES.load(Ordering::Relaxed) {
        return false;
    }
    let low = u32::from(vector) | (u32::from(active_low) << 13) | (u32::from(level) << 15);
    write_reg(0x11 + 2 * pin, (dest & 0xff) << 24);
    write_reg(0x10 + 2 * pin, low);
    true
}

/// Masks or unmasks `gsi` (if this IOAPIC serves it).
pub fn set_masked(gsi: u32, masked: bool) {
    let Some(pin) = gsi.checked_sub(GSI_BASE.load(Ordering::Relaxed)) else {
        return;
    };
    if pin >= ENTRIES.load(Ordering::Relaxed) {
        return;
    }
    let low = read_reg(0x10 + 2 * pin);
    write_reg(
        0x10 + 2 * pin,
        if masked {
            low | (1 << 16)
        } else {
            low & !(1 << 16)
        },
    );
}

/// Number of lines (0 before `init`).
pub fn lines() -> u32 {
    ENTRIES.load(Ordering::Relaxed)
}
