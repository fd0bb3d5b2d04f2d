//! Property tests: random sequences of capability operations (on random,
//! often invalid, slots and spaces) run on the real [`CapSystem`] and on
//! the reference model side by side. After every step:
//!
//! * both give the same result (the same error, or the same released
//!   objects);
//! * a refused operation left the real state bit-for-bit unchanged;
//! * every slot of every space holds the same capability (object, rights,
//!   badge) with the same parent slot in both;
//! * every capability's rights are a subset of its parent's;
//! * after a revoke nothing derived from the revoked capability survives;
//! * every object the model released is stale in the real arena, every
//!   live one is still there (released exactly when its last cap went);
//! * `check_consistency` passes.

mod model;

use captree::{CSpaceId, CapError, CapSystem, ObjectId, Released, Removed, Rights, SlotAddr};
use model::{Bulk, MSlot, Model};
use proptest::prelude::*;

const START_SPACES: usize = 3;
const SPACE_SIZE: u32 = 8;

/// A slot operand, resolved against the state when the operation runs:
/// mostly "the n-th occupied slot" (for sources) or "the n-th empty slot"
/// (for destinations), so that most operations do something; sometimes a
/// raw (handle, index) that may be stale, out of range, empty or full.
#[derive(Clone, Copy, Debug)]
enum Pick {
    Smart(usize),
    Raw(usize, u32),
}

#[derive(Clone, Debug)]
enum Op {
    Create(u32),
    Destroy(usize),
    InsertRoot(Pick, Rights),
    DeriveObject(Pick, Pick, Rights),
    Copy(Pick, Pick),
    Mint(Pick, Pick, Rights, u64),
    MintGranting(Pick, Pick, Rights, u64),
    Move(Pick, Pick),
    Delete(Pick),
    Revoke(Pick),
    /// Revoke in steps of at most this many deletions.
    RevokeSome(Pick, usize),
    Identify(Pick),
}

fn slot() -> impl Strategy<Value = Pick> {
    // Raw handles are reduced modulo the handle count; index SPACE_SIZE is
    // out of range in the starting spaces.
    prop_oneof![
        5 => any::<usize>().prop_map(Pick::Smart),
        1 => (0usize..16, 0..=SPACE_SIZE).prop_map(|(h, i)| Pick::Raw(h, i)),
    ]
}

fn rights() -> impl Strategy<Value = Rights> {
    prop_oneof![
        2 => Just(Rights::ALL),
        1 => Just(Rights::ALL - Rights::REVOKE),
        1 => Just(Rights::READ | Rights::DERIVE | Rights::REVOKE),
        3 => (0u32..128).prop_map(Rights::from_bits_truncate),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (1u32..=SPACE_SIZE).prop_map(Op::Create),
        1 => (0usize..64).prop_map(Op::Destroy),
        3 => (slot(), rights()).prop_map(|(d, r)| Op::InsertRoot(d, r)),
        2 => (slot(), slot(), rights()).prop_map(|(s, d, r)| Op::DeriveObject(s, d, r)),
        6 => (slot(), slot()).prop_map(|(s, d)| Op::Copy(s, d)),
        6 => (slot(), slot(), rights(), 0u64..3).prop_map(|(s, d, r, b)| Op::Mint(s, d, r, b)),
        3 => (slot(), slot(), rights(), 0u64..3)
            .prop_map(|(s, d, r, b)| Op::MintGranting(s, d, r, b)),
        3 => (slot(), slot()).prop_map(|(s, d)| Op::Move(s, d)),
        3 => slot().prop_map(Op::Delete),
        2 => slot().prop_map(Op::Revoke),
        1 => (slot(), 1usize..4).prop_map(|(s, n)| Op::RevokeSome(s, n)),
        1 => slot().prop_map(Op::Identify),
    ]
}

/// The real system, the model, and the mapping between their names.
struct Pair {
    real: CapSystem<u32>,
    model: Model,
    /// Real id of each model capability space handle.
    spaces: Vec<CSpaceId>,
    /// Real id of each model object number.
    objects: Vec<ObjectId>,
}

impl Pair {
    fn new() -> Self {
        let mut p = Pair {
            real: CapSystem::new(),
            model: Model::default(),
            spaces: Vec::new(),
            objects: Vec::new(),
        };
        for _ in 0..START_SPACES {
            p.create(SPACE_SIZE);
        }
        p
    }

    fn create(&mut self, size: u32) {
        self.spaces.push(self.real.create_cspace(size).unwrap());
        self.model.create(size);
    }

    fn raw(&self, h: usize, i: u32) -> MSlot {
        (h % self.spaces.len(), i)
    }

    /// Resolves a source operand: the n-th occupied slot.
    fn src(&self, p: Pick) -> MSlot {
        match p {
            Pick::Raw(h, i) => self.raw(h, i),
            Pick::Smart(n) if !self.model.caps.is_empty() => {
                self.model.caps[n % self.model.caps.len()].at
            }
            Pick::Smart(n) => self.raw(n, n as u32 % SPACE_SIZE),
        }
    }

