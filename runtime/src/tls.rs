//! Reading through the thread's FS base (set with
//! [`crate::fs_base_set`]): how thread-local storage is addressed on
//! x86_64 (`%fs:OFFSET`). Native programs do not use FS themselves; this
//! is for tests and for a library OS checking a thread pointer.

/// The 64-bit word at `%fs:offset`, that is at FS base + `offset`. If that
/// address is not mapped readable the CPU faults, as any bad read does:
/// the thread's upcall handler gets the `#PF` (or `#GP` for a
/// non-canonical sum), or the kernel ends the program.
pub fn fs_read(offset: u64) -> u64 {
    let v: u64;
    // A plain load through the FS segment: it reads one word, changes no
    // memory and no other register. A bad address faults into the kernel,
    // which delivers the exception or ends the program; it never yields a
    // value that breaks Rust's rules (any 64 bits are a valid u64).
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!(
            "mov {v}, fs:[{o}]",
            v = lateout(reg) v,
            o = in(reg) offset,
            options(nostack, preserves_flags, readonly),
        );
    }
    v
}
