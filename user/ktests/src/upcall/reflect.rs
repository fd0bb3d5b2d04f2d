//! `utest=upcall-reflect` and `utest=upcall-none`: system-call reflection.
//!
//! `upcall-reflect`: with a handler registered with `reflect_syscalls`, a
//! raw `syscall` 39 (Linux getpid) reaches the handler as kind `SYSCALL`
//! with `rax` = 39, its arguments and `rcx` = `rip` (the instruction
//! after the `syscall`); the handler answers 4242 in `rax`, and the call
//! returns 4242 with every other register but `rcx` and `r11` as it was.
//! Native calls still go to the kernel and never reach the handler.
//!
//! `upcall-none`: without `reflect_syscalls`, and after `clear_handler`,
//! the same call returns `NoSuchCall` and the handler does not run.

use core::sync::atomic::{compiler_fence, AtomicU64, Ordering};

use abi::upcall::kind;
use abi::{Error, UpcallFrame};
use exo_rt::upcall::probe::{syscall_regs, SyscallRegs};
use exo_rt::upcall::{clear_handler, set_handler};
use exo_rt::{cap_identify, syscall6, StartArgs};

use super::{handler_fail, on_upcall_stack};
use crate::check::{Ctx, Outcome};

/// Linux getpid.
const GETPID: u64 = 39;
/// What the handler answers to it.
const PID: u64 = 4242;
/// Linux's -ENOSYS, the handler's answer to anything else.
const ENOSYS: u64 = -38i64 as u64;

/// Reflected calls the handler has seen.
static CALLS: AtomicU64 = AtomicU64::new(0);
/// The frame of the last one, as the handler received it.
static SEEN: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

fn handler(frame: &mut UpcallFrame) {
    if frame.kind != kind::SYSCALL {
        handler_fail(
            "upcall-reflect",
            format_args!(
                "kind {} vector {}, expected SYSCALL",
                frame.kind, frame.vector
            ),
        );
    }
    if !on_upcall_stack(frame) {
        handler_fail("upcall-reflect", format_args!("not on the upcall stack"));
    }
    CALLS.fetch_add(1, Ordering::SeqCst);
    let regs = [
        frame.rax, frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9, frame.rcx,
    ];
    for (seen, r) in SEEN.iter().zip(regs) {
        seen.store(r, Ordering::SeqCst);
    }
    if frame.rcx != frame.rip {
        handler_fail(
            "upcall-reflect",
            format_args!("rcx {:#x} is not rip {:#x}", frame.rcx, frame.rip),
        );
    }
    frame.rax = if frame.rax == GETPID { PID } else { ENOSYS };
}

fn calls() -> u64 {
    compiler_fence(Ordering::SeqCst);
    CALLS.load(Ordering::SeqCst)
}

/// Distinct values for every register.
fn patterned(rax: u64) -> SyscallRegs {
    let p = |i: u64| 0x5eed_0000_0000_0000 | (i * 0x0101_0101);
    SyscallRegs {
        rax,
        rbx: p(1),
        rcx: p(2),
        rdx: p(3),
        rsi: p(4),
        rdi: p(5),
        rbp: p(6),
        r8: p(7),
        r9: p(8),
        r10: p(9),
        r11: p(10),
        r12: p(11),
        r13: p(12),
        r14: p(13),
        r15: p(14),
    }
}

pub fn run_reflect(t: Ctx, _args: &StartArgs) -> Outcome {
    t.ok("set_handler(reflect)", set_handler(handler, true))?;

    let before = patterned(GETPID);
    let mut regs = before;
    syscall_regs(&mut regs);
    t.check(
        regs.rax == PID,
        format_args!("syscall 39 returned {:#x}, expected {PID}", regs.rax),
    )?;
    t.check(
        calls() == 1,
        format_args!("the handler ran {} times", calls()),
    )?;
    let seen: [u64; 7] = core::array::from_fn(|i| SEEN[i].load(Ordering::SeqCst));
    let sent = [
        GETPID, before.rdi, before.rsi, before.rdx, before.r10, before.r8, before.r9,
    ];
    t.check(
        seen == sent,
        format_args!("the handler saw rax, args {seen:#x?}, expected {sent:#x?}"),
    )?;
    // Everything but rax, rcx, r11 comes back as it went in.
    let expect = SyscallRegs {
        rax: PID,
        rcx: regs.rcx,
        r11: regs.r11,
        ..before
    };
    t.check(
        regs == expect,
        format_args!("registers after the call {regs:#x?}, expected {expect:#x?}"),
    )?;
    t.check(
        regs.rcx == SEEN[7].load(Ordering::SeqCst),
        format_args!(
            "rcx after the call {:#x} is not the return address",
            regs.rcx
        ),
    )?;

    // Through the ordinary helper, and another number.
    let (status, _) = syscall6(GETPID, [0; 6]);
    t.check(
        status == PID,
        format_args!("syscall6(39) returned {status}"),
    )?;
    let (status, _) = syscall6(60, [1, 2, 3, 4, 5, 6]);
    t.check(
        status == ENOSYS && SEEN[0].load(Ordering::SeqCst) == 60,
        format_args!("syscall6(60) returned {status:#x}, expected the handler's -ENOSYS"),
    )?;
    t.check(
        calls() == 3,
        format_args!("the handler ran {} times, expected 3", calls()),
    )?;

    // Native calls do not reach the handler.
    t.ok("cap_identify", cap_identify(0))?;
    t.note(format_args!("a native call with the handler registered"));
    t.check(
        calls() == 3,
        format_args!("native calls reached the handler ({} calls)", calls()),
    )?;
    t.ok("clear_handler", clear_handler())
}

pub fn run_none(t: Ctx, _args: &StartArgs) -> Outcome {
    let no_such = Error::NoSuchCall as u64;
    t.ok("set_handler(reflect)", set_handler(handler, true))?;
    let (status, _) = syscall6(GETPID, [0; 6]);
    t.check(
        status == PID && calls() == 1,
        format_args!(
            "with reflection: status {status}, {} handler calls",
            calls()
        ),
    )?;

    t.ok("set_handler(no reflect)", set_handler(handler, false))?;
    let (status, _) = syscall6(GETPID, [0; 6]);
    t.check(
        status == no_such && calls() == 1,
        format_args!(
            "without reflection: status {status}, {} handler calls; expected NoSuchCall, 1",
            calls()
        ),
    )?;

    t.ok("clear_handler", clear_handler())?;
    let (status, _) = syscall6(GETPID, [0; 6]);
    t.check(
        status == no_such && calls() == 1,
        format_args!(
            "after clear_handler: status {status}, {} handler calls; expected NoSuchCall, 1",
            calls()
        ),
    )?;
    let mut regs = patterned(GETPID);
    syscall_regs(&mut regs);
    t.check(
        regs.rax == no_such,
        format_args!("syscall_regs(39): {:#x}", regs.rax),
    )?;
    t.ok("clear_handler twice", clear_handler())
}
