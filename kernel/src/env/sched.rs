//! The scheduler, in one place: the CPU's time-slot scheduler (a
//! `slots::Scheduler` whose vector is built from the environments' weights,
//! proportional share with Beatty-style interleaving, with a real-time
//! class above it), the pick at timer ticks, yields and blocks (runnable
//! flags are synced from the environments' states at each decision),
//! directed yield, and loading an environment onto the CPU. Which of its
//! own threads an environment runs is its own business (one kernel thread
//! each today).
//!
//! Lock: `ENVS`, then the slot scheduler's (see `crate::object`).

use super::*;
use slots::{EnvId, Scheduler, SlotVector};

/// Rebuilds the slot vector from the environments' weights.
pub(super) fn rebuild_schedule(envs: &BTreeMap<u32, Env>) {
    let weights: Vec<(u32, u32)> = envs.values().map(|e| (e.id, e.weight)).collect();
    slots_rebuild(&weights);
}

/// The scheduler's pick (at a tick, or after a yield or block), if ready.
pub(super) fn scheduled(envs: &BTreeMap<u32, Env>, tick: bool) -> Option<u32> {
    let states = envs.values().map(|e| (e.id, e.state.is_ready()));
    slots_decide(states, tick).filter(|id| envs.get(id).is_some_and(|e| e.state.is_ready()))
}

/// Directed yield: the rest of the slot goes to `to`, which must be ready.
/// `frame` already holds the caller's result: it is saved with it.
pub fn yield_to(frame: &mut TrapFrame, to: u32) -> Result<(), Error> {
    let cur = current();
    let mut envs = ENVS.lock();
    if !envs.get(&to).is_some_and(|e| e.state.is_ready()) {
        return Err(Error::NoPartner);
    }
    if to == cur {
        return Ok(());
    }
    slots_donate(to);
    if let Some(e) = envs.get_mut(&cur) {
        e.context = *frame;
    }
    load(&mut envs, to, frame);
    Ok(())
}

