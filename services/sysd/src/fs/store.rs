//! Where the in-memory file systems keep file pages: frames the server
//! allocates from its memory capability, each mapped once at its own
//! address in the server's scratch window (so reading and writing a page
//! asks nothing of the kernel), and given back when the page is freed.
//! Every file system shares one [`Frames`] pool; the boot ramdisk, mapped
//! read-only, is the image unwritten files read from.
//!
//! Each page is charged to the process whose request made it (a write, a
//! `fallocate`, a shared mapping's first touch): the server takes a frame
//! of that process's quota for it (`procs::charge`), and gives it back
//! when the page is freed, if the process is still there. So memory in a
//! tmpfs is paid for by whoever filled it, not by the server's own
//! budget; and a page is never made from the server's reserve.
//!
//! A page is lent to processes two ways, each through capabilities the
//! kernel's derivation tree tracks (the reverse map):
//!
//! - for `mmap` (`procs::pages`): derived from the page's *mapping root*,
//!   a capability made from the page's own when it is first lent. Freeing
//!   the page revokes the root, which unmaps it wherever it is mapped
//!   (the next access there faults, SIGBUS past the end);
//! - for `read` (`procs::window`): derived from the page's own into a
//!   slot of a process's read window, which holds a reference
//!   ([`Frames::window_hold`]). A
//!   page freed while referenced is *retired*: it leaves the file but its
//!   frame stays, unchanged, until the last window entry lets go
//!   ([`Frames::window_release`]), so a window the library OS is copying
//!   from never vanishes under it.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use abi::map_flags;
use abi::Rights;
use exo_rt::memory::{scratch_read_bytes, scratch_write_bytes, SCRATCH_BASE};
use exo_rt::{cap_delete, cap_mint, cap_revoke, frame_alloc, map, unmap, Slot};
use sysproto::Errno::{self, ENOMEM};

/// Where file pages are mapped: [`MAX_PAGES`] pages from here.
const PAGES_AT: u64 = SCRATCH_BASE + 0x5000_0000;
/// Most file pages at once (512 MiB).
pub const MAX_PAGES: u64 = 0x2000_0000 / 4096;
/// The capability slots of file pages: [`MAX_PAGES`] from here, above
/// the server heap's (the kernel backs a capability space only up to its
/// highest slot in use, so these are taken from the bottom up); then as
/// many for their mapping roots.
const FIRST_SLOT: Slot = crate::HEAP_SLOTS + crate::HEAP_PAGES as Slot;
const FIRST_ROOT: Slot = FIRST_SLOT + MAX_PAGES as Slot;
const _: () = assert!(FIRST_ROOT as u64 + MAX_PAGES <= abi::root_slots::COUNT as u64);

/// A file page: its index in the pool (slot and address follow from it).
#[derive(Debug)]
pub struct Page(u32);

impl Page {
    /// The page's address in the server.
    pub fn addr(&self) -> u64 {
        PAGES_AT + u64::from(self.0) * 4096
    }
    /// The server's capability to the page's frame.
    pub fn slot(&self) -> Slot {
        FIRST_SLOT + self.0
    }
    /// Its number in the pool (what a window entry remembers).
    pub fn id(&self) -> u32 {
        self.0
    }
}

/// The server's capability to pool page `id`'s frame.
pub fn page_slot(id: u32) -> Slot {
    FIRST_SLOT + id
}

/// The frames of every file page.
pub struct Frames {
    mem: Slot,
    free: Vec<u32>,
    next: u32,
    used: u64,
    /// Pages lent for `mmap` (their mapping root exists).
    lent: BTreeSet<u32>,
    /// Pages in read windows: how many entries hold each.
    windowed: BTreeMap<u32, u32>,
    /// Pages freed by their file while in a window.
    retired: BTreeSet<u32>,
    /// Who pays for the pages made now (set while the server serves a
    /// process's request), and who paid for each page.
    pub charge_to: Option<Payer>,
    payer: BTreeMap<u32, Payer>,
    /// Pages made for `charge_to` since it was set, and the payers of
    /// pages freed since the refunds were last taken.
    pub charged: Vec<u32>,
    pub refunds: Vec<Payer>,
    /// Whether the machine can spare a frame for a new page (the server
    /// keeps a reserve for itself that file pages never take).
    pub spare: fn() -> bool,
}

/// A process that pays for file pages: its pid and when it was made (a
/// pid used again later is another payer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payer {
    pub pid: u64,
    pub start_ns: u64,
}

