//! Loading x86_64 control structures (GDT, TSS, IDT, CR3) and reading
//! the registers the rest of the arch layer needs.

use core::arch::asm;

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Loads `gdt` and reloads every segment register.
pub fn load_gdt(gdt: &[u64], cs: u16, ds: u16) {
    let ptr = DescriptorPointer {
        limit: (core::mem::size_of_val(gdt) - 1) as u16,
        base: gdt.as_ptr() as u64,
    };
    // SAFETY: `gdt` is 'static in practice (per-CPU tables) and holds valid
    // flat code/data descriptors at `cs`/`ds`; the far return reloads CS.
    unsafe {
        asm!(
            "lgdt [{ptr}]",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov ss, {ds:x}",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            ptr = in(reg) &ptr,
            ds = in(reg) ds as u64,
            cs = in(reg) cs as u64,
            tmp = lateout(reg) _,
        );
    }
}

/// Loads the task register.
pub fn load_tss(sel: u16) {
    // SAFETY: `sel` names an available 64-bit TSS descriptor in the loaded GDT.
    unsafe { asm!("ltr {0:x}", in(reg) sel, options(nostack, preserves_flags)) };
}

/// Loads the IDT.
pub fn load_idt(base: u64, limit: u16) {
    let ptr = DescriptorPointer { limit, base };
    // SAFETY: `base` points at a 'static IDT of `limit + 1` bytes.
    unsafe { asm!("lidt [{}]", in(reg) &ptr, options(nostack, preserves_flags)) };
}

/// Switches to the page tables rooted at physical `pml4`.
pub fn write_cr3(pml4: u64) {
    // SAFETY: the caller passes a PML4 that maps the running kernel.
    unsafe { asm!("mov cr3, {}", in(reg) pml4, options(nostack)) };
}

/// The loaded top-level page table.
pub fn current_root() -> u64 {
    let v: u64;
    // SAFETY: reads a register.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack)) };
    v & super::super::x86::pte::ADDR_MASK
}

/// Drops the TLB entry for `virt` on this CPU.
pub fn invalidate_page(virt: u64) {
    // SAFETY: INVLPG only drops a cached translation.
    unsafe { asm!("invlpg [{}]", in(reg) virt, options(nostack, preserves_flags)) };
}

/// Current frame pointer.
#[inline(always)]
pub fn frame_pointer() -> u64 {
    let fp: u64;
    // SAFETY: reads a register.
    unsafe { asm!("mov {}, rbp", out(reg) fp, options(nomem, nostack, preserves_flags)) };
    fp
}

/// Lets user code use x87 and SSE: CR0.EM and CR0.TS clear (no
/// emulation, no lazy-switch trap), CR0.MP and CR0.NE set (WAIT honours
/// TS, x87 errors as #MF), CR4.OSFXSR (FXSAVE/FXRSTOR and SSE) and
/// CR4.OSXMMEXCPT (SSE errors as #XM). The kernel itself stays soft-float;
/// `ext_state` switches the state between threads.
pub fn enable_sse() {
    const CR0_MP: u64 = 1 << 1;
    const CR0_EM: u64 = 1 << 2;
    const CR0_TS: u64 = 1 << 3;
    const CR0_NE: u64 = 1 << 5;
    const CR4_OSFXSR: u64 = 1 << 9;
    const CR4_OSXMMEXCPT: u64 = 1 << 10;
    // SAFETY: every x86_64 CPU has FXSR and SSE2 (CPUID is not needed);
    // the bits changed only enable x87/SSE instructions and their
    // exception reporting, which the kernel never executes itself.
    unsafe {
        asm!(
            "mov {t}, cr0",
            "and {t}, {clear}",
            "or {t}, {set}",
            "mov cr0, {t}",
            "mov {t}, cr4",
            "or {t}, {set4}",
            "mov cr4, {t}",
            t = out(reg) _,
            clear = in(reg) !(CR0_EM | CR0_TS),
            set = in(reg) CR0_MP | CR0_NE,
            set4 = in(reg) CR4_OSFXSR | CR4_OSXMMEXCPT,
            options(nostack),
        );
    }
}

/// Sets the GS base to this CPU's per-CPU block.
pub fn set_gs_base(v: u64) {
    use super::super::x86::{cpu, msr};
    cpu::wrmsr(msr::GS_BASE, v);
}

/// Reads the word at `gs:[0]` (the per-CPU block's self pointer).
#[inline(always)]
pub fn gs_self() -> u64 {
    let v: u64;
    // SAFETY: GS base is set to the per-CPU block during early init, whose first word is its own address.
    unsafe { asm!("mov {}, gs:[0]", out(reg) v, options(nostack, preserves_flags, readonly)) };
    v
}

/// Reads one u64 from a kernel address the caller has bounds-checked.
pub fn read_kernel_u64(addr: u64) -> u64 {
    // SAFETY: callers only pass aligned addresses inside a mapped kernel stack.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}
