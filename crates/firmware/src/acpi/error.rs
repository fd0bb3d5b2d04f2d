//! [`AcpiError`]: why ACPI discovery failed.

use core::fmt;

/// Why the ACPI tables could not be discovered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcpiError {
    /// No RSDP was given and none was found in the EBDA or the BIOS area.
    NoRsdp,
    /// A structure's signature is wrong (`what` names the structure).
    BadSignature {
        /// Which structure.
        what: &'static str,
    },
    /// A structure's checksum is wrong (`what` names the structure).
    BadChecksum {
        /// Which structure.
        what: &'static str,
    },
    /// A structure's length field is impossible (`what` names the structure).
    BadLength {
        /// Which structure.
        what: &'static str,
    },
    /// A structure at `paddr` is not readable.
    Unreadable {
        /// Physical address of the structure.
        paddr: u64,
    },
    /// The RSDP points to neither an RSDT nor an XSDT (both addresses zero).
    NoRootTable,
}

impl fmt::Display for AcpiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcpiError::NoRsdp => {
                f.write_str("ACPI: no RSDP found (EBDA and 0xE0000..0x100000 scanned)")
            }
            AcpiError::BadSignature { what } => write!(f, "ACPI: {what} has a bad signature"),
            AcpiError::BadChecksum { what } => write!(f, "ACPI: {what} has a bad checksum"),
            AcpiError::BadLength { what } => write!(f, "ACPI: {what} has an impossible length"),
            AcpiError::Unreadable { paddr } => {
                write!(
                    f,
                    "ACPI: structure at physical address {paddr:#x} is not readable"
                )
            }
            AcpiError::NoRootTable => {
                f.write_str("ACPI: the RSDP names neither an RSDT nor an XSDT")
            }
        }
    }
}
