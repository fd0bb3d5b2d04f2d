//! Waiting on notifications (`object::notification` keeps the word and
//! its waiters): signal, wait with a deadline or poll, the expiry of timed
//! waits, and interrupts on lines bound to notifications.
//!
//! Lock: `ENVS`, then the notification's word (see `crate::object`).

use super::*;
use crate::object::irq_line;

/// The notification's object is gone: its waiters fail.
pub(super) fn notification_gone(ntf: &Notification) {
    let mut envs = ENVS.lock();
    for id in ntf.close() {
        if let Some(w) = envs.get_mut(&id) {
            complete(w, Err(Error::NoPartner));
        }
    }
}

/// `Signal`: ORs `bits` into the word; the first waiter takes the word.
pub fn signal(ntf: &Notification, bits: u64) {
    let mut envs = ENVS.lock();
    ntf.signal(bits, |id, word| match envs.get_mut(&id) {
        Some(w) => {
            complete(w, Ok(Done::Results([word, 0, 0, 0])));
            true
        }
        None => false,
    });
}

/// An interrupt on line `gsi`: the kernel's own handler, or the
/// notification the line is bound to is signalled.
pub fn on_irq(gsi: u32) {
    if crate::irq::dispatch(gsi) {
        return;
    }
    if let Some((ntf, bits)) = irq_line::fire(gsi) {
        signal(&ntf, bits);
    }
}

/// `Wait`: takes the word if a bit is set, polls (`timeout_us` 0), or
/// blocks until a signal or the deadline.
pub fn wait(
    frame: &mut TrapFrame,
    ntf: &Arc<Notification>,
    timeout_us: u64,
) -> Result<Resume, Error> {
    let me = current();
    {
        let mut envs = ENVS.lock();
        match ntf.wait(me, timeout_us == 0) {
            Err(_) => return Err(Error::NoPartner),
            Ok(Some(word)) => return Ok(Resume::Caller(Done::Results([word, 0, 0, 0]))),
            Ok(None) => {}
        }
        let deadline_us = if timeout_us == u64::MAX {
            u64::MAX
        } else {
            crate::time::now_us().saturating_add(timeout_us)
        };
        if let Some(e) = envs.get_mut(&me) {
            e.context = *frame;
            e.state = State::BlockedWait {
                ntf: ntf.clone(),
                deadline_us,
            };
        }
    }
    run_next(frame);
    Ok(Resume::Loaded)
}

/// Wakes waiters whose deadline has passed, with `TimedOut`.
pub(super) fn expire_waits() {
    let now = crate::time::now_us();
    let mut envs = ENVS.lock();
    for (id, e) in envs.iter_mut() {
        if let State::BlockedWait { ntf, deadline_us } = &e.state {
            if now >= *deadline_us {
                ntf.forget(*id);
                complete(e, Err(Error::TimedOut));
            }
        }
    }
}

/// True if something other than a running environment can still signal
/// `ntf`: an interrupt line bound to it.
pub(super) fn interrupt_can_signal(ntf: &Notification) -> bool {
    irq_line::bound(ntf)
}
