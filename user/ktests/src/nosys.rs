//! `utest=nosys`: numbers that are not native calls (a Linux number with
//! no reflection entry registered, and numbers past the last native call)
//! return `NoSuchCall`.

use abi::{Error, NATIVE_BASE};
use exo_rt::{syscall6, StartArgs};

use crate::check::{Ctx, Outcome};

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    let next = NATIVE_BASE + abi::Syscall::ALL.len() as u64;
    let numbers = [
        (39, "39 (Linux getpid)"),
        (0, "0 (Linux read)"),
        (60, "60 (Linux exit)"),
        (NATIVE_BASE + 1000, "NATIVE_BASE + 1000"),
        (next, "the first number after the native calls"),
        (NATIVE_BASE - 1, "NATIVE_BASE - 1"),
        (u64::MAX, "u64::MAX"),
    ];
    for (n, what) in numbers {
        let (status, _) = syscall6(n, [1, 2, 3, 4, 5, 6]);
        t.check(
            status == Error::NoSuchCall as u64,
            format_args!(
                "syscall {what} returned status {status}, expected {} (NoSuchCall)",
                Error::NoSuchCall as u64
            ),
        )?;
    }
    Ok(())
}
