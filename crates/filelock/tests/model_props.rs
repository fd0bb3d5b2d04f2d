//! Property tests against a per-byte model: random lock, unlock, test and
//! release sequences by three owners (two processes and one open file
//! description) on one file. After every step the manager's grant or
//! refusal, its `F_GETLK` answer and the locks it holds agree with the
//! model, and each owner's locks are sorted, disjoint and merged.
//!
//! Ranges start in 0..64 and end below 64 or at the end of the file, so
//! cell 64 of the model stands for every byte from 64 on.

use filelock::{Conflict, Errno, Holder, LockManager, LockType, Outcome, Owner, Range, OFFSET_MAX};
use proptest::prelude::*;

const FILE: u64 = 7;
const CELLS: usize = 65;
const OWNERS: [Owner; 3] = [Owner::Process(1), Owner::Process(2), Owner::Description(3)];

#[derive(Clone, Debug)]
enum Op {
    Set {
        who: usize,
        ty: LockType,
        start: u64,
        len: u64,
    },
    Get {
        who: usize,
        ty: LockType,
        start: u64,
        len: u64,
    },
    Release {
        who: usize,
    },
}

fn any_type() -> impl Strategy<Value = LockType> {
    prop_oneof![
        Just(LockType::Read),
        Just(LockType::Write),
        Just(LockType::Unlock)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, any_type(), 0..64u64, 0..=8u64)
            .prop_map(|(who, ty, start, len)| Op::Set { who, ty, start, len }),
        3 => (0..3usize, prop_oneof![Just(LockType::Read), Just(LockType::Write)], 0..64u64, 0..=8u64)
            .prop_map(|(who, ty, start, len)| Op::Get { who, ty, start, len }),
        1 => (0..3usize).prop_map(|who| Op::Release { who }),
    ]
}

/// `len` 0: to the end of the file; else up to `len` bytes, ending below 64.
fn range(start: u64, len: u64) -> Range {
    if len == 0 {
        Range::to_eof(start)
    } else {
        Range::new(start, (start + len - 1).min(63)).unwrap()
    }
}

fn cells(r: Range) -> core::ops::RangeInclusive<usize> {
    r.start() as usize..=r.end().min(64) as usize
}

fn cell_end(c: usize) -> u64 {
    if c == 64 {
        OFFSET_MAX
    } else {
        c as u64
    }
}

#[derive(Clone, Debug, Default)]
struct Model {
    /// held[cell][owner]
    held: Vec<[Option<LockType>; 3]>,
    /// Owners with locks, in the order they came to have any.
    order: Vec<usize>,
}

impl Model {
    fn new() -> Self {
        Model {
            held: vec![[None; 3]; CELLS],
            order: Vec::new(),
        }
    }

    fn conflicts(&self, who: usize, ty: LockType, r: Range) -> bool {
        cells(r)
            .any(|c| (0..3).any(|o| o != who && self.held[c][o].is_some_and(|h| h.conflicts(ty))))
    }

    fn has_any(&self, o: usize) -> bool {
        self.held.iter().any(|c| c[o].is_some())
    }

    fn set(&mut self, who: usize, ty: LockType, r: Range) {
        let had = self.has_any(who);
        for c in cells(r) {
            self.held[c][who] = if ty == LockType::Unlock {
                None
            } else {
                Some(ty)
            };
        }
        self.fix_order(who, had);
    }

    fn release(&mut self, who: usize) {
        let had = self.has_any(who);
        for c in &mut self.held {
            c[who] = None;
        }
        self.fix_order(who, had);
    }

    fn fix_order(&mut self, who: usize, had: bool) {
        match (had, self.has_any(who)) {
            (false, true) => self.order.push(who),
            (true, false) => self.order.retain(|&o| o != who),
            _ => {}
        }
    }

    /// The first conflicting lock in list order: the first owner (in
    /// `order`) with a conflicting byte in range; its lock containing the
    /// lowest such byte, as a maximal run of that type.
    fn getlk(&self, who: usize, ty: LockType, r: Range) -> Option<Conflict> {
        for &o in &self.order {
            if o == who {
                continue;
            }
            let hit = cells(r).find(|&c| self.held[c][o].is_some_and(|h| h.conflicts(ty)));
            if let Some(c) = hit {
                let t = self.held[c][o];
                let mut lo = c;
                while lo > 0 && self.held[lo - 1][o] == t {
                    lo -= 1;
                }
                let mut hi = c;
                while hi < 64 && self.held[hi + 1][o] == t {
                    hi += 1;
                }
                let range = Range::new(lo as u64, cell_end(hi)).unwrap();
                return Some(Conflict {
                    ty: t.unwrap(),
                    range,
                    owner: OWNERS[o],
                });
            }
        }
        None
    }
}

