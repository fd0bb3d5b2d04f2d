//! x86 CPU identification and privileged-register helpers shared by both
//! x86 architectures: CPUID, the TSC, MSRs and interrupt-flag control.

use core::arch::asm;

/// Executes CPUID for `leaf`/`sub`, returning (eax, ebx, ecx, edx).
pub fn cpuid(leaf: u32, sub: u32) -> (u32, u32, u32, u32) {
    #[cfg(target_arch = "x86")]
    use core::arch::x86::__cpuid_count;
    #[cfg(target_arch = "x86_64")]
    use core::arch::x86_64::__cpuid_count;
    let r = __cpuid_count(leaf, sub);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// Reads the time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    let lo: u32;
    let hi: u32;
    // SAFETY: RDTSC reads a counter; CR4.TSD is clear so it is allowed at ring 0.
    unsafe {
        asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Reads a model-specific register.
pub fn rdmsr(msr: u32) -> u64 {
    let lo: u32;
    let hi: u32;
    // SAFETY: callers only name MSRs whose presence CPUID has confirmed.
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Writes a model-specific register.
pub fn wrmsr(msr: u32, v: u64) {
    // SAFETY: callers only write architectural MSRs with values CPUID says are supported.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32, options(nostack, preserves_flags))
    };
}

/// Enables maskable interrupts.
#[inline]
pub fn enable_interrupts() {
    // SAFETY: the IDT is loaded before anyone calls this.
    unsafe { asm!("sti", options(nomem, nostack)) };
}

/// Disables maskable interrupts.
#[inline]
pub fn disable_interrupts() {
    // SAFETY: clearing IF only delays interrupts.
    unsafe { asm!("cli", options(nomem, nostack)) };
}

/// Enables interrupts and halts until the next one arrives, atomically.
#[inline]
pub fn wait_for_interrupt() {
    // SAFETY: `sti; hlt` is the standard race-free idle sequence.
    unsafe { asm!("sti; hlt", options(nomem, nostack)) };
}

/// Spin-loop hint.
#[inline]
pub fn pause() {
    core::hint::spin_loop();
}

/// Stops this CPU for good.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: with interrupts off, HLT parks the CPU.
        unsafe { asm!("cli; hlt", options(nomem, nostack)) };
    }
}

/// The page-fault linear address register.
pub fn read_cr2() -> usize {
    let v: usize;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack)) };
    v
}

/// What the kernel learns about the CPU at boot.
pub struct CpuInfo {
    pub vendor: [u8; 12],
    pub brand: [u8; 48],
    pub family: u32,
    pub model: u32,
    pub stepping: u32,
    pub features: Features,
}

/// CPU features the kernel uses or reports.
#[derive(Clone, Copy, Default)]
pub struct Features {
    pub x2apic: bool,
    pub apic: bool,
    pub tsc: bool,
    pub invariant_tsc: bool,
    pub tsc_deadline: bool,
    pub nx: bool,
    pub pae: bool,
    pub pse: bool,
    pub pge: bool,
    pub sse2: bool,
    pub huge_1g: bool,
    pub long_mode: bool,
    pub hypervisor: bool,
}

impl Features {
    /// (name, present) for every feature, for the banner.
    pub fn list(&self) -> [(&'static str, bool); 13] {
        [
            ("tsc", self.tsc),
            ("invariant-tsc", self.invariant_tsc),
            ("apic", self.apic),
            ("x2apic", self.x2apic),
            ("tsc-deadline", self.tsc_deadline),
            ("pae", self.pae),
            ("pse", self.pse),
            ("pge", self.pge),
            ("nx", self.nx),
            ("1g-pages", self.huge_1g),
            ("sse2", self.sse2),
            ("lm", self.long_mode),
            ("hypervisor", self.hypervisor),
        ]
    }
}

impl CpuInfo {
    /// Reads CPUID.
    pub fn read() -> CpuInfo {
        let (max, b, c, d) = cpuid(0, 0);
        let mut vendor = [0u8; 12];
        vendor[0..4].copy_from_slice(&b.to_le_bytes());
        vendor[4..8].copy_from_slice(&d.to_le_bytes());
        vendor[8..12].copy_from_slice(&c.to_le_bytes());
        let (a1, _, c1, d1) = if max >= 1 { cpuid(1, 0) } else { (0, 0, 0, 0) };
        let base_family = (a1 >> 8) & 0xf;
        let family = if base_family == 0xf {
            base_family + ((a1 >> 20) & 0xff)
        } else {
            base_family
        };
        let model = if base_family == 6 || base_family == 0xf {
            ((a1 >> 4) & 0xf) | (((a1 >> 16) & 0xf) << 4)
        } else {
            (a1 >> 4) & 0xf
        };
        let (ext_max, ..) = cpuid(0x8000_0000, 0);
        let (_, _, _, ed1) = if ext_max >= 0x8000_0001 {
            cpuid(0x8000_0001, 0)
        } else {
            (0, 0, 0, 0)
        };
        let (_, _, _, ed7) = if ext_max >= 0x8000_0007 {
            cpuid(0x8000_0007, 0)
        } else {
            (0, 0, 0, 0)
        };
        let mut brand = [0u8; 48];
        if ext_max >= 0x8000_0004 {
            for (i, leaf) in (0x8000_0002u32..=0x8000_0004).enumerate() {
                let (a, b, c, d) = cpuid(leaf, 0);
                for (j, w) in [a, b, c, d].iter().enumerate() {
                    let at = i * 16 + j * 4;
                    brand[at..at + 4].copy_from_slice(&w.to_le_bytes());
                }
            }
        }
        let features = Features {
            tsc: d1 & (1 << 4) != 0,
            pse: d1 & (1 << 3) != 0,
            pae: d1 & (1 << 6) != 0,
            apic: d1 & (1 << 9) != 0,
            pge: d1 & (1 << 13) != 0,
            sse2: d1 & (1 << 26) != 0,
            x2apic: c1 & (1 << 21) != 0,
            tsc_deadline: c1 & (1 << 24) != 0,
            hypervisor: c1 & (1 << 31) != 0,
            nx: ed1 & (1 << 20) != 0,
            huge_1g: ed1 & (1 << 26) != 0,
            long_mode: ed1 & (1 << 29) != 0,
            invariant_tsc: ed7 & (1 << 8) != 0,
        };
        CpuInfo {
            vendor,
            brand,
            family,
            model,
            stepping: a1 & 0xf,
            features,
        }
    }

    /// The brand string, trimmed, or the vendor id when there is none.
    pub fn brand_str(&self) -> &str {
        let raw = if self.brand[0] != 0 {
            &self.brand[..]
        } else {
            &self.vendor[..]
        };
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        core::str::from_utf8(&raw[..end]).unwrap_or("?").trim()
    }
}
