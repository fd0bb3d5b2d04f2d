//! The architecture seam. Everything architecture-specific lives below this
//! directory: `x86/` holds the PC platform shared by both x86 kernels (port
//! I/O, CPUID/MSRs, PIT, PIC, local APIC, I/O APIC); `x86_64/` and `i386/`
//! hold boot entry, descriptor tables, trap entry and page tables. The rest
//! of the kernel uses only what this module re-exports.

use core::ops::Range;

#[path = "x86/mod.rs"]
mod x86;
pub use x86::{cpu, io, ioapic, lapic, pic, pit, IRQ_BASE_VECTOR, TIMER_VECTOR};

#[cfg(target_arch = "x86_64")]
#[path = "x86_64/mod.rs"]
mod imp;
#[cfg(target_arch = "x86")]
#[path = "i386/mod.rs"]
mod imp;

pub use imp::*;

/// Bounds of the running kernel image (virtual unless named `_phys`).
pub struct ImageLayout {
    pub boot_phys: Range<u64>,
    pub kernel: Range<u64>,
    pub kernel_phys: Range<u64>,
    pub text: Range<u64>,
    pub rodata: Range<u64>,
    pub data: Range<u64>,
    pub ksyms: Range<u64>,
    pub boot_stack: Range<u64>,
    pub boot_stack_guard: u64,
}

/// What building the kernel page tables produced.
pub struct PagingSummary {
    pub direct_map_bytes: u64,
    pub page_tables: usize,
    pub nx: bool,
}
