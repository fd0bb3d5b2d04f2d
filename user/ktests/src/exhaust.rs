//! `utest=exhaust`: allocate frames from a memory capability until
//! `OutOfMemory`, delete them all, and check that exactly as many can be
//! allocated again (the memory came back).
//!
//! The frames are held in [`SLOTS`] free slots from `FIRST_FREE` on, so
//! a memory capability larger than that many frames cannot be exhausted:
//! such capabilities are skipped, and the test fails only if every one of
//! them is too large. (The root task's space is far larger; the bound
//! keeps the test as quick as it was with a 4096-slot space.)

use abi::root_slots::FIRST_FREE;
use abi::Error;
use exo_rt::{cap_delete, cap_identify, frame_alloc, StartArgs};

use crate::check::{Ctx, Failed, Outcome};

/// Slots used for frames: 12 MiB worth.
const SLOTS: u32 = 3072;
/// One past the last slot used.
const END: u32 = FIRST_FREE + SLOTS;

/// How allocation from one memory capability ended.
enum Drained {
    /// `OutOfMemory` after this many frames (held in `FIRST_FREE..`).
    Exhausted(u32),
    /// The free slots ran out first.
    OutOfSlots,
}

/// Allocates from `mem` into consecutive free slots until `OutOfMemory`
/// or the slots run out.
fn drain(t: Ctx, mem: u32) -> Result<Drained, Failed> {
    let mut slot = FIRST_FREE;
    loop {
        if slot == END {
            return Ok(Drained::OutOfSlots);
        }
        match frame_alloc(mem, slot, None) {
            Ok(_) => slot += 1,
            Err(Error::OutOfMemory) => return Ok(Drained::Exhausted(slot - FIRST_FREE)),
            Err(e) => {
                return Err(t.fail(format_args!(
                    "frame_alloc #{} from slot {mem}: {e:?}",
                    slot - FIRST_FREE
                )))
            }
        }
    }
}

/// Deletes the `n` frames held from `FIRST_FREE` on.
fn release(t: Ctx, n: u32) -> Outcome {
    for slot in FIRST_FREE..FIRST_FREE + n {
        t.ok("cap_delete(frame)", cap_delete(slot))?;
    }
    Ok(())
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let slots = SLOTS;
    for mem in args.memory.clone() {
        let n = match drain(t, mem)? {
            Drained::OutOfSlots => {
                release(t, slots)?;
                t.note(format_args!(
                    "memory slot {mem} holds more than {slots} frames; trying the next"
                ));
                continue;
            }
            Drained::Exhausted(n) => n,
        };
        t.note(format_args!(
            "memory slot {mem}: OutOfMemory after {n} frames"
        ));
        t.check(n > 0, format_args!("memory slot {mem} had no frame at all"))?;
        t.err(
            "frame_alloc after OutOfMemory",
            frame_alloc(mem, FIRST_FREE + n, None),
            Error::OutOfMemory,
        )?;
        t.err(
            "the slot of a refused frame_alloc",
            cap_identify(FIRST_FREE + n),
            Error::EmptySlot,
        )?;
        release(t, n)?;
        match drain(t, mem)? {
            Drained::Exhausted(again) if again == n => {}
            Drained::Exhausted(again) => {
                return Err(t.fail(format_args!(
                    "after deleting {n} frames only {again} could be allocated again"
                )))
            }
            Drained::OutOfSlots => {
                return Err(t.fail(format_args!(
                    "after deleting {n} frames, more than {slots} could be allocated"
                )))
            }
        }
        t.note(format_args!("all {n} frames came back"));
        return release(t, n);
    }
    Err(t.fail(format_args!(
        "every memory capability holds more than the {slots} free slots can hold \
         (give the root task smaller memory capabilities or a larger capability space)"
    )))
}
