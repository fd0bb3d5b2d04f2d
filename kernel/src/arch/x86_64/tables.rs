//! Per-CPU descriptor tables for x86_64: the GDT (kernel and user segments
//! and the TSS), the TSS with its interrupt stacks, and the IDT.

use core::cell::UnsafeCell;
use core::mem::size_of;

use kobjects::{OpenBytes, PortRange};

use super::trap;

/// Kernel code selector.
pub const KERNEL_CS: u16 = 0x08;
/// Kernel data selector.
pub const KERNEL_DS: u16 = 0x10;
const TSS_SEL: u16 = 0x28;

/// IST slots: 1 = double fault, 2 = NMI, 3 = machine check.
const IST_FOR: [(usize, u8); 3] = [(8, 1), (2, 2), (18, 3)];
const IST_STACK: usize = 16384;
/// Bytes of an I/O permission bitmap (one bit per port).
const IOMAP_BYTES: usize = 8192;
const IST_STRIDE: usize = 4096 + IST_STACK;

#[repr(C, packed(4))]
#[derive(Default)]
struct Tss {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

#[repr(C, align(16))]
#[derive(Clone, Copy, Default)]
struct IdtEntry {
    offset_low: u16,
    selector: u16,
    ist: u8,
    flags: u8,
    offset_mid: u16,
    offset_high: u32,
    zero: u32,
}

/// One CPU's tables.
#[repr(C, align(64))]
pub struct CpuTables {
    gdt: [u64; 7],
    tss: Tss,
    /// The I/O permission bitmap (a clear bit allows the port), right after
    /// the TSS, plus the terminating 0xff byte the CPU requires.
    iomap: [u8; IOMAP_BYTES + 1],
    /// The bytes of `iomap` that may allow a port (those the environment
    /// loaded last opened); every other byte is 0xff.
    iomap_open: OpenBytes,
    idt: [IdtEntry; 256],
}

/// Holds the boot CPU's tables; each CPU touches only its own.
pub struct TablesCell(UnsafeCell<CpuTables>);
// SAFETY: a CPU writes its tables once, during its own init, before loading them.
unsafe impl Sync for TablesCell {}

pub static BSP_TABLES: TablesCell = TablesCell(UnsafeCell::new(CpuTables {
    gdt: [0; 7],
    tss: Tss {
        reserved0: 0,
        rsp: [0; 3],
        reserved1: 0,
        ist: [0; 7],
        reserved2: 0,
        reserved3: 0,
        iomap_base: 0,
    },
    iomap: [0xff; IOMAP_BYTES + 1],
    iomap_open: OpenBytes::NONE,
    idt: [IdtEntry {
        offset_low: 0,
        selector: 0,
        ist: 0,
        flags: 0,
        offset_mid: 0,
        offset_high: 0,
        zero: 0,
    }; 256],
}));

extern "C" {
    static ist_stacks: u8;
}

/// Fills and loads the GDT, TSS and IDT for the calling CPU.
pub fn load(cell: &'static TablesCell) {
    // SAFETY: called once per CPU before interrupts are enabled; nobody else
    // references this CPU's tables yet.
    let t = unsafe { &mut *cell.0.get() };
    let ist_base = core::ptr::addr_of!(ist_stacks) as u64;
    let mut ist = [0u64; 7];
    for (i, slot) in ist.iter_mut().take(3).enumerate() {
        *slot = ist_base + ((i + 1) * IST_STRIDE) as u64;
    }
    t.tss.ist = ist;
    t.tss.iomap_base = size_of::<Tss>() as u16;
    t.tss.rsp = [trap::trap_stack_top_addr(), 0, 0];

    t.gdt[0] = 0;
    t.gdt[1] = 0x00af_9a00_0000_ffff; // kernel code, 64-bit
    t.gdt[2] = 0x00cf_9200_0000_ffff; // kernel data
    t.gdt[3] = 0x00cf_f200_0000_ffff; // user data
    t.gdt[4] = 0x00af_fa00_0000_ffff; // user code, 64-bit
    let tss_addr = core::ptr::addr_of!(t.tss) as u64;
    let limit = (size_of::<Tss>() + IOMAP_BYTES) as u64;
    t.gdt[5] =
        limit | ((tss_addr & 0xff_ffff) << 16) | (0x89 << 40) | (((tss_addr >> 24) & 0xff) << 56);
    t.gdt[6] = tss_addr >> 32;

    for (v, e) in t.idt.iter_mut().enumerate() {
        let addr = trap::stub_address(v);
        let ist = IST_FOR
            .iter()
            .find(|(vec, _)| *vec == v)
            .map_or(0, |(_, i)| *i);
        *e = IdtEntry {
            offset_low: addr as u16,
            selector: KERNEL_CS,
            ist,
            flags: 0x8e,
            offset_mid: (addr >> 16) as u16,
            offset_high: (addr >> 32) as u32,
            zero: 0,
        };
    }
    super::cpu_regs::load_gdt(&t.gdt, KERNEL_CS, KERNEL_DS);
    super::cpu_regs::load_tss(TSS_SEL);
    super::cpu_regs::load_idt(
        t.idt.as_ptr() as u64,
        (size_of::<IdtEntry>() * 256 - 1) as u16,
    );
}

/// The range of the IST stacks (guards included), for backtrace bounds.
pub fn ist_range() -> (u64, u64) {
    let base = core::ptr::addr_of!(ist_stacks) as u64;
    (base, base + 3 * IST_STRIDE as u64)
}

/// Guard pages below each IST stack.
pub fn ist_guards() -> [u64; 3] {
    let (base, _) = ist_range();
    [base, base + IST_STRIDE as u64, base + 2 * IST_STRIDE as u64]
}

/// Makes this CPU's I/O permissions for user mode allow exactly the ports
/// in `ranges` (none for an empty iterator). Only the bytes of the bitmap
/// the previous ranges opened are closed again and only those of the new
/// ranges opened: a switch between environments that hold the console's
/// eight ports rewrites one byte, not the 8 KiB.
#[inline]
pub fn load_io_ports<'a>(ranges: impl ExactSizeIterator<Item = &'a PortRange>) {
    // SAFETY: only the calling CPU touches its tables after `load`, and
    // interrupts are off in the kernel paths that call this.
    let t = unsafe { &mut *BSP_TABLES.0.get() };
    // (`switch_ports` gives `NONE` whenever nothing is open.)
    if ranges.len() == 0 && t.iomap_open == OpenBytes::NONE {
        return; // no ports before or after: nothing to write
    }
    t.iomap_open = kobjects::switch_ports(&mut t.iomap[..IOMAP_BYTES], t.iomap_open, ranges);
}
