//! CPU time, counted by the tick as Linux counts it without
//! `VIRT_CPU_ACCOUNTING`: each timer interrupt charges one tick to what
//! it interrupted, the running environment's user time (its library OS
//! included: the Linux calls it serves run in user mode), the running
//! environment's system time (the kernel at work for it), or the CPU's
//! idle time (the kernel halted with nothing ready). Every
//! [`LOAD_INTERVAL_S`](slots::load::LOAD_INTERVAL_S) seconds the number of
//! environments ready to run is sampled into the load average.
//!
//! An environment's own times are words of its info page (read with no
//! kernel entry); `EnvTimes` gives them for another environment and
//! `CpuTimes` the machine's.
//!
//! Lock: `ENVS`, then `LOAD` (only ever taken alone).

use core::sync::atomic::AtomicU64;

use ::slots::load::{LoadAvg, LOAD_INTERVAL_S};

use super::*;

/// The machine's ticks: user, system, idle.
static USER: AtomicU64 = AtomicU64::new(0);
static SYSTEM: AtomicU64 = AtomicU64::new(0);
static IDLE: AtomicU64 = AtomicU64::new(0);
/// The load average and the number of environments ready at the last
/// sample.
static LOAD: Mutex<(LoadAvg, u64)> = Mutex::new((LoadAvg([0; 3]), 0));

/// A timer interrupt came, from user mode if `from_user`.
pub fn account_tick(from_user: bool) {
    let cur = current();
    let ticks = crate::time::ticks();
    let sample = ticks.is_multiple_of(LOAD_INTERVAL_S * u64::from(crate::time::TIMER_HZ));
    if cur == NO_ENV {
        IDLE.fetch_add(1, Ordering::Relaxed);
    } else if from_user {
        USER.fetch_add(1, Ordering::Relaxed);
    } else {
        SYSTEM.fetch_add(1, Ordering::Relaxed);
    }
    // The kernel takes interrupts with `ENVS` free (it runs with them
    // masked otherwise), but a tick is never worth a deadlock.
    let Some(mut envs) = ENVS.try_lock() else {
        return;
    };
    if let Some(e) = envs.get_mut(&cur) {
        if from_user {
            e.user_ticks += 1;
        } else {
            e.system_ticks += 1;
        }
        write_times(e);
    }
    if sample {
        let ready = envs.values().filter(|e| e.state.is_ready()).count() as u64;
        drop(envs);
        let mut l = LOAD.lock();
        l.0.sample(ready);
        l.1 = ready;
    }
}

/// Writes an environment's CPU times into its info page.
pub(super) fn write_times(e: &Env) {
    use abi::info::word;
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&e.user_ticks.to_le_bytes());
    b[8..].copy_from_slice(&e.system_ticks.to_le_bytes());
    crate::mem::write_phys(e.info_frame + 8 * word::USER_TICKS as u64, &b);
}

/// An environment's (user, system) ticks.
pub fn env_times(id: u32) -> Result<(u64, u64), Error> {
    let envs = ENVS.lock();
    let e = envs.get(&id).ok_or(Error::NoPartner)?;
    Ok((e.user_ticks, e.system_ticks))
}

/// The machine's (user, system, idle) ticks.
pub fn cpu_times() -> (u64, u64, u64) {
    (
        USER.load(Ordering::Relaxed),
        SYSTEM.load(Ordering::Relaxed),
        IDLE.load(Ordering::Relaxed),
    )
}

/// The load average (fixed point, 11 bits of fraction) and the
/// environments ready at its last sample.
pub fn load_avg() -> ([u64; 3], u64) {
    let l = LOAD.lock();
    (l.0 .0, l.1)
}
