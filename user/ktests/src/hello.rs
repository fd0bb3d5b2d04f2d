//! `utest=hello`: `debug_write` writes and returns the byte count; a
//! zero-length write from a valid buffer returns 0.

use exo_rt::{debug_write, StartArgs};

use crate::check::{Ctx, Outcome};

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    let line = b"utest hello: debug_write says hello\n";
    let n = t.ok("debug_write", debug_write(line))?;
    t.check(
        n == line.len(),
        format_args!("debug_write returned {n}, expected {}", line.len()),
    )?;
    let n = t.ok("debug_write of 0 bytes", debug_write(&line[..0]))?;
    t.check(n == 0, format_args!("debug_write of 0 bytes returned {n}"))
}
