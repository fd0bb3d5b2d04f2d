//! The rules for a thread without `CAP_SYS_NICE` (`unprivileged_may`,
//! `can_nice`), case by case as Linux's `__sched_setscheduler` and
//! `can_nice` decide them.

use linux_sched::{can_nice, unprivileged_may, Sched, SCHED_BATCH, SCHED_FIFO, SCHED_IDLE};
use linux_sched::{SCHED_OTHER, SCHED_RR};

fn s(policy: u32, priority: u32, nice: i32) -> Sched {
    Sched {
        policy,
        priority,
        nice,
        ..Sched::default()
    }
}

#[test]
fn nice_only_as_rlimit_nice_allows() {
    assert!(!can_nice(0, 0));
    assert!(!can_nice(19, 0));
    assert!(can_nice(19, 1));
    assert!(can_nice(0, 20));
    assert!(!can_nice(-1, 20));
    assert!(can_nice(-20, 40));
    // Raising the nice value is always allowed; lowering it is not.
    assert!(unprivileged_may(
        &s(SCHED_OTHER, 0, 5),
        &s(SCHED_OTHER, 0, 10),
        0,
        0
    ));
    assert!(!unprivileged_may(
        &s(SCHED_OTHER, 0, 5),
        &s(SCHED_OTHER, 0, 4),
        0,
        0
    ));
    assert!(unprivileged_may(
        &s(SCHED_OTHER, 0, 5),
        &s(SCHED_BATCH, 0, 4),
        0,
        16
    ));
}

#[test]
fn real_time_needs_rlimit_rtprio() {
    let other = s(SCHED_OTHER, 0, 0);
    assert!(!unprivileged_may(&other, &s(SCHED_FIFO, 1, 0), 0, 0));
    assert!(unprivileged_may(&other, &s(SCHED_FIFO, 5, 0), 5, 0));
    assert!(!unprivileged_may(&other, &s(SCHED_FIFO, 6, 0), 5, 0));
    // Lowering is allowed, and going back up to the limit.
    let fifo5 = s(SCHED_FIFO, 5, 0);
    assert!(unprivileged_may(&fifo5, &s(SCHED_FIFO, 3, 0), 0, 0));
    assert!(unprivileged_may(&s(SCHED_FIFO, 3, 0), &fifo5, 5, 0));
    // Above the old priority and above the limit: refused.
    assert!(!unprivileged_may(
        &s(SCHED_FIFO, 3, 0),
        &s(SCHED_FIFO, 4, 0),
        2,
        0
    ));
    // A new real-time policy with the limit 0, even at a lower priority.
    assert!(!unprivileged_may(&fifo5, &s(SCHED_RR, 1, 0), 0, 0));
    // Leaving real time is always allowed.
    assert!(unprivileged_may(&fifo5, &other, 0, 0));
}

#[test]
fn idle_and_reset_on_fork() {
    let idle = s(SCHED_IDLE, 0, 0);
    assert!(!unprivileged_may(&idle, &s(SCHED_OTHER, 0, 0), 0, 0));
    assert!(unprivileged_may(&idle, &s(SCHED_OTHER, 0, 0), 0, 20));
    assert!(unprivileged_may(&idle, &idle, 0, 0));
    let mut reset = s(SCHED_OTHER, 0, 0);
    reset.reset_on_fork = true;
    assert!(!unprivileged_may(&reset, &s(SCHED_OTHER, 0, 0), 0, 0));
    assert!(unprivileged_may(&s(SCHED_OTHER, 0, 0), &reset, 0, 0));
}
