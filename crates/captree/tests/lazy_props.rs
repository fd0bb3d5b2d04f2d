//! Property tests of lazily backed capability spaces: random inserts,
//! mints, moves and deletes at random slots of spaces of up to
//! `MAX_CSPACE_SLOTS` slots, against a map from slot to object. After every
//! step:
//!
//! * every slot the map holds identifies as that object, and probes of
//!   other slots (below and beyond the backed part) are `EmptySlot`;
//!   indices at or past the size are `BadSlot`;
//! * the backed part never reaches past the highest slot ever filled
//!   (memory only for what is used), and never past the size;
//! * `occupied_slots` lists exactly the map's slots, in order;
//! * a refused operation changed nothing, and `check_consistency` passes;
//!
//! and destroying the space a capability at a time deletes the highest
//! occupied slot each step (`occupied_slots` lists the rest).

use std::collections::BTreeMap;

use captree::{CSpaceId, CapError, CapSystem, Rights, SlotAddr, MAX_CSPACE_SLOTS};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Insert(u32),
    Mint(usize, u32),
    Move(usize, u32),
    Delete(usize),
}

/// Slot indices: mostly low, sometimes anywhere (including past the end).
fn index() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 0u32..64,
        2 => 0u32..MAX_CSPACE_SLOTS,
        1 => Just(MAX_CSPACE_SLOTS - 1),
        1 => MAX_CSPACE_SLOTS..=MAX_CSPACE_SLOTS + 8,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => index().prop_map(Op::Insert),
        2 => (any::<usize>(), index()).prop_map(|(s, d)| Op::Mint(s, d)),
        1 => (any::<usize>(), index()).prop_map(|(s, d)| Op::Move(s, d)),
        2 => any::<usize>().prop_map(Op::Delete),
    ]
}

struct State {
    sys: CapSystem<u32>,
    space: CSpaceId,
    size: u32,
    /// Slot -> object.
    map: BTreeMap<u32, u32>,
    next_object: u32,
    /// The highest slot ever filled.
    high: Option<u32>,
}

impl State {
    fn nth(&self, n: usize) -> Option<u32> {
        if self.map.is_empty() {
            return None;
        }
        self.map.keys().nth(n % self.map.len()).copied()
    }

    fn filled(&mut self, at: u32, obj: u32) {
        self.map.insert(at, obj);
        self.high = Some(self.high.map_or(at, |h| h.max(at)));
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let before = self.sys.clone();
        let at = |i| SlotAddr::new(self.space, i);
        let result = match *op {
            Op::Insert(d) => {
                let obj = self.next_object;
                let r = self.sys.insert_root(at(d), obj, Rights::ALL).map(|_| ());
                let want = if d >= self.size {
                    Err(CapError::BadSlot)
                } else if self.map.contains_key(&d) {
                    Err(CapError::SlotOccupied)
                } else {
                    Ok(())
                };
                prop_assert_eq!(r.map_err(|e| e.error), want);
                if want.is_ok() {
                    self.next_object += 1;
                    self.filled(d, obj);
                }
                want
            }
            Op::Mint(s, d) => match self.nth(s) {
                None => Ok(()),
                Some(s) => {
                    let r = self
                        .sys
                        .mint(at(s), at(d), Rights::READ | Rights::DERIVE, 0);
                    let want = if d >= self.size {
                        Err(CapError::BadSlot)
                    } else if self.map.contains_key(&d) {
                        Err(CapError::SlotOccupied)
                    } else {
                        Ok(())
                    };
                    prop_assert_eq!(r, want);
                    if want.is_ok() {
                        let obj = self.map[&s];
                        self.filled(d, obj);
                    }
                    want
                }
            },
            Op::Move(s, d) => match self.nth(s) {
                None => Ok(()),
                Some(s) => {
                    let r = self.sys.move_cap(at(s), at(d));
                    let want = if d >= self.size {
                        Err(CapError::BadSlot)
                    } else if self.map.contains_key(&d) {
                        Err(CapError::SlotOccupied)
                    } else {
                        Ok(())
                    };
                    prop_assert_eq!(r, want);
                    if want.is_ok() {
                        let obj = self.map.remove(&s).unwrap();
                        self.filled(d, obj);
                    }
                    want
                }
            },
            Op::Delete(s) => match self.nth(s) {
                None => Ok(()),
                Some(s) => {
                    prop_assert!(self.sys.delete(at(s)).is_ok());
                    self.map.remove(&s);
                    Ok(())
                }
            },
        };
        if result.is_err() {
            prop_assert!(self.sys == before, "refused {:?} changed the state", op);
        }
        self.check()
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let at = |i| SlotAddr::new(self.space, i);
        prop_assert_eq!(self.sys.check_consistency(), Ok(()));
        prop_assert_eq!(self.sys.cspace_size(self.space), Ok(self.size));
        let backed = self.sys.cspace_backed(self.space).unwrap();
        prop_assert!(backed <= self.size);
        prop_assert!(
            backed <= self.high.map_or(0, |h| h + 1),
            "{} slots backed, highest ever filled {:?}",
            backed,
            self.high
        );
        for (&slot, &obj) in &self.map {
            prop_assert_eq!(*self.sys.identify(at(slot)).unwrap().kind, obj);
        }
        let listed: Vec<u32> = self.sys.occupied_slots(self.space).unwrap().collect();
        let want: Vec<u32> = self.map.keys().copied().collect();
        prop_assert_eq!(listed, want);
        for probe in [
            0,
            1,
            backed.saturating_sub(1),
            backed,
            backed + 1,
            self.size - 1,
        ] {
            if probe < self.size && !self.map.contains_key(&probe) {
                prop_assert_eq!(
                    self.sys.identify(at(probe)).unwrap_err(),
                    CapError::EmptySlot
                );
            }
        }
        for bad in [self.size, self.size + 1, u32::MAX] {
            prop_assert_eq!(self.sys.identify(at(bad)).unwrap_err(), CapError::BadSlot);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn lazily_backed_spaces_behave_like_full_ones(
        size in prop_oneof![Just(MAX_CSPACE_SLOTS), 1u32..=MAX_CSPACE_SLOTS],
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut sys = CapSystem::new();
        let space = sys.create_cspace(size).unwrap();
        prop_assert_eq!(sys.cspace_backed(space), Ok(0));
        let mut st = State { sys, space, size, map: BTreeMap::new(), next_object: 0, high: None };
        st.check()?;
        for op in &ops {
            st.apply(op)?;
        }
        // Destroying the space, a capability at a time, takes the
        // highest slot first and releases everything in it.
        let mut released = 0;
        let mut left: Vec<u32> = st.map.keys().copied().collect();
        loop {
            let mut deleted = Vec::new();
            let step = st.sys.destroy_cspace_some(space, 1, |r| match r {
                captree::Removed::Object(_) => released += 1,
                captree::Removed::Cap(d) => deleted.push(d.slot.index),
            });
            let step = step.unwrap();
            prop_assert_eq!(step.deleted, deleted.len());
            if let Some(&slot) = deleted.first() {
                prop_assert_eq!(Some(slot), left.pop(), "not the highest slot");
            }
            if step.done {
                break;
            }
            prop_assert_eq!(st.sys.check_consistency(), Ok(()));
            let listed: Vec<u32> = st.sys.occupied_slots(space).unwrap().collect();
            prop_assert_eq!(&listed, &left);
        }
        prop_assert!(left.is_empty());
        prop_assert_eq!(released, st.map.values().collect::<std::collections::BTreeSet<_>>().len());
        prop_assert_eq!(st.sys.cap_count(), 0);
    }
}
