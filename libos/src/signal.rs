//! Signals: dispositions (`sigaction`), delivery to the current task by
//! building a Linux `rt_sigframe` on its stack (or its alternate stack),
//! `rt_sigreturn`, default actions, and the signals CPU exceptions become.

use abi::UpcallFrame;

use crate::proc::Proc;

pub const SIGQUIT: u64 = 3;
pub const SIGILL: u64 = 4;
pub const SIGTRAP: u64 = 5;
pub const SIGABRT: u64 = 6;
pub const SIGBUS: u64 = 7;
pub const SIGFPE: u64 = 8;
pub const SIGKILL: u64 = 9;
pub const SIGSEGV: u64 = 11;
pub const SIGPIPE: u64 = 13;
pub const SIGCHLD: u64 = 17;
pub const SIGCONT: u64 = 18;
pub const SIGSTOP: u64 = 19;
pub const SIGTSTP: u64 = 20;
pub const SIGTTIN: u64 = 21;
pub const SIGTTOU: u64 = 22;
pub const SIGURG: u64 = 23;
pub const SIGXCPU: u64 = 24;
pub const SIGXFSZ: u64 = 25;
pub const SIGWINCH: u64 = 28;
pub const SIGSYS: u64 = 31;

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
pub const SA_NOCLDSTOP: u64 = 1;
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;

/// The bit of signal `sig`.
pub fn bit(sig: u64) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can be neither caught nor blocked.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/// The stop signals: one arriving discards a pending SIGCONT, and SIGCONT
/// discards them.
const STOPS: u64 =
    (1 << (SIGSTOP - 1)) | (1 << (SIGTSTP - 1)) | (1 << (SIGTTIN - 1)) | (1 << (SIGTTOU - 1));

/// `si_code` of a signal sent by `kill` or the process itself.
pub const SI_USER: u32 = 0;
/// `si_code` of a signal sent by `tkill`/`tgkill` (`raise`).
pub const SI_TKILL: u32 = -6i32 as u32;

/// What `siginfo_t` says of a signal not raised by a fault: the sender's
/// pid, and `si_code` and `si_status` as [`sysproto::control::SIGINFO`]
/// packs them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub pid: u64,
    pub info: u64,
}

impl Origin {
    fn code(&self) -> i32 {
        self.info as u32 as i32
    }

    fn status(&self) -> i32 {
        (self.info >> 32) as u32 as i32
    }
}

/// A disposition (Linux `struct kernel_sigaction`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Action {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// What the default action of `sig` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    Terminate,
    Core,
    Ignore,
    Stop,
    Continue,
}

pub fn default_of(sig: u64) -> Default {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => Default::Ignore,
        SIGCONT => Default::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Default::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => Default::Core,
        _ => Default::Terminate,
    }
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
    let all_block = p.tasks.iter().fold(u64::MAX, |m, t| m & t.mask);
    let mut all = p.pending | p.tasks.iter().fold(0, |m, t| m | t.pending);
    while all != 0 {
        let sig = u64::from(all.trailing_zeros()) + 1;
        all &= all - 1;
        if !is_ignored(sig, &p.actions[(sig - 1) as usize]) {
            continue;
        }
        if all_block & bit(sig) == 0 {
            p.pending &= !bit(sig);
        }
        for t in p.tasks.iter_mut() {
            if t.mask & bit(sig) == 0 {
                t.pending &= !bit(sig);
            }
        }
    }
}

