//! Physical memory for the ExoV6 kernel: turning the boot loader's memory map
//! into a clean, sorted list of regions ([`map`]), and handing out 4 KiB
//! frames from the usable parts of it ([`frames`]).
//!
//! The crate is `no_std`, allocates nothing and never panics: capacity limits
//! and bad requests come back as errors. Physical addresses are always `u64`,
//! also on 32-bit targets.
//!
//! ```
//! use physmem::{FrameAllocator, MemoryMap, RegionKind, PAGE_SIZE};
//!
//! let mut map: MemoryMap<16> = MemoryMap::new();
//! map.add(0, 0x9_fc00, RegionKind::Usable).unwrap();
//! map.add(0x10_0000, 0x70_0000, RegionKind::Usable).unwrap();
//! map.add(0xf_0000, 0x1_0000, RegionKind::Reserved).unwrap();
//! map.normalize().unwrap();
//! map.reserve(0x10_0000, 0x20_0000, RegionKind::Kernel).unwrap();
//!
//! let end = map.highest_usable_end();
//! let mut storage = [0u64; 64];
//! assert!(FrameAllocator::words_needed(end) <= storage.len());
//! let mut frames = FrameAllocator::new(&mut storage, end);
//! frames.add_map(&map);
//! assert_eq!(frames.free_count() as u64 * PAGE_SIZE, map.usable_bytes());
//! let frame = frames.alloc().unwrap();
//! frames.free(frame).unwrap();
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

mod align;
pub mod frames;
pub mod map;

pub use frames::{FrameAllocator, FrameError};
pub use map::{MapError, MemoryMap, Region, RegionKind, PAGE_SIZE};
