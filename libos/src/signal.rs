//! Signals: dispositions (`sigaction`), delivery to the current task by
//! building a Linux `rt_sigframe` on its stack (or its alternate stack),
//! `rt_sigreturn`, default actions, and the signals CPU exceptions become.

use abi::UpcallFrame;
use linux_errno::Errno;

use crate::proc::Proc;
use crate::task::{Block, State, Task};

use linux_frame::frame::{self, reg, SigFrame, Stack};
// Signal numbers, flags and default actions, under the names the rest of
// the library OS has always used (`signal::SIGCHLD`).
pub use linux_frame::sig::*;

/// What `siginfo_t` says of a signal not raised by a fault: the sender's
/// pid and real user id, `si_code`, and `si_value` (`sigqueue`) or
/// `si_status` (SIGCHLD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub pid: u32,
    pub uid: u32,
    pub code: i32,
    pub value: u64,
}

/// The bits of the standard signals (1..31).
pub const STANDARD: u64 = (1 << (SIGRTMIN - 1)) - 1;

/// A queued instance of a real-time signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    pub sig: u64,
    pub origin: Origin,
}

/// What a real-time signal beyond `RLIMIT_SIGPENDING` does (Linux's
/// rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Room {
    /// Refused with EAGAIN (`sigqueue`, `tgkill`: they carry
    /// information).
    Refuse,
    /// Still pending, its information lost (`kill`: queued only if no
    /// instance of it is).
    Lossy,
    /// Already counted (the server applied the limit).
    Counted,
}

/// A disposition (Linux `struct kernel_sigaction`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Action {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// True if delivering `sig` with `a` does nothing.
fn is_ignored(sig: u64, a: &Action) -> bool {
    a.handler == SIG_IGN
        || (a.handler == SIG_DFL && matches!(default_of(sig), Default::Ignore | Default::Continue))
}

/// The signal task `i` would take next, if any.
pub fn next_for(p: &Proc, i: usize) -> Option<u64> {
    let t = &p.tasks[i];
    let mut want = (t.pending | p.pending) & !t.mask;
    while want != 0 {
        let sig = u64::from(want.trailing_zeros()) + 1;
        if !is_ignored(sig, &p.actions[(sig - 1) as usize]) {
            return Some(sig);
        }
        want &= want - 1;
    }
    None
}

/// True if a call interrupted by `sig` is made again after its handler.
pub fn restarts(p: &Proc, sig: u64) -> bool {
    let a = &p.actions[(sig - 1) as usize];
    a.handler > SIG_IGN && a.flags & SA_RESTART != 0
}

/// Drops pending signals that would be ignored and are not blocked (a
/// blocked signal stays pending even if ignored: its disposition may
/// change before it is unblocked, as Linux has it).
fn drop_ignored(p: &mut Proc) {
    let mut all = p.pending | p.tasks.iter().fold(0, |m, t| m | t.pending);
    let mut realtime = false;
    while all != 0 {
        let sig = u64::from(all.trailing_zeros()) + 1;
        all &= all - 1;
        if !is_ignored(sig, &p.actions[(sig - 1) as usize]) {
            continue;
        }
        realtime |= is_realtime(sig);
        if p.tasks.iter().any(|t| held_mask(t) & bit(sig) == 0) {
            p.pending &= !bit(sig);
        }
        for t in p.tasks.iter_mut() {
            if held_mask(t) & bit(sig) == 0 {
                t.pending &= !bit(sig);
            }
        }
    }
    if realtime {
        sync_queues(p);
    }
}

/// The signals task `t` holds back from their default actions and from
/// being ignored: its mask, or while it waits in `sigtimedwait` the mask
/// it had before (Linux's `real_blocked`).
fn held_mask(t: &Task) -> u64 {
    match t.state {
        State::Blocked(Block::SigWait { mask, .. }) => mask,
        _ => t.mask,
    }
}

