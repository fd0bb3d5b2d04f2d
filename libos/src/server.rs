//! The client side of the system server (`sysproto`): typed requests
//! over the badged endpoint in `slots::SERVER`, bulk data through the
//! shared mailbox's data area, and the control words the server writes
//! there.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sysproto::layout::MAILBOX;
use sysproto::wire::{self, Request};
use sysproto::zerocopy::IntoBytes;
use sysproto::{control, slots, Errno, DATA_BYTES, DATA_OFFSET};

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

/// Set while something holds a view of the data area (an [`Answer`]'s
/// bytes being read): a request then would let the server overwrite them.
static AREA_BORROWED: AtomicBool = AtomicBool::new(false);
/// Requests made so far: an [`Answer`] is good until the next one.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// Runs `f` on the data area.
fn with_area<T>(f: impl FnOnce(&mut [u8]) -> T) -> T {
    assert!(
        !AREA_BORROWED.swap(true, Ordering::Acquire),
        "libos: the mailbox is in use"
    );
    // The data area is DATA_BYTES of mapped, writable memory shared only
    // with the server, which touches it only while this process is blocked
    // in a request to it; no request is made while this slice lives (the
    // flag above, checked by `call`), and no Rust object lives there.
    // SAFETY: sound for the reasons just given.
    let area = unsafe { core::slice::from_raw_parts_mut(data_ptr(), DATA_BYTES) };
    let r = f(area);
    AREA_BORROWED.store(false, Ordering::Release);
    r
}

/// The answer to a request `R`: its reply and what it brought back in the
/// data area (good until the next request).
pub struct Answer<R: Request> {
    pub reply: R::Reply,
    len: usize,
    call: u64,
}

impl<R: Request> Answer<R> {
    /// Bytes the reply brought back.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it brought nothing back (end of file, for a read).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Runs `f` on the bytes the reply brought back (no request may be
    /// made meanwhile).
    pub fn with_bytes<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T
    where
        R: Request<Out = [u8]>,
    {
        assert_eq!(
            CALLS.load(Ordering::Relaxed),
            self.call,
            "libos: stale answer"
        );
        with_area(|a| f(&a[..self.len]))
    }

    /// The bytes the reply brought back.
    pub fn bytes(&self) -> Vec<u8>
    where
        R: Request<Out = [u8]>,
    {
        self.with_bytes(<[u8]>::to_vec)
    }

    /// The value the reply brought back.
    pub fn value(&self) -> R::Out
    where
        R::Out: Sized,
    {
        assert_eq!(
            CALLS.load(Ordering::Relaxed),
            self.call,
            "libos: stale answer"
        );
        with_area(|a| wire::read_out(&a[..self.len]))
    }
}

/// Sends request `req` with `input` in the data area (cut to the area);
/// the answer, or the server's error (`EIO` if the server is gone).
pub fn call_with<R: Request>(req: R, input: &R::In) -> Result<Answer<R>, Errno> {
    let bytes = input.as_bytes();
    let n = bytes.len().min(DATA_BYTES);
    if n > 0 {
        with_area(|a| a[..n].copy_from_slice(&bytes[..n]));
    }
    assert!(
        !AREA_BORROWED.load(Ordering::Relaxed),
        "libos: the mailbox is in use"
    );
    let call = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    let msg = wire::request_msg(&req, n);
    let r = exo_rt::ipc::call(slots::SERVER, msg).map_err(|_| Errno::EIO)?;
    let (reply, len) = wire::decode_reply::<R::Reply>(&r)?;
    Ok(Answer { reply, len, call })
}

/// [`call_with`] for a request with the path `path` in the data area
/// (`ENAMETOOLONG` past 4095 bytes).
pub fn call_path<R: Request<In = [u8]>>(req: R, path: &[u8]) -> Result<Answer<R>, Errno> {
    if path.len() > 4095 {
        return Err(Errno::ENAMETOOLONG);
    }
    call_with(req, path)
}

/// Sends request `req`, which sends nothing in the data area; its reply.
pub fn call<R: Request<In = ()>>(req: R) -> Result<R::Reply, Errno> {
    call_with(req, &()).map(|a| a.reply)
}

/// An error as the library OS's Linux handlers return it (positive).
pub fn code(e: Errno) -> i64 {
    i64::from(e.raw())
}

/// The strings the server left in the data area before the process
/// started (its arguments and environment).
pub fn boot_data() -> Vec<u8> {
    with_area(|a| a.to_vec())
}

/// The process's pid.
pub fn pid() -> u64 {
    control(control::PID)
}

/// Its parent's pid.
pub fn ppid() -> u64 {
    control(control::PPID)
}
