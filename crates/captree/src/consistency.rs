//! [`CapSystem::check_consistency`]: walks the whole state and checks every
//! structural invariant (slots and nodes agree, tree links agree, no cycles,
//! object counts are exact, rights and badges only narrow down the tree).
//! For tests and for a kernel's debug self-check; O(capabilities × depth).

use alloc::collections::BTreeMap;

use crate::{CSpaceId, CapSystem, SlotAddr};

/// The first broken invariant found, as a fixed description.
pub type Inconsistency = &'static str;

impl<K> CapSystem<K> {
    /// Checks every invariant of the system; `Err` names the first broken
    /// one. A correct implementation never returns `Err`.
    pub fn check_consistency(&self) -> Result<(), Inconsistency> {
        self.check_slots()?;
        self.check_links()?;
        self.check_objects()
    }

    fn check_slots(&self) -> Result<(), Inconsistency> {
        let mut referenced = 0usize;
        for (ci, cg, space) in self.cspaces.iter() {
            let cspace = CSpaceId::new(ci, cg);
            let mut used = 0;
            for (i, n) in space.occupied() {
                used += 1;
                let node = self.tree.try_get(n).ok_or("slot names a free node")?;
                if node.cap.slot != SlotAddr::new(cspace, i) {
                    return Err("node's slot address does not point back");
                }
                if i >= space.backed() {
                    return Err("a filled slot lies past the high mark");
                }
                referenced += 1;
            }
            if !space.bits_agree() {
                return Err("a space's occupancy bits disagree with its slots");
            }
            if used != space.used() {
                return Err("a space's count of capabilities is wrong");
            }
        }
        if referenced != self.tree.len() {
            return Err("a capability sits in no slot");
        }
        Ok(())
    }

    fn check_links(&self) -> Result<(), Inconsistency> {
        let live = |n| self.tree.try_get(n).ok_or("link names a free node");
        for (n, node) in self.tree.iter() {
            match node.parent {
                None => {
                    if node.prev.is_some() || node.next.is_some() {
                        return Err("root is linked to siblings");
                    }
                }
                Some(p) => {
                    let parent = live(p)?;
                    if node.prev.is_none() && parent.first_child != Some(n) {
                        return Err("first sibling is not its parent's first child");
                    }
                    if !node.cap.rights.is_subset_of(parent.cap.rights) {
                        return Err("child has rights its parent lacks");
                    }
                    if node.cap.object == parent.cap.object
                        && parent.cap.badge != 0
                        && node.cap.badge != parent.cap.badge
                    {
                        return Err("child of a badged capability has another badge");
                    }
                }
            }
            if let Some(p) = node.prev {
                let prev = live(p)?;
                if prev.next != Some(n) || prev.parent != node.parent {
                    return Err("prev link disagrees");
                }
            }
            if let Some(x) = node.next {
                let next = live(x)?;
                if next.prev != Some(n) || next.parent != node.parent {
                    return Err("next link disagrees");
                }
            }
            if let Some(c) = node.first_child {
                let child = live(c)?;
                if child.parent != Some(n) || child.prev.is_some() {
                    return Err("first child link disagrees");
                }
            }
            // No cycle: the parent chain ends within `len` steps.
            let mut up = node.parent;
            let mut steps = 0usize;
            while let Some(p) = up {
                steps += 1;
                if steps > self.tree.len() {
                    return Err("parent chain has a cycle");
                }
                up = live(p)?.parent;
            }
        }
        Ok(())
    }

    fn check_objects(&self) -> Result<(), Inconsistency> {
        let mut counts: BTreeMap<(u32, u32), usize> = BTreeMap::new();
        for (_, node) in self.tree.iter() {
            let id = node.cap.object;
            if self.objects.get(id.index(), id.generation()).is_none() {
                return Err("capability names a released object");
            }
            *counts.entry((id.index(), id.generation())).or_default() += 1;
        }
        for (i, g, entry) in self.objects.iter() {
            if entry.caps == 0 {
                return Err("object with no capability left in the arena");
            }
            if counts.get(&(i, g)) != Some(&entry.caps) {
                return Err("object's capability count is wrong");
            }
        }
        Ok(())
    }
}
