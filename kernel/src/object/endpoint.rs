//! An IPC endpoint: its id, who pays for it, and its own queues of
//! waiting callers, waiting receivers and kernel notices. The capability
//! holds the endpoint itself (`KObject::Endpoint`), so a call reaches the
//! queues without a table lookup. Moving threads between the queues and
//! the CPU is `env::ipc`'s job; this file only keeps the queues.
//!
//! Invariant: an environment is on at most one queue, the one its
//! `env::State` names (`BlockedSend` or `BlockedRecv`).
//!
//! Lock: each endpoint's queues have their own lock, taken after `ENVS`
//! and `CAPS` and never held while taking another (see `crate::object`).

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

use spin::Mutex;

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

/// The endpoint's queues; `open` is false once its last capability went.
struct Queues {
    open: bool,
    senders: VecDeque<u32>,
    receivers: VecDeque<u32>,
    notices: VecDeque<[u64; 6]>,
}

/// The endpoint's last capability is gone: nobody can use it any more.
#[derive(Debug)]
pub struct Closed;

/// What a receiver finds on an endpoint.
pub enum Pending {
    /// A kernel notice (it comes first).
    Notice([u64; 6]),
    /// A blocked caller.
    Caller(u32),
    /// Nothing.
    Nothing,
}

impl Endpoint {
    /// A new endpoint with a fresh id, paid for by `payer`.
    pub fn new(payer: u32) -> Arc<Endpoint> {
        Arc::new(Endpoint {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            payer,
            queues: Mutex::new(Queues {
                open: true,
                senders: VecDeque::new(),
                receivers: VecDeque::new(),
                notices: VecDeque::new(),
            }),
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
        let mut q = self.open()?;
        let receiver = q.receivers.pop_front();
        if receiver.is_none() {
            q.senders.push_back(caller);
        }
        Ok(receiver)
    }

    /// A receiver arrives: a queued notice first, then a queued caller.
    pub fn receive(&self) -> Result<Pending, Closed> {
        let mut q = self.open()?;
        if let Some(n) = q.notices.pop_front() {
            return Ok(Pending::Notice(n));
        }
        Ok(q.senders
            .pop_front()
            .map_or(Pending::Nothing, Pending::Caller))
    }

    /// Queues a receiver (nothing if the endpoint is closed).
    pub fn wait_for_caller(&self, receiver: u32) {
        if let Ok(mut q) = self.open() {
            q.receivers.push_back(receiver);
        }
    }

    /// A kernel notice: the first waiting receiver, to be given it at
    /// once, or none and the notice is queued. Nothing on a closed one.
    pub fn notice(&self, notice: [u64; 6]) -> Option<u32> {
        let mut q = self.open().ok()?;
        let receiver = q.receivers.pop_front();
        if receiver.is_none() {
            q.notices.push_back(notice);
        }
        receiver
    }

    /// Takes `env` off the queues (it is going away).
    pub fn forget(&self, env: u32) {
        let mut q = self.queues.lock();
        q.senders.retain(|s| *s != env);
        q.receivers.retain(|r| *r != env);
    }

    /// Closes the endpoint (its last capability went) and hands back
    /// everyone queued on it, callers first. Allocates nothing.
    pub fn close(&self) -> (VecDeque<u32>, VecDeque<u32>) {
        let mut q = self.queues.lock();
        q.open = false;
        q.notices = VecDeque::new();
        (
            core::mem::take(&mut q.senders),
            core::mem::take(&mut q.receivers),
        )
    }

    fn open(&self) -> Result<spin::MutexGuard<'_, Queues>, Closed> {
        let q = self.queues.lock();
        if q.open {
            Ok(q)
        } else {
            Err(Closed)
        }
    }
}
