//! Property tests of the `Scheduler` over random vectors and random scripts
//! of ticks, yields, donations and runnable changes:
//!
//! * determinism: the same script gives the same trace;
//! * yields and donations never change who owns a quantum: the tick
//!   decisions are those of the same script without them;
//! * donation accounting (time in sub-quantum steps): an environment that
//!   neither donates nor receives runs exactly as long as without
//!   donations, total time is conserved, and nobody's time moves by more
//!   than the donated steps;
//! * environments that cannot run do not cost runnable ones: a runnable
//!   owner always gets its own slot, lent slots go only to runnable
//!   environments, and the CPU idles only when no environment of the
//!   vector can run (also one owning no slot);
//! * spare slots are shared in proportion to the vector counts;
//! * real-time: every always-runnable reservation gets its whole budget in
//!   every period while other reservations sleep and wake at random, and
//!   real-time quanta never move the vector position.

use proptest::prelude::*;
use slots::{Dispatch, EnvId, Scheduler, SlotVector, Why};

/// An environment with no slots of its own (a server on donated time).
const SERVER: EnvId = EnvId(999);

fn vector(max_envs: usize) -> impl Strategy<Value = SlotVector> {
    (
        prop::collection::btree_map(0u32..64, 1u32..=100, 1..=max_envs),
        1usize..=200,
    )
        .prop_map(|(m, len)| {
            let e: Vec<(EnvId, u32)> = m.into_iter().map(|(e, w)| (EnvId(e), w)).collect();
            SlotVector::build(&e, len).unwrap()
        })
}

fn envs_of(v: &SlotVector) -> Vec<EnvId> {
    v.entries().map(|e| e.0).collect()
}

/// Something that happens inside a quantum. Env selectors index the
/// vector's environments (plus the server, for donations).
#[derive(Clone, Copy, Debug)]
enum Event {
    Yield,
    Donate(usize),
    Runnable(usize, bool),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        2 => Just(Event::Yield),
        2 => any::<usize>().prop_map(Event::Donate),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(e, r)| Event::Runnable(e, r)),
    ]
}

type Script = Vec<Vec<Event>>;

fn script() -> impl Strategy<Value = Script> {
    prop::collection::vec(prop::collection::vec(event(), 0..4), 1..300)
}

