//! i386 kernel address space, with PAE paging (so NX is available when the
//! CPU has it, and 2 MiB pages). The lower 3 GiB (PDPT entries 0-2) hold no
//! kernel mappings: the boot identity map is dropped here, and later issues
//! put user space there. The top 1 GiB is one page directory:
//!
//! - `0xC000_0000..0xF000_0000`: the direct map, virt = phys + 0xC000_0000,
//!   of the low 768 MiB of physical memory (2 MiB pages; uncached where
//!   there is no RAM). The kernel image is linked at the same addresses
//!   (KERNEL_VMA + physical), so the 2 MiB chunks holding it are split into
//!   4 KiB pages: text read-execute, rodata read-only, data read-write,
//!   stack guard pages unmapped, everything but text no-execute.
//!   `FRAME_LIMIT` is 768 MiB: the frame allocator only hands out frames the
//!   direct map covers; RAM above 768 MiB stays unused (firmware tables
//!   there are reached through the window, below).
//! - `0xF000_0000..0xFF80_0000`: the window. `map_mmio` maps device
//!   registers there uncached (always there, even below 768 MiB, so device
//!   pages never get a write-back mapping). After `init`, `phys_to_virt`
//!   also maps memory above the direct map there (write-back) on demand:
//!   with more than 768 MiB of RAM the firmware puts the ACPI tables above
//!   it, and they must stay readable. Its first 4 MiB use 4 KiB pages (two
//!   page tables allocated here, so later mappings need no allocator);
//!   requests that do not fit there use 2 MiB pages above. Mappings are
//!   never removed, and a 4 KiB-mapped request already covered by an
//!   earlier mapping of the same kind reuses it.
//!
//! Before `init` the boot tables (boot.s) map the first 1 GiB at
//! 0xC000_0000, so `phys_to_virt` works for the low 768 MiB from the first
//! instruction (and returns `None` above it until `init`).

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use spin::Mutex;

use super::super::x86::pte::{
    ADDR_MASK, GLOBAL, HUGE, MIB2, NO_CACHE, NO_EXECUTE, PRESENT, WRITABLE, WRITE_THROUGH,
};
use super::{cpu_regs, tables};
use crate::arch::{ImageLayout, PagingSummary};

/// Start of the direct map of physical memory (and of the kernel image).
pub const DIRECT_MAP_BASE: usize = 0xC000_0000;
/// Where the kernel image is linked (physical + this).
pub const KERNEL_VMA: u64 = DIRECT_MAP_BASE as u64;
/// Bytes of physical memory the direct map covers.
const DIRECT_MAP_BYTES: u64 = 768 << 20;

/// Highest physical address the frame allocator may hand out: the end of
/// the direct map.
pub const FRAME_LIMIT: u64 = DIRECT_MAP_BYTES;

const MMIO_BASE: usize = 0xF000_0000;
const MMIO_END: usize = 0xFF80_0000;
/// Page tables preallocated for 4 KiB device mappings.
const MMIO_SMALL_TABLES: usize = 2;
const MMIO_SMALL_END: usize = MMIO_BASE + MMIO_SMALL_TABLES * MIB2 as usize;

/// Physical address of the kernel page directory (0 before `init`).
static KERNEL_PD: AtomicU32 = AtomicU32::new(0);
/// Whether `init` found NX usable.
static NX: AtomicBool = AtomicBool::new(false);

/// Kernel virtual address of physical memory `[paddr, paddr+len)`: through
/// the direct map when it covers the range, otherwise (after `init`) through
/// a write-back mapping in the window.
pub fn phys_to_virt(paddr: u64, len: u64) -> Option<usize> {
    let end = paddr.checked_add(len)?;
    if end <= DIRECT_MAP_BYTES {
        Some(DIRECT_MAP_BASE + paddr as usize)
    } else {
        map_window(paddr, len, 0)
    }
}

/// Kernel virtual address of `phys` (a page-table frame) in the direct map.
fn direct(phys: u64) -> usize {
    DIRECT_MAP_BASE + phys as usize
}

