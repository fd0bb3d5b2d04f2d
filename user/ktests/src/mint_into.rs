//! `utest=mint-into`: `CapMintInto` puts a derived capability straight
//! into another environment's capability space.
//!
//! The root task spawns a child (an endpoint in its slot 3) that answers
//! "what is in slot N?" with `cap_identify`'s figures. The root task mints
//! a frame capability (fewer rights, a badge) and an endpoint capability
//! into the child's space and the child sees them; then every refusal:
//! a source without GRANT or without DERIVE, a capability-space capability
//! without WRITE, a thread capability in its place (`WrongType`), an
//! occupied or out-of-range destination, more rights than the source,
//! unknown rights bits, another badge on a badged source. Revoking the
//! source takes the child's copy back (the child then finds the slot
//! empty). Minting into its own space through `root_slots::CSPACE` works
//! like `cap_mint`.

use abi::root_slots::{CSPACE, THREAD};
use abi::{CapType, Error, Rights};
use exo_rt::ipc::{call, endpoint_create};
use exo_rt::{
    cap_delete, cap_identify, cap_mint, cap_mint_into, cap_revoke, frame_alloc, StartArgs,
};

use super::{child, free};
use crate::check::{Ctx, Outcome};

/// The child's endpoint (slot 3).
const CHILD_EP: u32 = 3;
/// Message word 0: identify slot word 1.
const OP_IDENTIFY: u64 = 1;
/// Message word 0: reply and exit.
const OP_QUIT: u64 = 2;
/// Slots of the child the test fills.
const CHILD_FRAME: u32 = 10;
const CHILD_EP_COPY: u32 = 11;

/// The child: answers `[status, type, rights, badge, phys, 0]` (status 0
/// or the error code).
fn server(_arg: u64) -> ! {
    child::serve(CHILD_EP, OP_QUIT, |msg| match msg[0] {
        OP_IDENTIFY => Some(match cap_identify(msg[1] as u32) {
            Ok(id) => [0, id.type_code, id.rights.0, id.badge, id.phys, 0],
            Err(e) => [e as u64, 0, 0, 0, 0, 0],
        }),
        _ => None,
    })
}

/// `CapMintInto` with a destination index that may not fit a slot number.
fn raw_mint_into(src: u32, space: u32, dst: u64, rights: Rights) -> Result<(), Error> {
    let (status, _) = exo_rt::syscall6(
        abi::Syscall::CapMintInto as u64,
        [src.into(), space.into(), dst, rights.0, 0, 0],
    );
    match status {
        0 => Ok(()),
        s => Err(Error::from_code(s).unwrap_or(Error::InvalidArgument)),
    }
}