    /// Resolves a destination operand: the n-th empty slot of a live space.
    fn dst(&self, p: Pick) -> MSlot {
        match p {
            Pick::Raw(h, i) => self.raw(h, i),
            Pick::Smart(n) => {
                let empty: Vec<MSlot> = (0..self.model.spaces.len())
                    .filter(|&h| self.model.spaces[h].1)
                    .flat_map(|h| (0..self.model.spaces[h].0).map(move |i| (h, i)))
                    .filter(|&at| self.model.cap_at(at).is_none())
                    .collect();
                if empty.is_empty() {
                    self.raw(n, n as u32 % SPACE_SIZE)
                } else {
                    empty[n % empty.len()]
                }
            }
        }
    }

    fn addr(&self, s: MSlot) -> SlotAddr {
        SlotAddr::new(self.spaces[s.0], s.1)
    }

    /// Released objects as sorted model numbers, checking each came back
    /// with the id it was created under.
    fn sorted(&self, mut released: Vec<Released<u32>>) -> Result<Vec<u32>, TestCaseError> {
        released.sort_by_key(|r| r.object);
        for r in &released {
            prop_assert_eq!(r.id, self.objects[r.object as usize]);
        }
        Ok(released.into_iter().map(|r| r.object).collect())
    }

    /// A bulk removal's reports as the model's (sorted deleted slots,
    /// sorted released objects), checking that `count` capabilities were
    /// reported and that each release follows the deletion of a capability
    /// naming the object.
    fn bulk(&self, removed: Vec<Removed<u32>>, count: usize) -> Result<Bulk, TestCaseError> {
        let mut slots = Vec::new();
        let mut released = Vec::new();
        for (i, r) in removed.iter().enumerate() {
            match r {
                Removed::Cap(c) => {
                    let h = self
                        .spaces
                        .iter()
                        .position(|&id| id == c.slot.cspace)
                        .unwrap();
                    slots.push((h, c.slot.index));
                }
                Removed::Object(o) => {
                    let before = i.checked_sub(1).map(|j| &removed[j]);
                    prop_assert!(
                        matches!(before, Some(Removed::Cap(c)) if c.object == o.id),
                        "release not right after its last capability"
                    );
                    released.push(o.clone());
                }
            }
        }
        prop_assert_eq!(slots.len(), count);
        slots.sort();
        Ok((slots, self.sorted(released)?))
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let before = self.real.clone();
        let result: Result<Vec<u32>, CapError> = match *op {
            Op::Create(size) => {
                self.create(size);
                Ok(Vec::new())
            }
            Op::Destroy(h) => {
                let h = h % self.spaces.len();
                let mut out = Vec::new();
                let real = self.real.destroy_cspace(self.spaces[h], |r| out.push(r));
                let real = match real {
                    Ok(n) => Ok(self.bulk(out, n)?),
                    Err(e) => Err(e),
                };
                prop_assert_eq!(&real, &self.model.destroy(h));
                real.map(|(_, r)| r)
            }
            Op::InsertRoot(d, r) => {
                let d = self.dst(d);
                let real = self
                    .real
                    .insert_root(self.addr(d), self.model.objects.len() as u32, r);
                let want = self.model.insert_root(d, r);
                self.new_object(real, want)?
            }
            Op::DeriveObject(s, d, r) => {
                let (s, d) = (self.src(s), self.dst(d));
                let real = self.real.derive_object(
                    self.addr(s),
                    self.addr(d),
                    self.model.objects.len() as u32,
                    r,
                );
                let want = self.model.derive_object(s, d, r);
                self.new_object(real, want)?
            }
            Op::Copy(s, d) => {
                let (s, d) = (self.src(s), self.dst(d));
                let real = self.real.copy(self.addr(s), self.addr(d));
                prop_assert_eq!(real, self.model.copy(s, d));
                real.map(|()| Vec::new())
            }
            Op::Mint(s, d, r, b) => {
                let (s, d) = (self.src(s), self.dst(d));
                let real = self.real.mint(self.addr(s), self.addr(d), r, b);
                prop_assert_eq!(real, self.model.mint(s, d, r, b));
                real.map(|()| Vec::new())
            }
            Op::MintGranting(s, d, r, b) => {
                let (s, d) = (self.src(s), self.dst(d));
                let real = self.real.mint_granting(self.addr(s), self.addr(d), r, b);
                prop_assert_eq!(real, self.model.mint_granting(s, d, r, b));
                real.map(|()| Vec::new())
            }
            Op::Move(s, d) => {
                let (s, d) = (self.src(s), self.dst(d));
                let real = self.real.move_cap(self.addr(s), self.addr(d));
                prop_assert_eq!(real, self.model.move_cap(s, d));
                real.map(|()| Vec::new())
            }
            Op::Delete(s) => {
                let s = self.src(s);
                let real = self.real.delete(self.addr(s));
                let real = match real {
                    Ok(r) => Ok(self.sorted(r.into_iter().collect())?),
                    Err(e) => Err(e),
                };
                prop_assert_eq!(&real, &self.model.delete(s));
                real
            }
            Op::Revoke(s) => {
                let s = self.src(s);
                let mut out = Vec::new();
                let real = self.real.revoke(self.addr(s), |r| out.push(r));
                let real = match real {
                    Ok(n) => Ok(self.bulk(out, n)?),
                    Err(e) => Err(e),
                };
                prop_assert_eq!(&real, &self.model.revoke(s));
                if real.is_ok() {
                    prop_assert_eq!(self.real.children_of(self.addr(s)).unwrap().count(), 0);
                }
                real.map(|(_, r)| r)
            }
            Op::RevokeSome(s, max) => {
                let s = self.src(s);
                let mut out = Vec::new();
                let mut total = 0;
                let real = loop {
                    match self.real.revoke_some(self.addr(s), max, |r| out.push(r)) {
                        Err(e) => break Err(e),
                        Ok(p) => {
                            prop_assert!(p.deleted <= max);
                            prop_assert_eq!(self.real.check_consistency(), Ok(()));
                            total += p.deleted;
                            if p.done {
                                break Ok(total);
                            }
                        }
                    }
                };
                let real = match real {
                    Ok(n) => Ok(self.bulk(out, n)?),
                    Err(e) => Err(e),
                };
                prop_assert_eq!(&real, &self.model.revoke(s));
                real.map(|(_, r)| r)
            }
            Op::Identify(s) => {
                let s = self.src(s);
                self.real.identify(self.addr(s)).map(|_| Vec::new())
            }
        };
        if result.is_err() {
            prop_assert!(self.real == before, "refused {:?} changed the state", op);
        }
        self.compare()
    }

