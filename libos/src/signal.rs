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

/// Drops pending signals that would be ignored (POSIX: setting SIG_IGN
/// discards pending instances).
fn drop_ignored(p: &mut Proc) {
    let mut all = p.pending | p.tasks.iter().fold(0, |m, t| m | t.pending);
    while all != 0 {
        let sig = u64::from(all.trailing_zeros()) + 1;
        all &= all - 1;
        if is_ignored(sig, &p.actions[(sig - 1) as usize]) {
            p.pending &= !bit(sig);
            for t in p.tasks.iter_mut() {
                t.pending &= !bit(sig);
            }
        }
    }
}

/// The process sends `sig` to itself.
pub fn post_process(p: &mut Proc, sig: u64) {
    if (1..=64).contains(&sig) {
        p.pending |= bit(sig);
        p.senders[(sig - 1) as usize] = crate::server::pid();
    }
}

/// Sends `sig` to task `i` alone (from this process).
pub fn post_task(p: &mut Proc, i: usize, sig: u64) {
    if (1..=64).contains(&sig) {
        p.tasks[i].pending |= bit(sig);
        p.senders[(sig - 1) as usize] = crate::server::pid();
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
        p.exit_process(sysproto::status::signaled(sig as u8, true));
    }
    if setup_frame(p, frame, sig, &a, code, addr, 0).is_err() {
        p.exit_process(sysproto::status::signaled(SIGSEGV as u8, true));
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
    if a.handler == SIG_DFL && crate::server::pid() == 1 {
        // Init takes only the signals it has handlers for (as on Linux).
        return;
    }
    if a.handler == SIG_DFL {
        match default_of(sig) {
            Default::Terminate => p.exit_process(sysproto::status::signaled(sig as u8, false)),
            Default::Core => p.exit_process(sysproto::status::signaled(sig as u8, true)),
            Default::Stop => stop(p, sig),
            Default::Ignore | Default::Continue => {}
        }
        return;
    }
    let sender = p.senders[(sig - 1) as usize];
    if setup_frame(p, frame, sig, &a, 0, 0, sender).is_err() {
        p.exit_process(sysproto::status::signaled(SIGSEGV as u8, true));
    }
}

/// Stops the process until SIGCONT (or a kill) arrives.
fn stop(p: &mut Proc, sig: u64) {
    crate::server::request(sysproto::Op::Stopped, [1, sig, 0, 0, 0]);
    loop {
        crate::kcall::wait_wake(u64::MAX);
        p.poll_signals();
        if p.pending & bit(SIGCONT) != 0 {
            p.pending &= !bit(SIGCONT);
            break;
        }
    }
    crate::server::request(sysproto::Op::Stopped, [0, 0, 0, 0, 0]);
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
    code: i32,
    addr: u64,
    sender: u64,
) -> Result<(), i64> {
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
    // siginfo: signo, errno, code, then the union.
    buf[INFO as usize..INFO as usize + 4].copy_from_slice(&(sig as u32).to_le_bytes());
    let si_code: i32 = if code != 0 { code } else { 0 };
    buf[INFO as usize + 8..INFO as usize + 12].copy_from_slice(&si_code.to_le_bytes());
    if code != 0 {
        put(&mut buf, INFO + 16, addr);
    } else {
        buf[INFO as usize + 16..INFO as usize + 20].copy_from_slice(&(sender as u32).to_le_bytes());
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
        p.actions[(sig - 1) as usize] = Action::default();
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
