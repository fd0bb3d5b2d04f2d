//! The signal frame of Linux x86_64 (`struct rt_sigframe` of
//! `arch/x86/include/asm/sigframe.h`): the return address (the
//! `sa_restorer` that calls `rt_sigreturn`), the `ucontext` (flags, link,
//! `uc_stack`, `uc_mcontext` = `struct sigcontext`, the kernel's 8-byte
//! `uc_sigmask`), the `siginfo` (128 bytes), and apart from it, 64-byte
//! aligned above, the 512-byte `fxsave` area `fpstate` points at.
//!
//! The handler starts with `rsp` at the frame (so `rsp + 8` is 16-byte
//! aligned, as after a call), `rdi` = the signal, `rsi` = the siginfo,
//! `rdx` = the ucontext.

use crate::sig::{SS_DISABLE, SS_ONSTACK};

/// Offset of the `ucontext` (after `pretcode`).
pub const UC: usize = 8;
/// Offset of `uc_stack` (after `uc_flags` and `uc_link`).
pub const UC_STACK: usize = UC + 16;
/// Offset of `uc_mcontext` (after the 24-byte `stack_t`).
pub const MCTX: usize = UC + 40;
/// Offset of `uc_sigmask` (after the 256-byte `struct sigcontext`).
pub const UC_MASK: usize = UC + 296;
/// Offset of the `siginfo`.
pub const INFO: usize = UC + 304;
/// Bytes of the frame below the fpstate.
pub const FRAME_SIZE: usize = INFO + 128;
/// Bytes of the `fxsave` area.
pub const FPSTATE_SIZE: usize = 512;
/// Offset of MXCSR in the `fxsave` area.
pub const MXCSR: usize = 24;
/// The red zone below `rsp` a frame must not touch.
pub const RED_ZONE: u64 = 128;
/// The user code segment (`__USER_CS`), saved in `cs`.
pub const USER_CS: u64 = 0x33;

/// Indices of `uc_mcontext.gregs` (`REG_*` of `<sys/ucontext.h>`), the
/// order of `struct sigcontext`.
pub mod reg {
    pub const R8: usize = 0;
    pub const R9: usize = 1;
    pub const R10: usize = 2;
    pub const R11: usize = 3;
    pub const R12: usize = 4;
    pub const R13: usize = 5;
    pub const R14: usize = 6;
    pub const R15: usize = 7;
    pub const RDI: usize = 8;
    pub const RSI: usize = 9;
    pub const RBP: usize = 10;
    pub const RBX: usize = 11;
    pub const RDX: usize = 12;
    pub const RAX: usize = 13;
    pub const RCX: usize = 14;
    pub const RSP: usize = 15;
    pub const RIP: usize = 16;
    pub const EFL: usize = 17;
    pub const CSGSFS: usize = 18;
    pub const ERR: usize = 19;
    pub const TRAPNO: usize = 20;
    pub const OLDMASK: usize = 21;
    pub const CR2: usize = 22;
    /// Not a register: the `fpstate` pointer that follows them.
    pub const FPSTATE: usize = 23;
    /// The general registers a handler may change (`r8` to `eflags`).
    pub const GENERAL: usize = 18;
}

/// A `stack_t` (the alternate signal stack).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stack {
    pub sp: u64,
    pub flags: u32,
    pub size: u64,
}

/// What the `siginfo` says besides the signal number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Info {
    /// Raised by a fault: `si_code`, `si_addr`.
    Fault { code: i32, addr: u64 },
    /// Sent: `si_code`, `si_pid`, `si_uid`, and the word at offset 24:
    /// `si_value` (`sigqueue`), `si_status` for SIGCHLD, else 0.
    Sent {
        code: i32,
        pid: i32,
        uid: u32,
        value: u64,
    },
}

/// Bytes of a `siginfo_t`.
pub const INFO_SIZE: usize = 128;

/// The `siginfo_t` of signal `signo` (what a handler with `SA_SIGINFO`
/// and `sigwaitinfo` see; everything not named is zero).
pub fn encode_info(signo: i32, info: Info) -> [u8; INFO_SIZE] {
    let mut b = [0u8; INFO_SIZE];
    write_info(&mut b, signo, info);
    b
}

/// Writes the named fields of the `siginfo_t` into `b` (at least 32
/// bytes, the rest zero already).
#[inline(always)]
fn write_info(b: &mut [u8], signo: i32, info: Info) {
    put32(b, 0, signo);
    match info {
        Info::Fault { code, addr } => {
            put32(b, 8, code);
            put64(b, 16, addr);
        }
        Info::Sent {
            code,
            pid,
            uid,
            value,
        } => {
            put32(b, 8, code);
            put32(b, 16, pid);
            put32(b, 20, uid as i32);
            put64(b, 24, value);
        }
    }
}

