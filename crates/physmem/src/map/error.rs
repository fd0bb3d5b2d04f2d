//! [`MapError`]: why a memory map operation was refused.

use core::fmt;

/// Why a [`MemoryMap`](super::MemoryMap) operation was refused. The map then
/// describes the same memory as before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// The map has no room for the regions the operation needs.
    Full,
    /// [`reserve`](super::MemoryMap::reserve) was asked to claim memory as
    /// `Usable`, which is not a claim.
    UsableReservation,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "memory map capacity exhausted",
            Self::UsableReservation => "cannot reserve memory as usable",
        })
    }
}
