//! Protected control transfer over endpoints (`object::endpoint` keeps
//! their queues): call, receive, reply and reply-and-wait switching
//! straight between environments; capability transfer; kernel notices.
//!
//! The caller's result at call time is returned ([`Resume`]); a blocked
//! caller's or receiver's is written by [`complete`] when it is woken.
//!
//! Lock: `ENVS`, then the endpoint's queues (released before anything
//! else), then `CAPS` for a transfer (see `crate::object`).

use super::*;
use crate::object::endpoint::Pending;

/// The endpoint's object is gone: everyone queued on it fails.
pub(super) fn endpoint_gone(ep: &Endpoint) {
    let mut envs = ENVS.lock();
    let (senders, receivers) = ep.close();
    for id in senders.iter().chain(receivers.iter()) {
        if let Some(w) = envs.get_mut(id) {
            complete(w, Err(Error::NoPartner));
        }
    }
}

/// `Call`: deliver to a waiting receiver and switch straight to it, or
/// queue the caller. Either way the caller blocks for the reply.
pub fn ipc_call(frame: &mut TrapFrame, ep: &Arc<Endpoint>, badge: u64) -> Result<Resume, Error> {
    let me = current();
    let msg = frame.ipc_message();
    let mut envs = ENVS.lock();
    let receiver = ep.call(me).map_err(|_| Error::NoPartner)?;
    let cap = frame.ipc_cap();
    let from = envs.get_mut(&me).map(|caller| {
        caller.context = *frame;
        caller.state = match receiver {
            Some(server) => State::BlockedReply { server },
            None => State::BlockedSend {
                ep: ep.clone(),
                badge,
                msg,
                cap,
            },
        };
        caller.cspace
    });
    let Some((r, server)) = receiver.and_then(|r| envs.get_mut(&r).map(|e| (r, e))) else {
        drop(envs);
        run_next(frame);
        return Ok(Resume::Loaded);
    };
    let received = match (from, &server.state) {
        (Some(from), State::BlockedRecv { cap_slot, .. }) => {
            transfer_cap(from, cap, server.cspace, *cap_slot)
        }
        _ => false,
    };
    let got = Done::Received {
        badge,
        msg,
        cap: received,
    };
    complete(server, Ok(got));
    server.reply_to = Some(me);
    load(&mut envs, r, frame);
    Ok(Resume::Loaded)
}

/// Copies the capability in slot `cap` of `from` (GRANT and DERIVE) into
/// empty slot `slot` of `to`. False if either side declined or it failed.
pub(super) fn transfer_cap(from: CSpaceId, cap: u64, to: CSpaceId, slot: u64) -> bool {
    let (Ok(cap), Ok(slot)) = (u32::try_from(cap), u32::try_from(slot)) else {
        return false;
    };
    let (src, dst) = (
        captree::SlotAddr::new(from, cap),
        captree::SlotAddr::new(to, slot),
    );
    let mut caps = CAPS.lock();
    caps.lookup(src, captree::Rights::GRANT.union(captree::Rights::DERIVE))
        .is_ok()
        && caps.copy(src, dst).is_ok()
}

/// `Recv`: take a queued notice or call, or block until one comes.
pub fn ipc_recv(frame: &mut TrapFrame, ep: &Arc<Endpoint>) -> Result<Resume, Error> {
    receive_or_block(frame, ep, None)
}

