//! Upcalls: a thread's registered handler, and delivering an exception,
//! a reflected system call, a revocation request or a preemption to it.

use super::*;

/// A registered upcall handler.
#[derive(Clone, Debug)]
pub struct Upcall {
    pub entry: u64,
    pub stack: core::ops::Range<u64>,
    pub reflect_syscalls: bool,
    /// Resume the thread through a `PREEMPTED` upcall after the timer
    /// took the CPU from it (`abi::upcall::flags::PREEMPT`).
    pub preempt: bool,
}

/// Why an upcall could not be delivered.
pub enum NoUpcall {
    /// No handler is registered (or it does not take this kind).
    NotRegistered,
    /// The handler itself faulted, or its stack is not writable.
    Broken(&'static str),
}

/// Registers (or with `None` removes) the running environment's handler.
pub fn set_upcall(id: u32, upcall: Option<Upcall>) {
    if let Some(e) = ENVS.lock().get_mut(&id) {
        e.upcall = upcall;
    }
}

/// True if the running environment's thread, interrupted by the timer in
/// user mode with the state in `frame`, asked for `PREEMPTED` upcalls and
/// was not in its handler (its `rsp` outside the upcall stack).
pub(super) fn wants_preempt_upcall(envs: &BTreeMap<u32, Env>, id: u32, frame: &TrapFrame) -> bool {
    envs.get(&id)
        .and_then(|e| e.upcall.as_ref())
        .is_some_and(|up| up.preempt && !up.stack.contains(&frame.user_sp()))
}

/// Hands the interrupted state in `frame` to the running environment's
/// upcall handler: writes an `abi::UpcallFrame` at the top of its upcall
/// stack and redirects the thread to the handler's entry.
pub fn deliver_upcall(
    frame: &mut TrapFrame,
    kind: u64,
    vector: u64,
    error: u64,
    addr: u64,
) -> Result<(), NoUpcall> {
    let id = current();
    let envs = ENVS.lock();
    let e = envs.get(&id).ok_or(NoUpcall::NotRegistered)?;
    deliver_into(e, frame, kind, vector, error, addr)
}

/// Delivers an upcall to `e`, whose user context is in `frame`.
pub(super) fn deliver_into(
    e: &Env,
    frame: &mut TrapFrame,
    kind: u64,
    vector: u64,
    error: u64,
    addr: u64,
) -> Result<(), NoUpcall> {
    let up = e.upcall.clone().ok_or(NoUpcall::NotRegistered)?;
    if kind == abi::upcall::kind::SYSCALL && !up.reflect_syscalls {
        return Err(NoUpcall::NotRegistered);
    }
    if up.stack.contains(&frame.user_sp()) {
        return Err(NoUpcall::Broken("fault inside its upcall handler"));
    }
    let size = core::mem::size_of::<abi::UpcallFrame>() as u64;
    let at = (up.stack.end - size) & !15;
    let words = frame.upcall_frame(kind, vector, error, addr).to_words();
    crate::uaccess::write_user_words(e.aspace, at, &words)
        .map_err(|_| NoUpcall::Broken("upcall stack not writable"))?;
    frame.enter_upcall(up.entry, at);
    Ok(())
}
