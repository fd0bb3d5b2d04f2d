//! An IPC endpoint's queues.

use alloc::collections::VecDeque;

use crate::Closed;

/// A kernel notice: six message words.
pub type Notice = [u64; 6];

/// What a receiver finds on an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// A kernel notice (notices come before callers).
    Notice(Notice),
    /// A blocked caller.
    Caller(u32),
    /// Nothing.
    Nothing,
}

/// Waiting callers, waiting receivers and queued kernel notices, each in
/// arrival order; `open` is false once the endpoint's last capability
/// went. A receiver waits only after [`receive`](Queues::receive) found
/// nothing, so a caller and a receiver never both wait: whichever arrives
/// second takes the first of the other kind.
#[derive(Debug)]
pub struct Queues {
    open: bool,
    senders: VecDeque<u32>,
    receivers: VecDeque<u32>,
    notices: VecDeque<Notice>,
}

impl Default for Queues {
    fn default() -> Queues {
        Queues::new()
    }
}

impl Queues {
    /// An open endpoint with nothing queued.
    pub const fn new() -> Queues {
        Queues {
            open: true,
            senders: VecDeque::new(),
            receivers: VecDeque::new(),
            notices: VecDeque::new(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// A caller arrives: the first waiting receiver, or none and the
    /// caller is queued.
    #[inline]
    pub fn call(&mut self, caller: u32) -> Result<Option<u32>, Closed> {
        self.check_open()?;
        let receiver = self.receivers.pop_front();
        if receiver.is_none() {
            self.senders.push_back(caller);
        }
        Ok(receiver)
    }

    /// A receiver arrives: a queued notice first, then a queued caller.
    #[inline]
    pub fn receive(&mut self) -> Result<Pending, Closed> {
        self.check_open()?;
        if let Some(n) = self.notices.pop_front() {
            return Ok(Pending::Notice(n));
        }
        Ok(self
            .senders
            .pop_front()
            .map_or(Pending::Nothing, Pending::Caller))
    }

    /// Queues a receiver that found nothing (nothing if the endpoint is
    /// closed).
    #[inline]
    pub fn wait_for_caller(&mut self, receiver: u32) {
        if self.open {
            self.receivers.push_back(receiver);
        }
    }

    /// A kernel notice: the first waiting receiver, to be given it at
    /// once, or none and the notice is queued. Nothing on a closed one.
    pub fn notice(&mut self, notice: Notice) -> Option<u32> {
        if !self.open {
            return None;
        }
        let receiver = self.receivers.pop_front();
        if receiver.is_none() {
            self.notices.push_back(notice);
        }
        receiver
    }

    /// Takes `env` off the queues (it is going away).
    pub fn forget(&mut self, env: u32) {
        self.senders.retain(|s| *s != env);
        self.receivers.retain(|r| *r != env);
    }

    /// Closes the endpoint and hands back everyone queued on it: callers,
    /// then receivers. Queued notices are dropped. Allocates nothing.
    pub fn close(&mut self) -> (VecDeque<u32>, VecDeque<u32>) {
        self.open = false;
        self.notices = VecDeque::new();
        (
            core::mem::take(&mut self.senders),
            core::mem::take(&mut self.receivers),
        )
    }

    /// Queued callers, receivers and notices.
    pub fn lens(&self) -> (usize, usize, usize) {
        (self.senders.len(), self.receivers.len(), self.notices.len())
    }

    fn check_open(&self) -> Result<(), Closed> {
        if self.open {
            Ok(())
        } else {
            Err(Closed)
        }
    }
}
