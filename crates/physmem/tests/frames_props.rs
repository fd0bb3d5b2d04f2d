//! Property tests for `FrameAllocator`: random sequences of alloc, alloc_at,
//! alloc_contiguous, remove_range and free, run against a reference model
//! made of ordered sets.

use std::collections::BTreeSet;

use physmem::{FrameAllocator, FrameError, PAGE_SIZE};
use proptest::prelude::*;

const P: u64 = PAGE_SIZE;

#[derive(Debug, Clone)]
enum Op {
    Alloc,
    AllocAt(u64),
    AllocContiguous(usize, usize),
    Remove(u64, u64),
    /// Free the n-th handed-out frame (modulo how many there are).
    FreeHandedOut(usize),
    /// Free an arbitrary address, possibly unaligned or out of range.
    FreeAny(u64),
}

fn op(frames: u64) -> impl Strategy<Value = Op> {
    let span = (frames + 8) * P;
    prop_oneof![
        4 => Just(Op::Alloc),
        2 => (0..frames + 8).prop_map(|f| Op::AllocAt(f * P)),
        2 => (prop_oneof![0usize..6, 0usize..140], prop_oneof![0usize..6, Just(64)])
            .prop_map(|(c, a)| Op::AllocContiguous(c, a)),
        1 => (0..span, 0..4 * P).prop_map(|(s, l)| Op::Remove(s, s + l)),
        4 => any::<usize>().prop_map(Op::FreeHandedOut),
        2 => prop_oneof![
            (0..frames + 8).prop_map(|f| f * P),
            0..span,
            any::<u64>(),
        ].prop_map(Op::FreeAny),
    ]
}

/// A capacity, usable byte ranges (unaligned at times), and operations.
fn scenario() -> impl Strategy<Value = (u64, Vec<(u64, u64)>, Vec<Op>)> {
    (1u64..300).prop_flat_map(|frames| {
        let span = (frames + 8) * P;
        let range = (0..span, 0..span / 2).prop_map(|(s, l)| (s, s + l));
        (
            Just(frames),
            proptest::collection::vec(range, 0..5),
            proptest::collection::vec(op(frames), 0..80),
        )
    })
}

/// What the allocator should hold.
struct Model {
    frames: u64,
    free: BTreeSet<u64>,
    /// Managed frames that are not free (handed out or removed).
    used: BTreeSet<u64>,
}

impl Model {
    fn managed(&self) -> usize {
        self.free.len() + self.used.len()
    }

    /// Moves the frames `first..first + count` from free to used.
    fn take(&mut self, first: u64, count: u64) -> Result<(), TestCaseError> {
        for f in first..first + count {
            prop_assert!(self.free.remove(&f), "frame {} handed out but not free", f);
            self.used.insert(f);
        }
        Ok(())
    }

    /// The lowest aligned start of `count` free frames (first fit).
    fn first_run(&self, count: u64, align: u64) -> Option<u64> {
        (0..self.frames)
            .filter(|s| s % align == 0)
            .find(|&s| s + count <= self.frames && (s..s + count).all(|f| self.free.contains(&f)))
    }
}

fn check_state(fa: &FrameAllocator<'_>, model: &Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(fa.free_count(), model.free.len());
    prop_assert_eq!(fa.managed_count(), model.managed());
    for f in 0..model.frames + 2 {
        prop_assert_eq!(fa.is_free(f * P), model.free.contains(&f), "frame {}", f);
    }
    Ok(())
}

