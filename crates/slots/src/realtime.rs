//! The real-time class: per-environment reservations of `budget` quanta
//! every `period` quanta, served before proportional-share slots, earliest
//! deadline first.
//!
//! # Rules
//!
//! * **Admission.** A reservation needs `0 < budget <= period`. Its
//!   utilisation, rounded up to parts per million, is added to the class
//!   total, which may not exceed the limit (default 1 000 000 ppm = the
//!   whole CPU; the kernel should set it lower to keep time for the
//!   proportional class). Rounding up makes the test safe: the exact
//!   utilisation is at most the admitted total.
//! * **Periods.** A reservation's first period starts at the next quantum
//!   after it is added; its deadline is the end of the current period.
//!   When a quantum starts at or after the deadline the period rolls
//!   forward (over any number of whole periods) and the budget is
//!   refilled. Unused budget is not carried over; an exhausted reservation
//!   waits for its next period.
//! * **Choice.** At each quantum, among reservations whose environment is
//!   runnable and that have budget left, the earliest deadline wins (ties
//!   to the smaller id) and is charged one quantum.
//! * **Wake-up** (the constant-bandwidth-server rule). When an environment
//!   becomes runnable again and its remaining budget would exceed its
//!   bandwidth over the time left to its deadline
//!   (`remaining * period > (deadline - now) * budget`), it gets a fresh
//!   period starting now instead. Without this a late waker could demand
//!   more than its share just before its deadline.
//!
//! # Guarantee
//!
//! If the admitted total is at most 1 000 000 ppm, every reservation whose
//! environment stays runnable receives its whole budget in every period,
//! whatever the other reservations do: EDF meets all deadlines of unit
//! jobs when utilisation is at most 1 (Liu & Layland), and the wake-up rule
//! keeps every reservation's demand within its bandwidth in any interval.

use alloc::vec::Vec;

use crate::{EnvId, SlotError};

/// The whole CPU, in parts per million.
pub const FULL_CPU_PPM: u32 = 1_000_000;

/// The state of one reservation (also what the kernel can show in the
/// environment's info page).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Reservation {
    /// Length of a period, in quanta.
    pub period: u32,
    /// Quanta granted per period.
    pub budget: u32,
    /// Quanta left in the current period.
    pub remaining: u32,
    /// Index of the first quantum after the current period.
    pub deadline: u64,
}

impl Reservation {
    /// Rolls the period forward if quantum `now` is past it.
    fn refresh(&mut self, now: u64) {
        if now >= self.deadline {
            let period = u64::from(self.period);
            let periods = (now - self.deadline) / period + 1;
            self.deadline = self.deadline.saturating_add(periods.saturating_mul(period));
            self.remaining = self.budget;
        }
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct RealtimeClass {
    /// Sorted by env.
    reservations: Vec<(EnvId, Reservation)>,
    limit_ppm: u64,
    used_ppm: u64,
}

/// Utilisation of a reservation in ppm, rounded up.
fn ppm(period: u32, budget: u32) -> u64 {
    (u64::from(budget) * u64::from(FULL_CPU_PPM)).div_ceil(u64::from(period))
}

impl RealtimeClass {
    pub(crate) const fn new() -> Self {
        RealtimeClass {
            reservations: Vec::new(),
            limit_ppm: FULL_CPU_PPM as u64,
            used_ppm: 0,
        }
    }

    fn index(&self, env: EnvId) -> Result<usize, usize> {
        self.reservations.binary_search_by_key(&env, |r| r.0)
    }

    pub(crate) fn get(&self, env: EnvId) -> Option<Reservation> {
        self.index(env).ok().map(|i| self.reservations[i].1)
    }

    pub(crate) fn envs(&self) -> impl Iterator<Item = EnvId> + '_ {
        self.reservations.iter().map(|r| r.0)
    }

    pub(crate) fn used_ppm(&self) -> u32 {
        self.used_ppm as u32
    }

    pub(crate) fn limit_ppm(&self) -> u32 {
        self.limit_ppm as u32
    }

    /// Sets the admission limit (at most [`FULL_CPU_PPM`]); refused with
    /// `Overload` if the admitted total is already above it.
    pub(crate) fn set_limit(&mut self, limit_ppm: u32) -> Result<(), SlotError> {
        let limit = u64::from(limit_ppm.min(FULL_CPU_PPM));
        if self.used_ppm > limit {
            return Err(SlotError::Overload);
        }
        self.limit_ppm = limit;
        Ok(())
    }

    /// Admits a reservation whose first period starts at quantum `now`.
    pub(crate) fn add(
        &mut self,
        env: EnvId,
        period: u32,
        budget: u32,
        now: u64,
    ) -> Result<(), SlotError> {
        let at = match self.index(env) {
            Ok(_) => return Err(SlotError::AlreadyRealtime(env)),
            Err(at) => at,
        };
        if budget == 0 || budget > period {
            return Err(SlotError::BadReservation);
        }
        let cost = ppm(period, budget);
        if self.used_ppm + cost > self.limit_ppm {
            return Err(SlotError::Overload);
        }
        self.used_ppm += cost;
        let reservation = Reservation {
            period,
            budget,
            remaining: budget,
            deadline: now.saturating_add(u64::from(period)),
        };
        self.reservations.insert(at, (env, reservation));
        Ok(())
    }

    pub(crate) fn remove(&mut self, env: EnvId) -> Option<Reservation> {
        let i = self.index(env).ok()?;
        let (_, r) = self.reservations.remove(i);
        self.used_ppm -= ppm(r.period, r.budget);
        Some(r)
    }

    /// The constant-bandwidth wake-up rule for `env` becoming runnable
    /// before quantum `now`.
    pub(crate) fn wake(&mut self, env: EnvId, now: u64) {
        let Ok(i) = self.index(env) else { return };
        let r = &mut self.reservations[i].1;
        r.refresh(now);
        let left = u128::from(r.deadline.saturating_sub(now));
        if u128::from(r.remaining) * u128::from(r.period) > left * u128::from(r.budget) {
            r.remaining = r.budget;
            r.deadline = now.saturating_add(u64::from(r.period));
        }
    }

    /// Chooses the reservation to serve quantum `now`, charging it one
    /// quantum.
    pub(crate) fn pick(&mut self, now: u64, runnable: impl Fn(EnvId) -> bool) -> Option<EnvId> {
        let mut best: Option<(u64, usize)> = None;
        for (i, (env, r)) in self.reservations.iter_mut().enumerate() {
            r.refresh(now);
            if r.remaining == 0 || !runnable(*env) {
                continue;
            }
            // Strict `<` keeps the smaller id on equal deadlines.
            if best.is_none_or(|(d, _)| r.deadline < d) {
                best = Some((r.deadline, i));
            }
        }
        let (_, i) = best?;
        let (env, r) = &mut self.reservations[i];
        r.remaining -= 1;
        Some(*env)
    }
}
