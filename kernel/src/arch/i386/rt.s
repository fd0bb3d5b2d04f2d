/*
 * Symbols the prebuilt i686-unknown-linux-gnu `core`/`alloc` expect from the
 * C library and the unwinder, which a freestanding kernel does not link:
 *
 *   memcpy, memmove, memset, memcmp, bcmp  (the Linux target's
 *       compiler_builtins leaves these to libc). Written here in assembly,
 *       not Rust, so the compiler cannot turn their loops back into calls to
 *       themselves. cdecl; esi/edi/ebx/ebp preserved; DF is clear on entry
 *       and on return.
 *   rust_eh_personality, _Unwind_Resume  (the prebuilt `alloc` was compiled
 *       with panic=unwind, so its landing pads name them). The kernel is
 *       built with panic=abort and its panic handler never returns, so
 *       nothing unwinds and these are never reached: they trap (ud2) if
 *       they ever are, which the fault reporter shows as #UD.
 */

.section .text.rt, "ax"

.global memcpy
.type memcpy, @function
memcpy:
    push %esi
    push %edi
    mov 12(%esp), %edi
    mov 16(%esp), %esi
    mov 20(%esp), %ecx
    mov %edi, %eax
    mov %ecx, %edx
    shr $2, %ecx
    rep movsl
    mov %edx, %ecx
    and $3, %ecx
    rep movsb
    pop %edi
    pop %esi
    ret

.global memmove
.type memmove, @function
memmove:
    push %esi
    push %edi
    mov 12(%esp), %edi
    mov 16(%esp), %esi
    mov 20(%esp), %ecx
    mov %edi, %eax
    cmp %esi, %edi
    jbe 1f                        /* dest <= src: a forward copy is safe */
    lea (%esi, %ecx), %edx
    cmp %edx, %edi
    jae 1f                        /* no overlap */
    lea -1(%esi, %ecx), %esi      /* overlapping, dest above src: backwards */
    lea -1(%edi, %ecx), %edi
    std
    rep movsb
    cld
    jmp 2f
1:  mov %ecx, %edx
    shr $2, %ecx
    rep movsl
    mov %edx, %ecx
    and $3, %ecx
    rep movsb
2:  pop %edi
    pop %esi
    ret

.global memset
.type memset, @function
memset:
    push %edi
    mov 8(%esp), %edi
    movzbl 12(%esp), %eax
    imul $0x01010101, %eax, %eax
    mov 16(%esp), %ecx
    mov %ecx, %edx
    shr $2, %ecx
    rep stosl
    mov %edx, %ecx
    and $3, %ecx
    rep stosb
    mov 8(%esp), %eax
    pop %edi
    ret

.global memcmp
.type memcmp, @function
.global bcmp
.type bcmp, @function
memcmp:
bcmp:
    push %esi
    push %edi
    mov 12(%esp), %esi
    mov 16(%esp), %edi
    mov 20(%esp), %ecx
    xor %eax, %eax                /* ZF=1: equal when n == 0 */
    repe cmpsb
    je 3f
    movzbl -1(%esi), %eax
    movzbl -1(%edi), %edx
    sub %edx, %eax
3:  pop %edi
    pop %esi
    ret

.global rust_eh_personality
.type rust_eh_personality, @function
rust_eh_personality:
    ud2

.global _Unwind_Resume
.type _Unwind_Resume, @function
_Unwind_Resume:
    ud2