fn apply(fa: &mut FrameAllocator<'_>, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match *op {
        Op::Alloc => match fa.alloc() {
            Ok(addr) => {
                prop_assert_eq!(addr % P, 0);
                model.take(addr / P, 1)?;
            }
            Err(e) => {
                prop_assert_eq!(e, FrameError::OutOfFrames);
                prop_assert!(model.free.is_empty());
            }
        },
        Op::AllocAt(addr) => {
            let f = addr / P;
            let expected = if f >= model.frames {
                Err(FrameError::OutOfRange)
            } else if model.free.contains(&f) {
                Ok(())
            } else {
                Err(FrameError::NotFree)
            };
            prop_assert_eq!(fa.alloc_at(addr), expected);
            if expected.is_ok() {
                model.take(f, 1)?;
            }
        }
        Op::AllocContiguous(count, align) => {
            let align_frames = (align as u64).max(1);
            match fa.alloc_contiguous(count, align) {
                Ok(addr) => {
                    prop_assert!(count > 0);
                    prop_assert_eq!(addr % P, 0);
                    prop_assert_eq!((addr / P) % align_frames, 0);
                    prop_assert_eq!(Some(addr / P), model.first_run(count as u64, align_frames));
                    model.take(addr / P, count as u64)?;
                }
                Err(FrameError::OutOfRange) => prop_assert_eq!(count, 0),
                Err(FrameError::OutOfFrames) => {
                    prop_assert_eq!(model.first_run(count as u64, align_frames), None);
                }
                Err(e) => prop_assert!(false, "unexpected {:?}", e),
            }
        }
        Op::Remove(start, end) => {
            fa.remove_range(start, end);
            let first = start / P;
            let last = end.div_ceil(P);
            for f in first..last {
                if model.free.remove(&f) {
                    model.used.insert(f);
                }
            }
        }
        Op::FreeHandedOut(n) => {
            if !model.used.is_empty() {
                let f = *model.used.iter().nth(n % model.used.len()).unwrap();
                prop_assert_eq!(fa.free(f * P), Ok(()));
                model.used.remove(&f);
                model.free.insert(f);
            }
        }
        Op::FreeAny(addr) => {
            let f = addr / P;
            let expected = if addr % P != 0 {
                Err(FrameError::Unaligned)
            } else if f >= model.frames {
                Err(FrameError::OutOfRange)
            } else if model.used.contains(&f) {
                Ok(())
            } else {
                Err(FrameError::NotAllocated)
            };
            prop_assert_eq!(fa.free(addr), expected);
            if expected.is_ok() {
                model.used.remove(&f);
                model.free.insert(f);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn allocator_matches_the_model((frames, ranges, ops) in scenario()) {
        let mut storage = vec![u64::MAX; FrameAllocator::words_needed(frames * P)];
        let mut fa = FrameAllocator::new(&mut storage, frames * P);
        prop_assert_eq!(fa.capacity_end(), frames * P);

        // Usable ranges: whole frames inside them, clipped to the capacity.
        let mut model = Model { frames, free: BTreeSet::new(), used: BTreeSet::new() };
        for &(start, end) in &ranges {
            fa.add_free_range(start, end);
            let first = start.div_ceil(P);
            let last = (end / P).min(frames);
            model.free.extend(first..last.max(first));
        }
        check_state(&fa, &model)?;
        let managed = model.managed();

        for op in &ops {
            apply(&mut fa, &mut model, op)?;
            check_state(&fa, &model)?;
            // Everything not free was once inside a usable range.
            prop_assert_eq!(fa.managed_count(), managed);
        }

        // Hand everything back: the allocator returns to its start figure.
        for f in std::mem::take(&mut model.used) {
            prop_assert_eq!(fa.free(f * P), Ok(()));
            model.free.insert(f);
        }
        prop_assert_eq!(fa.free_count(), managed);
        check_state(&fa, &model)?;

        // And it hands out exactly that many distinct frames, then runs dry.
        let mut seen = BTreeSet::new();
        while let Ok(addr) = fa.alloc() {
            prop_assert!(model.free.contains(&(addr / P)));
            prop_assert!(seen.insert(addr), "frame {:#x} handed out twice", addr);
        }
        prop_assert_eq!(seen.len(), managed);
        prop_assert_eq!(fa.alloc(), Err(FrameError::OutOfFrames));
        prop_assert_eq!(fa.alloc_contiguous(1, 1), Err(FrameError::OutOfFrames));
        prop_assert_eq!(fa.free_count(), 0);
    }
}
