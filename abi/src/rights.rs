//! Capability types and rights as user space sees them.

/// What a capability names (returned by [`crate::Syscall::CapIdentify`]).
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapType {
    /// A range of free physical memory frames can be allocated from.
    Memory = 1,
    /// One 4 KiB physical frame.
    Frame = 2,
    /// An address space.
    AddressSpace = 3,
    /// A thread.
    Thread = 4,
    /// A capability space.
    CSpace = 5,
    /// An IPC endpoint.
    Endpoint = 6,
    /// A notification word.
    Notification = 7,
    /// A range of I/O ports.
    IoPorts = 8,
    /// An interrupt line (a GSI).
    Irq = 9,
    /// A range of device (MMIO) physical memory frames can be made from.
    DeviceMemory = 10,
    /// The kernel's own controls (power-off).
    Control = 11,
}

impl CapType {
    /// The type for a code (None if unknown).
    pub fn from_code(code: u64) -> Option<CapType> {
        Self::ALL.into_iter().find(|t| *t as u64 == code)
    }

    /// Every type, in code order.
    pub const ALL: [CapType; 11] = [
        CapType::Memory,
        CapType::Frame,
        CapType::AddressSpace,
        CapType::Thread,
        CapType::CSpace,
        CapType::Endpoint,
        CapType::Notification,
        CapType::IoPorts,
        CapType::Irq,
        CapType::DeviceMemory,
        CapType::Control,
    ];
}

/// The rights a capability carries: a bit set, with the meaning of every
/// bit fixed here. The one definition for the kernel, its capability
/// system (`captree`, which checks DERIVE and REVOKE itself) and user
/// space.
///
/// The field is the ABI word as user space passes it, so any bits can be
/// written (the kernel refuses unknown ones: [`Rights::from_bits`]); the
/// kernel only holds rights inside [`Rights::ALL`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Rights(pub u64);

impl Rights {
    /// No rights at all. A capability with no rights still names its object
    /// (so it keeps the object alive and can be identified, moved and
    /// deleted) but authorises nothing else.
    pub const NONE: Rights = Rights(0);
    /// Read the object: load from a frame (map it readable), read a
    /// notification word, receive on an endpoint.
    pub const READ: Rights = Rights(1);
    /// Write the object: map a frame writable, signal a notification, ...
    pub const WRITE: Rights = Rights(1 << 1);
    /// Execute (map a frame executable) / call (an endpoint).
    pub const EXECUTE: Rights = Rights(1 << 2);
    /// Map the object into an address space.
    pub const MAP: Rights = Rights(1 << 3);
    /// Pass the capability to another environment.
    pub const GRANT: Rights = Rights(1 << 4);
    /// Derive new capabilities (copy, mint, allocate from).
    pub const DERIVE: Rights = Rights(1 << 5);
    /// Revoke capabilities derived from this one.
    pub const REVOKE: Rights = Rights(1 << 6);
    /// Every right.
    pub const ALL: Rights = Rights((1 << 7) - 1);

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Rights from raw bits, or `None` if any bit outside [`Rights::ALL`]
    /// is set.
    pub const fn from_bits(bits: u64) -> Option<Rights> {
        if bits & !Self::ALL.0 == 0 {
            Some(Rights(bits))
        } else {
            None
        }
    }

    /// Rights from raw bits, dropping unknown bits.
    pub fn from_bits_truncate(bits: impl Into<u64>) -> Rights {
        Rights(bits.into() & Self::ALL.0)
    }

    /// True if every right in `other` is in `self`.
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

impl core::ops::BitOr for Rights {
    type Output = Rights;
    fn bitor(self, rhs: Rights) -> Rights {
        self.union(rhs)
    }
}

impl core::ops::BitAnd for Rights {
    type Output = Rights;
    fn bitand(self, rhs: Rights) -> Rights {
        self.intersection(rhs)
    }
}

impl core::ops::Sub for Rights {
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

/// The rights' names joined by `|` (`NONE` for none); bits outside
/// [`Rights::ALL`] follow in hexadecimal.
impl core::fmt::Debug for Rights {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_empty() {
            return f.write_str("NONE");
        }
        let mut first = true;
        let mut sep = |f: &mut core::fmt::Formatter<'_>| {
            let s = if first { "" } else { "|" };
            first = false;
            f.write_str(s)
        };
        for (right, name) in NAMES {
            if self.contains(right) {
                sep(f)?;
                f.write_str(name)?;
            }
        }
        let unknown = self.difference(Rights::ALL);
        if !unknown.is_empty() {
            sep(f)?;
            write!(f, "{:#x}", unknown.0)?;
        }
        Ok(())
    }
}

impl core::fmt::Display for Rights {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes_round_trip() {
        for code in 0..10 {
            if let Some(t) = CapType::from_code(code) {
                assert_eq!(t as u64, code);
            }
        }
        assert_eq!(CapType::from_code(0), None);
        for (i, t) in CapType::ALL.iter().enumerate() {
            assert_eq!(*t as u64, i as u64 + 1, "codes are dense from 1");
            assert_eq!(CapType::from_code(i as u64 + 1), Some(*t));
        }
    }

    #[test]
    fn rights_contain() {
        let rw = Rights::READ | Rights::WRITE;
        assert!(Rights::ALL.contains(rw));
        assert!(rw.contains(Rights::READ));
        assert!(!rw.contains(Rights::MAP));
        assert_eq!(Rights::from_bits(1 << 7), None);
        assert_eq!(Rights::from_bits_truncate(u32::MAX), Rights::ALL);
    }

    #[test]
    fn rights_print_by_name() {
        assert_eq!(std::format!("{:?}", Rights::READ | Rights::MAP), "READ|MAP");
        assert_eq!(std::format!("{:?}", Rights::NONE), "NONE");
        assert_eq!(
            std::format!("{:?}", Rights(1 << 40 | 1)),
            "READ|0x10000000000"
        );
    }
}
