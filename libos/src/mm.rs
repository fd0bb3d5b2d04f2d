//! Virtual memory of the process, as the library OS manages it: the areas
//! the program may use (`Vma`: ELF segments, brk, the stack, mmaps) with
//! their protection, the pages actually backed by frames (one frame
//! capability each), demand-zero filling and copy-on-write, all driven by
//! page-fault upcalls; the commit checks (`RLIMIT_AS`, `RLIMIT_DATA`, and
//! Linux's heuristic overcommit: no single request larger than the
//! machine's memory); and the checked copies between the library OS and
//! program memory (which must never fault inside the upcall handler). The
//! map of areas itself (splitting, placement) is `vm_areas`.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::map_flags;
use vm_areas::{page_down, page_up, Areas};

use crate::kcall;
use crate::limits::{self, RLIMIT_AS, RLIMIT_DATA};
use linux_errno::Errno::{self, EFAULT, EINVAL, ENAMETOOLONG, ENOMEM};
use sysproto::layout::{LIBOS_WINDOW, MMAP_TOP, STACK_MAX, STACK_TOP};

pub use vm_areas::{PAGE, PROT_EXEC, PROT_READ, PROT_WRITE};

/// The first slot of program pages (after the heap's).
const FIRST_SLOT: u32 = crate::HEAP_SLOTS + crate::HEAP_PAGES as u32;
/// One past the last.
const END_SLOT: u32 = sysproto::slots::COUNT;
/// The lowest address `mmap` places areas at when not told where.
const MMAP_FLOOR: u64 = 0x1000_0000;

/// Why a fault could not be resolved (`si_code` of the SIGSEGV).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segv {
    /// No area there (`SEGV_MAPERR`).
    Unmapped,
    /// The area forbids the access (`SEGV_ACCERR`).
    Denied,
    /// No memory left to back the page (the process gets SIGBUS... or dies).
    NoMemory,
}

/// An area of the address space the program may use (`MAP_SHARED` ones
/// are backed at once).
pub type Vma = vm_areas::Area;

/// A page backed by a frame.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub slot: u32,
    /// Shared with another process since a fork: copy before writing.
    pub cow: bool,
    /// Mapped now (a page of a `PROT_NONE` area keeps its frame unmapped,
    /// as the kernel's mappings are always readable).
    pub mapped: bool,
}

/// The program's address space.
pub struct Mm {
    vmas: Areas,
    pub pages: BTreeMap<u64, Page>,
    free_slots: Vec<u32>,
    next_slot: u32,
    pub brk_start: u64,
    pub brk: u64,
    mmap_next: u64,
}

/// The machine's memory in bytes (from the server at start; 0: unknown),
/// for the overcommit heuristic.
static MACHINE_BYTES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Learns the machine's memory from the server.
pub fn learn_machine_memory() {
    if let Ok(r) = crate::server::call(sysproto::sys::Meminfo {}) {
        MACHINE_BYTES.store(r.total * PAGE, core::sync::atomic::Ordering::Relaxed);
    }
}

/// The machine's memory in bytes (0 if the server did not say).
pub fn machine_bytes() -> u64 {
    MACHINE_BYTES.load(core::sync::atomic::Ordering::Relaxed)
}

/// The kernel map flags for a page of an area with `prot`.
fn flags_for(prot: u32, cow: bool) -> u64 {
    let mut f = 0;
    if prot & PROT_WRITE != 0 && !cow {
        f |= map_flags::WRITE;
    }
    if prot & PROT_EXEC != 0 {
        f |= map_flags::EXECUTE;
    }
    f
}

impl Mm {
    pub const fn new() -> Mm {
        Mm {
            vmas: Areas::new(),
            pages: BTreeMap::new(),
            free_slots: Vec::new(),
            next_slot: FIRST_SLOT,
            brk_start: 0,
            brk: 0,
            mmap_next: MMAP_TOP,
        }
    }

    /// Bytes of areas in `[start, end)`: (all, private writable).
    fn sizes_in(&self, start: u64, end: u64) -> (u64, u64) {
        self.vmas.sizes_in(start, end, |s, v| {
            v.prot & PROT_WRITE != 0 && !v.shared && !self.is_stack(s)
        })
    }

