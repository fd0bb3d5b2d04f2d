//! The upcall tests (`utest=upcall-*`): exceptions and reflected system
//! calls delivered to a handler registered with `exo_rt::upcall`, and the
//! cases where the kernel must kill the program instead.
//!
//! A handler is a plain `fn(&mut UpcallFrame)`, so each test keeps its
//! handler's state in statics (atomics). A handler that finds something
//! wrong cannot return an error: it prints the failure line and exits.

pub mod div;
pub mod kill;
pub mod pf;
pub mod reflect;

use core::fmt;

use abi::UpcallFrame;
use exo_rt::{exit, println};

/// Fails the test `name` from inside a handler: prints the FAIL line and
/// exits with 1 (returning would resume code that cannot go on).
pub fn handler_fail(name: &str, why: fmt::Arguments<'_>) -> ! {
    println!("utest {name}: FAIL in the handler: {why}");
    exit(1)
}

/// True if the handler is running on the runtime's upcall stack and the
/// frame sits at its top, where the kernel puts it.
pub fn on_upcall_stack(frame: &UpcallFrame) -> bool {
    let stack = exo_rt::upcall::stack();
    let here = core::ptr::addr_of!(*frame) as u64;
    let local = 0u64;
    let sp = core::ptr::addr_of!(local) as u64;
    let size = core::mem::size_of::<UpcallFrame>() as u64;
    here == (stack.end - size) & !15 && stack.contains(&sp)
}
