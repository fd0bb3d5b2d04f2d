//! Unit tests of the `Scheduler` state machine: walking the vector, yield,
//! donation, lending the slots of environments that cannot run, idling, the
//! real-time class and its refusals, and replacing the vector.

use slots::{Dispatch, EnvId, Reservation, Scheduler, SlotError, SlotVector, Why};

const A: EnvId = EnvId(1);
const B: EnvId = EnvId(2);
const C: EnvId = EnvId(3);
const R: EnvId = EnvId(9);

fn run(env: EnvId, why: Why) -> Dispatch {
    Dispatch::Run { env, why }
}

fn abc() -> Scheduler {
    // Equal weights: A B C A B C ...
    Scheduler::new(SlotVector::build(&[(A, 1), (B, 1), (C, 1)], 3).unwrap())
}

#[test]
fn ticks_walk_the_vector_cyclically() {
    let v = SlotVector::build(&[(A, 3), (B, 2), (C, 1)], 12).unwrap();
    let mut s = Scheduler::new(v.clone());
    assert_eq!(s.current(), Dispatch::Idle);
    assert_eq!(s.position(), None);
    for t in 0..36 {
        let slot = t % 12;
        assert_eq!(s.tick(), run(v.owner(slot), Why::Owner { slot }));
        assert_eq!(s.position(), Some(slot));
    }
    assert_eq!(s.elapsed(), 36);
}

#[test]
fn yield_hands_the_rest_to_the_next_owner() {
    let mut s = abc();
    assert_eq!(s.tick(), run(A, Why::Owner { slot: 0 }));
    assert_eq!(s.yield_now(), run(B, Why::Yielded { by: A }));
    assert_eq!(s.yield_now(), run(C, Why::Yielded { by: B }));
    // Only A is left after C; then the turn is used up.
    assert_eq!(s.yield_now(), run(A, Why::Yielded { by: C }));
    assert_eq!(s.yield_now(), Dispatch::Idle);
    // The next quantum is B's as usual.
    assert_eq!(s.tick(), run(B, Why::Owner { slot: 1 }));
}

#[test]
fn yield_skips_the_yielder_and_blocked_environments() {
    let v = SlotVector::build(&[(A, 2), (B, 1), (C, 1)], 4).unwrap();
    assert_eq!(v.as_slice(), &[A, B, A, C]);
    let mut s = Scheduler::new(v);
    s.tick(); // A, slot 0
    s.set_runnable(B, false).unwrap();
    // Slot 1 is B (blocked), slot 2 is A (the yielder): C gets it.
    assert_eq!(s.yield_now(), run(C, Why::Yielded { by: A }));
}

#[test]
fn blocking_then_yield_and_waking_an_idle_cpu() {
    let mut s = abc();
    for e in [A, B, C] {
        s.set_runnable(e, false).unwrap();
    }
    assert_eq!(s.tick(), Dispatch::Idle);
    assert_eq!(s.yield_now(), Dispatch::Idle);
    s.set_runnable(C, true).unwrap();
    assert_eq!(s.yield_now(), run(C, Why::Woken));
    assert_eq!(s.is_runnable(A), Ok(false));
    assert_eq!(s.set_runnable(R, true), Err(SlotError::UnknownEnv(R)));
    assert_eq!(s.is_runnable(R), Err(SlotError::UnknownEnv(R)));
}

#[test]
fn slots_of_blocked_owners_are_lent_in_vector_order() {
    let mut s = abc();
    s.set_runnable(A, false).unwrap();
    // Slot 0 (A) is lent: the spare cursor starts at index 0 (A, blocked)
    // and stops at B.
    assert_eq!(s.tick(), run(B, Why::Lent { slot: 0, owner: A }));
    assert_eq!(s.tick(), run(B, Why::Owner { slot: 1 }));
    assert_eq!(s.tick(), run(C, Why::Owner { slot: 2 }));
    // Next lent slot goes on from the spare cursor: C.
    assert_eq!(s.tick(), run(C, Why::Lent { slot: 0, owner: A }));
    s.set_runnable(A, true).unwrap();
    s.tick();
    s.tick();
    assert_eq!(s.tick(), run(A, Why::Owner { slot: 0 }));
}

