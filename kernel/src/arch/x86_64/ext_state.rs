//! A thread's CPU state beyond its general registers: the x87/SSE state
//! (the 512-byte `fxsave64` image) and the FS base (`IA32_FS_BASE`, the
//! thread-local-storage pointer of user code).
//!
//! The kernel is soft-float and never uses FS, so both stay in the CPU
//! while the kernel runs: a trap neither saves nor disturbs them. They are
//! saved into the outgoing thread's [`ExtState`] and loaded from the
//! incoming one only when the CPU switches threads (`env::sched::load`).
//! A new thread starts with [`ExtState::new`]: the x87 and SSE state of
//! `fninit` (control word 0x37f, MXCSR 0x1f80, every register zero) and
//! FS base 0.

use alloc::boxed::Box;

use crate::arch::x86::cpu;
use crate::arch::x86::msr::FS_BASE as FS_BASE_MSR;
/// Offsets in the FXSAVE image.
const FCW_AT: usize = 0;
const MXCSR_AT: usize = 24;
/// The x87 control word after `fninit`: every exception masked, 64-bit
/// precision, round to nearest.
pub const INITIAL_FCW: u16 = 0x37f;
/// MXCSR after reset: every SSE exception masked, round to nearest.
pub const INITIAL_MXCSR: u32 = 0x1f80;

/// The FXSAVE image: 512 bytes, 16-byte aligned as the instruction needs.
#[repr(C, align(16))]
struct FxArea([u8; 512]);

/// One thread's saved x87/SSE state and FS base.
pub struct ExtState {
    fx: Box<FxArea>,
    fs_base: u64,
}

impl Default for ExtState {
    fn default() -> Self {
        Self::new()
    }
}

impl ExtState {
    /// The state a new thread starts with (see the module docs).
    pub fn new() -> ExtState {
        let mut fx = Box::new(FxArea([0; 512]));
        fx.0[FCW_AT..FCW_AT + 2].copy_from_slice(&INITIAL_FCW.to_le_bytes());
        fx.0[MXCSR_AT..MXCSR_AT + 4].copy_from_slice(&INITIAL_MXCSR.to_le_bytes());
        ExtState { fx, fs_base: 0 }
    }

    /// Saves the CPU's x87/SSE state and FS base into `self` (the thread
    /// leaving the CPU).
    pub fn save(&mut self) {
        let area = self.fx.0.as_mut_ptr();
        // SAFETY: `area` points at 512 writable bytes, 16-byte aligned
        // (`FxArea`'s alignment); FXSAVE64 writes exactly those. CR4.OSFXSR
        // is set at boot (`enable_sse`), so the instruction is defined.
        unsafe {
            core::arch::asm!("fxsave64 [{}]", in(reg) area, options(nostack, preserves_flags));
        }
        self.fs_base = cpu::rdmsr(FS_BASE_MSR);
    }

    /// Loads `self` into the CPU (the thread coming onto it).
    pub fn load(&self) {
        let area = self.fx.0.as_ptr();
        // `area` points at 512 readable, 16-byte aligned bytes that hold
        // either the clean image of `new` or what FXSAVE64 stored, so MXCSR
        // has no reserved bit set and FXRSTOR64 cannot fault. The kernel
        // keeps no floating-point or vector values of its own (soft-float),
        // so replacing the registers disturbs nothing.
        // SAFETY: sound for the reasons just given.
        unsafe {
            core::arch::asm!("fxrstor64 [{}]", in(reg) area, options(nostack, preserves_flags, readonly));
        }
        cpu::wrmsr(FS_BASE_MSR, self.fs_base);
    }
}

/// Sets the running thread's FS base. The caller checked that `v` is 0 or
/// a user address (canonical), so WRMSR cannot fault; the running thread
/// owns the CPU's FS base, and it is saved with the rest of its
/// [`ExtState`] when another thread is loaded.
pub fn set_fs_base(v: u64) {
    cpu::wrmsr(FS_BASE_MSR, v);
}
