//! Stopping the machine: ACPI soft-off (S5) for a clean exit, the QEMU
//! isa-debug-exit port to report a non-zero status, and halt as a last resort.
//!
//! The status byte written to isa-debug-exit (QEMU keeps its low 7 bits)
//! has two ranges, so that a program's exit status is never taken for one
//! of the kernel's own: `0x00..=0x3f` is the low 6 bits of the root task's
//! exit code (or of a `PowerOff` request's status), `0x40 | N` is kernel
//! status N ([`Status`]). The whole exit code is printed on the console
//! (`root: exited with code N`) for `cargo xtask` to widen the 6 bits with.

#[cfg(target_arch = "x86_64")]
use core::sync::atomic::{AtomicU16, Ordering};

use crate::arch::{cpu, io};

/// The kernel's own statuses (written as `0x40 | N`).
#[derive(Clone, Copy)]
#[repr(u8)]
pub enum Status {
    /// Clean power-off (ACPI S5; QEMU exits with 0).
    Ok = 0,
    TestFailed = 1,
    Panic = 2,
    /// A CPU exception in the kernel.
    Fault = 3,
    /// The machine has too little memory to boot.
    NoMemory = 4,
    /// The root task was killed by a CPU exception it did not handle.
    #[cfg(target_arch = "x86_64")]
    RootFault = 5,
    /// The root task was ended by another environment's `EnvKill`.
    #[cfg(target_arch = "x86_64")]
    RootKilled = 6,
}

/// The bit that marks a kernel status on the debug-exit port.
const KERNEL_STATUS: u8 = 0x40;
/// The bits of a program's exit code the debug-exit port carries.
#[cfg(target_arch = "x86_64")]
const PROGRAM_STATUS_MASK: u64 = 0x3f;

/// QEMU's isa-debug-exit device (xtask always adds it): writing `s` makes
/// QEMU exit with `(s << 1) | 1`. On real hardware the port is unused.
const DEBUG_EXIT_PORT: u16 = 0xf4;

/// How the root task ended, for [`exit_root`]: its exit code's low byte,
/// or [`ROOT_ENDED`] with the kernel status of its end.
#[cfg(target_arch = "x86_64")]
static ROOT_END: AtomicU16 = AtomicU16::new(0);
/// Marks a [`ROOT_END`] that is a kernel status.
#[cfg(target_arch = "x86_64")]
const ROOT_ENDED: u16 = 0x100;

/// Powers off with a kernel `status`: ACPI S5 for [`Status::Ok`], otherwise
/// (or if ACPI is missing) the debug-exit port; halts if both fail.
pub fn exit(status: Status) -> ! {
    stop(matches!(status, Status::Ok), KERNEL_STATUS | status as u8)
}

/// Powers off with a program's exit status (the root task's, or what a
/// `PowerOff` request asked for): ACPI S5 for 0, the debug-exit port with
/// its low 6 bits otherwise.
#[cfg(target_arch = "x86_64")]
pub fn exit_program(code: u64) -> ! {
    stop(code == 0, (code & PROGRAM_STATUS_MASK) as u8)
}

/// Records that the root task exited with `code`.
#[cfg(target_arch = "x86_64")]
pub fn root_exited(code: u64) {
    ROOT_END.store(u16::from(code as u8), Ordering::Relaxed);
}

/// Records that the root task was ended by the kernel (an exception it did
/// not handle) or by another environment, with that kernel status.
#[cfg(target_arch = "x86_64")]
pub fn root_ended(how: Status) {
    ROOT_END.store(ROOT_ENDED | how as u16, Ordering::Relaxed);
}

/// Powers off with the status of the root task's end.
#[cfg(target_arch = "x86_64")]
pub fn exit_root() -> ! {
    let end = ROOT_END.load(Ordering::Relaxed);
    if end & ROOT_ENDED != 0 {
        stop(false, KERNEL_STATUS | end as u8)
    } else {
        exit_program(u64::from(end))
    }
}

/// ACPI S5 first if `soft_off`, then the debug-exit port with `port_status`.
fn stop(soft_off: bool, port_status: u8) -> ! {
    cpu::disable_interrupts();
    if soft_off {
        crate::acpi::soft_off();
    }
    io::outl(DEBUG_EXIT_PORT, u32::from(port_status));
    crate::acpi::soft_off();
    cpu::halt_forever()
}
