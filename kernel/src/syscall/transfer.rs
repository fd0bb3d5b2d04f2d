//! The calls that transfer control: they block the caller, wake another
//! environment, switch to one or end one. Their handlers check the
//! capabilities and say what to do ([`Transfer`]); [`perform`] does it,
//! the one place a system call hands the trap frame to the environment
//! layer. The environment layer writes no running caller's result: it
//! says what it is (`env::Resume`) and [`super::handle`] writes it. A
//! caller that blocks gets its result when it is woken (`env::complete`,
//! the one place that writes those).

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

/// Does `t` for the caller whose registers are in `frame`:
/// `Resume::Caller`, the caller continues with that result;
/// `Resume::Loaded`, the environment layer has set up whichever
/// environment runs next (its registers; the caller's are saved if it will
/// run again). An error leaves `frame` the caller's.
///
/// `Yield`, `YieldTo` and `RevokeRequest` may set the caller aside while
/// it stays ready (another environment runs, or its own upcall handler
/// does): their result, status 0 and no results, is written first, so
/// that it is saved with the caller's registers; a refusal writes over it.
#[inline(always)]
pub(super) fn perform(frame: &mut TrapFrame, t: Transfer) -> Result<Resume, Error> {
    let set_aside = |frame: &mut TrapFrame| env::write_result(frame, Ok(Done::Results([0; 4])));
    match t {
        Transfer::Exit(code) => {
            env::exit_current(code, frame);
            Ok(Resume::Loaded)
        }
        Transfer::Yield => {
            set_aside(frame);
            env::yield_current(frame);
            Ok(Resume::Loaded)
        }
        Transfer::Call { ep, badge } => env::ipc_call(frame, &ep, badge),
        Transfer::Recv { ep } => env::ipc_recv(frame, &ep),
        Transfer::Reply => env::ipc_reply(frame),
        Transfer::ReplyRecv { ep } => env::ipc_reply_recv(frame, &ep),
        Transfer::Wait { ntf, timeout_us } => env::wait(frame, &ntf, timeout_us),
        Transfer::YieldTo { to } => {
            set_aside(frame);
            env::yield_to(frame, to)?;
            Ok(Resume::Loaded)
        }
        Transfer::RevokeRequest {
            target,
            frames,
            grace_us,
        } => {
            set_aside(frame);
            env::revoke_request(frame, target, frames, grace_us)?;
            Ok(Resume::Loaded)
        }
        Transfer::Kill { target, code } => env::kill(frame, target, code),
    }
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
