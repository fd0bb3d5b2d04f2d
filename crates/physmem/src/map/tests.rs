//! Unit tests for `MemoryMap`: adding, normalising, reserving, capacity
//! limits and the usable-memory queries.

use std::vec::Vec;

use super::*;
use RegionKind::*;

fn map_of<const N: usize>(entries: &[(u64, u64, RegionKind)]) -> MemoryMap<N> {
    let mut map = MemoryMap::new();
    for &(start, len, kind) in entries {
        map.add(start, len, kind).unwrap();
    }
    map
}

fn resolved<const N: usize>(map: &MemoryMap<N>) -> Vec<Region> {
    map.resolved().collect()
}

#[test]
fn new_map_is_empty() {
    let map: MemoryMap<4> = MemoryMap::new();
    assert!(map.regions().is_empty());
    assert!(map.is_normalized());
    assert_eq!(map.usable_frames().count(), 0);
    assert_eq!(map.usable_bytes(), 0);
    assert_eq!(map.highest_usable_end(), 0);
    assert_eq!(map.find_usable(1, 0), None);
}

#[test]
fn zero_length_entries_are_ignored() {
    let mut map: MemoryMap<1> = MemoryMap::new();
    map.add(0x1000, 0, Usable).unwrap();
    map.add(u64::MAX, 5, Usable).unwrap();
    assert!(map.regions().is_empty());
}

#[test]
fn end_overflow_saturates() {
    let map: MemoryMap<2> = map_of(&[(u64::MAX - 0x1fff, u64::MAX, Usable)]);
    assert_eq!(
        map.regions(),
        [Region::new(u64::MAX - 0x1fff, u64::MAX, Usable)]
    );
    // Only one whole page fits below u64::MAX.
    assert_eq!(
        map.usable_frames().collect::<Vec<_>>(),
        [(u64::MAX - 0x1fff, u64::MAX - 0xfff)]
    );
}

#[test]
fn sorted_clean_entries_stay_normalised_as_they_go_in() {
    let mut map: MemoryMap<2> = map_of(&[
        (0, 0x1000, Usable),
        (0x1000, 0x1000, Usable),
        (0x2000, 0x1000, Reserved),
    ]);
    assert!(map.is_normalized());
    assert_eq!(
        map.regions(),
        [
            Region::new(0, 0x2000, Usable),
            Region::new(0x2000, 0x3000, Reserved)
        ]
    );
    // Growing the last region needs no new slot, even when full.
    map.add(0x3000, 0x1000, Reserved).unwrap();
    assert_eq!(map.regions().len(), 2);
}

#[test]
fn normalize_sorts_resolves_and_merges() {
    let mut map: MemoryMap<8> = map_of(&[
        (0x10_0000, 0x10_0000, Usable),
        (0, 0xa_0000, Usable),
        (0x9_f000, 0x6_1000, Reserved),
        (0x18_0000, 0x1000, Bad),
        (0x20_0000, 0x1000, Usable),
    ]);
    assert!(!map.is_normalized());
    map.normalize().unwrap();
    assert!(map.is_normalized());
    assert_eq!(
        map.regions(),
        [
            Region::new(0, 0x9_f000, Usable),
            Region::new(0x9_f000, 0x10_0000, Reserved),
            Region::new(0x10_0000, 0x18_0000, Usable),
            Region::new(0x18_0000, 0x18_1000, Bad),
            Region::new(0x18_1000, 0x20_1000, Usable),
        ]
    );
}

#[test]
fn queries_see_the_resolved_map_before_normalize() {
    let map: MemoryMap<4> = map_of(&[(0, 0x10_000, Usable), (0x4000, 0x1000, AcpiNvs)]);
    assert!(!map.is_normalized());
    assert_eq!(
        map.usable_frames().collect::<Vec<_>>(),
        [(0, 0x4000), (0x5000, 0x10_000)]
    );
    assert_eq!(map.usable_bytes(), 0xf000);
}

#[test]
fn usable_frames_shrink_inward_and_skip_slivers() {
    let map: MemoryMap<4> = map_of(&[
        (0x800, 0x2000, Usable),  // 0x800..0x2800 -> 0x1000..0x2000
        (0x3100, 0x800, Usable),  // no whole page
        (0x5000, 0x1800, Usable), // 0x5000..0x6800 -> 0x5000..0x6000
    ]);
    assert_eq!(
        map.usable_frames().collect::<Vec<_>>(),
        [(0x1000, 0x2000), (0x5000, 0x6000)]
    );
    assert_eq!(map.usable_bytes(), 0x2000);
    assert_eq!(map.highest_usable_end(), 0x6000);
}

#[test]
fn touching_usable_entries_lose_no_page_at_the_seam() {
    let map: MemoryMap<4> = map_of(&[(0x1800, 0x800, Usable), (0, 0x1800, Usable)]);
    assert_eq!(map.usable_frames().collect::<Vec<_>>(), [(0, 0x2000)]);
}

#[test]
fn reserve_splits_usable_memory() {
    let mut map: MemoryMap<4> = map_of(&[(0, 0x10_0000, Usable)]);
    map.reserve(0x2_0000, 0x3_0000, Kernel).unwrap();
    assert_eq!(
        map.regions(),
        [
            Region::new(0, 0x2_0000, Usable),
            Region::new(0x2_0000, 0x3_0000, Kernel),
            Region::new(0x3_0000, 0x10_0000, Usable),
        ]
    );
    assert_eq!(map.usable_bytes(), 0xf_0000);
}

