//! [`SlotError`]: every way building a slot vector or driving the
//! scheduler can be refused. A refused call changes nothing.

use core::fmt;

use crate::EnvId;

/// Why a request was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum SlotError {
    /// No entries were given.
    Empty,
    /// A vector of length 0 was asked for.
    ZeroLength,
    /// The length is above [`MAX_SLOTS`](crate::MAX_SLOTS).
    TooLong,
    /// This environment was given weight 0.
    ZeroWeight(EnvId),
    /// This environment appears twice.
    DuplicateEnv(EnvId),
    /// The weights add up to more than `u32::MAX`.
    WeightOverflow,
    /// The scheduler does not know this environment.
    UnknownEnv(EnvId),
    /// This environment is not runnable.
    NotRunnable(EnvId),
    /// Nothing is running, so there is nothing to donate.
    NothingRunning,
    /// This environment already has a real-time reservation.
    AlreadyRealtime(EnvId),
    /// A real-time reservation needs `0 < budget <= period`.
    BadReservation,
    /// Admitting the reservation would exceed the real-time limit.
    Overload,
}

impl fmt::Display for SlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlotError::Empty => f.write_str("no environments given"),
            SlotError::ZeroLength => f.write_str("slot vector length is 0"),
            SlotError::TooLong => f.write_str("slot vector too long"),
            SlotError::ZeroWeight(e) => write!(f, "{e} has weight 0"),
            SlotError::DuplicateEnv(e) => write!(f, "{e} given twice"),
            SlotError::WeightOverflow => f.write_str("weights add up to more than u32::MAX"),
            SlotError::UnknownEnv(e) => write!(f, "{e} is unknown to the scheduler"),
            SlotError::NotRunnable(e) => write!(f, "{e} is not runnable"),
            SlotError::NothingRunning => f.write_str("nothing is running"),
            SlotError::AlreadyRealtime(e) => write!(f, "{e} already has a reservation"),
            SlotError::BadReservation => f.write_str("reservation needs 0 < budget <= period"),
            SlotError::Overload => f.write_str("real-time limit exceeded"),
        }
    }
}
