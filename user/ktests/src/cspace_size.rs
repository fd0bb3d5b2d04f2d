//! `utest=cspace-size`: `EnvCreate`'s capability-space size (`a4`) and
//! the root task's large space.
//!
//! Children are created (not started) with 0 (the default,
//! `DEFAULT_CHILD_SLOTS`), 4 (the smallest) and `MAX_CSPACE_SLOTS` slots;
//! `cap_mint_into` probes each one's last slot (works) and the one past it
//! (`BadSlot`). Sizes 1, 3, `MAX_CSPACE_SLOTS + 1`, `u32::MAX`, `1 << 32`
//! and `u64::MAX` are `InvalidArgument` and create nothing. The root task
//! itself has `root_slots::COUNT` (2^20) slots: its last one takes a copy,
//! `COUNT` is `BadSlot`.

use abi::root_slots::COUNT;
use abi::{Error, Rights, Syscall, DEFAULT_CHILD_SLOTS, MAX_CSPACE_SLOTS};
use exo_rt::ipc::{endpoint_create, env_create_sized};
use exo_rt::{cap_copy, cap_delete, cap_identify, cap_mint_into, syscall6, StartArgs};

use super::free;
use crate::check::{Ctx, Outcome};

/// `EnvCreate` with any `a4`, into `free(20..23)`.
fn raw_create(mem: u32, slots: u64) -> Result<u64, Error> {
    let (status, r) = syscall6(
        Syscall::EnvCreate as u64,
        [mem.into(), free(20).into(), u64::MAX, u64::MAX, slots, 0],
    );
    match status {
        0 => Ok(r[0]),
        s => Err(Error::from_code(s).unwrap_or(Error::NoSuchCall)),
    }
}

/// `CapMintInto` with a destination index that may not fit a slot number.
fn raw_mint_into(src: u32, space: u32, dst: u64) -> Result<(), Error> {
    let (status, _) = syscall6(
        Syscall::CapMintInto as u64,
        [src.into(), space.into(), dst, Rights::READ.0, 0, 0],
    );
    match status {
        0 => Ok(()),
        s => Err(Error::from_code(s).unwrap_or(Error::NoSuchCall)),
    }
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    let ep = free(0);
    t.ok("endpoint_create", endpoint_create(mem, ep))?;

    for (k, (asked, size)) in [
        (0, DEFAULT_CHILD_SLOTS),
        (4, 4),
        (MAX_CSPACE_SLOTS, MAX_CSPACE_SLOTS),
    ]
    .into_iter()
    .enumerate()
    {
        let dst = free(100 + 3 * k as u32);
        let child = t.ok(
            "env_create_sized",
            env_create_sized(mem, dst, None, None, asked),
        )?;
        t.ok(
            "cap_mint_into the child's last slot",
            cap_mint_into(ep, child.cspace, size - 1, Rights::READ, 0),
        )?;
        t.err(
            "cap_mint_into one past the child's last slot",
            raw_mint_into(ep, child.cspace, u64::from(size)),
            Error::BadSlot,
        )?;
        t.note(format_args!(
            "asked for {asked} slots: the child has {size}"
        ));
    }

    for bad in [
        1,
        3,
        u64::from(MAX_CSPACE_SLOTS) + 1,
        u64::from(u32::MAX),
        1 << 32,
        u64::MAX,
    ] {
        t.err(
            "env_create with a bad capability-space size",
            raw_create(mem, bad),
            Error::InvalidArgument,
        )?;
        t.err(
            "the slot of a refused env_create",
            cap_identify(free(20)),
            Error::EmptySlot,
        )?;
    }

    // The root task's own space.
    t.err(
        "cap_identify(COUNT - 1) in a fresh space",
        cap_identify(COUNT - 1),
        Error::EmptySlot,
    )?;
    t.ok("cap_copy into the last slot", cap_copy(ep, COUNT - 1))?;
    t.err("cap_copy into COUNT", cap_copy(ep, COUNT), Error::BadSlot)?;
    t.ok("cap_delete the last slot", cap_delete(COUNT - 1))?;
    Ok(())
}
