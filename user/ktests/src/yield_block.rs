//! `utest=yield-block`: a regression test for directed yield. The parent
//! yields to a child that then blocks; once woken, that child must get its
//! share of the CPU again. (The kernel once let `YieldTo`'s result
//! overwrite the target's registers, so the child lost its argument and
//! counted into its sibling's word: this test saw 0 for it.)

use exo_rt::calls::WAIT_FOREVER;
use exo_rt::ipc::map_into;
use exo_rt::memory::{scratch_read, scratch_write};
use exo_rt::{
    exit, frame_alloc, map, notification_create, signal, sleep_on, wait, yield_to, StartArgs,
};

use super::{child, free};
use crate::check::{Ctx, Outcome};

/// The shared page with one counter per child.
const COUNTERS: u64 = 0x2000_0000;

/// A child: waits for its go signal, then counts in its own word forever.
fn spin(i: u64) -> ! {
    if wait(3, WAIT_FOREVER).is_err() {
        exit(2)
    }
    loop {
        scratch_write(COUNTERS + 8 * i, scratch_read(COUNTERS + 8 * i) + 1);
    }
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    t.ok("frame_alloc", frame_alloc(mem, free(0), None))?;
    t.ok("map", map(free(0), COUNTERS, abi::map_flags::WRITE))?;
    for n in 1..=3 {
        t.ok("notification_create", notification_create(mem, free(n)))?;
    }
    let a = child::start(t, args, 0, Some(free(2)), None, spin, 0)?;
    t.ok(
        "map_into",
        map_into(a.env.aspace, free(0), COUNTERS, abi::map_flags::WRITE),
    )?;
    let b = child::start(t, args, 1, Some(free(3)), None, spin, 1)?;
    t.ok(
        "map_into",
        map_into(b.env.aspace, free(0), COUNTERS, abi::map_flags::WRITE),
    )?;
    // Run the second child by directed yield until it blocks in its wait.
    let mut yields = 0;
    while yield_to(b.env.thread).is_ok() {
        yields += 1;
        t.check(yields < 1000, format_args!("the child never blocked"))?;
    }
    t.ok("signal", signal(free(2), 1))?;
    t.ok("signal", signal(free(3), 1))?;
    t.ok("sleep", sleep_on(free(1), 500_000))?;
    let (ca, cb) = (scratch_read(COUNTERS), scratch_read(COUNTERS + 8));
    t.note(format_args!(
        "after {yields} directed yields: counts {ca} and {cb}"
    ));
    t.check(
        ca > 0 && cb > 0,
        format_args!("a child never ran: {ca} and {cb}"),
    )?;
    t.check(
        ca < 3 * cb && cb < 3 * ca,
        format_args!("equal weights but counts {ca} and {cb}"),
    )
}
