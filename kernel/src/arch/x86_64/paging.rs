//! x86_64 kernel address space: the direct map of physical memory at
//! `DIRECT_MAP_BASE` (2 MiB pages, uncached where there is no RAM), and the
//! kernel image at `KERNEL_VMA` with 4 KiB pages: text read-execute, rodata
//! read-only, data read-write, everything but text no-execute, stack guard
//! pages left unmapped. Replaces the boot page tables.

use core::sync::atomic::{AtomicU64, Ordering};

use super::super::x86::pte::{
    ADDR_MASK, GLOBAL, HUGE, MIB2, NO_CACHE, NO_EXECUTE, PRESENT, WRITABLE, WRITE_THROUGH,
};
use super::cpu_regs;
use crate::arch::{ImageLayout, PagingSummary};

/// Start of the direct map of physical memory.
pub const DIRECT_MAP_BASE: u64 = 0xffff_8000_0000_0000;
/// Where the kernel image is linked (physical + this).
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;

/// Whether the boot code turned NX on (it does when the CPU has it).
fn nx_enabled() -> bool {
    use super::super::x86::{cpu, msr};
    cpu::rdmsr(msr::EFER) & msr::EFER_NXE != 0
}

/// End of the physical range the direct map covers (the boot tables map 4 GiB).
static DIRECT_MAP_END: AtomicU64 = AtomicU64::new(4 << 30);

/// Kernel virtual address of physical `paddr`, if the direct map covers it.
pub fn phys_to_virt(paddr: u64, len: u64) -> Option<usize> {
    let end = paddr.checked_add(len)?;
    (end <= DIRECT_MAP_END.load(Ordering::Relaxed)).then(|| (DIRECT_MAP_BASE + paddr) as usize)
}

/// Highest physical address the frame allocator may hand out: the direct map
/// has room for 64 TiB below the kernel window, and is sized at boot to
/// cover every RAM region up to that.
pub const FRAME_LIMIT: u64 = 1 << 46;

fn table(phys: u64) -> &'static mut [u64; 512] {
    // SAFETY: `phys` is a page-table frame this module allocated (or the boot
    // tables); the direct map covers it and nothing else aliases it mutably.
    unsafe { &mut *((DIRECT_MAP_BASE + phys) as *mut [u64; 512]) }
}

struct Builder<'a> {
    alloc: &'a mut dyn FnMut() -> Option<u64>,
    tables: usize,
}

impl Builder<'_> {
    fn new_table(&mut self) -> Result<u64, &'static str> {
        let f = (self.alloc)().ok_or("out of memory for page tables")?;
        if phys_to_virt(f, 4096).is_none() {
            return Err("page-table frame outside the boot direct map");
        }
        table(f).fill(0);
        self.tables += 1;
        Ok(f)
    }

    fn next(&mut self, parent: u64, index: usize) -> Result<u64, &'static str> {
        let e = table(parent)[index];
        if e & PRESENT != 0 {
            return Ok(e & ADDR_MASK);
        }
        let t = self.new_table()?;
        table(parent)[index] = t | PRESENT | WRITABLE;
        Ok(t)
    }

    fn leaf_table(&mut self, root: u64, virt: u64, level: usize) -> Result<u64, &'static str> {
        let mut t = root;
        for shift in [39, 30, 21].iter().take(level) {
            t = self.next(t, ((virt >> shift) & 511) as usize)?;
        }
        Ok(t)
    }

    fn map_2m(&mut self, root: u64, virt: u64, phys: u64, flags: u64) -> Result<(), &'static str> {
        let pd = self.leaf_table(root, virt, 2)?;
        table(pd)[((virt >> 21) & 511) as usize] = phys | flags | HUGE | PRESENT;
        Ok(())
    }

    fn map_4k(&mut self, root: u64, virt: u64, phys: u64, flags: u64) -> Result<(), &'static str> {
        let pt = self.leaf_table(root, virt, 3)?;
        table(pt)[((virt >> 12) & 511) as usize] = phys | flags | PRESENT;
        Ok(())
    }
}

/// Builds and loads the kernel's page tables.
///
/// `ram` lists physical ranges that hold RAM (mapped write-back); the rest of
/// the direct map is mapped uncached. `alloc` hands out zeroable frames.
pub fn init(
    ram: &[(u64, u64)],
    image: &ImageLayout,
    guards: &[u64],
    alloc: &mut dyn FnMut() -> Option<u64>,
) -> Result<PagingSummary, &'static str> {
    let nx = if nx_enabled() { NO_EXECUTE } else { 0 };
    let mut b = Builder { alloc, tables: 0 };
    let root = b.new_table()?;

    let top = ram.iter().map(|r| r.1).max().unwrap_or(0).max(4 << 30);
    let top = top.div_ceil(MIB2) * MIB2;
    let mut p = 0;
    while p < top {
        let has_ram = ram.iter().any(|&(s, e)| s < p + MIB2 && e > p);
        let cache = if has_ram { 0 } else { NO_CACHE | WRITE_THROUGH };
        b.map_2m(root, DIRECT_MAP_BASE + p, p, WRITABLE | GLOBAL | nx | cache)?;
        p += MIB2;
    }

    let mut v = image.kernel.start;
    while v < image.kernel.end {
        let flags = if image.text.contains(&v) {
            GLOBAL
        } else if image.rodata.contains(&v) {
            GLOBAL | nx
        } else {
            GLOBAL | WRITABLE | nx
        };
        if !guards.contains(&v) {
            b.map_4k(root, v, v - KERNEL_VMA, flags)?;
        }
        v += 4096;
    }

    cpu_regs::write_cr3(root);
    remember_kernel_root(root);
    DIRECT_MAP_END.store(top, Ordering::Relaxed);
    Ok(PagingSummary {
        direct_map_bytes: top,
        page_tables: b.tables,
        nx: nx != 0,
    })
}

