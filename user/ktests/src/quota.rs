//! `utest=quota`: frame quotas (`QuotaGive`, `abi::info` quota fields).
//!
//! The root task spawns a child with its memory capability in slot 3 and
//! gives it [`GIFT`] frames of quota. The child waits until its info page
//! shows the gift, then allocates frames until `QuotaExceeded`; it exits
//! with the count and the frames it had charged before (`count | used <<
//! 16`), and the parent checks `count + used` = [`GIFT`]. Also: the
//! parent's limit shrinks by exactly the gift and comes back when the
//! child has ended; giving more than the parent has left is
//! `QuotaExceeded`; giving to itself (not its child) is `NoRights`;
//! giving through a non-thread capability is `WrongType`; the parent's
//! own allocations still work afterwards.

use abi::root_slots::THREAD;
use abi::Error;
use exo_rt::ipc::endpoint_create;
use exo_rt::{cap_delete, exit, frame_alloc, info, quota_give, yield_now, StartArgs};

use super::{child, free};
use crate::check::{Ctx, Outcome};

/// Frames of quota given to the child.
const GIFT: u64 = 40;
/// The child's memory capability (what its parent gave).
const CHILD_MEM: u32 = 3;
/// The child's first slot for frames.
const CHILD_FIRST: u32 = 16;

/// Allocates frames until the quota says no; exits with `count | used <<
/// 16` (`used`: frames charged before), or 0xffff_ff00 + the error if
/// something else failed.
fn hog(_arg: u64) -> ! {
    while info::quota_frames() == 0 {
        let _ = yield_now();
    }
    let used = info::used_frames();
    let mut count = 0u32;
    loop {
        match frame_alloc(CHILD_MEM, CHILD_FIRST + count, None) {
            Ok(_) => count += 1,
            Err(Error::QuotaExceeded) => break,
            Err(e) => exit(0x7fff_ff00 | e as i32),
        }
        if count > 1000 {
            exit(0x7fff_fff0);
        }
    }
    if info::used_frames() != used + u64::from(count) {
        exit(0x7fff_fff1);
    }
    exit(count as i32 | (used as i32) << 16)
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    let ep = free(0);
    t.ok("endpoint_create", endpoint_create(mem, ep))?;
    let q0 = info::quota_frames();
    let c = child::start(t, args, 0, Some(mem), Some(ep), hog, 0)?;
    let th = c.env.thread;

    let left = info::quota_frames() - info::used_frames();
    t.err(
        "quota_give more than is left",
        quota_give(th, left + 1),
        Error::QuotaExceeded,
    )?;
    t.err(
        "quota_give to itself",
        quota_give(THREAD, 1),
        Error::NoRights,
    )?;
    t.err(
        "quota_give through an endpoint",
        quota_give(ep, 1),
        Error::WrongType,
    )?;
    t.check(
        info::quota_frames() == q0,
        format_args!(
            "refused gifts changed the quota: {} -> {}",
            q0,
            info::quota_frames()
        ),
    )?;
    t.ok("quota_give", quota_give(th, GIFT))?;
    t.check(
        info::quota_frames() == q0 - GIFT,
        format_args!("quota {} after giving {GIFT} of {q0}", info::quota_frames()),
    )?;

    let (how, code) = child::ended(t, ep, &c)?;
    t.check(
        how == 0,
        format_args!("the child died (how {how}, detail {code:#x})"),
    )?;
    let count = code & 0xffff;
    let used = (code >> 16) & 0xffff;
    t.check(
        code < 0x7fff_ff00 && count > 0 && count + used == GIFT,
        format_args!("child allocated {count} frames with {used} charged before (code {code:#x}), quota {GIFT}"),
    )?;
    t.note(format_args!(
        "child allocated {count} frames ({used} charged before) of its {GIFT}"
    ));
    t.ok("release the child", c.release())?;
    t.check(
        info::quota_frames() == q0,
        format_args!(
            "quota {} after the child ended, was {q0}",
            info::quota_frames()
        ),
    )?;

    // The parent's own allocations are untouched.
    let frame = free(1);
    t.ok("frame_alloc after the child", frame_alloc(mem, frame, None))?;
    t.ok("cap_delete (frame)", cap_delete(frame))?;
    t.ok("cap_delete (endpoint)", cap_delete(ep))
}
