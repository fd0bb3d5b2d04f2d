//! IPC between the root task and children it spawns from its own image
//! (`exo_rt::ipc::spawn`):
//!
//! - `utest=ipc`: an echo server child in a `reply_recv` loop; 1000 calls
//!   with varying messages, every reply checked (all six words, including
//!   the one in `r12`); a capability minted with badge 0x42 is seen by the
//!   server as badge 0x42; a capability without EXECUTE cannot `call`, one
//!   without READ cannot `recv`; `reply` with no call pending is
//!   `NoPartner`; the child's statics are a copy (its writes never reach
//!   the parent); the server then quits and its death notice carries its
//!   exit code.
//! - `utest=ipc-server-exit`: the server exits while the parent's call is
//!   pending: the call fails with `NoPartner`, then the death notice
//!   arrives with the exit code.
//! - `utest=child-fault`: a child writes to an unmapped address; the kernel
//!   kills it (`child: killed by #PF`), the parent gets the notice with
//!   `how` = 15 (vector 14 + 1) and the fault address, and goes on.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::ipc::{NOTICE_BADGE, NOTICE_CHILD_ENDED};
use abi::{Error, Rights};
use exo_rt::calls::Slot;
use exo_rt::ipc::spawn::slots_needed;
use exo_rt::ipc::{call, endpoint_create, recv, reply, reply_recv, spawn, Child, Msg, Spawn};
use exo_rt::memory::scratch_write;
use exo_rt::{cap_delete, cap_identify, cap_mint, exit, println, StartArgs};

use super::free;
use crate::check::{Ctx, Failed, Outcome};
use crate::rng::Rng;

/// The server's endpoint: slot 3 of a child is what its parent gave.
const SERVER_EP: Slot = 3;
/// Word 0 of a message that makes the server reply, then exit with word 1.
const OP_QUIT: u64 = 0x5155_4954_0000_0001;
/// Word 0 of a message that makes the server exit with word 1, unanswered.
const OP_VANISH: u64 = 0x5155_4954_0000_0002;
/// Word 0 of a message the server answers with `[MARK, CALLS, 0, ...]` as
/// it sees them.
const OP_STATS: u64 = 0x5155_4954_0000_0003;
/// Calls of the echo round.
const CALLS_N: u64 = 1000;
/// The badge of the minted capability.
const BADGE: u64 = 0x42;
/// Where the faulting child writes (scratch window, never mapped there).
const FAULT_ADDR: u64 = 0x5eed_0008;

/// Set by the parent before it spawns: the child must see the value.
static MARK: AtomicU64 = AtomicU64::new(0);
/// Calls the server has answered, in the server's own copy.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The echo server's answer to `msg` from a caller with `badge`.
fn echo(badge: u64, msg: &Msg) -> Msg {
    core::array::from_fn(|k| msg[k].rotate_left(k as u32 + 1) ^ badge)
}

/// The echo server (runs in the child).
fn server(_arg: u64) -> ! {
    let mut next = recv(SERVER_EP);
    loop {
        let (badge, msg) = match next {
            Ok(r) => r,
            Err(e) => {
                println!("ipc server: receive failed: {e:?}");
                exit(2)
            }
        };
        let answer = match msg[0] {
            OP_QUIT => {
                if let Err(e) = reply([0; 6]) {
                    println!("ipc server: reply before quitting failed: {e:?}");
                }
                exit(msg[1] as i32)
            }
            OP_VANISH => exit(msg[1] as i32),
            OP_STATS => [
                MARK.load(Ordering::Relaxed),
                CALLS.load(Ordering::Relaxed),
                0,
                0,
                0,
                0,
            ],
            _ => {
                CALLS.fetch_add(1, Ordering::Relaxed);
                echo(badge, &msg)
            }
        };
        next = reply_recv(SERVER_EP, answer);
    }
}

/// A child that writes to [`FAULT_ADDR`], which it never mapped.
fn faulter(addr: u64) -> ! {
    scratch_write(addr, 1);
    println!("child-fault: the write did not fault");
    exit(3)
}

/// The endpoint's slot.
fn ep() -> Slot {
    free(0)
}

/// Slots for the child: from `free(16)`.
fn child_slots() -> core::ops::Range<Slot> {
    free(16)..free(16) + slots_needed()
}

/// Spawns `entry(arg)` with the endpoint in its slot 3 and as its death
/// endpoint.
fn start(t: Ctx, args: &StartArgs, entry: fn(u64) -> !, arg: u64) -> Result<Child, Failed> {
    t.ok(
        "endpoint_create",
        endpoint_create(args.memory.start, ep()).map(|_| ()),
    )?;
    let spec = Spawn {
        mem: args.memory.start,
        slots: child_slots(),
        give: Some(ep()),
        death: Some(ep()),
        entry,
        arg,
    };
    let child = spawn(&spec).map_err(|e| t.fail(format_args!("{e}")))?;
    t.note(format_args!(
        "spawned child {} ({} frames)",
        child.env.id,
        child.frames.len()
    ));
    Ok(child)
}

/// Receives on the endpoint and checks for the death notice of `child`
/// with `how` and `detail` (words 4 and 5 are the CPU time it used).
fn expect_notice(t: Ctx, child: &Child, how: u64, detail: u64) -> Outcome {
    let (badge, msg) = t.ok("recv of the death notice", recv(ep()))?;
    let want = [NOTICE_CHILD_ENDED, u64::from(child.env.id), how, detail];
    t.check(
        badge == NOTICE_BADGE && msg[..4] == want,
        format_args!("notice: badge {badge:#x} {msg:#x?}, expected {want:#x?} first"),
    )
}

