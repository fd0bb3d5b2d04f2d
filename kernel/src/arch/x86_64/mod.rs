//! The x86_64 architecture layer: boot entry (PVH and Multiboot2), long-mode
//! descriptor tables, trap entry, page tables and the per-CPU base (GS).

mod cpu_regs;
mod ext_state;
pub use super::x86::image;
pub mod paging;
mod tables;
mod trap;

pub use ext_state::{set_fs_base, ExtState};
pub use paging::{phys_to_virt, FRAME_LIMIT};
pub use tables::load_io_ports;
pub use trap::{enter_user_mode, overflow_stack, touch_unmapped, TrapFrame};

use crate::boot::{Handoff, Protocol};
use crate::percpu::PerCpu;

core::arch::global_asm!(include_str!("boot.s"), options(att_syntax));

/// Architecture name shown in the banner.
pub const NAME: &str = "x86_64";

#[no_mangle]
extern "C" fn arch_entry(protocol: u32, magic: u32, info: u64, boot_tsc: u64) -> ! {
    let protocol = if protocol == 0 {
        Protocol::Pvh
    } else {
        Protocol::Multiboot2
    };
    crate::kmain(Handoff {
        protocol,
        magic,
        info_paddr: info,
        boot_tsc,
    })
}

/// Loads this CPU's descriptor tables and points GS at its per-CPU block.
pub fn early_init(cpu: &'static PerCpu) {
    tables::load(&tables::BSP_TABLES);
    cpu.set_kernel_stack_top(trap::trap_stack_top_addr() as usize);
    cpu_regs::set_gs_base(cpu as *const PerCpu as u64);
    cpu_regs::enable_sse();
    trap::init_syscall();
}

/// The calling CPU's per-CPU block.
pub fn this_cpu() -> &'static PerCpu {
    let p = cpu_regs::gs_self() as *const PerCpu;
    // SAFETY: GS base was set in `early_init` to a 'static PerCpu whose first
    // word is its own address.
    unsafe { &*p }
}

/// Guard pages that must stay unmapped.
pub fn guard_pages() -> [u64; 5] {
    let g = tables::ist_guards();
    [
        image::layout().boot_stack_guard,
        g[0],
        g[1],
        g[2],
        trap::trap_stack_guard_addr(),
    ]
}

/// Address the physical range `[paddr, paddr+len)` for device registers.
pub fn map_mmio(paddr: u64, len: u64) -> Option<usize> {
    phys_to_virt(paddr, len)
}

/// The caller's frame pointer.
#[inline(always)]
pub fn current_fp() -> u64 {
    cpu_regs::frame_pointer()
}

fn on_kernel_stack(addr: u64) -> bool {
    let l = image::layout();
    let (ist_lo, ist_hi) = tables::ist_range();
    let trap = trap::trap_stack_guard_addr() + 4096..trap::trap_stack_top_addr();
    [l.boot_stack, ist_lo..ist_hi, trap]
        .iter()
        .any(|r| r.contains(&addr) && r.contains(&(addr + 15)))
}

/// Walks the frame-pointer chain from `fp`, calling `f` with each return address.
pub fn backtrace(fp: u64, f: impl FnMut(u64)) {
    super::x86::walk_frames(fp, 8, on_kernel_stack, cpu_regs::read_kernel_u64, f);
}
