//! The kernel heap: `talc` as the global allocator, fed with physically
//! contiguous runs of frames (through the direct map) when it runs out.
//!
//! The heap grows by 1 MiB at a time, or by just what an allocation needs
//! when no 1 MiB run is free. Before a system call that may allocate,
//! [`headroom`] makes sure some memory is free in the heap or can be had,
//! so that the call fails with an error code instead of the allocator
//! failing inside it; the few big allocations user space can cause
//! (capability-space chunks, the capability tree and object arena) are
//! fallible (`try_reserve`).

use core::alloc::Layout;

use talc::base::binning::Binning;
use talc::base::Talc;
use talc::source::Source;
use talc::sync::TalcLock;
use talc::DefaultBinning;

use super::frames;
use crate::arch;

/// Smallest run of frames the heap asks for at once.
const GROW_BYTES: usize = 1 << 20;
/// Initial heap size.
const INITIAL_BYTES: usize = 4 << 20;

/// Takes frames from the frame allocator when the heap is exhausted.
#[derive(Debug)]
pub struct FrameSource;

fn claim_frames<B: Binning>(talc: &mut Talc<FrameSource, B>, bytes: usize) -> Result<(), ()> {
    let pages = bytes.div_ceil(4096);
    let phys = frames::alloc_contiguous(pages).map_err(|_| ())?;
    let len = (pages * 4096) as u64;
    let Some(virt) = arch::phys_to_virt(phys, len) else {
        let _ = (0..pages).try_for_each(|i| frames::free_frame(phys + i as u64 * 4096));
        return Err(());
    };
    // SAFETY: the frames were just taken from the allocator, so nothing else
    // uses them; they stay mapped through the direct map forever.
    match unsafe { talc.claim(virt as *mut u8, pages * 4096) } {
        Some(_) => {
            HEAP_BYTES.fetch_add(pages * 4096, core::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
        None => Err(()),
    }
}

static HEAP_BYTES: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

// SAFETY: `acquire` only talks to the frame allocator (which never allocates
// from this heap) and claims memory nothing else owns.
unsafe impl Source for FrameSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let need = layout.size() + layout.align() + 4096;
        // A big run when there is one; else only what is needed (the free
        // frames may be scattered).
        claim_frames(talc, need.max(GROW_BYTES)).or_else(|()| claim_frames(talc, need))
    }
}

#[global_allocator]
static HEAP: TalcLock<spin::Mutex<()>, FrameSource, DefaultBinning> = TalcLock::new(FrameSource);

/// Gives the heap its first memory. Returns its size.
pub fn init() -> Result<usize, &'static str> {
    claim_frames(&mut HEAP.lock(), INITIAL_BYTES).map_err(|_| "no memory for the kernel heap")?;
    Ok(size())
}

/// Free heap bytes a system call may count on (see [`headroom`]).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const HEADROOM_BYTES: usize = 256 << 10;

/// True if the heap has [`HEADROOM_BYTES`] free, growing it if needed
/// (only while `frames_left` frames stay free for page tables). A system
/// call that may allocate is refused (`OutOfMemory`) when this is false.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn headroom(frames_left: usize) -> bool {
    let mut talc = HEAP.lock();
    if talc.counters().available_bytes >= HEADROOM_BYTES {
        return true;
    }
    if frames::free() < frames_left + HEADROOM_BYTES / 4096 {
        return false;
    }
    // Scattered free frames still do: a few pages at a time.
    claim_frames(&mut talc, HEADROOM_BYTES)
        .or_else(|()| claim_frames(&mut talc, 4 * 4096))
        .is_ok()
}

/// Bytes of memory the heap owns.
pub fn size() -> usize {
    HEAP_BYTES.load(core::sync::atomic::Ordering::Relaxed)
}

/// (live allocations, live bytes) as the allocator counts them.
pub fn usage() -> (usize, usize) {
    let talc = HEAP.lock();
    let c = talc.counters();
    (c.allocation_count, c.allocated_bytes)
}
