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
    add $16, %rsp
    iretq

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