// ---- User address spaces ------------------------------------------------

const USER: u64 = 1 << 2;
/// PML4 entries at and above this index are the kernel's, shared by every
/// address space.
const KERNEL_PML4_FIRST: usize = 256;

static KERNEL_ROOT: AtomicU64 = AtomicU64::new(0);

/// Why a user mapping operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    AlreadyMapped,
    NotMapped,
    OutOfMemory,
}

fn remember_kernel_root(root: u64) {
    KERNEL_ROOT.store(root, Ordering::Relaxed);
}

/// A new address space: an empty user half and the kernel's upper half.
/// Returns the physical address of its top-level table.
pub fn new_address_space(alloc: &mut dyn FnMut() -> Option<u64>) -> Result<u64, MapError> {
    let root = alloc().ok_or(MapError::OutOfMemory)?;
    let kernel = table(KERNEL_ROOT.load(Ordering::Relaxed));
    let t = table(root);
    t[..KERNEL_PML4_FIRST].fill(0);
    t[KERNEL_PML4_FIRST..].copy_from_slice(&kernel[KERNEL_PML4_FIRST..]);
    Ok(root)
}

/// Maps the user page at `virt` to frame `phys` in address space `root`.
/// The caller has checked that `virt` is a page-aligned user address.
pub fn map_user(
    root: u64,
    virt: u64,
    phys: u64,
    writable: bool,
    executable: bool,
    uncached: bool,
    alloc: &mut dyn FnMut() -> Option<u64>,
) -> Result<(), MapError> {
    let nx = if nx_enabled() { NO_EXECUTE } else { 0 };
    let mut t = root;
    for shift in [39, 30, 21] {
        let i = ((virt >> shift) & 511) as usize;
        let e = table(t)[i];
        t = if e & PRESENT != 0 {
            e & ADDR_MASK
        } else {
            let n = alloc().ok_or(MapError::OutOfMemory)?;
            table(n).fill(0);
            table(t)[i] = n | PRESENT | WRITABLE | USER;
            n
        };
    }
    let slot = &mut table(t)[((virt >> 12) & 511) as usize];
    if *slot & PRESENT != 0 {
        return Err(MapError::AlreadyMapped);
    }
    let mut flags = PRESENT | USER;
    if writable {
        flags |= WRITABLE;
    }
    if !executable {
        flags |= nx;
    }
    if uncached {
        flags |= NO_CACHE | WRITE_THROUGH;
    }
    *slot = phys | flags;
    Ok(())
}

fn leaf(root: u64, virt: u64) -> Option<&'static mut u64> {
    let mut t = root;
    for shift in [39, 30, 21] {
        let e = table(t)[((virt >> shift) & 511) as usize];
        if e & PRESENT == 0 || e & USER == 0 {
            return None;
        }
        t = e & ADDR_MASK;
    }
    let e = &mut table(t)[((virt >> 12) & 511) as usize];
    (*e & PRESENT != 0).then_some(e)
}

/// Removes the user mapping at `virt`, flushing it from this CPU's TLB.
/// Returns the frame it mapped.
pub fn unmap_user(root: u64, virt: u64) -> Result<u64, MapError> {
    let e = leaf(root, virt).ok_or(MapError::NotMapped)?;
    let phys = *e & ADDR_MASK;
    *e = 0;
    cpu_regs::invalidate_page(virt);
    Ok(phys)
}

/// Changes the rights of the user mapping at `virt`, flushing it from this
/// CPU's TLB.
pub fn protect_user(
    root: u64,
    virt: u64,
    writable: bool,
    executable: bool,
) -> Result<(), MapError> {
    let nx = if nx_enabled() { NO_EXECUTE } else { 0 };
    let e = leaf(root, virt).ok_or(MapError::NotMapped)?;
    let mut v = *e & !(WRITABLE | NO_EXECUTE);
    if writable {
        v |= WRITABLE;
    }
    if !executable {
        v |= nx;
    }
    *e = v;
    cpu_regs::invalidate_page(virt);
    Ok(())
}

/// The physical address behind user address `virt` if it is mapped for
/// user access (and writable, if `write`).
pub fn translate_user(root: u64, virt: u64, write: bool) -> Option<u64> {
    let e = *leaf(root, virt & !0xfff)?;
    if e & USER == 0 || (write && e & WRITABLE == 0) {
        return None;
    }
    Some((e & ADDR_MASK) | (virt & 0xfff))
}

/// Frees the user half's page tables (not the frames they map) and the
/// top-level table. The address space must not be loaded.
pub fn destroy_address_space(root: u64, free: &mut dyn FnMut(u64)) {
    fn walk(t: u64, level: usize, free: &mut dyn FnMut(u64)) {
        if level > 1 {
            for i in 0..512 {
                let e = table(t)[i];
                if e & PRESENT != 0 {
                    walk(e & ADDR_MASK, level - 1, free);
                }
            }
        }
        free(t);
    }
    for i in 0..KERNEL_PML4_FIRST {
        let e = table(root)[i];
        if e & PRESENT != 0 {
            walk(e & ADDR_MASK, 3, free);
        }
    }
    free(root);
}

/// Loads address space `root` on this CPU (the kernel's when 0).
pub fn activate(root: u64) {
    let root = if root == 0 {
        KERNEL_ROOT.load(Ordering::Relaxed)
    } else {
        root
    };
    if cpu_regs::current_root() != root {
        cpu_regs::write_cr3(root);
    }
}
