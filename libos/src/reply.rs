//! The system server's result word (`-errno` on failure) as a `Result`:
//! the one place the library OS turns a reply into an [`Errno`].

use linux_errno::Errno;

/// `r` as a value, or the error it names (`EIO` for a number that is no
/// Linux error).
pub fn check(r: i64) -> Result<u64, Errno> {
    if r < 0 {
        Err(Errno::from_ret(r).unwrap_or(Errno::EIO))
    } else {
        Ok(r as u64)
    }
}
