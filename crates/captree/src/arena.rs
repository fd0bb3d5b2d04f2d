//! [`GenArena`]: a vector of entries addressed by `(index, generation)`,
//! with a free list. Used for objects, capability spaces and capability
//! nodes alike.
//!
//! Removing an entry bumps its generation, so old addresses stop matching.
//! An index whose generation would wrap is retired (never put back on the
//! free list), so a stale address can never match again. Indices are
//! `u32`: when no index is left, [`GenArena::insert`] refuses.
//!
//! The free list is threaded through the free entries themselves, so
//! removing never allocates (tearing things down must never need memory);
//! inserting may grow the vector, fallibly.

use alloc::vec::Vec;

#[derive(Clone, PartialEq, Eq, Debug)]
enum Entry<T> {
    Live {
        generation: u32,
        value: T,
    },
    /// `next`: the next free entry's index ([`NONE`] ends the list).
    Free {
        generation: u32,
        next: u32,
    },
}

/// The end of the free list.
const NONE: u32 = u32::MAX;

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct GenArena<T> {
    entries: Vec<Entry<T>>,
    /// The first free entry, or [`NONE`].
    free: u32,
    live: usize,
}

impl<T> GenArena<T> {
    pub(crate) const fn new() -> Self {
        GenArena {
            entries: Vec::new(),
            free: NONE,
            live: 0,
        }
    }

    /// Number of live entries.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Makes sure [`insert`](Self::insert) succeeds without allocating:
    /// false if no index or no memory is left.
    pub(crate) fn reserve(&mut self) -> bool {
        if self.free != NONE {
            return true;
        }
        self.entries.len() < (u32::MAX - 1) as usize && self.entries.try_reserve(1).is_ok()
    }

    /// Stores `value`, returning its `(index, generation)`, or gives the
    /// value back if no index or no memory is left.
    pub(crate) fn insert(&mut self, value: T) -> Result<(u32, u32), T> {
        if self.free != NONE {
            let index = self.free;
            let slot = &mut self.entries[index as usize];
            let (generation, next) = match slot {
                Entry::Free { generation, next } => (*generation, *next),
                // The free list only holds free entries.
                Entry::Live { .. } => return Err(value),
            };
            *slot = Entry::Live { generation, value };
            self.free = next;
            self.live += 1;
            return Ok((index, generation));
        }
        if !self.reserve() {
            return Err(value);
        }
        let index = self.entries.len() as u32;
        self.entries.push(Entry::Live {
            generation: 0,
            value,
        });
        self.live += 1;
        Ok((index, 0))
    }

    pub(crate) fn get(&self, index: u32, generation: u32) -> Option<&T> {
        match self.entries.get(index as usize)? {
            Entry::Live {
                generation: g,
                value,
            } if *g == generation => Some(value),
            _ => None,
        }
    }

    pub(crate) fn get_mut(&mut self, index: u32, generation: u32) -> Option<&mut T> {
        match self.entries.get_mut(index as usize)? {
            Entry::Live {
                generation: g,
                value,
            } if *g == generation => Some(value),
            _ => None,
        }
    }

    /// Removes and returns the entry, making its address stale.
    pub(crate) fn remove(&mut self, index: u32, generation: u32) -> Option<T> {
        let slot = self.entries.get_mut(index as usize)?;
        match slot {
            Entry::Live { generation: g, .. } if *g == generation => {}
            _ => return None,
        }
        let bumped = generation.checked_add(1);
        let old = core::mem::replace(
            slot,
            Entry::Free {
                generation: bumped.unwrap_or(u32::MAX),
                next: if bumped.is_some() { self.free } else { NONE },
            },
        );
        self.live -= 1;
        if bumped.is_some() {
            self.free = index;
        }
        match old {
            Entry::Live { value, .. } => Some(value),
            Entry::Free { .. } => None,
        }
    }

    /// Every live entry with its address, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Entry::Live { generation, value } => Some((i as u32, *generation, value)),
                Entry::Free { .. } => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_after_remove_and_reuse() {
        let mut a = GenArena::new();
        let (i, g) = a.insert(7).unwrap();
        assert_eq!(a.remove(i, g), Some(7));
        assert_eq!(a.get(i, g), None);
        let (i2, g2) = a.insert(8).unwrap();
        assert_eq!(i2, i);
        assert_ne!(g2, g);
        assert_eq!(a.get(i, g), None);
        assert_eq!(a.get(i2, g2), Some(&8));
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn wrapped_generation_retires_index() {
        let mut a = GenArena::new();
        let (i, _) = a.insert(1).unwrap();
        // Force the last generation.
        a.entries[i as usize] = Entry::Live {
            generation: u32::MAX,
            value: 1,
        };
        assert_eq!(a.remove(i, u32::MAX), Some(1));
        let (i2, g2) = a.insert(2).unwrap();
        assert_ne!(i2, i, "retired index must not come back");
        assert_eq!(g2, 0);
        assert_eq!(a.get(i, u32::MAX), None);
    }
}
