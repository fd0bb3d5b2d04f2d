//! The client side of the system server (`sysproto`): requests over the
//! badged endpoint in `slots::SERVER`, bulk data through the shared
//! mailbox, and the control words the server writes there.

use core::sync::atomic::{AtomicU64, Ordering};

use sysproto::layout::MAILBOX;
use sysproto::{control, slots, Op, DATA_BYTES, DATA_OFFSET};

/// The data area of the mailbox.
fn data_ptr() -> *mut u8 {
    (MAILBOX + DATA_OFFSET) as *mut u8
}

/// Control word `i` of the mailbox.
fn control_word(i: usize) -> &'static AtomicU64 {
    debug_assert!(i < 512);
    // The control page is mapped writable at MAILBOX for the life of the
    // process (the server maps it before the process starts and never
    // unmaps it); `i` is within the page; the server and this process
    // only ever access these words atomically.
    // SAFETY: sound for the reasons just given.
    unsafe { &*((MAILBOX as *const AtomicU64).add(i)) }
}

/// Reads control word `i`.
pub fn control(i: usize) -> u64 {
    control_word(i).load(Ordering::Acquire)
}

/// Writes control word `i` (only the words the library OS owns,
/// `sysproto::control::LINKED_*`).
pub fn set_control(i: usize, v: u64) {
    control_word(i).store(v, Ordering::Release);
}

/// Takes the pending-signal word (and clears it).
pub fn take_signals() -> u64 {
    let w = control_word(control::PENDING_SIGNALS);
    if w.load(Ordering::Relaxed) == 0 {
        0
    } else {
        w.swap(0, Ordering::AcqRel)
    }
}

/// Who sent the last instance of signal `sig` (a pid) and how.
pub fn origin_of(sig: u64) -> crate::signal::Origin {
    let i = sig as usize - 1;
    crate::signal::Origin {
        pid: control(control::SENDERS + i),
        info: control(control::SIGINFO + i),
    }
}

/// Copies `bytes` into the data area (at most `DATA_BYTES`; the rest is
/// cut). Returns the length copied.
pub fn put(bytes: &[u8]) -> usize {
    let n = bytes.len().min(DATA_BYTES);
    // The data area is DATA_BYTES of mapped, writable memory shared only
    // with the server, which touches it only while this process is
    // blocked in a call to it; `bytes` is a Rust slice, which cannot
    // overlap the mailbox (no Rust object lives there).
    // SAFETY: sound for the reasons just given.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), data_ptr(), n) };
    n
}

/// Copies `out.len()` bytes (at most `DATA_BYTES`) out of the data area.
pub fn get(out: &mut [u8]) {
    let n = out.len().min(DATA_BYTES);
    // SAFETY: as in `put`, reading instead of writing.
    unsafe { core::ptr::copy_nonoverlapping(data_ptr(), out.as_mut_ptr(), n) };
}

/// Word `i` of the data area.
pub fn data_word(i: usize) -> u64 {
    let mut b = [0u8; 8];
    let at = i * 8;
    if at + 8 <= DATA_BYTES {
        // SAFETY: as in `get`, eight bytes inside the data area.
        unsafe { core::ptr::copy_nonoverlapping(data_ptr().add(at), b.as_mut_ptr(), 8) };
    }
    u64::from_le_bytes(b)
}

/// The data area's address, for copies straight to or from user memory.
pub fn data_addr() -> u64 {
    MAILBOX + DATA_OFFSET
}

/// Sends request `op` with arguments `a`; the reply's result (negative
/// errno on failure) and words.
pub fn request(op: Op, a: [u64; 5]) -> (i64, [u64; 5]) {
    let msg = [op as u64, a[0], a[1], a[2], a[3], a[4]];
    match exo_rt::ipc::call(slots::SERVER, msg) {
        Ok(r) => (r[0] as i64, [r[1], r[2], r[3], r[4], r[5]]),
        Err(_) => (linux_errno::Errno::EIO.to_ret(), [0; 5]),
    }
}

/// [`request`] with the path `path` in the data area as `a1`'s length.
pub fn request_path(op: Op, path: &[u8], rest: [u64; 4]) -> (i64, [u64; 5]) {
    if path.len() > 4095 {
        return (linux_errno::Errno::ENAMETOOLONG.to_ret(), [0; 5]);
    }
    let n = put(path) as u64;
    request(op, [n, rest[0], rest[1], rest[2], rest[3]])
}

/// The process's pid.
pub fn pid() -> u64 {
    control(control::PID)
}

/// Its parent's pid.
pub fn ppid() -> u64 {
    control(control::PPID)
}
