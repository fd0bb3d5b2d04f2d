//! `utest=sched`: proportional share, directed yield and real-time
//! reservations (`SchedSet`, `YieldTo`).
//!
//! Two children share a counter frame with the parent (mapped into each
//! with `map_into`); each blocks on its own notification until started,
//! then spins incrementing its own counter. Checks:
//!
//! - `sched_set` with weight 0 or 1001 is `InvalidArgument`, through a
//!   non-thread `WrongType`; a reservation of 5 quanta every 10 is
//!   admitted, another 6 every 10 on top (over 100%) is
//!   `InvalidArgument`, a budget over the period too, budget 0 removes
//!   the first, after which 6 every 10 is admitted (and removed again);
//! - with weights 1 and 3 and the parent asleep for 1 s (a notification
//!   timeout), the counts' ratio is between 2 and 4.5;
//! - a third child is run with `yield_to` until it blocks in its first
//!   `wait`; then `yield_to` it is `NoPartner`, through an endpoint
//!   `WrongType`, to itself a no-op; once started it increments a counter
//!   once per run and yields, and each of 20 `yield_to`s runs it (the
//!   parent sees the counter advance every time).
//!
//! Every child stops when the parent sets the stop word, and its death
//! notice is collected.
//!
//! The weights round comes first and never `yield_to`s the spinners;
//! `yield-block` covers a child that was run by `yield_to` and then blocked.

use abi::map_flags::WRITE;
use abi::Error;
use exo_rt::calls::{Reservation, WAIT_FOREVER};
use exo_rt::ipc::{endpoint_create, map_into, Child};
use exo_rt::memory::{scratch_read, scratch_write};
use exo_rt::{
    cap_delete, exit, frame_alloc, map, notification_create, sched_set, signal, sleep_on, unmap,
    wait, yield_now, yield_to, StartArgs,
};

use super::{child, free};
use crate::check::{Ctx, Failed, Outcome};

/// The shared counter page (same address in parent and children).
const SHARED: u64 = 0x2000_0000;
/// Word offsets in it: the spinners' counters (0, 1), the stepper's (3),
/// the stop word (8).
const STEPS: u64 = SHARED + 3 * 8;
const STOP: u64 = SHARED + 8 * 8;
/// A child's notification (slot 3, what its parent gave).
const CHILD_NTF: u32 = 3;

/// Waits for the start signal, then increments counter `idx` until the
/// stop word is set.
fn spinner(idx: u64) -> ! {
    if wait(CHILD_NTF, WAIT_FOREVER).is_err() {
        exit(2);
    }
    let at = SHARED + 8 * idx;
    while scratch_read(STOP) == 0 {
        scratch_write(at, scratch_read(at) + 1);
    }
    exit(0)
}

/// Waits for the start signal, then increments the step counter once per
/// time it runs (yielding after each) until the stop word is set.
fn stepper(_arg: u64) -> ! {
    if wait(CHILD_NTF, WAIT_FOREVER).is_err() {
        exit(2);
    }
    while scratch_read(STOP) == 0 {
        scratch_write(STEPS, scratch_read(STEPS) + 1);
        let _ = yield_now();
    }
    exit(0)
}

/// Spawns `entry(arg)` as child `k` with `ntf` in its slot 3 and maps the
/// shared page into it. The child touches the page only after its start
/// signal, which comes after the mapping.
fn start(
    t: Ctx,
    args: &StartArgs,
    (k, ntf): (u32, u32),
    (ep, page): (u32, u32),
    entry: fn(u64) -> !,
    arg: u64,
) -> Result<Child, Failed> {
    t.ok(
        "notification_create",
        notification_create(args.memory.start, ntf),
    )?;
    let c = child::start(t, args, k, Some(ntf), Some(ep), entry, arg)?;
    t.ok(
        "map_into (shared page)",
        map_into(c.env.aspace, page, SHARED, WRITE),
    )?;
    Ok(c)
}

