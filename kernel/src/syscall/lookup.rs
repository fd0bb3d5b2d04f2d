//! The one typed capability lookup: `lookup::<Endpoint>(me, slot, rights)`
//! finds the capability in the caller's slot, checks its rights, then its
//! type, and gives back what the call needs of the object. The checks go in
//! that order everywhere (`BadSlot`, `EmptySlot`, `NoRights`, then
//! `WrongType`).

use alloc::sync::Arc;

use captree::{CapSystem, ObjectId, Rights, SlotAddr};

use super::{slot, Caller, Error, KObject, CAPS};
use crate::cap;
use crate::object::{self, PortRange};

/// An object type a capability can name, and what a call reads of it.
pub(super) trait Kind: Sized {
    /// The object's data, or None if it is of another type.
    fn of(object: &KObject, badge: u64) -> Option<Self>;
}

/// What a lookup found: the object's data and the capability's.
pub(super) struct Found<K> {
    /// The object's data.
    pub kind: K,
    /// The object's id.
    pub object: ObjectId,
    /// The capability's rights.
    pub rights: Rights,
}

/// The capability in `at`, which must have `needed` and name a `K`.
pub(super) fn lookup_in<K: Kind>(
    caps: &CapSystem<KObject>,
    at: SlotAddr,
    needed: Rights,
) -> Result<Found<K>, Error> {
    let id = caps.lookup(at, needed).map_err(cap::error)?;
    Ok(Found {
        kind: K::of(id.kind, id.badge).ok_or(Error::WrongType)?,
        object: id.object,
        rights: id.rights,
    })
}

/// The capability in the caller's slot `s` (an argument register), which
/// must have `needed` and name a `K`.
pub(super) fn lookup<K: Kind>(me: &Caller, s: u64, needed: Rights) -> Result<K, Error> {
    let at = slot(me, s)?;
    lookup_in(&CAPS.lock(), at, needed).map(|f| f.kind)
}

/// An endpoint, and the badge of the capability it was reached by.
pub(super) struct Endpoint {
    pub ep: Arc<object::Endpoint>,
    pub badge: u64,
}

impl Kind for Endpoint {
    fn of(object: &KObject, badge: u64) -> Option<Self> {
        match object {
            KObject::Endpoint(ep) => Some(Endpoint {
                ep: ep.clone(),
                badge,
            }),
            _ => None,
        }
    }
}

/// A notification.
pub(super) struct Notification(pub Arc<object::Notification>);

impl Kind for Notification {
    fn of(object: &KObject, _badge: u64) -> Option<Self> {
        match object {
            KObject::Notification(n) => Some(Notification(n.clone())),
            _ => None,
        }
    }
}

/// Declares a kind whose data is one field of its `KObject` variant.
macro_rules! one_field_kind {
    ($(#[$doc:meta])* $kind:ident = $variant:ident { $field:ident }) => {
        $(#[$doc])*
        pub(super) struct $kind(pub u32);

        impl Kind for $kind {
            fn of(object: &KObject, _badge: u64) -> Option<Self> {
                match *object {
                    KObject::$variant { $field, .. } => Some($kind($field)),
                    _ => None,
                }
            }
        }
    };
}

one_field_kind!(
    /// A thread: its environment.
    Thread = Thread { env }
);
one_field_kind!(
    /// An address space: its environment.
    AddressSpace = AddressSpace { env }
);
one_field_kind!(
    /// A capability space: its environment.
    CSpace = CSpace { env }
);
one_field_kind!(
    /// An interrupt line: its GSI.
    Irq = Irq { gsi }
);

/// A range of I/O ports.
pub(super) struct IoPorts(pub PortRange);

impl Kind for IoPorts {
    fn of(object: &KObject, _badge: u64) -> Option<Self> {
        match *object {
            KObject::IoPorts(range) => Some(IoPorts(range)),
            _ => None,
        }
    }
}

/// Memory frames can be allocated from: `[base, end)`, searched from
/// `cursor`.
pub(super) struct Memory {
    pub base: u64,
    pub end: u64,
    pub cursor: u64,
}

impl Kind for Memory {
    fn of(object: &KObject, _badge: u64) -> Option<Self> {
        match *object {
            KObject::Memory { base, end, cursor } => Some(Memory { base, end, cursor }),
            _ => None,
        }
    }
}

/// The kernel's own controls.
pub(super) struct Control;

impl Kind for Control {
    fn of(object: &KObject, _badge: u64) -> Option<Self> {
        matches!(object, KObject::Control).then_some(Control)
    }
}
