//! `utest=panic`: the runtime's guard and panic handler. Unmapping the
//! program's own image must be refused by `exo-rt` with a panic (it never
//! reaches the kernel), which prints `panic: exo-rt: refusing to unmap the
//! program's own memory at 0x400000 ...` and exits with code 101.

use exo_rt::memory::image;
use exo_rt::{unmap, StartArgs};

use crate::check::{Ctx, Outcome};

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    t.note(format_args!(
        "unmapping the program image; expecting a panic"
    ));
    let r = unmap(image().start);
    Err(t.fail(format_args!("unmap of the program image returned {r:?}")))
}
