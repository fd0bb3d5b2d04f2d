//! [`CapSystem`]: owns every capability space, the derivation tree and the
//! object arena; creating spaces, and every read-only query (identify,
//! lookup, tree navigation, counts). The operations that change
//! capabilities live in `derive` and `remove`.

use crate::arena::GenArena;
use crate::cspace::{CSpace, MAX_CSPACE_SLOTS};
use crate::object::ObjectEntry;
use crate::tree::{NodeIdx, Tree};
use crate::{CSpaceId, CapError, ObjectId, Rights, SlotAddr};

/// All capability state of one kernel: capability spaces, the derivation
/// tree and the objects capabilities name, generic over the object type
/// `K` (the kernel's enum of object kinds).
///
/// Invariants kept by every operation (and checked by
/// [`check_consistency`](Self::check_consistency)):
///
/// * every capability sits in exactly one slot, and every object in the
///   arena is named by at least one capability: the arena holds an object
///   exactly as long as some capability names it;
/// * a capability's rights are a subset of its parent's, and a child of a
///   badged capability naming the same object has the same badge;
/// * a refused operation changes nothing.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CapSystem<K> {
    pub(crate) cspaces: GenArena<CSpace>,
    pub(crate) objects: GenArena<ObjectEntry<K>>,
    pub(crate) tree: Tree,
}

/// What [`CapSystem::identify`] tells about a capability.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Identity<'a, K> {
    /// The object it names.
    pub object: ObjectId,
    /// The object itself (its kind and the kernel's data about it, e.g. a
    /// frame's physical address).
    pub kind: &'a K,
    /// The rights it carries.
    pub rights: Rights,
    /// Its badge; 0 means unbadged.
    pub badge: u64,
}

impl<K> Default for CapSystem<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K> CapSystem<K> {
    /// An empty system: no capability spaces, no objects.
    pub const fn new() -> Self {
        CapSystem {
            cspaces: GenArena::new(),
            objects: GenArena::new(),
            tree: Tree::new(),
        }
    }

    /// Creates a capability space of `slots` empty slots
    /// (`1..=MAX_CSPACE_SLOTS`, else [`CapError::BadSize`]). Memory for
    /// the slots is only taken as they are filled (see
    /// [`cspace_backed`](Self::cspace_backed)).
    pub fn create_cspace(&mut self, slots: u32) -> Result<CSpaceId, CapError> {
        if slots == 0 || slots > MAX_CSPACE_SLOTS {
            return Err(CapError::BadSize);
        }
        let (index, generation) = self
            .cspaces
            .insert(CSpace::new(slots))
            .map_err(|_| CapError::Exhausted)?;
        Ok(CSpaceId::new(index, generation))
    }

    /// The number of slots of a capability space.
    pub fn cspace_size(&self, cspace: CSpaceId) -> Result<u32, CapError> {
        Ok(self.space(cspace)?.size())
    }

    /// How many slots of a capability space are backed by memory: one
    /// past the highest slot ever filled (0 for a space never used), never
    /// more than its size. Slots from here on are empty and cost nothing.
    pub fn cspace_backed(&self, cspace: CSpaceId) -> Result<u32, CapError> {
        Ok(self.space(cspace)?.backed())
    }

