//! Per-CPU descriptor tables for i386: the GDT, the two TSSs and the IDT.
//!
//! GDT layout (selectors):
//! - 0x08 kernel code, 0x10 kernel data, 0x18 user code, 0x20 user data (flat
//!   4 GiB; this order is the one SYSENTER/SYSEXIT expect);
//! - 0x28 the main TSS (ring-0 stack for future user-to-kernel entries);
//! - 0x30 the double-fault TSS;
//! - 0x38 the per-CPU segment: a small data segment whose base is the CPU's
//!   `PerCpu` block, loaded into GS, so `this_cpu()` reads `gs:[0]`.
//!
//! The IDT has 256 32-bit interrupt gates (DPL 0, interrupts off on entry) to
//! the 16-byte-stride stubs in `trap.s`, except vector 8: a task gate to the
//! double-fault TSS. A #DF therefore switches to a known-good stack (its own,
//! with an unmapped guard page below) and page tables even when the kernel
//! stack is gone; the hardware saves the interrupted registers in the main
//! TSS, where `interrupted_task` reads them back. The double-fault TSS's CR3
//! must name the live page tables: `load` takes the boot tables' CR3 and
//! `paging::init` updates it through `set_double_fault_cr3`.
//!
//! Only the boot CPU's tables exist so far (like the x86_64 layer); a second
//! CPU will need its own tables and double-fault stack.

use core::cell::UnsafeCell;
use core::mem::size_of;

use super::{cpu_regs, trap};

/// Kernel code selector.
pub const KERNEL_CS: u16 = 0x08;
/// Kernel data selector.
pub const KERNEL_DS: u16 = 0x10;
const TSS_SEL: u16 = 0x28;
const DF_TSS_SEL: u16 = 0x30;
/// The per-CPU segment (GS).
pub const PERCPU_SEL: u16 = 0x38;

const DF_VECTOR: usize = 8;
const DF_STACK: usize = 16384;

/// A 32-bit task-state segment. Segment fields hold a selector in their low 16 bits.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tss {
    pub link: u32,
    pub esp0: u32,
    pub ss0: u32,
    pub esp1: u32,
    pub ss1: u32,
    pub esp2: u32,
    pub ss2: u32,
    pub cr3: u32,
    pub eip: u32,
    pub eflags: u32,
    pub eax: u32,
    pub ecx: u32,
    pub edx: u32,
    pub ebx: u32,
    pub esp: u32,
    pub ebp: u32,
    pub esi: u32,
    pub edi: u32,
    pub es: u32,
    pub cs: u32,
    pub ss: u32,
    pub ds: u32,
    pub fs: u32,
    pub gs: u32,
    pub ldt: u32,
    pub trap: u16,
    pub iomap_base: u16,
}

const EMPTY_TSS: Tss = Tss {
    link: 0,
    esp0: 0,
    ss0: 0,
    esp1: 0,
    ss1: 0,
    esp2: 0,
    ss2: 0,
    cr3: 0,
    eip: 0,
    eflags: 0,
    eax: 0,
    ecx: 0,
    edx: 0,
    ebx: 0,
    esp: 0,
    ebp: 0,
    esi: 0,
    edi: 0,
    es: 0,
    cs: 0,
    ss: 0,
    ds: 0,
    fs: 0,
    gs: 0,
    ldt: 0,
    trap: 0,
    iomap_base: 0,
};

/// One CPU's tables.
#[repr(C, align(64))]
pub struct CpuTables {
    gdt: [u64; 8],
    tss: Tss,
    df_tss: Tss,
    idt: [u64; 256],
}

/// Holds the boot CPU's tables; each CPU touches only its own.
pub struct TablesCell(UnsafeCell<CpuTables>);
// SAFETY: a CPU writes its tables during its own init, before loading them;
// afterwards only the CPU itself (the hardware task switch, `paging::init`
// through `set_double_fault_cr3`, and the #DF report) touches them.
unsafe impl Sync for TablesCell {}

pub static BSP_TABLES: TablesCell = TablesCell(UnsafeCell::new(CpuTables {
    gdt: [0; 8],
    tss: EMPTY_TSS,
    df_tss: EMPTY_TSS,
    idt: [0; 256],
}));

extern "C" {
    static df_stack_guard: u8;
    static boot_stack_top: u8;
    fn df_task_entry();
}

/// A segment descriptor: `access` is the type byte, `flags` the G/D nibble.
fn descriptor(base: u32, limit: u32, access: u8, flags: u8) -> u64 {
    let (base, limit) = (u64::from(base), u64::from(limit));
    (limit & 0xffff)
        | ((base & 0xff_ffff) << 16)
        | (u64::from(access) << 40)
        | (((limit >> 16) & 0xf) << 48)
        | (u64::from(flags & 0xf) << 52)
        | (((base >> 24) & 0xff) << 56)
}

