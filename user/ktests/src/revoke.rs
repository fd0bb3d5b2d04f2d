//! `utest=revoke`: visible revocation (`RevokeRequest`) on the root task
//! itself, in three rounds.
//!
//! 1. Abort protocol: five frames held; asked for 3 within 20 ms, the
//!    task gives nothing back. The info page shows the request
//!    (`revoke_frames` = 3, a deadline) at once; after a 100 ms sleep
//!    `repossessed_count` is 3, `revoke_frames` is 0, the quota shrank by
//!    3, exactly three of the five frame slots are empty, and the
//!    repossession vector lists their physical addresses.
//! 2. Voluntary: asked for 2 within 50 ms, the task deletes two frames at
//!    once: nothing more is repossessed, the quota shrinks by 2.
//! 3. Upcall: with an `exo_rt::upcall` handler registered, a request for 2
//!    frames reaches it as kind `REVOKE` with `error` = 2; the handler
//!    deletes two frames; nothing is repossessed.
//!
//! Refused: zero frames, a second request while one is pending
//! (`InvalidArgument`), a request through a non-thread (`WrongType`).

use core::sync::atomic::{AtomicU64, Ordering};

use abi::root_slots::THREAD;
use abi::upcall::kind;
use abi::{Error, UpcallFrame};
use exo_rt::upcall::{clear_handler, set_handler};
use exo_rt::{
    cap_delete, cap_identify, frame_alloc, info, notification_create, revoke_request, sleep_on,
    StartArgs,
};

use super::free;
use crate::check::{Ctx, Outcome};

/// The handler's record: the kind and `error` of the last upcall, and how
/// many upcalls it got.
static SEEN_KIND: AtomicU64 = AtomicU64::new(0);
static SEEN_FRAMES: AtomicU64 = AtomicU64::new(0);
static SEEN: AtomicU64 = AtomicU64::new(0);
/// The frame slots the handler may give back: `[GIVE_FROM, GIVE_FROM + n)`.
static GIVE_FROM: AtomicU64 = AtomicU64::new(0);

