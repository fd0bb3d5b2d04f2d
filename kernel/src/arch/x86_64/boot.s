/*
 * x86_64 boot entry. Two doors into the same kernel ELF:
 *   - PVH (QEMU -kernel): the ELF note XEN_ELFNOTE_PHYS32_ENTRY names pvh_entry;
 *     ebx = physical address of hvm_start_info.
 *   - Multiboot2 (GRUB, BIOS or UEFI): the header below names mb2_entry;
 *     eax = 0x36d76289, ebx = physical address of the boot information.
 * Both arrive in 32-bit protected mode with paging off. We record the TSC,
 * build boot page tables (identity, direct map and kernel window over the
 * first 4 GiB with 2 MiB pages), enter long mode and call arch_entry() in the
 * higher half with (protocol, magic, info, boot_tsc).
 */

.set KERNEL_VMA, 0xffffffff80000000
.set PROTO_PVH, 0
.set PROTO_MB2, 1

/* ---- Multiboot2 header: must lie in the first 32 KiB of the file. ---- */
.section .multiboot2_header, "a"
.balign 8
mb2_header_start:
    .long 0xe85250d6
    .long 0
    .long mb2_header_end - mb2_header_start
    .long 0x100000000 - (0xe85250d6 + (mb2_header_end - mb2_header_start))
    /* entry address tag */
    .balign 8
    .short 3
    .short 0
    .long 12
    .long mb2_entry
    /* end tag */
    .balign 8
    .short 0
    .short 0
    .long 8
mb2_header_end:

/* ---- PVH entry note ---- */
.section .note.Xen, "a", @note
.balign 4
    .long 4
    .long 4
    .long 18
    .asciz "Xen"
    .balign 4
    .long pvh_entry
    .balign 4

/* ---- 32-bit code, linked at its physical address ---- */
.section .boot.text, "ax"
.code32
.global pvh_entry
pvh_entry:
    mov (%ebx), %esi              /* start_info magic, checked by the kernel */
    mov $PROTO_PVH, %edi
    jmp common32

.global mb2_entry
mb2_entry:
    mov %eax, %esi
    mov $PROTO_MB2, %edi
    /* fall through */

common32:
    cli
    mov %eax, %ebp
    rdtsc
    mov %eax, boot_tsc
    mov %edx, boot_tsc + 4
    mov $boot_stack32_top, %esp
    push %ebx
    push %esi
    push %edi

    /* Long mode available? */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz no_long_mode
    mov %edx, %ebp                /* extended features: bit 20 = NX */

    /* Zero PML4, both PDPTs and the four PDs (7 pages). */
    mov $boot_pml4, %edi
    xor %eax, %eax
    mov $(7 * 1024), %ecx
    rep stosl

    /* PDs: 2048 entries of 2 MiB covering 0..4 GiB, present|writable|huge. */
    mov $boot_pd, %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, (%edi, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jb 1b

    /* Low PDPT: 4 entries -> the 4 PDs. Shared by identity and direct map. */
    mov $boot_pdpt_low, %edi
    mov $boot_pd, %eax
    or $3, %eax
    mov %eax, 0(%edi)
    add $4096, %eax
    mov %eax, 8(%edi)
    add $4096, %eax
    mov %eax, 16(%edi)
    add $4096, %eax
    mov %eax, 24(%edi)

    /* High PDPT: entries 510, 511 -> first 2 GiB (kernel window at -2 GiB). */
    mov $boot_pdpt_high, %edi
    mov $boot_pd, %eax
    or $3, %eax
    mov %eax, (510 * 8)(%edi)
    add $4096, %eax
    mov %eax, (511 * 8)(%edi)

    /* PML4: 0 identity, 256 direct map, 511 kernel window. */
    mov $boot_pml4, %edi
    mov $boot_pdpt_low, %eax
    or $3, %eax
    mov %eax, 0(%edi)
    mov %eax, (256 * 8)(%edi)
    mov $boot_pdpt_high, %eax
    or $3, %eax
    mov %eax, (511 * 8)(%edi)

    /* PAE + PGE, CR3, EFER.LME (+NXE), then paging with WP. */
    mov %cr4, %eax
    or $((1 << 5) | (1 << 7)), %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $(1 << 8), %eax
    test $(1 << 20), %ebp
    jz 2f
    or $(1 << 11), %eax
2:  wrmsr
    mov %cr0, %eax
    and $~((1 << 30) | (1 << 29)), %eax   /* caches on: clear CD and NW */
    or $((1 << 31) | (1 << 16)), %eax     /* paging, write-protect */
    mov %eax, %cr0

    lgdt boot_gdt_ptr
    pop %edi
    pop %esi
    pop %ebx
    ljmp $0x08, $long_mode_entry

no_long_mode:
    mov $no_lm_msg, %esi
    mov $0x3f8, %dx
3:  lodsb
    test %al, %al
    jz 4f
    out %al, %dx
    jmp 3b
4:  cli
    hlt
    jmp 4b

.code64
long_mode_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    mov %edi, %edi                /* protocol */
    mov %esi, %esi                /* magic */
    mov %ebx, %edx                /* info physical address */
    movabs $boot_tsc, %rax
    mov (%rax), %rcx              /* TSC at the first instruction */
    movabs $arch_entry, %rax
    call *%rax
5:  cli
    hlt
    jmp 5b

.section .boot.rodata, "a"
.balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff      /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff      /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
no_lm_msg:
    .asciz "ExoV6: this CPU has no long mode; use the i386 kernel\r\n"

.section .boot.data, "aw"
.balign 8
.global boot_tsc
boot_tsc:
    .quad 0

.section .boot.bss, "aw", @nobits
.balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
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
