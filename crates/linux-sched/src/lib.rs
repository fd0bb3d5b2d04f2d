//! Linux's scheduling policies (sched(7)) for the threads a library OS
//! runs itself: a thread's attributes ([`Sched`]), the rules a change must
//! follow ([`Sched::set`]), what a fork child starts with, and the order
//! in which a scheduler tries threads ([`PickOrder`]): real-time (FIFO,
//! RR) threads by priority, the others after them in turn.

#![no_std]
#![forbid(unsafe_code)]

pub const SCHED_OTHER: u32 = 0;
pub const SCHED_FIFO: u32 = 1;
pub const SCHED_RR: u32 = 2;
pub const SCHED_BATCH: u32 = 3;
pub const SCHED_IDLE: u32 = 5;
pub const SCHED_DEADLINE: u32 = 6;
/// Linux's default `sched_rr_timeslice_ms`, in nanoseconds.
pub const RR_INTERVAL_NS: u64 = 100_000_000;
/// The highest real-time priority.
pub const MAX_RT_PRIO: u32 = 99;

/// A change the rules refuse (Linux's EINVAL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid;

/// A thread's scheduling attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Sched {
    /// One of the `SCHED_*` policies (not DEADLINE).
    pub policy: u32,
    /// 1..=99 for FIFO and RR, 0 for the others.
    pub priority: u32,
    /// -20..=19.
    pub nice: i32,
    /// `SCHED_RESET_ON_FORK`: a fork child starts with the default policy.
    pub reset_on_fork: bool,
    /// When an RR thread's current time slice began (ns since boot).
    pub slice_start: u64,
}

/// Whether `policy` is real-time (FIFO or RR).
pub fn is_rt(policy: u32) -> bool {
    matches!(policy, SCHED_FIFO | SCHED_RR)
}

/// `sched_get_priority_min` and `_max`: 1..=99 for FIFO and RR, 0 for the
/// others (DEADLINE too, as Linux answers).
pub fn priority_range(policy: u32) -> Result<(u32, u32), Invalid> {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok((1, MAX_RT_PRIO)),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok((0, 0)),
        _ => Err(Invalid),
    }
}

impl Sched {
    /// The order ready threads run in: a real-time thread of priority `n`
    /// is `n`, the others 0 (they share what is left, in turn).
    pub fn rank(&self) -> u32 {
        if is_rt(self.policy) {
            self.priority
        } else {
            0
        }
    }

    /// Sets `policy` (with its reset-on-fork flag; None keeps both) and
    /// `priority` by Linux's rules: a policy it has, a priority of at most
    /// 99, non-zero exactly for FIFO and RR. `nice` (None: kept) applies
    /// to the other policies only, clamped to -20..=19. Nothing changes
    /// when the rules refuse.
    pub fn set(
        &mut self,
        policy: Option<(u32, bool)>,
        priority: u32,
        nice: Option<i32>,
    ) -> Result<(), Invalid> {
        let (policy, reset) = policy.unwrap_or((self.policy, self.reset_on_fork));
        if !matches!(
            policy,
            SCHED_OTHER | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE
        ) {
            return Err(Invalid);
        }
        let rt = is_rt(policy);
        if priority > MAX_RT_PRIO || rt != (priority != 0) {
            return Err(Invalid);
        }
        self.policy = policy;
        self.priority = priority;
        self.reset_on_fork = reset;
        if let (false, Some(n)) = (rt, nice) {
            self.nice = n.clamp(-20, 19);
        }
        Ok(())
    }

    /// What a fork child starts with: the same, or with
    /// `SCHED_RESET_ON_FORK` a real-time policy made OTHER, a nice of at
    /// least 0 and the flag itself cleared.
    pub fn for_fork_child(&self) -> Sched {
        if !self.reset_on_fork {
            return *self;
        }
        Sched {
            policy: if is_rt(self.policy) {
                SCHED_OTHER
            } else {
                self.policy
            },
            priority: 0,
            nice: self.nice.max(0),
            reset_on_fork: false,
            slice_start: 0,
        }
    }

    /// On a preemption tick at `now`: whether this thread, running, keeps
    /// its place among those of its priority (FIFO always, RR within its
    /// slice; an RR thread past it starts a new slice and goes behind).
    pub fn keeps_cpu(&mut self, now: u64) -> bool {
        match self.policy {
            SCHED_FIFO => true,
            SCHED_RR if now.saturating_sub(self.slice_start) < RR_INTERVAL_NS => true,
            SCHED_RR => {
                self.slice_start = now;
                false
            }
            _ => false,
        }
    }
}

/// Whether a thread without `CAP_SYS_NICE` may take nice value `nice`
/// under its `RLIMIT_NICE` soft limit `rlimit` (Linux's `can_nice`: the
/// limit is `20 - nice` at the lowest allowed).
pub fn can_nice(nice: i32, rlimit: u64) -> bool {
    u64::try_from(20 - nice.clamp(-20, 19)).is_ok_and(|r| r <= rlimit)
}