/// Drops queued instances of real-time signals no longer pending.
fn sync_queues(p: &mut Proc) {
    let before = queued_count(p);
    if before == 0 {
        return;
    }
    let pend = p.pending;
    p.queue.retain(|q| pend & bit(q.sig) != 0);
    for t in p.tasks.iter_mut() {
        let pend = t.pending;
        t.queue.retain(|q| pend & bit(q.sig) != 0);
    }
    if queued_count(p) != before {
        publish_queued(p);
    }
}

/// The queued real-time instances the process holds.
pub fn queued_count(p: &Proc) -> usize {
    p.queue.len() + p.tasks.iter().map(|t| t.queue.len()).sum::<usize>()
}

/// Tells the server how many queued instances the process holds (they
/// count towards `RLIMIT_SIGPENDING` for what the server queues).
pub fn publish_queued(p: &Proc) {
    crate::server::set_control(sysproto::control::SIGQ_HELD, queued_count(p) as u64);
}

/// Tells the server the process's `RLIMIT_SIGPENDING`.
pub fn publish_limit() {
    let l = crate::limits::cur(crate::limits::RLIMIT_SIGPENDING);
    let w = if l == crate::limits::INFINITY {
        0
    } else {
        l + 1
    };
    crate::server::set_control(sysproto::control::SIGQ_LIMIT, w);
}

/// A new disposition for `sig`: if it ignores the signal, pending
/// instances go, blocked or not (POSIX).
pub fn discard_if_ignored(p: &mut Proc, sig: u64) {
    if is_ignored(sig, &p.actions[(sig - 1) as usize]) {
        p.pending &= !bit(sig);
        for t in p.tasks.iter_mut() {
            t.pending &= !bit(sig);
        }
        sync_queues(p);
    }
}

/// Signals arrived (`incoming`, process-wide): SIGCONT discards pending
/// stop signals and a stop signal a pending SIGCONT; the new ones are
/// pending unless ignored and not blocked.
pub fn arrive(p: &mut Proc, incoming: u64) {
    cancel_opposites(p, incoming);
    p.pending |= incoming;
    drop_ignored(p);
}

/// SIGCONT among `incoming` discards pending stop signals; a stop signal
/// discards a pending SIGCONT.
fn cancel_opposites(p: &mut Proc, incoming: u64) {
    let mut gone = 0;
    if incoming & bit(SIGCONT) != 0 {
        gone |= STOPS;
        p.continued = true;
    }
    if incoming & STOPS != 0 {
        gone |= bit(SIGCONT);
    }
    p.pending &= !gone;
    for t in p.tasks.iter_mut() {
        t.pending &= !gone;
    }
}

/// How this process names itself as a sender: its pid and real user id.
fn own_origin(code: u32) -> Origin {
    Origin {
        pid: crate::server::pid() as u32,
        uid: crate::server::control(sysproto::control::UIDS) as u32,
        code: code as i32,
        value: 0,
    }
}

/// The process sends `sig` to itself (`kill`).
pub fn post_process(p: &mut Proc, sig: u64) {
    if is_realtime(sig) {
        let _ = enqueue_realtime(p, None, sig, own_origin(SI_USER), Room::Lossy);
    } else if (1..SIGRTMIN).contains(&sig) {
        if p.pending & bit(sig) == 0 {
            p.origins[(sig - 1) as usize] = own_origin(SI_USER);
        }
        cancel_opposites(p, bit(sig));
        p.pending |= bit(sig);
        // Only the new signal can be one to drop.
        if is_ignored(sig, &p.actions[(sig - 1) as usize]) {
            drop_ignored(p);
        }
    }
}

/// Sends `sig` to task `i` alone (from this process), with `si_code`
/// `code` ([`SI_USER`], or [`SI_TKILL`] for `tkill`, which
/// [`post_task_limited`] sends).
pub fn post_task(p: &mut Proc, i: usize, sig: u64, code: u32) {
    if (1..=64).contains(&sig) {
        let _ = enqueue(p, Some(i), sig, own_origin(code), Room::Lossy);
    }
}