/// Fills and loads the GDT, both TSSs and the IDT for the calling CPU, with
/// GS addressing the per-CPU block at `percpu` (`percpu_len` bytes).
pub fn load(cell: &'static TablesCell, percpu: usize, percpu_len: usize) {
    // SAFETY: called once per CPU before interrupts are enabled; nobody else
    // references this CPU's tables yet.
    let t = unsafe { &mut *cell.0.get() };
    let tss_len = size_of::<Tss>() as u32;

    t.tss = EMPTY_TSS;
    t.tss.ss0 = u32::from(KERNEL_DS);
    t.tss.esp0 = core::ptr::addr_of!(boot_stack_top) as usize as u32;
    t.tss.iomap_base = tss_len as u16;

    let (_, df_top) = double_fault_stack();
    t.df_tss = EMPTY_TSS;
    t.df_tss.cr3 = cpu_regs::read_cr3();
    t.df_tss.eip = df_task_entry as *const () as usize as u32;
    t.df_tss.eflags = 0x2; // interrupts off
    t.df_tss.esp = df_top as u32;
    t.df_tss.esp0 = df_top as u32;
    t.df_tss.ss0 = u32::from(KERNEL_DS);
    t.df_tss.cs = u32::from(KERNEL_CS);
    t.df_tss.ss = u32::from(KERNEL_DS);
    t.df_tss.ds = u32::from(KERNEL_DS);
    t.df_tss.es = u32::from(KERNEL_DS);
    t.df_tss.gs = u32::from(PERCPU_SEL);
    t.df_tss.iomap_base = tss_len as u16;

    t.gdt[0] = 0;
    t.gdt[1] = descriptor(0, 0xfffff, 0x9a, 0xc); // kernel code
    t.gdt[2] = descriptor(0, 0xfffff, 0x92, 0xc); // kernel data
    t.gdt[3] = descriptor(0, 0xfffff, 0xfa, 0xc); // user code
    t.gdt[4] = descriptor(0, 0xfffff, 0xf2, 0xc); // user data
    let tss_addr = core::ptr::addr_of!(t.tss) as usize as u32;
    t.gdt[5] = descriptor(tss_addr, tss_len - 1, 0x89, 0);
    let df_tss_addr = core::ptr::addr_of!(t.df_tss) as usize as u32;
    t.gdt[6] = descriptor(df_tss_addr, tss_len - 1, 0x89, 0);
    t.gdt[7] = descriptor(percpu as u32, percpu_len.max(4) as u32 - 1, 0x92, 0x4);

    for (v, e) in t.idt.iter_mut().enumerate() {
        *e = if v == DF_VECTOR {
            (u64::from(DF_TSS_SEL) << 16) | (0x85 << 40)
        } else {
            let addr = u64::from(trap::stub_address(v));
            (addr & 0xffff) | (u64::from(KERNEL_CS) << 16) | (0x8e << 40) | ((addr >> 16) << 48)
        };
    }
    cpu_regs::load_gdt(&t.gdt, KERNEL_CS, KERNEL_DS, PERCPU_SEL);
    cpu_regs::load_tss(TSS_SEL);
    cpu_regs::load_idt(
        t.idt.as_ptr() as usize as u32,
        (size_of::<u64>() * 256 - 1) as u16,
    );
}

/// Points the double-fault task at the page tables rooted at `cr3`.
pub fn set_double_fault_cr3(cell: &'static TablesCell, cr3: u32) {
    // SAFETY: only this CPU uses its double-fault TSS, and the task switch
    // that reads the field cannot run concurrently with this store.
    unsafe { core::ptr::addr_of_mut!((*cell.0.get()).df_tss.cr3).write_volatile(cr3) };
}

/// The registers of the task a double fault interrupted, as the hardware
/// task switch saved them in the main TSS.
pub fn interrupted_task(cell: &'static TablesCell) -> Tss {
    // SAFETY: runs on the double-fault task after the switch completed; the
    // main TSS is not busy being written any more and is only read here.
    unsafe { core::ptr::addr_of!((*cell.0.get()).tss).read_volatile() }
}

/// The double-fault stack (guard page excluded): (bottom, top).
pub fn double_fault_stack() -> (usize, usize) {
    let bottom = core::ptr::addr_of!(df_stack_guard) as usize + 4096;
    (bottom, bottom + DF_STACK)
}

/// The unmapped guard page below the double-fault stack.
pub fn double_fault_guard() -> u64 {
    core::ptr::addr_of!(df_stack_guard) as usize as u64
}
