//! `utest=kill`: `EnvKill` ends another environment whatever it is doing,
//! and its creator hears of it.
//!
//! Spawned children are killed while they are:
//!
//! - ready (spinning in user code, preempted by the timer: on one CPU the
//!   killer runs, so the target is in the run queue);
//! - blocked in `Recv` on an endpoint;
//! - blocked in `Call`, queued on an endpoint nobody serves; a later
//!   caller's message is then the first the root task receives (the dead
//!   one left the queue);
//! - blocked in `Wait` on a notification, with no time limit;
//! - waiting for the root task's reply (the root task received its call):
//!   the reply is then `NoPartner`;
//! - killed by a sibling that holds its thread capability.
//!
//! Every death notice on the root task's endpoint reads
//! `[NOTICE_CHILD_ENDED, id, HOW_KILLED, code, user, system]` with the killer's
//! code; every child's frames are released (the kernel's leak check at the
//! end covers them). Refusals: killing itself is `InvalidArgument`; a
//! thread capability without WRITE is `NoRights`; an endpoint is
//! `WrongType`; an empty slot `EmptySlot`; a child that has already ended
//! is `NoPartner`.

use abi::ipc::HOW_KILLED;
use abi::root_slots::THREAD;
use abi::{Error, Rights};
use exo_rt::calls::WAIT_FOREVER;
use exo_rt::ipc::{call, endpoint_create, recv, reply, Child};
use exo_rt::{
    cap_delete, cap_mint, env_kill, exit, notification_create, wait, yield_to, StartArgs,
};

use super::{child, free};
use crate::check::{Ctx, Outcome};

/// A child's capability from the root task (slot 3).
const GIVEN: u32 = 3;
/// The marker message of the caller that is not killed.
const MARK: u64 = 0x6d61_726b;

fn spinner(_arg: u64) -> ! {
    let mut x: u64 = 0;
    loop {
        x = core::hint::black_box(x.wrapping_add(1));
    }
}

fn receiver(_arg: u64) -> ! {
    let _ = recv(GIVEN);
    exit(50)
}

fn caller(_arg: u64) -> ! {
    let _ = call(GIVEN, [1, 2, 3, 4, 5, 6]);
    exit(51)
}

fn marker(_arg: u64) -> ! {
    match call(GIVEN, [MARK, 0, 0, 0, 0, 0]) {
        Ok(_) => exit(0),
        Err(_) => exit(52),
    }
}

fn waiter(_arg: u64) -> ! {
    let _ = wait(GIVEN, WAIT_FOREVER);
    exit(53)
}

fn sibling_killer(code: u64) -> ! {
    match env_kill(GIVEN, code) {
        Ok(()) => exit(0),
        Err(e) => exit(60 + e as i32),
    }
}

/// Runs `c` by directed yield until it blocks (`yield_to` refuses).
fn until_blocked(t: Ctx, c: &Child) -> Outcome {
    for _ in 0..1000 {
        if yield_to(c.env.thread).is_err() {
            return Ok(());
        }
    }
    Err(t.fail(format_args!("child {} never blocked", c.env.id)))
}

/// Kills `c` with `code` and checks its notice on `death`; releases it.
fn kill_and_check(t: Ctx, death: u32, c: &Child, code: u64, what: &str) -> Outcome {
    t.ok(what, env_kill(c.env.thread, code))?;
    expect_killed(t, death, c, code, what)
}

