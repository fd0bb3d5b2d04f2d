/*
 * x86_64 trap entry: 256 stubs, each 16 bytes apart, push an error code
 * (0 where the CPU pushes none) and the vector, then trap_common saves the
 * general registers into a TrapFrame and calls trap_dispatch(&mut TrapFrame).
 */
.section .text.trap, "ax"
.code64
.balign 16
.global trap_stubs
trap_stubs:
.set vec, 0
.rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push $0
    .endif
    push $vec
    jmp trap_common
    .set vec, vec + 1
.endr

trap_common:
    testb $3, 24(%rsp)            /* from user mode? switch to the kernel GS */
    jz trap_save
    swapgs
trap_save:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call trap_dispatch
.global trap_restore
trap_restore:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    testb $3, 24(%rsp)            /* back to user mode? restore the user GS */
    jz 1f
    swapgs
1:  add $16, %rsp
    iretq

/* `syscall` from user mode (IF is masked by SFMASK). Builds the same
 * TrapFrame an interrupt would, on this CPU's trap stack, with vector 0x100,
 * so system calls share the trap path and return with iretq. The per-CPU
 * block holds the trap-stack top at gs:8 and a scratch word at gs:16. */
.global syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:16
    mov %gs:8, %rsp
    pushq $0x1b                   /* user ss */
    pushq %gs:16                  /* user rsp */
    push %r11                     /* user rflags */
    pushq $0x23                   /* user cs */
    push %rcx                     /* user rip */
    pushq $0
    pushq $0x100
    jmp trap_save

/* Enters user mode for the first time: rdi points at a TrapFrame at the
 * top of the trap stack. */
.global enter_user
enter_user:
    mov %rdi, %rsp
    jmp trap_restore

/* Stack overflow on purpose (self-test): point rsp at the top of the boot
 * stack's guard page and push. The #PF cannot be delivered on that stack,
 * so the CPU raises #DF, which runs on its own IST stack. */
.global trigger_double_fault
trigger_double_fault:
    movabs $boot_stack_bottom, %rsp
    push %rax
    ud2

/* Separate stacks for #DF, NMI and #MC, each with a guard page below. */
.section .bss.stack, "aw", @nobits
.balign 4096
.global ist_stacks
ist_stacks:
.rept 3
    .skip 4096      /* guard */
    .skip 16384     /* stack */
.endr
.global ist_stacks_end
ist_stacks_end:

/* The boot CPU's trap stack: where the CPU (TSS.rsp0) and syscall_entry
 * land when user mode enters the kernel. Guard page below. */
.balign 4096
.global trap_stack_guard
trap_stack_guard: .skip 4096
.skip 32768
.global trap_stack_top
trap_stack_top:
