//! Properties of the pick order: every thread comes exactly once, ranks
//! never rise along the walk, and within a rank threads come in round-robin
//! order from the start point.

use linux_sched::PickOrder;
use proptest::prelude::*;

proptest! {
    #[test]
    fn walk_is_a_priority_round_robin(
        ranks in proptest::collection::vec(0u32..100, 1..40),
        cur in 0usize..40,
        keep: bool,
    ) {
        let n = ranks.len();
        let cur = cur % n;
        let mut o = PickOrder::new(n, cur, keep, PickOrder::ranks_of(ranks.iter().copied()));
        let mut seen = vec![false; n];
        let mut walk = Vec::new();
        while let Some(i) = o.next(|i| ranks.get(i).copied()) {
            prop_assert!(!seen[i]);
            seen[i] = true;
            walk.push(i);
        }
        prop_assert!(seen.iter().all(|&s| s));
        let start = if keep { cur } else { (cur + 1) % n };
        for w in walk.windows(2) {
            let (a, b) = (w[0], w[1]);
            prop_assert!(ranks[a] >= ranks[b]);
            if ranks[a] == ranks[b] {
                prop_assert!((a + n - start) % n < (b + n - start) % n);
            }
        }
    }

    #[test]
    fn a_thread_gone_is_skipped(n in 1usize..30, gone in 0usize..30, cur in 0usize..30) {
        let mut o = PickOrder::new(n, cur % n, false, 1);
        let mut count = 0;
        while let Some(i) = o.next(|i| (i != gone && i < n).then_some(0)) {
            prop_assert!(i != gone);
            count += 1;
        }
        prop_assert_eq!(count, if gone < n { n - 1 } else { n });
    }
}
