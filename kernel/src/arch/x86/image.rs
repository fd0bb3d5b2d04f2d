//! The kernel image as the linker laid it out (either x86 architecture:
//! the symbols are the same, only `KERNEL_VMA` differs): section bounds from
//! the linker script's symbols, and the patched-in symbol table.

use super::super::imp::paging::KERNEL_VMA;
use crate::arch::ImageLayout;

extern "C" {
    static __boot_start: u8;
    static __boot_end: u8;
    static __kernel_start: u8;
    static __kernel_end: u8;
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __data_end: u8;
    static __ksyms_start: u8;
    static __ksyms_end: u8;
    static boot_stack_guard: u8;
    static boot_stack_bottom: u8;
    static boot_stack_top: u8;
}

macro_rules! addr {
    ($sym:ident) => {
        core::ptr::addr_of!($sym) as usize as u64
    };
}

/// Section bounds of the running kernel.
pub fn layout() -> ImageLayout {
    ImageLayout {
        boot_phys: addr!(__boot_start)..addr!(__boot_end),
        kernel: addr!(__kernel_start)..addr!(__kernel_end),
        kernel_phys: addr!(__kernel_start) - KERNEL_VMA..addr!(__kernel_end) - KERNEL_VMA,
        text: addr!(__text_start)..addr!(__text_end),
        rodata: addr!(__rodata_start)..addr!(__rodata_end),
        data: addr!(__data_start)..addr!(__data_end),
        ksyms: addr!(__ksyms_start)..addr!(__ksyms_end),
        boot_stack: addr!(boot_stack_bottom)..addr!(boot_stack_top),
        boot_stack_guard: addr!(boot_stack_guard),
    }
}

/// The symbol table xtask patched into `.ksyms` (zeros if it did not).
pub fn ksyms() -> &'static [u8] {
    let start = addr!(__ksyms_start);
    let end = addr!(__ksyms_end);
    // SAFETY: `.ksyms` is a read-only section of the loaded image between the
    // two linker symbols, mapped for the kernel's whole life.
    unsafe { core::slice::from_raw_parts(start as usize as *const u8, (end - start) as usize) }
}
