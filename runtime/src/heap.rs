//! A heap for programs that want `alloc` (feature `heap`): `talc` as the
//! global allocator, fed with frames the program maps itself at an
//! address range it chooses. The heap grows by explicit mapping when talc
//! asks for memory, never by page faults, so code that must not fault
//! (an upcall handler) may allocate. Page `i` of the heap lives at
//! `base + i * 4096` and its frame capability in slot `first_slot + i`,
//! so the pages can be listed without allocating.

use core::alloc::Layout;
use core::sync::atomic::{AtomicU64, Ordering};

use talc::base::binning::Binning;
use talc::base::Talc;
use talc::source::Source;
use talc::sync::TalcLock;
use talc::DefaultBinning;

use crate::calls::{cap_delete, frame_alloc, map, Slot};

/// Where the heap lives and where its frames come from.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// A memory capability (DERIVE) to allocate frames from.
    pub memory: Slot,
    /// The slot of heap page 0; pages use the slots after it.
    pub first_slot: Slot,
    /// The heap's first address (page aligned).
    pub base: u64,
    /// Most pages it may grow to.
    pub max_pages: u64,
    /// Called when the kernel refuses a frame (quota used up, or no frame
    /// left); true if the allocation may be tried again.
    pub refill: Option<fn() -> bool>,
}

static MEMORY: AtomicU64 = AtomicU64::new(u64::MAX);
static FIRST_SLOT: AtomicU64 = AtomicU64::new(0);
static BASE: AtomicU64 = AtomicU64::new(0);
static MAX_PAGES: AtomicU64 = AtomicU64::new(0);
static PAGES: AtomicU64 = AtomicU64::new(0);
static REFILL: spin::Mutex<Option<fn() -> bool>> = spin::Mutex::new(None);

/// Pages the heap grows by at least.
const GROW_PAGES: u64 = 16;

/// Sets where the heap lives; call before the first allocation. The range
/// `[base, base + max_pages * 4096)` and the slots must be the heap's
/// alone.
pub fn init(c: Config) {
    MEMORY.store(u64::from(c.memory), Ordering::Relaxed);
    FIRST_SLOT.store(u64::from(c.first_slot), Ordering::Relaxed);
    BASE.store(c.base, Ordering::Relaxed);
    MAX_PAGES.store(c.max_pages, Ordering::Relaxed);
    *REFILL.lock() = c.refill;
}

/// The heap pages mapped so far.
pub fn pages() -> u64 {
    PAGES.load(Ordering::Relaxed)
}

/// The heap's configuration: (first slot, base).
pub fn placement() -> (Slot, u64) {
    (
        FIRST_SLOT.load(Ordering::Relaxed) as Slot,
        BASE.load(Ordering::Relaxed),
    )
}

/// Maps more heap pages.
#[derive(Debug)]
pub struct PageSource;

fn grow<B: Binning>(talc: &mut Talc<PageSource, B>, bytes: usize) -> Result<(), ()> {
    let memory = Slot::try_from(MEMORY.load(Ordering::Relaxed)).map_err(|_| ())?;
    let (first, base) = placement();
    let have = pages();
    let want = (bytes as u64).div_ceil(4096).max(GROW_PAGES);
    if have + want > MAX_PAGES.load(Ordering::Relaxed) {
        return Err(());
    }
    for i in have..have + want {
        let slot = first + i as Slot;
        if let Err(e) = frame_alloc(memory, slot, None) {
            let refill = *REFILL.lock();
            let short = matches!(e, abi::Error::QuotaExceeded | abi::Error::OutOfMemory);
            let again = short && refill.is_some_and(|f| f());
            if !again || frame_alloc(memory, slot, None).is_err() {
                return Err(());
            }
        }
        if map(slot, base + i * 4096, abi::map_flags::WRITE).is_err() {
            let _ = cap_delete(slot);
            return Err(());
        }
        PAGES.store(i + 1, Ordering::Relaxed);
    }
    // SAFETY: the pages were just mapped writable for this heap alone (the
    // program promised the range and slots to it in `init`) and are never
    // unmapped.
    match unsafe { talc.claim((base + have * 4096) as *mut u8, (want * 4096) as usize) } {
        Some(_) => Ok(()),
        None => Err(()),
    }
}

// SAFETY: `acquire` only maps fresh pages (kernel calls that never touch
// this heap) and claims memory nothing else owns.
unsafe impl Source for PageSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        grow(talc, layout.size() + layout.align() + 256)
    }
}

#[global_allocator]
static HEAP: TalcLock<spin::Mutex<()>, PageSource, DefaultBinning> = TalcLock::new(PageSource);
