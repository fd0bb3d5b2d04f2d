//! The CPU's own random numbers: `rdseed` (entropy straight from the
//! conditioner) or else `rdrand` (a generator it reseeds), where CPUID
//! says the CPU has them. For seeding generators, not for bulk use.

/// CPUID leaf `leaf` (sub-leaf 0): (ebx, ecx).
fn cpuid(leaf: u32) -> (u32, u32) {
    let (ebx, ecx): (u32, u32);
    // SAFETY: `cpuid` only reads CPU identification into the four
    // registers; ebx (reserved by LLVM) is saved in a scratch register
    // around it, and nothing else is touched.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::asm!(
            "mov {tmp:r}, rbx", "cpuid", "xchg {tmp:r}, rbx",
            tmp = out(reg) ebx,
            inout("eax") leaf => _, inout("ecx") 0u32 => ecx, out("edx") _,
            options(nostack, preserves_flags),
        );
    }
    // SAFETY: as above, for the 32-bit registers.
    #[cfg(target_arch = "x86")]
    unsafe {
        core::arch::asm!(
            "mov {tmp}, ebx", "cpuid", "xchg {tmp}, ebx",
            tmp = out(reg) ebx,
            inout("eax") leaf => _, inout("ecx") 0u32 => ecx, out("edx") _,
            options(nostack, preserves_flags),
        );
    }
    (ebx, ecx)
}

/// CPUID leaf `leaf`, sub-leaf `sub`: (eax, ebx, ecx, edx), for
/// describing the CPU (`/proc/cpuinfo`).
pub fn cpuid_full(leaf: u32, sub: u32) -> (u32, u32, u32, u32) {
    let (eax, ebx, ecx, edx): (u32, u32, u32, u32);
    // SAFETY: `cpuid` only reads CPU identification into the four
    // registers; ebx (reserved by LLVM) is saved in a scratch register
    // around it, and nothing else is touched.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::asm!(
            "mov {tmp:r}, rbx", "cpuid", "xchg {tmp:r}, rbx",
            tmp = out(reg) ebx,
            inout("eax") leaf => eax, inout("ecx") sub => ecx, out("edx") edx,
            options(nostack, preserves_flags),
        );
    }
    // SAFETY: as above, for the 32-bit registers.
    #[cfg(target_arch = "x86")]
    unsafe {
        core::arch::asm!(
            "mov {tmp}, ebx", "cpuid", "xchg {tmp}, ebx",
            tmp = out(reg) ebx,
            inout("eax") leaf => eax, inout("ecx") sub => ecx, out("edx") edx,
            options(nostack, preserves_flags),
        );
    }
    (eax, ebx, ecx, edx)
}

/// One 32-bit value of `rdseed` (`seed`) or `rdrand`, retried a few
/// times while the CPU has none ready.
fn draw(seed: bool) -> Option<u32> {
    for _ in 0..32 {
        let v: u32;
        let ok: u8;
        // SAFETY: the instruction exists (the caller checked CPUID) and
        // writes only the two registers named.
        unsafe {
            if seed {
                core::arch::asm!("rdseed {0:e}", "setc {1}", out(reg) v, out(reg_byte) ok, options(nomem, nostack));
            } else {
                core::arch::asm!("rdrand {0:e}", "setc {1}", out(reg) v, out(reg_byte) ok, options(nomem, nostack));
            }
        }
        if ok != 0 {
            return Some(v);
        }
    }
    None
}

/// Which of the two the CPU has: (rdseed, rdrand).
pub fn available() -> (bool, bool) {
    let (_, ecx1) = cpuid(1);
    let max = {
        let eax: u32;
        // SAFETY: as in `cpuid`; leaf 0 reports the highest leaf in eax.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            core::arch::asm!("mov {tmp:r}, rbx", "cpuid", "xchg {tmp:r}, rbx", tmp = out(reg) _,
                inout("eax") 0u32 => eax, inout("ecx") 0u32 => _, out("edx") _, options(nostack, preserves_flags));
        }
        // SAFETY: as above.
        #[cfg(target_arch = "x86")]
        unsafe {
            core::arch::asm!("mov {tmp}, ebx", "cpuid", "xchg {tmp}, ebx", tmp = out(reg) _,
                inout("eax") 0u32 => eax, inout("ecx") 0u32 => _, out("edx") _, options(nostack, preserves_flags));
        }
        eax
    };
    let seed = max >= 7 && cpuid(7).0 & (1 << 18) != 0;
    (seed, ecx1 & (1 << 30) != 0)
}

/// A 32-bit value from `rdseed`, else `rdrand`; `None` if the CPU has
/// neither (or they keep failing).
pub fn random_u32() -> Option<u32> {
    let (seed, rand) = available();
    if seed {
        if let Some(v) = draw(true) {
            return Some(v);
        }
    }
    if rand {
        return draw(false);
    }
    None
}