/// What the running environment, whose registers are in `frame`, takes
/// from `ep`: a queued notice or call (`None` if nothing is queued).
fn try_receive(frame: &TrapFrame, ep: &Endpoint) -> Result<Option<Done>, Error> {
    let me = current();
    let mut envs = ENVS.lock();
    let s = match ep.receive().map_err(|_| Error::NoPartner)? {
        Pending::Notice(n) => {
            return Ok(Some(Done::Received {
                badge: abi::ipc::NOTICE_BADGE,
                msg: n,
                cap: false,
            }))
        }
        Pending::Nothing => return Ok(None),
        Pending::Caller(s) => s,
    };
    let my_cspace = envs.get_mut(&me).map(|server| {
        server.reply_to = Some(s);
        server.cspace
    });
    // A queued caller is blocked sending (the endpoint's invariant).
    let Some(sender) = envs.get_mut(&s) else {
        return Err(Error::NoPartner);
    };
    let State::BlockedSend {
        badge, msg, cap, ..
    } = sender.state
    else {
        return Err(Error::NoPartner);
    };
    sender.state = State::BlockedReply { server: me };
    let received =
        my_cspace.is_some_and(|to| transfer_cap(sender.cspace, cap, to, frame.ipc_cap()));
    Ok(Some(Done::Received {
        badge,
        msg,
        cap: received,
    }))
}

/// Receives what is queued on `ep`, or blocks the running environment on
/// it (see [`block_on`]).
fn receive_or_block(
    frame: &mut TrapFrame,
    ep: &Arc<Endpoint>,
    prefer: Option<u32>,
) -> Result<Resume, Error> {
    match try_receive(frame, ep)? {
        Some(got) => Ok(Resume::Caller(got)),
        None => {
            block_on(frame, ep, prefer);
            Ok(Resume::Loaded)
        }
    }
}

/// Blocks the running environment on `ep`, switching to `prefer` if it is
/// ready, else to the next ready environment.
pub(super) fn block_on(frame: &mut TrapFrame, ep: &Arc<Endpoint>, prefer: Option<u32>) {
    let me = current();
    let mut envs = ENVS.lock();
    ep.wait_for_caller(me);
    if let Some(e) = envs.get_mut(&me) {
        e.context = *frame;
        e.state = State::BlockedRecv {
            ep: ep.clone(),
            cap_slot: frame.ipc_cap(),
        };
    }
    match prefer.filter(|p| envs.get(p).is_some_and(|e| e.state.is_ready())) {
        Some(p) => load(&mut envs, p, frame),
        None => {
            drop(envs);
            run_next(frame);
        }
    }
}

/// Delivers `msg` as the reply to the running environment's pending
/// caller. Returns the caller.
pub(super) fn reply_to_caller(msg: [u64; 6]) -> Result<u32, Error> {
    let me = current();
    let mut envs = ENVS.lock();
    let c = envs
        .get_mut(&me)
        .and_then(|e| e.reply_to.take())
        .ok_or(Error::NoPartner)?;
    let caller = envs.get_mut(&c).ok_or(Error::NoPartner)?;
    if !caller.state.awaits_reply_of(me) {
        return Err(Error::NoPartner);
    }
    complete(caller, Ok(Done::Replied(msg)));
    Ok(c)
}

/// `Reply`: the replier continues with its own message's first words as
/// its results.
pub fn ipc_reply(frame: &TrapFrame) -> Result<Resume, Error> {
    reply_to_caller(frame.ipc_message())?;
    Ok(Resume::Caller(Done::Results(frame.ipc_message_results())))
}

/// `ReplyRecv`: reply if a call is pending, then receive; when nothing is
/// queued, switch straight back to the caller just answered.
pub fn ipc_reply_recv(frame: &mut TrapFrame, ep: &Arc<Endpoint>) -> Result<Resume, Error> {
    let caller = reply_to_caller(frame.ipc_message()).ok();
    receive_or_block(frame, ep, caller)
}

/// A kernel notice on endpoint `ep`: to a waiting receiver at once, else
/// queued for the next `Recv`.
pub(super) fn send_notice(envs: &mut BTreeMap<u32, Env>, ep: &Endpoint, notice: [u64; 6]) {
    if let Some(r) = ep.notice(notice).and_then(|r| envs.get_mut(&r)) {
        let got = Done::Received {
            badge: abi::ipc::NOTICE_BADGE,
            msg: notice,
            cap: false,
        };
        complete(r, Ok(got));
    }
}
