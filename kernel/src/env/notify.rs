//! Notifications: a word of bits per notification, signal, wait with a
//! deadline or poll, and the expiry of timed waits.

use super::*;

/// A notification word and who waits on it.
#[derive(Default)]
pub(super) struct Notification {
    word: u64,
    waiters: VecDeque<u32>,
}

pub(super) static NOTIFICATIONS: Mutex<BTreeMap<u32, Notification>> = Mutex::new(BTreeMap::new());

pub(super) static NEXT_NOTIFICATION: AtomicU32 = AtomicU32::new(1);

/// A new notification's id.
pub fn notification_create() -> u32 {
    let id = NEXT_NOTIFICATION.fetch_add(1, Ordering::Relaxed);
    NOTIFICATIONS.lock().insert(id, Notification::default());
    id
}

/// The notification's object is gone: its waiters fail.
pub fn notification_gone(ntf: u32) {
    let mut envs = ENVS.lock();
    let Some(n) = NOTIFICATIONS.lock().remove(&ntf) else {
        return;
    };
    for id in n.waiters {
        if let Some(w) = envs.get_mut(&id) {
            w.wake_with(Error::NoPartner);
        }
    }
}

/// `Signal`: ORs `bits` into the word; the first waiter takes the word.
pub fn signal(ntf: u32, bits: u64) {
    let mut envs = ENVS.lock();
    let mut ntfs = NOTIFICATIONS.lock();
    let Some(n) = ntfs.get_mut(&ntf) else { return };
    n.word |= bits;
    if n.word == 0 {
        return;
    }
    if let Some(w) = n.waiters.pop_front().and_then(|id| envs.get_mut(&id)) {
        w.context.set_syscall_result(0, [n.word, 0, 0, 0]);
        w.state = State::Ready;
        n.word = 0;
    }
}

/// `Wait`: takes the word if a bit is set, polls (`timeout_us` 0), or
/// blocks until a signal or the deadline.
pub fn wait(frame: &mut TrapFrame, ntf: u32, timeout_us: u64) {
    let me = current();
    {
        let mut envs = ENVS.lock();
        let mut ntfs = NOTIFICATIONS.lock();
        let Some(n) = ntfs.get_mut(&ntf) else {
            frame.set_syscall_result(Error::NoPartner as u64, [0; 4]);
            return;
        };
        if n.word != 0 || timeout_us == 0 {
            frame.set_syscall_result(0, [n.word, 0, 0, 0]);
            n.word = 0;
            return;
        }
        let deadline_us = if timeout_us == u64::MAX {
            u64::MAX
        } else {
            crate::time::now_us().saturating_add(timeout_us)
        };
        n.waiters.push_back(me);
        if let Some(e) = envs.get_mut(&me) {
            e.context = *frame;
            e.state = State::BlockedWait { ntf, deadline_us };
        }
    }
    run_next(frame);
}

/// Wakes waiters whose deadline has passed, with `TimedOut`.
pub(super) fn expire_waits() {
    let now = crate::time::now_us();
    let mut envs = ENVS.lock();
    let mut ntfs = NOTIFICATIONS.lock();
    for (id, e) in envs.iter_mut() {
        if let State::BlockedWait { ntf, deadline_us } = e.state {
            if now >= deadline_us {
                if let Some(n) = ntfs.get_mut(&ntf) {
                    n.waiters.retain(|w| w != id);
                }
                e.wake_with(Error::TimedOut);
            }
        }
    }
}

/// Takes environment `id` off every notification's waiters (it is going away).
pub(super) fn forget_env(id: u32) {
    for n in NOTIFICATIONS.lock().values_mut() {
        n.waiters.retain(|w| *w != id);
    }
}