/// Runs a script; returns the tick decisions and every decision.
fn play(
    v: &SlotVector,
    script: &Script,
    keep: impl Fn(&Event) -> bool,
) -> (Vec<Dispatch>, Vec<Dispatch>) {
    let envs = envs_of(v);
    let mut s = Scheduler::new(v.clone());
    let (mut ticks, mut all) = (Vec::new(), Vec::new());
    for quantum in script {
        let d = s.tick();
        ticks.push(d);
        all.push(d);
        for ev in quantum.iter().filter(|e| keep(e)) {
            let d = match *ev {
                Event::Yield => s.yield_now(),
                Event::Donate(i) => {
                    let to = if i % (envs.len() + 1) == envs.len() {
                        SERVER
                    } else {
                        envs[i % envs.len()]
                    };
                    s.donate(to).unwrap_or(s.current())
                }
                Event::Runnable(i, r) => {
                    s.set_runnable(envs[i % envs.len()], r).unwrap();
                    s.current()
                }
            };
            all.push(d);
        }
    }
    (ticks, all)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn same_script_same_trace(v in vector(8), sc in script()) {
        prop_assert_eq!(play(&v, &sc, |_| true), play(&v, &sc, |_| true));
    }

    #[test]
    fn yields_and_donations_never_change_slot_ownership(v in vector(8), sc in script()) {
        let (with, _) = play(&v, &sc, |_| true);
        let (without, _) = play(&v, &sc, |e| matches!(e, Event::Runnable(..)));
        prop_assert_eq!(with, without);
    }

    #[test]
    fn donation_moves_only_the_donated_time(
        v in vector(6),
        // Per quantum: a runnable change, then a donation target (or none)
        // before each of 4 sub-steps.
        sc in prop::collection::vec(
            (prop::option::of((any::<usize>(), any::<bool>())),
             prop::collection::vec(prop::option::of(any::<usize>()), 4)),
            1..200),
    ) {
        let envs = envs_of(&v);
        let run = |donate: bool| {
            let mut s = Scheduler::new(v.clone());
            let mut time = std::collections::BTreeMap::<EnvId, i64>::new();
            let mut involved = std::collections::BTreeSet::new();
            let mut ticks = Vec::new();
            let mut donated = 0i64;
            for (toggle, steps) in &sc {
                if let Some((i, r)) = *toggle {
                    s.set_runnable(envs[i % envs.len()], r).unwrap();
                }
                ticks.push(s.tick());
                for target in steps {
                    if let (true, Some(i)) = (donate, *target) {
                        let to = if i % (envs.len() + 1) == envs.len() {
                            SERVER
                        } else {
                            envs[i % envs.len()]
                        };
                        let by = s.current().env();
                        if s.donate(to).is_ok() && by != Some(to) {
                            involved.insert(to);
                            involved.extend(by);
                        }
                    }
                    if let Dispatch::Run { env, why } = s.current() {
                        *time.entry(env).or_default() += 1;
                        if matches!(why, Why::Donated { .. }) {
                            donated += 1;
                        }
                    }
                }
            }
            (time, involved, ticks, donated)
        };
        let (with, involved, ticks_with, donated) = run(true);
        let (without, _, ticks_without, _) = run(false);
        prop_assert_eq!(ticks_with, ticks_without);
        let total = |t: &std::collections::BTreeMap<EnvId, i64>| t.values().sum::<i64>();
        prop_assert_eq!(total(&with), total(&without));
        let mut all: std::collections::BTreeSet<EnvId> = with.keys().copied().collect();
        all.extend(without.keys().copied());
        for env in all {
            let (a, b) = (with.get(&env).copied().unwrap_or(0), without.get(&env).copied().unwrap_or(0));
            if !involved.contains(&env) {
                prop_assert_eq!(a, b, "{:?} was not involved in any donation", env);
            }
            prop_assert!((a - b).abs() <= donated);
        }
    }

    #[test]
    fn blocked_owners_do_not_cost_runnable_ones(
        v in vector(8),
        protected in any::<u64>(),
        toggles in prop::collection::vec(prop::option::of((any::<usize>(), any::<bool>())), 1..400),
    ) {
        let envs = envs_of(&v);
        let is_protected = |e: EnvId| protected >> (envs.iter().position(|&x| x == e).unwrap() % 64) & 1 == 1;
        let mut s = Scheduler::new(v.clone());
        for toggle in &toggles {
            if let Some((i, r)) = *toggle {
                let e = envs[i % envs.len()];
                if !is_protected(e) {
                    s.set_runnable(e, r).unwrap();
                }
            }
            let d = s.tick();
            let slot = s.position().unwrap();
            let owner = v.owner(slot);
            let any = envs.iter().any(|&e| s.is_runnable(e).unwrap());
            match d {
                Dispatch::Run { env, why: Why::Owner { slot: at } } => {
                    prop_assert_eq!((env, at), (owner, slot));
                }
                Dispatch::Run { env, why: Why::Lent { slot: at, owner: o } } => {
                    prop_assert_eq!((at, o), (slot, owner));
                    prop_assert!(!is_protected(owner) && !s.is_runnable(owner).unwrap());
                    prop_assert!(s.is_runnable(env).unwrap());
                }
                Dispatch::Idle => prop_assert!(!any, "idle while something could run"),
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }

    #[test]
    fn spare_slots_follow_the_weights(v in vector(8), mask in 1u64.., cycles in 1usize..6) {
        let envs = envs_of(&v);
        let member = |e: EnvId| mask >> (envs.iter().position(|&x| x == e).unwrap() % 64) & 1 == 1;
        let share: u64 = envs.iter().filter(|&&e| member(e)).map(|&e| u64::from(v.count_of(e))).sum();
        prop_assume!(share > 0);
        let mut s = Scheduler::new(v.clone());
        for &e in &envs {
            s.set_runnable(e, member(e)).unwrap();
        }
        let quanta = cycles * v.len();
        let mut got = std::collections::BTreeMap::<EnvId, i64>::new();
        for _ in 0..quanta {
            let env = s.tick().env();
            prop_assert!(env.is_some());
            *got.entry(env.unwrap()).or_default() += 1;
        }
        let members = envs.iter().filter(|&&e| member(e)).count() as i64;
        let share = share as i64;
        for &e in envs.iter().filter(|&&e| member(e)) {
            let c = i64::from(v.count_of(e));
            let g = got.get(&e).copied().unwrap_or(0);
            // |g - quanta * c / share| < 2 + 2 * members * c / share
            let dev = (g * share - quanta as i64 * c).abs();
            prop_assert!(dev < 2 * share + 2 * members * c, "{:?}: got {} of {}", e, g, quanta);
        }
    }

    #[test]
    fn steady_reservations_get_their_budget_every_period(
        v in vector(4),
        rts in prop::collection::vec((1u32..=12, 1u32..=12, any::<bool>()), 1..=5),
        wakes in prop::collection::vec(any::<u8>(), 240),
    ) {
        let mut s = Scheduler::new(v.clone());
        // (env, period, budget, steady)
        let mut admitted = Vec::new();
        for (k, &(p, b, steady)) in rts.iter().enumerate() {
            let env = EnvId(1000 + k as u32);
            if s.add_realtime(env, p, b.min(p)).is_ok() {
                admitted.push((env, p as usize, b.min(p) as usize, steady));
            }
        }
        let sleepers: Vec<EnvId> = admitted.iter().filter(|a| !a.3).map(|a| a.0).collect();
        let mut served: Vec<Vec<usize>> = vec![Vec::new(); admitted.len()];
        let mut last_position = None;
        for (t, &w) in wakes.iter().enumerate() {
            if !sleepers.is_empty() {
                let e = sleepers[w as usize % sleepers.len()];
                s.set_runnable(e, w & 0x80 != 0).unwrap();
            }
            match s.tick() {
                Dispatch::Run { env, why: Why::Realtime } => {
                    let i = admitted.iter().position(|a| a.0 == env).unwrap();
                    served[i].push(t);
                    prop_assert_eq!(s.position(), last_position);
                }
                d => {
                    // Vector envs are all runnable: the walk goes on.
                    let slot = s.position().unwrap();
                    prop_assert_eq!(slot, last_position.map_or(0, |p| (p + 1) % v.len()));
                    prop_assert_eq!(d, Dispatch::Run { env: v.owner(slot), why: Why::Owner { slot } });
                    last_position = Some(slot);
                }
            }
        }
        let horizon = wakes.len();
        for (i, &(env, period, budget, steady)) in admitted.iter().enumerate() {
            if steady {
                for k in 0..horizon / period {
                    let n = served[i].iter().filter(|&&t| t / period == k).count();
                    prop_assert_eq!(n, budget, "{:?} period {}", env, k);
                }
            } else {
                prop_assert!(served[i].len() <= budget * (horizon / period + 2));
            }
        }
    }
}
