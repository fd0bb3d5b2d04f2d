//! [`SlotVector`]: one CPU's cyclic vector of time slots, each owned by an
//! environment, filled by weight. Validation of the request, the public
//! accessors, and the statement of the bound (the proof is in `pfair`).

use alloc::vec::Vec;

use crate::apportion::apportion;
use crate::pfair::place;
use crate::{EnvId, SlotError};

/// The longest slot vector [`SlotVector::build`] makes.
pub const MAX_SLOTS: usize = 1 << 20;

/// A deterministic cyclic vector of time slots, each owned by one
/// environment, in proportion to weights.
///
/// # Construction
///
/// 1. **Counts.** Environment `i` (weight `w_i`, total `W`) gets `c_i`
///    slots, its exact share `len * w_i / W` rounded down or up by the
///    largest-remainder method: `|c_i - len * w_i / W| < 1`, and the
///    counts add up to `len`.
/// 2. **Placement.** Each environment's `k`-th slot has a window between
///    the Beatty-sequence release `floor(k * len / c_i)` and deadline
///    `ceil((k + 1) * len / c_i)`; slots are placed earliest deadline first,
///    ties to the smaller id (the generalised Beatty construction; see the
///    `pfair` module source for the proofs).
///
/// The result depends only on the set of `(env, weight)` pairs and `len`,
/// not on the order of the entries.
///
/// # The bound
///
/// For every environment `i` and every cyclic window of the vector
/// repeated forever (any start, any length `L`), with `count` the number
/// of slots `i` owns in the window:
///
/// * **`|count - L * c_i / len| < 2`** (own rate; any `L`, also `L > len`);
/// * **`|count - L * w_i / W| < 2 + L / len`**, so **`< 3`** for every
///   window of at most one cycle (`L <= len`), and **`< 2`** when `len *
///   w_i` is a multiple of `W` for every `i` (e.g. `len` a multiple of `W`),
///   where the two rates agree.
///
/// *Why.* The placement meets every window (EDF on unit jobs whose windows
/// never demand more than the length of any interval), and meeting every
/// window keeps `C_i(t) - t * c_i / len` strictly between -1 and 1 for
/// every prefix `[0, t)`; a window's count is the difference of two
/// prefixes, so its deviation is below 2. The rounding in step 1 adds
/// `L * |c_i / len - w_i / W| < L / len`.
///
/// An environment whose exact share is below one slot may own no slot;
/// pick `len >= W / min(w_i)` to give everyone at least one.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SlotVector {
    slots: Vec<EnvId>,
    /// (env, weight, slot count), sorted by env.
    entries: Vec<(EnvId, u32, u32)>,
    total_weight: u64,
}

impl SlotVector {
    /// Builds a vector of `len` slots for `entries` of `(env, weight)`.
    ///
    /// Refused with [`SlotError::Empty`] (no entries),
    /// [`SlotError::ZeroLength`], [`SlotError::TooLong`] (above
    /// [`MAX_SLOTS`]), [`SlotError::ZeroWeight`],
    /// [`SlotError::DuplicateEnv`] or [`SlotError::WeightOverflow`] (the
    /// weights add up to more than `u32::MAX`), checked in that order.
    pub fn build(entries: &[(EnvId, u32)], len: usize) -> Result<SlotVector, SlotError> {
        if entries.is_empty() {
            return Err(SlotError::Empty);
        }
        if len == 0 {
            return Err(SlotError::ZeroLength);
        }
        if len > MAX_SLOTS {
            return Err(SlotError::TooLong);
        }
        if let Some(&(env, _)) = entries.iter().find(|e| e.1 == 0) {
            return Err(SlotError::ZeroWeight(env));
        }
        let mut sorted: Vec<(EnvId, u32)> = entries.to_vec();
        sorted.sort_unstable();
        if let Some(pair) = sorted.windows(2).find(|p| p[0].0 == p[1].0) {
            return Err(SlotError::DuplicateEnv(pair[0].0));
        }
        let total: u64 = sorted.iter().map(|e| u64::from(e.1)).sum();
        if total > u64::from(u32::MAX) {
            return Err(SlotError::WeightOverflow);
        }

        let counts = apportion(&sorted, total, len);
        let ids: Vec<EnvId> = sorted.iter().map(|e| e.0).collect();
        let slots = place(&ids, &counts, len);
        let entries = sorted
            .iter()
            .zip(&counts)
            .map(|(&(env, w), &c)| (env, w, c))
            .collect();
        Ok(SlotVector {
            slots,
            entries,
            total_weight: total,
        })
    }

    /// Number of slots (at least 1).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Always false: a vector has at least one slot.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The owner of slot `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<EnvId> {
        self.slots.get(index).copied()
    }

    /// The owner of slot `index % len` (the vector is cyclic).
    pub fn owner(&self, index: usize) -> EnvId {
        self.slots[index % self.slots.len()]
    }

    /// The slots in order.
    pub fn as_slice(&self) -> &[EnvId] {
        &self.slots
    }

    /// The sum of the weights.
    pub fn total_weight(&self) -> u64 {
        self.total_weight
    }

    /// Every environment with its weight and slot count, by id.
    pub fn entries(&self) -> impl Iterator<Item = (EnvId, u32, u32)> + '_ {
        self.entries.iter().copied()
    }

    /// True if `env` was one of the entries (even if it owns no slot).
    pub fn contains(&self, env: EnvId) -> bool {
        self.find(env).is_some()
    }

    /// The weight `env` was given.
    pub fn weight_of(&self, env: EnvId) -> Option<u32> {
        self.find(env).map(|e| e.1)
    }

    /// How many slots `env` owns (0 if it is not an entry).
    pub fn count_of(&self, env: EnvId) -> u32 {
        self.find(env).map_or(0, |e| e.2)
    }

    /// The entries as stored: (env, weight, slot count), by id.
    pub(crate) fn entry_slice(&self) -> &[(EnvId, u32, u32)] {
        &self.entries
    }

    fn find(&self, env: EnvId) -> Option<&(EnvId, u32, u32)> {
        self.entries
            .binary_search_by_key(&env, |e| e.0)
            .ok()
            .map(|i| &self.entries[i])
    }
}
