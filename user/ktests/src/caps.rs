//! `utest=caps`: the capability-space calls against the abi: the root
//! task's initial slots, copy, mint (fewer rights, badge, no escalation),
//! move, delete, revoke (recursive, keeps the capability revoked from),
//! and the slot errors.

use abi::root_slots::{ASPACE, COUNT, CSPACE, FIRST_MEMORY, THREAD};
use abi::{CapType, Error, Rights};
use exo_rt::{
    cap_copy, cap_delete, cap_identify, cap_mint, cap_move, cap_revoke, syscall6, StartArgs,
};

use super::free;
use crate::check::{Ctx, Outcome};

/// Checks that `slot` holds a capability of type `want` and returns its rights.
fn expect_type(t: Ctx, slot: u32, want: CapType) -> Result<exo_rt::CapInfo, crate::check::Failed> {
    let info = t.ok("cap_identify", cap_identify(slot))?;
    t.check(
        info.cap_type == Some(want),
        format_args!(
            "slot {slot}: type code {} ({:?}), expected {want:?}",
            info.type_code, info.cap_type
        ),
    )?;
    Ok(info)
}

fn initial_slots(t: Ctx, args: &StartArgs) -> Outcome {
    expect_type(t, CSPACE, CapType::CSpace)?;
    expect_type(t, ASPACE, CapType::AddressSpace)?;
    expect_type(t, THREAD, CapType::Thread)?;
    t.check(
        args.memory.start == FIRST_MEMORY && !args.memory.is_empty(),
        format_args!(
            "memory slots {:?} from the entry registers; expected a non-empty range from {FIRST_MEMORY}",
            args.memory
        ),
    )?;
    for slot in args.memory.clone() {
        let info = expect_type(t, slot, CapType::Memory)?;
        t.check(
            info.phys != 0 && info.phys.is_multiple_of(abi::PAGE_SIZE),
            format_args!("memory slot {slot}: physical address {:#x}", info.phys),
        )?;
    }
    t.err(
        "cap_identify of the slot after the memory slots",
        cap_identify(args.memory.end),
        Error::EmptySlot,
    )
}

fn slot_errors(t: Ctx) -> Outcome {
    t.err("cap_identify(COUNT)", cap_identify(COUNT), Error::BadSlot)?;
    t.err(
        "cap_identify(u32::MAX)",
        cap_identify(u32::MAX),
        Error::BadSlot,
    )?;
    // A slot number that is 0 in its low 32 bits must not name slot 0.
    let (status, _) = syscall6(abi::Syscall::CapIdentify as u64, [1 << 32, 0, 0, 0, 0, 0]);
    t.check(
        status == Error::BadSlot as u64,
        format_args!("cap_identify(1 << 32): status {status}, expected BadSlot"),
    )?;
    t.err(
        "cap_identify(empty)",
        cap_identify(free(500)),
        Error::EmptySlot,
    )?;
    t.err(
        "cap_copy(empty)",
        cap_copy(free(500), free(501)),
        Error::EmptySlot,
    )?;
    t.err("cap_delete(empty)", cap_delete(free(500)), Error::EmptySlot)?;
    t.err(
        "cap_copy to COUNT",
        cap_copy(FIRST_MEMORY, COUNT),
        Error::BadSlot,
    )?;
    t.err(
        "cap_copy from COUNT",
        cap_copy(COUNT, free(0)),
        Error::BadSlot,
    )
}

