//! The load average: exponentially decaying means of the number of
//! environments that are running or ready, sampled every
//! [`LOAD_INTERVAL_S`] seconds, over one, five and fifteen minutes. The
//! arithmetic is Linux's (`kernel/sched/loadavg.c`): 11-bit fixed point
//! with the decay factors `2048 / e^(5/60)`, `2048 / e^(5/300)` and
//! `2048 / e^(5/900)`, rounding up while the load rises, so the figures
//! `/proc/loadavg` prints are the ones Linux would print for the same
//! samples.

/// Bits of fraction.
pub const FSHIFT: u32 = 11;
/// 1.0 in fixed point.
pub const FIXED_1: u64 = 1 << FSHIFT;
/// Seconds between samples.
pub const LOAD_INTERVAL_S: u64 = 5;
/// Decay per sample for the 1-, 5- and 15-minute means.
const EXP: [u64; 3] = [1884, 2014, 2037];

/// The three means, in fixed point ([`FSHIFT`] bits of fraction).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadAvg(pub [u64; 3]);

impl LoadAvg {
    /// Takes one sample: `active` environments running or ready.
    pub fn sample(&mut self, active: u64) {
        let active = active.saturating_mul(FIXED_1);
        for (load, exp) in self.0.iter_mut().zip(EXP) {
            let mut next = *load * exp + active * (FIXED_1 - exp);
            if active >= *load {
                next += FIXED_1 - 1;
            }
            *load = next / FIXED_1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn starts_idle_and_rises_towards_the_load() {
        let mut l = LoadAvg::default();
        l.sample(0);
        assert_eq!(l, LoadAvg([0; 3]));
        l.sample(1);
        // One sample of load 1: 1 - 1884/2048, rounded up.
        assert_eq!(l.0[0], 164);
        for _ in 0..1000 {
            l.sample(1);
        }
        assert_eq!(l.0, [FIXED_1; 3]);
    }

    #[test]
    fn one_minute_mean_decays_by_e_per_minute() {
        let mut l = LoadAvg([FIXED_1 * 4; 3]);
        for _ in 0..12 {
            l.sample(0);
        }
        // 4 / e = 1.47, within fixed point's truncation.
        let one = l.0[0] as f64 / FIXED_1 as f64;
        assert!((one - 4.0 / core::f64::consts::E).abs() < 0.02, "{one}");
    }

    proptest! {
        /// Each mean stays between the smallest and largest sample taken
        /// since it started from one of them (no overflow, no drift out).
        #[test]
        fn means_stay_within_the_samples(samples in proptest::collection::vec(0u64..64, 1..300)) {
            let mut l = LoadAvg([samples[0] * FIXED_1; 3]);
            let lo = *samples.iter().min().unwrap() * FIXED_1;
            let hi = *samples.iter().max().unwrap() * FIXED_1;
            for &s in &samples {
                l.sample(s);
                for m in l.0 {
                    prop_assert!(m >= lo && m <= hi, "{m} outside {lo}..={hi}");
                }
            }
        }
    }
}
