//! [`CSpace`]: one environment's table of capability slots, fixed in size
//! when it is created. A slot holds nothing or the tree node of one
//! capability.
//!
//! The table is backed lazily, in chunks of [`CHUNK`] slots: a directory
//! of chunks, each allocated when a slot in it is first filled. A space of
//! [`MAX_CSPACE_SLOTS`] slots that uses the first few costs one chunk, and
//! no allocation is ever larger than a chunk or the directory (a few KiB;
//! 32 KiB for a space whose last slots are used), so a big space never
//! needs a big contiguous run of memory. Filling a slot may need memory:
//! [`CSpace::reserve`] gets it first, fallibly, so [`CSpace::set`] never
//! allocates and emptying slots never does.
//!
//! Each chunk keeps a bitmap of its occupied slots beside them, so the
//! occupied slots are found by occupancy, a word of 64 slots at a time:
//! tearing a space down ([`CSpace::last_occupied`], highest first) costs
//! the capabilities in it plus a word per 64 slots, never a scan of every
//! slot per capability.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::tree::NodeIdx;
use crate::CapError;

/// The most slots one capability space may have.
pub const MAX_CSPACE_SLOTS: u32 = 1 << 20;

/// Slots per chunk of the table.
const CHUNK: usize = 1024;

/// The content of an empty slot in a chunk.
const EMPTY: NodeIdx = NodeIdx::MAX;

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct CSpace {
    /// The number of slots (indices `0..size` are valid).
    size: u32,
    /// One past the highest slot ever filled.
    high: u32,
    /// Every occupied slot lies below this (raised by each fill, lowered
    /// by [`last_occupied`](Self::last_occupied) to what it finds).
    scan: u32,
    /// Capabilities in it.
    used: u32,
    /// Being destroyed: nothing new may be put in it.
    closed: bool,
    /// Chunk `i` holds slots `i * CHUNK ..`; a missing chunk is empty.
    chunks: Vec<Option<Chunk>>,
}

/// Words of a chunk's occupancy bitmap.
const WORDS: usize = CHUNK / 64;

/// [`CHUNK`] slots and which of them are occupied.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Chunk {
    /// Each slot's node, or [`EMPTY`].
    slots: Box<[NodeIdx]>,
    /// Bit `i % 64` of word `i / 64` is set iff slot `i` is occupied.
    bits: Box<[u64]>,
}

impl Chunk {
    /// The highest occupied slot of the chunk in its first `words` words
    /// (the rest are known empty), if any.
    fn last(&self, words: usize) -> Option<usize> {
        let w = self.bits[..words.min(WORDS)]
            .iter()
            .rposition(|&w| w != 0)?;
        Some(w * 64 + 63 - self.bits[w].leading_zeros() as usize)
    }

    /// The occupied slots of the chunk, in order.
    fn occupied(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            core::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(w * 64 + b)
            })
        })
    }
}

/// A vector of `n` copies of `value`, or `Exhausted`.
fn filled<T: Clone>(n: usize, value: T) -> Result<Box<[T]>, CapError> {
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(n).map_err(|_| CapError::Exhausted)?;
    v.resize(n, value);
    Ok(v.into_boxed_slice())
}

impl CSpace {
    /// A space of `size` empty slots, with no memory for them yet; the
    /// caller checked the size.
    pub(crate) fn new(size: u32) -> Self {
        CSpace {
            size,
            high: 0,
            scan: 0,
            used: 0,
            closed: false,
            chunks: Vec::new(),
        }
    }

    pub(crate) fn size(&self) -> u32 {
        self.size
    }

    /// One past the highest slot ever filled (memory is held, a chunk at
    /// a time, only for the chunks slots below it were filled in).
    pub(crate) fn backed(&self) -> u32 {
        self.high
    }

    /// Capabilities in the space.
    pub(crate) fn used(&self) -> u32 {
        self.used
    }

    /// Refuses every later fill (the space is being torn down).
    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    /// The content of slot `index` (`BadSlot` unless `index < size`).
    pub(crate) fn get(&self, index: u32) -> Result<Option<NodeIdx>, CapError> {
        if index >= self.size {
            return Err(CapError::BadSlot);
        }
        let (c, i) = (index as usize / CHUNK, index as usize % CHUNK);
        let n = match self.chunks.get(c) {
            Some(Some(chunk)) => chunk.slots[i],
            _ => EMPTY,
        };
        Ok((n != EMPTY).then_some(n))
    }

