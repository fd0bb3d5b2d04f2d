//! The operations that add or move capabilities: `insert_root` and
//! `derive_object` (a new object with its first capability), `copy`,
//! `mint` and `mint_granting` (a child capability naming the same object),
//! and `move_cap`.
//!
//! Each checks everything first and only then changes state, so a refusal
//! leaves the system exactly as it was.

use crate::object::ObjectEntry;
use crate::tree::{CapData, NodeIdx};
use crate::{CapError, CapSystem, ObjectId, Rights, RootError, SlotAddr};

impl<K> CapSystem<K> {
    /// Puts a new object in the arena with its original capability, a
    /// root of the derivation tree, in the empty slot `dst`. Returns the
    /// object's id; on refusal the object comes back in the error.
    pub fn insert_root(
        &mut self,
        dst: SlotAddr,
        object: K,
        rights: Rights,
    ) -> Result<ObjectId, RootError<K>> {
        if let Err(error) = self.vacant(dst) {
            return Err(RootError { error, object });
        }
        self.add_object(None, dst, object, rights)
    }

    /// Like [`insert_root`](Self::insert_root), but the new object's
    /// capability is a child of the capability in `parent` (which needs
    /// [`Rights::DERIVE`]; `rights` must be a subset of its rights, the
    /// badge is 0). Revoking `parent` therefore deletes it and every
    /// capability derived from it, and releases the object: the way to
    /// make objects out of a resource (frames out of untyped memory, say)
    /// that the resource's holder can take back.
    pub fn derive_object(
        &mut self,
        parent: SlotAddr,
        dst: SlotAddr,
        object: K,
        rights: Rights,
    ) -> Result<ObjectId, RootError<K>> {
        let checked = self
            .occupied(parent)
            .and_then(|p| self.vacant(dst).map(|()| p))
            .and_then(|p| {
                let src = self.tree.get(p).cap;
                check_derive(src.rights, rights).map(|()| p)
            });
        match checked {
            Ok(p) => self.add_object(Some(p), dst, object, rights),
            Err(error) => Err(RootError { error, object }),
        }
    }

    /// Copies the capability in `src` to the empty slot `dst`: same object,
    /// rights and badge, derived from (a child of) `src`. Needs
    /// [`Rights::DERIVE`] on `src`.
    pub fn copy(&mut self, src: SlotAddr, dst: SlotAddr) -> Result<(), CapError> {
        let s = self.occupied(src)?;
        self.vacant(dst)?;
        let cap = self.tree.get(s).cap;
        check_derive(cap.rights, cap.rights)?;
        self.add_child(s, CapData { slot: dst, ..cap })
    }

    /// Makes a child of the capability in `src` in the empty slot `dst`
    /// with `rights` (a subset of `src`'s, else
    /// [`CapError::RightsEscalation`]) and `badge`. An unbadged (badge 0)
    /// source may be given any badge; a badged source only its own badge
    /// (else [`CapError::BadgeLocked`]), so whoever holds a badged
    /// capability cannot forge another badge. Needs [`Rights::DERIVE`] on
    /// `src`.
    pub fn mint(
        &mut self,
        src: SlotAddr,
        dst: SlotAddr,
        rights: Rights,
        badge: u64,
    ) -> Result<(), CapError> {
        let s = self.occupied(src)?;
        self.vacant(dst)?;
        let cap = self.tree.get(s).cap;
        check_derive(cap.rights, rights)?;
        if cap.badge != 0 && badge != cap.badge {
            return Err(CapError::BadgeLocked);
        }
        self.add_child(
            s,
            CapData {
                object: cap.object,
                rights,
                badge,
                slot: dst,
            },
        )
    }

    /// [`mint`](Self::mint) for handing a capability to someone else: the
    /// source also needs [`Rights::GRANT`] (besides [`Rights::DERIVE`]).
    /// `dst` is usually in another capability space; the new capability is
    /// a child of `src` like any mint, so revoking `src` (or an ancestor)
    /// takes it back. A source lacking either right is refused with
    /// [`CapError::NoRight`] naming every missing one, after the slot
    /// checks and before the rights and badge checks.
    pub fn mint_granting(
        &mut self,
        src: SlotAddr,
        dst: SlotAddr,
        rights: Rights,
        badge: u64,
    ) -> Result<(), CapError> {
        let s = self.occupied(src)?;
        self.vacant(dst)?;
        let missing = Rights::GRANT
            .union(Rights::DERIVE)
            .difference(self.tree.get(s).cap.rights);
        if !missing.is_empty() {
            return Err(CapError::NoRight(missing));
        }
        self.mint(src, dst, rights, badge)
    }

    /// Moves the capability in `src` to the empty slot `dst`. It keeps its
    /// rights, badge and place in the derivation tree; `src` becomes empty.
    /// Needs no right (the kernel decides who may move between spaces).
    pub fn move_cap(&mut self, src: SlotAddr, dst: SlotAddr) -> Result<(), CapError> {
        let n = self.occupied(src)?;
        self.vacant(dst)?;
        self.reserve_slot(dst)?;
        self.set_slot(src, None);
        self.set_slot(dst, Some(n));
        self.tree.set_slot(n, dst);
        Ok(())
    }

    /// Adds a child capability naming an existing object; checks done.
    fn add_child(&mut self, parent: NodeIdx, cap: CapData) -> Result<(), CapError> {
        self.reserve_slot(cap.slot)?;
        if !self.tree.reserve() {
            return Err(CapError::Exhausted);
        }
        let n = self.tree.add(cap, Some(parent));
        if let Some(entry) = self
            .objects
            .get_mut(cap.object.index(), cap.object.generation())
        {
            entry.caps += 1;
        }
        self.set_slot(cap.slot, Some(n));
        Ok(())
    }

    /// Adds a new object and its first capability; slot checks done.
    fn add_object(
        &mut self,
        parent: Option<NodeIdx>,
        dst: SlotAddr,
        object: K,
        rights: Rights,
    ) -> Result<ObjectId, RootError<K>> {
        if let Err(error) = self.reserve_slot(dst) {
            return Err(RootError { error, object });
        }
        if !self.tree.reserve() || !self.objects.reserve() {
            return Err(RootError {
                error: CapError::Exhausted,
                object,
            });
        }
        let (index, generation) = match self.objects.insert(ObjectEntry {
            value: object,
            caps: 1,
        }) {
            Ok(at) => at,
            Err(entry) => {
                return Err(RootError {
                    error: CapError::Exhausted,
                    object: entry.value,
                })
            }
        };
        let id = ObjectId::new(index, generation);
        let cap = CapData {
            object: id,
            rights,
            badge: 0,
            slot: dst,
        };
        let n = self.tree.add(cap, parent);
        self.set_slot(dst, Some(n));
        Ok(id)
    }
}

/// The rights checks shared by every derivation: the source must have
/// [`Rights::DERIVE`], and the new rights must be a subset of its rights.
fn check_derive(source: Rights, wanted: Rights) -> Result<(), CapError> {
    if !source.contains(Rights::DERIVE) {
        return Err(CapError::NoRight(Rights::DERIVE));
    }
    if !wanted.is_subset_of(source) {
        return Err(CapError::RightsEscalation);
    }
    Ok(())
}