/// Sets an environment's weight and real-time reservation.
pub fn set_schedule(id: u32, weight: u32, period: u32, budget: u32) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let e = envs.get_mut(&id).ok_or(Error::NoPartner)?;
    e.weight = weight;
    rebuild_schedule(&envs);
    if period != 0 && !slots_set_realtime(id, period, budget) {
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

/// The timer interrupted user mode: let the next runnable environment run.
///
/// A thread registered with `abi::upcall::flags::PREEMPT` that was running
/// its own code (not its handler) is resumed through a `PREEMPTED` upcall
/// whose frame is the interrupted state: at once if the scheduler gives it
/// the next slot too, else when it is next loaded (unless another upcall
/// is already pending for it, which then carries the same state).
pub fn on_timer(frame: &mut TrapFrame) {
    expire_waits();
    expire_revocations();
    let cur = current();
    let preempt = wants_preempt_upcall(&ENVS.lock(), cur, frame);
    reschedule(frame, true);
    if !preempt {
        return;
    }
    let kind = abi::upcall::kind::PREEMPTED;
    if current() == cur {
        if let Err(NoUpcall::Broken(why)) = deliver_upcall(frame, kind, 0, 0, 0) {
            log::debug!("env {cur}: preemption upcall not delivered: {why}");
        }
    } else if let Some(e) = ENVS.lock().get(&cur) {
        if e.pending_upcall.get().is_none() {
            e.pending_upcall.set(Some([kind, 0, 0, 0]));
        }
    }
}

/// The caller gives up the rest of its slot. `frame` already holds its
/// result: it is saved with it.
pub fn yield_current(frame: &mut TrapFrame) {
    reschedule(frame, false);
}

/// The next `Ready` environment after `after` in id order (wrapping),
/// other than `except`.
pub(super) fn next_ready(envs: &BTreeMap<u32, Env>, after: u32, except: u32) -> Option<u32> {
    let ready = |(id, e): (&u32, &Env)| (e.state.is_ready() && *id != except).then_some(*id);
    envs.range(after.saturating_add(1)..)
        .find_map(ready)
        .or_else(|| envs.iter().find_map(ready))
}

/// Loads environment `id`'s saved context into `frame` and makes it current.
/// Its x87/SSE state and FS base replace those in the CPU, which are saved
/// into the environment they belong to first.
pub(super) fn load(envs: &mut BTreeMap<u32, Env>, id: u32, frame: &mut TrapFrame) {
    let cpu = percpu::this();
    let owner = cpu.ext_owner.load(Ordering::Relaxed);
    if owner != id {
        if let Some(o) = envs.get_mut(&owner) {
            o.ext.save();
        }
    }
    let Some(e) = envs.get(&id) else { return };
    if owner != id {
        e.ext.load();
        cpu.ext_owner.store(id, Ordering::Relaxed);
    }
    *frame = e.context;
    paging::activate(e.aspace);
    arch::load_io_ports(e.io.ranges());
    if let Some([kind, vector, error, addr]) = e.pending_upcall.take() {
        let _ = deliver_into(e, frame, kind, vector, error, addr);
    }
    cpu.current_env.store(id, Ordering::Relaxed);
}

/// Asks the scheduler who runs now (at a tick, or after a yield) and
/// switches to it, saving the running environment's registers.
pub(super) fn reschedule(frame: &mut TrapFrame, tick: bool) {
    let cur = current();
    let mut envs = ENVS.lock();
    let next = scheduled(&envs, tick).or_else(|| next_ready(&envs, cur, cur));
    let Some(next) = next.filter(|n| *n != cur) else {
        return;
    };
    if let Some(e) = envs.get_mut(&cur) {
        e.context = *frame;
    }
    load(&mut envs, next, frame);
}

/// The running environment stopped running (it blocked or ended; its
/// context is saved): run the next ready one. With nothing ready the CPU
/// halts until an interrupt for as long as something can still make an
/// environment ready (see [`can_wake`]); only when nothing can is it a
/// deadlock, reported by [`report_deadlock`].
pub(super) fn run_next(frame: &mut TrapFrame) {
    let cur = percpu::this().current_env.swap(NO_ENV, Ordering::Relaxed);
    let mut envs = ENVS.lock();
    loop {
        if let Some(next) = scheduled(&envs, false).or_else(|| next_ready(&envs, cur, NO_ENV)) {
            load(&mut envs, next, frame);
            return;
        }
        if envs.is_empty() {
            drop(envs);
            all_gone()
        }
        if !can_wake(&envs) {
            report_deadlock(&envs);
            drop(envs);
            // The harness (or the person at the console) decides what
            // happens next; nothing here can change any more.
            loop {
                crate::arch::cpu::wait_for_interrupt();
                crate::arch::cpu::disable_interrupts();
            }
        }
        drop(envs);
        crate::arch::cpu::wait_for_interrupt();
        crate::arch::cpu::disable_interrupts();
        expire_waits();
        expire_revocations();
        envs = ENVS.lock();
    }
}

/// True if something can still make a blocked environment ready without
/// any environment running: a timed wait's deadline, a wait on a
/// notification bound to an interrupt line, or a revocation's deadline.
pub(super) fn can_wake(envs: &BTreeMap<u32, Env>) -> bool {
    envs.values().any(|e| {
        e.revoke.is_some()
            || matches!(&e.state, State::BlockedWait { ntf, deadline_us }
                if *deadline_us != u64::MAX || interrupt_can_signal(ntf))
    })
}

/// Prints the deadlock: every environment left and what it waits on.
fn report_deadlock(envs: &BTreeMap<u32, Env>) {
    println!(
        "kernel: deadlock: nothing can wake the {} environments left",
        envs.len()
    );
    for e in envs.values() {
        let (id, name) = (e.id, e.name);
        match &e.state {
            State::NotStarted => println!("kernel:   env {id} ({name}): not started"),
            State::Ready => println!("kernel:   env {id} ({name}): ready"),
            State::BlockedSend { ep, .. } => println!(
                "kernel:   env {id} ({name}): calls endpoint {}, nobody receives",
                ep.id()
            ),
            State::BlockedRecv { ep, .. } => println!(
                "kernel:   env {id} ({name}): receives on endpoint {}",
                ep.id()
            ),
            State::BlockedReply { server } => {
                println!("kernel:   env {id} ({name}): awaits the reply of env {server}")
            }
            State::BlockedWait { ntf, .. } => println!(
                "kernel:   env {id} ({name}): waits on notification {} (no deadline, no interrupt line)",
                ntf.id()
            ),
        }
    }
}

/// Largest slot vector (the sum of weights, capped).
const MAX_VECTOR: u64 = 4096;

/// The slot scheduler (lock order: see `crate::object`).
static SCHED: Mutex<Option<Scheduler>> = Mutex::new(None);

/// Rebuilds the slot vector for these (environment, weight) pairs.
fn slots_rebuild(weights: &[(u32, u32)]) {
    let entries: Vec<(EnvId, u32)> = weights
        .iter()
        .map(|&(id, w)| (EnvId(id), w.max(1)))
        .collect();
    let mut sched = SCHED.lock();
    if entries.is_empty() {
        *sched = None;
        return;
    }
    let total: u64 = entries.iter().map(|e| u64::from(e.1)).sum();
    match SlotVector::build(&entries, total.clamp(1, MAX_VECTOR) as usize) {
        Ok(v) => match sched.as_mut() {
            Some(s) => s.replace_vector(v),
            None => *sched = Some(Scheduler::new(v)),
        },
        Err(e) => log::error!("sched: cannot build the slot vector: {e:?}"),
    }
}

/// Who runs next: at a timer tick (`tick`), or when the running
/// environment yields or blocks. `states` says which are ready.
fn slots_decide(states: impl Iterator<Item = (u32, bool)>, tick: bool) -> Option<u32> {
    let mut guard = SCHED.lock();
    let s = guard.as_mut()?;
    for (id, ready) in states {
        let _ = s.set_runnable(EnvId(id), ready);
    }
    let d = if tick { s.tick() } else { s.yield_now() };
    d.env().map(|e| e.0)
}

/// Directed yield: the rest of the slot goes to `to`.
fn slots_donate(to: u32) -> bool {
    SCHED
        .lock()
        .as_mut()
        .is_some_and(|s| s.donate(EnvId(to)).is_ok())
}

/// Sets (`budget` > 0) or removes a real-time reservation of `budget`
/// quanta every `period` quanta. False if the CPU cannot admit it.
fn slots_set_realtime(id: u32, period: u32, budget: u32) -> bool {
    let mut guard = SCHED.lock();
    let Some(s) = guard.as_mut() else {
        return false;
    };
    let _ = s.remove_realtime(EnvId(id));
    budget == 0 || s.add_realtime(EnvId(id), period, budget).is_ok()
}

/// Forgets an environment's reservation.
pub(super) fn forget(id: u32) {
    if let Some(s) = SCHED.lock().as_mut() {
        let _ = s.remove_realtime(EnvId(id));
    }
}
