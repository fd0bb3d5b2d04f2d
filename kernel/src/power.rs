//! Stopping the machine: ACPI soft-off (S5) for a clean exit, the QEMU
//! isa-debug-exit port to report a non-zero status, and halt as a last resort.

use crate::arch::{cpu, io};

/// The kernel's exit statuses, as `cargo xtask run` reports them.
#[derive(Clone, Copy)]
#[repr(u8)]
pub enum Status {
    Ok = 0,
    TestFailed = 1,
    Panic = 2,
    Fault = 3,
    /// The machine has too little memory to boot.
    NoMemory = 4,
}

/// QEMU's isa-debug-exit device (xtask always adds it): writing `s` makes
/// QEMU exit with `(s << 1) | 1`. On real hardware the port is unused.
const DEBUG_EXIT_PORT: u16 = 0xf4;

/// Powers off with `status`: ACPI S5 when the status is 0, otherwise (or if
/// ACPI is missing) the debug-exit port; halts if both fail.
pub fn exit(status: Status) -> ! {
    exit_with(status as u8)
}

/// [`exit`] with any status byte (the root task's `PowerOff`).
pub fn exit_with(status: u8) -> ! {
    cpu::disable_interrupts();
    if status == 0 {
        crate::acpi::soft_off();
    }
    io::outl(DEBUG_EXIT_PORT, u32::from(status));
    crate::acpi::soft_off();
    cpu::halt_forever()
}
