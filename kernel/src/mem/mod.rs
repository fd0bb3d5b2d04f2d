//! Physical memory: the boot memory map with the kernel, boot modules and
//! boot structures carved out, the frame allocator built on it, the kernel
//! page tables, and the kernel heap. Also the one place that turns physical
//! ranges into slices through the direct map.

pub mod frames;
pub mod heap;

use firmware::{BootInfo, MemKind};
use physmem::{MemoryMap, RegionKind};

use crate::arch;

/// Capacity of the boot memory map.
const MAP_REGIONS: usize = 256;

/// What memory initialisation found, for the banner.
pub struct MemorySummary {
    pub usable_bytes: u64,
    pub regions: usize,
    /// End of the highest range that holds RAM.
    pub ram_top: u64,
    pub managed_frames: usize,
    pub free_frames: usize,
    pub page_tables: usize,
    pub direct_map_bytes: u64,
    pub nx: bool,
    pub heap_bytes: usize,
}

/// Free memory (after the kernel, the ramdisk and the boot structures)
/// below which the system cannot run: the kernel's reserve of 2048
/// frames, its first heap, and room for the root task and a process.
pub const MIN_FREE_BYTES: u64 = 16 << 20;

/// Why memory could not be set up.
pub enum InitError {
    /// The boot information or memory map is unusable.
    Broken(&'static str),
    /// Too little memory is left after the kernel and the boot modules.
    TooSmall {
        /// RAM the machine has (every range that holds RAM).
        ram_bytes: u64,
        /// What is free of it once the kernel and its modules are loaded.
        free_bytes: u64,
        /// Bytes of boot modules (the ramdisk).
        module_bytes: u64,
    },
}

impl From<&'static str> for InitError {
    fn from(e: &'static str) -> InitError {
        InitError::Broken(e)
    }
}

/// The usable physical ranges of the boot memory map (page aligned).
static USABLE: spin::Mutex<alloc::vec::Vec<(u64, u64)>> = spin::Mutex::new(alloc::vec::Vec::new());

/// Every boot memory-map region (start, end), for finding device memory.
static REGIONS: spin::Mutex<alloc::vec::Vec<(u64, u64)>> = spin::Mutex::new(alloc::vec::Vec::new());

/// Physical ranges between 1 MiB and 4 GiB that no memory-map region
/// covers (so no RAM, no firmware), minus the pages in `exclude` (the
/// kernel's own device registers): device memory.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn device_ranges(exclude: &[u64]) -> alloc::vec::Vec<(u64, u64)> {
    let regions = REGIONS.lock();
    let mut gaps = alloc::vec::Vec::new();
    let mut at = 0x10_0000u64;
    for &(s, e) in regions
        .iter()
        .chain(core::iter::once(&(1u64 << 32, u64::MAX)))
    {
        if s > at {
            gaps.push((at, s.min(1 << 32)));
        }
        at = at.max(e);
        if at >= 1 << 32 {
            break;
        }
    }
    let mut out = alloc::vec::Vec::new();
    for (s, e) in gaps {
        let mut cur = s;
        for &x in exclude.iter().filter(|&&x| x >= s && x < e) {
            if x > cur {
                out.push((cur, x));
            }
            cur = cur.max(x + 4096);
        }
        if cur < e {
            out.push((cur, e));
        }
    }
    out.retain(|(s, e)| e > s);
    out
}

/// The usable physical ranges (what the root task gets memory capabilities for).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn usable_ranges() -> alloc::vec::Vec<(u64, u64)> {
    USABLE.lock().clone()
}

/// A read-only view of physical memory through the direct map, if mapped.
pub fn phys_slice(paddr: u64, len: u64) -> Option<&'static [u8]> {
    let virt = arch::phys_to_virt(paddr, len)?;
    let len = usize::try_from(len).ok()?;
    // SAFETY: the direct map covers [paddr, paddr+len) for the kernel's whole
    // life, and the bytes are only read.
    Some(unsafe { core::slice::from_raw_parts(virt as *const u8, len) })
}

fn kind_of(k: MemKind) -> RegionKind {
    match k {
        MemKind::Usable => RegionKind::Usable,
        MemKind::AcpiReclaimable => RegionKind::AcpiReclaimable,
        MemKind::AcpiNvs => RegionKind::AcpiNvs,
        MemKind::Bad => RegionKind::Bad,
        MemKind::Reserved | MemKind::Unknown(_) => RegionKind::Reserved,
    }
}

