//! The server's own capability slots: a pool of free slot numbers above
//! the ones the kernel filled.

use alloc::vec::Vec;

use exo_rt::Slot;

/// Free slots.
pub struct SlotPool {
    free: Vec<Slot>,
    /// Freed runs of three (an ended environment's), for [`Self::alloc3`].
    free3: Vec<Slot>,
    next: Slot,
    end: Slot,
}

impl SlotPool {
    pub fn new(first: Slot, end: Slot) -> SlotPool {
        SlotPool {
            free: Vec::new(),
            free3: Vec::new(),
            next: first,
            end,
        }
    }

    pub fn alloc(&mut self) -> Option<Slot> {
        if let Some(s) = self.free.pop() {
            return Some(s);
        }
        if self.next >= self.end {
            return None;
        }
        self.next += 1;
        Some(self.next - 1)
    }

    /// Three consecutive slots (for `EnvCreate`).
    pub fn alloc3(&mut self) -> Option<Slot> {
        self.free3
            .pop()
            .or_else(|| self.alloc_range(3).map(|r| r.start))
    }

    /// Gives back three slots [`Self::alloc3`] handed out.
    pub fn free3(&mut self, first: Slot) {
        self.free3.push(first);
    }

    /// `n` consecutive slots.
    pub fn alloc_range(&mut self, n: u32) -> Option<core::ops::Range<Slot>> {
        if self.next + n > self.end {
            return None;
        }
        self.next += n;
        Some(self.next - n..self.next)
    }

    pub fn free(&mut self, s: Slot) {
        self.free.push(s);
    }
}
