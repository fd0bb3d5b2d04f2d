//! The client side of the system server (`sysproto`): typed requests
//! over the badged endpoint in `slots::SERVER`, bulk data through the
//! shared mailbox's data area, and the control words the server writes
//! there.

use alloc::vec::Vec;
use core::any::TypeId;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sysproto::layout::{COMPLETION, MAILBOX};
use sysproto::wire::{self, Request};
use sysproto::zerocopy::IntoBytes;
use sysproto::{control, slots, sys, Errno, DATA_BYTES, DATA_OFFSET};

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
/// Requests so far that used the data area: an [`Answer`] is good until
/// the next one (a request with nothing in the data area either way, such
/// as `Quota` while memory is made ready, leaves it alone).
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
        let mut v = alloc::vec![0u8; self.len];
        self.with_bytes(|b| v.copy_from_slice(b));
        v
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
    call_tagged(req, input, 0)
}

/// [`call_with`] with `tag` (0: it must be answered now).
fn call_tagged<R: Request>(req: R, input: &R::In, tag: u32) -> Result<Answer<R>, Errno> {
    let bytes = input.as_bytes();
    let n = bytes.len().min(DATA_BYTES);
    if n > 0 {
        with_area(|a| a[..n].copy_from_slice(&bytes[..n]));
    }
    // The server writes the data area only with what an operation's
    // reply brings (`wire::Data::put` takes an `R::Out`): one that brings
    // nothing (`Quota`, asked when memory or the heap grows) may be made
    // while the area is being read.
    let writes = TypeId::of::<R::Out>() != TypeId::of::<()>();
    assert!(
        !(writes && AREA_BORROWED.load(Ordering::Relaxed)),
        "libos: the mailbox is in use"
    );
    let msg = wire::request_msg(&req, n, tag);
    let r = exo_rt::ipc::call(slots::SERVER, msg).map_err(|_| Errno::EIO)?;
    let decoded = wire::decode_reply::<R::Reply>(&r);
    let call = if n == 0 && matches!(decoded, Ok((_, 0))) {
        CALLS.load(Ordering::Relaxed)
    } else {
        CALLS.fetch_add(1, Ordering::Relaxed) + 1
    };
    let (reply, len) = decoded?;
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

/// The read the server answers later, if one: its tag (the reading task's
/// tid) and handle. At most one at a time per process.
static DEFERRED: spin::Mutex<Option<(u32, u64)>> = spin::Mutex::new(None);

/// The bytes a read brought: in the data area (a reply) or in the
/// completion area (a deferred read's completion, taken when this goes).
pub enum Got {
    Now(Answer<sys::Read>),
    Done(Completion),
}

impl Got {
    /// How many bytes.
    pub fn len(&self) -> usize {
        match self {
            Got::Now(a) => a.len(),
            Got::Done(c) => c.len,
        }
    }

    /// Runs `f` on the bytes (no request may be made meanwhile).
    pub fn with_bytes<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T {
        match self {
            Got::Now(a) => a.with_bytes(f),
            Got::Done(c) => {
                // The completion area is COMPLETION_PAGES of mapped memory
                // shared only with the server, which writes it only to
                // complete a deferred read and only while DONE_TAG is 0;
                // DONE_TAG holds this completion's tag until `c` goes, and
                // no Rust object lives there.
                // SAFETY: sound for the reasons just given.
                let area = unsafe { core::slice::from_raw_parts(COMPLETION as *const u8, c.len) };
                f(area)
            }
        }
    }
}

/// A deferred read's completion in the completion area; taken (the
/// server may write the next) when this is dropped.
pub struct Completion {
    len: usize,
}

impl Drop for Completion {
    fn drop(&mut self) {
        set_control(control::DONE_TAG, 0);
    }
}

/// The completion of the deferred read `tag`, if it came.
fn take_completion(tag: u32) -> Result<Option<Got>, Errno> {
    if control(control::DONE_TAG) != u64::from(tag) {
        return Ok(None);
    }
    *DEFERRED.lock() = None;
    let c = Completion {
        len: (control(control::DONE_LEN) as usize).min(DATA_BYTES),
    };
    match control(control::DONE_RESULT) {
        0 => Ok(Some(Got::Done(c))),
        e => Err(Errno::from_raw(e as u16).unwrap_or(Errno::EIO)),
    }
}

/// A read by the task `tid`; with `wait`, one of a pipe or the console
/// that must wait is answered later: `None` until it is (the task waits
/// for a wake and asks here again, which takes the completion without a
/// new request).
pub fn read(req: sys::Read, tid: u64, wait: bool) -> Result<Option<Got>, Errno> {
    let tag = if wait { tid as u32 } else { 0 };
    let mine = *DEFERRED.lock();
    if let Some((t, h)) = mine {
        if tag != 0 && t == tag {
            if h == req.handle {
                return take_completion(tag);
            }
            // This task now reads something else: the old read goes.
            if !abandon(tid) {
                drop(take_completion(tag));
            }
        }
    }
    let a = call_tagged(req, &(), tag)?;
    if a.reply.deferred {
        *DEFERRED.lock() = Some((tag, req.handle));
        return take_completion(tag);
    }
    Ok(Some(Got::Now(a)))
}

/// Gives up the deferred read of task `tid` (a signal interrupts it):
/// true if nothing will come, false if its completion is here to take.
pub fn abandon(tid: u64) -> bool {
    let tag = tid as u32;
    if !matches!(*DEFERRED.lock(), Some((t, _)) if t == tag) {
        return true;
    }
    if control(control::DONE_TAG) == u64::from(tag) {
        return false;
    }
    let cancel = sys::Cancel {
        tag: u64::from(tag),
    };
    let gone = match call(cancel) {
        Ok(r) => r.cancelled || control(control::DONE_TAG) != u64::from(tag),
        Err(_) => true,
    };
    if gone {
        *DEFERRED.lock() = None;
    }
    gone
}

/// Gives up any deferred read and drops its completion (`execve`: the
/// other tasks end).
pub fn abandon_all() {
    let mine = *DEFERRED.lock();
    if let Some((tag, _)) = mine {
        if !abandon(u64::from(tag)) {
            drop(take_completion(tag));
        }
    }
}

/// Forgets the parent's deferred read in a new child (it has its own
/// mailbox, and only the forking task).
pub fn forget_deferred() {
    *DEFERRED.lock() = None;
}

/// The strings the server left in the data area before the process
/// started (its arguments and environment).
pub fn boot_data() -> Vec<u8> {
    let mut v = alloc::vec![0u8; DATA_BYTES];
    with_area(|a| v.copy_from_slice(a));
    v
}

/// The process's pid.
pub fn pid() -> u64 {
    control(control::PID)
}

/// Its parent's pid.
pub fn ppid() -> u64 {
    control(control::PPID)
}
