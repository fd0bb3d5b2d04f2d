//! The reference model of the capability system for the property tests:
//! a flat list of capability records (slot, object, rights, badge, parent
//! record), with every operation written in the most obvious way (linear
//! scans, transitive closure by repeated search). No cleverness, so it can
//! be trusted to say what the real tree should do.

use captree::{CapError, Rights};

/// A slot in the model: (capability-space handle, slot index).
pub type MSlot = (usize, u32);

#[derive(Clone, Debug)]
pub struct MCap {
    pub id: usize,
    pub at: MSlot,
    pub obj: u32,
    pub rights: Rights,
    pub badge: u64,
    pub parent: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Per handle: slot count and whether the space is alive.
    pub spaces: Vec<(u32, bool)>,
    pub caps: Vec<MCap>,
    /// Per model object number: still alive?
    pub objects: Vec<bool>,
    next_cap: usize,
}

/// What a successful operation released (model object numbers, sorted).
pub type Released = Vec<u32>;

/// What a bulk removal reports: the slots of the deleted capabilities
/// (sorted) and the released objects.
pub type Bulk = (Vec<MSlot>, Released);

impl Model {
    pub fn create(&mut self, size: u32) -> usize {
        self.spaces.push((size, true));
        self.spaces.len() - 1
    }

    pub fn cap_at(&self, at: MSlot) -> Option<&MCap> {
        self.caps.iter().find(|c| c.at == at)
    }

    pub fn cap(&self, id: usize) -> &MCap {
        self.caps.iter().find(|c| c.id == id).expect("live cap")
    }

    fn check_slot(&self, at: MSlot) -> Result<Option<usize>, CapError> {
        match self.spaces.get(at.0) {
            Some(&(_, true)) => {}
            _ => return Err(CapError::BadCSpace),
        }
        if at.1 >= self.spaces[at.0].0 {
            return Err(CapError::BadSlot);
        }
        Ok(self.cap_at(at).map(|c| c.id))
    }

    fn src(&self, at: MSlot) -> Result<MCap, CapError> {
        let id = self.check_slot(at)?.ok_or(CapError::EmptySlot)?;
        Ok(self.cap(id).clone())
    }

    fn dst(&self, at: MSlot) -> Result<(), CapError> {
        match self.check_slot(at)? {
            None => Ok(()),
            Some(_) => Err(CapError::SlotOccupied),
        }
    }

    fn derive_check(src: &MCap, rights: Rights) -> Result<(), CapError> {
        if !src.rights.contains(Rights::DERIVE) {
            return Err(CapError::NoRight(Rights::DERIVE));
        }
        if !rights.is_subset_of(src.rights) {
            return Err(CapError::RightsEscalation);
        }
        Ok(())
    }

    fn push(&mut self, at: MSlot, obj: u32, rights: Rights, badge: u64, parent: Option<usize>) {
        let id = self.next_cap;
        self.next_cap += 1;
        self.caps.push(MCap {
            id,
            at,
            obj,
            rights,
            badge,
            parent,
        });
    }

    fn new_object(&mut self) -> u32 {
        self.objects.push(true);
        (self.objects.len() - 1) as u32
    }

    /// Returns the new object's number.
    pub fn insert_root(&mut self, dst: MSlot, rights: Rights) -> Result<u32, CapError> {
        self.dst(dst)?;
        let obj = self.new_object();
        self.push(dst, obj, rights, 0, None);
        Ok(obj)
    }

    pub fn derive_object(
        &mut self,
        parent: MSlot,
        dst: MSlot,
        rights: Rights,
    ) -> Result<u32, CapError> {
        let p = self.src(parent)?;
        self.dst(dst)?;
        Self::derive_check(&p, rights)?;
        let obj = self.new_object();
        self.push(dst, obj, rights, 0, Some(p.id));
        Ok(obj)
    }

