//! Upcalls in user space: the runtime's side of `abi::upcall`.
//!
//! A program registers one handler, `fn(&mut UpcallFrame)`, with
//! [`set_handler`]. The runtime owns everything else: a 16 KiB upcall stack
//! in its `.bss` ([`stack`]), the assembly entry the kernel jumps to
//! ([`entry_address`]), and the resume path. When the program takes an
//! exception (or, with `reflect_syscalls`, makes a `syscall` whose number
//! is not a native call) the kernel writes an [`UpcallFrame`] at the top of
//! the upcall stack and starts the entry, which calls the handler with the
//! frame and then resumes the interrupted code from the frame, including
//! anything the handler changed in it: a page the handler mapped, a `rip`
//! moved past a trapping instruction, the `rax` result of a reflected
//! call. The resume needs no second kernel entry (see [`entry`]).
//!
//! What the handler may do:
//! - make system calls (map a page, allocate a frame, print);
//! - change the frame: `rax` of a reflected call is its result; `rip` and
//!   every other register are loaded as the handler leaves them.
//!
//! What it must not do: fault itself (the kernel then kills the program:
//! `root: killed by ...`), make a reflected (non-native) system call (the
//! kernel does not nest upcalls, so that returns `NoSuchCall`), or use
//! more than [`STACK_SIZE`] bytes of stack. Registers are restored exactly
//! as the frame holds them, so a handler that rewrites registers the
//! interrupted code relies on breaks that code, the way a signal handler
//! that rewrites a saved context would; the handler is part of the
//! program, and trusted like it. Only general registers and flags are
//! saved: the runtime is built without SSE/x87 code (`x86_64-unknown-none`
//! is soft-float), so vector state is never touched by a handler.
//!
//! One thread, one handler: there is no per-thread state yet.

mod entry;
pub mod probe;

use core::cell::UnsafeCell;
use core::ops::Range;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use abi::upcall::flags::REFLECT_SYSCALLS;
use abi::{Error, UpcallFrame};

use crate::calls::sys;

pub use abi::upcall::kind;

/// Size of the runtime's upcall stack.
pub const STACK_SIZE: usize = 16 * 1024;

/// A handler: gets the interrupted state, may change it.
pub type Handler = fn(&mut UpcallFrame);

/// The upcall stack: page aligned, in `.bss`, written by the kernel (the
/// frame) and used by the handler as its stack. Rust code never makes a
/// reference to it; only its address is taken.
#[repr(C, align(4096))]
struct UpcallStack(UnsafeCell<[u8; STACK_SIZE]>);

// SAFETY: the stack is never read or written through Rust references;
// the kernel writes the frame into it and the handler runs on it, one
// upcall at a time (the kernel never nests upcalls).
unsafe impl Sync for UpcallStack {}

static STACK: UpcallStack = UpcallStack(UnsafeCell::new([0; STACK_SIZE]));

/// The registered handler, as a data pointer (null: none).
static HANDLER: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Number of upcalls the runtime has dispatched.
static DELIVERED: AtomicU64 = AtomicU64::new(0);

/// The upcall stack's address range.
pub fn stack() -> Range<u64> {
    let base = STACK.0.get() as u64;
    base..base + STACK_SIZE as u64
}

/// The address of the runtime's upcall entry (the assembly stub the kernel
/// starts; it calls the registered handler and resumes).
pub fn entry_address() -> u64 {
    entry::address()
}

/// How many upcalls the runtime has dispatched to a handler so far.
pub fn delivered() -> u64 {
    DELIVERED.load(Ordering::Relaxed)
}

/// Registers `handler` for every exception of the program and, if
/// `reflect_syscalls`, for every `syscall` with a non-native number (a
/// Linux number). Replaces any handler registered before. On an error the
/// previous registration stays in force.
pub fn set_handler(handler: Handler, reflect_syscalls: bool) -> Result<(), Error> {
    let previous = HANDLER.swap(handler as *mut (), Ordering::SeqCst);
    let flags = if reflect_syscalls {
        REFLECT_SYSCALLS
    } else {
        0
    };
    let range = stack();
    let r = sys::set_upcall(entry_address(), range.start, range.end - range.start, flags);
    if r.is_err() {
        HANDLER.store(previous, Ordering::SeqCst);
    }
    r
}

