//! Where the in-memory file systems keep file pages: frames the server
//! allocates from its memory capability, each mapped once at its own
//! address in the server's scratch window (so reading and writing a page
//! asks nothing of the kernel), and given back when the page is freed.
//! Every file system shares one [`Frames`] pool; the boot ramdisk, mapped
//! read-only, is the image unwritten files read from.
//!
//! A page may be lent to processes (`procs::pages`: capabilities derived
//! from the server's, mapped in their address spaces). The kernel's
//! derivation tree is the reverse map: freeing a lent page revokes every
//! capability derived from it, which unmaps it wherever it is mapped.

use alloc::collections::BTreeSet;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use abi::map_flags;
use exo_rt::memory::{scratch_read_bytes, scratch_write_bytes, SCRATCH_BASE};
use exo_rt::{cap_delete, cap_revoke, frame_alloc, map, unmap, Slot};
use sysproto::Errno::{self, ENOMEM};

/// Where file pages are mapped: [`MAX_PAGES`] pages from here.
const PAGES_AT: u64 = SCRATCH_BASE + 0x5000_0000;
/// Most file pages at once (512 MiB).
pub const MAX_PAGES: u64 = 0x2000_0000 / 4096;
/// The capability slots of file pages: [`MAX_PAGES`] from here, above
/// the server heap's (the kernel backs a capability space only up to its
/// highest slot in use, so these are taken from the bottom up).
const FIRST_SLOT: Slot = crate::HEAP_SLOTS + crate::HEAP_PAGES as Slot;
const _: () = assert!(FIRST_SLOT as u64 + MAX_PAGES <= abi::root_slots::COUNT as u64);

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
}

/// The frames of every file page.
pub struct Frames {
    mem: Slot,
    free: Vec<u32>,
    next: u32,
    used: u64,
    /// Pages lent to processes (maybe still mapped in them).
    lent: BTreeSet<u32>,
}

impl Frames {
    pub fn new(mem: Slot) -> Frames {
        Frames {
            mem,
            free: Vec::new(),
            next: 0,
            used: 0,
            lent: BTreeSet::new(),
        }
    }

    /// Notes that capabilities derived from `page`'s were given out.
    pub fn lend(&mut self, page: &Page) {
        self.lent.insert(page.0);
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
        Ok(page)
    }

    fn free(&mut self, page: Page) {
        let mut f = self.frames.borrow_mut();
        if f.lent.remove(&page.0) {
            // Out of every process that maps it (they fault next time).
            let _ = cap_revoke(page.slot());
        }
        let _ = unmap(page.addr());
        let _ = cap_delete(page.slot());
        f.used -= 1;
        f.free.push(page.0);
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
