//! Linux wait-status words (what `wait4` stores; `WIFEXITED` and kin
//! decode them).

/// A normal exit with `code`.
pub fn exited(code: u8) -> u64 {
    u64::from(code) << 8
}
/// Ended by signal `sig` (with a core dump if `core`).
pub fn signaled(sig: u8, core: bool) -> u64 {
    u64::from(sig & 0x7f) | if core { 0x80 } else { 0 }
}
/// Stopped by signal `sig`.
pub fn stopped(sig: u8) -> u64 {
    0x7f | u64::from(sig) << 8
}
/// Continued.
pub const CONTINUED: u64 = 0xffff;
/// The exit status a shell would report: the code, or 128 + signal.
pub fn shell_code(status: u64) -> u8 {
    let sig = (status & 0x7f) as u8;
    if sig == 0 {
        (status >> 8) as u8
    } else {
        128u8.wrapping_add(sig)
    }
}
