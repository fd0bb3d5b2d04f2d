//! The time-stamp counter, read from user mode (the kernel leaves
//! `CR4.TSD` clear). For benchmarks: time many operations between two
//! reads, never one (under nested KVM a read traps and costs thousands of
//! cycles).

/// Reads the TSC after every earlier instruction has completed (`lfence;
/// rdtsc`), so work before the call is not still in flight.
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // `lfence` and `rdtsc` only write edx:eax (declared); they
    // touch no memory and no stack (`nomem` is left off on purpose, so the
    // compiler keeps memory accesses on their side of the read). At ring 3 `rdtsc` is allowed because
    // the kernel keeps CR4.TSD clear; were it set, the #GP would reach the
    // program as an ordinary exception.
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!(
            "lfence",
            "rdtsc",
            out("eax") lo,
            out("edx") hi,
            options(nostack, preserves_flags),
        );
    }
    (u64::from(hi) << 32) | u64::from(lo)
}
