//! Interval timers (`setitimer`, `alarm`) and POSIX timers
//! (`timer_create` and the rest): kept per process by the library OS and
//! fired by its scheduler, which looks at them whenever it runs (each
//! call, each tick's preemption upcall, each wake) and sleeps no later
//! than the nearest expiry. An expiry makes the timer's signal pending:
//! `SIGALRM`, `SIGVTALRM` and `SIGPROF` for the interval timers (as the
//! kernel sends them, `SI_KERNEL`), a POSIX timer's own signal with
//! `si_code` `SI_TIMER`, its id and value, to the process or (with
//! `SIGEV_THREAD_ID`) one thread. An expiry while the timer's signal is
//! still pending is counted as an overrun of that signal instead, as
//! Linux does. CPU-time timers (`ITIMER_VIRTUAL`, `ITIMER_PROF`, the
//! CPU-time clocks) follow the kernel's tick count of the process.
//! Neither kind survives `fork`; POSIX timers go at `execve`, interval
//! timers stay.

use alloc::vec::Vec;

use crate::proc::Proc;
use crate::signal::{self, Origin, Room};
use linux_frame::sig::is_realtime;

/// `si_code`s.
const SI_KERNEL: i32 = 0x80;
const SI_TIMER: i32 = -2;
/// Signals of the interval timers.
const SIGALRM: u64 = 14;
const SIGVTALRM: u64 = 26;
const SIGPROF: u64 = 27;

/// What a timer's time is measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// `CLOCK_REALTIME` (and `_ALARM`).
    Real,
    /// `CLOCK_MONOTONIC`, `CLOCK_BOOTTIME` (and `_ALARM`).
    Mono,
    /// The process's user time (`ITIMER_VIRTUAL`).
    User,
    /// Its user and system time (`ITIMER_PROF`, the CPU-time clocks).
    Cpu,
}

impl Clock {
    /// Its reading now, in nanoseconds.
    pub fn now(self) -> u64 {
        let (user, system) = crate::linux::own_ticks();
        match self {
            Clock::Real => crate::time::realtime_ns(),
            Clock::Mono => crate::time::now_ns(),
            Clock::User => crate::linux::ticks_to_ns(user),
            Clock::Cpu => crate::linux::ticks_to_ns(user + system),
        }
    }
}

/// Who a POSIX timer tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// `SIGEV_NONE`.
    None,
    /// `SIGEV_SIGNAL`: the process, or (`SIGEV_THREAD_ID`) thread `tid`.
    Signal {
        sig: u64,
        value: u64,
        tid: Option<u64>,
    },
}

/// One timer.
#[derive(Clone, Copy, Debug)]
pub struct Timer {
    pub clock: Clock,
    /// The next expiry on `clock` (0: disarmed).
    pub next: u64,
    /// The period (0: one shot).
    pub interval: u64,
    pub notify: Notify,
    /// Expiries not signalled of the last signal (`timer_getoverrun`).
    pub overrun: u32,
}

impl Timer {
    /// Disarmed, telling `notify`.
    pub fn new(clock: Clock, notify: Notify) -> Timer {
        Timer {
            clock,
            next: 0,
            interval: 0,
            notify,
            overrun: 0,
        }
    }

    /// Time left to the next expiry (0 if disarmed) and the period.
    pub fn get(&self) -> (u64, u64) {
        if self.next == 0 {
            return (0, self.interval);
        }
        // An expiry due but not yet seen still shows the smallest time.
        (
            self.next.saturating_sub(self.clock.now()).max(1),
            self.interval,
        )
    }

    /// Arms it `value` from now (or at `value` on its clock if
    /// `absolute`), then every `interval`; a zero `value` disarms it.
    pub fn set(&mut self, value: u64, interval: u64, absolute: bool) {
        self.interval = interval;
        self.next = match (value, absolute) {
            (0, _) => 0,
            (v, true) => v.max(1),
            (v, false) => self.clock.now().saturating_add(v),
        };
    }
}

/// A process's timers.
#[derive(Clone, Debug, Default)]
pub struct Timers {
    /// `ITIMER_REAL`, `ITIMER_VIRTUAL`, `ITIMER_PROF`.
    pub itimer: [Option<Timer>; 3],
    /// POSIX timers by id.
    pub posix: Vec<Option<Timer>>,
}

/// Most POSIX timers a process may have (Linux counts them against
/// `RLIMIT_SIGPENDING`; this is a fixed ceiling for the table).
pub const TIMERS_MAX: usize = 4096;

impl Timers {
    /// The interval timer `which` (0..=2).
    pub fn itimer(&mut self, which: usize) -> &mut Timer {
        let clock = [Clock::Real, Clock::User, Clock::Cpu][which];
        self.itimer[which].get_or_insert_with(|| Timer::new(clock, Notify::None))
    }

