//! The overlap resolver: walks raw, unsorted, possibly overlapping regions in
//! address order and yields the normalised map they describe.
//!
//! It needs no scratch memory: each step scans the raw entries once, so a
//! full walk over `n` entries costs O(n²) comparisons, which is nothing for
//! the few hundred entries a boot memory map has.

use core::iter::FusedIterator;

use super::{Region, RegionKind};

/// The kind at `addr`: the strongest kind among the entries covering it.
pub(crate) fn kind_at(entries: impl Iterator<Item = Region>, addr: u64) -> Option<RegionKind> {
    entries
        .filter(|r| r.contains(addr))
        .map(|r| r.kind)
        .reduce(RegionKind::stronger)
}

/// The first address after `addr` at which some entry starts or ends.
fn next_boundary(entries: impl Iterator<Item = Region>, addr: u64) -> Option<u64> {
    entries
        .filter(|r| !r.is_empty())
        .flat_map(|r| [r.start, r.end])
        .filter(|&b| b > addr)
        .min()
}

/// Iterator over the normalised regions described by raw entries: sorted by
/// start, non-overlapping, non-empty, each address of the strongest kind
/// covering it, and no two touching regions of the same kind.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    raw: &'a [Region],
    /// One more entry, as if it were in `raw`.
    extra: Option<Region>,
    /// Every address below `pos` has been dealt with.
    pos: u64,
    done: bool,
}

impl<'a> Resolved<'a> {
    /// Resolves `raw` plus `extra`, which may be in any order and overlap.
    pub(crate) fn new(raw: &'a [Region], extra: Option<Region>) -> Self {
        Self {
            raw,
            extra,
            pos: 0,
            done: false,
        }
    }

    /// Every entry being resolved.
    fn entries(&self) -> impl Iterator<Item = Region> + 'a {
        self.raw.iter().copied().chain(self.extra)
    }
}

impl Iterator for Resolved<'_> {
    type Item = Region;

    fn next(&mut self) -> Option<Region> {
        if self.done {
            return None;
        }
        let pos = self.pos;
        let start = self
            .entries()
            .filter(|r| !r.is_empty() && r.end > pos)
            .map(|r| r.start.max(pos))
            .min();
        let Some((start, kind)) = start.and_then(|s| Some((s, kind_at(self.entries(), s)?))) else {
            self.done = true;
            return None;
        };
        // Between two consecutive boundaries the covering set, and so the
        // kind, is constant: step from boundary to boundary while it stays.
        let mut end = start;
        while let Some(next) = next_boundary(self.entries(), end) {
            end = next;
            if kind_at(self.entries(), end) != Some(kind) {
                break;
            }
        }
        self.pos = end;
        Some(Region::new(start, end, kind))
    }
}

impl FusedIterator for Resolved<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;
    use RegionKind::*;

    fn resolve(raw: &[Region]) -> Vec<Region> {
        Resolved::new(raw, None).collect()
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(resolve(&[]).is_empty());
        assert!(resolve(&[Region::new(5, 5, Usable), Region::new(9, 2, Bad)]).is_empty());
    }

    #[test]
    fn stronger_kind_splits_weaker() {
        let raw = [Region::new(0, 100, Usable), Region::new(40, 60, Reserved)];
        assert_eq!(
            resolve(&raw),
            [
                Region::new(0, 40, Usable),
                Region::new(40, 60, Reserved),
                Region::new(60, 100, Usable)
            ]
        );
    }

    #[test]
    fn weaker_kind_inside_stronger_vanishes() {
        let raw = [Region::new(40, 60, Usable), Region::new(0, 100, AcpiNvs)];
        assert_eq!(resolve(&raw), [Region::new(0, 100, AcpiNvs)]);
    }

    #[test]
    fn touching_and_overlapping_same_kind_merge_but_gaps_stay() {
        let raw = [
            Region::new(30, 50, Usable),
            Region::new(0, 10, Usable),
            Region::new(10, 20, Usable),
            Region::new(15, 25, Usable),
        ];
        assert_eq!(
            resolve(&raw),
            [Region::new(0, 25, Usable), Region::new(30, 50, Usable)]
        );
    }

    #[test]
    fn extra_entry_counts_like_the_others() {
        let raw = [Region::new(0, 100, Usable)];
        let got: Vec<Region> = Resolved::new(&raw, Some(Region::new(90, 120, Kernel))).collect();
        assert_eq!(
            got,
            [Region::new(0, 90, Usable), Region::new(90, 120, Kernel)]
        );
    }

    #[test]
    fn reaches_the_top_of_the_address_space() {
        let raw = [
            Region::new(u64::MAX - 10, u64::MAX, Usable),
            Region::new(u64::MAX - 5, u64::MAX, Bad),
        ];
        assert_eq!(
            resolve(&raw),
            [
                Region::new(u64::MAX - 10, u64::MAX - 5, Usable),
                Region::new(u64::MAX - 5, u64::MAX, Bad)
            ]
        );
    }
}
