//! Signal numbers, `sigaction` flags and default actions (Linux x86_64).

pub const SIGHUP: u64 = 1;
pub const SIGINT: u64 = 2;
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
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;

/// `si_code` of a signal sent by `kill` or the process itself.
pub const SI_USER: u32 = 0;
/// `si_code` of a signal the kernel raised.
pub const SI_KERNEL: i32 = 0x80;
/// `si_code` of a signal sent by `tkill`/`tgkill` (`raise`).
pub const SI_TKILL: u32 = -6i32 as u32;
/// `si_code` of a signal sent by `sigqueue` (`rt_sigqueueinfo`).
pub const SI_QUEUE: u32 = -1i32 as u32;
/// The first real-time signal as the kernel numbers them (C libraries
/// keep a few for themselves: musl's `SIGRTMIN` is 35).
pub const SIGRTMIN: u64 = 32;
/// The last signal.
pub const SIGRTMAX: u64 = 64;

/// Whether `sig` is a real-time signal: each instance sent is queued with
/// its own `siginfo`, where a standard signal is pending once.
pub const fn is_realtime(sig: u64) -> bool {
    sig >= SIGRTMIN && sig <= SIGRTMAX
}

/// The bit of signal `sig` in a mask.
pub const fn bit(sig: u64) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can be neither caught nor blocked.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);

/// The stop signals: one arriving discards a pending SIGCONT, and SIGCONT
/// discards them.
pub const STOPS: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);

/// What the default action of a signal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    Terminate,
    Core,
    Ignore,
    Stop,
    Continue,
}

/// The default action of `sig` (signal(7)).
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

/// The mask while a handler for `sig` runs: the mask before, plus the
/// action's mask (never the unblockable signals), plus `sig` itself
/// unless `SA_NODEFER`.
pub fn handler_mask(old: u64, action_mask: u64, flags: u64, sig: u64) -> u64 {
    let mut m = old | action_mask & !UNBLOCKABLE;
    if flags & SA_NODEFER == 0 {
        m |= bit(sig);
    }
    m
}

/// The signal and `si_code` a CPU exception (by vector) becomes, as
/// Linux's trap handlers choose them.
pub fn for_exception(vector: u64) -> (u64, i32) {
    match vector {
        0 => (SIGFPE, 1),              // FPE_INTDIV
        1 | 3 => (SIGTRAP, 1),         // TRAP_BRKPT
        4 | 5 => (SIGSEGV, SI_KERNEL), // overflow, bound range
        6 => (SIGILL, 2),              // ILL_ILLOPN
        7 => (SIGFPE, 0),
        16 | 19 => (SIGFPE, 0),
        17 => (SIGBUS, 1), // BUS_ADRALN
        _ => (SIGSEGV, SI_KERNEL),
    }
}
