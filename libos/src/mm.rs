//! Virtual memory of the process, as the library OS manages it: the areas
//! the program may use (`Vma`: ELF segments, brk, the stack, mmaps) with
//! their protection, the pages actually backed by frames (one frame
//! capability each), demand-zero filling and copy-on-write, all driven by
//! page-fault upcalls; the commit checks (`RLIMIT_AS`, `RLIMIT_DATA`, and
//! Linux's heuristic overcommit: no single request larger than the
//! machine's memory); and the checked copies between the library OS and
//! program memory (which must never fault inside the upcall handler). The
//! map of areas itself (splitting, placement) is `vm_areas`.
//!
//! A file mapping's pages are the file's own frames, which the server
//! maps on a fault (`sys::MapPage`): writable in a shared mapping, read
//! only in a private one, copied here on the first write. The area keeps
//! the open file (so the mapping outlives the descriptor). A page the
//! server took back (the file shrank) faults again: the server maps it
//! anew, or says it is past the end (SIGBUS).

use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::vec::Vec;

use abi::map_flags;
use vm_areas::{page_down, page_up, Areas};

use crate::fd::OpenFile;
use crate::kcall;
use crate::limits::{self, RLIMIT_AS, RLIMIT_DATA};
use linux_errno::Errno::{self, EACCES, EFAULT, EINVAL, ENAMETOOLONG, ENOMEM};
use sysproto::layout::{LIBOS_WINDOW, MMAP_TOP, STACK_MAX, STACK_TOP};

