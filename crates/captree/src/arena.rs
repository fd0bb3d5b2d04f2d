//! [`GenArena`]: a vector of entries addressed by `(index, generation)`,
//! with a free list. Used for objects, capability spaces and capability
//! nodes alike.
//!
//! Removing an entry bumps its generation, so old addresses stop matching.
//! An index whose generation would wrap is retired (never put back on the
//! free list), so a stale address can never match again. Indices are
//! `u32`: when no index is left, [`GenArena::insert`] refuses.

use alloc::vec::Vec;

#[derive(Clone, PartialEq, Eq, Debug)]
enum Entry<T> {
    Live { generation: u32, value: T },
    Free { generation: u32 },
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct GenArena<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> GenArena<T> {
    pub(crate) const fn new() -> Self {
        GenArena {
            entries: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }

    /// Number of live entries.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// True if [`insert`](Self::insert) would succeed.
    pub(crate) fn has_room(&self) -> bool {
        !self.free.is_empty() || self.entries.len() < u32::MAX as usize
    }

    /// Stores `value`, returning its `(index, generation)`, or gives the
    /// value back if no index is left.
    pub(crate) fn insert(&mut self, value: T) -> Result<(u32, u32), T> {
        if let Some(index) = self.free.pop() {
            let slot = &mut self.entries[index as usize];
            let generation = match slot {
                Entry::Free { generation } => *generation,
                // The free list only holds free entries.
                Entry::Live { generation, .. } => *generation,
            };
            *slot = Entry::Live { generation, value };
            self.live += 1;
            return Ok((index, generation));
        }
        let Ok(index) = u32::try_from(self.entries.len()) else {
            return Err(value);
        };
        if index == u32::MAX {
            return Err(value);
        }
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
        let next = generation.checked_add(1);
        let old = core::mem::replace(
            slot,
            Entry::Free {
                generation: next.unwrap_or(u32::MAX),
            },
        );
        self.live -= 1;
        if next.is_some() {
            self.free.push(index);
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
