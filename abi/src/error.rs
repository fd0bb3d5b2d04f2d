//! Error codes returned in `rax` by every system call.

use core::fmt;

/// Why a system call failed. 0 in `rax` means success; these are the other values.
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The call number is not a native call and no reflection entry is registered.
    NoSuchCall = 1,
    /// An argument is out of range or malformed.
    InvalidArgument = 2,
    /// The slot index is outside the capability space.
    BadSlot = 3,
    /// The slot holds no capability.
    EmptySlot = 4,
    /// The destination slot is already occupied.
    SlotOccupied = 5,
    /// The capability is of the wrong type for this call.
    WrongType = 6,
    /// The capability lacks a right the call needs.
    NoRights = 7,
    /// A derived capability would have rights its source lacks.
    RightsEscalation = 8,
    /// A user pointer is not a mapped user address with the needed access.
    BadAddress = 9,
    /// The virtual page is already mapped.
    AlreadyMapped = 10,
    /// The virtual page is not mapped.
    NotMapped = 11,
    /// No physical memory is left in the range the capability covers.
    OutOfMemory = 12,
    /// The operation would exceed the caller's quota.
    QuotaExceeded = 13,
    /// The requested frame is not free.
    NotFree = 14,
    /// The other side of the call ended before replying, or there is no
    /// call to reply to.
    NoPartner = 15,
    /// The thread has already been started.
    AlreadyStarted = 16,
    /// A wait's time limit passed.
    TimedOut = 17,
}

impl Error {
    /// Every error, in code order.
    pub const ALL: [Error; 17] = [
        Error::NoSuchCall,
        Error::InvalidArgument,
        Error::BadSlot,
        Error::EmptySlot,
        Error::SlotOccupied,
        Error::WrongType,
        Error::NoRights,
        Error::RightsEscalation,
        Error::BadAddress,
        Error::AlreadyMapped,
        Error::NotMapped,
        Error::OutOfMemory,
        Error::QuotaExceeded,
        Error::NotFree,
        Error::NoPartner,
        Error::AlreadyStarted,
        Error::TimedOut,
    ];

    /// The error for a code returned in `rax` (None for 0 and unknown codes).
    pub fn from_code(code: u64) -> Option<Error> {
        Self::ALL.iter().copied().find(|e| *e as u64 == code)
    }

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Error::NoSuchCall => "no such call",
            Error::InvalidArgument => "invalid argument",
            Error::BadSlot => "bad slot",
            Error::EmptySlot => "empty slot",
            Error::SlotOccupied => "slot occupied",
            Error::WrongType => "wrong capability type",
            Error::NoRights => "insufficient rights",
            Error::RightsEscalation => "rights escalation",
            Error::BadAddress => "bad address",
            Error::AlreadyMapped => "already mapped",
            Error::NotMapped => "not mapped",
            Error::OutOfMemory => "out of memory",
            Error::QuotaExceeded => "quota exceeded",
            Error::NotFree => "frame not free",
            Error::NoPartner => "no partner",
            Error::AlreadyStarted => "already started",
            Error::TimedOut => "timed out",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_zero_is_success() {
        for e in Error::ALL {
            assert_eq!(Error::from_code(e as u64), Some(e));
        }
        assert_eq!(Error::from_code(0), None);
        assert_eq!(Error::from_code(Error::ALL.len() as u64 + 1), None);
    }
}
