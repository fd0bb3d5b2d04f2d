//! Arbitrary inputs: `SlotVector::build` with any weights and lengths, and
//! any sequence of scheduler calls with any environment ids and
//! reservation parameters. Nothing panics, and every refused call leaves
//! the scheduler exactly as it was.

use proptest::prelude::*;
use slots::{EnvId, Scheduler, SlotError, SlotVector, MAX_SLOTS};

fn any_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        8 => 0usize..600,
        1 => Just(MAX_SLOTS + 1),
        1 => Just(usize::MAX),
    ]
}

fn any_entries() -> impl Strategy<Value = Vec<(EnvId, u32)>> {
    let weight = prop_oneof![3 => 0u32..50, 1 => any::<u32>()];
    prop::collection::vec((0u32..12, weight), 0..10)
        .prop_map(|v| v.into_iter().map(|(e, w)| (EnvId(e), w)).collect())
}

#[derive(Clone, Debug)]
enum Call {
    Tick,
    Yield,
    Donate(u32),
    SetRunnable(u32, bool),
    AddRealtime(u32, u32, u32),
    RemoveRealtime(u32),
    SetLimit(u32),
    Replace(Vec<(EnvId, u32)>, usize),
}

fn call() -> impl Strategy<Value = Call> {
    let small = prop_oneof![3 => 0u32..20, 1 => any::<u32>()];
    prop_oneof![
        6 => Just(Call::Tick),
        2 => Just(Call::Yield),
        2 => (0u32..14).prop_map(Call::Donate),
        3 => (0u32..14, any::<bool>()).prop_map(|(e, r)| Call::SetRunnable(e, r)),
        2 => (0u32..14, small.clone(), small).prop_map(|(e, p, b)| Call::AddRealtime(e, p, b)),
        1 => (0u32..14).prop_map(Call::RemoveRealtime),
        1 => any::<u32>().prop_map(Call::SetLimit),
        1 => (any_entries(), any_len()).prop_map(|(e, l)| Call::Replace(e, l)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn build_never_panics(e in any_entries(), len in any_len()) {
        match SlotVector::build(&e, len) {
            Ok(v) => {
                prop_assert_eq!(v.len(), len);
                prop_assert!(v.as_slice().iter().all(|&x| v.contains(x)));
            }
            Err(SlotError::Empty) => prop_assert!(e.is_empty()),
            Err(SlotError::ZeroLength) => prop_assert_eq!(len, 0),
            Err(SlotError::TooLong) => prop_assert!(len > MAX_SLOTS),
            Err(SlotError::ZeroWeight(env)) => prop_assert!(e.contains(&(env, 0))),
            Err(SlotError::DuplicateEnv(env)) => {
                prop_assert!(e.iter().filter(|x| x.0 == env).count() > 1)
            }
            Err(SlotError::WeightOverflow) => {
                prop_assert!(e.iter().map(|x| u64::from(x.1)).sum::<u64>() > u64::from(u32::MAX))
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn any_call_sequence_is_safe(calls in prop::collection::vec(call(), 1..200)) {
        let v = SlotVector::build(&[(EnvId(1), 3), (EnvId(2), 1), (EnvId(3), 2)], 12).unwrap();
        let mut s = Scheduler::new(v);
        for c in &calls {
            let before = s.clone();
            let refused = match c {
                Call::Tick => {
                    s.tick();
                    false
                }
                Call::Yield => {
                    s.yield_now();
                    false
                }
                Call::Donate(e) => s.donate(EnvId(*e)).is_err(),
                Call::SetRunnable(e, r) => s.set_runnable(EnvId(*e), *r).is_err(),
                Call::AddRealtime(e, p, b) => s.add_realtime(EnvId(*e), *p, *b).is_err(),
                Call::RemoveRealtime(e) => s.remove_realtime(EnvId(*e)).is_err(),
                Call::SetLimit(ppm) => s.set_realtime_limit(*ppm).is_err(),
                Call::Replace(e, len) => match SlotVector::build(e, *len) {
                    Ok(v) => {
                        s.replace_vector(v);
                        false
                    }
                    Err(_) => false,
                },
            };
            if refused {
                prop_assert!(s == before, "refused {:?} changed the scheduler", c);
            }
            let (load, limit) = s.realtime_load();
            prop_assert!(limit <= 1_000_000 && load <= limit);
        }
    }
}