    /// A new POSIX timer: its id.
    pub fn create(&mut self, t: Timer) -> Option<usize> {
        if let Some(i) = self.posix.iter().position(Option::is_none) {
            self.posix[i] = Some(t);
            return Some(i);
        }
        if self.posix.len() >= TIMERS_MAX {
            return None;
        }
        self.posix.push(Some(t));
        Some(self.posix.len() - 1)
    }

    /// POSIX timer `id`.
    pub fn get(&mut self, id: u64) -> Option<&mut Timer> {
        self.posix.get_mut(usize::try_from(id).ok()?)?.as_mut()
    }

    /// The soonest expiry of a wall-clock or monotonic timer, on the
    /// monotonic clock; CPU-time timers ask to be looked at a tick later.
    pub fn next_deadline(&self) -> Option<u64> {
        let mono = crate::time::now_ns();
        let real = crate::time::realtime_ns();
        let tick = 1_000_000_000 / exo_rt::info::timer_hz().max(1);
        self.itimer
            .iter()
            .chain(self.posix.iter())
            .flatten()
            .filter(|t| t.next != 0)
            .map(|t| match t.clock {
                Clock::Mono => t.next,
                Clock::Real => mono.saturating_add(t.next.saturating_sub(real)),
                Clock::User | Clock::Cpu => mono + tick,
            })
            .min()
    }
}

/// How many times `t` expired by `now` (0: not yet), moving it on.
fn expire(t: &mut Timer, now: u64) -> u64 {
    if t.next == 0 || now < t.next {
        return 0;
    }
    if t.interval == 0 {
        t.next = 0;
        return 1;
    }
    let n = 1 + (now - t.next) / t.interval;
    t.next = t.next.saturating_add(n.saturating_mul(t.interval));
    n
}

/// Fires every timer of `p` that expired.
pub fn fire(p: &mut Proc) {
    if p.timers.itimer.iter().all(Option::is_none) && p.timers.posix.is_empty() {
        return;
    }
    for (which, sig) in [SIGALRM, SIGVTALRM, SIGPROF].into_iter().enumerate() {
        let Some(t) = p.timers.itimer[which].as_mut() else {
            continue;
        };
        if expire(t, t.clock.now()) > 0 {
            let origin = Origin {
                code: SI_KERNEL,
                ..Origin::default()
            };
            let _ = signal::enqueue(p, None, sig, origin, Room::Lossy);
        }
    }
    for id in 0..p.timers.posix.len() {
        let Some(t) = p.timers.posix[id].as_mut() else {
            continue;
        };
        let n = expire(t, t.clock.now());
        let Notify::Signal { sig, value, tid } = t.notify else {
            continue;
        };
        if n == 0 {
            continue;
        }
        let extra = (n - 1).min(i32::MAX as u64) as u32;
        deliver(p, id, sig, value, tid, extra);
    }
}

/// Makes POSIX timer `id`'s signal pending with `extra` overruns, or
/// adds them to the instance still pending.
fn deliver(p: &mut Proc, id: usize, sig: u64, value: u64, tid: Option<u64>, extra: u32) {
    let mine = |o: &Origin| o.code == SI_TIMER && o.pid == id as u32;
    let task = tid.and_then(|t| p.tasks.iter().position(|x| x.tid == t));
    let bit = 1u64 << (sig - 1);
    // Still pending: one more overrun of it.
    let queued = p
        .queue
        .iter_mut()
        .chain(p.tasks.iter_mut().flat_map(|t| t.queue.iter_mut()))
        .find(|q| q.sig == sig && mine(&q.origin));
    if let Some(q) = queued {
        q.origin.uid = q.origin.uid.saturating_add(1 + extra);
        let n = q.origin.uid;
        set_overrun(p, id, n);
        return;
    }
    let pending = p.pending & bit != 0 || p.tasks.iter().any(|t| t.pending & bit != 0);
    if pending && !is_realtime(sig) && mine(&p.origins[(sig - 1) as usize]) {
        let o = &mut p.origins[(sig - 1) as usize];
        o.uid = o.uid.saturating_add(1 + extra);
        let n = o.uid;
        set_overrun(p, id, n);
        return;
    }
    set_overrun(p, id, extra);
    let origin = Origin {
        pid: id as u32,
        uid: extra,
        code: SI_TIMER,
        value,
    };
    let _ = signal::enqueue(p, task, sig, origin, Room::Lossy);
}

fn set_overrun(p: &mut Proc, id: usize, n: u32) {
    if let Some(t) = p.timers.posix.get_mut(id).and_then(Option::as_mut) {
        t.overrun = n;
    }
}