/// As [`post_task`] for `tkill`/`tgkill` (`SI_TKILL`): a real-time
/// signal beyond `RLIMIT_SIGPENDING` is refused (EAGAIN), as Linux does.
pub fn post_task_limited(p: &mut Proc, i: usize, sig: u64) -> Result<(), Errno> {
    if !(1..=64).contains(&sig) {
        return Ok(());
    }
    enqueue(p, Some(i), sig, own_origin(SI_TKILL), Room::Refuse)
}

/// Makes `sig` pending for task `task` (or the process) with `origin`:
/// a standard signal once (a second instance while one is pending is
/// merged into it, keeping the first one's information), each instance
/// of a real-time signal queued after those before it, up to the
/// process's `RLIMIT_SIGPENDING` (beyond it as `room` says).
#[inline]
pub fn enqueue(
    p: &mut Proc,
    task: Option<usize>,
    sig: u64,
    origin: Origin,
    room: Room,
) -> Result<(), Errno> {
    if is_realtime(sig) {
        return enqueue_realtime(p, task, sig, origin, room);
    }
    cancel_opposites(p, bit(sig));
    let pending = match task {
        Some(i) => &mut p.tasks[i].pending,
        None => &mut p.pending,
    };
    let first = *pending & bit(sig) == 0;
    *pending |= bit(sig);
    if first {
        p.origins[(sig - 1) as usize] = origin;
    }
    // Only the new signal can be one to drop.
    if is_ignored(sig, &p.actions[(sig - 1) as usize]) {
        drop_ignored(p);
    }
    Ok(())
}

/// [`enqueue`] of a real-time signal.
#[inline(never)]
fn enqueue_realtime(
    p: &mut Proc,
    task: Option<usize>,
    sig: u64,
    origin: Origin,
    room: Room,
) -> Result<(), Errno> {
    let pending = match task {
        Some(i) => p.tasks[i].pending,
        None => p.pending,
    };
    let limit = crate::limits::cur(crate::limits::RLIMIT_SIGPENDING);
    if room != Room::Counted && queued_count(p) as u64 >= limit {
        if room == Room::Refuse {
            return Err(linux_errno::Errno::EAGAIN);
        }
        if pending & bit(sig) != 0 {
            return Ok(());
        }
    }
    let q = Queued { sig, origin };
    match task {
        Some(i) => {
            p.tasks[i].queue.push(q);
            p.tasks[i].pending |= bit(sig);
        }
        None => {
            p.queue.push(q);
            p.pending |= bit(sig);
        }
    }
    if is_ignored(sig, &p.actions[(sig - 1) as usize]) {
        drop_ignored(p);
    }
    publish_queued(p);
    Ok(())
}

/// Takes one instance of pending signal `sig` for task `i` (its own
/// first, then the process's) and says who sent it.
#[inline]
pub fn take(p: &mut Proc, i: usize, sig: u64) -> Origin {
    let b = bit(sig);
    if is_realtime(sig) {
        return take_realtime(p, i, sig);
    }
    if p.tasks[i].pending & b != 0 {
        p.tasks[i].pending &= !b;
    } else {
        p.pending &= !b;
    }
    p.origins[(sig - 1) as usize]
}

/// [`take`] of a real-time signal: its first queued instance.
#[inline(never)]
fn take_realtime(p: &mut Proc, i: usize, sig: u64) -> Origin {
    let b = bit(sig);
    let own = p.tasks[i].pending & b != 0;
    let (queue, pending) = if own {
        let t = &mut p.tasks[i];
        (&mut t.queue, &mut t.pending)
    } else {
        (&mut p.queue, &mut p.pending)
    };
    let origin = match queue.iter().position(|q| q.sig == sig) {
        Some(k) => queue.remove(k).origin,
        // No information kept: as Linux, from the user, no sender.
        None => Origin::default(),
    };
    if !queue.iter().any(|q| q.sig == sig) {
        *pending &= !b;
    }
    publish_queued(p);
    origin
}

