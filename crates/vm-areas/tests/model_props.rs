//! Property tests: random maps, unmaps, protection changes and
//! extensions on [`Areas`] and on a model that keeps one value per page
//! (`None`: unmapped, or the protection and sharing). After every step:
//!
//! * areas are non-empty, page aligned, in order and never overlap;
//! * every page lies in an area exactly when the model maps it, with the
//!   model's protection: the areas cover what was mapped minus what was
//!   unmapped;
//! * `is_free`, `covers` and `sizes_in` agree with the model on random
//!   ranges, and `gap_below` finds the model's highest free window.

use proptest::prelude::*;
use vm_areas::{Area, Areas, FileMap, PAGE};

/// Pages of the modelled address space.
const PAGES: u64 = 48;

#[derive(Clone, Debug)]
enum Op {
    /// Map fixed (replacing what is there).
    Map(u64, u64, u32, bool),
    /// Map only if free.
    MapFree(u64, u64, u32),
    Unmap(u64, u64),
    Protect(u64, u64, u32),
    /// Grow the area holding the page before `at` up to `to` if free.
    Extend(u64, u64),
}

fn range() -> impl Strategy<Value = (u64, u64)> {
    (0..PAGES, 1..12u64).prop_map(|(s, n)| (s, (s + n).min(PAGES)))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (range(), 0u32..8, any::<bool>()).prop_map(|((s, e), p, sh)| Op::Map(s, e, p, sh)),
        2 => (range(), 0u32..8).prop_map(|((s, e), p)| Op::MapFree(s, e, p)),
        2 => range().prop_map(|(s, e)| Op::Unmap(s, e)),
        2 => (range(), 0u32..8).prop_map(|((s, e), p)| Op::Protect(s, e, p)),
        1 => range().prop_map(|(s, e)| Op::Extend(s, e)),
    ]
}

type Model = [Option<(u32, bool)>; PAGES as usize];

fn check(areas: &Areas, model: &Model) {
    let mut last_end = 0;
    for (s, a) in areas.iter() {
        assert!(s < a.end, "empty area at {s:#x}");
        assert_eq!(s % PAGE, 0);
        assert_eq!(a.end % PAGE, 0);
        assert!(s >= last_end, "overlap at {s:#x}");
        last_end = a.end;
    }
    for (p, want) in model.iter().enumerate() {
        let got = areas
            .find(p as u64 * PAGE + 17)
            .map(|(_, a)| (a.prot, a.shared));
        assert_eq!(got, *want, "page {p}");
    }
}

fn free_in_model(model: &Model, s: u64, e: u64) -> bool {
    (s..e).all(|p| model[p as usize].is_none())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn areas_match_a_per_page_model(
        ops in proptest::collection::vec(op(), 1..40),
        probes in proptest::collection::vec((range(), 1..8u64), 8),
    ) {
        let mut areas = Areas::new();
        let mut model: Model = [None; PAGES as usize];
        for op in ops {
            match op {
                Op::Map(s, e, prot, shared) => {
                    areas.cut(s * PAGE, e * PAGE);
                    areas.insert(s * PAGE, Area { end: e * PAGE, prot, shared, file: None });
                    for p in s..e {
                        model[p as usize] = Some((prot, shared));
                    }
                }
                Op::MapFree(s, e, prot) => {
                    let free = areas.is_free(s * PAGE, e * PAGE);
                    prop_assert_eq!(free, free_in_model(&model, s, e));
                    if free {
                        areas.insert(s * PAGE, Area { end: e * PAGE, prot, shared: false, file: None });
                        for p in s..e {
                            model[p as usize] = Some((prot, false));
                        }
                    }
                }
                Op::Unmap(s, e) => {
                    let inside = areas.cut(s * PAGE, e * PAGE);
                    // What was cut out is exactly what the model had there.
                    let mut pages = 0;
                    for (lo, a) in &inside {
                        prop_assert!(*lo >= s * PAGE && a.end <= e * PAGE);
                        for p in lo / PAGE..a.end / PAGE {
                            prop_assert_eq!(model[p as usize], Some((a.prot, a.shared)));
                            pages += 1;
                        }
                    }
                    prop_assert_eq!(pages, (s..e).filter(|&p| model[p as usize].is_some()).count());
                    for p in s..e {
                        model[p as usize] = None;
                    }
                }
                Op::Protect(s, e, prot) => {
                    let covered = areas.covers(s * PAGE, e * PAGE);
                    prop_assert_eq!(covered, (s..e).all(|p| model[p as usize].is_some()));
                    areas.protect(s * PAGE, e * PAGE, prot);
                    for p in s..e {
                        if let Some((_, sh)) = model[p as usize] {
                            model[p as usize] = Some((prot, sh));
                        }
                    }
                }
                Op::Extend(at, to) => {
                    if at == 0 {
                        continue;
                    }
                    if let Some((start, a)) = areas.find(at * PAGE - 1) {
                        if a.end == at * PAGE && to > at && areas.is_free(at * PAGE, to * PAGE) {
                            prop_assert!(areas.extend(start, to * PAGE));
                            for p in at..to {
                                model[p as usize] = Some((a.prot, a.shared));
                            }
                        }
                    }
                }
            }
            check(&areas, &model);
        }
        for ((s, e), len) in probes {
            prop_assert_eq!(areas.is_free(s * PAGE, e * PAGE), free_in_model(&model, s, e));
            let counted = |p: u64| model[p as usize].is_some_and(|(prot, sh)| prot & 2 != 0 && !sh);
            let want = (
                (s..e).filter(|&p| model[p as usize].is_some()).count() as u64 * PAGE,
                (s..e).filter(|&p| counted(p)).count() as u64 * PAGE,
            );
            let got = areas.sizes_in(s * PAGE, e * PAGE, |_, a| a.prot & 2 != 0 && !a.shared);
            prop_assert_eq!(got, want);
            // Top-down first fit below page `e`, not below page `s`.
            let model_gap = (s..=e.saturating_sub(len))
                .rev()
                .find(|&p| p + len <= e && free_in_model(&model, p, p + len))
                .map(|p| p * PAGE);
            prop_assert_eq!(areas.gap_below(e * PAGE, len * PAGE, s * PAGE), model_gap);
        }
    }
}