/// Everything the frame holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigFrame {
    /// The return address: `sa_restorer`.
    pub restorer: u64,
    /// `uc_stack`.
    pub stack: Stack,
    /// The interrupted general registers, `r8` to `eflags` ([`reg`]).
    pub gregs: [u64; reg::GENERAL],
    /// `err`, `trapno` (the exception's error code and vector).
    pub err: u64,
    pub trapno: u64,
    /// The mask before the signal (`oldmask` and `uc_sigmask`).
    pub mask: u64,
    /// `cr2`: the fault address.
    pub cr2: u64,
    /// Where the `fxsave` area is.
    pub fpstate: u64,
    /// `si_signo`.
    pub signo: i32,
    pub info: Info,
}

fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], off: usize, v: i32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn get64(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

impl SigFrame {
    /// The frame's bytes (everything not named is zero: `uc_flags`,
    /// `uc_link`, `si_errno`).
    pub fn encode(&self) -> [u8; FRAME_SIZE] {
        let mut b = [0u8; FRAME_SIZE];
        put64(&mut b, 0, self.restorer);
        put64(&mut b, UC_STACK, self.stack.sp);
        put64(&mut b, UC_STACK + 8, u64::from(self.stack.flags));
        put64(&mut b, UC_STACK + 16, self.stack.size);
        let g = |b: &mut [u8], i: usize, v: u64| put64(b, MCTX + i * 8, v);
        for (i, v) in self.gregs.iter().enumerate() {
            g(&mut b, i, *v);
        }
        g(&mut b, reg::CSGSFS, USER_CS);
        g(&mut b, reg::ERR, self.err);
        g(&mut b, reg::TRAPNO, self.trapno);
        g(&mut b, reg::OLDMASK, self.mask);
        g(&mut b, reg::CR2, self.cr2);
        g(&mut b, reg::FPSTATE, self.fpstate);
        put64(&mut b, UC_MASK, self.mask);
        write_info(&mut b[INFO..], self.signo, self.info);
        b
    }
}

/// What `rt_sigreturn` takes back from a frame (perhaps changed by the
/// handler).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Saved {
    pub gregs: [u64; reg::GENERAL],
    pub fpstate: u64,
    pub mask: u64,
}

/// Reads the saved state of the frame `b` (at least [`FRAME_SIZE`] bytes).
pub fn decode(b: &[u8]) -> Saved {
    let mut gregs = [0; reg::GENERAL];
    for (i, g) in gregs.iter_mut().enumerate() {
        *g = get64(b, MCTX + i * 8);
    }
    Saved {
        gregs,
        fpstate: get64(b, MCTX + reg::FPSTATE * 8),
        mask: get64(b, UC_MASK),
    }
}

/// The flags a handler's saved `eflags` give back: only those user code
/// may change (CF PF AF ZF SF TF DF OF), with IF and the reserved bit 1.
pub fn user_rflags(saved: u64) -> u64 {
    (saved & 0xcd5) | 0x202
}

/// Clears MXCSR's reserved bits in an `fxsave` area so that `fxrstor`
/// cannot fault.
pub fn clean_mxcsr(fx: &mut [u8]) {
    let m = u32::from_le_bytes([fx[MXCSR], fx[MXCSR + 1], fx[MXCSR + 2], fx[MXCSR + 3]]) & 0xffff;
    fx[MXCSR..MXCSR + 4].copy_from_slice(&m.to_le_bytes());
}

/// Where a frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The frame's address (the handler's `rsp`).
    pub sp: u64,
    /// The `fxsave` area's (64-byte aligned, above the frame).
    pub fpstate: u64,
    /// `uc_stack.ss_flags`: [`SS_ONSTACK`] if the interrupted code ran on
    /// the alternate stack, else the alternate stack's flags.
    pub stack_flags: u32,
}

/// Places the frame for code interrupted at `rsp`: on the alternate stack
/// `alt` if the action asks for it (`onstack`: `SA_ONSTACK`) and it is
/// enabled and not in use already, else below the red zone.
pub fn place(rsp: u64, alt: Stack, onstack: bool) -> Placement {
    let enabled = alt.flags & SS_DISABLE == 0;
    let top = alt.sp.wrapping_add(alt.size);
    let on_alt = enabled && rsp > alt.sp && rsp <= top;
    let sp = if onstack && enabled && !on_alt {
        top
    } else {
        rsp.wrapping_sub(RED_ZONE)
    };
    let fpstate = sp.wrapping_sub(FPSTATE_SIZE as u64) & !63;
    let sp = (fpstate.wrapping_sub(FRAME_SIZE as u64) & !15).wrapping_sub(8);
    Placement {
        sp,
        fpstate,
        stack_flags: if on_alt { SS_ONSTACK } else { alt.flags },
    }
}