/// The lowest signal of `set` pending for task `i` or the process.
pub fn waited(p: &Proc, i: usize, set: u64) -> Option<u64> {
    let w = (p.tasks[i].pending | p.pending) & set;
    (w != 0).then(|| u64::from(w.trailing_zeros()) + 1)
}

/// The `siginfo_t` of a sent signal.
pub fn info_bytes(sig: u64, o: Origin) -> [u8; frame::INFO_SIZE] {
    frame::encode_info(sig as i32, sent_info(o))
}

fn sent_info(o: Origin) -> frame::Info {
    frame::Info::Sent {
        code: o.code,
        pid: o.pid as i32,
        uid: o.uid,
        value: o.value,
    }
}

/// Whether the current task blocks `sig` or the process ignores it
/// (`SIG_IGN`): what the terminal's job control asks of SIGTTIN and
/// SIGTTOU.
pub fn ignores_or_blocks(p: &Proc, sig: u64) -> bool {
    p.tasks[p.cur].mask & bit(sig) != 0 || p.actions[(sig - 1) as usize].handler == SIG_IGN
}

/// Tells the server how this process's children are to be reported
/// (`sysproto::control::CHLD_FLAGS`), from SIGCHLD's disposition.
pub fn publish_chld(p: &Proc) {
    use sysproto::control;
    let a = &p.actions[(SIGCHLD - 1) as usize];
    let mut f = 0;
    if a.handler == SIG_IGN {
        f |= control::CHLD_IGNORED | control::CHLD_NOCLDWAIT;
    }
    if a.flags & SA_NOCLDWAIT != 0 {
        f |= control::CHLD_NOCLDWAIT;
    }
    if a.flags & SA_NOCLDSTOP != 0 {
        f |= control::CHLD_NOCLDSTOP;
    }
    crate::server::set_control(control::CHLD_FLAGS, f);
}

/// Takes the default action of pending signals that have one that does
/// something (terminate, dump core, stop) and that some task would take:
/// a task blocked in a call is not disturbed by them (the call goes on
/// after a stop, as Linux restarts it).
pub fn act_on_defaults(p: &mut Proc) {
    loop {
        let mut found = None;
        let mut want = p.pending;
        while want != 0 {
            let sig = u64::from(want.trailing_zeros()) + 1;
            want &= want - 1;
            if p.tasks.iter().any(|t| held_mask(t) & bit(sig) == 0) && acts(p, sig) {
                found = Some((sig, None));
                break;
            }
        }
        if found.is_none() {
            for (i, t) in p.tasks.iter().enumerate() {
                let mut want = t.pending & !held_mask(t);
                while want != 0 {
                    let sig = u64::from(want.trailing_zeros()) + 1;
                    want &= want - 1;
                    if acts(p, sig) {
                        found = Some((sig, Some(i)));
                        break;
                    }
                }
                if found.is_some() {
                    break;
                }
            }
        }
        let Some((sig, task)) = found else {
            return;
        };
        match task {
            Some(i) => {
                p.tasks[i].pending &= !bit(sig);
                p.tasks[i].queue.retain(|q| q.sig != sig);
            }
            None => {
                p.pending &= !bit(sig);
                p.queue.retain(|q| q.sig != sig);
            }
        }
        publish_queued(p);
        default_action(p, sig);
    }
}

/// Whether `sig`'s disposition is a default action that does something.
fn acts(p: &Proc, sig: u64) -> bool {
    p.actions[(sig - 1) as usize].handler == SIG_DFL
        && matches!(
            default_of(sig),
            Default::Terminate | Default::Core | Default::Stop
        )
}

/// Carries out the default action of `sig` (init takes none).
fn default_action(p: &mut Proc, sig: u64) {
    if crate::server::pid() == 1 {
        // Init takes only the signals it has handlers for (as on Linux).
        return;
    }
    match default_of(sig) {
        Default::Terminate => p.exit_process(sysproto::status::signaled(sig as u8, false)),
        // No core file is ever written, so the wait status never says one
        // was (as on Linux with RLIMIT_CORE 0).
        Default::Core => p.exit_process(sysproto::status::signaled(sig as u8, false)),
        Default::Stop => stop(p, sig),
        Default::Ignore | Default::Continue => {}
    }
}

