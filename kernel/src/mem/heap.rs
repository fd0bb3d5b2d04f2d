//! The kernel heap: `talc` as the global allocator, fed with physically
//! contiguous runs of frames (through the direct map) when it runs out.

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
        let want = (layout.size() + layout.align() + 4096).max(GROW_BYTES);
        claim_frames(talc, want)
    }
}

#[global_allocator]
static HEAP: TalcLock<spin::Mutex<()>, FrameSource, DefaultBinning> = TalcLock::new(FrameSource);

/// Gives the heap its first memory. Returns its size.
pub fn init() -> Result<usize, &'static str> {
    claim_frames(&mut HEAP.lock(), INITIAL_BYTES).map_err(|_| "no memory for the kernel heap")?;
    Ok(size())
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