/// Registers `handler` as [`set_handler`] does, on the runtime's upcall
/// stack, with any [`abi::upcall::flags`]: `REFLECT_SYSCALLS`, and
/// `PREEMPT` for an upcall of kind [`kind::PREEMPTED`] each time the timer
/// takes the CPU from the program while it runs its own code (the frame
/// is the interrupted state; returning from the handler resumes it).
pub fn set_handler_flags(handler: Handler, flags: u64) -> Result<(), Error> {
    let previous = HANDLER.swap(handler as *mut (), Ordering::SeqCst);
    let range = stack();
    let r = sys::set_upcall(entry_address(), range.start, range.end - range.start, flags);
    if r.is_err() {
        HANDLER.store(previous, Ordering::SeqCst);
    }
    r
}

/// Registers `handler` as [`set_handler`] does, but on the caller's own
/// upcall stack `stack` (page aligned, mapped writable for as long as the
/// registration lasts) and with any [`abi::upcall::flags`]. A library OS
/// whose handlers need more room than [`STACK_SIZE`] uses this.
pub fn set_handler_on(handler: Handler, stack: Range<u64>, flags: u64) -> Result<(), Error> {
    let previous = HANDLER.swap(handler as *mut (), Ordering::SeqCst);
    let r = sys::set_upcall(
        entry_address(),
        stack.start,
        stack.end.saturating_sub(stack.start),
        flags,
    );
    if r.is_err() {
        HANDLER.store(previous, Ordering::SeqCst);
    }
    r
}

pub use entry::{in_resume, resume};

/// Removes the handler: exceptions kill the program again and non-native
/// system calls return `NoSuchCall`.
pub fn clear_handler() -> Result<(), Error> {
    sys::set_upcall(0, 0, 0, 0)?;
    HANDLER.store(core::ptr::null_mut(), Ordering::SeqCst);
    Ok(())
}

/// Registers an upcall entry and stack directly (`SetUpcall`: entry
/// `entry`, stack `[base, base + size)`, `abi::upcall::flags` `flags`;
/// `entry` = 0 removes the registration). For tests of the kernel's
/// checks; programs use [`set_handler`].
///
/// # Safety
///
/// The kernel will start `entry` with `rsp` near `base + size` on the
/// program's next exception: `entry` must be code that expects exactly
/// that, and the stack must be memory nothing else uses; or else the
/// stack must be unusable (unmapped), so that the kernel kills the program
/// instead of delivering. [`entry_address`] with a stack nobody maps is
/// such a combination.
pub unsafe fn set_upcall(entry: u64, base: u64, size: u64, flags: u64) -> Result<(), Error> {
    sys::set_upcall(entry, base, size, flags)
}

/// Called by the entry stub on the upcall stack with the frame's address.
extern "C" fn dispatch(frame: *mut UpcallFrame) {
    DELIVERED.fetch_add(1, Ordering::Relaxed);
    let raw = HANDLER.load(Ordering::SeqCst);
    if raw.is_null() {
        panic!("exo-rt: upcall with no handler registered");
    }
    // SAFETY: `HANDLER` only ever holds null or a pointer made from a
    // `Handler` in `set_handler`, so this turns it back into that function
    // pointer (fn and data pointers have the same size here).
    let handler = unsafe { core::mem::transmute::<*mut (), Handler>(raw) };
    // The kernel wrote a whole, 16-byte-aligned `UpcallFrame` at `frame`,
    // at the top of the runtime's upcall stack, and nothing else refers to
    // it while the handler runs (upcalls do not nest; the stub reads it
    // again only after this returns).
    // SAFETY: sound for the reasons just given.
    let frame = unsafe { &mut *frame };
    handler(frame);
}