/// Whether a thread without `CAP_SYS_NICE` may change its attributes
/// from `old` to `new` (both valid) under its `RLIMIT_RTPRIO` and
/// `RLIMIT_NICE` soft limits, by the rules of Linux's
/// `__sched_setscheduler`: a lower nice value (a higher priority) of
/// OTHER or BATCH only as `RLIMIT_NICE` allows; a real-time policy it
/// does not have only with a non-zero `RLIMIT_RTPRIO`, a real-time
/// priority above both the old one and that limit never; leaving IDLE
/// only if its nice value is allowed; `SCHED_RESET_ON_FORK` never cleared.
pub fn unprivileged_may(old: &Sched, new: &Sched, rtprio: u64, rlimit_nice: u64) -> bool {
    if matches!(new.policy, SCHED_OTHER | SCHED_BATCH)
        && new.nice < old.nice
        && !can_nice(new.nice, rlimit_nice)
    {
        return false;
    }
    if is_rt(new.policy) {
        if new.policy != old.policy && rtprio == 0 {
            return false;
        }
        if new.priority > old.priority && u64::from(new.priority) > rtprio {
            return false;
        }
    }
    if old.policy == SCHED_IDLE && new.policy != SCHED_IDLE && !can_nice(old.nice, rlimit_nice) {
        return false;
    }
    !old.reset_on_fork || new.reset_on_fork
}

/// The order in which a scheduler tries `n` threads: higher rank first;
/// within a rank round robin, starting after `cur` (or at `cur` with
/// `keep`, so a FIFO thread, or an RR thread within its slice, goes on
/// running). Walked with [`PickOrder::next`], which is given the ranks
/// anew each time (the scheduler changes its threads between steps: one
/// gone answers None); nothing is allocated.
pub struct PickOrder {
    start: usize,
    n: usize,
    /// The ranks not yet walked (bit `r` for rank `r`).
    ranks: u128,
    rank: u32,
    step: usize,
}

impl PickOrder {
    /// `ranks`: bit `r` set if some thread has rank `r` (0..=127).
    pub fn new(n: usize, cur: usize, keep: bool, ranks: u128) -> PickOrder {
        PickOrder {
            start: if keep { cur } else { cur + 1 } % n.max(1),
            n,
            ranks,
            rank: 127 - ranks.leading_zeros().min(127),
            step: 0,
        }
    }

    /// The set of ranks `ranks` yields, for [`PickOrder::new`].
    pub fn ranks_of(ranks: impl Iterator<Item = u32>) -> u128 {
        ranks.fold(0u128, |m, r| m | 1 << r.min(127))
    }

    /// The next thread to try, if any is left; `rank_of(i)` is thread
    /// `i`'s rank (None if there is no such thread now).
    pub fn next(&mut self, rank_of: impl Fn(usize) -> Option<u32>) -> Option<usize> {
        while self.ranks != 0 {
            while self.step < self.n {
                let i = (self.start + self.step) % self.n;
                self.step += 1;
                if rank_of(i) == Some(self.rank) {
                    return Some(i);
                }
            }
            self.ranks &= !(1u128 << self.rank);
            self.step = 0;
            self.rank = 127 - self.ranks.leading_zeros().min(127);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let mut s = Sched::default();
        assert_eq!(s.set(Some((SCHED_FIFO, false)), 0, None), Err(Invalid));
        assert_eq!(s.set(Some((SCHED_FIFO, false)), 100, None), Err(Invalid));
        assert_eq!(s.set(Some((SCHED_OTHER, false)), 1, None), Err(Invalid));
        assert_eq!(s.set(Some((4, false)), 0, None), Err(Invalid));
        assert_eq!(s.set(Some((SCHED_DEADLINE, false)), 0, None), Err(Invalid));
        assert_eq!(s, Sched::default());
        assert_eq!(s.set(None, 5, None), Err(Invalid));
        s.set(Some((SCHED_OTHER, false)), 0, Some(-30)).unwrap();
        assert_eq!(s.nice, -20);
        s.set(Some((SCHED_RR, true)), 7, Some(5)).unwrap();
        assert_eq!((s.rank(), s.nice, s.reset_on_fork), (7, -20, true));
        s.set(None, 9, None).unwrap();
        assert_eq!((s.policy, s.priority, s.reset_on_fork), (SCHED_RR, 9, true));
        let c = s.for_fork_child();
        assert_eq!(
            (c.policy, c.priority, c.nice, c.reset_on_fork),
            (0, 0, 0, false)
        );
        s.reset_on_fork = false;
        assert_eq!(s.for_fork_child(), s);
        assert_eq!(priority_range(SCHED_RR), Ok((1, 99)));
        assert_eq!(priority_range(SCHED_IDLE), Ok((0, 0)));
        assert_eq!(priority_range(7), Err(Invalid));
    }

    #[test]
    fn slices() {
        let mut s = Sched::default();
        assert!(!s.keeps_cpu(0));
        s.set(Some((SCHED_FIFO, false)), 1, None).unwrap();
        assert!(s.keeps_cpu(u64::MAX));
        s.set(Some((SCHED_RR, false)), 1, None).unwrap();
        s.slice_start = 1000;
        assert!(s.keeps_cpu(1000 + RR_INTERVAL_NS - 1));
        assert!(!s.keeps_cpu(1000 + RR_INTERVAL_NS));
        assert_eq!(s.slice_start, 1000 + RR_INTERVAL_NS);
        assert!(s.keeps_cpu(1000 + RR_INTERVAL_NS));
    }

    #[test]
    fn order() {
        let ranks = [0, 5, 0, 5, 9];
        let walk = |cur, keep| {
            let mut o = PickOrder::new(
                ranks.len(),
                cur,
                keep,
                PickOrder::ranks_of(ranks.iter().copied()),
            );
            let mut v = [usize::MAX; 5];
            for slot in v.iter_mut() {
                *slot = o.next(|i| ranks.get(i).copied()).unwrap();
            }
            assert_eq!(o.next(|i| ranks.get(i).copied()), None);
            v
        };
        assert_eq!(walk(1, false), [4, 3, 1, 2, 0]);
        assert_eq!(walk(1, true), [4, 1, 3, 2, 0]);
        assert_eq!(walk(0, false), [4, 1, 3, 2, 0]);
    }
}