#[test]
fn donation_covers_the_rest_of_the_quantum_only() {
    let mut s = abc();
    assert_eq!(s.donate(B), Err(SlotError::NothingRunning));
    s.tick();
    assert_eq!(s.donate(A), Ok(run(A, Why::Owner { slot: 0 })));
    assert_eq!(s.donate(C), Ok(run(C, Why::Donated { by: A })));
    // A server with no slots of its own can run on donated time...
    assert_eq!(s.donate(R), Ok(run(R, Why::Donated { by: C })));
    // ...and give it back.
    assert_eq!(s.donate(A), Ok(run(A, Why::Donated { by: R })));
    s.set_runnable(B, false).unwrap();
    assert_eq!(s.donate(B), Err(SlotError::NotRunnable(B)));
    assert_eq!(s.current(), run(A, Why::Donated { by: R }));
    // The spare cursor is still at index 0: A gets B's slot.
    assert_eq!(s.tick(), run(A, Why::Lent { slot: 1, owner: B }));
}

#[test]
fn realtime_is_served_first_and_does_not_move_the_vector() {
    let mut s = abc();
    s.add_realtime(R, 4, 2).unwrap();
    assert_eq!(s.is_runnable(R), Ok(true));
    let got: Vec<Dispatch> = (0..8).map(|_| s.tick()).collect();
    assert_eq!(
        got,
        vec![
            run(R, Why::Realtime),
            run(R, Why::Realtime),
            run(A, Why::Owner { slot: 0 }),
            run(B, Why::Owner { slot: 1 }),
            run(R, Why::Realtime),
            run(R, Why::Realtime),
            run(C, Why::Owner { slot: 2 }),
            run(A, Why::Owner { slot: 0 }),
        ]
    );
    assert_eq!(
        s.reservation(R),
        Some(Reservation {
            period: 4,
            budget: 2,
            remaining: 0,
            deadline: 8
        })
    );
}

#[test]
fn realtime_edf_prefers_the_earlier_deadline() {
    let mut s = abc();
    s.add_realtime(R, 10, 3).unwrap();
    s.tick(); // R (deadline 10)
    s.add_realtime(EnvId(8), 2, 1).unwrap(); // deadline 1 + 2 = 3
    assert_eq!(s.tick(), run(EnvId(8), Why::Realtime));
    assert_eq!(s.tick(), run(R, Why::Realtime));
    assert_eq!(s.tick(), run(EnvId(8), Why::Realtime)); // new period, deadline 5
    assert_eq!(s.tick(), run(R, Why::Realtime));
    assert_eq!(s.tick(), run(EnvId(8), Why::Realtime)); // deadline 7
    assert_eq!(s.tick(), run(A, Why::Owner { slot: 0 }));
}

#[test]
fn blocked_realtime_env_falls_back_and_late_waker_gets_a_fresh_period() {
    let mut s = abc();
    s.add_realtime(R, 10, 4).unwrap();
    s.set_runnable(R, false).unwrap();
    for _ in 0..8 {
        assert_ne!(s.tick().env(), Some(R));
    }
    // 2 quanta left to the deadline, 4 of budget: more than its bandwidth.
    s.set_runnable(R, true).unwrap();
    assert_eq!(
        s.reservation(R),
        Some(Reservation {
            period: 10,
            budget: 4,
            remaining: 4,
            deadline: 18
        })
    );
    // An early waker keeps its period.
    s.set_runnable(R, false).unwrap();
    s.set_runnable(R, true).unwrap();
    assert_eq!(s.reservation(R).unwrap().deadline, 18);
}

