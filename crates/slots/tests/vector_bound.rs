//! Property tests of the slot vector's window bound, as stated on
//! `SlotVector`: for random weight sets (1..=16 environments, weights
//! 1..=1000) and lengths,
//!
//! * own rate: `|count - L * c_i / len| < 2` for every cyclic window of
//!   every length (checked exhaustively: on the repeated vector the
//!   supremum over all windows is `max lag - min lag` over one period);
//! * exact share: `|count - L * w_i / W| < 2 + L / len` (so `< 3`) for every
//!   window of at most one cycle (exhaustively for `len <= 240`, on random
//!   windows up to `len = 4000`), and `< 2` when `len * w_i` is a multiple
//!   of `W` for every `i`;
//! * the counts are the exact shares rounded down or up and fill the
//!   vector;
//! * the vector is a function of the set of entries: deterministic and
//!   independent of their order;
//! * two environments get a balanced word (every window within 1 of the
//!   share), like the golden-ratio Beatty construction.

use proptest::prelude::*;
use slots::{EnvId, SlotVector};

fn entries(max_envs: usize) -> impl Strategy<Value = Vec<(EnvId, u32)>> {
    prop::collection::btree_map(0u32..10_000, 1u32..=1000, 1..=max_envs)
        .prop_map(|m| m.into_iter().map(|(e, w)| (EnvId(e), w)).collect())
}

/// Prefix counts of `env` over two copies of the vector: `p[t]` = slots of
/// `env` in `[0, t)`.
fn prefix(v: &SlotVector, env: EnvId) -> Vec<i64> {
    let mut p = vec![0i64];
    for t in 0..2 * v.len() {
        let add = i64::from(v.owner(t) == env);
        p.push(p[t] + add);
    }
    p
}

/// `count * W * len - L * w * len` must stay below `2 W len + L W`
/// (i.e. `|count - L w / W| < 2 + L / len`), and below `2 W len` when the
/// shares are exact.
fn check_window(
    p: &[i64],
    a: usize,
    l: usize,
    len: i64,
    w: i64,
    total: i64,
    exact: bool,
) -> Result<(), TestCaseError> {
    let count = p[a + l] - p[a];
    let l = l as i64;
    let dev = (count * total * len - l * w * len).abs();
    prop_assert!(
        dev < 2 * total * len + l * total,
        "window ({a}, {l}) count {count}"
    );
    prop_assert!(dev < 3 * total * len);
    if exact {
        prop_assert!(dev < 2 * total * len, "exact shares, window ({a}, {l})");
    }
    Ok(())
}

fn check_counts_and_own_rate(v: &SlotVector) -> Result<(), TestCaseError> {
    let len = v.len() as i64;
    let total = v.total_weight() as i64;
    let mut sum = 0i64;
    for (env, w, c) in v.entries() {
        let (w, c) = (i64::from(w), i64::from(c));
        sum += c;
        // Rounded exact share: |c - len w / W| < 1.
        prop_assert!((c * total - len * w).abs() < total);
        prop_assert_eq!(v.as_slice().iter().filter(|&&e| e == env).count() as i64, c);
        // Lag scaled by len: C(t) len - t c, over one period.
        let p = prefix(v, env);
        let lags = (0..=v.len()).map(|t| p[t] * len - t as i64 * c);
        let (lo, hi) = lags.fold((i64::MAX, i64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        prop_assert!(lo > -len && hi < len, "prefix lag out of (-1, 1)");
        prop_assert!(
            hi - lo < 2 * len,
            "some window is 2 or more off its own rate"
        );
    }
    prop_assert_eq!(sum, len);
    Ok(())
}

fn exact_shares(v: &SlotVector) -> bool {
    v.entries()
        .all(|(_, w, _)| (v.len() as u64 * u64::from(w)).is_multiple_of(v.total_weight()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_window_is_within_bound_exhaustive(e in entries(16), len in 1usize..=240) {
        let v = SlotVector::build(&e, len).unwrap();
        check_counts_and_own_rate(&v)?;
        let (n, total, exact) = (len as i64, v.total_weight() as i64, exact_shares(&v));
        for (env, w, _) in v.entries() {
            let p = prefix(&v, env);
            for a in 0..len {
                for l in 1..=len {
                    check_window(&p, a, l, n, i64::from(w), total, exact)?;
                }
            }
        }
    }

    #[test]
    fn random_windows_are_within_bound(
        e in entries(16),
        len in 1usize..=4000,
        windows in prop::collection::vec((any::<usize>(), any::<usize>()), 64),
    ) {
        let v = SlotVector::build(&e, len).unwrap();
        check_counts_and_own_rate(&v)?;
        let (n, total, exact) = (len as i64, v.total_weight() as i64, exact_shares(&v));
        for (env, w, _) in v.entries() {
            let p = prefix(&v, env);
            for &(a, l) in &windows {
                check_window(&p, a % len, 1 + l % len, n, i64::from(w), total, exact)?;
            }
        }
    }

    #[test]
    fn len_a_multiple_of_the_weight_sum_gives_below_two(
        e in entries(6).prop_filter("small total", |e| e.iter().map(|x| x.1).sum::<u32>() <= 600),
        k in 1usize..=3,
    ) {
        let total: u32 = e.iter().map(|x| x.1).sum();
        let len = total as usize * k;
        let v = SlotVector::build(&e, len).unwrap();
        prop_assert!(exact_shares(&v));
        check_counts_and_own_rate(&v)?;
    }

    #[test]
    fn deterministic_and_independent_of_entry_order(
        e in entries(16),
        len in 1usize..=3000,
        rot in any::<usize>(),
    ) {
        let v = SlotVector::build(&e, len).unwrap();
        prop_assert_eq!(&v, &SlotVector::build(&e, len).unwrap());
        let mut shuffled = e.clone();
        shuffled.reverse();
        let r = rot % shuffled.len();
        shuffled.rotate_left(r);
        prop_assert_eq!(&v, &SlotVector::build(&shuffled, len).unwrap());
    }

    #[test]
    fn two_environments_get_a_balanced_word(
        wa in 1u32..=1000,
        wb in 1u32..=1000,
        len in 1usize..=400,
    ) {
        let v = SlotVector::build(&[(EnvId(0), wa), (EnvId(1), wb)], len).unwrap();
        let c = i64::from(v.count_of(EnvId(0)));
        let n = len as i64;
        let p = prefix(&v, EnvId(0));
        let lags: Vec<i64> = (0..=len).map(|t| p[t] * n - t as i64 * c).collect();
        let spread = lags.iter().max().unwrap() - lags.iter().min().unwrap();
        // Every window within 1 of its share at the vector's rate.
        prop_assert!(spread < n, "not balanced: spread {spread} / {n}");
    }
}
