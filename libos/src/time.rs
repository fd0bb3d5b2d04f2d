//! Time and randomness without entering the kernel: the info page's TSC
//! rate and boot TSC give monotonic time, the server's boot wall-clock
//! (in the mailbox) gives real time, and `rdrand` (or the TSC, mixed)
//! gives random bytes.

use sysproto::control;

/// Nanoseconds since boot.
pub fn now_ns() -> u64 {
    exo_rt::info::now_ns()
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    crate::server::control(control::BOOT_EPOCH_NS).saturating_add(now_ns())
}

/// The time on Linux clock `id` in nanoseconds (CPU-time clocks count
/// time since boot), or None for an unknown clock.
pub fn clock_ns(id: i64) -> Option<u64> {
    match id {
        0 | 5 | 8 => Some(realtime_ns()),    // REALTIME, _COARSE, _ALARM
        1 | 4 | 6 | 7 | 9 => Some(now_ns()), // MONOTONIC, _RAW, _COARSE, BOOTTIME
        2 | 3 => Some(now_ns()),             // process / thread CPU time
        _ => None,
    }
}

/// A 64-bit random value: `rdrand` where the CPU has it, else a mix of
/// the TSC.
pub fn random_u64() -> u64 {
    if let Some(v) = rdrand() {
        return v;
    }
    let mut x = exo_rt::tsc::rdtsc() ^ 0x9e37_79b9_7f4a_7c15;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

fn rdrand() -> Option<u64> {
    // CPUID leaf 1, ECX bit 30.
    let ecx: u32;
    // SAFETY: `cpuid` only reads CPU identification; rbx is saved and
    // restored around it because LLVM reserves it.
    unsafe {
        core::arch::asm!(
            "mov {tmp:r}, rbx", "cpuid", "mov rbx, {tmp:r}",
            tmp = out(reg) _,
            inout("eax") 1u32 => _, inout("ecx") 0u32 => ecx, out("edx") _,
            options(nostack),
        )
    };
    if ecx & (1 << 30) == 0 {
        return None;
    }
    for _ in 0..10 {
        let v: u64;
        let ok: u8;
        // SAFETY: `rdrand` exists (checked above) and only writes the
        // two registers named.
        unsafe {
            core::arch::asm!("rdrand {}", "setc {}", out(reg) v, out(reg_byte) ok, options(nostack))
        };
        if ok != 0 {
            return Some(v);
        }
    }
    None
}
