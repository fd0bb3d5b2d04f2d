//! The info page (`exo_rt::info`, `abi::info`):
//!
//! - `utest=info`: magic "EXOINFO1", env id 1 (the root task), `tsc_hz`
//!   and `timer_hz` non-zero, the time from the page advances by at least
//!   15 ms across a 20 ms wait; `used_frames` rises by one per frame
//!   allocated and falls back when it is deleted, and stays within
//!   `quota_frames`; no revocation pending.
//! - `utest=info-readonly`: a write to the page faults: `root: killed by
//!   #PF`.

use abi::info::MAGIC;
use abi::Error;
use exo_rt::{cap_delete, frame_alloc, info, notification_create, wait, StartArgs};

use super::free;
use crate::check::{Ctx, Outcome};

/// `utest=info`.
pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let p = info::snapshot();
    t.check(p.magic == MAGIC, format_args!("magic {:#x}", p.magic))?;
    t.check(p.env_id == 1, format_args!("env_id {}", p.env_id))?;
    t.check(
        p.tsc_hz > 0 && p.timer_hz > 0,
        format_args!("tsc_hz {} timer_hz {}", p.tsc_hz, p.timer_hz),
    )?;
    t.check(
        p.used_frames <= p.quota_frames && p.quota_frames > 0,
        format_args!("used {} of quota {}", p.used_frames, p.quota_frames),
    )?;
    t.check(
        p.revoke_frames == 0 && p.repossessed_count == 0,
        format_args!(
            "revocation state {:?}",
            (p.revoke_frames, p.repossessed_count)
        ),
    )?;
    t.note(format_args!(
        "env {} on cpu {}, tsc {} Hz, timer {} Hz, quota {} frames ({} used)",
        p.env_id, p.cpu_id, p.tsc_hz, p.timer_hz, p.quota_frames, p.used_frames
    ));

    // Time advances across a 20 ms wait.
    let ntf = free(0);
    t.ok(
        "notification_create",
        notification_create(args.memory.start, ntf),
    )?;
    let before = info::now_ns();
    t.err("wait 20 ms", wait(ntf, 20_000), Error::TimedOut)?;
    let ms = (info::now_ns() - before) / 1_000_000;
    t.check(
        ms >= 15,
        format_args!("the info-page clock advanced {ms} ms over a 20 ms wait"),
    )?;

    // Quota accounting.
    let used = info::used_frames();
    let frame = free(1);
    t.ok("frame_alloc", frame_alloc(args.memory.start, frame, None))?;
    t.check(
        info::used_frames() == used + 1,
        format_args!(
            "used_frames {} after one frame, was {used}",
            info::used_frames()
        ),
    )?;
    t.ok("cap_delete (frame)", cap_delete(frame))?;
    t.check(
        info::used_frames() == used,
        format_args!(
            "used_frames {} after the delete, was {used}",
            info::used_frames()
        ),
    )?;
    t.ok("cap_delete (notification)", cap_delete(ntf))
}

/// `utest=info-readonly`.
pub fn run_readonly(t: Ctx, _args: &StartArgs) -> Outcome {
    t.check(info::magic() == MAGIC, format_args!("no info page"))?;
    t.note(format_args!("writing the info page now"));
    info::try_write(0, 1);
    Err(t.fail(format_args!("still alive after writing the info page")))
}
