//! Handing frames out and taking them back: any frame (next-fit), a given
//! frame, a contiguous aligned run, and freeing.

use super::bits::{first_clear, first_set, masks};
use super::{FrameAllocator, FrameError};
use crate::map::PAGE_SIZE;

impl FrameAllocator<'_> {
    /// Hands out one free frame and returns its physical address.
    ///
    /// Next-fit: the search starts at the word where the last one succeeded
    /// and looks at 64 frames per step, so runs of allocations cost O(1)
    /// amortised. `Err(OutOfFrames)` when no frame is free.
    pub fn alloc(&mut self) -> Result<u64, FrameError> {
        if self.free_count == 0 {
            return Err(FrameError::OutOfFrames);
        }
        let words = self.free.len();
        let order = (self.hint..words).chain(0..self.hint);
        for w in order {
            let word = self.free[w];
            if word != 0 {
                let bit = word.trailing_zeros();
                self.free[w] = word & !(1 << bit);
                self.free_count -= 1;
                self.hint = w;
                return Ok((w as u64 * 64 + u64::from(bit)) * PAGE_SIZE);
            }
        }
        // Unreachable while `free_count` matches the bitmap.
        Err(FrameError::OutOfFrames)
    }

    /// Hands out `count` physically contiguous free frames whose first frame
    /// number is a multiple of `align_frames` (0 counts as 1), returning the
    /// address of the first. First-fit from address 0, so low memory goes
    /// first (what DMA-limited devices want).
    ///
    /// `Err(OutOfRange)` for `count == 0`; `Err(OutOfFrames)` when no such
    /// run is free.
    pub fn alloc_contiguous(
        &mut self,
        count: usize,
        align_frames: usize,
    ) -> Result<u64, FrameError> {
        if count == 0 {
            return Err(FrameError::OutOfRange);
        }
        if count > self.free_count {
            return Err(FrameError::OutOfFrames);
        }
        let count = count as u64;
        let align = (align_frames as u64).max(1);
        let mut pos = 0;
        loop {
            let found = first_set(self.free, pos, self.frames).ok_or(FrameError::OutOfFrames)?;
            let start = found
                .div_ceil(align)
                .checked_mul(align)
                .ok_or(FrameError::OutOfFrames)?;
            let end = start
                .checked_add(count)
                .filter(|&end| end <= self.frames)
                .ok_or(FrameError::OutOfFrames)?;
            match first_clear(self.free, start, end) {
                // Every candidate start up to `used` would include it.
                Some(used) => pos = used + 1,
                None => {
                    for (w, mask) in masks(start, end) {
                        self.free[w] &= !mask;
                    }
                    self.free_count -= count as usize;
                    return Ok(start * PAGE_SIZE);
                }
            }
        }
    }

    /// Hands out the frame at `paddr` (exokernel "expose allocation": a
    /// program asks for a frame by physical name).
    ///
    /// `Err(Unaligned)`, `Err(OutOfRange)`, or `Err(NotFree)` when the frame
    /// is handed out already or was never managed.
    pub fn alloc_at(&mut self, paddr: u64) -> Result<(), FrameError> {
        let i = self.frame_index(paddr)?;
        if self.free[i.word] & i.bit == 0 {
            return Err(FrameError::NotFree);
        }
        self.free[i.word] &= !i.bit;
        self.free_count -= 1;
        Ok(())
    }

    /// Takes back the frame at `paddr`, which becomes free again.
    ///
    /// `Err(Unaligned)`, `Err(OutOfRange)`, or `Err(NotAllocated)` when the
    /// frame is already free (double free) or was never managed. An error
    /// changes nothing.
    pub fn free(&mut self, paddr: u64) -> Result<(), FrameError> {
        let i = self.frame_index(paddr)?;
        if self.managed[i.word] & i.bit == 0 || self.free[i.word] & i.bit != 0 {
            return Err(FrameError::NotAllocated);
        }
        self.free[i.word] |= i.bit;
        self.free_count += 1;
        Ok(())
    }
}