/// Deletes the child's capabilities and the endpoint.
fn clean_up(t: Ctx, child: &Child) -> Outcome {
    t.ok("release the child", child.release())?;
    t.ok("cap_delete(endpoint)", cap_delete(ep()))
}

/// `utest=ipc`.
pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    MARK.store(0x5eed_cafe, Ordering::Relaxed);
    let child = start(t, args, server, 0)?;

    let mut rng = Rng(0x1bc0_ffee_0000_0001);
    for i in 0..CALLS_N {
        let mut msg: Msg = core::array::from_fn(|_| rng.next());
        if matches!(msg[0], OP_QUIT | OP_VANISH | OP_STATS) {
            msg[0] = i;
        }
        let got = t.ok("call", call(ep(), msg))?;
        let want = echo(0, &msg);
        t.check(
            got == want,
            format_args!("call #{i}: {msg:#x?} answered {got:#x?}, expected {want:#x?}"),
        )?;
    }
    t.note(format_args!("{CALLS_N} calls answered and checked"));

    // The child's statics: a snapshot at spawn, then its own.
    let stats = t.ok("call (stats)", call(ep(), [OP_STATS, 0, 0, 0, 0, 0]))?;
    t.check(
        stats[0] == 0x5eed_cafe && stats[1] == CALLS_N,
        format_args!("server's MARK and CALLS are {:#x}, {}", stats[0], stats[1]),
    )?;
    t.check(
        CALLS.load(Ordering::Relaxed) == 0,
        format_args!("the server's writes reached the parent's copy of CALLS"),
    )?;

    // A badged capability: the server sees the badge.
    let badged = free(1);
    t.ok(
        "cap_mint (badge 0x42)",
        cap_mint(ep(), badged, Rights::EXECUTE, BADGE),
    )?;
    let got = t.ok("call (badged)", call(badged, [0; 6]))?;
    t.check(
        got == [BADGE; 6],
        format_args!("badged call answered {got:#x?}, expected the badge in every word"),
    )?;
    let msg = [1, 2, 3, 4, 5, 6];
    let got = t.ok("call (badged, message)", call(badged, msg))?;
    t.check(
        got == echo(BADGE, &msg),
        format_args!("badged call answered {got:#x?}"),
    )?;
    let info = t.ok("cap_identify (badged)", cap_identify(badged))?;
    t.check(
        info.badge == BADGE,
        format_args!("minted capability: {info:?}"),
    )?;

    // Rights: no EXECUTE, no call; no READ, no receive.
    let no_exec = free(2);
    t.ok(
        "cap_mint (no EXECUTE)",
        cap_mint(ep(), no_exec, Rights::READ | Rights::GRANT, 0),
    )?;
    t.err(
        "call without EXECUTE",
        call(no_exec, [0; 6]),
        Error::NoRights,
    )?;
    let no_read = free(3);
    t.ok(
        "cap_mint (no READ)",
        cap_mint(ep(), no_read, Rights::EXECUTE, 0),
    )?;
    t.err("recv without READ", recv(no_read), Error::NoRights)?;
    t.err(
        "reply with no call pending",
        reply([0; 6]),
        Error::NoPartner,
    )?;
    t.err(
        "call on an empty slot",
        call(free(4), [0; 6]),
        Error::EmptySlot,
    )?;

    // The server quits (after replying): its death notice has the code.
    t.ok("call (quit)", call(ep(), [OP_QUIT, 7, 0, 0, 0, 0]))?;
    expect_notice(t, &child, 0, 7)?;
    for slot in [badged, no_exec, no_read] {
        t.ok("cap_delete (minted)", cap_delete(slot))?;
    }
    clean_up(t, &child)
}

/// `utest=ipc-server-exit`.
pub fn run_server_exit(t: Ctx, args: &StartArgs) -> Outcome {
    let child = start(t, args, server, 0)?;
    let msg = [1, 2, 3, 4, 5, 6];
    let got = t.ok("call (echo)", call(ep(), msg))?;
    t.check(
        got == echo(0, &msg),
        format_args!("echo answered {got:#x?}"),
    )?;
    t.err(
        "call the server exits on",
        call(ep(), [OP_VANISH, 42, 0, 0, 0, 0]),
        Error::NoPartner,
    )?;
    t.note(format_args!("pending call failed with NoPartner"));
    expect_notice(t, &child, 0, 42)?;
    clean_up(t, &child)
}

/// `utest=child-fault`.
pub fn run_child_fault(t: Ctx, args: &StartArgs) -> Outcome {
    let child = start(t, args, faulter, FAULT_ADDR)?;
    expect_notice(t, &child, 14 + 1, FAULT_ADDR)?;
    t.note(format_args!(
        "notice: killed by vector 14 at {FAULT_ADDR:#x}"
    ));
    // The parent is unharmed and the kernel still answers.
    let info = t.ok("cap_identify(CSPACE)", cap_identify(0))?;
    t.check(
        info.cap_type == Some(abi::CapType::CSpace),
        format_args!("slot 0 is now {info:?}"),
    )?;
    clean_up(t, &child)
}
