//! The thread's x87 and SSE registers, for programs that need to look at
//! or set them directly (tests of the kernel's context switch, a library
//! OS saving a signal context).
//!
//! Native programs are built for `x86_64-unknown-none`, which is
//! soft-float: the compiler never keeps a value in an x87 or XMM register,
//! so these functions are the only code of the program that touches them,
//! and what they load stays there until they are called again (the kernel
//! saves and restores the state whenever the CPU switches threads; see
//! `docs/kernel-abi.md`). The instructions are written out in inline
//! assembly, without register operands: the compiler cannot allocate XMM
//! registers for a soft-float target, and does not need to know that they
//! change, because it never uses them.

/// Number of XMM registers.
pub const XMM_COUNT: usize = 16;

/// MXCSR bits a program may set (bits 16 and up are reserved: loading
/// them is a `#GP`).
pub const MXCSR_VALID: u32 = 0xffff;

/// The 16 XMM registers, `xmm0` first.
pub type Xmm = [u128; XMM_COUNT];

/// Loads `xmm0`..`xmm15` from `v`.
pub fn set_xmm(v: &Xmm) {
    let p = v.as_ptr();
    // `p` points at 16 readable 16-byte values; MOVDQU needs no alignment.
    // Only XMM registers change, and no compiled code of this program keeps
    // anything in them (soft-float target, see the module docs). CR4.OSFXSR
    // is set by the kernel, so SSE instructions are allowed in user mode.
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!(
            "movdqu xmm0, [{p}]",
            "movdqu xmm1, [{p} + 16]",
            "movdqu xmm2, [{p} + 32]",
            "movdqu xmm3, [{p} + 48]",
            "movdqu xmm4, [{p} + 64]",
            "movdqu xmm5, [{p} + 80]",
            "movdqu xmm6, [{p} + 96]",
            "movdqu xmm7, [{p} + 112]",
            "movdqu xmm8, [{p} + 128]",
            "movdqu xmm9, [{p} + 144]",
            "movdqu xmm10, [{p} + 160]",
            "movdqu xmm11, [{p} + 176]",
            "movdqu xmm12, [{p} + 192]",
            "movdqu xmm13, [{p} + 208]",
            "movdqu xmm14, [{p} + 224]",
            "movdqu xmm15, [{p} + 240]",
            p = in(reg) p,
            options(nostack, preserves_flags, readonly),
        );
    }
}

/// The current values of `xmm0`..`xmm15`.
pub fn xmm() -> Xmm {
    let mut v: Xmm = [0; XMM_COUNT];
    let p = v.as_mut_ptr();
    // `p` points at 16 writable 16-byte values, which MOVDQU stores
    // (no alignment needed); nothing else changes.
    // SAFETY: sound for the reason just given.
    unsafe {
        core::arch::asm!(
            "movdqu [{p}], xmm0",
            "movdqu [{p} + 16], xmm1",
            "movdqu [{p} + 32], xmm2",
            "movdqu [{p} + 48], xmm3",
            "movdqu [{p} + 64], xmm4",
            "movdqu [{p} + 80], xmm5",
            "movdqu [{p} + 96], xmm6",
            "movdqu [{p} + 112], xmm7",
            "movdqu [{p} + 128], xmm8",
            "movdqu [{p} + 144], xmm9",
            "movdqu [{p} + 160], xmm10",
            "movdqu [{p} + 176], xmm11",
            "movdqu [{p} + 192], xmm12",
            "movdqu [{p} + 208], xmm13",
            "movdqu [{p} + 224], xmm14",
            "movdqu [{p} + 240], xmm15",
            p = in(reg) p,
            options(nostack, preserves_flags),
        );
    }
    v
}

/// The SSE control and status register.
pub fn mxcsr() -> u32 {
    let mut v: u32 = 0;
    let p: *mut u32 = &mut v;
    // STMXCSR stores the 4-byte register at `p`, a writable, aligned u32.
    // SAFETY: sound for the reason just given.
    unsafe { core::arch::asm!("stmxcsr [{p}]", p = in(reg) p, options(nostack, preserves_flags)) };
    v
}

/// Sets MXCSR; `None` (and nothing changes) if `v` has a reserved bit
/// (outside [`MXCSR_VALID`]), which would be a `#GP`.
pub fn set_mxcsr(v: u32) -> Option<()> {
    if v & !MXCSR_VALID != 0 {
        return None;
    }
    let p: *const u32 = &v;
    // LDMXCSR reads the aligned u32 at `p`; `v` has no reserved bit set,
    // so it cannot fault. Only SSE rounding/exception behaviour changes,
    // which compiled code of this program never depends on (soft-float).
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!("ldmxcsr [{p}]", p = in(reg) p, options(nostack, preserves_flags, readonly))
    };
    Some(())
}

/// The x87 control word.
pub fn x87_control() -> u16 {
    let mut v: u16 = 0;
    let p: *mut u16 = &mut v;
    // FNSTCW stores the 2-byte control word at `p`, a writable u16.
    // SAFETY: sound for the reason just given.
    unsafe { core::arch::asm!("fnstcw [{p}]", p = in(reg) p, options(nostack, preserves_flags)) };
    v
}

/// Sets the x87 control word (it has no reserved bits that fault).
pub fn set_x87_control(v: u16) {
    let p: *const u16 = &v;
    // FLDCW reads the u16 at `p`. Only x87 rounding, precision and
    // exception masks change, which compiled code of this program never
    // depends on (soft-float). Pending x87 exceptions are not raised by
    // FLDCW itself.
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!("fldcw [{p}]", p = in(reg) p, options(nostack, preserves_flags, readonly))
    };
}