/// Builds the memory map, the frame allocator, the page tables and the heap.
pub fn init(info: &BootInfo) -> Result<MemorySummary, InitError> {
    let image = arch::image::layout();
    let mut map: MemoryMap<MAP_REGIONS> = MemoryMap::new();
    for r in info.regions() {
        map.add(r.start, r.len, kind_of(r.kind))
            .map_err(|_| "too many memory-map entries")?;
    }
    if map.usable_bytes() == 0 {
        return Err("the boot loader reported no usable memory".into());
    }
    let carve = |map: &mut MemoryMap<MAP_REGIONS>, s: u64, e: u64, k: RegionKind| {
        map.reserve(s, e, k)
            .map_err(|_| "memory map full while reserving")
    };
    // Real-mode structures (IVT, BDA, EBDA, option ROMs) stay untouched.
    carve(&mut map, 0, 0x10_0000, RegionKind::Reserved)?;
    carve(
        &mut map,
        image.boot_phys.start,
        image.boot_phys.end,
        RegionKind::Kernel,
    )?;
    carve(
        &mut map,
        image.kernel_phys.start,
        image.kernel_phys.end,
        RegionKind::Kernel,
    )?;
    for m in info.modules() {
        carve(&mut map, m.start, m.end, RegionKind::BootModule)?;
    }
    for &(s, e) in info.structure_extents() {
        carve(&mut map, s, e, RegionKind::BootInfo)?;
    }
    map.normalize()
        .map_err(|_| "memory map full while normalising")?;
    for r in map.regions() {
        log::debug!(
            "memory: {:#014x}-{:#014x} {}",
            r.start,
            r.end,
            r.kind.name()
        );
    }

    frames::init(&map)?;
    let free_bytes = frames::free() as u64 * 4096;
    if free_bytes < MIN_FREE_BYTES {
        return Err(InitError::TooSmall {
            ram_bytes: map
                .regions()
                .iter()
                .filter(|r| !matches!(r.kind, RegionKind::Reserved | RegionKind::Bad))
                .map(|r| r.end - r.start)
                .sum(),
            free_bytes,
            module_bytes: info.modules().iter().map(|m| m.end - m.start).sum(),
        });
    }
    log::debug!(
        "memory: frame allocator ready at {} us",
        crate::time::now_us()
    );

    let mut ram = [(0u64, 0u64); MAP_REGIONS];
    let mut n = 0;
    for r in map.regions() {
        if !matches!(r.kind, RegionKind::Reserved | RegionKind::Bad) && n < ram.len() {
            ram[n] = (r.start, r.end);
            n += 1;
        }
    }
    let paging = arch::paging::init(&ram[..n], &image, &arch::guard_pages(), &mut || {
        frames::alloc().ok()
    })
    .map_err(InitError::Broken)?;
    log::debug!("memory: page tables loaded at {} us", crate::time::now_us());
    let heap_bytes = heap::init().map_err(InitError::Broken)?;
    *USABLE.lock() = map.usable_frames().collect();
    let mut regions: alloc::vec::Vec<(u64, u64)> =
        map.regions().iter().map(|r| (r.start, r.end)).collect();
    regions.sort_unstable();
    *REGIONS.lock() = regions;

    Ok(MemorySummary {
        usable_bytes: map.usable_bytes(),
        regions: map.regions().len(),
        ram_top: map
            .regions()
            .iter()
            .filter(|r| !matches!(r.kind, RegionKind::Reserved | RegionKind::Bad))
            .map(|r| r.end)
            .max()
            .unwrap_or(0),
        managed_frames: frames::managed(),
        free_frames: frames::free(),
        page_tables: paging.page_tables,
        direct_map_bytes: paging.direct_map_bytes,
        nx: paging.nx,
        heap_bytes,
    })
}

/// Writes `words` (each little-endian, as the CPU stores it) to physical
/// memory the caller owns, at any alignment (for user access, which only
/// x86_64 has so far).
#[cfg(target_arch = "x86_64")]
pub fn write_phys_words(paddr: u64, words: &[u64]) {
    let len = core::mem::size_of_val(words);
    if let Some(virt) = arch::phys_to_virt(paddr, len as u64) {
        // SAFETY: the direct map covers the range, and the caller owns the
        // frame, so no Rust reference aliases it; a byte copy needs no
        // alignment, and a `u64`'s bytes in memory are its little-endian
        // bytes on this CPU.
        unsafe {
            core::ptr::copy_nonoverlapping(words.as_ptr().cast::<u8>(), virt as *mut u8, len)
        };
    }
}

/// Writes `bytes` to physical memory the caller owns (a frame it allocated).
pub fn write_phys(paddr: u64, bytes: &[u8]) {
    if let Some(virt) = arch::phys_to_virt(paddr, bytes.len() as u64) {
        // SAFETY: the direct map covers the range, and the caller owns the
        // frame, so no Rust reference aliases it.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), virt as *mut u8, bytes.len()) };
    }
}