    pub fn copy(&mut self, src: MSlot, dst: MSlot) -> Result<(), CapError> {
        let s = self.src(src)?;
        self.dst(dst)?;
        Self::derive_check(&s, s.rights)?;
        self.push(dst, s.obj, s.rights, s.badge, Some(s.id));
        Ok(())
    }

    pub fn mint(
        &mut self,
        src: MSlot,
        dst: MSlot,
        rights: Rights,
        badge: u64,
    ) -> Result<(), CapError> {
        let s = self.src(src)?;
        self.dst(dst)?;
        Self::derive_check(&s, rights)?;
        if s.badge != 0 && badge != s.badge {
            return Err(CapError::BadgeLocked);
        }
        self.push(dst, s.obj, rights, badge, Some(s.id));
        Ok(())
    }

    pub fn mint_granting(
        &mut self,
        src: MSlot,
        dst: MSlot,
        rights: Rights,
        badge: u64,
    ) -> Result<(), CapError> {
        let s = self.src(src)?;
        self.dst(dst)?;
        let needed = Rights::GRANT | Rights::DERIVE;
        if !s.rights.contains(needed) {
            return Err(CapError::NoRight(needed - s.rights));
        }
        self.mint(src, dst, rights, badge)
    }

    pub fn move_cap(&mut self, src: MSlot, dst: MSlot) -> Result<(), CapError> {
        let s = self.src(src)?;
        self.dst(dst)?;
        self.caps
            .iter_mut()
            .find(|c| c.id == s.id)
            .expect("live")
            .at = dst;
        Ok(())
    }

    /// Removes one record: its children go to its parent.
    fn remove(&mut self, id: usize, released: &mut Released) {
        let gone = self.cap(id).clone();
        for c in self.caps.iter_mut() {
            if c.parent == Some(id) {
                c.parent = gone.parent;
            }
        }
        self.caps.retain(|c| c.id != id);
        if !self.caps.iter().any(|c| c.obj == gone.obj) {
            self.objects[gone.obj as usize] = false;
            released.push(gone.obj);
        }
    }

    pub fn delete(&mut self, at: MSlot) -> Result<Released, CapError> {
        let s = self.src(at)?;
        let mut released = Vec::new();
        self.remove(s.id, &mut released);
        Ok(released)
    }

    /// Every record derived from `id`, directly or not.
    pub fn descendants(&self, id: usize) -> Vec<usize> {
        let mut found = vec![id];
        loop {
            let more: Vec<usize> = self
                .caps
                .iter()
                .filter(|c| c.parent.is_some_and(|p| found.contains(&p)) && !found.contains(&c.id))
                .map(|c| c.id)
                .collect();
            if more.is_empty() {
                break;
            }
            found.extend(more);
        }
        found.retain(|&d| d != id);
        found
    }

    pub fn revoke(&mut self, at: MSlot) -> Result<Bulk, CapError> {
        let s = self.src(at)?;
        if !s.rights.contains(Rights::REVOKE) {
            return Err(CapError::NoRight(Rights::REVOKE));
        }
        let doomed = self.descendants(s.id);
        let mut slots: Vec<MSlot> = doomed.iter().map(|&d| self.cap(d).at).collect();
        let mut released = Vec::new();
        for d in &doomed {
            self.remove(*d, &mut released);
        }
        released.sort();
        slots.sort();
        Ok((slots, released))
    }

    pub fn destroy(&mut self, handle: usize) -> Result<Bulk, CapError> {
        match self.spaces.get(handle) {
            Some(&(_, true)) => {}
            _ => return Err(CapError::BadCSpace),
        }
        let size = self.spaces[handle].0;
        let mut released = Vec::new();
        let mut slots = Vec::new();
        for i in 0..size {
            if let Some(c) = self.cap_at((handle, i)) {
                let id = c.id;
                self.remove(id, &mut released);
                slots.push((handle, i));
            }
        }
        self.spaces[handle].1 = false;
        released.sort();
        Ok((slots, released))
    }

    pub fn live_objects(&self) -> usize {
        self.objects.iter().filter(|&&a| a).count()
    }
}
