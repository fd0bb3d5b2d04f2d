//! `utest=grant`: a page granted over IPC (capability transfer in `r13`,
//! `exo_rt::ipc::call_with_cap` / `reply_recv_into`).
//!
//! The root task maps a fresh frame, spawns a child with an endpoint in
//! its slot 3, and calls it sending the frame's capability. The child
//! receives it into a free slot, checks its type, maps it, writes the
//! value from the message and replies with whether it got a capability
//! and the frame's physical address; the parent reads the value through
//! its own mapping. A frame capability minted without GRANT is sent the
//! same way: the call goes through but the child gets nothing (`received`
//! = false). A plain `call` sends nothing either.

use abi::map_flags::WRITE;
use abi::{CapType, Rights};
use exo_rt::ipc::{call, call_with_cap, endpoint_create, recv_into, reply, reply_recv_into};
use exo_rt::memory::{scratch_read, scratch_write};
use exo_rt::{
    cap_delete, cap_identify, cap_mint, exit, frame_alloc, map, println, unmap, StartArgs,
};

use super::{child, free};
use crate::check::{Ctx, Outcome};

/// Where the parent maps the frame.
const PARENT_VA: u64 = 0x3000_0000;
/// Where the child maps it.
const CHILD_VA: u64 = 0x3800_0000;
/// The child's endpoint (slot 3).
const CHILD_EP: u32 = 3;
/// The child's first slot for received capabilities.
const CHILD_RECV: u32 = 10;
/// Message word 0: write word 1 into the granted page (if one came).
const OP_WRITE: u64 = 1;
/// Message word 0: reply and exit.
const OP_QUIT: u64 = 2;

/// The child: answers `[received, phys, read back, 0, 0, 0]`.
fn server(_arg: u64) -> ! {
    let mut slot = CHILD_RECV;
    let mut next = recv_into(CHILD_EP, slot);
    loop {
        let (_, msg, got) = match next {
            Ok(r) => r,
            Err(e) => {
                println!("grant child: receive failed: {e:?}");
                exit(2)
            }
        };
        let answer = match msg[0] {
            OP_QUIT => {
                let _ = reply([0; 6]);
                exit(0)
            }
            OP_WRITE if got => match cap_identify(slot) {
                Ok(id) if id.cap_type == Some(CapType::Frame) => {
                    if map(slot, CHILD_VA, WRITE).is_err() {
                        exit(3);
                    }
                    scratch_write(CHILD_VA, msg[1]);
                    let back = scratch_read(CHILD_VA);
                    if unmap(CHILD_VA).is_err() {
                        exit(4);
                    }
                    let r = [1, id.phys, back, 0, 0, 0];
                    slot += 1;
                    r
                }
                _ => exit(5),
            },
            _ => [u64::from(got), 0, 0, 0, 0, 0],
        };
        next = reply_recv_into(CHILD_EP, answer, slot);
    }
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    let ep = free(0);
    let frame = free(1);
    let no_grant = free(2);
    t.ok("endpoint_create", endpoint_create(mem, ep))?;
    let phys = t.ok("frame_alloc", frame_alloc(mem, frame, None))?;
    t.ok("map", map(frame, PARENT_VA, WRITE))?;
    let c = child::start(t, args, 0, Some(ep), Some(ep), server, 0)?;

    // The grant.
    let value = 0xabcd_1234_5678_9876;
    let r = t.ok(
        "call_with_cap (frame)",
        call_with_cap(ep, [OP_WRITE, value, 0, 0, 0, 0], frame),
    )?;
    t.check(
        r[0] == 1 && r[1] == phys && r[2] == value,
        format_args!("child answered {r:#x?}; expected received, phys {phys:#x}, {value:#x}"),
    )?;
    let seen = scratch_read(PARENT_VA);
    t.check(
        seen == value,
        format_args!("the parent reads {seen:#x} through its mapping, expected {value:#x}"),
    )?;
    t.note(format_args!(
        "page {phys:#x} granted; the child's write is visible to the parent"
    ));

    // Without GRANT: nothing arrives.
    t.ok(
        "cap_mint (frame without GRANT)",
        cap_mint(
            frame,
            no_grant,
            Rights::READ | Rights::WRITE | Rights::MAP | Rights::DERIVE,
            0,
        ),
    )?;
    let r = t.ok(
        "call_with_cap (no GRANT)",
        call_with_cap(ep, [OP_WRITE, 1, 0, 0, 0, 0], no_grant),
    )?;
    t.check(
        r[0] == 0,
        format_args!("a capability without GRANT arrived: {r:#x?}"),
    )?;
    let r = t.ok("call (no capability)", call(ep, [OP_WRITE, 2, 0, 0, 0, 0]))?;
    t.check(
        r[0] == 0,
        format_args!("a plain call delivered a capability: {r:#x?}"),
    )?;
    t.check(
        scratch_read(PARENT_VA) == value,
        format_args!("the page changed without a grant"),
    )?;

    t.ok("call (quit)", call(ep, [OP_QUIT, 0, 0, 0, 0, 0]))?;
    child::expect_exit(t, ep, &c, 0)?;
    t.ok("unmap", unmap(PARENT_VA))?;
    for slot in [no_grant, frame, ep] {
        t.ok("cap_delete", cap_delete(slot))?;
    }
    Ok(())
}
