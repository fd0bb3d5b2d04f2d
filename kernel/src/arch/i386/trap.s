/*
 * i386 trap entry.
 *
 * 256 stubs, each 16 bytes apart, push an error code (0 where the CPU pushes
 * none) and the vector, then trap_common completes a TrapFrame (see trap.rs
 * for its layout) and calls trap_dispatch(&mut TrapFrame):
 *   - A trap from ring 0 pushes no esp/ss. trap_common then moves vector,
 *     error code, eip, cs and eflags down by 8 bytes and fills the two slots
 *     with the interrupted esp (the address just above the CPU's frame) and
 *     ss, so every TrapFrame is complete; the exit path moves eip, cs and
 *     eflags back before iret.
 *   - The general registers (pushal) and ds, es, fs, gs are saved; ds/es get
 *     the kernel data segment and gs the per-CPU segment.
 *   - The x87/SSE state is saved with fxsave around the call: the prebuilt
 *     i686 `core` uses SSE2, so Rust handlers may clobber XMM registers the
 *     interrupted code is using.
 *   - The call is made with esp 16-byte aligned (i386 SysV ABI); ebx, which
 *     the callee preserves, remembers the frame.
 *
 * Vector 8 is a task gate (tables.rs): its stub is never used. The double
 * fault runs df_task_entry on its own task and stack instead.
 */

.set KERNEL_DS, 0x10
.set PERCPU_SEL, 0x38

.section .text.trap, "ax"
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
    /* Stack: vector, error, eip, cs, eflags [, esp, ss if from ring 3]. */
    testl $3, 12(%esp)
    jnz 1f
    sub $8, %esp
    push %eax
    mov 12(%esp), %eax
    mov %eax, 4(%esp)             /* vector */
    mov 16(%esp), %eax
    mov %eax, 8(%esp)             /* error code */
    mov 20(%esp), %eax
    mov %eax, 12(%esp)            /* eip */
    mov 24(%esp), %eax
    mov %eax, 16(%esp)            /* cs */
    mov 28(%esp), %eax
    mov %eax, 20(%esp)            /* eflags */
    lea 32(%esp), %eax
    mov %eax, 24(%esp)            /* esp before the trap */
    mov %ss, %eax
    mov %eax, 28(%esp)            /* ss */
    pop %eax
1:  pushal
    push %ds
    push %es
    push %fs
    push %gs
    mov $KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov $PERCPU_SEL, %eax
    mov %eax, %gs
    cld
    mov %esp, %ebx                /* the TrapFrame */
    sub $512, %esp
    and $~15, %esp
    fxsave (%esp)
    sub $12, %esp
    push %ebx
    call trap_dispatch
    fxrstor 16(%esp)
    mov %ebx, %esp
    pop %gs
    pop %fs
    pop %es
    pop %ds
    popal
    /* Stack: vector, error, eip, cs, eflags, esp, ss. */
    testl $3, 12(%esp)
    jnz 2f
    push %eax
    mov 20(%esp), %eax
    mov %eax, 28(%esp)            /* eflags */
    mov 16(%esp), %eax
    mov %eax, 24(%esp)            /* cs */
    mov 12(%esp), %eax
    mov %eax, 20(%esp)            /* eip */
    pop %eax
    add $16, %esp
    iret
2:  add $8, %esp
    iret

/* The double-fault task (entered by the task gate for vector 8): CS, DS, ES,
 * SS, GS, ESP and CR3 come from the double-fault TSS; the CPU has pushed the
 * error code. The task switch set CR0.TS, which would make the first SSE
 * instruction fault: clear it. Then report from Rust; that never returns. */
.global df_task_entry
df_task_entry:
    clts
    mov (%esp), %eax
    and $~15, %esp
    sub $12, %esp
    push %eax
    xor %ebp, %ebp
    call double_fault_task
3:  cli
    hlt
    jmp 3b

/* Stack overflow on purpose (self-test): point esp at the top of the boot
 * stack's guard page and push. The #PF cannot be delivered on that stack,
 * so the CPU raises #DF, which the task gate moves to its own stack. */
.global trigger_double_fault
trigger_double_fault:
    mov $boot_stack_bottom, %esp
    push %eax
    ud2

/* The double-fault task's stack, with a guard page below. */
.section .bss.stack, "aw", @nobits
.balign 4096
.global df_stack_guard
df_stack_guard:
    .skip 4096      /* guard */
    .skip 16384     /* stack */
.global df_stack_top
df_stack_top:
