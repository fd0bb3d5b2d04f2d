//! Placing each environment's slots in the vector: earliest-deadline-first
//! over Beatty-sequence windows (the uniprocessor case of Pfair
//! scheduling), and the proof of the lag bound it gives.
//!
//! # Construction
//!
//! Environment `i` owns `c_i` slots of a vector of `n = sum c_i` slots; its
//! rate is `ρ_i = c_i / n`. Its `k`-th slot (`k = 0, 1, …`) gets the window
//!
//! ```text
//!     release r_k = floor(k * n / c_i)        deadline d_k = ceil((k + 1) * n / c_i)
//! ```
//!
//! and must be placed at a slot `t` with `r_k <= t < d_k`. The releases are
//! the Beatty sequence of `1/ρ_i` (floor of multiples); for two
//! environments with complementary rates the two Beatty sequences tile the
//! integers (Rayleigh/Beatty), and for an irrational rate such as the
//! golden ratio this is the classic lowest-discrepancy (Sturmian)
//! interleaving. With more environments the Beatty sequences collide
//! (Fraenkel), and collisions are settled by deadline: at every slot
//! `t = 0, 1, …, n-1` the released, unplaced slot with the earliest
//! deadline is placed, ties to the smaller [`EnvId`](crate::EnvId).
//!
//! # Every window is met
//!
//! Unit jobs with integer releases and deadlines on one processor are all
//! placed in their windows by EDF if, for every interval `[a, b)`, at most
//! `b - a` windows lie inside it (Jackson/Horn: EDF is optimal for this
//! problem). Window `k` of `i` lies inside `[a, b)` iff `k * n / c_i >= a`
//! and `(k + 1) * n / c_i <= b`, i.e. `a ρ_i <= k <= b ρ_i - 1`: at most
//! `(b - a) ρ_i` integers. Summed over `i` that is at most `b - a`, since the
//! rates add up to 1. The windows of slots `k < c_i` end by `n`, so the first
//! `n` slots hold exactly one period, and the vector repeated forever is
//! the EDF placement of all periods: the schedule is periodic.
//!
//! # Lag bound
//!
//! Let `C_i(t)` be the number of `i`'s slots in `[0, t)` of the repeated
//! vector and `lag_i(t) = C_i(t) - t ρ_i`. Then `-1 < lag_i(t) < 1` for all
//! `t >= 0`:
//!
//! * if `C_i(t) = m >= 1`, slot `m - 1` sits at some `s <= t - 1` with
//!   `floor((m - 1) / ρ_i) <= s`, so `(m - 1) / ρ_i < t`: `m - t ρ_i < 1`;
//! * slot `m` sits at some `s >= t` with `s < ceil((m + 1) / ρ_i)`, so
//!   `t < (m + 1) / ρ_i`: `t ρ_i - m < 1`.
//!
//! A window `[a, a + L)` of the repeated vector holds
//! `C_i(a + L) - C_i(a)` slots of `i`, so its deviation from `L ρ_i` is a
//! difference of two lags: **strictly between -2 and 2**, for every start
//! and every length (also longer than the vector).

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Reverse;

use crate::EnvId;

/// Places `counts[j]` slots for `envs[j]` (ids in increasing order) into a
/// vector of `len = sum(counts)` slots, `len <= MAX_SLOTS`.
pub(crate) fn place(envs: &[EnvId], counts: &[u32], len: usize) -> Vec<EnvId> {
    let n = len as u64;
    let release = |j: usize, k: u64| k * n / u64::from(counts[j]);
    let deadline = |j: usize, k: u64| ((k + 1) * n).div_ceil(u64::from(counts[j]));

    // Next unplaced slot of each environment.
    let mut next = alloc::vec![0u64; envs.len()];
    // Not yet released: (release, env index).
    let mut waiting: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    // Released, unplaced: (deadline, env index); index order is id order.
    let mut ready: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    for (j, &c) in counts.iter().enumerate() {
        if c > 0 {
            waiting.push(Reverse((release(j, 0), j)));
        }
    }

    let mut out = Vec::with_capacity(len);
    for t in 0..n {
        while let Some(&Reverse((r, j))) = waiting.peek() {
            if r > t {
                break;
            }
            waiting.pop();
            ready.push(Reverse((deadline(j, next[j]), j)));
        }
        // By the feasibility argument `ready` is never empty here; if it
        // were, placing the next release early keeps the vector full.
        let Some(Reverse((_, j))) = ready.pop().or_else(|| waiting.pop()) else {
            break;
        };
        out.push(envs[j]);
        next[j] += 1;
        if next[j] < u64::from(counts[j]) {
            waiting.push(Reverse((release(j, next[j]), j)));
        }
    }
    out
}
