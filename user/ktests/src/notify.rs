//! `utest=notify`: notifications.
//!
//! - a 50 ms `wait` on an empty word ends with `TimedOut`, after at least
//!   40 ms of TSC time (converted with the info page's `tsc_hz`);
//! - `signal` then `wait` returns the bits at once; a poll of the now
//!   empty word returns 0;
//! - a child spawned with the notification in its slot 3 signals it; the
//!   parent's blocking wait gets the child's bits;
//! - a child blocked in `wait` when the parent revokes and deletes the
//!   notification: its wait fails with `NoPartner` (it exits with that
//!   code);
//! - a copy without WRITE cannot signal, one without READ cannot wait
//!   (`NoRights`); an endpoint is not a notification (`WrongType`).

use abi::{Error, Rights};
use exo_rt::calls::{WAIT_FOREVER, WAIT_POLL};
use exo_rt::tsc::rdtsc;
use exo_rt::{cap_delete, cap_mint, cap_revoke, exit, info, signal, wait, yield_to, StartArgs};

use super::{child, free};
use crate::check::{Ctx, Outcome};

/// The child's notification: slot 3 (what its parent gave).
const CHILD_NTF: u32 = 3;
/// The bits the signalling child sends.
const CHILD_BITS: u64 = 0x5a00;

/// Signals [`CHILD_BITS`] on its slot 3 and exits 0 (or with the error).
fn signaller(_arg: u64) -> ! {
    match signal(CHILD_NTF, CHILD_BITS) {
        Ok(()) => exit(0),
        Err(e) => exit(100 + e as i32),
    }
}

/// Waits on its slot 3 with no limit; exits with the error code of the
/// wait (0 if it returned bits).
fn waiter(_arg: u64) -> ! {
    match wait(CHILD_NTF, WAIT_FOREVER) {
        Ok(_) => exit(0),
        Err(e) => exit(e as i32),
    }
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let (ntf, ep) = child::notification_and_endpoint(t, args)?;

    // A timed wait on an empty word.
    let hz = info::tsc_hz();
    t.check(hz > 0, format_args!("tsc_hz is 0"))?;
    let before = rdtsc();
    t.err(
        "wait 50 ms on an empty word",
        wait(ntf, 50_000),
        Error::TimedOut,
    )?;
    let ms = info::ticks_to_ns(rdtsc() - before) / 1_000_000;
    t.check(ms >= 40, format_args!("the 50 ms wait took only {ms} ms"))?;
    t.note(format_args!("50 ms wait timed out after {ms} ms"));

    // Signal, wait, poll.
    t.ok("signal 5", signal(ntf, 5))?;
    t.ok("signal 0x10", signal(ntf, 0x10))?;
    let bits = t.ok("wait after signal", wait(ntf, WAIT_FOREVER))?;
    t.check(
        bits == 0x15,
        format_args!("wait returned {bits:#x}, expected 0x15"),
    )?;
    let bits = t.ok("poll of an empty word", wait(ntf, WAIT_POLL))?;
    t.check(
        bits == 0,
        format_args!("poll returned {bits:#x}, expected 0"),
    )?;

    // Rights and types.
    let no_write = free(2);
    let no_read = free(3);
    t.ok(
        "cap_mint (no WRITE)",
        cap_mint(ntf, no_write, Rights::READ, 0),
    )?;
    t.ok(
        "cap_mint (no READ)",
        cap_mint(ntf, no_read, Rights::WRITE, 0),
    )?;
    t.err("signal without WRITE", signal(no_write, 1), Error::NoRights)?;
    t.err(
        "wait without READ",
        wait(no_read, WAIT_POLL),
        Error::NoRights,
    )?;
    t.err("signal on an endpoint", signal(ep, 1), Error::WrongType)?;
    t.err("wait on an endpoint", wait(ep, WAIT_POLL), Error::WrongType)?;
    t.err(
        "signal on an empty slot",
        signal(free(4), 1),
        Error::EmptySlot,
    )?;
    t.ok("cap_delete (no WRITE)", cap_delete(no_write))?;
    t.ok("cap_delete (no READ)", cap_delete(no_read))?;

    // A child signals, the parent waits.
    let c = child::start(t, args, 0, Some(ntf), Some(ep), signaller, 0)?;
    let bits = t.ok("wait for the child's signal", wait(ntf, 5_000_000))?;
    t.check(
        bits == CHILD_BITS,
        format_args!("got {bits:#x} from the child, expected {CHILD_BITS:#x}"),
    )?;
    child::expect_exit(t, ep, &c, 0)?;
    t.note(format_args!("child's signal received"));

    // A child waits; the notification goes away under it.
    let c = child::start(t, args, 0, Some(ntf), Some(ep), waiter, 0)?;
    // Run the child until it blocks: YieldTo says NoPartner once it is not
    // ready any more.
    let mut tries = 0;
    while yield_to(c.env.thread).is_ok() {
        tries += 1;
        t.check(
            tries < 1000,
            format_args!("the waiting child never blocked"),
        )?;
    }
    let gone = t.ok("cap_revoke (notification)", cap_revoke(ntf))?;
    t.check(
        gone >= 1,
        format_args!("revoke deleted {gone} capabilities"),
    )?;
    t.ok("cap_delete (notification)", cap_delete(ntf))?;
    child::expect_exit(t, ep, &c, Error::NoPartner as u64)?;
    t.note(format_args!(
        "deleting the notification failed the child's wait with NoPartner"
    ));
    t.ok("cap_delete (endpoint)", cap_delete(ep))
}