fn table(phys: u64) -> &'static mut [u64; 512] {
    // SAFETY: `phys` is a page-table frame this module allocated, below the
    // direct map's end (checked when allocated); nothing else aliases it
    // mutably (`init` runs once, `map_window` holds the window lock).
    unsafe { &mut *(direct(phys) as *mut [u64; 512]) }
}

struct Builder<'a> {
    alloc: &'a mut dyn FnMut() -> Option<u64>,
    tables: usize,
}

impl Builder<'_> {
    fn new_table(&mut self) -> Result<u64, &'static str> {
        let f = (self.alloc)().ok_or("out of memory for page tables")?;
        if f.checked_add(4096).is_none_or(|end| end > DIRECT_MAP_BYTES) {
            return Err("page-table frame outside the direct map");
        }
        table(f).fill(0);
        self.tables += 1;
        Ok(f)
    }

    /// The page table under `pd` for the 2 MiB chunk holding `virt`.
    fn page_table(&mut self, pd: u64, virt: usize) -> Result<u64, &'static str> {
        let i = pd_index(virt);
        let e = table(pd)[i];
        if e & PRESENT != 0 {
            return Ok(e & ADDR_MASK);
        }
        let t = self.new_table()?;
        table(pd)[i] = t | PRESENT | WRITABLE;
        Ok(t)
    }
}

/// Index in the kernel page directory (the top 1 GiB) of `virt`.
fn pd_index(virt: usize) -> usize {
    (virt >> 21) & 511
}

fn pt_index(virt: usize) -> usize {
    (virt >> 12) & 511
}

/// Whether the CPU has NX and the boot code turned it on.
fn nx_enabled() -> bool {
    super::super::x86::cpu::CpuInfo::read().features.nx
        && super::super::x86::cpu::rdmsr(super::super::x86::msr::EFER)
            & super::super::x86::msr::EFER_NXE
            != 0
}

/// Builds and loads the kernel's page tables.
///
/// `ram` lists physical ranges that hold RAM (mapped write-back); the rest of
/// the direct map is mapped uncached. `guards` are kernel-image pages left
/// unmapped. `alloc` hands out zeroable frames.
pub fn init(
    ram: &[(u64, u64)],
    image: &ImageLayout,
    guards: &[u64],
    alloc: &mut dyn FnMut() -> Option<u64>,
) -> Result<PagingSummary, &'static str> {
    NX.store(nx_enabled(), Ordering::Relaxed);
    let nx = nx_flag();
    let mut b = Builder { alloc, tables: 0 };
    let pdpt = b.new_table()?;
    let pd = b.new_table()?;
    table(pdpt)[3] = pd | PRESENT;

    let mut p = 0;
    while p < DIRECT_MAP_BYTES {
        let virt = DIRECT_MAP_BASE + p as usize;
        let has_ram = ram.iter().any(|&(s, e)| s < p + MIB2 && e > p);
        let cache = if has_ram { 0 } else { NO_CACHE | WRITE_THROUGH };
        let chunk = virt as u64..virt as u64 + MIB2;
        if chunk.start < image.kernel.end && image.kernel.start < chunk.end {
            let pt = b.page_table(pd, virt)?;
            for v in chunk.step_by(4096) {
                let flags = if image.text.contains(&v) {
                    GLOBAL
                } else if image.rodata.contains(&v) {
                    GLOBAL | nx
                } else if image.kernel.contains(&v) {
                    GLOBAL | WRITABLE | nx
                } else {
                    GLOBAL | WRITABLE | nx | cache
                };
                if !guards.contains(&v) {
                    table(pt)[pt_index(v as usize)] = (v - KERNEL_VMA) | flags | PRESENT;
                }
            }
        } else {
            table(pd)[pd_index(virt)] = p | WRITABLE | GLOBAL | nx | cache | HUGE | PRESENT;
        }
        p += MIB2;
    }

    for i in 0..MMIO_SMALL_TABLES {
        b.page_table(pd, MMIO_BASE + i * MIB2 as usize)?;
    }

    cpu_regs::set_write_protect();
    cpu_regs::write_cr3(pdpt as u32);
    tables::set_double_fault_cr3(&tables::BSP_TABLES, pdpt as u32);
    KERNEL_PD.store(pd as u32, Ordering::Release);
    Ok(PagingSummary {
        direct_map_bytes: DIRECT_MAP_BYTES,
        page_tables: b.tables,
        nx: nx != 0,
    })
}