/// Gives back the frames asked for, from the slots at `GIVE_FROM`.
fn handler(frame: &mut UpcallFrame) {
    SEEN.fetch_add(1, Ordering::SeqCst);
    SEEN_KIND.store(frame.kind, Ordering::SeqCst);
    SEEN_FRAMES.store(frame.error, Ordering::SeqCst);
    if frame.kind != kind::REVOKE {
        super::upcall::handler_fail(
            "revoke",
            format_args!("unexpected upcall kind {}", frame.kind),
        );
    }
    let from = GIVE_FROM.load(Ordering::SeqCst) as u32;
    for i in 0..frame.error as u32 {
        let _ = cap_delete(from + i);
    }
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let mem = args.memory.start;
    let sleep = free(0);
    let frames = free(16);
    t.ok("notification_create", notification_create(mem, sleep))?;
    let mut phys = [0u64; 5];
    for (i, p) in phys.iter_mut().enumerate() {
        *p = t.ok("frame_alloc", frame_alloc(mem, frames + i as u32, None))?;
    }

    // Refusals.
    t.err(
        "revoke_request of 0 frames",
        revoke_request(THREAD, 0, 20_000),
        Error::InvalidArgument,
    )?;
    t.err(
        "revoke_request through a notification",
        revoke_request(sleep, 1, 20_000),
        Error::WrongType,
    )?;

    // Round 1: the abort protocol.
    let quota = info::quota_frames();
    t.ok(
        "revoke_request (3 frames, 20 ms)",
        revoke_request(THREAD, 3, 20_000),
    )?;
    let p = info::snapshot();
    t.check(
        p.revoke_frames == 3 && p.revoke_deadline_us > 0,
        format_args!(
            "info page after the request: revoke_frames {} deadline {}",
            p.revoke_frames, p.revoke_deadline_us
        ),
    )?;
    t.err(
        "a second request while one is pending",
        revoke_request(THREAD, 1, 20_000),
        Error::InvalidArgument,
    )?;
    t.ok("sleep 100 ms", sleep_on(sleep, 100_000))?;
    let p = info::snapshot();
    t.check(
        p.repossessed_count == 3 && p.revoke_frames == 0 && p.quota_frames == quota - 3,
        format_args!(
            "after the deadline: repossessed {} pending {} quota {} (was {quota})",
            p.repossessed_count, p.revoke_frames, p.quota_frames
        ),
    )?;
    let mut taken = 0;
    for (i, addr) in phys.iter().enumerate() {
        match cap_identify(frames + i as u32) {
            Err(Error::EmptySlot) => {
                taken += 1;
                t.check(
                    p.repossessed[..3].contains(addr),
                    format_args!(
                        "frame {addr:#x} was taken but is not listed in {:x?}",
                        &p.repossessed[..3]
                    ),
                )?;
            }
            Ok(_) => {}
            Err(e) => return Err(t.fail(format_args!("cap_identify (frame {i}): {e:?}"))),
        }
    }
    t.check(
        taken == 3,
        format_args!("{taken} of the 5 frame slots are empty, expected 3"),
    )?;
    t.note(format_args!(
        "abort protocol: 3 frames repossessed, quota {} -> {}",
        quota, p.quota_frames
    ));

    // Round 2: voluntary return.
    let kept: [u32; 2] = {
        let mut k = [0; 2];
        let mut n = 0;
        for i in 0..5 {
            if cap_identify(frames + i).is_ok() && n < 2 {
                k[n] = frames + i;
                n += 1;
            }
        }
        k
    };
    let quota = info::quota_frames();
    t.ok(
        "revoke_request (2 frames, 50 ms)",
        revoke_request(THREAD, 2, 50_000),
    )?;
    for slot in kept {
        t.ok("cap_delete (give back)", cap_delete(slot))?;
    }
    t.ok("sleep 100 ms", sleep_on(sleep, 100_000))?;
    let p = info::snapshot();
    t.check(
        p.repossessed_count == 3 && p.revoke_frames == 0 && p.quota_frames == quota - 2,
        format_args!(
            "after a voluntary return: repossessed {} pending {} quota {} (was {quota})",
            p.repossessed_count, p.revoke_frames, p.quota_frames
        ),
    )?;
    t.note(format_args!(
        "voluntary: 2 frames given back, none repossessed"
    ));

    // Round 3: the REVOKE upcall gives the frames back.
    let give = free(32);
    for i in 0..2 {
        t.ok("frame_alloc", frame_alloc(mem, give + i, None))?;
    }
    GIVE_FROM.store(u64::from(give), Ordering::SeqCst);
    t.ok("set_handler", set_handler(handler, false))?;
    let quota = info::quota_frames();
    t.ok(
        "revoke_request (2 frames, 50 ms, upcall)",
        revoke_request(THREAD, 2, 50_000),
    )?;
    t.ok("sleep 100 ms", sleep_on(sleep, 100_000))?;
    t.ok("clear_handler", clear_handler())?;
    let (n, k, f) = (
        SEEN.load(Ordering::SeqCst),
        SEEN_KIND.load(Ordering::SeqCst),
        SEEN_FRAMES.load(Ordering::SeqCst),
    );
    t.check(
        n == 1 && k == kind::REVOKE && f == 2,
        format_args!(
            "handler ran {n} times, last kind {k} error {f}; expected once, kind 3, error 2"
        ),
    )?;
    for i in 0..2 {
        t.err(
            "the handler gave the frame back",
            cap_identify(give + i),
            Error::EmptySlot,
        )?;
    }
    let p = info::snapshot();
    t.check(
        p.repossessed_count == 3 && p.revoke_frames == 0 && p.quota_frames == quota - 2,
        format_args!(
            "after the upcall round: repossessed {} pending {} quota {} (was {quota})",
            p.repossessed_count, p.revoke_frames, p.quota_frames
        ),
    )?;
    t.note(format_args!(
        "upcall: the handler saw kind 3 with 2 frames and gave them back"
    ));
    t.ok("cap_delete (notification)", cap_delete(sleep))
}