impl Frames {
    pub fn new(mem: Slot, spare: fn() -> bool) -> Frames {
        Frames {
            mem,
            free: Vec::new(),
            next: 0,
            used: 0,
            lent: BTreeSet::new(),
            windowed: BTreeMap::new(),
            retired: BTreeSet::new(),
            charge_to: None,
            payer: BTreeMap::new(),
            charged: Vec::new(),
            refunds: Vec::new(),
            spare,
        }
    }

    /// The capability to lend `page` for `mmap` from (made on first use;
    /// revoked when the page is freed).
    pub fn mapping_root(&mut self, page: &Page) -> Result<Slot, Errno> {
        let root = FIRST_ROOT + page.0;
        if !self.lent.contains(&page.0) {
            cap_mint(page.slot(), root, Rights::ALL, 0).map_err(|_| ENOMEM)?;
            self.lent.insert(page.0);
        }
        Ok(root)
    }

    /// Pages `ids` were paid for by the server after all (their payer
    /// could not pay): nobody gets them back.
    pub fn unpaid(&mut self, ids: &[u32]) {
        for id in ids {
            self.payer.remove(id);
        }
    }

    /// A read-window entry holds page `id` now.
    pub fn window_hold(&mut self, id: u32) {
        *self.windowed.entry(id).or_insert(0) += 1;
    }

    /// A read-window entry let page `id` go (its capabilities already
    /// deleted): a retired page nobody holds any more is freed.
    pub fn window_release(&mut self, id: u32) {
        let Some(n) = self.windowed.get_mut(&id) else {
            return;
        };
        *n -= 1;
        if *n == 0 {
            self.windowed.remove(&id);
            if self.retired.remove(&id) {
                self.release(id);
            }
        }
    }

    /// Gives page `id`'s frame back.
    fn release(&mut self, id: u32) {
        if let Some(p) = self.payer.remove(&id) {
            self.refunds.push(p);
        }
        let page = Page(id);
        let _ = unmap(page.addr());
        let _ = cap_delete(page.slot());
        self.used -= 1;
        self.free.push(id);
    }

    /// Pages in use.
    pub fn used(&self) -> u64 {
        self.used
    }
}

/// One file system's view of the shared pool ([`memfs::Store`]).
#[derive(Clone)]
pub struct FrameStore {
    pub frames: Rc<RefCell<Frames>>,
    /// Where the image (the boot ramdisk) is mapped.
    pub image_at: u64,
}

impl memfs::Store for FrameStore {
    type Page = Page;

    fn alloc(&mut self) -> Result<Page, Errno> {
        let mut f = self.frames.borrow_mut();
        if !(f.spare)() {
            return Err(ENOMEM);
        }
        let i = match f.free.pop() {
            Some(i) => i,
            None if u64::from(f.next) < MAX_PAGES => {
                f.next += 1;
                f.next - 1
            }
            None => return Err(ENOMEM),
        };
        let page = Page(i);
        // A new frame is zero-filled by the kernel.
        if frame_alloc(f.mem, page.slot(), None).is_err() {
            f.free.push(i);
            return Err(ENOMEM);
        }
        if map(page.slot(), page.addr(), map_flags::WRITE).is_err() {
            let _ = cap_delete(page.slot());
            f.free.push(i);
            return Err(ENOMEM);
        }
        f.used += 1;
        if let Some(p) = f.charge_to {
            f.payer.insert(i, p);
            f.charged.push(i);
        }
        Ok(page)
    }

    fn free(&mut self, page: Page) {
        let mut f = self.frames.borrow_mut();
        if f.lent.remove(&page.0) {
            // Out of every process that maps it (they fault next time).
            let root = FIRST_ROOT + page.0;
            let _ = cap_revoke(root);
            let _ = cap_delete(root);
        }
        if f.windowed.contains_key(&page.0) {
            // Still in a read window: kept as it is until let go.
            f.retired.insert(page.0);
            return;
        }
        f.release(page.0);
    }

    fn read(&self, page: &Page, off: usize, out: &mut [u8]) {
        scratch_read_bytes(page.addr() + off as u64, out);
    }

    fn write(&mut self, page: &mut Page, off: usize, data: &[u8]) {
        scratch_write_bytes(page.addr() + off as u64, data);
    }

    fn read_image(&self, at: u64, out: &mut [u8]) {
        scratch_read_bytes(self.image_at + at, out);
    }
}
