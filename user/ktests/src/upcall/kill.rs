//! `utest=upcall-nested` and `utest=upcall-badstack`: upcalls the kernel
//! must refuse by killing the program (`root: killed by ...`), never by
//! nesting or by writing a frame where it cannot.
//!
//! `upcall-nested`: the handler of a divide error itself writes to an
//! unmapped page; a fault while `rsp` is on the upcall stack kills.
//!
//! `upcall-badstack`: first the kernel's argument checks of `SetUpcall`
//! (each refused with its error, and the program still runs); then the
//! runtime's entry is registered with an upcall stack in the scratch
//! window that nothing maps, and a page fault kills.

use abi::upcall::flags::REFLECT_SYSCALLS;
use abi::{Error, Syscall, UpcallFrame, USER_END};
use exo_rt::memory::scratch_write;
use exo_rt::upcall::probe::divide_error;
use exo_rt::upcall::{entry_address, set_handler};
use exo_rt::{println, syscall6, StartArgs};

use crate::check::{Ctx, Outcome};

/// Addresses nothing maps.
const UNMAPPED: u64 = 0x1234_5000;
const UNMAPPED_STACK: u64 = 0x7000_0000;

fn nested_handler(frame: &mut UpcallFrame) {
    println!(
        "utest upcall-nested: handler running (vector {}); faulting in it now",
        frame.vector
    );
    scratch_write(UNMAPPED, 0xdead);
    println!("utest upcall-nested: FAIL the fault in the handler returned");
    exo_rt::exit(1);
}

pub fn run_nested(t: Ctx, _args: &StartArgs) -> Outcome {
    t.ok("set_handler", set_handler(nested_handler, false))?;
    let r = divide_error(1);
    Err(t.fail(format_args!(
        "still running after the nested fault ({r:#x})"
    )))
}

fn never(_: &mut UpcallFrame) {
    println!("utest upcall-badstack: FAIL the handler ran on a stack nobody mapped");
    exo_rt::exit(1);
}

/// `SetUpcall` with raw arguments; the status.
fn set_upcall(entry: u64, base: u64, size: u64, flags: u64) -> u64 {
    syscall6(Syscall::SetUpcall as u64, [entry, base, size, flags, 0, 0]).0
}

pub fn run_badstack(t: Ctx, _args: &StartArgs) -> Outcome {
    let entry = entry_address();
    let size = 16 * 1024;
    let refused: [(u64, u64, u64, u64, Error, &str); 6] = [
        (
            entry,
            UNMAPPED_STACK,
            size,
            1 << 2,
            Error::InvalidArgument,
            "unknown flags",
        ),
        (
            entry,
            UNMAPPED_STACK,
            64,
            0,
            Error::InvalidArgument,
            "a stack smaller than two frames",
        ),
        (
            0xffff_8000_0000_0000,
            UNMAPPED_STACK,
            size,
            0,
            Error::BadAddress,
            "a kernel entry",
        ),
        (entry, 0, size, 0, Error::BadAddress, "a stack at page zero"),
        (
            entry,
            USER_END - 4096,
            size,
            0,
            Error::BadAddress,
            "a stack past USER_END",
        ),
        (
            entry,
            u64::MAX - 4095,
            size,
            REFLECT_SYSCALLS,
            Error::BadAddress,
            "a stack that wraps",
        ),
    ];
    for (entry, base, size, flags, want, what) in refused {
        let status = set_upcall(entry, base, size, flags);
        t.check(
            status == want as u64,
            format_args!("SetUpcall with {what}: status {status}, expected {want:?}"),
        )?;
    }
    t.note(format_args!("bad SetUpcall arguments refused"));

    // The runtime's entry, with a stack nobody maps.
    t.ok("set_handler", set_handler(never, false))?;
    let status = set_upcall(entry, UNMAPPED_STACK, size, 0);
    t.check(
        status == 0,
        format_args!("SetUpcall with an unmapped stack: status {status}"),
    )?;
    t.note(format_args!("faulting with an unmapped upcall stack now"));
    scratch_write(UNMAPPED, 0xdead);
    Err(t.fail(format_args!("still running after the fault")))
}