fn copy_mint_move(t: Ctx) -> Outcome {
    let mem = t.ok("cap_identify(memory)", cap_identify(FIRST_MEMORY))?;
    // Copy: same type, rights and physical address.
    t.ok("cap_copy", cap_copy(FIRST_MEMORY, free(0)))?;
    let copy = expect_type(t, free(0), CapType::Memory)?;
    t.check(
        copy.rights == mem.rights && copy.phys == mem.phys,
        format_args!("copy is {copy:?}, original {mem:?}"),
    )?;
    t.err(
        "cap_copy into an occupied slot",
        cap_copy(FIRST_MEMORY, free(0)),
        Error::SlotOccupied,
    )?;
    t.err(
        "cap_copy onto a root slot",
        cap_copy(FIRST_MEMORY, CSPACE),
        Error::SlotOccupied,
    )?;

    // Mint with fewer rights and a badge.
    let fewer = Rights::READ | Rights::MAP | Rights::DERIVE;
    t.ok(
        "cap_mint(READ|MAP|DERIVE)",
        cap_mint(FIRST_MEMORY, free(1), fewer, 0x42),
    )?;
    let minted = expect_type(t, free(1), CapType::Memory)?;
    t.check(
        minted.rights == fewer && minted.badge == 0x42 && minted.phys == mem.phys,
        format_args!("minted {minted:?}, expected rights {fewer:?}, badge 0x42"),
    )?;
    t.err(
        "cap_mint with more rights than the source",
        cap_mint(free(1), free(2), fewer | Rights::WRITE, 0),
        Error::RightsEscalation,
    )?;
    t.err(
        "cap_identify after a refused mint",
        cap_identify(free(2)),
        Error::EmptySlot,
    )?;
    // A badged capability keeps its badge: minting it with another is refused.
    t.err(
        "cap_mint of a badged capability with another badge",
        cap_mint(free(1), free(2), fewer, 0x43),
        Error::RightsEscalation,
    )?;
    // Without DERIVE nothing can be copied or minted; without REVOKE no revoke.
    let no_derive = Rights::READ | Rights::MAP;
    t.ok(
        "cap_mint(READ|MAP)",
        cap_mint(free(1), free(2), no_derive, 0x42),
    )?;
    let info = t.ok("cap_identify", cap_identify(free(2)))?;
    t.check(
        info.rights == no_derive && info.badge == 0x42,
        format_args!("minted {info:?}, expected rights {no_derive:?}, badge 0x42"),
    )?;
    t.err(
        "cap_copy without DERIVE",
        cap_copy(free(2), free(3)),
        Error::NoRights,
    )?;
    t.err(
        "cap_mint without DERIVE",
        cap_mint(free(2), free(3), Rights::READ, 0),
        Error::NoRights,
    )?;
    t.err(
        "cap_revoke without REVOKE",
        cap_revoke(free(1)),
        Error::NoRights,
    )?;

    // Move: the source slot empties, the destination holds the capability.
    t.ok("cap_move", cap_move(free(1), free(4)))?;
    t.err(
        "cap_identify of a moved-from slot",
        cap_identify(free(1)),
        Error::EmptySlot,
    )?;
    let moved = expect_type(t, free(4), CapType::Memory)?;
    t.check(
        moved == minted,
        format_args!("moved {moved:?}, was {minted:?}"),
    )?;
    t.err(
        "cap_move from empty",
        cap_move(free(1), free(5)),
        Error::EmptySlot,
    )?;
    t.err(
        "cap_move into an occupied slot",
        cap_move(free(4), free(0)),
        Error::SlotOccupied,
    )?;

    // Delete: then every use of the slot is EmptySlot.
    for slot in [free(0), free(2), free(4)] {
        t.ok("cap_delete", cap_delete(slot))?;
        t.err(
            "cap_identify after delete",
            cap_identify(slot),
            Error::EmptySlot,
        )?;
        t.err(
            "cap_copy after delete",
            cap_copy(slot, free(9)),
            Error::EmptySlot,
        )?;
        t.err(
            "cap_delete after delete",
            cap_delete(slot),
            Error::EmptySlot,
        )?;
    }
    Ok(())
}

fn revoke(t: Ctx) -> Outcome {
    // A copy of the first memory capability is the "original" here, so
    // revoke never touches the root task's own memory capabilities.
    let orig = free(10);
    t.ok("cap_copy", cap_copy(FIRST_MEMORY, orig))?;
    t.ok("cap_copy (child)", cap_copy(orig, free(11)))?;
    let fewer = Rights::READ | Rights::MAP | Rights::DERIVE;
    t.ok(
        "cap_mint (grandchild)",
        cap_mint(free(11), free(12), fewer, 7),
    )?;
    t.ok("cap_copy (second child)", cap_copy(orig, free(13)))?;
    t.ok("cap_move (second child)", cap_move(free(13), free(14)))?;
    let n = t.ok("cap_revoke", cap_revoke(orig))?;
    t.check(n == 3, format_args!("cap_revoke deleted {n}, expected 3"))?;
    for slot in [free(11), free(12), free(13), free(14)] {
        t.err(
            "cap_identify of a revoked copy",
            cap_identify(slot),
            Error::EmptySlot,
        )?;
    }
    expect_type(t, orig, CapType::Memory)?;
    let n = t.ok("cap_revoke with nothing derived", cap_revoke(orig))?;
    t.check(
        n == 0,
        format_args!("second cap_revoke deleted {n}, expected 0"),
    )?;
    t.ok("cap_delete", cap_delete(orig))?;
    t.err(
        "cap_revoke after delete",
        cap_revoke(orig),
        Error::EmptySlot,
    )?;
    // The root capabilities are untouched.
    expect_type(t, FIRST_MEMORY, CapType::Memory).map(|_| ())
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    initial_slots(t, args)?;
    slot_errors(t)?;
    copy_mint_move(t)?;
    revoke(t)
}
