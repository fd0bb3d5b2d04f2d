//! Choosing and switching: the slot scheduler's pick at ticks, yields and
//! blocks, directed yield, and loading an environment onto the CPU.

use super::*;

/// Rebuilds the slot vector from the environments' weights.
pub(super) fn rebuild_schedule(envs: &BTreeMap<u32, Env>) {
    let weights: Vec<(u32, u32)> = envs.values().map(|e| (e.id, e.weight)).collect();
    crate::sched::rebuild(&weights);
}

/// The scheduler's pick (at a tick, or after a yield or block), if ready.
pub(super) fn scheduled(envs: &BTreeMap<u32, Env>, tick: bool) -> Option<u32> {
    let states = envs.values().map(|e| (e.id, e.state == State::Ready));
    crate::sched::decide(states, tick)
        .filter(|id| envs.get(id).is_some_and(|e| e.state == State::Ready))
}

/// Directed yield: the rest of the slot goes to `to`, which must be ready.
pub fn yield_to(frame: &mut TrapFrame, to: u32) -> Result<(), Error> {
    let cur = current();
    let mut envs = ENVS.lock();
    if !envs.get(&to).is_some_and(|e| e.state == State::Ready) {
        return Err(Error::NoPartner);
    }
    frame.set_syscall_result(0, [0; 4]);
    if to == cur {
        return Ok(());
    }
    crate::sched::donate(to);
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
    if period != 0 && !crate::sched::set_realtime(id, period, budget) {
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

/// The caller gives up the rest of its slot.
pub fn yield_current(frame: &mut TrapFrame) {
    reschedule(frame, false);
}

/// The next `Ready` environment after `after` in id order (wrapping),
/// other than `except`.
pub(super) fn next_ready(envs: &BTreeMap<u32, Env>, after: u32, except: u32) -> Option<u32> {
    let ready = |(id, e): (&u32, &Env)| (e.state == State::Ready && *id != except).then_some(*id);
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
    if owner != id && envs.contains_key(&id) {
        if let Some(o) = envs.get_mut(&owner) {
            o.ext.save();
        }
        if let Some(e) = envs.get(&id) {
            e.ext.load();
            cpu.ext_owner.store(id, Ordering::Relaxed);
        }
    }
    if let Some(e) = envs.get(&id) {
        *frame = e.context;
        paging::activate(e.aspace);
        arch::load_io_bitmap(e.io.as_deref());
        if let Some([kind, vector, error, addr]) = e.pending_upcall.take() {
            let _ = deliver_into(e, frame, kind, vector, error, addr);
        }
        percpu::this().current_env.store(id, Ordering::Relaxed);
    }
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
            || matches!(e.state, State::BlockedWait { ntf, deadline_us }
                if deadline_us != u64::MAX || crate::irq::notification_bound(ntf))
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
        match e.state {
            State::NotStarted => println!("kernel:   env {id} ({name}): not started"),
            State::Ready => println!("kernel:   env {id} ({name}): ready"),
            State::BlockedSend { ep, .. } => {
                println!("kernel:   env {id} ({name}): calls endpoint {ep}, nobody receives")
            }
            State::BlockedRecv { ep, .. } => {
                println!("kernel:   env {id} ({name}): receives on endpoint {ep}")
            }
            State::BlockedReply { server } => {
                println!("kernel:   env {id} ({name}): awaits the reply of env {server}")
            }
            State::BlockedWait { ntf, .. } => println!(
                "kernel:   env {id} ({name}): waits on notification {ntf} (no deadline, no interrupt line)"
            ),
        }
    }
}
