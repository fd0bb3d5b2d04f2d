//! Loading i386 control structures (GDT, TSS, IDT, CR3) and reading the
//! registers the rest of the i386 arch layer needs (frame pointer, CR3,
//! CR0, the per-CPU self pointer at `gs:[0]`).

use core::arch::asm;

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u32,
}

/// Loads `gdt`, reloads CS with `cs`, DS/ES/SS with `ds`, FS with the null
/// selector and GS with `gs` (the per-CPU segment).
pub fn load_gdt(gdt: &[u64], cs: u16, ds: u16, gs: u16) {
    let ptr = DescriptorPointer {
        limit: (core::mem::size_of_val(gdt) - 1) as u16,
        base: gdt.as_ptr() as usize as u32,
    };
    // SAFETY: `gdt` lives in this CPU's 'static tables and holds flat code
    // and data descriptors at `cs`/`ds` and a data descriptor at `gs`; the
    // far return reloads CS, the moves reload the data segments.
    unsafe {
        asm!(
            "lgdt [{ptr}]",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov ss, {ds:x}",
            "mov fs, {zero:x}",
            "mov gs, {gs:x}",
            "push {cs}",
            "lea {tmp}, [2f]",
            "push {tmp}",
            "retf",
            "2:",
            ptr = in(reg) &ptr,
            ds = in(reg) u32::from(ds),
            gs = in(reg) u32::from(gs),
            zero = in(reg) 0u32,
            cs = in(reg) u32::from(cs),
            tmp = lateout(reg) _,
        );
    }
}

/// Loads the task register.
pub fn load_tss(sel: u16) {
    // SAFETY: `sel` names an available 32-bit TSS descriptor in the loaded GDT.
    unsafe { asm!("ltr {0:x}", in(reg) sel, options(nostack, preserves_flags)) };
}

/// Loads the IDT.
pub fn load_idt(base: u32, limit: u16) {
    let ptr = DescriptorPointer { limit, base };
    // SAFETY: `base` points at a 'static IDT of `limit + 1` bytes.
    unsafe { asm!("lidt [{}]", in(reg) &ptr, options(nostack, preserves_flags)) };
}

/// The physical address of the current page-directory-pointer table.
/// (MOV to/from CR leaves the arithmetic flags undefined: no `preserves_flags`.)
pub fn read_cr3() -> u32 {
    let v: u32;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack)) };
    v
}

/// Switches to the page tables rooted at the PAE PDPT at physical `pdpt`.
pub fn write_cr3(pdpt: u32) {
    // SAFETY: the caller passes a PDPT (below 4 GiB, 32-byte aligned) whose
    // tables map the running kernel, its stack and the direct map.
    unsafe { asm!("mov cr3, {}", in(reg) pdpt, options(nostack)) };
}

/// Sets CR0.WP so the kernel itself cannot write read-only pages.
pub fn set_write_protect() {
    // SAFETY: setting WP only makes read-only mappings binding in ring 0;
    // the kernel never writes its own text or rodata.
    unsafe {
        asm!(
            "mov {t}, cr0",
            "or {t}, 0x10000",
            "mov cr0, {t}",
            t = out(reg) _,
            options(nomem, nostack)
        )
    };
}

/// Drops the TLB entry for the page holding `virt`.
pub fn invlpg(virt: usize) {
    // SAFETY: INVLPG only discards a cached translation.
    unsafe { asm!("invlpg [{}]", in(reg) virt, options(nostack, preserves_flags)) };
}

/// Current frame pointer.
#[inline(always)]
pub fn frame_pointer() -> u32 {
    let fp: u32;
    // SAFETY: reads a register.
    unsafe { asm!("mov {}, ebp", out(reg) fp, options(nomem, nostack, preserves_flags)) };
    fp
}

/// Reads the word at `gs:[0]` (the per-CPU block's self pointer).
#[inline(always)]
pub fn gs_self() -> u32 {
    let v: u32;
    // SAFETY: GS holds the per-CPU segment loaded in early init, whose base is
    // the per-CPU block and whose first word is the block's own address.
    unsafe { asm!("mov {}, gs:[0]", out(reg) v, options(nostack, preserves_flags, readonly)) };
    v
}

/// Reads one u32 from a kernel address the caller has bounds-checked.
pub fn read_kernel_u32(addr: u32) -> u32 {
    // SAFETY: callers only pass aligned addresses inside a mapped kernel stack.
    unsafe { core::ptr::read_volatile(addr as usize as *const u32) }
}
