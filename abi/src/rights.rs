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

/// Rights a capability carries (a bit set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rights(pub u64);

impl Rights {
    /// Read the object (map a frame readable).
    pub const READ: Rights = Rights(1);
    /// Write the object (map a frame writable).
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
    pub const ALL: Rights = Rights(0x7f);

    /// True if every right in `other` is in `self`.
    pub fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for Rights {
    type Output = Rights;
    fn bitor(self, rhs: Rights) -> Rights {
        Rights(self.0 | rhs.0)
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
    }
}
