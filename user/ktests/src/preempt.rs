//! `utest=preempt`: `SetUpcall` with `flags::PREEMPT`.
//!
//! The root task spins in its own code, making no system call, with
//! several live accumulators whose final values it checks (a sum against
//! its closed form, a mixing value against a second run): the interrupted
//! state must come back exactly through each upcall.
//!
//! - Without `PREEMPT` (flags 0), 200 ms of spinning bring no upcall.
//! - With it, the handler counts `PREEMPTED` upcalls (frames with `rsp`
//!   outside the upcall stack and `rip` in the program) while the root
//!   task spins alone: the timer picks it again and the upcall comes at
//!   once.
//! - Once, the handler itself spins for 60 ms (several ticks): no upcall
//!   arrives while it is in its handler (none nests).
//! - With a spinning child beside it, the root task is switched out and
//!   later resumed through the upcall (delivered when it is loaded again).
//! - Unknown flag bits are `InvalidArgument`; after `clear_handler` no
//!   more upcalls arrive.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::upcall::flags::PREEMPT;
use abi::upcall::kind::PREEMPTED;
use abi::{Error, UpcallFrame};
use exo_rt::info::now_ns;
use exo_rt::memory::image;
use exo_rt::upcall::{clear_handler, set_handler_flags, stack};
use exo_rt::{env_kill, StartArgs};

use super::child;
use crate::check::{Ctx, Outcome};

static COUNT: AtomicU64 = AtomicU64::new(0);
static OTHER: AtomicU64 = AtomicU64::new(0);
static NESTED: AtomicU64 = AtomicU64::new(0);
static BAD_FRAME: AtomicU64 = AtomicU64::new(0);
static IN_HANDLER: AtomicBool = AtomicBool::new(false);
static LINGER: AtomicBool = AtomicBool::new(false);

const MS: u64 = 1_000_000;

fn handler(f: &mut UpcallFrame) {
    if IN_HANDLER.swap(true, Ordering::SeqCst) {
        NESTED.fetch_add(1, Ordering::SeqCst);
    }
    if f.kind == PREEMPTED {
        COUNT.fetch_add(1, Ordering::SeqCst);
        if stack().contains(&f.rsp) || !image().contains(&f.rip) {
            BAD_FRAME.fetch_add(1, Ordering::SeqCst);
        }
        if LINGER.swap(false, Ordering::SeqCst) {
            let until = now_ns() + 60 * MS;
            while now_ns() < until {
                core::hint::spin_loop();
            }
        }
    } else {
        OTHER.fetch_add(1, Ordering::SeqCst);
    }
    IN_HANDLER.store(false, Ordering::SeqCst);
}

/// Mixes `i` into `x` (several registers' worth of state).
fn mix(x: u64, i: u64) -> u64 {
    (x ^ i.rotate_left((i % 61) as u32)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Spins (no system calls) until `done()` says so, checked every 4096
/// steps; returns the steps and whether the accumulators came out right.
fn spin_until(done: impl Fn() -> bool) -> (u64, bool) {
    let (mut i, mut sum, mut x, mut odd) = (0u64, 0u64, 1u64, 0u64);
    loop {
        i = core::hint::black_box(i + 1);
        sum = sum.wrapping_add(i);
        x = mix(x, i);
        odd = odd.wrapping_add(2 * i - 1);
        if i % 4096 == 0 && done() {
            break;
        }
    }
    let mut y = 1u64;
    for j in 1..=i {
        y = mix(y, core::hint::black_box(j));
    }
    let closed = if i % 2 == 0 {
        (i / 2).wrapping_mul(i + 1)
    } else {
        i.wrapping_mul(i.div_ceil(2))
    };
    (i, sum == closed && x == y && odd == i.wrapping_mul(i))
}

/// Spins for `ms` milliseconds.
fn spin_for(ms: u64) -> (u64, bool) {
    let until = now_ns() + ms * MS;
    spin_until(|| now_ns() >= until)
}

/// Spins until `want` more upcalls came (at most `limit_ms`).
fn spin_for_upcalls(t: Ctx, want: u64, limit_ms: u64, what: &str) -> Outcome {
    let start = COUNT.load(Ordering::SeqCst);
    let until = now_ns() + limit_ms * MS;
    let (steps, ok) =
        spin_until(|| COUNT.load(Ordering::SeqCst) >= start + want || now_ns() >= until);
    let got = COUNT.load(Ordering::SeqCst) - start;
    t.check(
        ok,
        format_args!("{what}: the spinning code's registers came back wrong after {steps} steps"),
    )?;
    t.check(
        got >= want,
        format_args!("{what}: {got} PREEMPTED upcalls in {limit_ms} ms, expected {want}"),
    )?;
    t.note(format_args!("{what}: {got} upcalls over {steps} steps"));
    Ok(())
}

fn spinner(_arg: u64) -> ! {
    let mut x = 0u64;
    loop {
        x = core::hint::black_box(x.wrapping_add(1));
    }
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    t.err(
        "SetUpcall with an unknown flag",
        set_handler_flags(handler, 1 << 2),
        Error::InvalidArgument,
    )?;

    // No PREEMPT: no upcall.
    t.ok("set_handler_flags(0)", set_handler_flags(handler, 0))?;
    let (steps, ok) = spin_for(200);
    t.check(ok, format_args!("spinning without PREEMPT went wrong"))?;
    t.check(
        COUNT.load(Ordering::SeqCst) == 0,
        format_args!(
            "{} PREEMPTED upcalls without the flag ({steps} steps)",
            COUNT.load(Ordering::SeqCst)
        ),
    )?;

    // Alone on the CPU.
    t.ok(
        "set_handler_flags(PREEMPT)",
        set_handler_flags(handler, PREEMPT),
    )?;
    spin_for_upcalls(t, 20, 5_000, "alone")?;

    // A handler that takes several ticks: nothing nests.
    LINGER.store(true, Ordering::SeqCst);
    spin_for_upcalls(t, 5, 5_000, "lingering handler")?;
    t.check(
        !LINGER.load(Ordering::SeqCst),
        format_args!("the lingering handler never ran"),
    )?;

    // Beside a spinning child: switched out, resumed through the upcall.
    let c = child::start(t, args, 0, None, None, spinner, 0)?;
    spin_for_upcalls(t, 10, 10_000, "beside a child")?;
    t.ok("env_kill (the child)", env_kill(c.env.thread, 0))?;
    t.ok("release the child", c.release())?;

    // Cleared: no more.
    t.ok("clear_handler", clear_handler())?;
    let before = COUNT.load(Ordering::SeqCst);
    let (_, ok) = spin_for(100);
    t.check(ok, format_args!("spinning after clear_handler went wrong"))?;
    t.check(
        COUNT.load(Ordering::SeqCst) == before,
        format_args!("upcalls after clear_handler"),
    )?;

    let (nested, bad, other) = (
        NESTED.load(Ordering::SeqCst),
        BAD_FRAME.load(Ordering::SeqCst),
        OTHER.load(Ordering::SeqCst),
    );
    t.check(
        nested == 0,
        format_args!("{nested} upcalls arrived while the handler ran"),
    )?;
    t.check(
        bad == 0,
        format_args!(
            "{bad} PREEMPTED frames had rsp on the upcall stack or rip outside the program"
        ),
    )?;
    t.check(other == 0, format_args!("{other} upcalls of other kinds"))?;
    t.note(format_args!(
        "{} PREEMPTED upcalls, each resumed exactly",
        COUNT.load(Ordering::SeqCst)
    ));
    Ok(())
}
