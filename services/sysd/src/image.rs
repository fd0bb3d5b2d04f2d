//! The library OS image (`/lib/libos` in the ramdisk), prepared once: its
//! text and read-only pages in frames the server owns and maps into every
//! process (shared, never written), and its data and bss as bytes from
//! which `init`'s private copies are made.

use alloc::vec::Vec;

use abi::{map_flags, Error, PAGE_SIZE};
use exo_rt::memory::scratch_write_bytes;
use exo_rt::{frame_alloc, map, unmap, Slot};

use super::fs::Files;
use super::slots::SlotPool;

/// Where the server maps a frame to fill it.
pub const STAGING: u64 = exo_rt::memory::SCRATCH_BASE + 0x3000_0000;

/// A prepared image.
pub struct Image {
    /// Shared pages: (address, the server's slot, map flags).
    pub shared: Vec<(u64, Slot, u64)>,
    /// Private pages: their first address and the bytes of each page.
    pub private_start: u64,
    pub private: Vec<Vec<u8>>,
    pub entry: u64,
}

/// Loads `/lib/libos` from the file tree.
pub fn load(files: &Files, mem: Slot, pool: &mut SlotPool) -> Result<Image, &'static str> {
    let bytes = files
        .read_all(b"/lib/libos")
        .map_err(|_| "no /lib/libos in the ramdisk")?;
    let prog = elfload::parse(&bytes, abi::USER_MIN, abi::USER_END).map_err(|e| e.describe())?;
    let mut img = Image {
        shared: Vec::new(),
        private_start: u64::MAX,
        private: Vec::new(),
        entry: prog.entry,
    };
    for seg in prog.segments() {
        let file = prog.file_bytes(seg);
        let start = seg.vaddr & !(PAGE_SIZE - 1);
        let end = (seg.end() + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
        let mut page = start;
        while page < end {
            let mut content = alloc::vec![0u8; PAGE_SIZE as usize];
            for (i, b) in content.iter_mut().enumerate() {
                let a = page + i as u64;
                if a >= seg.vaddr && a < seg.vaddr + file.len() as u64 {
                    *b = file[(a - seg.vaddr) as usize];
                }
            }
            if seg.writable {
                img.private_start = img.private_start.min(page);
                img.private.push(content);
            } else {
                let slot = pool.alloc().ok_or("no slots for the library OS")?;
                fill_frame(mem, slot, &content).map_err(|_| "no memory for the library OS")?;
                let flags = if seg.executable {
                    map_flags::EXECUTE
                } else {
                    0
                };
                img.shared.push((page, slot, flags));
            }
            page += PAGE_SIZE;
        }
    }
    if img.private.is_empty() {
        return Err("the library OS has no data segment");
    }
    Ok(img)
}

/// Allocates a frame into `slot` and fills it with `content` (a page).
pub fn fill_frame(mem: Slot, slot: Slot, content: &[u8]) -> Result<(), Error> {
    frame_alloc(mem, slot, None)?;
    map(slot, STAGING, map_flags::WRITE)?;
    scratch_write_bytes(STAGING, content);
    unmap(STAGING)?;
    Ok(())
}
