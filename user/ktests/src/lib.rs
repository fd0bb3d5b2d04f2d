//! The user-space tests, selected by `utest=NAME` on the kernel command
//! line. Each prints `utest NAME: pass` and returns 0, or prints
//! `utest NAME: FAIL <why>` and returns 1 (`fault`, `panic`, `upcall-nested`
//! and `upcall-badstack` end the program instead: the kernel kills it, or
//! the runtime panics). `cargo xtask test` runs each
//! as a QEMU test `user-NAME` (`xtask/src/test/qemu_tests.rs`).

#![no_std]
#![forbid(unsafe_code)]

mod badptr;
mod caps;
mod check;
mod child;
mod console;
mod cspace_size;
mod deadlock;
mod exhaust;
mod fault;
mod fpu;
mod fsbase;
mod fuzz;
mod grant;
mod hello;
mod info;
mod ipc;
mod kill;
mod map;
mod map_target;
mod mint_into;
mod mmio;
mod nosys;
mod notify;
mod panic;
mod ports;
mod preempt;
mod quota;
mod ramdisk;
mod revoke;
mod rng;
mod sched;
mod upcall;
mod yield_block;

use exo_rt::{println, StartArgs};

use crate::check::{Ctx, Outcome};

/// A test: gets its context and the start arguments.
type Test = fn(Ctx, &StartArgs) -> Outcome;

/// Every test: name and function.
const TESTS: &[(&str, Test)] = &[
    ("hello", hello::run),
    ("caps", caps::run),
    ("map", map::run),
    ("badptr", badptr::run),
    ("nosys", nosys::run),
    ("fault", fault::run),
    ("exhaust", exhaust::run),
    ("fuzz", fuzz::run),
    ("panic", panic::run),
    ("upcall-pf", upcall::pf::run),
    ("upcall-reflect", upcall::reflect::run_reflect),
    ("upcall-div", upcall::div::run),
    ("upcall-none", upcall::reflect::run_none),
    ("upcall-nested", upcall::kill::run_nested),
    ("upcall-badstack", upcall::kill::run_badstack),
    ("ipc", ipc::run),
    ("ipc-server-exit", ipc::run_server_exit),
    ("child-fault", ipc::run_child_fault),
    ("notify", notify::run),
    ("ports-irq", ports::run_irq),
    ("ports-denied", ports::run_denied),
    ("ports-deleted", ports::run_deleted),
    ("ports-revoked", ports::run_revoked),
    ("mmio", mmio::run),
    ("info", info::run),
    ("info-readonly", info::run_readonly),
    ("quota", quota::run),
    ("sched", sched::run),
    ("yield-block", yield_block::run),
    ("ramdisk", ramdisk::run),
    ("revoke", revoke::run),
    ("grant", grant::run),
    ("fpu", fpu::run),
    ("fsbase", fsbase::run),
    ("mint-into", mint_into::run),
    ("map-target", map_target::run),
    ("cspace-size", cspace_size::run),
    ("kill", kill::run),
    ("console", console::run),
    ("preempt", preempt::run),
    ("deadlock", deadlock::run),
];

/// A free slot for tests to use: `abi::root_slots::FIRST_FREE + i`.
pub fn free(i: u32) -> u32 {
    abi::root_slots::FIRST_FREE + i
}

/// Runs the test named `name`; returns the exit code.
pub fn run(name: &[u8], args: &StartArgs) -> i32 {
    let Some(&(name, test)) = TESTS.iter().find(|(n, _)| n.as_bytes() == name) else {
        let shown = core::str::from_utf8(name).unwrap_or("(not UTF-8)");
        println!("utest {shown}: FAIL no such test; the tests are:");
        for (n, _) in TESTS {
            println!("  {n}");
        }
        return 1;
    };
    let ctx = Ctx { name };
    match test(ctx, args) {
        Ok(()) => {
            println!("utest {name}: pass");
            0
        }
        Err(_) => 1,
    }
}
