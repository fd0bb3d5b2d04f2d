//! The calls that transfer control: they block the caller, wake another
//! environment, switch to one or end one. Their handlers check the
//! capabilities and say what to do ([`Transfer`]); [`perform`] does it,
//! the one place a system call hands the trap frame to the environment
//! layer.

use alloc::sync::Arc;

use super::lookup::{Endpoint, Notification, Thread};
use super::*;
use crate::object;

/// A control transfer a handler asks for.
pub(super) enum Transfer {
    /// End the caller with this exit code.
    Exit(u64),
    /// Give up the rest of the slot.
    Yield,
    /// Call the endpoint, through a capability with this badge.
    Call {
        ep: Arc<object::Endpoint>,
        badge: u64,
    },
    /// Receive on the endpoint.
    Recv { ep: Arc<object::Endpoint> },
    /// Reply to the pending caller.
    Reply,
    /// Reply if a call is pending, then receive on the endpoint.
    ReplyRecv { ep: Arc<object::Endpoint> },
    /// Wait on the notification.
    Wait {
        ntf: Arc<object::Notification>,
        timeout_us: u64,
    },
    /// Donate the rest of the slot to the environment.
    YieldTo { to: u32 },
    /// Ask the environment for frames back.
    RevokeRequest {
        target: u32,
        frames: u64,
        grace_us: u64,
    },
    /// End the environment.
    Kill { target: u32, code: u64 },
}

/// Does `t` for the caller whose registers are in `frame`. `Some` results:
/// the caller continues with status 0 and them. `None`: the environment
/// layer has set up whichever environment runs next (its registers, the
/// caller's too if it will run again later). An error leaves `frame` the
/// caller's.
#[inline(always)]
pub(super) fn perform(frame: &mut TrapFrame, t: Transfer) -> Result<Option<[u64; 4]>, Error> {
    match t {
        Transfer::Exit(code) => env::exit_current(code, frame),
        Transfer::Yield => {
            // The result first: the caller's registers are saved as they are.
            frame.set_syscall_result(0, [0; 4]);
            env::yield_current(frame);
        }
        Transfer::Call { ep, badge } => env::ipc_call(frame, &ep, badge),
        Transfer::Recv { ep } => env::ipc_recv(frame, &ep),
        Transfer::Reply => {
            env::ipc_reply(frame)?;
            return Ok(Some(frame.ipc_message_results()));
        }
        Transfer::ReplyRecv { ep } => env::ipc_reply_recv(frame, &ep),
        Transfer::Wait { ntf, timeout_us } => env::wait(frame, &ntf, timeout_us),
        Transfer::YieldTo { to } => env::yield_to(frame, to)?,
        Transfer::RevokeRequest {
            target,
            frames,
            grace_us,
        } => env::revoke_request(frame, target, frames, grace_us)?,
        Transfer::Kill { target, code } => env::kill(frame, target, code)?,
    }
    Ok(None)
}

fn transfer(t: Transfer) -> Outcome {
    Ok(Next::Transfer(t))
}

pub(super) fn exit(_: &Caller, a: args::Exit) -> Outcome {
    transfer(Transfer::Exit(a.code))
}

pub(super) fn yield_now(_: &Caller, _: args::Yield) -> Outcome {
    transfer(Transfer::Yield)
}

pub(super) fn call(me: &Caller, a: args::Call) -> Outcome {
    let ep = lookup::<Endpoint>(me, a.ep, Rights::EXECUTE)?;
    transfer(Transfer::Call {
        ep: ep.ep,
        badge: ep.badge,
    })
}

pub(super) fn recv(me: &Caller, a: args::Recv) -> Outcome {
    let ep = lookup::<Endpoint>(me, a.ep, Rights::READ)?;
    transfer(Transfer::Recv { ep: ep.ep })
}

pub(super) fn reply(_: &Caller, _: args::Reply) -> Outcome {
    transfer(Transfer::Reply)
}

pub(super) fn reply_recv(me: &Caller, a: args::ReplyRecv) -> Outcome {
    let ep = lookup::<Endpoint>(me, a.ep, Rights::READ)?;
    transfer(Transfer::ReplyRecv { ep: ep.ep })
}

pub(super) fn wait(me: &Caller, a: args::Wait) -> Outcome {
    let Notification(ntf) = lookup(me, a.ntf, Rights::READ)?;
    transfer(Transfer::Wait {
        ntf,
        timeout_us: a.timeout_us,
    })
}

pub(super) fn yield_to(me: &Caller, a: args::YieldTo) -> Outcome {
    let Thread(to) = lookup(me, a.thread, Rights::READ)?;
    transfer(Transfer::YieldTo { to })
}

pub(super) fn revoke_request(me: &Caller, a: args::RevokeRequest) -> Outcome {
    let Thread(target) = lookup(me, a.thread, Rights::WRITE)?;
    transfer(Transfer::RevokeRequest {
        target,
        frames: a.frames,
        grace_us: a.grace_us,
    })
}

pub(super) fn env_kill(me: &Caller, a: args::EnvKill) -> Outcome {
    let Thread(target) = lookup(me, a.thread, Rights::WRITE)?;
    transfer(Transfer::Kill {
        target,
        code: a.code,
    })
}
