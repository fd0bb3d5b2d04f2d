//! Helpers for tests that spawn children from the root task's own image
//! (`exo_rt::ipc::spawn`): slot ranges that do not collide, and waiting
//! for a child to end.

use abi::Error;
use exo_rt::calls::Slot;
use exo_rt::ipc::spawn::slots_needed;
use exo_rt::ipc::{endpoint_create, recv, reply, reply_recv, spawn, Child, Msg, Spawn};
use exo_rt::StartArgs;
use exo_rt::{exit, notification_create, yield_to};

use abi::ipc::{NOTICE_BADGE, NOTICE_CHILD_ENDED};

use super::free;
use crate::check::{Ctx, Failed, Outcome};

/// The slots for child number `k`: a range of [`slots_needed`] slots from
/// `free(256)` on.
pub fn slots(k: u32) -> core::ops::Range<Slot> {
    let need = slots_needed();
    let start = free(256) + k * need;
    start..start + need
}

/// Spawns `entry(arg)` as child number `k`, with `give` in its slot 3 and
/// its death notice sent to `death`.
pub fn start(
    t: Ctx,
    args: &StartArgs,
    k: u32,
    give: Option<Slot>,
    death: Option<Slot>,
    entry: fn(u64) -> !,
    arg: u64,
) -> Result<Child, Failed> {
    let spec = Spawn {
        mem: args.memory.start,
        slots: slots(k),
        give,
        death,
        entry,
        arg,
    };
    spawn(&spec).map_err(|e| t.fail(format_args!("{e}")))
}

/// Receives the death notice of `child` on `ep`; returns `(how, detail)`.
pub fn ended(t: Ctx, ep: Slot, child: &Child) -> Result<(u64, u64), Failed> {
    let (badge, msg) = t.ok("recv (death notice)", recv(ep))?;
    t.check(
        badge == NOTICE_BADGE && msg[0] == NOTICE_CHILD_ENDED && msg[1] == u64::from(child.env.id),
        format_args!(
            "expected child {}'s death notice, got badge {badge:#x} {msg:x?}",
            child.env.id
        ),
    )?;
    Ok((msg[2], msg[3]))
}

/// Receives `child`'s death notice on `ep`, checks it exited with `code`,
/// and releases it.
pub fn expect_exit(t: Ctx, ep: Slot, child: &Child, code: u64) -> Outcome {
    let (how, detail) = ended(t, ep, child)?;
    t.check(
        how == 0 && detail == code,
        format_args!("child ended with how {how} detail {detail:#x}, expected exit code {code}"),
    )?;
    t.ok("release the child", child.release())
}

/// Burns a little time (for timer ticks to land mid-round).
pub fn spin(n: u64) -> u64 {
    let mut x = n;
    for i in 0..2_000 {
        x = core::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}

/// Makes an endpoint in `free(0)`, starts `entry` as child 0 with its
/// death notice on it, then yields to it (spinning a little before each
/// switch) until it ends, calling `between(round)` after each switch;
/// `rounds` is how many switches the child needs. Checks that it exited with code 0 (`meaning` names any
/// other), releases it, and checks it took at least `rounds / 2` switches.
/// Returns the number of switches.
pub fn yield_until_ended(
    t: Ctx,
    args: &StartArgs,
    entry: fn(u64) -> !,
    rounds: u32,
    meaning: fn(u64) -> &'static str,
    mut between: impl FnMut(u32) -> Outcome,
) -> Result<u32, Failed> {
    let ep = free(0);
    t.ok("endpoint_create", endpoint_create(args.memory.start, ep))?;
    let c = start(t, args, 0, None, Some(ep), entry, 0)?;
    let mut done = 0u32;
    loop {
        spin(u64::from(done));
        match yield_to(c.env.thread) {
            Ok(()) => {}
            Err(Error::NoPartner) => break,
            Err(e) => return Err(t.fail(format_args!("yield_to: {e:?}"))),
        }
        done += 1;
        between(done)?;
        t.check(done <= 100 * rounds, format_args!("the child never ended"))?;
    }
    let (how, code) = ended(t, ep, &c)?;
    t.check(
        how == 0 && code == 0,
        format_args!(
            "the child ended with how {how} code {code}: {}",
            meaning(code)
        ),
    )?;
    t.ok("release the child", c.release())?;
    t.check(
        done >= rounds / 2,
        format_args!("only {done} switches to the child"),
    )?;
    Ok(done)
}

/// A child's request loop on its endpoint `ep`: answers each request with
/// `handle(request)` until one whose word 0 is `quit`, which it answers
/// with zeros before exiting with 0. Exits with 2 when a receive fails and
/// with 3 on a request `handle` does not know (`None`).
pub fn serve(ep: Slot, quit: u64, mut handle: impl FnMut(Msg) -> Option<Msg>) -> ! {
    let mut next = recv(ep);
    loop {
        let msg = match next {
            Ok((_, m)) => m,
            Err(_) => exit(2),
        };
        if msg[0] == quit {
            let _ = reply([0; 6]);
            exit(0)
        }
        let Some(answer) = handle(msg) else { exit(3) };
        next = reply_recv(ep, answer);
    }
}

/// A notification in `free(0)` and an endpoint in `free(1)`, both from the
/// root task's memory: what the tests of waiting children start with.
pub fn notification_and_endpoint(t: Ctx, args: &StartArgs) -> Result<(Slot, Slot), Failed> {
    let mem = args.memory.start;
    let ntf = free(0);
    let ep = free(1);
    t.ok("notification_create", notification_create(mem, ntf))?;
    t.ok("endpoint_create", endpoint_create(mem, ep))?;
    Ok((ntf, ep))
}
