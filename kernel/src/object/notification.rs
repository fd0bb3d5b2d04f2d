//! A notification: its id, who pays for it, and its own word of bits with
//! the queue of environments waiting for a bit. The capability holds the
//! notification itself (`KObject::Notification`), and so does an
//! interrupt line bound to it (`object::irq_line`), so a signal reaches the
//! word without a table lookup. Blocking and waking threads is
//! `env::notify`'s job; this file only keeps the word and the queue
//! (their logic is `kobjects::Word`, tested on the host).
//!
//! Invariant: an environment is on at most one waiter queue, the one its
//! `env::State::BlockedWait` names.
//!
//! Lock: each notification's word has its own lock, taken after `ENVS`
//! and `CAPS` and never held while taking another (see `crate::object`).

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

use kobjects::Word;
use spin::Mutex;

pub use kobjects::Closed;

/// Ids handed to new notifications (what `NotificationCreate` returns and
/// `cap_identify` reports).
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// One notification.
pub struct Notification {
    id: u32,
    /// The environment whose quota pays for it.
    payer: u32,
    word: Mutex<Word>,
}

impl Notification {
    /// A new notification with a fresh id, paid for by `payer`.
    pub fn new(payer: u32) -> Arc<Notification> {
        Arc::new(Notification {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            payer,
            word: Mutex::new(Word::new()),
        })
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn payer(&self) -> u32 {
        self.payer
    }

    /// ORs `bits` into the word. If a bit is set and someone waits, the
    /// first waiter is offered the word: `wake(waiter, word)` says whether
    /// it took it (then the word is cleared). Nothing on a closed one.
    pub fn signal(&self, bits: u64, wake: impl FnOnce(u32, u64) -> bool) {
        self.word.lock().signal(bits, wake);
    }

    /// A wait: the word (cleared) if a bit is set or `poll`; otherwise
    /// `None` and `waiter` is queued.
    pub fn wait(&self, waiter: u32, poll: bool) -> Result<Option<u64>, Closed> {
        self.word.lock().wait(waiter, poll)
    }

    /// Takes `env` off the waiters (its wait timed out, or it is going away).
    pub fn forget(&self, env: u32) {
        self.word.lock().forget(env);
    }

    /// Closes the notification (its last capability went) and hands back
    /// its waiters. Allocates nothing.
    pub fn close(&self) -> VecDeque<u32> {
        self.word.lock().close()
    }
}
