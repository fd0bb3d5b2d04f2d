//! What removals report back: [`Released`] (an object whose last
//! capability went), [`DeletedCap`] (a capability deleted in bulk), and
//! [`Removed`], the stream of both that `revoke` and `destroy_cspace`
//! produce.

use crate::{ObjectId, Rights, SlotAddr};

/// An object whose last capability was deleted. It has left the arena and
/// its id is stale; the caller now owns the value and frees what it holds.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Released<K> {
    /// The id it had.
    pub id: ObjectId,
    /// The object.
    pub object: K,
}

/// A capability deleted by a bulk removal, as it was just before. The
/// kernel uses it to undo what was bound through that capability (e.g. the
/// mappings made with a frame capability), even when the object lives on.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct DeletedCap {
    /// The slot it was in (now empty).
    pub slot: SlotAddr,
    /// The object it named.
    pub object: ObjectId,
    /// Its rights.
    pub rights: Rights,
    /// Its badge.
    pub badge: u64,
}

/// One event of a bulk removal. Every deleted capability is reported as
/// [`Removed::Cap`]; if it was its object's last capability, a
/// [`Removed::Object`] for that object follows immediately.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Removed<K> {
    /// A capability was deleted.
    Cap(DeletedCap),
    /// An object was released.
    Object(Released<K>),
}

/// How far a bounded revoke ([`revoke_some`](crate::CapSystem::revoke_some))
/// got.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct RevokeProgress {
    /// Capabilities deleted by this call.
    pub deleted: usize,
    /// True when nothing derived from the capability is left.
    pub done: bool,
}