    /// Makes sure slot `index` can be filled without allocating:
    /// `BadCSpace` if the space is closed, `Exhausted` if there is no
    /// memory for its chunk (nothing changes then but spare capacity).
    pub(crate) fn reserve(&mut self, index: u32) -> Result<(), CapError> {
        if self.closed {
            return Err(CapError::BadCSpace);
        }
        if index >= self.size {
            return Err(CapError::BadSlot);
        }
        let c = index as usize / CHUNK;
        if c >= self.chunks.len() {
            self.chunks
                .try_reserve_exact(c + 1 - self.chunks.len())
                .map_err(|_| CapError::Exhausted)?;
            self.chunks.resize_with(c + 1, || None);
        }
        if self.chunks[c].is_none() {
            let slots = filled(CHUNK, EMPTY)?;
            let bits = filled(WORDS, 0u64)?;
            self.chunks[c] = Some(Chunk { slots, bits });
        }
        Ok(())
    }

    /// Writes slot `index` (ignored unless `index < size`). Putting
    /// something in a slot needs its chunk, which [`reserve`](Self::reserve)
    /// made; emptying one never allocates.
    pub(crate) fn set(&mut self, index: u32, content: Option<NodeIdx>) {
        if index >= self.size {
            return;
        }
        let (c, i) = (index as usize / CHUNK, index as usize % CHUNK);
        let Some(Some(chunk)) = self.chunks.get_mut(c) else {
            // Not reserved: only emptying an empty slot can land here.
            return;
        };
        let old = core::mem::replace(&mut chunk.slots[i], content.unwrap_or(EMPTY));
        let bit = 1u64 << (i % 64);
        match (old != EMPTY, content.is_some()) {
            (false, true) => {
                self.used += 1;
                chunk.bits[i / 64] |= bit;
            }
            (true, false) => {
                self.used -= 1;
                chunk.bits[i / 64] &= !bit;
            }
            _ => {}
        }
        if content.is_some() {
            self.high = self.high.max(index + 1);
            self.scan = self.scan.max(index + 1);
        }
    }

    /// The occupied slots with their nodes, in slot order.
    pub(crate) fn occupied(&self) -> impl Iterator<Item = (u32, NodeIdx)> + '_ {
        self.chunks
            .iter()
            .enumerate()
            .filter_map(|(c, chunk)| chunk.as_ref().map(|chunk| (c, chunk)))
            .flat_map(|(c, chunk)| {
                chunk
                    .occupied()
                    .map(move |i| ((c * CHUNK + i) as u32, chunk.slots[i]))
            })
    }

    /// Whether every chunk's bitmap says exactly which of its slots hold a
    /// node (for the consistency check).
    pub(crate) fn bits_agree(&self) -> bool {
        self.chunks.iter().flatten().all(|chunk| {
            chunk.slots.iter().enumerate().all(|(i, &n)| {
                let set = chunk.bits[i / 64] & (1 << (i % 64)) != 0;
                set == (n != EMPTY)
            })
        })
    }

    /// The occupied slot with the highest index, if any, dropping the
    /// empty chunks past it (for tearing a closed space down: it frees
    /// memory and never takes any). The search starts below the last one
    /// found, so emptying a space this way looks at each word of 64 slots
    /// once in all, and each empty chunk dropped once.
    pub(crate) fn last_occupied(&mut self) -> Option<(u32, NodeIdx)> {
        while let Some(last) = self.chunks.last() {
            let c = self.chunks.len() - 1;
            if let Some(chunk) = last {
                let below = (self.scan as usize).saturating_sub(c * CHUNK);
                if let Some(i) = chunk.last(below.div_ceil(64)) {
                    let slot = (c * CHUNK + i) as u32;
                    self.scan = slot + 1;
                    return Some((slot, chunk.slots[i]));
                }
            }
            self.chunks.pop();
        }
        self.scan = 0;
        None
    }
}
