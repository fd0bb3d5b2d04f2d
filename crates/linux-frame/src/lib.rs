//! What a Linux x86_64 program sees of signals and of its children: the
//! signal numbers and their default actions ([`sig`]), the frame the
//! kernel builds on the stack to run a handler ([`frame`]: `rt_sigframe`
//! with its `ucontext` and `siginfo`), and wait statuses ([`status`]).
//! Pure byte layouts: the library OS writes them to the program's memory.

#![no_std]
#![forbid(unsafe_code)]

pub mod frame;
pub mod sig;
pub mod status;
