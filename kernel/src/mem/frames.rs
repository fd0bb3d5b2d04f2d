//! The kernel's frame allocator: one `physmem::FrameAllocator` whose bitmap
//! lives in the first usable range large enough to hold it, behind a lock.

use physmem::{FrameAllocator, FrameError, MemoryMap, PAGE_SIZE};
use spin::Mutex;

use crate::arch;

static FRAMES: Mutex<Option<FrameAllocator<'static>>> = Mutex::new(None);

/// Places the bitmap and hands every usable frame to the allocator.
pub fn init<const N: usize>(map: &MemoryMap<N>) -> Result<(), &'static str> {
    let limit = map.highest_usable_end().min(arch::FRAME_LIMIT);
    let words = FrameAllocator::words_needed(limit);
    let bytes = (words as u64 * 8).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let (start, _) = map
        .usable_frames()
        .find(|&(s, e)| e - s >= bytes && arch::phys_to_virt(s, bytes).is_some())
        .ok_or("no usable range can hold the frame bitmap")?;
    let virt = arch::phys_to_virt(start, bytes).ok_or("frame bitmap not mapped")?;
    // SAFETY: [start, start+bytes) is usable RAM that nothing else owns (it is
    // removed from the allocator below), mapped through the direct map, and
    // u64-aligned (page aligned); the slice lives as long as the kernel.
    let storage = unsafe { core::slice::from_raw_parts_mut(virt as *mut u64, words) };
    storage.fill(0);
    let mut fa = FrameAllocator::new(storage, limit);
    for (s, e) in map.usable_frames() {
        fa.add_free_range(s, e.min(limit));
    }
    fa.remove_range(start, start + bytes);
    *FRAMES.lock() = Some(fa);
    Ok(())
}

fn with<T>(
    f: impl FnOnce(&mut FrameAllocator<'static>) -> Result<T, FrameError>,
) -> Result<T, FrameError> {
    match FRAMES.lock().as_mut() {
        Some(fa) => f(fa),
        None => Err(FrameError::OutOfFrames),
    }
}

/// One free frame's physical address.
pub fn alloc() -> Result<u64, FrameError> {
    with(|fa| fa.alloc())
}

/// `count` physically contiguous frames.
pub fn alloc_contiguous(count: usize) -> Result<u64, FrameError> {
    with(|fa| fa.alloc_contiguous(count, 1))
}

/// Claims the frame at `paddr` specifically.
pub fn alloc_at(paddr: u64) -> Result<(), FrameError> {
    with(|fa| fa.alloc_at(paddr))
}

/// Returns a frame.
pub fn free_frame(paddr: u64) -> Result<(), FrameError> {
    with(|fa| fa.free(paddr))
}

/// Frames free now.
pub fn free() -> usize {
    FRAMES.lock().as_ref().map_or(0, |fa| fa.free_count())
}

/// Frames the allocator manages.
pub fn managed() -> usize {
    FRAMES.lock().as_ref().map_or(0, |fa| fa.managed_count())
}

/// Frames the kernel keeps back from user allocation, so its own heap and
/// page tables can always grow: 2048 (8 MiB), or a sixteenth of the
/// frames on a small machine, but at least 512 (2 MiB).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn kernel_reserve_frames() -> usize {
    (managed() / 16).clamp(512, 2048)
}
