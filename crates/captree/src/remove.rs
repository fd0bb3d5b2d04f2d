//! The operations that take capabilities away: `delete` (one capability),
//! `revoke` (everything derived from one) and `destroy_cspace` (every
//! capability in a space, then the space), and the release of an object
//! when its last capability goes.
//!
//! # The deletion rule
//!
//! Deleting a capability never deletes anything else: its children take its
//! place in the tree, becoming children of its parent, or roots if it was a
//! root. So whoever could revoke the deleted capability (an ancestor) can
//! still revoke everything that was derived from it, and a holder cannot
//! escape revocation by deleting the capability it derived from.
//!
//! # Revocation cost
//!
//! `revoke` repeatedly deletes the first child of the revoked capability.
//! Each deletion moves the deleted node's children up to the revoked
//! capability, so every descendant is moved at most once and deleted once:
//! O(descendants) time, no recursion and no extra memory. A revoke can be
//! done in bounded steps with `revoke_some` (the state between steps is an
//! ordinary consistent state), so a kernel can stop to take interrupts.

use crate::tree::{CapData, NodeIdx};
use crate::{
    CSpaceId, CapError, CapSystem, DeletedCap, ObjectId, Released, Removed, RevokeProgress, Rights,
    SlotAddr,
};

impl<K> CapSystem<K> {
    /// Deletes the capability in `slot` (see the module docs for what
    /// happens to its children). If it was the last capability naming its
    /// object, the object leaves the arena and is returned.
    pub fn delete(&mut self, slot: SlotAddr) -> Result<Option<Released<K>>, CapError> {
        let n = self.occupied(slot)?;
        Ok(self.remove_node(n).1)
    }

    /// Deletes every capability derived from the one in `slot`,
    /// recursively, keeping that one. Needs [`Rights::REVOKE`] on it.
    /// Every deleted capability, and every object whose last capability
    /// goes, is reported to `on_removed` (see [`Removed`]). Returns how
    /// many capabilities were deleted.
    pub fn revoke(
        &mut self,
        slot: SlotAddr,
        on_removed: impl FnMut(Removed<K>),
    ) -> Result<usize, CapError> {
        self.revoke_some(slot, usize::MAX, on_removed)
            .map(|p| p.deleted)
    }

    /// Like [`revoke`](Self::revoke), but deletes at most `max`
    /// capabilities; call again until [`RevokeProgress::done`]. Each call
    /// costs O(`max` + children of the deleted capabilities).
    pub fn revoke_some(
        &mut self,
        slot: SlotAddr,
        max: usize,
        mut on_removed: impl FnMut(Removed<K>),
    ) -> Result<RevokeProgress, CapError> {
        let n = self.occupied(slot)?;
        if !self.tree.get(n).cap.rights.contains(Rights::REVOKE) {
            return Err(CapError::NoRight(Rights::REVOKE));
        }
        let mut deleted = 0;
        while deleted < max {
            let Some(child) = self.tree.get(n).first_child else {
                break;
            };
            self.remove_reporting(child, &mut on_removed);
            deleted += 1;
        }
        Ok(RevokeProgress {
            deleted,
            done: self.tree.get(n).first_child.is_none(),
        })
    }

    /// Deletes every capability in the space, by the deletion rule, then
    /// the space itself (its id becomes stale). Reports to `on_removed`
    /// like [`revoke`](Self::revoke). Returns how many capabilities were
    /// deleted. Never allocates.
    pub fn destroy_cspace(
        &mut self,
        cspace: CSpaceId,
        mut on_removed: impl FnMut(Removed<K>),
    ) -> Result<usize, CapError> {
        let mut deleted = 0;
        loop {
            let step = self.destroy_cspace_some(cspace, usize::MAX, &mut on_removed)?;
            deleted += step.deleted;
            if step.done {
                return Ok(deleted);
            }
        }
    }

    /// [`destroy_cspace`](Self::destroy_cspace) in bounded steps: closes
    /// the space (nothing can be put in it any more), deletes at most
    /// `max` of its capabilities (highest slot first), and once it is
    /// empty removes it ([`RevokeProgress::done`]). Between steps the
    /// state is an ordinary consistent one, so the caller may unlock and
    /// deal with what was reported (in a buffer of its own, bounded by
    /// `max`: each deleted capability reports at most two items). Never
    /// allocates.
    pub fn destroy_cspace_some(
        &mut self,
        cspace: CSpaceId,
        max: usize,
        mut on_removed: impl FnMut(Removed<K>),
    ) -> Result<RevokeProgress, CapError> {
        let (index, generation) = (cspace.index(), cspace.generation());
        let space = self
            .cspaces
            .get_mut(index, generation)
            .ok_or(CapError::BadCSpace)?;
        space.close();
        let mut deleted = 0;
        while deleted < max {
            let Some(space) = self.cspaces.get_mut(index, generation) else {
                break;
            };
            let Some((_, n)) = space.last_occupied() else {
                break;
            };
            self.remove_reporting(n, &mut on_removed);
            deleted += 1;
        }
        let empty = self
            .cspaces
            .get(index, generation)
            .is_none_or(|s| s.used() == 0);
        if empty {
            self.cspaces.remove(index, generation);
        }
        Ok(RevokeProgress {
            deleted,
            done: empty,
        })
    }

    fn remove_reporting(&mut self, n: NodeIdx, on_removed: &mut impl FnMut(Removed<K>)) {
        let (cap, released) = self.remove_node(n);
        on_removed(Removed::Cap(DeletedCap {
            slot: cap.slot,
            object: cap.object,
            rights: cap.rights,
            badge: cap.badge,
        }));
        if let Some(released) = released {
            on_removed(Removed::Object(released));
        }
    }

    /// Removes node `n` from the tree and its slot, dropping its object's
    /// count and releasing the object at zero.
    fn remove_node(&mut self, n: NodeIdx) -> (CapData, Option<Released<K>>) {
        let cap = self.tree.remove(n);
        self.set_slot(cap.slot, None);
        let (index, generation) = (cap.object.index(), cap.object.generation());
        let Some(entry) = self.objects.get_mut(index, generation) else {
            return (cap, None);
        };
        entry.caps -= 1;
        if entry.caps > 0 {
            return (cap, None);
        }
        let released = self.objects.remove(index, generation).map(|e| Released {
            id: ObjectId::new(index, generation),
            object: e.value,
        });
        (cap, released)
    }
}
