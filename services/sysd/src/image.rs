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
    let bytes = loadable_prefix(files).ok_or("no /lib/libos in the ramdisk")?;
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
    // Its slots end where the read window's begin.
    let room = sysproto::slots::READ_WINDOW - sysproto::slots::FIRST_IMAGE;
    if img.private.len() > room as usize {
        return Err("the library OS's data and bss need more slots than there are");
    }
    Ok(img)
}

/// The bytes of `/lib/libos` up to the end of its last loadable segment
/// (its debug information, after that, is never read into memory).
fn loadable_prefix(files: &Files) -> Option<Vec<u8>> {
    const PATH: &[u8] = b"/lib/libos";
    let head = files.read_range(PATH, 0, 64).ok()?;
    let word = |b: &[u8], at: usize, n: usize| -> u64 {
        let mut v = [0u8; 8];
        v[..n].copy_from_slice(b.get(at..at + n).unwrap_or(&[0; 8][..n]));
        u64::from_le_bytes(v)
    };
    let (phoff, phentsize, phnum) = (word(&head, 32, 8), word(&head, 54, 2), word(&head, 56, 2));
    let table = files
        .read_range(PATH, phoff, phentsize.checked_mul(phnum)?)
        .ok()?;
    let mut end = phoff + phentsize * phnum;
    for i in 0..phnum as usize {
        let ph = table.get(i * phentsize as usize..(i + 1) * phentsize as usize)?;
        // PT_LOAD: its file bytes end at p_offset + p_filesz.
        if word(ph, 0, 4) == 1 {
            end = end.max(word(ph, 8, 8).checked_add(word(ph, 32, 8))?);
        }
    }
    files.read_range(PATH, 0, end).ok()
}

/// Allocates a frame into `slot` and fills it with `content` (a page).
pub fn fill_frame(mem: Slot, slot: Slot, content: &[u8]) -> Result<(), Error> {
    frame_alloc(mem, slot, None)?;
    map(slot, STAGING, map_flags::WRITE)?;
    scratch_write_bytes(STAGING, content);
    unmap(STAGING)?;
    Ok(())
}