    fn is_stack(&self, start: u64) -> bool {
        (STACK_TOP - STACK_MAX..STACK_TOP).contains(&start)
    }

    /// Whether `[start, start + len)` may become an area with `prot`
    /// (replacing what is there): Linux's checks, `ENOMEM` if not. A
    /// single request larger than the machine's memory, private writable
    /// or shared, is refused (the heuristic overcommit of `vm.overcommit_memory` = 0), the address
    /// space may not outgrow `RLIMIT_AS`, nor private writable memory
    /// `RLIMIT_DATA`.
    pub fn may_map(&self, start: u64, len: u64, prot: u32, shared: bool) -> Result<(), Errno> {
        let machine = MACHINE_BYTES.load(core::sync::atomic::Ordering::Relaxed);
        let writable_private = prot & PROT_WRITE != 0 && !shared;
        // Shared memory is backed at once (whatever its protection), so it
        // counts as committed too.
        if machine != 0 && (writable_private || shared) && len > machine {
            return Err(ENOMEM);
        }
        let end = start.saturating_add(len);
        let (all, data) = self.sizes_in(0, u64::MAX);
        let (old_all, old_data) = self.sizes_in(start, end);
        let new_all = all - old_all + len;
        if new_all > limits::cur(RLIMIT_AS) {
            return Err(ENOMEM);
        }
        if writable_private && data - old_data + len > limits::cur(RLIMIT_DATA) {
            return Err(ENOMEM);
        }
        Ok(())
    }

    /// A free capability slot for a program page.
    pub fn alloc_slot(&mut self) -> Option<u32> {
        if let Some(s) = self.free_slots.pop() {
            return Some(s);
        }
        if self.next_slot >= END_SLOT {
            return None;
        }
        self.next_slot += 1;
        Some(self.next_slot - 1)
    }

    pub fn free_slot(&mut self, s: u32) {
        self.free_slots.push(s);
    }

