//! xorshift64*: the deterministic generator of the tests that draw
//! random calls or messages from a printed seed.

/// The generator's state (any non-zero seed).
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (not zero).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