pub use vm_areas::{FileMap, PAGE, PROT_EXEC, PROT_READ, PROT_WRITE};

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
    /// A file mapping's page past the end of the file (`SIGBUS`).
    Bus,
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
    /// The open files the file mappings keep.
    files: Vec<Rc<OpenFile>>,
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
            files: Vec::new(),
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
        let cut = self.vmas.cut(start, end);
        let gone: Vec<u64> = self.pages.range(start..end).map(|(&a, _)| a).collect();
        for a in gone {
            self.drop_page(a);
        }
        if cut.iter().any(|(_, v)| v.file.is_some()) {
            self.keep_files();
        }
    }

    /// Lets go of the open files no area maps any more.
    fn keep_files(&mut self) {
        let vmas = &self.vmas;
        self.files.retain(|f| {
            vmas.iter()
                .any(|(_, v)| v.file.is_some_and(|m| m.handle == f.handle))
        });
    }

    /// True if every byte of `[start, end)` is in some area.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        self.vmas.covers(start, end)
    }

    /// Forgets the pages at `list` (their capabilities went: a fork found
    /// file pages the server had taken back).
    pub fn forget_pages(&mut self, list: &[u64]) {
        for &a in list {
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
                file: None,
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
                file: None,
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
        self.files.clear();
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
        let (start, vma) = self.find(addr).ok_or(Segv::Unmapped)?;
        if (write && vma.prot & PROT_WRITE == 0) || vma.prot == 0 {
            return Err(Segv::Denied);
        }
        if let Some(f) = vma.file {
            return self.fault_file(a, start, vma, f, write);
        }
        match self.pages.get(&a).copied() {
            None => self.populate(a, flags_for(vma.prot, false)).map(|_| ()),
            Some(p) if write && p.cow => self.break_cow(a, vma.prot),
            Some(_) => Err(Segv::Denied),
        }
    }

    /// A fault at page `a` of the file mapping `vma` (from `start`).
    fn fault_file(
        &mut self,
        a: u64,
        start: u64,
        vma: Vma,
        f: FileMap,
        write: bool,
    ) -> Result<(), Segv> {
        if let Some(p) = self.pages.get(&a).copied() {
            // Still mapped, unless the server took the page back.
            if p.mapped && kcall::protect(a, flags_for(vma.prot, p.cow)).is_ok() {
                return if write && p.cow {
                    self.break_cow(a, vma.prot)
                } else {
                    Ok(())
                };
            }
            self.drop_page(a);
        }
        let slot = self.alloc_slot().ok_or(Segv::NoMemory)?;
        let private = !vma.shared;
        let mut at = a | flags_for(vma.prot, private);
        if !private && f.may_write {
            at |= sysproto::sys::MAP_WRITABLE;
        }
        let req = sysproto::sys::MapPage {
            handle: f.handle,
            index: (f.offset + (a - start)) / PAGE,
            at,
            slot: u64::from(slot),
        };
        if crate::server::call(req).is_err() {
            let _ = kcall::cap_delete(slot);
            self.free_slot(slot);
            return Err(Segv::Bus);
        }
        self.pages.insert(
            a,
            Page {
                slot,
                cow: private,
                mapped: true,
            },
        );
        if write && private {
            return self.break_cow(a, vma.prot);
        }
        self.fault_around(a, start, vma, f, at & 0xfff);
        Ok(())
    }

    /// After a fault at page `a` of the file mapping `vma` (from `start`)
    /// was resolved, maps the pages after it up to the end of its 64 KiB
    /// block (Linux's fault-around; only those already in the server's
    /// cache, none the program has) in one request, with the map flags
    /// `flags` the faulting page got. Best effort: nothing is lost if
    /// none are mapped.
    fn fault_around(&mut self, a: u64, start: u64, vma: Vma, f: FileMap, flags: u64) {
        let block_end = (a | 0xffff) + 1;
        let end = block_end.min(vma.end);
        let mut slots = Vec::new();
        let mut next = a + PAGE;
        while next < end
            && slots.len() < sysproto::sys::MAP_PAGES_MAX
            && !self.pages.contains_key(&next)
        {
            let Some(s) = self.alloc_slot() else {
                break;
            };
            slots.push(s);
            next += PAGE;
        }
        if slots.is_empty() {
            return;
        }
        let bytes: Vec<u8> = slots.iter().flat_map(|s| s.to_le_bytes()).collect();
        let req = sysproto::sys::MapPages {
            handle: f.handle,
            index: (f.offset + (a + PAGE - start)) / PAGE,
            at: (a + PAGE) | flags,
        };
        let mapped =
            crate::server::call_with(req, &bytes[..]).map_or(0, |r| r.reply.mapped) as usize;
        for (k, &slot) in slots.iter().enumerate() {
            if k < mapped {
                self.pages.insert(
                    a + PAGE * (k as u64 + 1),
                    Page {
                        slot,
                        cow: !vma.shared,
                        mapped: true,
                    },
                );
            } else {
                // (A capability the server left in a slot it could not
                // map goes too.)
                let _ = kcall::cap_delete(slot);
                self.free_slot(slot);
            }
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
                // A file page may have been taken back: asked each time.
                (_, Some((_, v))) if v.file.is_some() => false,
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

    /// Places an area of `len` bytes for frames that come from elsewhere
    /// (a System V segment), as [`Mm::mmap_anon`]; [`Mm::add_frames`]
    /// then maps them.
    pub fn place_shared(
        &mut self,
        hint: u64,
        len: u64,
        prot: u32,
        fixed: bool,
    ) -> Result<u64, Errno> {
        self.mmap_area(hint, len, prot, fixed, true)
    }

    /// Makes the area [`Mm::place_shared`] placed at `start` a shared area
    /// of the frames in `slots` (one per page, in this process's
    /// capability space, which they then belong to); `ENOMEM` (the area
    /// gone) if one cannot be mapped.
    pub fn add_frames(&mut self, start: u64, slots: &[u32], prot: u32) -> Result<(), Errno> {
        let end = start + slots.len() as u64 * PAGE;
        let (_, mut v) = self.find(start).ok_or(EINVAL)?;
        v.end = end;
        v.prot = prot;
        v.shared = true;
        self.vmas.cut(start, end);
        self.vmas.insert(start, v);
        for (i, &slot) in slots.iter().enumerate() {
            let a = start + i as u64 * PAGE;
            let page = Page {
                slot,
                cow: false,
                mapped: true,
            };
            self.pages.insert(a, page);
            if kcall::map(slot, a, flags_for(prot, false)).is_err() {
                self.pages.get_mut(&a).expect("just put").mapped = false;
                for &s in &slots[i + 1..] {
                    let _ = kcall::cap_delete(s);
                    self.free_slot(s);
                }
                self.remove(start, end);
                return Err(ENOMEM);
            }
        }
        Ok(())
    }

    /// `mmap` of anonymous memory (`fixed`: exactly at `hint`). The address.
    pub fn mmap_anon(&mut self, hint: u64, len: u64, prot: u32, fixed: bool) -> Result<u64, Errno> {
        self.mmap_area(hint, len, prot, fixed, false)
    }

    /// `mmap` of `len` bytes of `file` from `offset` (page aligned);
    /// `may_write`: the file is open for writing. Nothing is mapped until
    /// touched.
    #[allow(clippy::too_many_arguments)]
    pub fn mmap_file(
        &mut self,
        hint: u64,
        len: u64,
        prot: u32,
        fixed: bool,
        shared: bool,
        file: Rc<OpenFile>,
        offset: u64,
        may_write: bool,
    ) -> Result<u64, Errno> {
        // A shared file mapping's pages are the file's: no commit charge.
        let commit = if shared { prot & !PROT_WRITE } else { prot };
        let start = self.mmap_area(hint, len, commit, fixed, false)?;
        let end = page_up(start + len).ok_or(EINVAL)?;
        self.vmas.cut(start, end);
        let map = FileMap {
            handle: file.handle,
            offset,
            may_write,
        };
        let area = Vma {
            end,
            prot,
            shared,
            file: Some(map),
        };
        self.vmas.insert(start, area);
        if !self.files.iter().any(|f| f.handle == file.handle) {
            self.files.push(file);
        }
        Ok(start)
    }

    /// `mremap` (`flags`: `MREMAP_MAYMOVE` 1, `MREMAP_FIXED` 2) of one
    /// area's `[old, old + old_len)`: shrinks it, grows it in place, or
    /// moves its pages (the same frames) to a new place.
    pub fn mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        const MAYMOVE: u64 = 1;
        const FIXED: u64 = 2;
        let fixed = flags & FIXED != 0;
        if old & (PAGE - 1) != 0 || flags & !(MAYMOVE | FIXED) != 0 {
            return Err(EINVAL);
        }
        if fixed && (flags & MAYMOVE == 0 || new_addr & (PAGE - 1) != 0) {
            return Err(EINVAL);
        }
        let old_len = page_up(old_len).filter(|&l| l > 0).ok_or(EINVAL)?;
        let new_len = page_up(new_len).filter(|&l| l > 0).ok_or(EINVAL)?;
        let old_end = old.checked_add(old_len).ok_or(EFAULT)?;
        let (s, v) = self.find(old).ok_or(EFAULT)?;
        if old_end > v.end {
            return Err(EFAULT);
        }
        let anon_shared = v.shared && v.file.is_none();
        if fixed {
            let end = new_addr.checked_add(new_len).ok_or(EINVAL)?;
            if new_addr < old_end && old < end || end > sysproto::layout::LIBOS_BASE {
                return Err(EINVAL);
            }
        }
        // Shrinking first leaves the part that stays.
        if new_len < old_len {
            self.remove(old + new_len, old_end);
            if !fixed {
                return Ok(old);
            }
        }
        let keep = old_len.min(new_len);
        let grow = new_len - keep;
        if grow > 0 {
            self.may_map(0, grow, v.prot, v.shared && v.file.is_none())?;
        }
        let in_place = old + keep == v.end && self.vmas.is_free(v.end, old + new_len);
        let dest = if fixed {
            self.remove(new_addr, new_addr + new_len);
            new_addr
        } else if grow == 0 {
            return Ok(old);
        } else if in_place && old + new_len <= MMAP_TOP {
            self.vmas.extend(s, old + new_len);
            old
        } else if flags & MAYMOVE == 0 {
            return Err(ENOMEM);
        } else {
            [self.mmap_next, MMAP_TOP]
                .into_iter()
                .find_map(|top| self.vmas.gap_below(top, new_len, MMAP_FLOOR))
                .ok_or(ENOMEM)?
        };
        if dest != old {
            self.vmas.cut(old, old + keep);
            self.vmas.insert(dest, v.part(s, old, dest + new_len));
            let moving: Vec<(u64, Page)> = self
                .pages
                .range(old..old + keep)
                .map(|(&a, &p)| (a, p))
                .collect();
            for (a, mut p) in moving {
                self.pages.remove(&a);
                let to = dest + (a - old);
                if p.mapped {
                    let _ = kcall::unmap(a);
                    p.mapped = kcall::map(p.slot, to, flags_for(v.prot, p.cow)).is_ok();
                }
                self.pages.insert(to, p);
            }
        }
        // Anonymous shared memory is backed at once.
        if anon_shared {
            let mut a = dest + keep;
            while a < dest + new_len {
                if self.populate(a, flags_for(v.prot, false)).is_err() {
                    return Err(ENOMEM);
                }
                a += PAGE;
            }
        }
        Ok(dest)
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
        // A shared mapping of a file not open for writing stays read only.
        let read_only = |v: &Vma| v.shared && v.file.is_some_and(|f| !f.may_write);
        if prot & PROT_WRITE != 0
            && self
                .vmas
                .iter()
                .any(|(s, v)| s < end && v.end > start && read_only(&v))
        {
            return Err(EACCES);
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
