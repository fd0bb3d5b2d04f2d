//! Per-CPU state, reached through the CPU's own base register (GS on
//! x86_64), never through a global "current CPU".

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// One CPU's kernel state. The first field must be the block's own address:
/// the architecture reads it through the base register.
#[repr(C)]
pub struct PerCpu {
    self_ptr: AtomicUsize,
    /// Top of this CPU's trap stack (read by the syscall entry at offset 8).
    kernel_stack_top: AtomicUsize,
    /// Scratch word for the syscall entry (offset 16).
    scratch: AtomicUsize,
    /// Dense CPU index (0 = boot CPU).
    pub index: u32,
    /// Local APIC id.
    pub apic_id: AtomicU32,
    /// Timer interrupts taken on this CPU.
    pub ticks: AtomicU64,
    /// The environment running on this CPU (`NO_ENV` if none).
    pub current_env: AtomicU32,
    /// The environment whose x87/SSE state and FS base are in this CPU's
    /// registers (`NO_ENV` if none): saved into it when another one is
    /// loaded.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub ext_owner: AtomicU32,
}

static BSP: PerCpu = PerCpu {
    self_ptr: AtomicUsize::new(0),
    kernel_stack_top: AtomicUsize::new(0),
    scratch: AtomicUsize::new(0),
    index: 0,
    apic_id: AtomicU32::new(0),
    ticks: AtomicU64::new(0),
    current_env: AtomicU32::new(NO_ENV),
    ext_owner: AtomicU32::new(NO_ENV),
};

/// `current_env` when no environment runs on the CPU.
pub const NO_ENV: u32 = u32::MAX;

impl PerCpu {
    /// Sets the trap-stack top the syscall entry switches to (the scratch
    /// word beside it is the entry's own).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub fn set_kernel_stack_top(&self, top: usize) {
        self.kernel_stack_top.store(top, Ordering::Relaxed);
        self.scratch.store(0, Ordering::Relaxed);
    }
}

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