/// Allocation state of the window.
struct Window {
    /// Next free address among the 4 KiB-mapped part.
    next_small: usize,
    /// Next free address among the 2 MiB-mapped part.
    next_large: usize,
}

static WINDOW: Mutex<Window> = Mutex::new(Window {
    next_small: MMIO_BASE,
    next_large: MMIO_SMALL_END,
});

/// Flags of every window mapping, before the caching bits.
const WINDOW_FLAGS: u64 = PRESENT | WRITABLE | GLOBAL;
/// Caching bits for device registers (PCD|PWT: uncached with the default PAT).
const UNCACHED: u64 = NO_CACHE | WRITE_THROUGH;
/// The parts of an entry that say what it maps and how.
const MATCH_MASK: u64 = ADDR_MASK | UNCACHED | PRESENT;

/// The entry mapping `virt` in the 4 KiB part of the window.
fn small_entry(pd: u64, virt: usize) -> &'static mut u64 {
    let pt = table(pd)[pd_index(virt)] & ADDR_MASK;
    &mut table(pt)[pt_index(virt)]
}

/// An existing mapping of `pages` pages from `first` (physical) with
/// caching bits `cache`, among the window's 4 KiB pages below `end`.
fn find_small(pd: u64, first: u64, pages: usize, cache: u64, end: usize) -> Option<usize> {
    (MMIO_BASE..end).step_by(4096).find(|&v| {
        v + pages * 4096 <= end
            && (0..pages).all(|i| {
                *small_entry(pd, v + i * 4096) & MATCH_MASK
                    == (first + i as u64 * 4096) | cache | PRESENT
            })
    })
}

/// Maps `[paddr, paddr+len)` in the window with caching bits `cache` and
/// returns the virtual address of `paddr`. `None` before `init`, when the
/// window is full, or when the range is beyond what PAE can address.
fn map_window(paddr: u64, len: u64, cache: u64) -> Option<usize> {
    let pd = u64::from(KERNEL_PD.load(Ordering::Acquire));
    if pd == 0 {
        return None;
    }
    let last = paddr.checked_add(len.max(1) - 1)?;
    if last > ADDR_MASK | 0xfff {
        return None;
    }
    let flags = WINDOW_FLAGS | cache | nx_flag();
    let mut w = WINDOW.lock();

    let first = paddr & !0xfff;
    let pages = usize::try_from((last & !0xfff) - first).ok()? / 4096 + 1;
    if let Some(v) = find_small(pd, first, pages, cache, w.next_small) {
        return Some(v + (paddr - first) as usize);
    }
    if pages <= (MMIO_SMALL_END - w.next_small) / 4096 {
        let v = w.next_small;
        for i in 0..pages {
            *small_entry(pd, v + i * 4096) = (first + i as u64 * 4096) | flags;
            cpu_regs::invlpg(v + i * 4096);
        }
        w.next_small += pages * 4096;
        return Some(v + (paddr - first) as usize);
    }

    let first = paddr & !(MIB2 - 1);
    let chunks = usize::try_from(((last & !(MIB2 - 1)) - first) / MIB2).ok()? + 1;
    if chunks > (MMIO_END - w.next_large) / MIB2 as usize {
        return None;
    }
    let v = w.next_large;
    for i in 0..chunks {
        let va = v + i * MIB2 as usize;
        table(pd)[pd_index(va)] = (first + i as u64 * MIB2) | flags | HUGE;
        cpu_regs::invlpg(va);
    }
    w.next_large += chunks * MIB2 as usize;
    Some(v + (paddr - first) as usize)
}

/// Maps the device registers `[paddr, paddr+len)` uncached in the window and
/// returns the virtual address of `paddr`. `None` before `init` or when the
/// window is full.
pub fn map_mmio(paddr: u64, len: u64) -> Option<usize> {
    map_window(paddr, len, UNCACHED)
}

/// The no-execute bit, or 0 when the CPU has none.
fn nx_flag() -> u64 {
    if NX.load(Ordering::Relaxed) {
        NO_EXECUTE
    } else {
        0
    }
}
