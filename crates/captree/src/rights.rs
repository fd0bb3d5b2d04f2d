//! [`Rights`]: the set of operations a capability authorises, as a small
//! bit set with the meaning of every bit fixed here.
//!
//! Only [`Rights::DERIVE`] and [`Rights::REVOKE`] are checked by this crate
//! (by [`copy`](crate::CapSystem::copy), [`mint`](crate::CapSystem::mint),
//! [`derive_object`](crate::CapSystem::derive_object) and
//! [`revoke`](crate::CapSystem::revoke)). The others are carried for the
//! kernel, which checks them when a capability is used (see
//! [`lookup`](crate::CapSystem::lookup)).

use core::fmt;
use core::ops::{BitAnd, BitOr, Sub};

/// A set of rights. Bits outside [`Rights::ALL`] never occur in a value of
/// this type: [`Rights::from_bits`] refuses them and every operation here
/// keeps them clear.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Rights(u32);

impl Rights {
    /// No rights at all. A capability with no rights still names its object
    /// (so it keeps the object alive and can be identified, moved and
    /// deleted) but authorises nothing else.
    pub const NONE: Rights = Rights(0);
    /// Read the object: load from a frame, read a notification word, …
    pub const READ: Rights = Rights(1 << 0);
    /// Write the object: store to a frame, signal a notification, …
    pub const WRITE: Rights = Rights(1 << 1);
    /// Execute from a frame; call an endpoint.
    pub const EXECUTE: Rights = Rights(1 << 2);
    /// Bind the object into a translation (map a frame or MMIO region).
    pub const MAP: Rights = Rights(1 << 3);
    /// Pass the capability to another environment through IPC (checked by
    /// the kernel's IPC path, not here).
    pub const GRANT: Rights = Rights(1 << 4);
    /// Make derived capabilities from this one: `copy`, `mint`,
    /// `derive_object` need it on the source.
    pub const DERIVE: Rights = Rights(1 << 5);
    /// Revoke through this capability: `revoke` needs it.
    pub const REVOKE: Rights = Rights(1 << 6);
    /// Every right defined above.
    pub const ALL: Rights = Rights((1 << 7) - 1);

    /// The raw bits (for the system-call ABI).
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Rights from raw bits, or `None` if any bit outside [`Rights::ALL`]
    /// is set.
    pub const fn from_bits(bits: u32) -> Option<Rights> {
        if bits & !Self::ALL.0 == 0 {
            Some(Rights(bits))
        } else {
            None
        }
    }

    /// Rights from raw bits, dropping unknown bits.
    pub const fn from_bits_truncate(bits: u32) -> Rights {
        Rights(bits & Self::ALL.0)
    }

    /// True when every right in `other` is also in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when `self` has no right that `other` lacks.
    pub const fn is_subset_of(self, other: Rights) -> bool {
        other.contains(self)
    }

    /// True when no right is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Rights in either set.
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// Rights in both sets.
    pub const fn intersection(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// Rights in `self` but not in `other`.
    pub const fn difference(self, other: Rights) -> Rights {
        Rights(self.0 & !other.0)
    }
}

impl BitOr for Rights {
    type Output = Rights;
    fn bitor(self, rhs: Rights) -> Rights {
        self.union(rhs)
    }
}

impl BitAnd for Rights {
    type Output = Rights;
    fn bitand(self, rhs: Rights) -> Rights {
        self.intersection(rhs)
    }
}

impl Sub for Rights {
    type Output = Rights;
    fn sub(self, rhs: Rights) -> Rights {
        self.difference(rhs)
    }
}

const NAMES: [(Rights, &str); 7] = [
    (Rights::READ, "READ"),
    (Rights::WRITE, "WRITE"),
    (Rights::EXECUTE, "EXECUTE"),
    (Rights::MAP, "MAP"),
    (Rights::GRANT, "GRANT"),
    (Rights::DERIVE, "DERIVE"),
    (Rights::REVOKE, "REVOKE"),
];

impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("NONE");
        }
        let mut first = true;
        for (right, name) in NAMES {
            if self.contains(right) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
