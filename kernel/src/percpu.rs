//! Per-CPU state, reached through the CPU's own base register (GS on
//! x86_64), never through a global "current CPU".

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// One CPU's kernel state. The first field must be the block's own address:
/// the architecture reads it through the base register.
#[repr(C)]
pub struct PerCpu {
    self_ptr: AtomicUsize,
    /// Dense CPU index (0 = boot CPU).
    pub index: u32,
    /// Local APIC id.
    pub apic_id: AtomicU32,
    /// Timer interrupts taken on this CPU.
    pub ticks: AtomicU64,
}

static BSP: PerCpu = PerCpu {
    self_ptr: AtomicUsize::new(0),
    index: 0,
    apic_id: AtomicU32::new(0),
    ticks: AtomicU64::new(0),
};

/// The boot CPU's block, with its self pointer filled in.
pub fn bsp() -> &'static PerCpu {
    BSP.self_ptr
        .store(&BSP as *const PerCpu as usize, Ordering::Relaxed);
    &BSP
}

/// The calling CPU's block.
pub fn this() -> &'static PerCpu {
    crate::arch::this_cpu()
}
