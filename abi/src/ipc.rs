//! Protected control transfer: the register convention of `Call`, `Recv`,
//! `Reply` and `ReplyRecv`, and the kernel's notices.
//!
//! A message is six words in `rsi, rdx, r10, r8, r9, r12`, both ways; the
//! endpoint slot goes in `rdi` and the status comes back in `rax`. `Recv`
//! and `ReplyRecv` return the caller's badge (from the capability it called
//! through, see `CapMint`) in `rdi`. A call to a waiting receiver switches
//! straight to it, and its reply straight back: the caller's time slice is
//! donated, no scheduler decision is made on the way.

/// Capability transfer (the slow path): a caller puts the slot of a
/// capability (GRANT and DERIVE) in `r13` (`u64::MAX`: none); a receiver
/// puts an empty slot for an incoming capability in `r13` (`u64::MAX`: it
/// takes none). At the rendezvous the kernel copies the capability into the
/// receiver's slot and returns 1 in the receiver's `r13` (0 if nothing
/// arrived: none sent, none accepted, or the slot was taken). Sending a
/// frame capability is how a page is granted.
pub const NO_CAP: u64 = u64::MAX;

/// Message words per transfer.
pub const MSG_WORDS: usize = 6;

/// The badge of a message the kernel itself sends.
pub const NOTICE_BADGE: u64 = u64::MAX;

/// Word 0 of a kernel notice: a child environment ended. Word 1 is its id,
/// word 2 is 0 for an exit and the exception vector + 1 for a fault, word 3
/// the exit code or the fault address, words 4 and 5 the CPU time it used
/// (user and kernel timer ticks, as `EnvTimes` gives them).
pub const NOTICE_CHILD_ENDED: u64 = 1;

/// Word 2 of a [`NOTICE_CHILD_ENDED`] notice when the child was ended by
/// [`crate::Syscall::EnvKill`] (word 3 is the killer's code).
pub const HOW_KILLED: u64 = 0x1_0000;
