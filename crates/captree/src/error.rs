//! [`CapError`], the one error type of every capability operation, and
//! [`RootError`], which also hands back an object that could not be given
//! its first capability.

use core::fmt;

use crate::Rights;

/// Why a capability operation was refused. A refused operation changes
/// nothing.
///
/// When several things are wrong, the first in this order is reported:
/// the source slot (`BadCSpace`, `BadSlot`, `EmptySlot`), then the
/// destination slot (`BadCSpace`, `BadSlot`, `SlotOccupied`), then rights
/// and badge (`NoRight`, `RightsEscalation`, `BadgeLocked`), then capacity
/// (`Exhausted`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum CapError {
    /// The capability-space id is unknown or was destroyed.
    BadCSpace,
    /// The slot index is not below the capability space's slot count.
    BadSlot,
    /// The slot holds no capability.
    EmptySlot,
    /// The destination slot already holds a capability.
    SlotOccupied,
    /// The requested rights are not a subset of the source's rights.
    RightsEscalation,
    /// The source capability lacks these rights, which the operation needs.
    NoRight(Rights),
    /// The source capability is badged and a different badge was asked for.
    BadgeLocked,
    /// The object id is unknown or its object was released.
    StaleObject,
    /// A capability space must have between 1 and
    /// [`MAX_CSPACE_SLOTS`](crate::MAX_CSPACE_SLOTS) slots.
    BadSize,
    /// An internal id space is used up (more than `u32::MAX` live
    /// capabilities, objects or capability spaces).
    Exhausted,
}

impl fmt::Display for CapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapError::BadCSpace => f.write_str("no such capability space"),
            CapError::BadSlot => f.write_str("slot index out of range"),
            CapError::EmptySlot => f.write_str("slot is empty"),
            CapError::SlotOccupied => f.write_str("destination slot is occupied"),
            CapError::RightsEscalation => f.write_str("rights exceed the source's"),
            CapError::NoRight(r) => write!(f, "capability lacks right {r}"),
            CapError::BadgeLocked => f.write_str("source is badged with another badge"),
            CapError::StaleObject => f.write_str("object id is stale"),
            CapError::BadSize => f.write_str("bad capability-space size"),
            CapError::Exhausted => f.write_str("id space exhausted"),
        }
    }
}

/// A refused [`insert_root`](crate::CapSystem::insert_root) or
/// [`derive_object`](crate::CapSystem::derive_object): the reason, and the
/// object, returned so the caller can give its resources back.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RootError<K> {
    /// Why it was refused.
    pub error: CapError,
    /// The object that was not inserted.
    pub object: K,
}
