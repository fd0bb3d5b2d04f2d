//! The physical frame allocator: a bitmap over 4 KiB frames from physical
//! address 0, in storage the caller provides, answering "any frame", "this
//! frame" and "a contiguous aligned run" requests.
//!
//! # Storage layout
//!
//! The caller's `&mut [u64]` holds two bitmaps of `W` words each, one bit per
//! frame (bit `i % 64` of word `i / 64` is frame `i`, at address
//! `i * PAGE_SIZE`):
//!
//! * words `0..W`: the **free** map, bit set = frame can be allocated;
//! * words `W..2W`: the **managed** map, bit set = frame was once made free
//!   by [`FrameAllocator::add_free_range`].
//!
//! The second map is what tells a frame that is handed out (managed, not
//! free) from one the allocator never owned (not managed): freeing the
//! latter, e.g. a page of the kernel image, is refused instead of silently
//! making it allocatable. [`FrameAllocator::words_needed`] counts both maps.

mod alloc;
mod bits;
mod error;

pub use error::FrameError;

use crate::align::{page_down, page_up, page_up_saturating};
use crate::map::{MemoryMap, PAGE_SIZE};
use bits::masks;

/// A bitmap allocator of 4 KiB physical frames. See the [module
/// docs](self) for how it uses its storage.
///
/// Every frame starts out "not available"; [`add_free_range`] makes frames
/// free (and managed), [`alloc`] and friends hand them out, [`free`] takes
/// them back. All operations are checked: a bad request returns a
/// [`FrameError`] and changes nothing.
///
/// [`add_free_range`]: Self::add_free_range
/// [`alloc`]: Self::alloc
/// [`free`]: Self::free
#[derive(Debug)]
pub struct FrameAllocator<'a> {
    /// Bit set: the frame is free.
    free: &'a mut [u64],
    /// Bit set: the frame was once added as free.
    managed: &'a mut [u64],
    /// Frames covered: `0..frames`. Never more than `free.len() * 64`.
    frames: u64,
    free_count: usize,
    managed_count: usize,
    /// Word of `free` where the next single-frame search starts.
    hint: usize,
}

impl<'a> FrameAllocator<'a> {
    /// How many `u64` words of storage cover every frame below
    /// `max_phys_end` (both bitmaps). Saturates at `usize::MAX`.
    pub fn words_needed(max_phys_end: u64) -> usize {
        let words = (max_phys_end / PAGE_SIZE).div_ceil(64) * 2;
        usize::try_from(words).unwrap_or(usize::MAX)
    }

    /// An allocator for the frames below `max_phys_end` (rounded down to a
    /// whole frame), keeping its bitmaps in `storage`, all frames "not
    /// available". The storage is cleared.
    ///
    /// If `storage` is shorter than [`words_needed`](Self::words_needed),
    /// the allocator covers only the frames it has room for; check
    /// [`capacity_end`](Self::capacity_end).
    pub fn new(storage: &'a mut [u64], max_phys_end: u64) -> Self {
        let room = u64::try_from(storage.len() / 2)
            .unwrap_or(u64::MAX)
            .saturating_mul(64);
        let usize_max = u64::try_from(usize::MAX).unwrap_or(u64::MAX);
        let frames = (max_phys_end / PAGE_SIZE).min(room).min(usize_max);
        // frames <= room, so words <= storage.len() / 2 and both splits fit.
        let words = frames.div_ceil(64) as usize;
        let (free, rest) = storage.split_at_mut(words);
        let managed = rest.split_at_mut(words).0;
        free.fill(0);
        managed.fill(0);
        Self {
            free,
            managed,
            frames,
            free_count: 0,
            managed_count: 0,
            hint: 0,
        }
    }

    /// The first physical address this allocator does not cover.
    pub fn capacity_end(&self) -> u64 {
        self.frames * PAGE_SIZE
    }

    /// Makes the whole frames inside `start..end` free. The range is shrunk
    /// inward to page boundaries and clipped to the capacity. Frames that are
    /// already managed keep their state: a frame that is handed out is never
    /// freed behind its owner's back.
    pub fn add_free_range(&mut self, start: u64, end: u64) {
        let Some(start) = page_up(start) else { return };
        let end = page_down(end).min(self.capacity_end());
        for (w, mask) in masks(start / PAGE_SIZE, end / PAGE_SIZE) {
            let new = mask & !self.managed[w];
            self.managed[w] |= new;
            self.free[w] |= new;
            let n = new.count_ones() as usize;
            self.managed_count += n;
            self.free_count += n;
        }
    }

    /// Makes every free frame touching `start..end` used (the range is grown
    /// outward to page boundaries and clipped to the capacity), e.g. the
    /// frames holding this allocator's own bitmaps. They stay managed, so
    /// they can be handed back later with [`free`](Self::free). Frames that
    /// are already used or not managed are left alone.
    pub fn remove_range(&mut self, start: u64, end: u64) {
        let start = page_down(start);
        let end = page_up_saturating(end).min(self.capacity_end());
        for (w, mask) in masks(start / PAGE_SIZE, end / PAGE_SIZE) {
            let taken = mask & self.free[w];
            self.free[w] &= !taken;
            self.free_count -= taken.count_ones() as usize;
        }
    }

    /// Adds every usable extent of `map` with
    /// [`add_free_range`](Self::add_free_range).
    pub fn add_map<const N: usize>(&mut self, map: &MemoryMap<N>) {
        for (start, end) in map.usable_frames() {
            self.add_free_range(start, end);
        }
    }

    /// How many frames are free now.
    pub fn free_count(&self) -> usize {
        self.free_count
    }

    /// How many frames were ever added as free (free + handed out + removed).
    pub fn managed_count(&self) -> usize {
        self.managed_count
    }

    /// How many managed frames are not free (handed out or removed).
    pub fn used_count(&self) -> usize {
        self.managed_count - self.free_count
    }

    /// True when the frame at `paddr` is free. False for an unaligned or
    /// out-of-range address.
    pub fn is_free(&self, paddr: u64) -> bool {
        self.frame_index(paddr)
            .is_ok_and(|i| self.free[i.word] & i.bit != 0)
    }

    /// True when the frame at `paddr` was ever added as free. False for an
    /// unaligned or out-of-range address.
    pub fn is_managed(&self, paddr: u64) -> bool {
        self.frame_index(paddr)
            .is_ok_and(|i| self.managed[i.word] & i.bit != 0)
    }

    /// Where the frame at `paddr` sits in the bitmaps.
    fn frame_index(&self, paddr: u64) -> Result<BitIndex, FrameError> {
        if !paddr.is_multiple_of(PAGE_SIZE) {
            return Err(FrameError::Unaligned);
        }
        let frame = paddr / PAGE_SIZE;
        if frame >= self.frames {
            return Err(FrameError::OutOfRange);
        }
        Ok(BitIndex {
            word: (frame / 64) as usize,
            bit: 1 << (frame % 64),
        })
    }
}

/// One frame's position: its word in a bitmap and its bit in that word.
#[derive(Debug, Clone, Copy)]
struct BitIndex {
    word: usize,
    bit: u64,
}

#[cfg(test)]
mod tests;
