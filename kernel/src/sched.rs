//! The CPU's time-slot scheduler: a `slots::Scheduler` whose vector is
//! built from the environments' weights (proportional share, Beatty-style
//! interleaving) with a real-time class above it. The environment code
//! asks it who runs at each timer tick, yield and block; runnable flags are
//! synced from the environments' states at each decision. Which of its own
//! threads an environment runs is its own business (one thread each today).

use alloc::vec::Vec;

use slots::{EnvId, Scheduler, SlotVector};
use spin::Mutex;

/// Largest slot vector (the sum of weights, capped).
const MAX_VECTOR: u64 = 4096;

static SCHED: Mutex<Option<Scheduler>> = Mutex::new(None);

/// Rebuilds the slot vector for these (environment, weight) pairs.
pub fn rebuild(weights: &[(u32, u32)]) {
    let entries: Vec<(EnvId, u32)> = weights
        .iter()
        .map(|&(id, w)| (EnvId(id), w.max(1)))
        .collect();
    let mut sched = SCHED.lock();
    if entries.is_empty() {
        *sched = None;
        return;
    }
    let total: u64 = entries.iter().map(|e| u64::from(e.1)).sum();
    match SlotVector::build(&entries, total.clamp(1, MAX_VECTOR) as usize) {
        Ok(v) => match sched.as_mut() {
            Some(s) => s.replace_vector(v),
            None => *sched = Some(Scheduler::new(v)),
        },
        Err(e) => log::error!("sched: cannot build the slot vector: {e:?}"),
    }
}

/// Who runs next: at a timer tick (`tick`), or when the running
/// environment yields or blocks. `states` says which are ready.
pub fn decide(states: impl Iterator<Item = (u32, bool)>, tick: bool) -> Option<u32> {
    let mut guard = SCHED.lock();
    let s = guard.as_mut()?;
    for (id, ready) in states {
        let _ = s.set_runnable(EnvId(id), ready);
    }
    let d = if tick { s.tick() } else { s.yield_now() };
    d.env().map(|e| e.0)
}

/// Directed yield: the rest of the slot goes to `to`.
pub fn donate(to: u32) -> bool {
    SCHED
        .lock()
        .as_mut()
        .is_some_and(|s| s.donate(EnvId(to)).is_ok())
}

/// Sets (`budget` > 0) or removes a real-time reservation of `budget`
/// quanta every `period` quanta. False if the CPU cannot admit it.
pub fn set_realtime(id: u32, period: u32, budget: u32) -> bool {
    let mut guard = SCHED.lock();
    let Some(s) = guard.as_mut() else {
        return false;
    };
    let _ = s.remove_realtime(EnvId(id));
    budget == 0 || s.add_realtime(EnvId(id), period, budget).is_ok()
}

/// Forgets an environment's reservation.
pub fn forget(id: u32) {
    if let Some(s) = SCHED.lock().as_mut() {
        let _ = s.remove_realtime(EnvId(id));
    }
}
