//! [`BootError`]: why boot information could not be parsed.

use core::fmt;

/// Why a boot protocol's information could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BootError {
    /// The structure does not start with the protocol's magic value (or
    /// [`parse`](crate::parse) was given a magic it does not know).
    BadMagic,
    /// The structure is cut short: its fixed part or a declared size runs past
    /// readable memory or past the structure's own total size.
    Truncated,
    /// The structure or an array it points to is not readable at `paddr`.
    Unreadable {
        /// Physical address of the unreadable structure.
        paddr: u64,
    },
    /// A field has an impossible value (named by `what`).
    Malformed {
        /// Which field.
        what: &'static str,
    },
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::BadMagic => f.write_str("boot information has a bad magic value"),
            BootError::Truncated => {
                f.write_str("boot information is truncated (runs past readable memory or its size)")
            }
            BootError::Unreadable { paddr } => {
                write!(
                    f,
                    "boot information at physical address {paddr:#x} is not readable"
                )
            }
            BootError::Malformed { what } => write!(f, "boot information is malformed: {what}"),
        }
    }
}
