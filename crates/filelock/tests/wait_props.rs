//! Property tests of waiting and deadlock detection: five single-threaded
//! processes and one open file description lock, wait for, unlock and
//! give up one-byte locks on two files at random, building random wait
//! graphs. Against a model of who holds what and who waits for what:
//!
//! * a request is granted exactly when nothing conflicts;
//! * a POSIX request that must wait is refused with `EDEADLK` exactly when
//!   waiting would close a cycle in the wait-for graph among processes
//!   (computed here by transitive closure), never otherwise; an OFD
//!   request always waits;
//! * after every step, every waiter that could now be granted has been
//!   named by `take_woken` (no lost wake-up), and retrying it grants it or
//!   (for a POSIX waiter now on a cycle) refuses it as the model says.

// The model indexes its tables by owner and byte on purpose.
#![allow(clippy::needless_range_loop)]

use filelock::{Errno, LockManager, LockType, Outcome, Owner, Range, WaiterId};
use proptest::prelude::*;

const PROCS: usize = 5;
const OWNERS: usize = PROCS + 1;
const BYTES: usize = 6;
const FILES: usize = 2;

fn owner(i: usize) -> Owner {
    if i < PROCS {
        Owner::Process(i as i32 + 10)
    } else {
        Owner::Description(99)
    }
}

fn byte(b: usize) -> Range {
    Range::new(b as u64, b as u64).unwrap()
}

#[derive(Clone, Debug)]
enum Op {
    Lock {
        who: usize,
        file: usize,
        b: usize,
        write: bool,
    },
    Unlock {
        who: usize,
        file: usize,
        b: usize,
    },
    Exit {
        who: usize,
    },
    Cancel {
        who: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..OWNERS, 0..FILES, 0..BYTES, any::<bool>())
            .prop_map(|(who, file, b, write)| Op::Lock { who, file, b, write }),
        3 => (0..OWNERS, 0..FILES, 0..BYTES).prop_map(|(who, file, b)| Op::Unlock { who, file, b }),
        1 => (0..PROCS).prop_map(|who| Op::Exit { who }),
        1 => (0..OWNERS).prop_map(|who| Op::Cancel { who }),
    ]
}

#[derive(Clone, Copy, Debug)]
struct Wait {
    id: WaiterId,
    file: usize,
    b: usize,
    ty: LockType,
}

struct Model {
    held: [[[Option<LockType>; OWNERS]; BYTES]; FILES],
    waits: [Option<Wait>; OWNERS],
}

impl Model {
    fn blockers(&self, who: usize, file: usize, b: usize, ty: LockType) -> Vec<usize> {
        (0..OWNERS)
            .filter(|&o| o != who && self.held[file][b][o].is_some_and(|h| h.conflicts(ty)))
            .collect()
    }

    /// Whether `who` waiting for (`file`, `b`, `ty`) would close a cycle:
    /// the transitive closure of "process p waits for a lock process q
    /// holds", with that request added, has `who` reaching itself.
    fn cycle(&self, who: usize, file: usize, b: usize, ty: LockType) -> bool {
        if who >= PROCS {
            return false;
        }
        let mut reach = [[false; PROCS]; PROCS];
        for p in 0..PROCS {
            let req = if p == who {
                Some((file, b, ty))
            } else {
                self.waits[p].map(|w| (w.file, w.b, w.ty))
            };
            if let Some((f, b, t)) = req {
                for q in self.blockers(p, f, b, t) {
                    if q < PROCS {
                        reach[p][q] = true;
                    }
                }
            }
        }
        for k in 0..PROCS {
            for i in 0..PROCS {
                for j in 0..PROCS {
                    if reach[i][k] && reach[k][j] {
                        reach[i][j] = true;
                    }
                }
            }
        }
        reach[who][who]
    }
}

fn who_waits(model: &Model, id: WaiterId) -> usize {
    (0..OWNERS)
        .find(|&o| model.waits[o].is_some_and(|w| w.id == id))
        .expect("a woken id is a live waiter")
}

