//! The upcall entry stub and the resume path, in assembly.
//!
//! The kernel starts `exo_rt_upcall_entry` with `rdi` = the address of an
//! `abi::UpcallFrame` (16-byte aligned, at the top of the upcall stack)
//! and `rsp` = that address - 8. The stub ends the frame-pointer chain,
//! aligns the stack for a call, and calls [`super::dispatch`] (which calls
//! the registered handler); `rbx` keeps the frame address across the call.
//!
//! Then it resumes from the frame, without entering the kernel and
//! without touching the interrupted stack (which may be unmapped, as when a
//! thread has just unmapped its own stack before exiting):
//!
//! 1. the frame's `rip` and `rdi` go into the runtime's words
//!    `RESUME_RIP` and `RESUME_RDI`;
//! 2. `popfq` takes the frame's `rflags` (pushed on the upcall stack);
//! 3. every other general register is loaded from the frame with `mov`s
//!    (which change no flag), `rsp` last;
//! 4. in the *window*: `rdi` from `RESUME_RDI`, then `jmp [RESUME_RIP]`.
//!
//! In the window the CPU runs the stub on the interrupted stack, so a
//! preemption upcall can land there. Its handler must resume that frame
//! unchanged (no thread switch: [`in_resume`] tells), and step 1 is then
//! skipped, so the window runs again with the words it was given. The frame offsets are `abi::UpcallFrame`'s,
//! checked below at compile time.

use abi::UpcallFrame;
use core::mem::offset_of;

// The offsets the assembly uses.
const _: () = {
    assert!(offset_of!(UpcallFrame, rax) == 32);
    assert!(offset_of!(UpcallFrame, rbx) == 40);
    assert!(offset_of!(UpcallFrame, rcx) == 48);
    assert!(offset_of!(UpcallFrame, rdx) == 56);
    assert!(offset_of!(UpcallFrame, rsi) == 64);
    assert!(offset_of!(UpcallFrame, rdi) == 72);
    assert!(offset_of!(UpcallFrame, rbp) == 80);
    assert!(offset_of!(UpcallFrame, rsp) == 88);
    assert!(offset_of!(UpcallFrame, r8) == 96);
    assert!(offset_of!(UpcallFrame, r15) == 152);
    assert!(offset_of!(UpcallFrame, rip) == 160);
    assert!(offset_of!(UpcallFrame, rflags) == 168);
};

core::arch::global_asm!(
    ".pushsection .text.exo_rt_upcall, \"ax\", @progbits",
    ".globl exo_rt_upcall_entry",
    ".type exo_rt_upcall_entry, @function",
    "exo_rt_upcall_entry:",
    // rsp = frame - 8: push a zero frame pointer (ends backtraces) to
    // align rsp to 16 for the call.
    "    xor ebp, ebp",
    "    push rbp",
    "    mov rbx, rdi",
    "    call {dispatch}",
    "    mov rdi, rbx",
    // Resume from the frame at rdi (also entered directly by `resume`).
    ".globl exo_rt_resume",
    "exo_rt_resume:",
    // The target rip and rdi go to RESUME_RIP / RESUME_RDI, unless the
    // frame was taken inside the window below (a preemption there): then
    // they already hold the interrupted resume's target, and the window
    // runs again with them.
    "    mov rax, [rdi + 160]",
    "    lea rcx, [rip + exo_rt_resume_window]",
    "    cmp rax, rcx",
    "    jb 2f",
    "    lea rcx, [rip + exo_rt_resume_end]",
    "    cmp rax, rcx",
    "    jb 3f",
    "2:",
    "    mov [rip + {resume_rip}], rax",
    "    mov rax, [rdi + 72]",
    "    mov [rip + {resume_rdi}], rax",
    "3:",
    "    push qword ptr [rdi + 168]",
    "    popfq",
    "    mov rax, [rdi + 32]",
    "    mov rbx, [rdi + 40]",
    "    mov rcx, [rdi + 48]",
    "    mov rdx, [rdi + 56]",
    "    mov rsi, [rdi + 64]",
    "    mov rbp, [rdi + 80]",
    "    mov r8, [rdi + 96]",
    "    mov r9, [rdi + 104]",
    "    mov r10, [rdi + 112]",
    "    mov r11, [rdi + 120]",
    "    mov r12, [rdi + 128]",
    "    mov r13, [rdi + 136]",
    "    mov r14, [rdi + 144]",
    "    mov r15, [rdi + 152]",
    "    mov rsp, [rdi + 88]",
    ".globl exo_rt_resume_window",
    "exo_rt_resume_window:",
    "    mov rdi, [rip + {resume_rdi}]",
    "    jmp qword ptr [rip + {resume_rip}]",
    ".globl exo_rt_resume_end",
    "exo_rt_resume_end:",
    ".size exo_rt_upcall_entry, . - exo_rt_upcall_entry",
    ".popsection",
    dispatch = sym super::dispatch,
    resume_rip = sym RESUME_RIP,
    resume_rdi = sym RESUME_RDI,
);

/// Where the resume path keeps the `rip` it jumps to.
static RESUME_RIP: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
/// And the `rdi` it loads last (the frame pointer until then).
static RESUME_RDI: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

extern "C" {
    /// The stub above; never called from Rust, only its address is used.
    fn exo_rt_upcall_entry();
    /// Its resume half: loads every register from the frame in `rdi` and
    /// jumps to the frame's `rip`.
    fn exo_rt_resume(frame: *const UpcallFrame) -> !;
    /// The part of the resume path that runs on the interrupted stack.
    fn exo_rt_resume_window();
    fn exo_rt_resume_end();
}

/// True if `rip` lies in the part of the resume path that already runs on
/// the interrupted stack (an upcall taken there must resume it unchanged).
pub fn in_resume(rip: u64) -> bool {
    let start = exo_rt_resume_window as *const () as u64;
    let end = exo_rt_resume_end as *const () as u64;
    (start..end).contains(&rip)
}

/// Continues at the state in `frame` (every general register, `rflags`,
/// `rsp`, `rip`), as the upcall entry does after its handler.
///
/// # Safety
///
/// The frame must describe user code that may run now (its `rip` is
/// code; its stack is whatever that code expects). Whatever the current
/// Rust code still owns is abandoned.
pub unsafe fn resume(frame: &UpcallFrame) -> ! {
    // SAFETY: the caller guarantees the frame is a state to continue at;
    // the stub only reads the frame and writes the runtime's RESUME_RIP.
    unsafe { exo_rt_resume(frame) }
}

/// The entry's address.
pub fn address() -> u64 {
    exo_rt_upcall_entry as *const () as u64
}