#[test]
fn realtime_refusals_and_limit() {
    let mut s = abc();
    assert_eq!(s.add_realtime(R, 0, 0), Err(SlotError::BadReservation));
    assert_eq!(s.add_realtime(R, 5, 0), Err(SlotError::BadReservation));
    assert_eq!(s.add_realtime(R, 5, 6), Err(SlotError::BadReservation));
    s.set_realtime_limit(500_000).unwrap();
    assert_eq!(s.add_realtime(R, 3, 2), Err(SlotError::Overload));
    s.add_realtime(R, 3, 1).unwrap(); // 333_334 ppm
    assert_eq!(s.realtime_load(), (333_334, 500_000));
    assert_eq!(s.add_realtime(R, 9, 1), Err(SlotError::AlreadyRealtime(R)));
    assert_eq!(s.add_realtime(EnvId(8), 6, 1), Err(SlotError::Overload));
    s.add_realtime(EnvId(8), 7, 1).unwrap(); // 142_858 ppm
    assert_eq!(s.set_realtime_limit(400_000), Err(SlotError::Overload));
    assert_eq!(
        s.remove_realtime(EnvId(7)),
        Err(SlotError::UnknownEnv(EnvId(7)))
    );
    s.remove_realtime(EnvId(8)).unwrap();
    assert_eq!(
        s.is_runnable(EnvId(8)),
        Err(SlotError::UnknownEnv(EnvId(8)))
    );
    assert_eq!(s.realtime_load().0, 333_334);
    s.set_realtime_limit(u32::MAX).unwrap();
    assert_eq!(s.realtime_load().1, 1_000_000);
}

#[test]
fn removing_a_reservation_keeps_a_vector_env_known() {
    let mut s = abc();
    s.add_realtime(A, 4, 1).unwrap();
    s.set_runnable(A, false).unwrap();
    s.remove_realtime(A).unwrap();
    assert_eq!(s.is_runnable(A), Ok(false));
}

#[test]
fn replacing_the_vector_keeps_flags_and_restarts_the_walk() {
    let mut s = abc();
    s.add_realtime(R, 100, 1).unwrap();
    s.set_runnable(B, false).unwrap();
    s.tick();
    s.tick();
    s.replace_vector(SlotVector::build(&[(B, 1), (C, 3), (EnvId(4), 1)], 5).unwrap());
    assert_eq!(s.is_runnable(B), Ok(false));
    assert_eq!(s.is_runnable(EnvId(4)), Ok(true));
    assert_eq!(s.is_runnable(A), Err(SlotError::UnknownEnv(A)));
    assert_eq!(s.is_runnable(R), Ok(true));
    let first = s.vector().owner(0);
    match s.tick() {
        Dispatch::Run {
            why: Why::Owner { slot: 0 },
            env,
        } => assert_eq!(env, first),
        Dispatch::Run {
            why: Why::Lent { slot: 0, owner },
            ..
        } => assert_eq!(owner, first),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn environments_owning_no_slot_get_time_nobody_else_can_use() {
    // A's share is 10/1001 of a slot: it owns none.
    let v = SlotVector::build(&[(A, 1), (B, 1000), (C, 1)], 10).unwrap();
    assert_eq!((v.count_of(A), v.count_of(C)), (0, 0));
    let mut s = Scheduler::new(v);
    assert_eq!(s.tick(), run(B, Why::Owner { slot: 0 }));
    s.set_runnable(B, false).unwrap();
    assert_eq!(s.tick(), run(A, Why::Lent { slot: 1, owner: B }));
    assert_eq!(s.tick(), run(C, Why::Lent { slot: 2, owner: B }));
    assert_eq!(s.yield_now(), run(A, Why::Yielded { by: C }));
    assert_eq!(s.tick(), run(A, Why::Lent { slot: 3, owner: B }));
    s.set_runnable(A, false).unwrap();
    s.set_runnable(C, false).unwrap();
    assert_eq!(s.tick(), Dispatch::Idle);
}
