/*
 * i386 boot entry: the Multiboot 1 header and the 32-bit entry mb1_entry.
 *
 * A Multiboot 1 loader (QEMU -kernel, GRUB) loads the ELF's PT_LOAD segments
 * at their physical addresses and jumps to mb1_entry (a physical address:
 * this code is linked at 1 MiB, identity) in 32-bit protected mode, paging
 * off, with eax = 0x2BADB002 and ebx = the Multiboot information's physical
 * address. We record the TSC first, check the CPU (CPUID, PAE, FXSR, SSE,
 * SSE2), build boot page tables (PAE: one page directory of 2 MiB pages over
 * the first 1 GiB, installed both as the identity map and as the higher half
 * at 0xC0000000), turn on paging with write protection, NX if the CPU has it
 * and SSE (the prebuilt i686 `core` uses SSE2), load a boot GDT, switch to the
 * higher-half boot stack and call arch_entry(magic, info, boot_tsc).
 * The Rust paging code replaces these tables and drops the identity map.
 */

.set MB1_MAGIC, 0x1BADB002
.set MB1_FLAGS, 0x00000003        /* bit 0: page-align modules, bit 1: memory info */

/* CPUID.1:EDX bits the kernel cannot run without: PAE, FXSR, SSE, SSE2. */
.set NEED_EDX, (1 << 6) | (1 << 24) | (1 << 25) | (1 << 26)

/* ---- Multiboot 1 header: 4-byte aligned, in the first 8 KiB of the file. ---- */
.section .multiboot_header, "a"
.balign 4
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)

/* ---- 32-bit code, linked at its physical address ---- */
.section .boot.text, "ax"
.global mb1_entry
mb1_entry:
    cli
    mov %eax, %esi                /* magic, checked by the kernel */
    rdtsc
    mov %eax, boot_tsc
    mov %edx, boot_tsc + 4
    mov %ebx, %edi                /* Multiboot information (physical) */
    mov $boot_stack32_top, %esp
    cld

    /* CPUID present? (EFLAGS.ID can be toggled.) */
    pushfl
    pop %eax
    mov %eax, %ecx
    xor $(1 << 21), %eax
    push %eax
    popfl
    pushfl
    pop %eax
    push %ecx
    popfl
    xor %ecx, %eax
    jz unsupported_cpu

    /* PAE, FXSR, SSE, SSE2; remember PGE (bit 13). */
    mov $1, %eax
    cpuid
    mov %edx, %ebp
    and $NEED_EDX, %edx
    cmp $NEED_EDX, %edx
    jne unsupported_cpu

    /* NX (CPUID 0x80000001:EDX bit 20) -> bit 0 of ebx below. */
    mov $0x80000000, %eax
    cpuid
    xor %ebx, %ebx
    cmp $0x80000001, %eax
    jb 1f
    mov $0x80000001, %eax
    cpuid
    xor %ebx, %ebx
    test $(1 << 20), %edx
    jz 1f
    mov $1, %ebx
1:
    /* Zero the PDPT page and the page directory. */
    push %edi
    mov $boot_pdpt, %edi
    xor %eax, %eax
    mov $(2 * 1024), %ecx
    rep stosl
    pop %edi

    /* PD: 512 entries of 2 MiB covering 0..1 GiB, present|writable|large. */
    mov $boot_pd, %edx
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, (%edx, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jb 2b

    /* PDPT: entry 0 (identity) and entry 3 (0xC0000000) -> the same PD.
     * PAE PDPT entries take only the present bit. */
    mov $boot_pdpt, %edx
    mov $boot_pd, %eax
    or $1, %eax
    mov %eax, 0(%edx)
    mov %eax, 24(%edx)

    /* CR4: PAE, OSFXSR, OSXMMEXCPT, and PGE when the CPU has it. */
    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax
    test $(1 << 13), %ebp
    jz 3f
    or $(1 << 7), %eax
3:  mov %eax, %cr4

    /* EFER.NXE when the CPU has NX (EFER exists whenever NX does). */
    test $1, %ebx
    jz 4f
    mov $0xc0000080, %ecx
    rdmsr
    or $(1 << 11), %eax
    wrmsr
4:
    mov $boot_pdpt, %eax
    mov %eax, %cr3

    /* CR0: paging, write protect, native FPU errors, MP; no EM/TS; caches on. */
    mov %cr0, %eax
    and $~((1 << 30) | (1 << 29) | (1 << 3) | (1 << 2)), %eax
    or $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 1)), %eax
    mov %eax, %cr0
    fninit

    /* The loader's GDT may be gone: load ours before touching segments. */
    lgdt boot_gdt_ptr
    ljmp $0x08, $5f
5:  mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs

    /* Higher-half stack; arch_entry(magic, info, boot_tsc) by cdecl, with
     * esp 16-byte aligned at the call as the i386 SysV ABI asks. */
    mov $boot_stack_top, %esp
    xor %ebp, %ebp
    push boot_tsc + 4
    push boot_tsc
    push %edi
    push %esi
    mov $arch_entry, %eax
    call *%eax
6:  cli
    hlt
    jmp 6b

unsupported_cpu:
    mov $unsupported_msg, %esi
    mov $0x3f8, %dx
7:  lodsb
    test %al, %al
    jz 8f
    out %al, %dx
    jmp 7b
8:  cli
    hlt
    jmp 8b

.section .boot.rodata, "a"
.balign 8
boot_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff      /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff      /* 0x10: flat data */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
unsupported_msg:
    .asciz "ExoV6: the i386 kernel needs a CPU with CPUID, PAE, FXSR, SSE and SSE2\r\n"

.section .boot.data, "aw"
.balign 8
.global boot_tsc
boot_tsc:
    .quad 0

.section .boot.bss, "aw", @nobits
.balign 4096
boot_pdpt:      .skip 4096
boot_pd:        .skip 4096
boot_stack32:   .skip 1024
boot_stack32_top:

/* ---- The boot CPU's kernel stack (higher half), with a guard page below. ---- */
.section .bss.stack, "aw", @nobits
.balign 4096
.global boot_stack_guard
boot_stack_guard: .skip 4096
.global boot_stack_bottom
boot_stack_bottom: .skip 65536
.global boot_stack_top
boot_stack_top:
