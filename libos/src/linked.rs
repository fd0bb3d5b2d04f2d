//! The library OS called as functions. A program that knows it runs on
//! ExoV6 can call these directly, as a native program linked with the
//! library OS would, with no system call and no upcall: their addresses
//! are published in the mailbox's control page
//! (`sysproto::control::LINKED_*`), the same in every process (the library
//! OS's text is shared). They touch only the mailbox and the info page, so
//! they are safe to call from program code at any time.

use sysproto::control;

/// `getpid()`.
extern "C" fn libos_getpid() -> i64 {
    crate::server::pid() as i64
}

/// `clock_gettime(clock, ts)`: 0, or `-EINVAL` for an unknown clock.
extern "C" fn libos_clock_gettime(clock: i64, ts: *mut [i64; 2]) -> i64 {
    let Some(ns) = crate::time::clock_ns(clock) else {
        return linux_errno::Errno::EINVAL.to_ret();
    };
    let v = [(ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64];
    // The caller passes its own `struct timespec`, as for the C library's
    // `clock_gettime`; this runs in the caller's context (not in an
    // upcall), so a bad pointer faults in the program, as it would in a
    // library function.
    // SAFETY: sound for the reasons just given.
    unsafe { ts.write(v) };
    0
}

/// Publishes the entry points in this process's mailbox.
pub fn publish() {
    crate::server::set_control(control::LINKED_GETPID, libos_getpid as *const () as u64);
    crate::server::set_control(
        control::LINKED_CLOCK_GETTIME,
        libos_clock_gettime as *const () as u64,
    );
}