/// A new disposition for `sig`: if it ignores the signal, pending
/// instances go, blocked or not (POSIX).
pub fn discard_if_ignored(p: &mut Proc, sig: u64) {
    if is_ignored(sig, &p.actions[(sig - 1) as usize]) {
        p.pending &= !bit(sig);
        for t in p.tasks.iter_mut() {
            t.pending &= !bit(sig);
        }
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

/// Records who sent `sig` and how.
fn note_origin(p: &mut Proc, sig: u64, code: u32) {
    p.origins[(sig - 1) as usize] = Origin {
        pid: crate::server::pid(),
        info: u64::from(code),
    };
}

/// The process sends `sig` to itself (`kill`).
pub fn post_process(p: &mut Proc, sig: u64) {
    if (1..=64).contains(&sig) {
        note_origin(p, sig, SI_USER);
        arrive(p, bit(sig));
    }
}

/// Sends `sig` to task `i` alone (from this process), with `si_code`
/// `code` ([`SI_USER`], or [`SI_TKILL`] for `tkill`).
pub fn post_task(p: &mut Proc, i: usize, sig: u64, code: u32) {
    if (1..=64).contains(&sig) {
        note_origin(p, sig, code);
        cancel_opposites(p, bit(sig));
        p.tasks[i].pending |= bit(sig);
        drop_ignored(p);
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
            if p.tasks.iter().any(|t| t.mask & bit(sig) == 0) && acts(p, sig) {
                found = Some((sig, None));
                break;
            }
        }
        if found.is_none() {
            for (i, t) in p.tasks.iter().enumerate() {
                let mut want = t.pending & !t.mask;
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
            Some(i) => p.tasks[i].pending &= !bit(sig),
            None => p.pending &= !bit(sig),
        }
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
    let b = bit(sig);
    if p.tasks[cur].pending & b != 0 {
        p.tasks[cur].pending &= !b;
    } else {
        p.pending &= !b;
    }
    let a = p.actions[(sig - 1) as usize];
    if a.handler == SIG_DFL {
        default_action(p, sig);
        return;
    }
    let origin = p.origins[(sig - 1) as usize];
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

/// Offsets in the signal frame (Linux x86_64 `rt_sigframe`).
const UC: u64 = 8;
const UC_STACK: u64 = UC + 16;
const MCTX: u64 = UC + 40;
const UC_MASK: u64 = UC + 296;
const INFO: u64 = UC + 304;
const FRAME_SIZE: u64 = INFO + 128;

/// The registers in `mcontext.gregs` order.
fn gregs(f: &UpcallFrame) -> [u64; 18] {
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
) -> Result<(), i64> {
    let addr = match info {
        Info::Fault { addr, .. } => addr,
        Info::Sent(_) => 0,
    };
    let cur = p.cur;
    let (alt_sp, alt_size, alt_flags) = p.tasks[cur].altstack;
    let on_alt =
        alt_flags & SS_DISABLE == 0 && frame.rsp > alt_sp && frame.rsp <= alt_sp + alt_size;
    let mut sp = if a.flags & SA_ONSTACK != 0 && alt_flags & SS_DISABLE == 0 && !on_alt {
        alt_sp + alt_size
    } else {
        frame.rsp - 128
    };
    sp = (sp - 512) & !63;
    let fpstate = sp;
    sp = ((sp - FRAME_SIZE) & !15) - 8;
    p.mm.prepare(sp, fpstate + 512 - sp, true)?;
    let mut buf = [0u8; FRAME_SIZE as usize];
    let put = |b: &mut [u8], off: u64, v: u64| {
        b[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes())
    };
    put(&mut buf, 0, a.restorer);
    put(&mut buf, UC_STACK, alt_sp);
    put(
        &mut buf,
        UC_STACK + 8,
        u64::from(if on_alt { SS_ONSTACK } else { alt_flags }),
    );
    put(&mut buf, UC_STACK + 16, alt_size);
    for (i, v) in gregs(frame).iter().enumerate() {
        put(&mut buf, MCTX + i as u64 * 8, *v);
    }
    put(&mut buf, MCTX + 18 * 8, 0x33); // cs
    put(&mut buf, MCTX + 19 * 8, frame.error);
    put(&mut buf, MCTX + 20 * 8, frame.vector);
    let old_mask = p.tasks[cur].saved_mask.take().unwrap_or(p.tasks[cur].mask);
    put(&mut buf, MCTX + 21 * 8, old_mask);
    put(&mut buf, MCTX + 22 * 8, addr);
    put(&mut buf, MCTX + 23 * 8, fpstate);
    put(&mut buf, UC_MASK, old_mask);
    // siginfo: signo, errno, code, then the union: the fault address, or
    // the sender's pid and uid (and for SIGCHLD the child's status).
    let put32 = |b: &mut [u8], off: u64, v: i32| {
        b[off as usize..off as usize + 4].copy_from_slice(&v.to_le_bytes())
    };
    put32(&mut buf, INFO, sig as i32);
    match info {
        Info::Fault { code, addr } => {
            put32(&mut buf, INFO + 8, code);
            put(&mut buf, INFO + 16, addr);
        }
        Info::Sent(o) => {
            put32(&mut buf, INFO + 8, o.code());
            put32(&mut buf, INFO + 16, o.pid as i32);
            if sig == SIGCHLD {
                put32(&mut buf, INFO + 24, o.status());
            }
        }
    }
    p.mm.write(sp, &buf)?;
    // The interrupted x87/SSE state goes into the frame's fpstate.
    // `prepare` made [sp, fpstate + 512) present, private and writable
    // program memory; fpstate is 64-byte aligned; `fxsave64` writes
    // exactly 512 bytes there and the library OS (soft float) has not
    // changed the CPU's x87/SSE state since the upcall began.
    // SAFETY: sound for the reasons just given.
    unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) fpstate, options(nostack)) };
    let t = &mut p.tasks[cur];
    t.mask = old_mask | a.mask & !UNBLOCKABLE;
    if a.flags & SA_NODEFER == 0 {
        t.mask |= bit(sig);
    }
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
    frame.rsi = sp + INFO;
    frame.rdx = sp + UC;
    frame.rax = 0;
    frame.rflags &= !(1 << 10); // DF clear, as the ABI wants
    Ok(())
}

/// `rt_sigreturn`: restores the state saved in the frame at `rsp - 8`.
pub fn sigreturn(p: &mut Proc, frame: &mut UpcallFrame) -> Result<(), i64> {
    let base = frame.rsp - 8;
    let buf = p.mm.read(base, FRAME_SIZE as usize)?;
    let get = |off: u64| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&buf[off as usize..off as usize + 8]);
        u64::from_le_bytes(w)
    };
    let g = |i: u64| get(MCTX + i * 8);
    frame.r8 = g(0);
    frame.r9 = g(1);
    frame.r10 = g(2);
    frame.r11 = g(3);
    frame.r12 = g(4);
    frame.r13 = g(5);
    frame.r14 = g(6);
    frame.r15 = g(7);
    frame.rdi = g(8);
    frame.rsi = g(9);
    frame.rbp = g(10);
    frame.rbx = g(11);
    frame.rdx = g(12);
    frame.rax = g(13);
    frame.rcx = g(14);
    frame.rsp = g(15);
    frame.rip = g(16);
    // Only the flags user code may change.
    frame.rflags = (g(17) & 0xcd5) | 0x202;
    let fpstate = g(23);
    let mask = get(UC_MASK) & !UNBLOCKABLE;
    p.tasks[p.cur].mask = mask;
    if fpstate != 0 && fpstate & 15 == 0 && p.mm.prepare(fpstate, 512, false).is_ok() {
        let mut fx = crate::task::Fx::clean();
        if let Ok(bytes) = p.mm.read(fpstate, 512) {
            fx.0.copy_from_slice(&bytes);
            // Keep MXCSR's reserved bits clear so fxrstor cannot fault.
            let mxcsr = u32::from_le_bytes([fx.0[24], fx.0[25], fx.0[26], fx.0[27]]) & 0xffff;
            fx.0[24..28].copy_from_slice(&mxcsr.to_le_bytes());
            fx.load();
        }
    }
    Ok(())
}

/// The signal (and `si_code`) a CPU exception becomes.
pub fn for_exception(vector: u64) -> (u64, i32) {
    match vector {
        0 => (SIGFPE, 1),         // FPE_INTDIV
        1 | 3 => (SIGTRAP, 1),    // TRAP_BRKPT
        4 | 5 => (SIGSEGV, 0x80), // SI_KERNEL
        6 => (SIGILL, 2),         // ILL_ILLOPN
        7 => (SIGFPE, 0),
        16 | 19 => (SIGFPE, 0),
        17 => (SIGBUS, 1), // BUS_ADRALN
        _ => (SIGSEGV, 0x80),
    }
}
