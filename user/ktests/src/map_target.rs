//! `utest=map-target`: `MapInto` with `map_flags::TARGET_SLOT`, where the
//! frame capability is in the target environment's own capability space
//! and the mapping belongs to it.
//!
//! The root task spawns a child (an endpoint in its slot 3) that does
//! what it is asked at one page of its scratch window: read a word,
//! `protect`, `unmap`, or delete one of its slots. The root task mints a
//! frame it has written into the child's space (`cap_mint_into`) and maps
//! it there with `TARGET_SLOT`: the child reads the word, makes the page
//! read-only with `protect` and unmaps it itself. Mapped again, the child
//! deletes its capability: the page is gone (`NotMapped`). Mapped a third
//! time, the root task revokes its own frame capability: the child's copy
//! and the mapping go. Refusals: `TARGET_SLOT` naming a slot that is
//! empty in the child (though full in the root task) is `EmptySlot`, one
//! past the child's 1024 slots (a frame in the root task) `BadSlot`; a
//! child capability without WRITE mapped writable is `NoRights`; an
//! endpoint there is `WrongType`; an address-space capability without MAP
//! is `NoRights`; `TARGET_SLOT` on a plain `map` is `InvalidArgument`.
//! Without the flag `map_into` still takes the root task's own slot.

use abi::map_flags::{TARGET_SLOT, WRITE};
use abi::{Error, Rights};
use exo_rt::ipc::{call, endpoint_create, map_into};
use exo_rt::memory::{scratch_read, scratch_write};
use exo_rt::{
    cap_delete, cap_mint, cap_mint_into, cap_revoke, frame_alloc, map, protect, unmap, StartArgs,
};

use super::{child, free};
use crate::check::{Ctx, Failed, Outcome};

/// Where the child's page goes, and where the root task maps the frame.
const CHILD_VA: u64 = 0x3000_0000;
const PARENT_VA: u64 = 0x3100_0000;
/// The child's endpoint (slot 3), and the slots the test fills.
const CHILD_EP: u32 = 3;
const CHILD_FRAME: u32 = 10;
const CHILD_READ_ONLY: u32 = 11;
/// Requests: word 0 the operation, word 1 its argument.
const OP_READ: u64 = 1;
const OP_PROTECT: u64 = 2;
const OP_UNMAP: u64 = 3;
const OP_DELETE: u64 = 4;
const OP_QUIT: u64 = 5;

/// The child: answers `[status, value, 0, 0, 0, 0]` (status 0 or the
/// error code).
fn server(_arg: u64) -> ! {
    child::serve(CHILD_EP, OP_QUIT, |msg| {
        let result = match msg[0] {
            OP_READ => Ok(scratch_read(CHILD_VA)),
            OP_PROTECT => protect(CHILD_VA, msg[1]).map(|()| 0),
            OP_UNMAP => unmap(CHILD_VA),
            OP_DELETE => cap_delete(msg[1] as u32).map(|()| 0),
            _ => return None,
        };
        Some(match result {
            Ok(v) => [0, v, 0, 0, 0, 0],
            Err(e) => [e as u64, 0, 0, 0, 0, 0],
        })
    })
}