    /// The areas in address order, as (start, area).
    pub fn areas(&self) -> impl Iterator<Item = (u64, Vma)> + '_ {
        self.vmas.iter()
    }

    /// The area holding `addr`, as (start, area).
    pub fn find(&self, addr: u64) -> Option<(u64, Vma)> {
        self.vmas.find(addr)
    }

    /// Removes `[start, end)` from the areas (splitting them), unmapping
    /// and freeing its pages.
    pub fn remove(&mut self, start: u64, end: u64) {
        self.vmas.cut(start, end);
        let gone: Vec<u64> = self.pages.range(start..end).map(|(&a, _)| a).collect();
        for a in gone {
            self.drop_page(a);
        }
    }

    fn drop_page(&mut self, a: u64) {
        if let Some(p) = self.pages.remove(&a) {
            if p.mapped {
                let _ = kcall::unmap(a);
            }
            let _ = kcall::cap_delete(p.slot);
            self.free_slot(p.slot);
        }
    }

    /// Drops the frames of `[start, start + len)` but keeps the areas: the
    /// pages read as zero again (`MADV_DONTNEED`).
    pub fn discard(&mut self, start: u64, len: u64) {
        let end = page_up(start.saturating_add(len)).unwrap_or(u64::MAX);
        let gone: Vec<u64> = self.pages.range(start..end).map(|(&a, _)| a).collect();
        for a in gone {
            self.drop_page(a);
        }
    }

    /// Adds the area `[start, end)` with `prot` (the range must be free).
    pub fn add(&mut self, start: u64, end: u64, prot: u32) {
        self.vmas.insert(
            start,
            Vma {
                end,
                prot,
                shared: false,
            },
        );
    }

    /// Adds a shared area and backs every page of it now.
    pub fn add_shared(&mut self, start: u64, end: u64, prot: u32) -> Result<(), Errno> {
        self.vmas.insert(
            start,
            Vma {
                end,
                prot,
                shared: true,
            },
        );
        let mut a = start;
        while a < end {
            if self.populate(a, flags_for(prot, false)).is_err() {
                self.remove(start, end);
                return Err(ENOMEM);
            }
            a += PAGE;
        }
        Ok(())
    }

    /// Removes every area and page (for exec).
    pub fn clear(&mut self) {
        let all: Vec<u64> = self.pages.keys().copied().collect();
        for a in all {
            self.drop_page(a);
        }
        self.vmas.clear();
        self.brk_start = 0;
        self.brk = 0;
        self.mmap_next = MMAP_TOP;
    }

    /// Backs page `a` with a fresh zeroed frame mapped with `flags`.
    fn populate(&mut self, a: u64, flags: u64) -> Result<u32, Segv> {
        let slot = self.alloc_slot().ok_or(Segv::NoMemory)?;
        if kcall::frame_alloc(slot).is_err() {
            self.free_slot(slot);
            return Err(Segv::NoMemory);
        }
        if kcall::map(slot, a, flags).is_err() {
            let _ = kcall::cap_delete(slot);
            self.free_slot(slot);
            return Err(Segv::NoMemory);
        }
        self.pages.insert(
            a,
            Page {
                slot,
                cow: false,
                mapped: true,
            },
        );
        Ok(slot)
    }

    /// Gives page `a` (shared copy-on-write) a private copy.
    fn break_cow(&mut self, a: u64, prot: u32) -> Result<(), Segv> {
        let old = *self.pages.get(&a).ok_or(Segv::Unmapped)?;
        let slot = self.alloc_slot().ok_or(Segv::NoMemory)?;
        let fresh = kcall::frame_alloc(slot)
            .and_then(|()| kcall::map(slot, LIBOS_WINDOW, map_flags::WRITE));
        if fresh.is_err() {
            let _ = kcall::cap_delete(slot);
            self.free_slot(slot);
            return Err(Segv::NoMemory);
        }
        // SAFETY: `a` is a mapped (readable) program page and the window
        // a freshly mapped writable page; both are whole pages no Rust
        // object lives in, and they are distinct.
        unsafe {
            core::ptr::copy_nonoverlapping(a as *const u8, LIBOS_WINDOW as *mut u8, PAGE as usize)
        };
        let _ = kcall::unmap(LIBOS_WINDOW);
        let _ = kcall::unmap(a);
        let _ = kcall::cap_delete(old.slot);
        self.free_slot(old.slot);
        if kcall::map(slot, a, flags_for(prot, false)).is_err() {
            let _ = kcall::cap_delete(slot);
            self.free_slot(slot);
            self.pages.remove(&a);
            return Err(Segv::NoMemory);
        }
        self.pages.insert(
            a,
            Page {
                slot,
                cow: false,
                mapped: true,
            },
        );
        Ok(())
    }

    /// Resolves a fault at `addr` (a write if `write`).
    pub fn fault(&mut self, addr: u64, write: bool) -> Result<(), Segv> {
        let a = page_down(addr);
        let (_, vma) = self.find(addr).ok_or(Segv::Unmapped)?;
        if (write && vma.prot & PROT_WRITE == 0) || vma.prot == 0 {
            return Err(Segv::Denied);
        }
        match self.pages.get(&a).copied() {
            None => self.populate(a, flags_for(vma.prot, false)).map(|_| ()),
            Some(p) if write && p.cow => self.break_cow(a, vma.prot),
            Some(_) => Err(Segv::Denied),
        }
    }

    /// Makes `[addr, addr + len)` accessible to the library OS (for
    /// writing if `write`), resolving faults ahead; `EFAULT` if any byte
    /// is not program memory the access is allowed to.
    pub fn prepare(&mut self, addr: u64, len: u64, write: bool) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        let end = addr.checked_add(len).ok_or(EFAULT)?;
        // Only areas count: none lies in the library OS's own region.
        let mut a = page_down(addr);
        while a < end {
            let ok = match (self.pages.get(&a), self.find(a)) {
                (_, None) => return Err(EFAULT),
                // A page of a PROT_NONE area keeps its frame unmapped:
                // the library OS must not touch it (fault says EFAULT).
                (Some(p), Some((_, v))) => {
                    p.mapped && v.prot != 0 && !(write && (p.cow || v.prot & PROT_WRITE == 0))
                }
                (None, Some(_)) => false,
            };
            if !ok {
                self.fault(a, write).map_err(|_| EFAULT)?;
            }
            a += PAGE;
        }
        Ok(())
    }

    /// Copies `len` bytes of program memory at `addr` out.
    pub fn read(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
        self.prepare(addr, len as u64, false)?;
        let mut v = Vec::with_capacity(len);
        // SAFETY: `prepare` made every page of the range present and
        // readable program memory (no Rust object lives there); the copy
        // goes into the vector's own spare capacity, which it then covers.
        unsafe {
            core::ptr::copy_nonoverlapping(addr as *const u8, v.as_mut_ptr(), len);
            v.set_len(len);
        }
        Ok(v)
    }

    /// Copies `bytes` into program memory at `addr`.
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
        self.prepare(addr, bytes.len() as u64, true)?;
        // SAFETY: `prepare` made the range present, private and writable
        // program memory, which holds no Rust object.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
        Ok(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes at `addr`.
    pub fn read_cstr(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut a = addr;
        loop {
            let in_page = (PAGE - (a & (PAGE - 1))) as usize;
            let chunk = self.read(a, in_page)?;
            if let Some(nul) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(&chunk);
            if out.len() > max {
                return Err(ENAMETOOLONG);
            }
            a += in_page as u64;
        }
    }

    /// Reads the `u64` at `addr`.
    pub fn read_u64(&mut self, addr: u64) -> Result<u64, Errno> {
        let b = self.read(addr, 8)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(&b);
        Ok(u64::from_le_bytes(w))
    }

    /// Writes the `u64` at `addr`.
    pub fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), Errno> {
        self.write(addr, &v.to_le_bytes())
    }

    /// Reads the `u32` at `addr`.
    pub fn read_u32(&mut self, addr: u64) -> Result<u32, Errno> {
        let b = self.read(addr, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Writes the `u32` at `addr`.
    pub fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), Errno> {
        self.write(addr, &v.to_le_bytes())
    }

    /// `brk`: moves the break (never below its start); the break.
    pub fn set_brk(&mut self, want: u64) -> u64 {
        if want < self.brk_start || want >= sysproto::layout::MMAP_TOP {
            return self.brk;
        }
        let old_end = page_up(self.brk).unwrap_or(self.brk);
        let new_end = page_up(want).unwrap_or(want);
        if new_end > old_end {
            if !self.vmas.is_free(old_end, new_end) {
                return self.brk;
            }
            // Linux: the whole break (not only the growth) counts against
            // RLIMIT_DATA, with the other private writable memory.
            if self
                .may_map(old_end, new_end - old_end, PROT_READ | PROT_WRITE, false)
                .is_err()
                || want - self.brk_start > limits::cur(RLIMIT_DATA)
            {
                return self.brk;
            }
            // Extend the brk area (merging with the one below if any).
            match self.find(old_end - 1) {
                Some((s, v)) if v.end == old_end && old_end > self.brk_start => {
                    self.vmas.extend(s, new_end);
                }
                _ => self.add(old_end, new_end, PROT_READ | PROT_WRITE),
            }
        } else if new_end < old_end {
            self.remove(new_end, old_end);
        }
        self.brk = want;
        self.brk
    }

    /// `mmap` of anonymous memory shared with children: placed as
    /// [`Mm::mmap_anon`], then backed at once.
    pub fn mmap_shared(
        &mut self,
        hint: u64,
        len: u64,
        prot: u32,
        fixed: bool,
    ) -> Result<u64, Errno> {
        let start = self.mmap_area(hint, len, prot, fixed, true)?;
        let end = page_up(start + len).ok_or(EINVAL)?;
        self.vmas.cut(start, end);
        self.add_shared(start, end, prot)?;
        Ok(start)
    }

    /// `mmap` of anonymous memory (`fixed`: exactly at `hint`). The address.
    pub fn mmap_anon(&mut self, hint: u64, len: u64, prot: u32, fixed: bool) -> Result<u64, Errno> {
        self.mmap_area(hint, len, prot, fixed, false)
    }

    /// Places an area of `len` bytes (see [`Mm::mmap_anon`]); `shared`
    /// only changes how it counts against the limits.
    fn mmap_area(
        &mut self,
        hint: u64,
        len: u64,
        prot: u32,
        fixed: bool,
        shared: bool,
    ) -> Result<u64, Errno> {
        let len = page_up(len).filter(|&l| l > 0).ok_or(ENOMEM)?;
        if fixed {
            if hint & (PAGE - 1) != 0 || hint < abi::USER_MIN {
                return Err(EINVAL);
            }
            let end = hint.checked_add(len).ok_or(ENOMEM)?;
            if end > sysproto::layout::LIBOS_BASE {
                return Err(ENOMEM);
            }
            self.may_map(hint, len, prot, shared)?;
            self.remove(hint, end);
            self.add(hint, end, prot);
            return Ok(hint);
        }
        // A new area replaces nothing.
        self.may_map(0, len, prot, shared)?;
        if hint != 0 && hint & (PAGE - 1) == 0 {
            if let Some(end) = hint.checked_add(len) {
                if hint >= abi::USER_MIN && end <= MMAP_TOP && self.vmas.is_free(hint, end) {
                    self.add(hint, end, prot);
                    return Ok(hint);
                }
            }
        }
        // Top down from the last placement, wrapping once.
        for top in [self.mmap_next, MMAP_TOP] {
            if let Some(start) = self.vmas.gap_below(top, len, MMAP_FLOOR) {
                self.add(start, start + len, prot);
                self.mmap_next = start;
                return Ok(start);
            }
        }
        Err(ENOMEM)
    }

    /// `munmap`.
    pub fn munmap(&mut self, start: u64, len: u64) -> Result<(), Errno> {
        if start & (PAGE - 1) != 0 || len == 0 {
            return Err(EINVAL);
        }
        let end = page_up(start.checked_add(len).ok_or(EINVAL)?).ok_or(EINVAL)?;
        if end > sysproto::layout::LIBOS_BASE && start < STACK_TOP - STACK_MAX {
            return Err(EINVAL);
        }
        self.remove(start, end);
        Ok(())
    }

    /// `mprotect`: every byte must be in an area (`ENOMEM` otherwise).
    pub fn mprotect(&mut self, start: u64, len: u64, prot: u32) -> Result<(), Errno> {
        if start & (PAGE - 1) != 0 {
            return Err(EINVAL);
        }
        let end = page_up(start.checked_add(len).ok_or(ENOMEM)?).ok_or(ENOMEM)?;
        if !self.vmas.covers(start, end) {
            return Err(ENOMEM);
        }
        // Split at the edges, then change the areas inside.
        self.vmas.protect(start, end, prot);
        let present: Vec<(u64, Page)> = self
            .pages
            .range(start..end)
            .map(|(&a, &p)| (a, p))
            .collect();
        for (a, mut p) in present {
            if prot == 0 {
                if p.mapped {
                    let _ = kcall::unmap(a);
                    p.mapped = false;
                }
            } else if !p.mapped {
                p.mapped = kcall::map(p.slot, a, flags_for(prot, p.cow)).is_ok();
            } else {
                let _ = kcall::protect(a, flags_for(prot, p.cow));
            }
            self.pages.insert(a, p);
        }
        Ok(())
    }

    /// Sets up the main stack area (below `STACK_TOP`).
    /// Its size is `RLIMIT_STACK` (at least 128 KiB, at most the 8 MiB
    /// the layout leaves), read now, as Linux does at exec.
    pub fn add_stack(&mut self) {
        let size = page_down(limits::cur(limits::RLIMIT_STACK).clamp(128 << 10, STACK_MAX));
        self.add(STACK_TOP - size, STACK_TOP, PROT_READ | PROT_WRITE);
    }

    /// The kernel map flags page `a` should have now.
    pub fn flags_of(&self, a: u64, p: &Page) -> u64 {
        let prot = self.find(a).map_or(0, |(_, v)| v.prot);
        flags_for(prot, p.cow)
    }

    /// Marks every writable private page copy-on-write (and maps it read
    /// only), for a fork; pages of shared areas stay as they are.
    pub fn share_for_fork(&mut self) {
        let all: Vec<(u64, Page)> = self.pages.iter().map(|(&a, &p)| (a, p)).collect();
        for (a, mut p) in all {
            let Some((_, v)) = self.find(a) else {
                continue;
            };
            if v.shared {
                continue;
            }
            let prot = v.prot;
            if prot & PROT_WRITE != 0 && !p.cow {
                p.cow = true;
                if p.mapped {
                    let _ = kcall::protect(a, flags_for(prot, true));
                }
                self.pages.insert(a, p);
            }
        }
    }
}

impl Default for Mm {
    fn default() -> Mm {
        Mm::new()
    }
}
