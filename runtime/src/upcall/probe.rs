//! Instructions that trap on purpose, and a `syscall` with every register
//! chosen and observed: what the tests and benchmarks of the upcall path
//! need and safe Rust cannot express.

use crate::memory::is_program_memory;

/// Length in bytes of the trapping instruction of [`divide_error`]
/// (`div rcx`, encoded `48 f7 f1`): a handler skips it by adding this to
/// `rip`.
pub const DIVIDE_INSN_LEN: u64 = 3;

/// Executes `div rcx` with `rcx` = 0 and `rax` = `rax`: a divide error
/// (vector 0). Without a handler the kernel kills the program; a handler
/// that advances `rip` by [`DIVIDE_INSN_LEN`] resumes after it, and this
/// returns whatever `rax` the handler left in the frame (`rax` itself if
/// it left it alone).
pub fn divide_error(rax: u64) -> u64 {
    let out: u64;
    // The instruction only reads rax, rdx and rcx and writes rax
    // and rdx (all declared); with rcx = 0 it traps before writing, and
    // the trap either ends the program or resumes after the instruction
    // with registers the handler chose (rax and rdx are outputs, anything
    // else the handler changed is the handler's contract, see the module
    // `upcall`). The stack is not used.
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!(
            "xor edx, edx",
            // div rcx, spelled out so its length is DIVIDE_INSN_LEN.
            ".byte 0x48, 0xf7, 0xf1",
            inout("rax") rax => out,
            in("rcx") 0u64,
            out("rdx") _,
            options(nostack),
        );
    }
    out
}

/// Every general register but `rsp` around one `syscall`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyscallRegs {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
}

core::arch::global_asm!(
    ".pushsection .text.exo_rt_syscall_regs, \"ax\", @progbits",
    ".globl exo_rt_syscall_regs",
    ".type exo_rt_syscall_regs, @function",
    // rdi = *mut SyscallRegs. Saves the callee-saved registers, loads all
    // (rcx and r11 too, though `syscall` overwrites them), syscall, stores
    // all back.
    "exo_rt_syscall_regs:",
    "    push rbx",
    "    push rbp",
    "    push r12",
    "    push r13",
    "    push r14",
    "    push r15",
    "    push rdi",
    "    mov rax, [rdi + 0]",
    "    mov rbx, [rdi + 8]",
    "    mov rcx, [rdi + 16]",
    "    mov rdx, [rdi + 24]",
    "    mov rsi, [rdi + 32]",
    "    mov rbp, [rdi + 48]",
    "    mov r8, [rdi + 56]",
    "    mov r9, [rdi + 64]",
    "    mov r10, [rdi + 72]",
    "    mov r11, [rdi + 80]",
    "    mov r12, [rdi + 88]",
    "    mov r13, [rdi + 96]",
    "    mov r14, [rdi + 104]",
    "    mov r15, [rdi + 112]",
    "    mov rdi, [rdi + 40]",
    "    syscall",
    "    push rdi",
    "    mov rdi, [rsp + 8]",
    "    mov [rdi + 0], rax",
    "    mov [rdi + 8], rbx",
    "    mov [rdi + 16], rcx",
    "    mov [rdi + 24], rdx",
    "    mov [rdi + 32], rsi",
    "    mov [rdi + 48], rbp",
    "    mov [rdi + 56], r8",
    "    mov [rdi + 64], r9",
    "    mov [rdi + 72], r10",
    "    mov [rdi + 80], r11",
    "    mov [rdi + 88], r12",
    "    mov [rdi + 96], r13",
    "    mov [rdi + 104], r14",
    "    mov [rdi + 112], r15",
    "    pop rax",
    "    mov [rdi + 40], rax",
    "    pop rdi",
    "    pop r15",
    "    pop r14",
    "    pop r13",
    "    pop r12",
    "    pop rbp",
    "    pop rbx",
    "    ret",
    ".size exo_rt_syscall_regs, . - exo_rt_syscall_regs",
    ".popsection",
);

extern "C" {
    fn exo_rt_syscall_regs(regs: *mut SyscallRegs);
}

// The offsets the assembly uses.
const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(SyscallRegs, rdi) == 40);
    assert!(offset_of!(SyscallRegs, rbp) == 48);
    assert!(offset_of!(SyscallRegs, r15) == 112);
};

/// Loads `regs` into the registers (number in `rax`), executes `syscall`,
/// and stores every register back into `regs`: a native call's status and
/// results, or what a reflected call's handler left, and whatever else the
/// kernel or handler changed. Like [`crate::syscall6`] it refuses (panics)
/// to unmap the program's own memory.
pub fn syscall_regs(regs: &mut SyscallRegs) {
    if regs.rax == abi::Syscall::Unmap as u64 && is_program_memory(regs.rdi) {
        panic!(
            "exo-rt: refusing to unmap the program's own memory at {:#x}",
            regs.rdi
        );
    }
    // The stub saves and restores every register the C ABI makes
    // callee-saved and uses only its own stack below `rsp`; `regs` is a
    // valid, exclusive pointer for the call. The kernel preserves every
    // register but rax, rcx, r11 and the result registers and touches no
    // user memory except what the call names (the same contract as
    // `syscall6`, including the refusal above); a reflected call resumes
    // with the registers its handler left.
    // SAFETY: sound for the reasons just given.
    unsafe { exo_rt_syscall_regs(regs) }
}
