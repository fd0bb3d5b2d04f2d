//! The upcall entry stub and the resume path, in assembly.
//!
//! The kernel starts `exo_rt_upcall_entry` with `rdi` = the address of an
//! `abi::UpcallFrame` (16-byte aligned, at the top of the upcall stack)
//! and `rsp` = that address - 8. The stub ends the frame-pointer chain,
//! aligns the stack for a call, and calls [`super::dispatch`] (which calls
//! the registered handler); `rbx` keeps the frame address across the call.
//!
//! Then it resumes from the frame, without entering the kernel:
//!
//! 1. store the frame's `rflags` and `rip` at `rsp - 144` and `rsp - 136`
//!    of the interrupted stack (`rsp` being the frame's): below the
//!    128-byte red zone, which the interrupted code may be using;
//! 2. switch to that stack (`rsp - 144`) and load every general register
//!    from the frame, `rbx` (the frame pointer) last;
//! 3. `popfq` takes the flags, and `ret 128` takes `rip` and lifts `rsp`
//!    over the red zone, back to the frame's `rsp` exactly.
//!
//! So the interrupted code sees every register as the frame holds it and
//! nothing of its stack changed (the two words written lie below its
//! `rsp - 128`). The frame offsets are `abi::UpcallFrame`'s, checked
//! below at compile time.

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
    // Resume from the frame at rdi.
    "    mov rax, [rdi + 88]",
    "    sub rax, 144",
    "    mov rcx, [rdi + 168]",
    "    mov [rax], rcx",
    "    mov rcx, [rdi + 160]",
    "    mov [rax + 8], rcx",
    "    mov rsp, rax",
    "    mov rbx, rdi",
    "    mov rax, [rbx + 32]",
    "    mov rcx, [rbx + 48]",
    "    mov rdx, [rbx + 56]",
    "    mov rsi, [rbx + 64]",
    "    mov rdi, [rbx + 72]",
    "    mov rbp, [rbx + 80]",
    "    mov r8, [rbx + 96]",
    "    mov r9, [rbx + 104]",
    "    mov r10, [rbx + 112]",
    "    mov r11, [rbx + 120]",
    "    mov r12, [rbx + 128]",
    "    mov r13, [rbx + 136]",
    "    mov r14, [rbx + 144]",
    "    mov r15, [rbx + 152]",
    "    mov rbx, [rbx + 40]",
    "    popfq",
    "    ret 128",
    ".size exo_rt_upcall_entry, . - exo_rt_upcall_entry",
    ".popsection",
    dispatch = sym super::dispatch,
);

extern "C" {
    /// The stub above; never called from Rust, only its address is used.
    fn exo_rt_upcall_entry();
}

/// The entry's address.
pub fn address() -> u64 {
    exo_rt_upcall_entry as *const () as u64
}