/// A signal raised by the current task's own fault: delivered at once,
/// even if blocked or ignored (then the default action, as Linux does).
pub fn force(p: &mut Proc, frame: &mut UpcallFrame, sig: u64, code: i32, addr: u64) {
    let idx = (sig - 1) as usize;
    let cur = p.cur;
    if p.tasks[cur].mask & bit(sig) != 0 || p.actions[idx].handler == SIG_IGN {
        p.actions[idx] = Action::default();
        p.tasks[cur].mask &= !bit(sig);
    }
    let a = p.actions[idx];
    if a.handler == SIG_DFL {
        p.exit_process(sysproto::status::signaled(sig as u8, false));
    }
    if setup_frame(p, frame, sig, &a, Info::Fault { code, addr }).is_err() {
        p.exit_process(sysproto::status::signaled(SIGSEGV as u8, false));
    }
}

/// Delivers one pending signal to the current task, if it may take one.
pub fn deliver_pending(p: &mut Proc, frame: &mut UpcallFrame) {
    let cur = p.cur;
    if p.pending | p.tasks[cur].pending == 0 {
        return;
    }
    drop_ignored(p);
    let Some(sig) = next_for(p, cur) else {
        return;
    };
    let origin = take(p, cur, sig);
    let a = p.actions[(sig - 1) as usize];
    if a.handler == SIG_DFL {
        default_action(p, sig);
        return;
    }
    if setup_frame(p, frame, sig, &a, Info::Sent(origin)).is_err() {
        p.exit_process(sysproto::status::signaled(SIGSEGV as u8, false));
    }
}

/// Stops the process until SIGCONT (or a kill) arrives. The server
/// refuses a stop by SIGTSTP, SIGTTIN or SIGTTOU in an orphaned process
/// group: the signal is then discarded.
fn stop(p: &mut Proc, sig: u64) {
    let stopped = sysproto::sys::Stopped {
        stopped: true,
        signal: sig,
    };
    if crate::server::call(stopped).is_err() {
        return;
    }
    // SIGCONT continues whatever its disposition or mask (it stays
    // pending for a handler, or goes if ignored).
    p.continued = false;
    while !p.continued {
        crate::kcall::wait_wake(u64::MAX);
        p.poll_signals();
    }
    let _ = crate::server::call(sysproto::sys::Stopped::default());
    drop_ignored(p);
}

/// What the `siginfo_t` of a delivered signal says.
#[derive(Clone, Copy, Debug)]
enum Info {
    /// Raised by a fault of the task: `si_code`, `si_addr`.
    Fault { code: i32, addr: u64 },
    /// Sent: by whom and how.
    Sent(Origin),
}

/// The registers in `mcontext.gregs` order.
fn gregs(f: &UpcallFrame) -> [u64; reg::GENERAL] {
    [
        f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rdi, f.rsi, f.rbp, f.rbx, f.rdx,
        f.rax, f.rcx, f.rsp, f.rip, f.rflags,
    ]
}

