//! [`Dispatch`] and [`Why`]: the scheduler's answer to "who runs now, and
//! on whose account".

use crate::EnvId;

/// Who runs on the CPU until the next decision.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Dispatch {
    /// Nothing can run: halt until the next tick or wake-up.
    Idle,
    /// Run `env`, for the reason `why`.
    Run {
        /// The environment to run.
        env: EnvId,
        /// Why it runs (and so whose time it uses).
        why: Why,
    },
}

impl Dispatch {
    /// The environment to run, or `None` when idle.
    pub fn env(&self) -> Option<EnvId> {
        match *self {
            Dispatch::Idle => None,
            Dispatch::Run { env, .. } => Some(env),
        }
    }
}

/// Why an environment runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Why {
    /// A quantum of its real-time budget (one unit was charged).
    Realtime,
    /// Its own proportional-share slot `slot`.
    Owner {
        /// Index of the slot in the vector.
        slot: usize,
    },
    /// Slot `slot` belongs to `owner`, which was not runnable; the slot
    /// was lent to this environment.
    Lent {
        /// Index of the slot in the vector.
        slot: usize,
        /// The slot's owner.
        owner: EnvId,
    },
    /// The rest of a quantum that `by` gave up with
    /// [`yield_now`](crate::Scheduler::yield_now).
    Yielded {
        /// Who yielded.
        by: EnvId,
    },
    /// The rest of an idle quantum, after something became runnable.
    Woken,
    /// The rest of a quantum that `by` donated with
    /// [`donate`](crate::Scheduler::donate).
    Donated {
        /// Who donated.
        by: EnvId,
    },
}
