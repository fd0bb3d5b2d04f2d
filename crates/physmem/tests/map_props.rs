//! Property tests for `MemoryMap`: random overlapping raw entries of random
//! kinds, checked after `normalize` (and `reserve`) against a reference model
//! that gives every address the strongest kind of the entries covering it.

use physmem::{MapError, MemoryMap, Region, RegionKind, PAGE_SIZE};
use proptest::prelude::*;

/// A raw entry as the firmware would give it: start, length, kind.
type Raw = (u64, u64, RegionKind);

/// The reference model: the strongest kind among the entries covering `addr`.
fn model_kind(raw: &[Raw], addr: u64) -> Option<RegionKind> {
    raw.iter()
        .filter(|&&(start, len, _)| start <= addr && addr < start.saturating_add(len))
        .map(|&(_, _, kind)| kind)
        .max_by_key(|kind| kind.precedence())
}

/// Every start and end of the raw entries.
fn boundaries(raw: &[Raw]) -> Vec<u64> {
    raw.iter()
        .filter(|&&(_, len, _)| len > 0)
        .flat_map(|&(start, len, _)| [start, start.saturating_add(len)])
        .collect()
}

/// Addresses worth checking: each boundary, its neighbours, and the samples.
fn probe_points(raw: &[Raw], samples: &[u64]) -> Vec<u64> {
    let mut points: Vec<u64> = boundaries(raw)
        .into_iter()
        .flat_map(|b| [b.saturating_sub(1), b, b.saturating_add(1)])
        .chain(samples.iter().copied())
        .chain([0, u64::MAX])
        .collect();
    points.sort_unstable();
    points.dedup();
    points
}

/// The kind the map gives `addr`.
fn map_kind(regions: &[Region], addr: u64) -> Option<RegionKind> {
    regions.iter().find(|r| r.contains(addr)).map(|r| r.kind)
}

/// True when every byte of the page at `page` is usable in the model. The
/// kind only changes at boundaries, so checking those inside the page is
/// enough.
fn model_page_usable(raw: &[Raw], page: u64) -> bool {
    let last = page + (PAGE_SIZE - 1);
    std::iter::once(page)
        .chain(
            boundaries(raw)
                .into_iter()
                .filter(|&b| page < b && b <= last),
        )
        .all(|a| model_kind(raw, a) == Some(RegionKind::Usable))
}

fn kind() -> impl Strategy<Value = RegionKind> {
    proptest::sample::select(RegionKind::ALL.to_vec())
}

/// Mostly small, quarter-page-granular entries that overlap a lot; now and
/// then one near the top of the address space or with a huge length.
fn raw_entry() -> impl Strategy<Value = Raw> {
    prop_oneof![
        8 => (0u64..96, 0u64..40, kind()).prop_map(|(s, l, k)| (s * 0x400, l * 0x400, k)),
        1 => (0u64..16, any::<u64>(), kind()).prop_map(|(s, l, k)| (u64::MAX - s * 0x400, l, k)),
        1 => (any::<u64>(), any::<u64>(), kind()),
    ]
}

fn samples() -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(prop_oneof![0u64..0x2_8000, any::<u64>()], 0..16)
}