/// Retries everything the manager woke, checking each answer, until
/// nothing more is woken; then checks no waiter is left that could go.
fn settle(m: &mut LockManager, model: &mut Model) -> Result<(), TestCaseError> {
    loop {
        let woken = m.take_woken();
        if woken.is_empty() {
            break;
        }
        for id in woken {
            let o = who_waits(model, id);
            let w = model.waits[o].unwrap();
            let got = m.retry(id);
            if model.blockers(o, w.file, w.b, w.ty).is_empty() {
                prop_assert_eq!(got, Ok(Outcome::Done));
                model.held[w.file][w.b][o] = Some(w.ty);
                model.waits[o] = None;
            } else if model.cycle(o, w.file, w.b, w.ty) {
                prop_assert_eq!(got, Err(Errno::EDEADLK));
                model.waits[o] = None;
            } else {
                prop_assert_eq!(got, Ok(Outcome::Wait(id)));
            }
        }
    }
    for o in 0..OWNERS {
        if let Some(w) = model.waits[o] {
            prop_assert!(
                !model.blockers(o, w.file, w.b, w.ty).is_empty(),
                "lost wake-up of {:?}",
                owner(o)
            );
            prop_assert_eq!(m.retry(w.id), Ok(Outcome::Wait(w.id)));
        }
    }
    prop_assert_eq!(m.waiting(), model.waits.iter().flatten().count());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn waits_wakes_and_deadlocks_agree_with_the_model(ops in prop::collection::vec(op(), 1..100)) {
        let mut m: LockManager = LockManager::new();
        let mut model = Model { held: [[[None; OWNERS]; BYTES]; FILES], waits: [None; OWNERS] };
        for op in ops {
            match op {
                Op::Lock { who, file, b, write } => {
                    if model.waits[who].is_some() {
                        continue;
                    }
                    let ty = if write { LockType::Write } else { LockType::Read };
                    let got = m.setlk(file as u64, owner(who), ty, byte(b), true);
                    if model.blockers(who, file, b, ty).is_empty() {
                        prop_assert_eq!(got, Ok(Outcome::Done));
                        model.held[file][b][who] = Some(ty);
                    } else if model.cycle(who, file, b, ty) {
                        prop_assert_eq!(got, Err(Errno::EDEADLK));
                    } else {
                        let Ok(Outcome::Wait(id)) = got else {
                            return Err(TestCaseError::fail(format!("expected a wait, got {got:?}")));
                        };
                        model.waits[who] = Some(Wait { id, file, b, ty });
                    }
                }
                Op::Unlock { who, file, b } => {
                    if model.waits[who].is_some() {
                        continue;
                    }
                    prop_assert_eq!(m.setlk(file as u64, owner(who), LockType::Unlock, byte(b), false), Ok(Outcome::Done));
                    model.held[file][b][who] = None;
                }
                Op::Exit { who } => {
                    m.release_process(who as i32 + 10);
                    for f in &mut model.held {
                        for c in f.iter_mut() {
                            c[who] = None;
                        }
                    }
                    model.waits[who] = None;
                }
                Op::Cancel { who } => {
                    if let Some(w) = model.waits[who].take() {
                        prop_assert!(m.cancel_wait(w.id));
                    }
                }
            }
            settle(&mut m, &mut model)?;
        }
    }
}

/// Every cycle length from 2 to 5 is found when the last process closes it
/// (Linux gives up after a fixed chain length; this manager does not).
#[test]
fn cycles_of_every_length() {
    for n in 2..=PROCS {
        let mut m: LockManager = LockManager::new();
        for i in 0..n {
            m.setlk(0, owner(i), LockType::Write, byte(i), false)
                .unwrap();
        }
        for i in 0..n - 1 {
            assert!(matches!(
                m.setlk(0, owner(i), LockType::Write, byte(i + 1), true),
                Ok(Outcome::Wait(_))
            ));
        }
        assert_eq!(
            m.setlk(0, owner(n - 1), LockType::Write, byte(0), true),
            Err(Errno::EDEADLK)
        );
    }
}