    /// The indices of the occupied slots of a capability space, in order.
    pub fn occupied_slots(
        &self,
        cspace: CSpaceId,
    ) -> Result<impl Iterator<Item = u32> + '_, CapError> {
        Ok(self.space(cspace)?.occupied().map(|(i, _)| i))
    }

    /// Number of live capability spaces.
    pub fn cspace_count(&self) -> usize {
        self.cspaces.len()
    }

    /// Number of capabilities in all spaces.
    pub fn cap_count(&self) -> usize {
        self.tree.len()
    }

    /// Number of objects in the arena (each named by at least one
    /// capability).
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// The object `id`, or [`CapError::StaleObject`].
    pub fn object(&self, id: ObjectId) -> Result<&K, CapError> {
        self.objects
            .get(id.index(), id.generation())
            .map(|e| &e.value)
            .ok_or(CapError::StaleObject)
    }

    /// The object `id` for changing the kernel's data in it.
    pub fn object_mut(&mut self, id: ObjectId) -> Result<&mut K, CapError> {
        self.objects
            .get_mut(id.index(), id.generation())
            .map(|e| &mut e.value)
            .ok_or(CapError::StaleObject)
    }

    /// How many capabilities name object `id`.
    pub fn cap_count_of(&self, id: ObjectId) -> Result<usize, CapError> {
        self.objects
            .get(id.index(), id.generation())
            .map(|e| e.caps)
            .ok_or(CapError::StaleObject)
    }

    /// What the capability in `slot` is: the object it names, the object
    /// itself, its rights and badge.
    pub fn identify(&self, slot: SlotAddr) -> Result<Identity<'_, K>, CapError> {
        let n = self.occupied(slot)?;
        let cap = &self.tree.get(n).cap;
        let entry = self
            .objects
            .get(cap.object.index(), cap.object.generation())
            .ok_or(CapError::StaleObject)?;
        Ok(Identity {
            object: cap.object,
            kind: &entry.value,
            rights: cap.rights,
            badge: cap.badge,
        })
    }

    /// Like [`identify`](Self::identify), but refuses with
    /// [`CapError::NoRight`] (naming the missing rights) unless the
    /// capability has every right in `needed`. The kernel's check before
    /// using a capability.
    pub fn lookup(&self, slot: SlotAddr, needed: Rights) -> Result<Identity<'_, K>, CapError> {
        let id = self.identify(slot)?;
        let missing = needed.difference(id.rights);
        if missing.is_empty() {
            Ok(id)
        } else {
            Err(CapError::NoRight(missing))
        }
    }

    /// The slot of the capability this one was derived from (after
    /// deletions: its nearest surviving ancestor), or `None` for a root.
    pub fn parent_of(&self, slot: SlotAddr) -> Result<Option<SlotAddr>, CapError> {
        let n = self.occupied(slot)?;
        Ok(self.tree.get(n).parent.map(|p| self.tree.get(p).cap.slot))
    }

    /// The slots of the capabilities derived directly from this one,
    /// newest first.
    pub fn children_of(
        &self,
        slot: SlotAddr,
    ) -> Result<impl Iterator<Item = SlotAddr> + '_, CapError> {
        let n = self.occupied(slot)?;
        Ok(self
            .tree
            .children(n)
            .map(move |c| self.tree.get(c).cap.slot))
    }

    pub(crate) fn space(&self, cspace: CSpaceId) -> Result<&CSpace, CapError> {
        self.cspaces
            .get(cspace.index(), cspace.generation())
            .ok_or(CapError::BadCSpace)
    }

    /// The content of a valid slot (`BadCSpace`/`BadSlot` otherwise).
    pub(crate) fn slot_content(&self, slot: SlotAddr) -> Result<Option<NodeIdx>, CapError> {
        self.space(slot.cspace)?.get(slot.index)
    }

    /// The node in a slot that must be occupied (`EmptySlot` otherwise).
    pub(crate) fn occupied(&self, slot: SlotAddr) -> Result<NodeIdx, CapError> {
        self.slot_content(slot)?.ok_or(CapError::EmptySlot)
    }

    /// Checks that a slot exists and is empty (`SlotOccupied` otherwise).
    pub(crate) fn vacant(&self, slot: SlotAddr) -> Result<(), CapError> {
        match self.slot_content(slot)? {
            None => Ok(()),
            Some(_) => Err(CapError::SlotOccupied),
        }
    }

    /// Capabilities in a capability space.
    pub fn cspace_used(&self, cspace: CSpaceId) -> Result<u32, CapError> {
        Ok(self.space(cspace)?.used())
    }

    /// Gets memory for filling a slot already checked to exist and be
    /// empty (`Exhausted` if there is none; `BadCSpace` if the space is
    /// being destroyed). Only spare capacity changes on refusal.
    pub(crate) fn reserve_slot(&mut self, slot: SlotAddr) -> Result<(), CapError> {
        self.cspaces
            .get_mut(slot.cspace.index(), slot.cspace.generation())
            .ok_or(CapError::BadCSpace)?
            .reserve(slot.index)
    }

    /// Writes a slot already checked to exist.
    pub(crate) fn set_slot(&mut self, slot: SlotAddr, content: Option<NodeIdx>) {
        if let Some(space) = self
            .cspaces
            .get_mut(slot.cspace.index(), slot.cspace.generation())
        {
            space.set(slot.index, content);
        }
    }
}
