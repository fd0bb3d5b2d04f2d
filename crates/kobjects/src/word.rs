//! A notification's word and its waiters.

use alloc::collections::VecDeque;

use crate::Closed;

/// The bits signalled and not yet taken, and the environments waiting
/// for a bit in arrival order; `open` is false once the notification's
/// last capability went. Bits and waiters never both wait: a signal with a
/// waiter hands it the word.
#[derive(Debug)]
pub struct Word {
    open: bool,
    bits: u64,
    waiters: VecDeque<u32>,
}

impl Default for Word {
    fn default() -> Word {
        Word::new()
    }
}

impl Word {
    /// An open notification with no bits and no waiters.
    pub const fn new() -> Word {
        Word {
            open: true,
            bits: 0,
            waiters: VecDeque::new(),
        }
    }

    /// The bits signalled and not yet taken.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// ORs `bits` into the word. If a bit is set and someone waits, the
    /// first waiter is offered the word: `wake(waiter, word)` says whether
    /// it took it (then the word is cleared; if not, the waiter is gone
    /// and the bits stay). Nothing on a closed one.
    #[inline]
    pub fn signal(&mut self, bits: u64, wake: impl FnOnce(u32, u64) -> bool) {
        if !self.open {
            return;
        }
        self.bits |= bits;
        if self.bits == 0 {
            return;
        }
        if let Some(waiter) = self.waiters.pop_front() {
            if wake(waiter, self.bits) {
                self.bits = 0;
            }
        }
    }

    /// A wait: the word (cleared) if a bit is set or `poll`; otherwise
    /// `None` and `waiter` is queued.
    #[inline]
    pub fn wait(&mut self, waiter: u32, poll: bool) -> Result<Option<u64>, Closed> {
        if !self.open {
            return Err(Closed);
        }
        if self.bits != 0 || poll {
            return Ok(Some(core::mem::take(&mut self.bits)));
        }
        self.waiters.push_back(waiter);
        Ok(None)
    }

    /// Takes `env` off the waiters (its wait timed out, or it is going away).
    pub fn forget(&mut self, env: u32) {
        self.waiters.retain(|w| *w != env);
    }

    /// Closes the notification and hands back its waiters. Allocates
    /// nothing.
    pub fn close(&mut self) -> VecDeque<u32> {
        self.open = false;
        core::mem::take(&mut self.waiters)
    }

    /// How many wait.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }
}