/// Sets the stop word, collects the children's death notices (exit 0)
/// and releases them.
fn stop(t: Ctx, ep: u32, children: &[&Child]) -> Outcome {
    scratch_write(STOP, 1);
    for c in children {
        child::expect_exit(t, ep, c, 0)?;
    }
    scratch_write(STOP, 0);
    Ok(())
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    let page = free(0);
    let ep = free(1);
    let sleep = free(2);
    let (ntf_a, ntf_b, ntf_c) = (free(3), free(4), free(5));
    t.ok("frame_alloc (shared page)", frame_alloc(mem, page, None))?;
    t.ok("map (shared page)", map(page, SHARED, WRITE))?;
    t.ok("endpoint_create", endpoint_create(mem, ep))?;
    t.ok("notification_create", notification_create(mem, sleep))?;

    let a = start(t, args, (0, ntf_a), (ep, page), spinner, 0)?;
    let b = start(t, args, (1, ntf_b), (ep, page), spinner, 1)?;
    let (ta, tb) = (a.env.thread, b.env.thread);

    // Weights and reservations.
    t.err(
        "sched_set weight 0",
        sched_set(ta, 0, None),
        Error::InvalidArgument,
    )?;
    t.err(
        "sched_set weight 1001",
        sched_set(ta, 1001, None),
        Error::InvalidArgument,
    )?;
    t.err(
        "sched_set through an endpoint",
        sched_set(ep, 1, None),
        Error::WrongType,
    )?;
    let half = Reservation {
        period: 10,
        budget: 5,
    };
    let more = Reservation {
        period: 10,
        budget: 6,
    };
    let over = Reservation {
        period: 10,
        budget: 11,
    };
    t.ok("sched_set reservation 5/10", sched_set(ta, 1, Some(half)))?;
    t.err(
        "sched_set reservation 6/10 on top of 5/10",
        sched_set(tb, 3, Some(more)),
        Error::InvalidArgument,
    )?;
    t.err(
        "sched_set reservation 11/10",
        sched_set(tb, 3, Some(over)),
        Error::InvalidArgument,
    )?;
    let none = Reservation {
        period: 10,
        budget: 0,
    };
    t.ok(
        "sched_set removes the reservation",
        sched_set(ta, 1, Some(none)),
    )?;
    t.ok(
        "sched_set reservation 6/10 once alone",
        sched_set(tb, 3, Some(more)),
    )?;
    t.ok("sched_set removes it again", sched_set(tb, 3, Some(none)))?;
    t.ok("sched_set weight 1", sched_set(ta, 1, None))?;
    t.ok("sched_set weight 3", sched_set(tb, 3, None))?;

    // Proportional share over 1 s.
    t.ok("signal child 0", signal(ntf_a, 1))?;
    t.ok("signal child 1", signal(ntf_b, 1))?;
    t.ok("sleep 1 s", sleep_on(sleep, 1_000_000))?;
    let (na, nb) = (scratch_read(SHARED), scratch_read(SHARED + 8));
    stop(t, ep, &[&a, &b])?;
    t.check(
        na > 0 && nb > 0,
        format_args!("counts {na} and {nb}: a child never ran"),
    )?;
    let ratio10 = nb * 10 / na;
    t.check(
        (20..=45).contains(&ratio10),
        format_args!(
            "weights 1:3 gave counts {na}:{nb} (ratio {}.{})",
            ratio10 / 10,
            ratio10 % 10
        ),
    )?;
    t.note(format_args!(
        "weights 1:3: counts {na}:{nb}, ratio {}.{}",
        ratio10 / 10,
        ratio10 % 10
    ));

    // Directed yield runs the child next.
    let c = start(t, args, (2, ntf_c), (ep, page), stepper, 0)?;
    // Run it until it blocks in its first wait: then YieldTo is NoPartner.
    // (Done only after the weights round: see the kernel problem noted in
    // the module docs.)
    let mut tries = 0;
    while yield_to(c.env.thread).is_ok() {
        tries += 1;
        t.check(tries < 1000, format_args!("the stepper never blocked"))?;
    }
    t.err(
        "yield_to a blocked child",
        yield_to(c.env.thread),
        Error::NoPartner,
    )?;
    t.err("yield_to an endpoint", yield_to(ep), Error::WrongType)?;
    t.ok("yield_to itself", yield_to(abi::root_slots::THREAD))?;
    t.ok("signal the stepper", signal(ntf_c, 1))?;
    // A timer tick may end the donated slot before the child has stepped
    // (the scheduler then picks by weight): a few such yields are allowed,
    // never a majority.
    let mut stayed = 0;
    for i in 0..20 {
        let before = scratch_read(STEPS);
        t.ok("yield_to the stepper", yield_to(c.env.thread))?;
        if scratch_read(STEPS) <= before {
            stayed += 1;
            t.check(
                stayed <= 3,
                format_args!("yield_to #{i}: the step counter stayed at {before} ({stayed} times)"),
            )?;
        }
    }
    t.note(format_args!(
        "20 directed yields ran the child ({} of them ended by a tick first)",
        stayed
    ));
    stop(t, ep, &[&c])?;

    for slot in [ntf_a, ntf_b, ntf_c, sleep, ep] {
        t.ok("cap_delete", cap_delete(slot))?;
    }
    t.ok("unmap (shared page)", unmap(SHARED))?;
    t.ok("cap_delete (shared page)", cap_delete(page))
}
