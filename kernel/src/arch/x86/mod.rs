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
pub mod pte;

/// Vector of the local APIC timer.
pub const TIMER_VECTOR: u8 = 0x20;
/// Vector of GSI 0; GSI n arrives on `IRQ_BASE_VECTOR + n`.
pub const IRQ_BASE_VECTOR: u8 = 0x30;
/// Vectors the remapped (and masked) 8259 PIC could still raise spuriously.
pub const PIC_SPURIOUS: [u8; 2] = [0xe7, 0xef];
/// The local APIC spurious-interrupt vector.
pub const SPURIOUS_VECTOR: u8 = 0xff;

/// Walks a frame-pointer chain from `fp` (frames of two `word`-byte slots:
/// the caller's frame pointer, then the return address), calling `f` with
/// each return address. Stops after 48 frames, at a misaligned or foreign
/// frame (`on_stack` false), a zero return address, or a chain that does
/// not climb the stack.
pub fn walk_frames(
    mut fp: u64,
    word: u64,
    on_stack: impl Fn(u64) -> bool,
    read: impl Fn(u64) -> u64,
    mut f: impl FnMut(u64),
) {
    for _ in 0..48 {
        if !fp.is_multiple_of(word) || !on_stack(fp) {
            return;
        }
        let next = read(fp);
        let ret = read(fp + word);
        if ret == 0 {
            return;
        }
        f(ret);
        if next <= fp {
            return;
        }
        fp = next;
    }
}
