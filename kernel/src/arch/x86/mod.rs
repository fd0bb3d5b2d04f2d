//! PC-platform code shared by the x86_64 and i386 kernels: port I/O, CPUID
//! and MSRs, the PIT (for TSC calibration), the 8259 PIC (to switch it off),
//! the local APIC and the I/O APIC.

pub mod cpu;
pub mod image;
pub mod io;
pub mod ioapic;
pub mod lapic;
pub mod msr;
pub mod pic;
pub mod pit;

/// Vector of the local APIC timer.
pub const TIMER_VECTOR: u8 = 0x20;
/// Vector of GSI 0; GSI n arrives on `IRQ_BASE_VECTOR + n`.
pub const IRQ_BASE_VECTOR: u8 = 0x30;
/// Vectors the remapped (and masked) 8259 PIC could still raise spuriously.
pub const PIC_SPURIOUS: [u8; 2] = [0xe7, 0xef];
/// The local APIC spurious-interrupt vector.
pub const SPURIOUS_VECTOR: u8 = 0xff;
