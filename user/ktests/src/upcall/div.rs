//! `utest=upcall-div`: a divide error (vector 0) goes to the handler,
//! which skips the `div` by advancing `rip` by its length and sets `rax`;
//! the program goes on after the instruction with that `rax`, three times.

use core::sync::atomic::{compiler_fence, AtomicU64, Ordering};

use abi::upcall::kind;
use abi::UpcallFrame;
use exo_rt::upcall::probe::{divide_error, DIVIDE_INSN_LEN};
use exo_rt::upcall::{clear_handler, set_handler};
use exo_rt::StartArgs;

use super::handler_fail;
use crate::check::{Ctx, Outcome};

/// What the handler puts in `rax`.
const MARK: u64 = 0xd1d0_0000;

static TRAPS: AtomicU64 = AtomicU64::new(0);
static DIVIDEND: AtomicU64 = AtomicU64::new(0);

fn handler(frame: &mut UpcallFrame) {
    if frame.kind != kind::EXCEPTION || frame.vector != 0 || frame.error != 0 {
        handler_fail(
            "upcall-div",
            format_args!(
                "kind {} vector {} error {}: expected a divide error",
                frame.kind, frame.vector, frame.error
            ),
        );
    }
    if frame.rax != DIVIDEND.load(Ordering::SeqCst) || frame.rcx != 0 {
        handler_fail(
            "upcall-div",
            format_args!("rax {:#x} rcx {:#x} at the fault", frame.rax, frame.rcx),
        );
    }
    TRAPS.fetch_add(1, Ordering::SeqCst);
    frame.rip += DIVIDE_INSN_LEN;
    frame.rax += MARK;
}

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    t.ok("set_handler", set_handler(handler, false))?;
    for i in 1..=3u64 {
        DIVIDEND.store(i * 100, Ordering::SeqCst);
        compiler_fence(Ordering::SeqCst);
        let got = divide_error(i * 100);
        compiler_fence(Ordering::SeqCst);
        t.check(
            got == MARK + i * 100,
            format_args!(
                "division #{i} gave {got:#x}, expected {:#x}",
                MARK + i * 100
            ),
        )?;
        let traps = TRAPS.load(Ordering::SeqCst);
        t.check(
            traps == i,
            format_args!("after division #{i} the handler ran {traps} times"),
        )?;
    }
    t.note(format_args!("three divide errors skipped; still running"));
    t.ok("clear_handler", clear_handler())
}
