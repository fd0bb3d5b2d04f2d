//! What a system call leaves in its caller's registers, and the two times
//! it is written. At call time the environment layer only says what the
//! caller's result is ([`Resume`]); `syscall::handle` writes it, the one
//! place that writes a running caller's status and results. A caller that
//! blocked gets its result later, when something wakes it (a message or a
//! reply arrives, a signal's bits, a deadline, the object or its partner
//! going away): every such write is [`complete`], the one place a woken
//! environment's result is written.

use super::*;

/// A call's results when it succeeds (status 0).
pub enum Done {
    /// Results `r0..r3`.
    Results([u64; 4]),
    /// A message received: the sender's badge (`abi::ipc::NOTICE_BADGE`
    /// for a kernel notice), its six words, and whether a capability came
    /// with it.
    Received {
        badge: u64,
        msg: [u64; 6],
        cap: bool,
    },
    /// A reply to a call: badge 0 and its six words (the caller's `r13`
    /// is left as it was).
    Replied([u64; 6]),
}

/// How a call that may switch environments ends for its caller.
pub enum Resume {
    /// The caller continues now with this result.
    Caller(Done),
    /// The frame holds what runs next: another environment (the caller
    /// blocked, and [`complete`] writes its result when it is woken; or it
    /// ended), or the caller itself with its result already in place (the
    /// calls that may set a caller aside while it stays ready get their
    /// result before the call, `syscall::transfer::perform` says which).
    Loaded,
}

/// Writes a call's status and results into its caller's registers.
#[inline(always)]
pub fn write_result(frame: &mut TrapFrame, result: Result<Done, Error>) {
    match result {
        Ok(Done::Results(r)) => frame.set_syscall_result(0, r),
        Ok(Done::Received { badge, msg, cap }) => {
            frame.set_ipc_result(0, badge, msg);
            frame.set_ipc_cap_received(cap);
        }
        Ok(Done::Replied(msg)) => frame.set_ipc_result(0, 0, msg),
        Err(e) => frame.set_syscall_result(e as u64, [0; 4]),
    }
}

/// Ends the blocking call of `waiter`'s thread with `result` and makes it
/// ready to run.
#[inline(always)]
pub(super) fn complete(waiter: &mut Env, result: Result<Done, Error>) {
    write_result(&mut waiter.context, result);
    waiter.state = State::Ready;
}
