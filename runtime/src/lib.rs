//! `exo-rt`: the native runtime of ExoV6 user programs (target
//! `x86_64-unknown-none`).
//!
//! It owns the program's entry point (`_start`, which builds the
//! [`StartArgs`] from the registers the kernel set and calls the function
//! named by [`entry!`]), one typed function per system call of
//! [`abi::Syscall`] over a single `syscall` helper, [`print!`] /
//! [`println!`] on the kernel console, a panic handler that prints
//! `panic: ...` and exits with code 101, and [`upcall`]: exception and
//! syscall-reflection handlers with a runtime-owned upcall stack, and
//! [`ipc`]: endpoints, call / receive / reply, environment creation and
//! [`ipc::spawn`], which runs a function of the program in a child
//! environment built from a copy of the program's own image.
//!
//! A program looks like this (its `build.rs` passes `runtime/user.ld` to
//! the linker, see `user/root/build.rs`):
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! exo_rt::entry!(main);
//! fn main(args: &exo_rt::StartArgs) -> i32 {
//!     exo_rt::println!("hello, {} bytes of command line", args.cmdline.len());
//!     0
//! }
//! ```
//!
//! Also [`info`], a read-only view of the kernel's info page, and
//! [`ports`], `in` / `out` on ports opened with [`ports_enable`].
//!
//! `unsafe` code in user space lives only here, in the entry and
//! system-call layer ([`start`], [`syscall`], [`memory`], [`upcall`],
//! [`ipc`], [`info`], [`ports`], [`tsc`] for `rdtsc`, [`fpu`] for the
//! x87/SSE registers and [`tls`] for reads through FS); every block says
//! why it is sound.

#![no_std]

pub mod calls;
pub mod fpu;
#[cfg(feature = "heap")]
pub mod heap;
pub mod hwrand;
pub mod info;
pub mod ipc;
pub mod memory;
mod panic;
pub mod ports;
pub mod print;
pub mod start;
pub mod syscall;
pub mod tls;
pub mod tsc;
pub mod upcall;

pub use abi;
pub use calls::*;
pub use start::StartArgs;
pub use syscall::syscall6;
