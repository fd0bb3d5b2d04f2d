//! The system's random-number generator, behind `/dev/random`,
//! `/dev/urandom` and `getrandom`: ChaCha20 (`rand_chacha`) keyed at boot
//! from the CPU's `rdseed`/`rdrand` where it has them, mixed with the
//! time-stamp counter's jitter either way, and rekeyed from them every
//! [`RESEED_BYTES`] bytes handed out.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Bytes handed out between rekeyings.
const RESEED_BYTES: u64 = 1 << 20;

pub struct Random {
    rng: ChaCha20Rng,
    since: u64,
    /// Whether the CPU contributed to the key.
    pub hardware: bool,
}

/// A 32-byte key: the CPU's values where it has them, and TSC jitter
/// folded in (each read's low bits differ run to run).
fn key(extra: &[u8; 32]) -> ([u8; 32], bool) {
    let mut k = *extra;
    let mut hardware = false;
    for (i, chunk) in k.chunks_mut(4).enumerate() {
        let hw = exo_rt::hwrand::random_u32();
        hardware |= hw.is_some();
        let t = exo_rt::tsc::rdtsc();
        let mix = (hw.unwrap_or(0) as u64 ^ t.rotate_left(i as u32 * 7))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for (b, m) in chunk.iter_mut().zip((mix >> 24).to_le_bytes()) {
            *b ^= m;
        }
    }
    (k, hardware)
}

impl Random {
    pub fn new() -> Random {
        let (k, hardware) = key(&[0; 32]);
        Random {
            rng: ChaCha20Rng::from_seed(k),
            since: 0,
            hardware,
        }
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        if self.since >= RESEED_BYTES {
            let mut old = [0u8; 32];
            self.rng.fill_bytes(&mut old);
            let (k, hw) = key(&old);
            self.rng = ChaCha20Rng::from_seed(k);
            self.hardware |= hw;
            self.since = 0;
        }
        self.rng.fill_bytes(out);
        self.since += out.len() as u64;
    }
}

impl Default for Random {
    fn default() -> Random {
        Random::new()
    }
}
