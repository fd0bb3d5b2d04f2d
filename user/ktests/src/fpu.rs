//! `utest=fpu`: every thread has its own x87/SSE state, and a new thread
//! starts with a clean one.
//!
//! The root task fills `xmm0`..`xmm15` with its own pattern and sets MXCSR
//! (round up) and the x87 control word (53-bit precision) before it spawns
//! a child, so a leak would show. The child first checks the clean state
//! (every XMM register 0, MXCSR 0x1f80, control word 0x37f), then loads its
//! own pattern and values and, for many rounds, spins a little (so timer
//! ticks also switch in the middle), checks everything and yields. The
//! parent yields to the child directly the same number of times, checking
//! its own values after each switch back. The child's exit code says what
//! it found (0: all good).

use exo_rt::fpu::{mxcsr, set_mxcsr, set_x87_control, set_xmm, x87_control, xmm, Xmm, XMM_COUNT};
use exo_rt::{exit, yield_now, StartArgs};

use super::child;
use crate::check::{Ctx, Outcome};

/// Switches each side makes.
const ROUNDS: u32 = 300;
/// The clean state.
const CLEAN_MXCSR: u32 = 0x1f80;
const CLEAN_FCW: u16 = 0x37f;
/// The parent's and the child's values: round up / round down, 53-bit
/// / 24-bit x87 precision.
const PARENT_MXCSR: u32 = 0x1f80 | 0x4000;
const PARENT_FCW: u16 = 0x27f;
const CHILD_MXCSR: u32 = 0x1f80 | 0x2000;
const CHILD_FCW: u16 = 0x07f;
const PARENT_SEED: u64 = 0x1234_5678_9abc_def1;
const CHILD_SEED: u64 = 0x0fed_cba9_8765_4321;

/// The child's exit codes.
const DIRTY_XMM: i32 = 10;
const DIRTY_MXCSR: i32 = 11;
const DIRTY_FCW: i32 = 12;
const LOST_XMM: i32 = 20;
const LOST_MXCSR: i32 = 21;
const LOST_FCW: i32 = 22;

/// A distinct 128-bit value per seed and register.
fn pattern(seed: u64) -> Xmm {
    let mut v: Xmm = [0; XMM_COUNT];
    for (i, x) in v.iter_mut().enumerate() {
        let i = i as u64 + 1;
        let lo = seed.wrapping_mul(i).rotate_left(i as u32);
        let hi = seed ^ (i << 56) ^ 0x5555_0000_aaaa_0000;
        *x = u128::from(lo) | (u128::from(hi) << 64);
    }
    v
}

/// Loads `seed`'s pattern and the control words.
fn load(seed: u64, m: u32, fcw: u16) {
    set_xmm(&pattern(seed));
    if set_mxcsr(m).is_none() {
        exit(99)
    }
    set_x87_control(fcw);
}

/// The child: checks the clean state, then keeps its own values across
/// switches.
fn child_main(_arg: u64) -> ! {
    if xmm() != [0; XMM_COUNT] {
        exit(DIRTY_XMM)
    }
    if mxcsr() != CLEAN_MXCSR {
        exit(DIRTY_MXCSR)
    }
    if x87_control() != CLEAN_FCW {
        exit(DIRTY_FCW)
    }
    load(CHILD_SEED, CHILD_MXCSR, CHILD_FCW);
    let want = pattern(CHILD_SEED);
    for round in 0..ROUNDS {
        child::spin(u64::from(round));
        if xmm() != want {
            exit(LOST_XMM)
        }
        if mxcsr() != CHILD_MXCSR {
            exit(LOST_MXCSR)
        }
        if x87_control() != CHILD_FCW {
            exit(LOST_FCW)
        }
        let _ = yield_now();
    }
    exit(0)
}

/// Checks the parent's values after a switch back.
fn parent_intact(t: Ctx, round: u32) -> Outcome {
    let got = xmm();
    let want = pattern(PARENT_SEED);
    if let Some(i) = (0..XMM_COUNT).find(|&i| got[i] != want[i]) {
        return Err(t.fail(format_args!(
            "round {round}: xmm{i} = {:#x}, expected {:#x}",
            got[i], want[i]
        )));
    }
    t.check(
        mxcsr() == PARENT_MXCSR,
        format_args!(
            "round {round}: MXCSR {:#x}, expected {PARENT_MXCSR:#x}",
            mxcsr()
        ),
    )?;
    t.check(
        x87_control() == PARENT_FCW,
        format_args!(
            "round {round}: x87 control word {:#x}, expected {PARENT_FCW:#x}",
            x87_control()
        ),
    )
}

fn meaning(code: u64) -> &'static str {
    match code as i32 {
        DIRTY_XMM => "a new thread's XMM registers were not zero",
        DIRTY_MXCSR => "a new thread's MXCSR was not 0x1f80",
        DIRTY_FCW => "a new thread's x87 control word was not 0x37f",
        LOST_XMM => "the child's XMM registers changed across a switch",
        LOST_MXCSR => "the child's MXCSR changed across a switch",
        LOST_FCW => "the child's x87 control word changed across a switch",
        _ => "unexpected exit code",
    }
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    t.check(
        set_mxcsr(0x1_0000).is_none(),
        format_args!("exo-rt accepted a reserved MXCSR bit"),
    )?;
    load(PARENT_SEED, PARENT_MXCSR, PARENT_FCW);
    parent_intact(t, 0)?;
    let rounds = child::yield_until_ended(t, args, child_main, ROUNDS, meaning, |r| {
        parent_intact(t, r)
    })?;
    parent_intact(t, rounds)?;
    t.note(format_args!(
        "{rounds} switches; both threads kept their XMM, MXCSR and x87 control values"
    ));
    Ok(())
}
