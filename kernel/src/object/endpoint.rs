//! An IPC endpoint: its id, who pays for it, and its own queues of
//! waiting callers, waiting receivers and kernel notices. The capability
//! holds the endpoint itself (`KObject::Endpoint`), so a call reaches the
//! queues without a table lookup. Moving threads between the queues and
//! the CPU is `env::ipc`'s job; this file only keeps the queues (their
//! logic is `kobjects::Queues`, tested on the host).
//!
//! Invariant: an environment is on at most one queue, the one its
//! `env::State` names (`BlockedSend` or `BlockedRecv`).
//!
//! Lock: each endpoint's queues have their own lock, taken after `ENVS`
//! and `CAPS` and never held while taking another (see `crate::object`).

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

use kobjects::Queues;
use spin::Mutex;

pub use kobjects::{Closed, Pending};

/// Ids handed to new endpoints (what `EndpointCreate` returns and
/// `cap_identify` reports).
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// One endpoint.
pub struct Endpoint {
    id: u32,
    /// The environment whose quota pays for it.
    payer: u32,
    queues: Mutex<Queues>,
}

impl Endpoint {
    /// A new endpoint with a fresh id, paid for by `payer`.
    pub fn new(payer: u32) -> Arc<Endpoint> {
        Arc::new(Endpoint {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            payer,
            queues: Mutex::new(Queues::new()),
        })
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn payer(&self) -> u32 {
        self.payer
    }

    /// A caller arrives: the first waiting receiver, or none and the
    /// caller is queued.
    pub fn call(&self, caller: u32) -> Result<Option<u32>, Closed> {
        self.queues.lock().call(caller)
    }

    /// A receiver arrives: a queued notice first, then a queued caller.
    pub fn receive(&self) -> Result<Pending, Closed> {
        self.queues.lock().receive()
    }

    /// Queues a receiver that found nothing (nothing if the endpoint is
    /// closed).
    pub fn wait_for_caller(&self, receiver: u32) {
        self.queues.lock().wait_for_caller(receiver);
    }

    /// A kernel notice: the first waiting receiver, to be given it at
    /// once, or none and the notice is queued. Nothing on a closed one.
    pub fn notice(&self, notice: [u64; 6]) -> Option<u32> {
        self.queues.lock().notice(notice)
    }

    /// Takes `env` off the queues (it is going away).
    pub fn forget(&self, env: u32) {
        self.queues.lock().forget(env);
    }

    /// Closes the endpoint (its last capability went) and hands back
    /// everyone queued on it, callers first. Allocates nothing.
    pub fn close(&self) -> (VecDeque<u32>, VecDeque<u32>) {
        self.queues.lock().close()
    }
}
