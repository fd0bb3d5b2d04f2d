//! `utest=fsbase`: `FsBaseSet` and the kernel keeping each thread's FS
//! base across switches.
//!
//! Each thread points FS at a word of its own (`%fs:0` then reads that
//! word's value) and checks it after every switch: the root task and a
//! spawned child yield to each other many times, with a little spinning
//! so timer ticks switch them too. A new thread starts with FS base 0,
//! which the child sees by reading `%fs:ADDR` of a known word (with base 0
//! that is the word itself). Addresses at or above `USER_END` (kernel,
//! non-canonical, all ones) are `BadAddress` and leave the base alone; 0
//! is allowed.

use abi::{Error, USER_END};
use exo_rt::tls::fs_read;
use exo_rt::{exit, fs_base_set, yield_now, StartArgs};

use super::child;
use crate::check::{Ctx, Outcome};

/// Switches each side makes.
const ROUNDS: u32 = 200;

/// Each thread's word, read as `%fs:0`.
static PARENT_WORD: u64 = 0x7061_7265_6e74_0001;
static CHILD_WORD: u64 = 0x6368_696c_6400_0002;
/// A word read as `%fs:ADDR` while the base is 0.
static PROBE: u64 = 0x7072_6f62_6500_0003;

fn addr(w: &'static u64) -> u64 {
    w as *const u64 as u64
}

/// The child's exit codes.
const NOT_ZERO_AT_START: i32 = 10;
const SET_FAILED: i32 = 11;
const LOST: i32 = 20;

fn child_main(_arg: u64) -> ! {
    if fs_read(addr(&PROBE)) != PROBE {
        exit(NOT_ZERO_AT_START)
    }
    if fs_base_set(addr(&CHILD_WORD)).is_err() {
        exit(SET_FAILED)
    }
    for round in 0..ROUNDS {
        child::spin(u64::from(round));
        if fs_read(0) != CHILD_WORD {
            exit(LOST)
        }
        let _ = yield_now();
    }
    exit(0)
}

fn meaning(code: u64) -> &'static str {
    match code as i32 {
        NOT_ZERO_AT_START => "a new thread's FS base was not 0",
        SET_FAILED => "fs_base_set failed in the child",
        LOST => "the child's FS base changed across a switch",
        _ => "unexpected exit code",
    }
}

fn parent_intact(t: Ctx, round: u32) -> Outcome {
    let got = fs_read(0);
    t.check(
        got == PARENT_WORD,
        format_args!("round {round}: %fs:0 reads {got:#x}, expected {PARENT_WORD:#x}"),
    )
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    // A fresh root task has FS base 0; 0 may also be set.
    t.check(
        fs_read(addr(&PROBE)) == PROBE,
        format_args!("the root task's FS base is not 0 at start"),
    )?;
    t.ok("fs_base_set(0)", fs_base_set(0))?;
    t.ok("fs_base_set(parent word)", fs_base_set(addr(&PARENT_WORD)))?;
    parent_intact(t, 0)?;
    for bad in [
        USER_END,
        USER_END + 0x1000,
        0xffff_8000_0000_0000,
        0xffff_ffff_8000_0000,
        u64::MAX,
    ] {
        t.err(
            "fs_base_set outside the user range",
            fs_base_set(bad),
            Error::BadAddress,
        )?;
        parent_intact(t, 0)?;
    }

    let rounds = child::yield_until_ended(t, args, child_main, ROUNDS, meaning, |r| {
        parent_intact(t, r)
    })?;
    t.ok("fs_base_set(0) at the end", fs_base_set(0))?;
    t.check(
        fs_read(addr(&PROBE)) == PROBE,
        format_args!("FS base 0 did not take"),
    )?;
    t.note(format_args!(
        "{rounds} switches; each thread kept its own FS base"
    ));
    Ok(())
}
