//! The i386 architecture layer: Multiboot 1 boot entry, protected-mode
//! descriptor tables (with a double-fault task), trap entry, PAE page tables
//! and the per-CPU base (a GS segment).
//!
//! Address space (see `paging`): the kernel is linked at 0xC000_0000 +
//! physical, inside a direct map of the low 768 MiB of physical memory;
//! device registers live in an uncached window at 0xF000_0000..0xFF80_0000.

mod cpu_regs;
pub use super::x86::image;
pub mod paging;
mod rt;
mod tables;
mod trap;

pub use paging::{phys_to_virt, FRAME_LIMIT};
pub use trap::{overflow_stack, touch_unmapped, TrapFrame};

use crate::boot::{Handoff, Protocol};
use crate::percpu::PerCpu;

core::arch::global_asm!(include_str!("boot.s"), options(att_syntax));

/// Architecture name shown in the banner.
pub const NAME: &str = "i386";

/// Called by boot.s on the higher-half boot stack, paging and SSE on.
#[no_mangle]
extern "C" fn arch_entry(magic: u32, info: u32, boot_tsc: u64) -> ! {
    crate::kmain(Handoff {
        protocol: Protocol::Multiboot1,
        magic,
        info_paddr: u64::from(info),
        boot_tsc,
    })
}

/// Loads this CPU's descriptor tables and points GS at its per-CPU block.
pub fn early_init(cpu: &'static PerCpu) {
    tables::load(
        &tables::BSP_TABLES,
        cpu as *const PerCpu as usize,
        core::mem::size_of::<PerCpu>(),
    );
}

/// The calling CPU's per-CPU block.
pub fn this_cpu() -> &'static PerCpu {
    let p = cpu_regs::gs_self() as usize as *const PerCpu;
    // SAFETY: GS was loaded in `early_init` with a segment based at a 'static
    // PerCpu whose first word is its own address.
    unsafe { &*p }
}

/// Guard pages that must stay unmapped.
pub fn guard_pages() -> [u64; 2] {
    [
        image::layout().boot_stack_guard,
        tables::double_fault_guard(),
    ]
}

/// Address the physical range `[paddr, paddr+len)` for device registers
/// (uncached, in the device window; `None` before `paging::init`).
pub fn map_mmio(paddr: u64, len: u64) -> Option<usize> {
    paging::map_mmio(paddr, len)
}

/// The caller's frame pointer.
#[inline(always)]
pub fn current_fp() -> u64 {
    u64::from(cpu_regs::frame_pointer())
}

fn on_kernel_stack(addr: u64) -> bool {
    let l = image::layout();
    let (df_lo, df_hi) = tables::double_fault_stack();
    let df = df_lo as u64..df_hi as u64;
    l.boot_stack.contains(&addr) && l.boot_stack.contains(&(addr + 7))
        || df.contains(&addr) && df.contains(&(addr + 7))
}

/// Walks the frame-pointer chain from `fp`, calling `f` with each return address.
pub fn backtrace(fp: u64, f: impl FnMut(u64)) {
    let read = |a: u64| u64::from(cpu_regs::read_kernel_u32(a as u32));
    super::x86::walk_frames(fp, 4, on_kernel_stack, read, f);
}
