//! Unit tests for `FrameAllocator`: construction, ranges, each kind of
//! allocation, freeing, and every error case.

use std::vec;
use std::vec::Vec;

use super::*;

const P: u64 = PAGE_SIZE;

/// An allocator over `frames` frames with storage of exactly the right size.
fn with_storage(frames: u64, test: impl FnOnce(&mut FrameAllocator<'_>)) {
    let mut storage = vec![u64::MAX; FrameAllocator::words_needed(frames * P)];
    let mut fa = FrameAllocator::new(&mut storage, frames * P);
    test(&mut fa);
}

#[test]
fn words_needed_counts_both_bitmaps() {
    assert_eq!(FrameAllocator::words_needed(0), 0);
    assert_eq!(FrameAllocator::words_needed(P - 1), 0);
    assert_eq!(FrameAllocator::words_needed(P), 2);
    assert_eq!(FrameAllocator::words_needed(64 * P), 2);
    assert_eq!(FrameAllocator::words_needed(65 * P), 4);
    // 4 GiB: 2^20 frames, 2^14 words per map.
    assert_eq!(FrameAllocator::words_needed(1 << 32), 1 << 15);
    assert!(FrameAllocator::words_needed(u64::MAX) > 0);
}

#[test]
fn everything_starts_unavailable_even_on_dirty_storage() {
    with_storage(100, |fa| {
        assert_eq!(fa.capacity_end(), 100 * P);
        assert_eq!((fa.free_count(), fa.managed_count()), (0, 0));
        assert!(!fa.is_free(0) && !fa.is_managed(0));
        assert_eq!(fa.alloc(), Err(FrameError::OutOfFrames));
        assert_eq!(fa.alloc_at(0), Err(FrameError::NotFree));
        assert_eq!(fa.free(0), Err(FrameError::NotAllocated));
    });
}

#[test]
fn short_storage_limits_capacity() {
    let mut storage = [0u64; 3]; // room for one word per map
    let mut fa = FrameAllocator::new(&mut storage, 1000 * P);
    assert_eq!(fa.capacity_end(), 64 * P);
    fa.add_free_range(0, 1000 * P);
    assert_eq!(fa.free_count(), 64);
    let mut none: [u64; 0] = [];
    let fa = FrameAllocator::new(&mut none, 1000 * P);
    assert_eq!(fa.capacity_end(), 0);
}

#[test]
fn add_free_range_shrinks_inward_and_clips() {
    with_storage(10, |fa| {
        fa.add_free_range(P / 2, 3 * P + 5); // frames 1 and 2
        assert_eq!(fa.free_count(), 2);
        assert!(!fa.is_free(0) && fa.is_free(P) && fa.is_free(2 * P) && !fa.is_free(3 * P));
        fa.add_free_range(8 * P, u64::MAX); // frames 8, 9
        assert_eq!(fa.free_count(), 4);
        fa.add_free_range(u64::MAX - 5, u64::MAX);
        fa.add_free_range(5 * P, 4 * P);
        assert_eq!((fa.free_count(), fa.managed_count()), (4, 4));
    });
}

#[test]
fn add_free_range_does_not_free_handed_out_frames() {
    with_storage(4, |fa| {
        fa.add_free_range(0, 4 * P);
        fa.alloc_at(P).unwrap();
        fa.add_free_range(0, 4 * P);
        assert!(!fa.is_free(P));
        assert_eq!((fa.free_count(), fa.managed_count()), (3, 4));
    });
}

#[test]
fn remove_range_grows_outward_and_keeps_frames_managed() {
    with_storage(10, |fa| {
        fa.add_free_range(0, 10 * P);
        fa.remove_range(P + 1, 3 * P - 1); // frames 1, 2
        assert_eq!(
            (fa.free_count(), fa.managed_count(), fa.used_count()),
            (8, 10, 2)
        );
        assert!(!fa.is_free(P) && !fa.is_free(2 * P) && fa.is_managed(P));
        fa.remove_range(P, 2 * P); // already used: nothing changes
        fa.remove_range(9 * P, u64::MAX);
        assert_eq!(fa.free_count(), 7);
        // Removed frames can be handed back later.
        fa.free(P).unwrap();
        assert_eq!(fa.free_count(), 8);
    });
}

#[test]
fn alloc_hands_out_every_free_frame_once() {
    with_storage(200, |fa| {
        fa.add_free_range(3 * P, 130 * P);
        let mut got: Vec<u64> = Vec::new();
        while let Ok(frame) = fa.alloc() {
            assert_eq!(frame % P, 0);
            assert!((3 * P..130 * P).contains(&frame));
            got.push(frame);
        }
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), 127);
        assert_eq!(fa.free_count(), 0);
        assert_eq!(fa.alloc(), Err(FrameError::OutOfFrames));
    });
}

#[test]
fn alloc_is_next_fit_and_wraps_around() {
    with_storage(192, |fa| {
        fa.add_free_range(0, 192 * P);
        fa.alloc_at(130 * P).unwrap();
        fa.free(130 * P).unwrap();
        // Move the hint into word 2 by exhausting words 0 and 1.
        for _ in 0..128 {
            fa.alloc().unwrap();
        }
        assert_eq!(fa.alloc(), Ok(128 * P));
        fa.free(5 * P).unwrap();
        assert_eq!(fa.alloc(), Ok(129 * P));
        for _ in 130..192 {
            fa.alloc().unwrap();
        }
        assert_eq!(fa.alloc(), Ok(5 * P)); // wrapped
    });
}

