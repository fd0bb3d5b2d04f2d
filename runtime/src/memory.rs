//! The program's view of its address space: where its own memory is (the
//! image, the stack, the command line), which the runtime never lets it
//! unmap, and the scratch window, where it may map frames and read and
//! write them by address.
//!
//! | range | what |
//! |---|---|
//! | `[__image_start, __image_end)` | the program image (from `runtime/user.ld`, at 0x400000) |
//! | `[stack_top - STACK_RESERVE, stack_top)` | the stack the kernel gave (its size is not reported; this much is assumed) |
//! | the command-line bytes | wherever the kernel put them |
//! | `[SCRATCH_BASE, SCRATCH_END)` | nothing of the program's: free for frames it maps itself |
//!
//! At start the runtime checks that the kernel put none of the program's
//! memory into the scratch window, so reads and writes there can never
//! alias a Rust object.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::PAGE_SIZE;

/// First address of the scratch window.
pub const SCRATCH_BASE: u64 = 0x1000_0000;
/// One past the last address of the scratch window.
pub const SCRATCH_END: u64 = 0x8000_0000;
/// How much below its top the stack is taken to reach.
pub const STACK_RESERVE: u64 = 1 << 20;

static STACK_TOP: AtomicU64 = AtomicU64::new(0);
static CMDLINE_START: AtomicU64 = AtomicU64::new(0);
static CMDLINE_END: AtomicU64 = AtomicU64::new(0);

extern "C" {
    static __image_start: u8;
    static __rodata_start: u8;
    static __data_start: u8;
    static __image_end: u8;
}

/// Records the stack top and command-line range given at entry.
pub(crate) fn record(stack_top: u64, cmdline: &[u8]) {
    STACK_TOP.store(stack_top, Ordering::Relaxed);
    let start = cmdline.as_ptr() as u64;
    CMDLINE_START.store(start, Ordering::Relaxed);
    CMDLINE_END.store(start + cmdline.len() as u64, Ordering::Relaxed);
}

/// The program image, page aligned (from the linker script's symbols).
pub fn image() -> core::ops::Range<u64> {
    // Only the symbols' addresses are taken; nothing is read through them.
    let start = core::ptr::addr_of!(__image_start) as u64;
    let end = core::ptr::addr_of!(__image_end) as u64;
    start..end
}

/// One segment of the program image: its pages and the
/// [`abi::map_flags`] it is mapped with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Its pages (page aligned; may be empty).
    pub pages: core::ops::Range<u64>,
    /// `0` (read only), `EXECUTE` (text) or `WRITE` (data and bss).
    pub flags: u64,
}

/// The image's three segments, in address order: text (R+X), rodata (R),
/// data and bss (R+W), as `runtime/user.ld` lays them out (each starts on a
/// page boundary, so no page belongs to two).
pub fn segments() -> [Segment; 3] {
    // Only the symbols' addresses are taken; nothing is read through them.
    let rodata = core::ptr::addr_of!(__rodata_start) as u64;
    let data = core::ptr::addr_of!(__data_start) as u64;
    let all = image();
    [
        Segment {
            pages: all.start..rodata,
            flags: abi::map_flags::EXECUTE,
        },
        Segment {
            pages: rodata..data,
            flags: 0,
        },
        Segment {
            pages: data..all.end,
            flags: abi::map_flags::WRITE,
        },
    ]
}

/// The stack range assumed: [`STACK_RESERVE`] bytes below the entry `rsp`.
pub fn stack() -> core::ops::Range<u64> {
    let top = STACK_TOP.load(Ordering::Relaxed);
    top.saturating_sub(STACK_RESERVE)..top
}

/// The command-line bytes, rounded out to whole pages.
pub fn cmdline_pages() -> core::ops::Range<u64> {
    let start = CMDLINE_START.load(Ordering::Relaxed);
    let end = CMDLINE_END.load(Ordering::Relaxed);
    if start == end {
        return 0..0;
    }
    page_down(start)..page_down(end - 1).saturating_add(PAGE_SIZE)
}

fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// True if the page holding `vaddr` holds any of the program's own memory
/// (image, stack, command line).
pub fn is_program_memory(vaddr: u64) -> bool {
    let page = page_down(vaddr);
    let page_end = page.saturating_add(PAGE_SIZE);
    [image(), stack(), cmdline_pages()]
        .iter()
        .any(|r| r.start < r.end && page < r.end && r.start < page_end)
}

/// True if `[start, start + len)` lies inside the scratch window.
pub fn in_scratch(start: u64, len: u64) -> bool {
    start >= SCRATCH_BASE && start.checked_add(len).is_some_and(|end| end <= SCRATCH_END)
}

/// Why the program's memory is not where the runtime needs it, if so.
pub(crate) fn layout_problem() -> Option<&'static str> {
    let overlaps = |r: core::ops::Range<u64>| r.start < SCRATCH_END && SCRATCH_BASE < r.end;
    if overlaps(image()) {
        Some("the program image overlaps the scratch window")
    } else if overlaps(stack()) {
        Some("the stack lies within 1 MiB of the scratch window")
    } else if overlaps(cmdline_pages()) {
        Some("the command line lies in the scratch window")
    } else {
        None
    }
}

fn check_scratch(vaddr: u64) {
    if !in_scratch(vaddr, 8) || !vaddr.is_multiple_of(8) {
        panic!("exo-rt: {vaddr:#x} is not an aligned word in the scratch window");
    }
}

/// Reads the word at `vaddr` in the scratch window (panics outside it or
/// if unaligned). Unmapped memory faults, as the hardware decides.
pub fn scratch_read(vaddr: u64) -> u64 {
    check_scratch(vaddr);
    // `vaddr` is an aligned address in the scratch window, which
    // holds no Rust object (`layout_problem` is checked at start), so the
    // volatile read aliases nothing; if the page is not mapped the CPU
    // faults and the kernel handles it, no Rust value is produced.
    // SAFETY: sound for the reasons just given.
    unsafe { core::ptr::read_volatile(vaddr as *const u64) }
}

/// Writes the word at `vaddr` in the scratch window (panics outside it or
/// if unaligned). Unmapped or read-only memory faults.
pub fn scratch_write(vaddr: u64, value: u64) {
    check_scratch(vaddr);
    // SAFETY: as in `scratch_read`: the address holds no Rust object, so
    // the volatile write changes nothing the compiler relies on.
    unsafe { core::ptr::write_volatile(vaddr as *mut u64, value) }
}

fn check_scratch_range(start: u64, len: u64) {
    if !in_scratch(start, len) {
        panic!("exo-rt: [{start:#x}, +{len:#x}) is not inside the scratch window");
    }
}

/// Copies `out.len()` bytes from the scratch window at `vaddr` (panics if
/// the range leaves the window). Unmapped memory faults.
pub fn scratch_read_bytes(vaddr: u64, out: &mut [u8]) {
    check_scratch_range(vaddr, out.len() as u64);
    // SAFETY: the source range lies in the scratch window, which holds no
    // Rust object (checked at start), so it cannot overlap `out`; the
    // bytes are copied as plain data.
    unsafe { core::ptr::copy_nonoverlapping(vaddr as *const u8, out.as_mut_ptr(), out.len()) }
}

/// Copies `bytes` into the scratch window at `vaddr` (panics if the range
/// leaves the window). Unmapped or read-only memory faults.
pub fn scratch_write_bytes(vaddr: u64, bytes: &[u8]) {
    check_scratch_range(vaddr, bytes.len() as u64);
    // SAFETY: as in `scratch_read_bytes`, the destination holds no Rust
    // object and does not overlap `bytes`.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), vaddr as *mut u8, bytes.len()) }
}

/// Copies `len` bytes inside the scratch window from `src` to `dst` (the
/// ranges may overlap; panics if either leaves the window).
pub fn scratch_copy(dst: u64, src: u64, len: u64) {
    check_scratch_range(dst, len);
    check_scratch_range(src, len);
    // SAFETY: both ranges lie in the scratch window, which holds no Rust
    // object; `copy` allows overlap.
    unsafe { core::ptr::copy(src as *const u8, dst as *mut u8, len as usize) }
}