/// Receives `c`'s death notice, checks it says killed with `code`, and
/// releases the child.
fn expect_killed(t: Ctx, death: u32, c: &Child, code: u64, what: &str) -> Outcome {
    let (how, detail) = child::ended(t, death, c)?;
    t.check(
        how == HOW_KILLED && detail == code,
        format_args!(
            "{what}: notice how {how:#x} detail {detail:#x}, expected killed with {code:#x}"
        ),
    )?;
    t.ok("release the child", c.release())
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    let death = free(0);
    let queue = free(1);
    let served = free(2);
    let ntf = free(3);
    let no_write = free(4);
    let recv_ep = free(5);
    t.ok("endpoint_create", endpoint_create(mem, death))?;
    t.ok("endpoint_create", endpoint_create(mem, queue))?;
    t.ok("endpoint_create", endpoint_create(mem, served))?;
    t.ok("endpoint_create", endpoint_create(mem, recv_ep))?;
    t.ok("notification_create", notification_create(mem, ntf))?;

    // Refusals that need no child.
    t.err(
        "env_kill of itself",
        env_kill(THREAD, 1),
        Error::InvalidArgument,
    )?;
    t.err(
        "env_kill through an endpoint",
        env_kill(death, 1),
        Error::WrongType,
    )?;
    t.err(
        "env_kill of an empty slot",
        env_kill(free(9), 1),
        Error::EmptySlot,
    )?;

    // Ready: a spinner, preempted by the timer.
    let c = child::start(t, args, 0, None, Some(death), spinner, 0)?;
    for _ in 0..5 {
        t.ok("yield_to (spinner)", yield_to(c.env.thread))?;
    }
    t.ok(
        "cap_mint (thread without WRITE)",
        cap_mint(
            c.env.thread,
            no_write,
            Rights(Rights::ALL.0 & !Rights::WRITE.0),
            0,
        ),
    )?;
    t.err(
        "env_kill without WRITE",
        env_kill(no_write, 1),
        Error::NoRights,
    )?;
    t.ok("cap_delete", cap_delete(no_write))?;
    let thread = c.env.thread;
    t.ok("env_kill (ready)", env_kill(thread, 0x71))?;
    t.err(
        "env_kill of a child that has ended",
        env_kill(thread, 1),
        Error::NoPartner,
    )?;
    expect_killed(t, death, &c, 0x71, "ready")?;

    // Blocked in Recv.
    let c = child::start(t, args, 1, Some(recv_ep), Some(death), receiver, 0)?;
    until_blocked(t, &c)?;
    kill_and_check(t, death, &c, 0x72, "blocked in recv")?;

    // Blocked in Call, queued; then a caller that lives: its message is
    // the first one received.
    let c = child::start(t, args, 2, Some(queue), Some(death), caller, 0)?;
    until_blocked(t, &c)?;
    kill_and_check(t, death, &c, 0x73, "blocked in call")?;
    let m = child::start(t, args, 3, Some(queue), Some(death), marker, 0)?;
    until_blocked(t, &m)?;
    let (_, msg) = t.ok("recv (the live caller)", recv(queue))?;
    t.check(
        msg[0] == MARK,
        format_args!("received {msg:#x?}: the killed caller's call was still queued"),
    )?;
    t.ok("reply (the live caller)", reply([0; 6]))?;
    child::expect_exit(t, death, &m, 0)?;

    // Blocked in Wait.
    let c = child::start(t, args, 4, Some(ntf), Some(death), waiter, 0)?;
    until_blocked(t, &c)?;
    kill_and_check(t, death, &c, 0x74, "blocked in wait")?;

    // Waiting for the root task's reply.
    let c = child::start(t, args, 5, Some(served), Some(death), caller, 0)?;
    until_blocked(t, &c)?;
    let (_, msg) = t.ok("recv (the caller)", recv(served))?;
    t.check(
        msg == [1, 2, 3, 4, 5, 6],
        format_args!("the caller sent {msg:#x?}"),
    )?;
    kill_and_check(t, death, &c, 0x75, "waiting for a reply")?;
    t.err("reply to a killed caller", reply([0; 6]), Error::NoPartner)?;

    // Killed by a sibling.
    let victim = child::start(t, args, 6, None, Some(death), spinner, 0)?;
    let killer = child::start(
        t,
        args,
        7,
        Some(victim.env.thread),
        Some(death),
        sibling_killer,
        0x76,
    )?;
    expect_killed(t, death, &victim, 0x76, "killed by a sibling")?;
    child::expect_exit(t, death, &killer, 0)?;

    t.note(format_args!(
        "children killed while ready, in recv, call, wait, awaiting a reply, and by a sibling"
    ));
    for slot in [ntf, recv_ep, served, queue, death] {
        t.ok("cap_delete", cap_delete(slot))?;
    }
    Ok(())
}