fn area(end: u64, prot: u32, shared: bool) -> Area {
    Area {
        end,
        prot,
        shared,
        file: None,
    }
}

#[test]
fn split_file_areas_keep_their_offsets() {
    let mut a = Areas::new();
    let file = Some(FileMap {
        handle: 7,
        offset: 0x10000,
        may_write: true,
    });
    a.insert(
        0x1000,
        Area {
            end: 0x6000,
            prot: 3,
            shared: true,
            file,
        },
    );
    let inside = a.protect(0x2000, 0x4000, 1);
    let off = |v: Area| v.file.map(|f| f.offset);
    assert_eq!(inside.len(), 1);
    assert_eq!(off(inside[0].1), Some(0x11000));
    assert_eq!(off(a.find(0x1000).unwrap().1), Some(0x10000));
    assert_eq!(off(a.find(0x2000).unwrap().1), Some(0x11000));
    assert_eq!(off(a.find(0x4000).unwrap().1), Some(0x13000));
    assert_eq!(a.find(0x4000).unwrap().1.end, 0x6000);
}

#[test]
fn cut_splits_at_both_edges() {
    let mut a = Areas::new();
    a.insert(0x1000, area(0x5000, 3, false));
    let inside = a.cut(0x2000, 0x3000);
    assert_eq!(inside, [(0x2000, area(0x3000, 3, false))]);
    let left: Vec<_> = a.iter().collect();
    assert_eq!(
        left,
        [
            (0x1000, area(0x2000, 3, false)),
            (0x3000, area(0x5000, 3, false)),
        ]
    );
    assert!(a.is_free(0x2000, 0x3000));
    assert!(!a.covers(0x1000, 0x5000));
}

#[test]
fn protect_changes_only_the_range() {
    let mut a = Areas::new();
    a.insert(0, area(0x4000, 3, true));
    a.protect(0x1000, 0x2000, 1);
    assert_eq!(
        a.find(0x1800).map(|(s, v)| (s, v.prot, v.shared)),
        Some((0x1000, 1, true))
    );
    assert_eq!(a.find(0x800).map(|(_, v)| v.prot), Some(3));
    assert_eq!(a.find(0x2800).map(|(s, v)| (s, v.prot)), Some((0x2000, 3)));
}

#[test]
fn gap_below_skips_areas_in_the_way() {
    let mut a = Areas::new();
    a.insert(0x8000, area(0xa000, 3, false));
    assert_eq!(a.gap_below(0xa000, 0x2000, 0), Some(0x6000));
    assert_eq!(a.gap_below(0xa000, 0x9000, 0), None);
    assert_eq!(a.gap_below(0x20000, 0x1000, 0x1f000), Some(0x1f000));
    assert_eq!(a.gap_below(u64::MAX, u64::MAX, 1), None);
}
