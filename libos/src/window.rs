//! The read window (`sysproto::layout::READ_WINDOW`): pages of the file
//! server's cache that it maps here, read-only, for `sys::ReadMap`; the
//! library OS copies a regular file's bytes from here straight into the
//! program's buffers, so the server copies nothing.

use sysproto::layout::READ_WINDOW;
use sysproto::READ_WINDOW_PAGES;

/// Bytes of the window.
const BYTES: u64 = READ_WINDOW_PAGES * 4096;

/// Runs `f` on the `n` bytes at offset `at` of the window, which the
/// server just mapped them at (`sys::ReadMapReply`). Nothing if the range
/// is not inside the window (a server that broke the protocol).
pub fn with_bytes<T>(at: u64, n: u64, f: impl FnOnce(&[u8]) -> T) -> T {
    if at.checked_add(n).is_none_or(|end| end > BYTES) {
        return f(&[]);
    }
    // SAFETY: `[at, at + n)` lies inside the window (checked above),
    // whose pages the server mapped readable for this reply and replaces
    // only while serving a later `ReadMap` of this process, which cannot
    // come before `f` returns (one thread runs the library OS; nothing in
    // `f` asks for a read). A page the file lets go of meanwhile stays
    // mapped, unchanged, until then (`services/sysd/src/procs/window.rs`).
    // No Rust object lives in the window, and nothing writes it (the
    // mappings are read-only), so a shared slice of it is sound.
    let bytes = unsafe { core::slice::from_raw_parts((READ_WINDOW + at) as *const u8, n as usize) };
    f(bytes)
}