/// Asks the child what is in its `slot`.
fn child_sees(t: Ctx, ep: u32, slot: u32) -> Result<[u64; 6], crate::check::Failed> {
    t.ok(
        "call (identify)",
        call(ep, [OP_IDENTIFY, u64::from(slot), 0, 0, 0, 0]),
    )
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    let ep = free(0);
    let frame = free(1);
    let no_grant = free(2);
    let no_derive = free(3);
    let read_only_cspace = free(4);
    let badged = free(5);
    let own = free(6);
    let limited = free(9);
    t.ok("endpoint_create", endpoint_create(mem, ep))?;
    let phys = t.ok("frame_alloc", frame_alloc(mem, frame, None))?;
    let c = child::start(t, args, 0, Some(ep), Some(ep), server, 0)?;
    let space = c.env.cspace;

    // A frame with fewer rights and a badge, and an endpoint.
    let frame_rights = Rights::READ | Rights::MAP | Rights::GRANT;
    t.ok(
        "cap_mint_into (frame)",
        cap_mint_into(frame, space, CHILD_FRAME, frame_rights, 0x55),
    )?;
    t.ok(
        "cap_mint_into (endpoint)",
        cap_mint_into(ep, space, CHILD_EP_COPY, Rights::ALL, 0),
    )?;
    let r = child_sees(t, ep, CHILD_FRAME)?;
    t.check(
        r == [0, CapType::Frame as u64, frame_rights.0, 0x55, phys, 0],
        format_args!("the child sees {r:#x?} in slot {CHILD_FRAME}"),
    )?;
    let r = child_sees(t, ep, CHILD_EP_COPY)?;
    t.check(
        r[0] == 0 && r[1] == CapType::Endpoint as u64 && r[2] == Rights::ALL.0,
        format_args!("the child sees {r:#x?} in slot {CHILD_EP_COPY}"),
    )?;

    // Refusals.
    let all_but = |r: Rights| Rights(Rights::ALL.0 & !r.0);
    t.ok(
        "cap_mint (no GRANT)",
        cap_mint(frame, no_grant, all_but(Rights::GRANT), 0),
    )?;
    t.ok(
        "cap_mint (no DERIVE)",
        cap_mint(frame, no_derive, all_but(Rights::DERIVE), 0),
    )?;
    t.ok(
        "cap_mint (capability space without WRITE)",
        cap_mint(space, read_only_cspace, all_but(Rights::WRITE), 0),
    )?;
    t.ok("cap_mint (badged)", cap_mint(frame, badged, Rights::ALL, 9))?;
    let spare = CHILD_FRAME + 5;
    t.err(
        "cap_mint_into without GRANT",
        cap_mint_into(no_grant, space, spare, Rights::READ, 0),
        Error::NoRights,
    )?;
    t.err(
        "cap_mint_into without DERIVE",
        cap_mint_into(no_derive, space, spare, Rights::READ, 0),
        Error::NoRights,
    )?;
    t.err(
        "cap_mint_into through a capability space without WRITE",
        cap_mint_into(frame, read_only_cspace, spare, Rights::READ, 0),
        Error::NoRights,
    )?;
    t.err(
        "cap_mint_into through a thread capability",
        cap_mint_into(frame, c.env.thread, spare, Rights::READ, 0),
        Error::WrongType,
    )?;
    t.err(
        "cap_mint_into through an empty slot",
        cap_mint_into(frame, free(7), spare, Rights::READ, 0),
        Error::EmptySlot,
    )?;
    t.err(
        "cap_mint_into an occupied slot",
        cap_mint_into(frame, space, 0, Rights::READ, 0),
        Error::SlotOccupied,
    )?;
    for bad in [
        u64::from(abi::DEFAULT_CHILD_SLOTS),
        u64::from(u32::MAX),
        1 << 32,
    ] {
        t.err(
            "cap_mint_into past the end of the child's space",
            raw_mint_into(frame, space, bad, Rights::READ),
            Error::BadSlot,
        )?;
    }
    t.ok(
        "cap_mint (limited)",
        cap_mint(
            frame,
            limited,
            Rights::READ | Rights::GRANT | Rights::DERIVE,
            0,
        ),
    )?;
    t.err(
        "cap_mint_into with more rights than the source",
        cap_mint_into(limited, space, spare, Rights::READ | Rights::WRITE, 0),
        Error::RightsEscalation,
    )?;
    t.err(
        "cap_mint_into with unknown rights bits",
        cap_mint_into(frame, space, spare + 1, Rights(1 << 40), 0),
        Error::InvalidArgument,
    )?;
    t.err(
        "cap_mint_into with another badge on a badged source",
        cap_mint_into(badged, space, spare + 1, Rights::READ, 10),
        Error::RightsEscalation,
    )?;
    let r = child_sees(t, ep, spare + 1)?;
    t.check(
        r[0] == Error::EmptySlot as u64,
        format_args!("a refused cap_mint_into left {r:#x?} in the child"),
    )?;

    // Revoking the source takes the child's copies back.
    let n = t.ok("cap_revoke (frame)", cap_revoke(frame))?;
    t.check(
        n >= 3,
        format_args!("revoking the frame deleted {n} capabilities, expected at least 3"),
    )?;
    let r = child_sees(t, ep, CHILD_FRAME)?;
    t.check(
        r[0] == Error::EmptySlot as u64,
        format_args!("after the revoke the child still sees {r:#x?}"),
    )?;

    // Into its own space, like cap_mint.
    t.ok(
        "cap_mint_into (own space)",
        cap_mint_into(ep, CSPACE, own, Rights::READ | Rights::EXECUTE, 0x42),
    )?;
    let id = t.ok("cap_identify (own)", cap_identify(own))?;
    t.check(
        id.cap_type == Some(CapType::Endpoint) && id.badge == 0x42,
        format_args!("own slot holds {id:?}"),
    )?;
    t.err(
        "cap_mint_into through its own thread capability",
        cap_mint_into(ep, THREAD, free(8), Rights::READ, 0),
        Error::WrongType,
    )?;

    t.ok("call (quit)", call(ep, [OP_QUIT, 0, 0, 0, 0, 0]))?;
    child::expect_exit(t, ep, &c, 0)?;
    for slot in [own, limited, badged, read_only_cspace, frame, ep] {
        match cap_delete(slot) {
            Ok(()) | Err(Error::EmptySlot) => {}
            Err(e) => return Err(t.fail(format_args!("cap_delete({slot}): {e:?}"))),
        }
    }
    Ok(())
}