/// The manager's record locks as model cells, checking that each owner's
/// are sorted, disjoint, merged and within the model's bytes.
fn observe(m: &LockManager) -> Result<Model, TestCaseError> {
    let mut got = Model::new();
    let mut last: [Option<(LockType, u64)>; 3] = [None; 3];
    for l in m.list() {
        prop_assert_eq!(l.file, FILE);
        prop_assert!(l.waiter.is_none());
        let Holder::Record(owner) = l.holder else {
            return Err(TestCaseError::fail("a flock lock"));
        };
        let o = OWNERS.iter().position(|&x| x == owner).unwrap();
        prop_assert!(l.ty != LockType::Unlock);
        prop_assert!(l.range.end() <= 63 || l.range.is_to_eof());
        if let Some((t, end)) = last[o] {
            prop_assert!(end < l.range.start(), "sorted and disjoint");
            prop_assert!(
                !(t == l.ty && end + 1 == l.range.start()),
                "adjacent same-type locks merged"
            );
        }
        last[o] = Some((l.ty, l.range.end()));
        if !got.order.contains(&o) {
            got.order.push(o);
        }
        for c in cells(l.range) {
            got.held[c][o] = Some(l.ty);
        }
    }
    Ok(got)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn records_agree_with_the_byte_model(ops in prop::collection::vec(op(), 1..80)) {
        let mut m = LockManager::new();
        let mut model = Model::new();
        for op in ops {
            match op {
                Op::Set { who, ty, start, len } => {
                    let r = range(start, len);
                    let got = m.setlk(FILE, OWNERS[who], ty, r, false);
                    if ty != LockType::Unlock && model.conflicts(who, ty, r) {
                        prop_assert_eq!(got, Err(Errno::EAGAIN));
                    } else {
                        prop_assert_eq!(got, Ok(Outcome::Done));
                        model.set(who, ty, r);
                    }
                }
                Op::Get { who, ty, start, len } => {
                    let r = range(start, len);
                    prop_assert_eq!(m.getlk(FILE, OWNERS[who], ty, r), model.getlk(who, ty, r));
                }
                Op::Release { who } => {
                    m.release_owner(FILE, OWNERS[who]);
                    model.release(who);
                }
            }
            let got = observe(&m)?;
            prop_assert_eq!(&got.held, &model.held);
            prop_assert_eq!(&got.order, &model.order);
            prop_assert!(m.take_woken().is_empty());
        }
        for o in OWNERS {
            m.release_owner(FILE, o);
        }
        prop_assert!(m.is_empty());
    }

    /// `flock` by four descriptions without waiting, against a model of
    /// one optional lock per description (a conversion drops first).
    #[test]
    fn flock_agrees_with_its_model(ops in prop::collection::vec((0..4u64, any_type()), 1..60)) {
        let mut m = LockManager::new();
        let mut held: [Option<LockType>; 4] = [None; 4];
        for (ofd, ty) in ops {
            let i = ofd as usize;
            let got = m.flock(FILE, ofd, ty, false);
            let want = if ty == LockType::Unlock {
                held[i] = None;
                Ok(Outcome::Done)
            } else if held[i] == Some(ty) {
                Ok(Outcome::Done)
            } else {
                held[i] = None;
                if (0..4).any(|o| o != i && held[o].is_some_and(|h| h.conflicts(ty))) {
                    Err(Errno::EWOULDBLOCK)
                } else {
                    held[i] = Some(ty);
                    Ok(Outcome::Done)
                }
            };
            prop_assert_eq!(got, want);
            let mut seen = [None; 4];
            for l in m.list() {
                let Holder::Flock(o) = l.holder else {
                    return Err(TestCaseError::fail("a record lock"));
                };
                prop_assert!(seen[o as usize].is_none());
                seen[o as usize] = Some(l.ty);
            }
            prop_assert_eq!(seen, held);
        }
    }
}