/// Builds the frame for `sig` on the task's stack and points `frame` at
/// the handler.
fn setup_frame(
    p: &mut Proc,
    frame: &mut UpcallFrame,
    sig: u64,
    a: &Action,
    info: Info,
) -> Result<(), Errno> {
    let addr = match info {
        Info::Fault { addr, .. } => addr,
        Info::Sent(_) => 0,
    };
    let cur = p.cur;
    let (alt_sp, alt_size, alt_flags) = p.tasks[cur].altstack;
    let alt = Stack {
        sp: alt_sp,
        flags: alt_flags,
        size: alt_size,
    };
    let place = frame::place(frame.rsp, alt, a.flags & SA_ONSTACK != 0);
    let (sp, fpstate) = (place.sp, place.fpstate);
    p.mm.prepare(sp, fpstate + frame::FPSTATE_SIZE as u64 - sp, true)?;
    let old_mask = p.tasks[cur].saved_mask.take().unwrap_or(p.tasks[cur].mask);
    // siginfo: the fault address, or the sender's pid (and for SIGCHLD
    // the child's status).
    let info = match info {
        Info::Fault { code, addr } => frame::Info::Fault { code, addr },
        Info::Sent(o) => sent_info(o),
    };
    let buf = SigFrame {
        restorer: a.restorer,
        stack: Stack {
            flags: place.stack_flags,
            ..alt
        },
        gregs: gregs(frame),
        err: frame.error,
        trapno: frame.vector,
        mask: old_mask,
        cr2: addr,
        fpstate,
        signo: sig as i32,
        info,
    }
    .encode();
    p.mm.write(sp, &buf)?;
    // The interrupted x87/SSE state goes into the frame's fpstate.
    // `prepare` made [sp, fpstate + 512) present, private and writable
    // program memory; fpstate is 64-byte aligned; `fxsave64` writes
    // exactly 512 bytes there and the library OS (soft float) has not
    // changed the CPU's x87/SSE state since the upcall began.
    // SAFETY: sound for the reasons just given.
    unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) fpstate, options(nostack)) };
    p.tasks[cur].mask = linux_frame::sig::handler_mask(old_mask, a.mask, a.flags, sig);
    if a.flags & SA_RESETHAND != 0 {
        // Linux resets only the handler; the flags (SA_SIGINFO too) and
        // the mask stay, as `sigaction` then reports them.
        p.actions[(sig - 1) as usize].handler = SIG_DFL;
        if sig == SIGCHLD {
            publish_chld(p);
        }
    }
    frame.rsp = sp;
    frame.rip = a.handler;
    frame.rdi = sig;
    frame.rsi = sp + frame::INFO as u64;
    frame.rdx = sp + frame::UC as u64;
    frame.rax = 0;
    frame.rflags &= !(1 << 10); // DF clear, as the ABI wants
    Ok(())
}

/// `rt_sigreturn`: restores the state saved in the frame at `rsp - 8`.
pub fn sigreturn(p: &mut Proc, frame: &mut UpcallFrame) -> Result<(), Errno> {
    let base = frame.rsp - 8;
    let buf = p.mm.read(base, frame::FRAME_SIZE)?;
    let saved = frame::decode(&buf);
    let g = |i: usize| saved.gregs[i];
    frame.r8 = g(reg::R8);
    frame.r9 = g(reg::R9);
    frame.r10 = g(reg::R10);
    frame.r11 = g(reg::R11);
    frame.r12 = g(reg::R12);
    frame.r13 = g(reg::R13);
    frame.r14 = g(reg::R14);
    frame.r15 = g(reg::R15);
    frame.rdi = g(reg::RDI);
    frame.rsi = g(reg::RSI);
    frame.rbp = g(reg::RBP);
    frame.rbx = g(reg::RBX);
    frame.rdx = g(reg::RDX);
    frame.rax = g(reg::RAX);
    frame.rcx = g(reg::RCX);
    frame.rsp = g(reg::RSP);
    frame.rip = g(reg::RIP);
    // Only the flags user code may change.
    frame.rflags = frame::user_rflags(g(reg::EFL));
    let fpstate = saved.fpstate;
    let mask = saved.mask & !UNBLOCKABLE;
    p.tasks[p.cur].mask = mask;
    if fpstate != 0 && fpstate & 15 == 0 && p.mm.prepare(fpstate, 512, false).is_ok() {
        let mut fx = crate::task::Fx::clean();
        if let Ok(bytes) = p.mm.read(fpstate, 512) {
            fx.0.copy_from_slice(&bytes);
            // Keep MXCSR's reserved bits clear so fxrstor cannot fault.
            frame::clean_mxcsr(&mut fx.0);
            fx.load();
        }
    }
    Ok(())
}