    /// Records the real id of a newly created object and checks the result.
    fn new_object(
        &mut self,
        real: Result<ObjectId, captree::RootError<u32>>,
        want: Result<u32, CapError>,
    ) -> Result<Result<Vec<u32>, CapError>, TestCaseError> {
        match (real, want) {
            (Ok(id), Ok(obj)) => {
                prop_assert_eq!(obj as usize, self.objects.len());
                self.objects.push(id);
                Ok(Ok(Vec::new()))
            }
            (Err(e), Err(w)) => {
                prop_assert_eq!(e.error, w);
                prop_assert_eq!(e.object, self.model.objects.len() as u32);
                Ok(Err(w))
            }
            (real, want) => {
                prop_assert!(false, "real {:?} vs model {:?}", real, want);
                unreachable!()
            }
        }
    }

    fn compare(&self) -> Result<(), TestCaseError> {
        let (real, model) = (&self.real, &self.model);
        prop_assert_eq!(real.check_consistency(), Ok(()));
        prop_assert_eq!(real.cap_count(), model.caps.len());
        prop_assert_eq!(real.object_count(), model.live_objects());
        for (h, &(size, alive)) in model.spaces.iter().enumerate() {
            let id = self.spaces[h];
            if !alive {
                prop_assert_eq!(real.cspace_size(id), Err(CapError::BadCSpace));
                continue;
            }
            prop_assert_eq!(real.cspace_size(id), Ok(size));
            for i in 0..size {
                let at = SlotAddr::new(id, i);
                match model.cap_at((h, i)) {
                    None => prop_assert_eq!(real.identify(at).unwrap_err(), CapError::EmptySlot),
                    Some(c) => {
                        let got = real.identify(at).unwrap();
                        prop_assert_eq!(*got.kind, c.obj);
                        prop_assert_eq!(got.object, self.objects[c.obj as usize]);
                        prop_assert_eq!((got.rights, got.badge), (c.rights, c.badge));
                        let parent = c.parent.map(|p| {
                            let pc = model.cap(p);
                            SlotAddr::new(self.spaces[pc.at.0], pc.at.1)
                        });
                        prop_assert_eq!(real.parent_of(at), Ok(parent));
                        if let Some(p) = parent {
                            // Never more rights than where it came from.
                            let pr = real.identify(p).unwrap().rights;
                            prop_assert!(got.rights.is_subset_of(pr));
                        }
                    }
                }
            }
        }
        for (obj, &alive) in model.objects.iter().enumerate() {
            let got = real.object(self.objects[obj]);
            if alive {
                prop_assert_eq!(got, Ok(&(obj as u32)));
            } else {
                prop_assert_eq!(got, Err(CapError::StaleObject));
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn real_tree_matches_the_model(ops in prop::collection::vec(op(), 1..90)) {
        let mut pair = Pair::new();
        for op in &ops {
            pair.apply(op)?;
        }
        // Tearing everything down releases every object exactly once.
        let mut released = Vec::new();
        for id in pair.spaces.clone() {
            let _ = pair.real.destroy_cspace(id, |r| {
                if let Removed::Object(o) = r {
                    released.push(o.object);
                }
            });
        }
        released.sort();
        let mut want: Vec<u32> = (0..pair.model.objects.len() as u32)
            .filter(|&o| pair.model.objects[o as usize])
            .collect();
        want.sort();
        prop_assert_eq!(released, want);
        prop_assert_eq!(pair.real.object_count(), 0);
        prop_assert_eq!(pair.real.cap_count(), 0);
    }
}
