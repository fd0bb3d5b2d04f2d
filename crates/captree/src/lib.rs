//! Capability spaces and the capability derivation tree of the ExoV6
//! kernel (seL4-like, minimal), generic over the kernel's object type.
//!
//! A [`CapSystem<K>`] owns three things:
//!
//! * **capability spaces** ([`CSpaceId`]): per-environment tables with a
//!   fixed number of slots, backed by memory only up to the highest slot
//!   ever filled (a space of 65536 slots that uses ten costs ten); a slot
//!   is addressed by [`SlotAddr`];
//! * **the derivation tree**: every capability (object id, [`Rights`],
//!   badge) is a node whose parent is the capability it was derived from;
//! * **the object arena**: objects of type `K`, named by [`ObjectId`]
//!   (index + generation, so stale ids are detected), each counted by the
//!   capabilities naming it. An object is handed back as [`Released`]
//!   exactly when its last capability is deleted; bulk removals also
//!   report every deleted capability ([`Removed`]), so the kernel can undo
//!   what was bound through it.
//!
//! Operations: [`insert_root`](CapSystem::insert_root),
//! [`derive_object`](CapSystem::derive_object), [`copy`](CapSystem::copy),
//! [`mint`](CapSystem::mint), [`mint_granting`](CapSystem::mint_granting),
//! [`move_cap`](CapSystem::move_cap),
//! [`delete`](CapSystem::delete), [`revoke`](CapSystem::revoke) (and
//! [`revoke_some`](CapSystem::revoke_some), in bounded steps),
//! [`identify`](CapSystem::identify), [`lookup`](CapSystem::lookup),
//! [`create_cspace`](CapSystem::create_cspace),
//! [`destroy_cspace`](CapSystem::destroy_cspace). Every error is a
//! [`CapError`] value and leaves the state unchanged; no input makes any
//! operation panic. Deleting a capability re-attaches its children to its
//! parent, or makes them roots if it was a root (so deleting never escapes
//! revocation); revoke is iterative and O(descendants).
//!
//! ```
//! use captree::{CapSystem, Removed, Rights, SlotAddr};
//!
//! let mut caps: CapSystem<&str> = CapSystem::new();
//! let a = caps.create_cspace(8).unwrap();
//! let b = caps.create_cspace(8).unwrap();
//! let root = SlotAddr::new(a, 0);
//! let frame = caps.insert_root(root, "frame", Rights::ALL).unwrap();
//!
//! // Give B a read-only, badged copy.
//! let given = SlotAddr::new(b, 3);
//! caps.mint(root, given, Rights::READ | Rights::MAP, 42).unwrap();
//! let id = caps.identify(given).unwrap();
//! assert_eq!((id.object, *id.kind, id.badge), (frame, "frame", 42));
//!
//! // Take it back.
//! let mut removed = Vec::new();
//! assert_eq!(caps.revoke(root, |r| removed.push(r)).unwrap(), 1);
//! assert!(caps.identify(given).is_err());
//! // One capability went; no object (the root still names the frame).
//! assert!(matches!(&removed[..], [Removed::Cap(c)] if c.slot == given));
//!
//! // Deleting the last capability releases the object.
//! let gone = caps.delete(root).unwrap().unwrap();
//! assert_eq!((gone.id, gone.object), (frame, "frame"));
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod arena;
mod consistency;
mod cspace;
mod derive;
mod error;
mod ids;
mod object;
mod remove;
mod report;
mod system;
mod tree;

/// The rights a capability carries: the ABI's one definition.
///
/// Only [`Rights::DERIVE`] and [`Rights::REVOKE`] are checked by this crate
/// (by [`copy`](crate::CapSystem::copy), [`mint`](crate::CapSystem::mint),
/// [`derive_object`](crate::CapSystem::derive_object) and
/// [`revoke`](crate::CapSystem::revoke)). The others are carried for the
/// kernel, which checks them when a capability is used (see
/// [`lookup`](crate::CapSystem::lookup)).
pub use abi::Rights;
pub use consistency::Inconsistency;
pub use cspace::MAX_CSPACE_SLOTS;
pub use error::{CapError, RootError};
pub use ids::{CSpaceId, ObjectId, SlotAddr};
pub use report::{DeletedCap, Released, Removed, RevokeProgress};
pub use system::{CapSystem, Identity};