/// Checks `regions` is in normal form and agrees with the model everywhere
/// probed; checks the usable-memory queries too.
fn check_against_model<const N: usize>(
    map: &MemoryMap<N>,
    raw: &[Raw],
    samples: &[u64],
) -> Result<(), TestCaseError> {
    let regions = map.regions();
    for r in regions {
        prop_assert!(r.start < r.end, "empty region {}", r);
    }
    for pair in regions.windows(2) {
        prop_assert!(
            pair[0].end <= pair[1].start,
            "unsorted or overlapping: {:?}",
            pair
        );
        prop_assert!(
            pair[0].end < pair[1].start || pair[0].kind != pair[1].kind,
            "unmerged: {:?}",
            pair
        );
    }
    let points = probe_points(raw, samples);
    for &addr in &points {
        prop_assert_eq!(
            map_kind(regions, addr),
            model_kind(raw, addr),
            "at {:#x}",
            addr
        );
    }

    let extents: Vec<(u64, u64)> = map.usable_frames().collect();
    for &(start, end) in &extents {
        prop_assert!(start < end);
        prop_assert_eq!(start % PAGE_SIZE, 0);
        prop_assert_eq!(end % PAGE_SIZE, 0);
    }
    for pair in extents.windows(2) {
        prop_assert!(pair[0].1 <= pair[1].0);
    }
    for &addr in &points {
        let page = addr & !(PAGE_SIZE - 1);
        let in_extent = extents.iter().any(|&(s, e)| s <= page && page < e);
        prop_assert_eq!(in_extent, model_page_usable(raw, page), "page {:#x}", page);
    }
    let total: u64 = extents.iter().map(|&(s, e)| e - s).sum();
    prop_assert_eq!(map.usable_bytes(), total);
    prop_assert_eq!(
        map.highest_usable_end(),
        extents.last().map_or(0, |&(_, e)| e)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn normalize_matches_the_model(
        raw in proptest::collection::vec(raw_entry(), 0..24),
        samples in samples(),
    ) {
        let mut map: MemoryMap<64> = MemoryMap::new();
        for &(start, len, kind) in &raw {
            map.add(start, len, kind).unwrap();
        }
        // The queries already see the resolved map before normalize.
        let before: Vec<Region> = map.resolved().collect();
        map.normalize().unwrap();
        prop_assert!(map.is_normalized());
        prop_assert_eq!(map.regions(), &before[..]);
        check_against_model(&map, &raw, &samples)?;

        // Normalising again changes nothing; insertion order does not matter.
        map.normalize().unwrap();
        prop_assert_eq!(map.regions(), &before[..]);
        let mut reversed: MemoryMap<64> = MemoryMap::new();
        for &(start, len, kind) in raw.iter().rev() {
            reversed.add(start, len, kind).unwrap();
        }
        reversed.normalize().unwrap();
        prop_assert_eq!(reversed.regions(), map.regions());
    }

    #[test]
    fn reserve_matches_the_model(
        mut raw in proptest::collection::vec(raw_entry(), 0..16),
        claims in proptest::collection::vec(
            (raw_entry(), kind().prop_filter("a claim", |k| !k.is_usable())), 0..6),
        samples in samples(),
    ) {
        let mut map: MemoryMap<64> = MemoryMap::new();
        for &(start, len, kind) in &raw {
            map.add(start, len, kind).unwrap();
        }
        map.normalize().unwrap();
        for &((start, len, _), kind) in &claims {
            let end = start.saturating_add(len);
            map.reserve(start, end, kind).unwrap();
            prop_assert!(map.is_normalized());
            raw.push((start, len, kind));
        }
        check_against_model(&map, &raw, &samples)?;
        prop_assert_eq!(map.reserve(0, 1, RegionKind::Usable), Err(MapError::UsableReservation));
    }

    #[test]
    fn small_maps_fail_cleanly_when_full(
        ops in proptest::collection::vec((raw_entry(), any::<bool>()), 0..12),
        samples in samples(),
    ) {
        let mut map: MemoryMap<4> = MemoryMap::new();
        let mut accepted: Vec<Raw> = Vec::new();
        for &((start, len, kind), as_claim) in &ops {
            let before: Vec<Region> = map.resolved().collect();
            let result = if as_claim && !kind.is_usable() {
                map.reserve(start, start.saturating_add(len), kind)
            } else {
                map.add(start, len, kind)
            };
            match result {
                Ok(()) => accepted.push((start, len, kind)),
                Err(e) => {
                    prop_assert_eq!(e, MapError::Full);
                    let after: Vec<Region> = map.resolved().collect();
                    prop_assert_eq!(after, before);
                }
            }
            prop_assert!(map.regions().len() <= 4);
        }
        let before: Vec<Region> = map.resolved().collect();
        match map.normalize() {
            Ok(()) => check_against_model(&map, &accepted, &samples)?,
            Err(e) => {
                prop_assert_eq!(e, MapError::Full);
                prop_assert!(!map.is_normalized());
                prop_assert!(before.len() > 4);
            }
        }
        let after: Vec<Region> = map.resolved().collect();
        prop_assert_eq!(after, before);
    }
}
