//! [`CSpace`]: one environment's table of capability slots, fixed in size
//! when it is created. A slot holds nothing or the tree node of one
//! capability.
//!
//! The table is backed lazily: its vector only reaches as far as the
//! highest slot ever filled. A slot beyond the vector's end is empty, and
//! filling one grows the vector to it, so a space of
//! [`MAX_CSPACE_SLOTS`] slots that uses the first few costs memory for
//! those few.

use alloc::vec::Vec;

use crate::tree::NodeIdx;
use crate::CapError;

/// The most slots one capability space may have.
pub const MAX_CSPACE_SLOTS: u32 = 1 << 16;

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct CSpace {
    /// The number of slots (indices `0..size` are valid).
    size: u32,
    /// Slots `0..slots.len()`; every slot past the end is empty.
    pub slots: Vec<Option<NodeIdx>>,
}

impl CSpace {
    /// A space of `size` empty slots, with no memory for them yet; the
    /// caller checked the size.
    pub(crate) fn new(size: u32) -> Self {
        CSpace {
            size,
            slots: Vec::new(),
        }
    }

    pub(crate) fn size(&self) -> u32 {
        self.size
    }

    /// The number of slots backed by memory (one past the highest slot
    /// ever filled, at most).
    pub(crate) fn backed(&self) -> u32 {
        // Never more than `size`, so it fits.
        self.slots.len() as u32
    }

    /// The content of slot `index` (`BadSlot` unless `index < size`).
    pub(crate) fn get(&self, index: u32) -> Result<Option<NodeIdx>, CapError> {
        if index >= self.size {
            return Err(CapError::BadSlot);
        }
        Ok(self.slots.get(index as usize).copied().flatten())
    }

    /// Writes slot `index` (ignored unless `index < size`), growing the
    /// vector to reach it when something is put there.
    pub(crate) fn set(&mut self, index: u32, content: Option<NodeIdx>) {
        if index >= self.size {
            return;
        }
        let i = index as usize;
        if i >= self.slots.len() {
            if content.is_none() {
                return;
            }
            self.slots.resize(i + 1, None);
        }
        self.slots[i] = content;
    }
}
