//! [`CSpace`]: one environment's table of capability slots, fixed in size
//! when it is created. A slot holds nothing or the tree node of one
//! capability.

use alloc::vec;
use alloc::vec::Vec;

use crate::tree::NodeIdx;

/// The most slots one capability space may have.
pub const MAX_CSPACE_SLOTS: u32 = 1 << 16;

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct CSpace {
    pub slots: Vec<Option<NodeIdx>>,
}

impl CSpace {
    /// A space of `size` empty slots; the caller checked the size.
    pub(crate) fn new(size: u32) -> Self {
        CSpace {
            slots: vec![None; size as usize],
        }
    }

    pub(crate) fn size(&self) -> u32 {
        // Never more than MAX_CSPACE_SLOTS, so it fits.
        self.slots.len() as u32
    }
}