#[test]
fn alloc_at_claims_exactly_that_frame() {
    with_storage(70, |fa| {
        fa.add_free_range(0, 64 * P);
        assert_eq!(fa.alloc_at(63 * P), Ok(()));
        assert!(!fa.is_free(63 * P));
        assert_eq!(fa.alloc_at(63 * P), Err(FrameError::NotFree));
        assert_eq!(fa.alloc_at(65 * P), Err(FrameError::NotFree)); // not managed
        assert_eq!(fa.alloc_at(70 * P), Err(FrameError::OutOfRange));
        assert_eq!(fa.alloc_at(P + 1), Err(FrameError::Unaligned));
        assert_eq!(fa.free_count(), 63);
    });
}

#[test]
fn free_errors_change_nothing() {
    with_storage(8, |fa| {
        fa.add_free_range(0, 4 * P);
        let frame = fa.alloc().unwrap();
        let counts = (fa.free_count(), fa.managed_count());
        assert_eq!(fa.free(frame + 1), Err(FrameError::Unaligned));
        assert_eq!(fa.free(6 * P), Err(FrameError::NotAllocated)); // never managed
        assert_eq!(fa.free(8 * P), Err(FrameError::OutOfRange));
        assert_eq!(fa.free(u64::MAX), Err(FrameError::Unaligned));
        assert_eq!(fa.free(page_down(u64::MAX)), Err(FrameError::OutOfRange));
        let other = (0..4).map(|i| i * P).find(|&f| f != frame).unwrap();
        assert_eq!(fa.free(other), Err(FrameError::NotAllocated)); // free already
        assert_eq!((fa.free_count(), fa.managed_count()), counts);
        assert_eq!(fa.free(frame), Ok(()));
        assert_eq!(fa.free(frame), Err(FrameError::NotAllocated)); // double free
        assert_eq!(fa.free_count(), 4);
    });
}

#[test]
fn contiguous_runs_respect_alignment_and_holes() {
    with_storage(256, |fa| {
        fa.add_free_range(P, 256 * P);
        fa.alloc_at(20 * P).unwrap();
        // 16 frames aligned to 16: 0..16 has frame 0 unmanaged, 16..32 has
        // frame 20 used, so 32..48.
        assert_eq!(fa.alloc_contiguous(16, 16), Ok(32 * P));
        for f in 32..48 {
            assert!(!fa.is_free(f * P));
        }
        assert_eq!(fa.free_count(), 255 - 1 - 16);
        // Unaligned request fits in the first hole.
        assert_eq!(fa.alloc_contiguous(19, 1), Ok(P));
        assert_eq!(fa.alloc_contiguous(1, 0), Ok(21 * P));
        // A run crossing word boundaries.
        assert_eq!(fa.alloc_contiguous(100, 64), Ok(64 * P));
        assert_eq!(fa.alloc_contiguous(100, 64), Err(FrameError::OutOfFrames));
        assert_eq!(fa.alloc_contiguous(0, 1), Err(FrameError::OutOfRange));
        assert_eq!(
            fa.alloc_contiguous(1, usize::MAX),
            Err(FrameError::OutOfFrames)
        );
        assert_eq!(
            fa.alloc_contiguous(usize::MAX, 1),
            Err(FrameError::OutOfFrames)
        );
    });
}

#[test]
fn contiguous_run_can_end_at_capacity() {
    with_storage(130, |fa| {
        fa.add_free_range(0, 130 * P);
        fa.alloc_at(0).unwrap();
        // Frames 128 and 129: the run ends exactly at capacity.
        assert_eq!(fa.alloc_contiguous(2, 128), Ok(128 * P));
        fa.free(128 * P).unwrap();
        fa.free(129 * P).unwrap();
        assert_eq!(fa.alloc_contiguous(3, 128), Err(FrameError::OutOfFrames));
        assert_eq!(fa.alloc_contiguous(129, 1), Ok(P));
        assert_eq!(fa.free_count(), 0);
    });
}

#[test]
fn add_map_takes_the_usable_frames() {
    use crate::map::{MemoryMap, RegionKind};
    let mut map: MemoryMap<8> = MemoryMap::new();
    map.add(0x800, 0x9_f000, RegionKind::Usable).unwrap();
    map.add(0x10_0000, 0x10_0000, RegionKind::Usable).unwrap();
    map.reserve(0x10_0000, 0x14_0000, RegionKind::Kernel)
        .unwrap();
    let end = map.highest_usable_end();
    let mut storage = vec![0; FrameAllocator::words_needed(end)];
    let mut fa = FrameAllocator::new(&mut storage, end);
    fa.add_map(&map);
    assert_eq!(fa.free_count() as u64 * P, map.usable_bytes());
    assert!(!fa.is_free(0) && fa.is_free(P) && !fa.is_free(0x10_0000) && fa.is_free(0x14_0000));
}