#[test]
fn reserve_keeps_stronger_kinds_and_ignores_empty_ranges() {
    let mut map: MemoryMap<4> = map_of(&[(0, 0x3000, Usable), (0x1000, 0x1000, Bad)]);
    map.reserve(0, 0x3000, BootModule).unwrap();
    assert_eq!(
        map.regions(),
        [
            Region::new(0, 0x1000, BootModule),
            Region::new(0x1000, 0x2000, Bad),
            Region::new(0x2000, 0x3000, BootModule),
        ]
    );
    map.reserve(0x5000, 0x5000, Kernel).unwrap();
    map.reserve(0x6000, 0x5000, Kernel).unwrap();
    assert_eq!(map.regions().len(), 3);
}

#[test]
fn reserve_outside_known_memory_adds_a_region() {
    let mut map: MemoryMap<4> = map_of(&[(0, 0x1000, Usable)]);
    map.reserve(0x8000, 0x9000, BootInfo).unwrap();
    assert_eq!(
        map.regions(),
        [
            Region::new(0, 0x1000, Usable),
            Region::new(0x8000, 0x9000, BootInfo)
        ]
    );
}

#[test]
fn reserve_refuses_usable() {
    let mut map: MemoryMap<4> = map_of(&[(0, 0x1000, Reserved)]);
    assert_eq!(
        map.reserve(0, 0x1000, Usable),
        Err(MapError::UsableReservation)
    );
    assert_eq!(map.regions(), [Region::new(0, 0x1000, Reserved)]);
}

#[test]
fn add_when_full_compacts_first() {
    let mut map: MemoryMap<2> = map_of(&[(0x1000, 0x1000, Usable), (0, 0x2000, Usable)]);
    assert!(!map.is_normalized());
    map.add(0x5000, 0x1000, Reserved).unwrap();
    assert_eq!(
        map.regions(),
        [
            Region::new(0, 0x2000, Usable),
            Region::new(0x5000, 0x6000, Reserved)
        ]
    );
    assert_eq!(map.add(0x9000, 0x1000, Bad), Err(MapError::Full));
    assert_eq!(map.regions().len(), 2);
}

#[test]
fn normalize_that_does_not_fit_leaves_the_map_alone() {
    // Two entries that resolve into three regions.
    let mut map: MemoryMap<2> = map_of(&[(0, 0x3000, Usable), (0x1000, 0x1000, Kernel)]);
    let before: Vec<Region> = map.regions().to_vec();
    assert_eq!(map.normalize(), Err(MapError::Full));
    assert_eq!(map.regions(), &before[..]);
    assert!(!map.is_normalized());
}

#[test]
fn reserve_that_does_not_fit_leaves_the_memory_described_alone() {
    let mut map: MemoryMap<2> = map_of(&[(0, 0x3000, Usable)]);
    assert_eq!(map.reserve(0x1000, 0x2000, Kernel), Err(MapError::Full));
    assert_eq!(map.regions(), [Region::new(0, 0x3000, Usable)]);
    // Full of raw entries: the claim would need three regions.
    let mut map: MemoryMap<2> = map_of(&[(0, 0x2000, Usable), (0x2000, 0x1000, Usable)]);
    let mut other: MemoryMap<2> = map_of(&[(0x2000, 0x1000, Usable), (0, 0x2000, Usable)]);
    let before = resolved(&other);
    assert_eq!(other.reserve(0x1000, 0x2000, Kernel), Err(MapError::Full));
    assert_eq!(resolved(&other), before);
    // A claim that fits after compaction succeeds.
    map.reserve(0x2000, 0x3000, Kernel).unwrap();
    assert_eq!(
        map.regions(),
        [
            Region::new(0, 0x2000, Usable),
            Region::new(0x2000, 0x3000, Kernel)
        ]
    );
}

#[test]
fn zero_capacity_map_refuses_everything_gracefully() {
    let mut map: MemoryMap<0> = MemoryMap::new();
    assert_eq!(map.add(0, 0x1000, Usable), Err(MapError::Full));
    assert_eq!(map.reserve(0, 0x1000, Kernel), Err(MapError::Full));
    assert_eq!(map.normalize(), Ok(()));
    assert_eq!(map.usable_bytes(), 0);
}

#[test]
fn find_usable_picks_the_lowest_fit_above_the_floor() {
    let map: MemoryMap<4> = map_of(&[
        (0, 0x2000, Usable),
        (0x10_000, 0x4000, Usable),
        (0x20_000, 0x10_000, Usable),
    ]);
    assert_eq!(map.find_usable(0x1000, 0), Some(0));
    assert_eq!(map.find_usable(0, 0), Some(0));
    assert_eq!(map.find_usable(0x2001, 0), Some(0x10_000));
    assert_eq!(map.find_usable(0x1000, 0x11_001), Some(0x12_000));
    assert_eq!(map.find_usable(0x8000, 0), Some(0x20_000));
    assert_eq!(map.find_usable(0x10_001, 0), None);
    assert_eq!(map.find_usable(u64::MAX, 0), None);
    assert_eq!(map.find_usable(1, u64::MAX), None);
}

#[test]
fn reserve_on_a_full_map_succeeds_when_nothing_splits() {
    let mut map: MemoryMap<2> = map_of(&[(0, 0x3000, Usable), (0x3000, 0x3000, Bad)]);
    assert!(map.is_normalized());
    map.reserve(0x4000, 0x5000, Kernel).unwrap();
    map.reserve(0, 0x3000, Kernel).unwrap();
    assert_eq!(
        map.regions(),
        [
            Region::new(0, 0x3000, Kernel),
            Region::new(0x3000, 0x6000, Bad)
        ]
    );
}