/// Asks the child to do `op` with `arg`; its status and value.
fn ask(t: Ctx, ep: u32, op: u64, arg: u64) -> Result<Result<u64, Error>, Failed> {
    let r = t.ok("call (child)", call(ep, [op, arg, 0, 0, 0, 0]))?;
    Ok(match r[0] {
        0 => Ok(r[1]),
        code => Err(Error::from_code(code).unwrap_or(Error::InvalidArgument)),
    })
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    let ep = free(0);
    let frame = free(1);
    let read_only_aspace = free(2);
    t.ok("endpoint_create", endpoint_create(mem, ep))?;
    let phys = t.ok("frame_alloc", frame_alloc(mem, frame, None))?;
    t.ok("map (parent)", map(frame, PARENT_VA, WRITE))?;
    let value = 0x7461_7267_6574_0001;
    scratch_write(PARENT_VA, value);
    let c = child::start(t, args, 0, Some(ep), Some(ep), server, 0)?;
    let aspace = c.env.aspace;
    let rw = Rights::READ | Rights::WRITE | Rights::MAP;

    // Refusals first, while the child's slots are empty.
    t.err(
        "TARGET_SLOT naming a slot empty in the child",
        map_into(aspace, mem, CHILD_VA, WRITE | TARGET_SLOT),
        Error::EmptySlot,
    )?;
    t.err(
        "TARGET_SLOT naming a slot past the child's space",
        map_into(aspace, frame, CHILD_VA, WRITE | TARGET_SLOT),
        Error::BadSlot,
    )?;
    t.ok(
        "cap_mint_into (read-only)",
        cap_mint_into(
            frame,
            c.env.cspace,
            CHILD_READ_ONLY,
            Rights::READ | Rights::MAP,
            0,
        ),
    )?;
    t.err(
        "TARGET_SLOT, writable, through a read-only capability",
        map_into(aspace, CHILD_READ_ONLY, CHILD_VA, WRITE | TARGET_SLOT),
        Error::NoRights,
    )?;
    t.err(
        "TARGET_SLOT naming an endpoint",
        map_into(aspace, CHILD_EP, CHILD_VA, TARGET_SLOT),
        Error::WrongType,
    )?;
    t.ok(
        "cap_mint (address space without MAP)",
        cap_mint(
            aspace,
            read_only_aspace,
            Rights(Rights::ALL.0 & !Rights::MAP.0),
            0,
        ),
    )?;
    t.ok(
        "cap_mint_into (frame)",
        cap_mint_into(frame, c.env.cspace, CHILD_FRAME, rw, 0),
    )?;
    t.err(
        "map_into through an address space without MAP",
        map_into(read_only_aspace, CHILD_FRAME, CHILD_VA, TARGET_SLOT),
        Error::NoRights,
    )?;
    t.err(
        "TARGET_SLOT on a plain map",
        map(frame, 0x3200_0000, TARGET_SLOT),
        Error::InvalidArgument,
    )?;
    t.err(
        "map_into with an unknown flag",
        map_into(aspace, CHILD_FRAME, CHILD_VA, 8 | TARGET_SLOT),
        Error::InvalidArgument,
    )?;
    t.check(
        ask(t, ep, OP_UNMAP, 0)? == Err(Error::NotMapped),
        format_args!("a refused map_into left a page in the child"),
    )?;

    // Mapped through the child's capability: the child reads, protects
    // and unmaps it itself.
    t.ok(
        "map_into (TARGET_SLOT)",
        map_into(aspace, CHILD_FRAME, CHILD_VA, WRITE | TARGET_SLOT),
    )?;
    let seen = ask(t, ep, OP_READ, 0)?;
    t.check(
        seen == Ok(value),
        format_args!("the child reads {seen:x?}, expected {value:#x}"),
    )?;
    let r = ask(t, ep, OP_PROTECT, 0)?;
    t.check(r == Ok(0), format_args!("the child's protect: {r:?}"))?;
    let r = ask(t, ep, OP_UNMAP, 0)?;
    t.check(
        r == Ok(phys),
        format_args!("the child's unmap: {r:x?}, expected {phys:#x}"),
    )?;

    // Deleting the capability in the child removes the mapping.
    t.ok(
        "map_into (TARGET_SLOT, again)",
        map_into(aspace, CHILD_FRAME, CHILD_VA, TARGET_SLOT),
    )?;
    let r = ask(t, ep, OP_DELETE, u64::from(CHILD_FRAME))?;
    t.check(r == Ok(0), format_args!("the child's delete: {r:?}"))?;
    let r = ask(t, ep, OP_UNMAP, 0)?;
    t.check(
        r == Err(Error::NotMapped),
        format_args!("after the child deleted its capability its unmap says {r:x?}"),
    )?;

    // Revoking the root task's capability removes the child's copy and
    // the mapping made through it.
    t.ok(
        "cap_mint_into (frame, again)",
        cap_mint_into(frame, c.env.cspace, CHILD_FRAME, rw, 0),
    )?;
    t.ok(
        "map_into (TARGET_SLOT, third time)",
        map_into(aspace, CHILD_FRAME, CHILD_VA, WRITE | TARGET_SLOT),
    )?;
    t.ok("cap_revoke (frame)", cap_revoke(frame))?;
    let r = ask(t, ep, OP_UNMAP, 0)?;
    t.check(
        r == Err(Error::NotMapped),
        format_args!("after the revoke the child's unmap says {r:x?}"),
    )?;

    // Without the flag the root task's own slot is used, as before: the
    // mapping then belongs to the root task's capability.
    t.ok(
        "map_into (own slot)",
        map_into(aspace, frame, CHILD_VA, WRITE),
    )?;
    let seen = ask(t, ep, OP_READ, 0)?;
    t.check(
        seen == Ok(value),
        format_args!("through the root task's slot the child reads {seen:x?}"),
    )?;

    t.ok("call (quit)", call(ep, [OP_QUIT, 0, 0, 0, 0, 0]))?;
    child::expect_exit(t, ep, &c, 0)?;
    t.ok("unmap (parent)", unmap(PARENT_VA))?;
    for slot in [read_only_aspace, frame, ep] {
        t.ok("cap_delete", cap_delete(slot))?;
    }
    Ok(())
}
