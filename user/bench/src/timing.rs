//! Batched timing: the TSC is read once before and once after a batch of
//! operations, never around one operation (under nested KVM a TSC read
//! traps and costs ~11,000 cycles). Each batch gives cycles per operation
//! after subtracting the cheapest measured pair of TSC reads; a benchmark
//! reports the median and the minimum over its batches.

use core::fmt;

use exo_rt::tsc::rdtsc;

use crate::config::{Config, MAX_BATCHES};

/// Median and minimum over batches: from [`measure`] in tenths of a TSC
/// cycle per operation, from [`overhead`] in TSC cycles per batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Median over batches.
    pub median: u64,
    /// Minimum over batches.
    pub min: u64,
}

/// Median and minimum of a set of figures.
fn stats(figures: &mut [u64]) -> Stats {
    figures.sort_unstable();
    let n = figures.len();
    let median = if n % 2 == 1 {
        figures[n / 2]
    } else {
        (figures[n / 2 - 1] + figures[n / 2]) / 2
    };
    Stats {
        median,
        min: figures[0],
    }
}

/// The cost of the two TSC reads around an empty batch, in cycles per
/// batch (not scaled), over `cfg.batches` tries after the warm-up.
pub fn overhead(cfg: &Config) -> Stats {
    let mut figures = [0u64; MAX_BATCHES as usize];
    for i in 0..cfg.warmup + cfg.batches {
        let start = rdtsc();
        let end = rdtsc();
        if i >= cfg.warmup {
            figures[(i - cfg.warmup) as usize] = end.wrapping_sub(start);
        }
    }
    stats(&mut figures[..cfg.batches as usize])
}

/// Times `batch(ops)` (which performs `ops` operations and checks them)
/// `cfg.warmup` times untimed, then `cfg.batches` times timed. Returns the
/// figures in tenths of a cycle per operation, with `overhead` cycles (the
/// cost of the TSC reads) taken off each batch.
pub fn measure(
    cfg: &Config,
    overhead: u64,
    mut batch: impl FnMut(u32) -> Result<(), &'static str>,
) -> Result<Stats, &'static str> {
    for _ in 0..cfg.warmup {
        batch(cfg.ops)?;
    }
    let mut figures = [0u64; MAX_BATCHES as usize];
    for figure in figures.iter_mut().take(cfg.batches as usize) {
        let start = rdtsc();
        batch(cfg.ops)?;
        let end = rdtsc();
        let ticks = end.wrapping_sub(start).saturating_sub(overhead);
        *figure = (ticks * 10 + u64::from(cfg.ops) / 2) / u64::from(cfg.ops);
    }
    Ok(stats(&mut figures[..cfg.batches as usize]))
}

/// A figure in tenths, printed with one decimal.
pub struct Fixed1(pub u64);

impl fmt::Display for Fixed1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}
