//! `utest=fault`: writes to an unmapped user address. The kernel must kill
//! the task (it prints `root: killed by #PF page fault ...`) and keep
//! running; nothing after the write may happen.

use exo_rt::memory::scratch_write;
use exo_rt::StartArgs;

use crate::check::{Ctx, Outcome};

/// An address nothing maps.
const UNMAPPED: u64 = 0x1234_5000;

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    t.note(format_args!("faulting now"));
    scratch_write(UNMAPPED, 0xdead);
    Err(t.fail(format_args!("still alive after writing to {UNMAPPED:#x}")))
}
