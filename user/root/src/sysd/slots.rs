//! The server's own capability slots: a pool of free slot numbers above
//! the ones the kernel filled.

use alloc::vec::Vec;

use exo_rt::Slot;

/// Free slots.
pub struct SlotPool {
    free: Vec<Slot>,
    next: Slot,
    end: Slot,
}

impl SlotPool {
    pub fn new(first: Slot, end: Slot) -> SlotPool {
        SlotPool {
            free: Vec::new(),
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
        if self.next + 3 > self.end {
            return None;
        }
        self.next += 3;
        Some(self.next - 3)
    }

    pub fn free(&mut self, s: Slot) {
        self.free.push(s);
    }
}
