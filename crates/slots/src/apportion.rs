//! How many slots of the vector each environment gets: the exact share
//! `len * w_i / W` rounded by the largest-remainder (Hamilton) method.
//!
//! Every environment gets `floor(len * w_i / W)` slots; the `len - sum`
//! slots left over (fewer than the number of environments) go one each to
//! the environments with the largest remainders `len * w_i mod W`, ties to
//! the smaller [`EnvId`](crate::EnvId). So each count is the exact share
//! rounded down or up: `|c_i - len * w_i / W| < 1`, and the counts add up
//! to `len`.

use alloc::vec::Vec;

use crate::EnvId;

/// Slot counts for `entries` (sorted by id, weights > 0, sum `total` fits
/// `u32`), in the same order. `len` is at most `MAX_SLOTS`, so every
/// product below fits `u64`.
pub(crate) fn apportion(entries: &[(EnvId, u32)], total: u64, len: usize) -> Vec<u32> {
    let len = len as u64;
    let mut counts: Vec<u32> = Vec::with_capacity(entries.len());
    let mut given = 0u64;
    for &(_, w) in entries {
        let q = len * u64::from(w) / total;
        given += q;
        counts.push(q as u32);
    }
    // Indices by descending remainder; the sort is stable, so ties keep
    // the id order of `entries`.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| core::cmp::Reverse(len * u64::from(entries[i].1) % total));
    for &i in order.iter().take((len - given) as usize) {
        counts[i] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_shares_need_no_rounding() {
        let e = [(EnvId(1), 1), (EnvId(2), 3)];
        assert_eq!(apportion(&e, 4, 8), [2, 6]);
    }

    #[test]
    fn leftovers_go_to_largest_remainders_then_lowest_id() {
        // Shares 10/3 each: 3 each plus one leftover to env 1.
        let e = [(EnvId(1), 1), (EnvId(2), 1), (EnvId(3), 1)];
        assert_eq!(apportion(&e, 3, 10), [4, 3, 3]);
        // Shares 0.2, 0.8: remainders favour env 2.
        let e = [(EnvId(1), 1), (EnvId(2), 4)];
        assert_eq!(apportion(&e, 5, 1), [0, 1]);
    }
}
