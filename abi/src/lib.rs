//! The one definition of the ExoV6 kernel interface, shared by the kernel
//! and user space: system-call numbers and their register convention,
//! error codes, capability types and rights, and the root task's initial
//! capability-space layout. `docs/kernel-abi.md` documents each call.
//!
//! # Register convention (x86_64)
//!
//! `syscall` with the call number in `rax` and up to six arguments in
//! `rdi, rsi, rdx, r10, r8, r9`. On return `rax` is 0 for success or an
//! [`Error`] code, and results come back in `rdi, rsi, rdx, r10` (in that
//! order). `rcx` and `r11` are clobbered by the instruction; every other
//! register is preserved.
//!
//! Numbers below [`NATIVE_BASE`] are not ExoV6 calls: they are the Linux
//! numbers the library OS handles (syscall reflection). Until a
//! thread registers a reflection entry they fail with [`Error::NoSuchCall`].

#![no_std]
#![forbid(unsafe_code)]

// The call table's documentation names items as `abi::...`, which must
// resolve here as well as in the crates that expand the table.
extern crate self as abi;
#[cfg(test)]
extern crate std;

mod error;
pub mod info;
pub mod ipc;
mod rights;
pub mod syscall;
pub mod upcall;

pub use error::Error;
pub use rights::{CapType, Rights};
pub use syscall::{args, results, Slot, Syscall, NATIVE_BASE};
pub use upcall::UpcallFrame;

/// Where the root task finds its initial capabilities.
pub mod root_slots {
    /// The root task's own capability space.
    pub const CSPACE: u32 = 0;
    /// The root task's own address space.
    pub const ASPACE: u32 = 1;
    /// The root task's own thread.
    pub const THREAD: u32 = 2;
    /// The kernel's controls (`CapType::Control`).
    pub const CONTROL: u32 = 3;
    /// The boot ramdisk (a cpio archive), lent read-only as `DeviceMemory`
    /// (READ, MAP, DERIVE, GRANT): `cap_identify` gives its exact start
    /// address in `r3`; the archive ends with its `TRAILER!!!` entry.
    pub const RAMDISK: u32 = 4;
    /// The first slot of the memory capabilities (one per free physical range).
    pub const FIRST_MEMORY: u32 = 16;
    /// Number of slots in the root task's capability space (the kernel
    /// backs only the part in use, so a large space costs nothing until
    /// it is filled): room for the system server's file pages, a slot
    /// each, above its heap.
    pub const COUNT: u32 = 1 << 20;
    /// I/O ports 0..0x3f8 (everything below the kernel's console, COM1).
    pub const PORTS_LOW: u32 = 512;
    /// I/O ports 0x400..0x10000.
    pub const PORTS_HIGH: u32 = 513;
    /// The console UART's ports (COM1, 0x3f8..0x400). The kernel keeps
    /// writing its own log there; once user space binds the console's
    /// interrupt line (`FIRST_IRQ + CONSOLE_IRQ`) input belongs to it.
    pub const CONSOLE_PORTS: u32 = 514;
    /// The console UART's interrupt line (ISA IRQ 4).
    pub const CONSOLE_IRQ: u32 = 4;
    /// Interrupt line (GSI) `n` is in slot `FIRST_IRQ + n`, for every line
    /// of the I/O APIC except the kernel console's.
    pub const FIRST_IRQ: u32 = 520;
    /// Device memory: the physical ranges below 4 GiB that hold no RAM and
    /// that the kernel does not use, from this slot on (at most 64).
    pub const FIRST_DEVICE_MEMORY: u32 = 600;
    /// First slot not used for initial capabilities (free for the task).
    pub const FIRST_FREE: u32 = 1024;
}

/// Bits of the `rights` argument of [`Syscall::Map`].
pub mod map_flags {
    /// The page is writable.
    pub const WRITE: u64 = 1;
    /// The page is executable.
    pub const EXECUTE: u64 = 2;
    /// [`crate::Syscall::MapInto`] only: the frame slot names a capability
    /// in the target environment's own capability space.
    pub const TARGET_SLOT: u64 = 4;
}

/// Capability-space size of a child when `EnvCreate` is given 0.
pub const DEFAULT_CHILD_SLOTS: u32 = 1024;
/// The largest capability space `EnvCreate` makes.
pub const MAX_CSPACE_SLOTS: u32 = 1 << 20;

/// Lowest user virtual address the kernel maps (page zero stays unmapped).
pub const USER_MIN: u64 = 0x1000;
/// One past the highest user virtual address (the lower canonical half).
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// Size of a frame / page.
pub const PAGE_SIZE: u64 = 4096;

// The root task's slots fit its space and do not overlap (checked when
// the crate compiles).
const _: () = {
    use root_slots::*;
    assert!(COUNT <= MAX_CSPACE_SLOTS);
    assert!(DEFAULT_CHILD_SLOTS <= MAX_CSPACE_SLOTS);
    assert!(RAMDISK < FIRST_MEMORY && FIRST_MEMORY < PORTS_LOW);
    assert!(PORTS_LOW < PORTS_HIGH && PORTS_HIGH < CONSOLE_PORTS);
    assert!(CONSOLE_PORTS < FIRST_IRQ);
    // 24 I/O APIC lines, then up to 64 device-memory ranges.
    assert!(CONSOLE_IRQ < 24);
    assert!(FIRST_IRQ + 24 <= FIRST_DEVICE_MEMORY);
    assert!(FIRST_DEVICE_MEMORY + 64 <= FIRST_FREE);
    assert!(FIRST_FREE < COUNT);
};
