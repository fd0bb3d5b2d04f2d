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
use sysproto::{completion, control, slots, sys, Errno, DATA_BYTES, DATA_OFFSET};

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

/// Who sent the last instance of standard signal `sig` and how.
pub fn origin_of(sig: u64) -> crate::signal::Origin {
    let i = sig as usize - 1;
    let who = control(control::SENDERS + i);
    let info = control(control::SIGINFO + i);
    crate::signal::Origin {
        pid: who as u32,
        uid: (who >> 32) as u32,
        code: info as u32 as i32,
        value: info >> 32,
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
    #[allow(dead_code)]
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
    // An untagged request is always answered now.
    call_tagged(req, input, 0)?.ok_or(Errno::EIO)
}

/// [`call_with`] with `tag` (0: it must be answered now); `None` if the
/// server answers later.
fn call_tagged<R: Request>(req: R, input: &R::In, tag: u32) -> Result<Option<Answer<R>>, Errno> {
    ask::<R, false>(req, input, tag)
}

/// [`call_tagged`], with the exchange inlined when `HOT` (the requests
/// that may wait: reads and writes of pipes, `wait4`).
#[inline(always)]
fn ask<R: Request, const HOT: bool>(
    req: R,
    input: &R::In,
    tag: u32,
) -> Result<Option<Answer<R>>, Errno> {
    // The server writes the data area only with what an operation's
    // reply brings (`wire::Data::put` takes an `R::Out`): one that brings
    // nothing (`Quota`, asked when memory or the heap grows) may be made
    // while the area is being read.
    let writes = TypeId::of::<R::Out>() != TypeId::of::<()>();
    let bytes = input.as_bytes();
    let mut r = wire::request_msg(&req, bytes.len(), tag);
    let call = if HOT {
        exchange_inline(&mut r, bytes, writes)?
    } else {
        exchange(&mut r, bytes, writes)?
    };
    if tag != 0 && wire::is_deferred(&r) {
        return Ok(None);
    }
    let (reply, len) = wire::decode_reply::<R::Reply>(&r)?;
    Ok(Some(Answer { reply, len, call }))
}

/// The part of every request that does not depend on its type: puts
/// `bytes` in the data area, sends the request in `msg` and leaves the
/// reply there; the count of requests that used the data area after it.
#[inline(never)]
fn exchange(msg: &mut wire::Msg, bytes: &[u8], writes: bool) -> Result<u64, Errno> {
    exchange_inline(msg, bytes, writes)
}

/// [`exchange`], inlined.
#[inline(always)]
fn exchange_inline(msg: &mut wire::Msg, bytes: &[u8], writes: bool) -> Result<u64, Errno> {
    let n = bytes.len().min(DATA_BYTES);
    if n > 0 {
        with_area(|a| a[..n].copy_from_slice(&bytes[..n]));
    }
    assert!(
        !(writes && AREA_BORROWED.load(Ordering::Relaxed)),
        "libos: the mailbox is in use"
    );
    *msg = exo_rt::ipc::call(slots::SERVER, *msg).map_err(|_| Errno::EIO)?;
    // A reply that is no error and brings nothing leaves the area alone.
    let failed = (-4095..0).contains(&(msg[0] as i64));
    Ok(if n == 0 && !failed && msg[5] == 0 {
        CALLS.load(Ordering::Relaxed)
    } else {
        CALLS.fetch_add(1, Ordering::Relaxed) + 1
    })
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

/// A request the server answers later: its tag (the waiting task's tid),
/// operation and words, to know it when the task asks again.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pending {
    tag: u32,
    op: u64,
    words: [u64; 4],
}

/// The requests the server answers later, one per waiting task.
static PENDING: spin::Mutex<Vec<Pending>> = spin::Mutex::new(Vec::new());

/// The answer to a tagged request: now (its bytes in the data area) or
/// later (a completion record, its bytes in the completion area; taken,
/// so the server may reuse the record, when this goes).
pub enum Got<R: Request> {
    Now(Answer<R>),
    Done(Completion<R>),
}

impl<R: Request> Got<R> {
    /// The reply.
    pub fn reply(&self) -> R::Reply {
        match self {
            Got::Now(a) => a.reply,
            Got::Done(c) => c.reply,
        }
    }

    /// How many bytes it brought.
    pub fn len(&self) -> usize {
        match self {
            Got::Now(a) => a.len(),
            Got::Done(c) => c.len,
        }
    }

    /// Runs `f` on the bytes (no request may be made meanwhile).
    pub fn with_bytes<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T
    where
        R: Request<Out = [u8]>,
    {
        match self {
            Got::Now(a) => a.with_bytes(f),
            Got::Done(c) => {
                // The completion area is COMPLETION_PAGES of mapped memory
                // shared only with the server, which writes a record's
                // bytes only while the record is free and never over the
                // bytes of a record in use; this record stays in use (its
                // tag set) until `c` goes, its bytes lie within the area
                // (checked when taken), and no Rust object lives there.
                // SAFETY: sound for the reasons just given.
                let area = unsafe {
                    core::slice::from_raw_parts((COMPLETION + c.at as u64) as *const u8, c.len)
                };
                f(area)
            }
        }
    }
}

/// A completion record taken by its task; the record is freed when this
/// is dropped.
pub struct Completion<R: Request> {
    reply: R::Reply,
    record: usize,
    at: usize,
    len: usize,
}

impl<R: Request> Drop for Completion<R> {
    fn drop(&mut self) {
        free_record(self.record);
    }
}

/// Control word `field` of completion record `i`.
fn record_word(i: usize, field: usize) -> usize {
    completion::word(i) + field
}

/// Frees completion record `i` for the server.
#[inline(never)]
fn free_record(i: usize) {
    set_control(record_word(i, completion::TAG), 0);
    if control(completion::FULL) != 0 {
        records_freed();
    }
}

/// A completion waits at the server for the record or bytes just freed:
/// any request makes the server look again.
#[cold]
#[inline(never)]
fn records_freed() {
    set_control(completion::FULL, 0);
    let _ = call(sys::Cancel { tag: 0 });
}

/// The completion record with `tag`, if it came (looked for from the
/// record the server tries first, [`completion::first_for`]).
#[inline(never)]
fn find_record(tag: u32) -> Option<usize> {
    let first = completion::first_for(tag);
    if control(record_word(first, completion::TAG)) == u64::from(tag) {
        return Some(first);
    }
    (first + 1..completion::RECORDS)
        .chain(0..first)
        .find(|&i| control(record_word(i, completion::TAG)) == u64::from(tag))
}

/// Takes completion record `i` (of a request `R`).
fn take_record<R: Request>(i: usize) -> Result<Got<R>, Errno> {
    let mut rec = completion::Record::default();
    for (w, v) in rec.as_mut_bytes().chunks_exact_mut(8).enumerate() {
        v.copy_from_slice(&control(record_word(i, w)).to_le_bytes());
    }
    let size = (sysproto::COMPLETION_PAGES * 4096) as usize;
    let at = (rec.at as usize).min(size);
    let len = (rec.len as usize).min(size - at);
    match wire::decode_record::<R::Reply>(&rec) {
        Ok(reply) => Ok(Got::Done(Completion {
            reply,
            record: i,
            at,
            len,
        })),
        Err(e) => {
            free_record(i);
            Err(e)
        }
    }
}

/// Drops the pending request `tag` from the table.
fn forget(tag: u32) {
    let mut pending = PENDING.lock();
    if let Some(k) = pending.iter().position(|w| w.tag == tag) {
        pending.swap_remove(k);
    }
}

/// Request `req` by task `tid`, which the server may answer later:
/// `None` until it does (the task waits for a wake and asks here again
/// with the same request, which takes the completion without a new
/// message). A different request by the same task gives up the old one.
pub fn deferred<R: Request>(req: R, input: &R::In, tid: u64) -> Result<Option<Got<R>>, Errno> {
    let tag = tid as u32;
    let me = Pending {
        tag,
        op: R::OP,
        words: req.to_words(),
    };
    let mut pending = PENDING.lock();
    if let Some(k) = pending.iter().position(|w| w.tag == tag) {
        if pending[k] == me {
            let Some(i) = find_record(tag) else {
                return Ok(None);
            };
            pending.swap_remove(k);
            drop(pending);
            return take_record(i).map(Some);
        }
        // This task now asks something else: the old request goes.
        drop(pending);
        drop_request(tid);
    } else {
        drop(pending);
    }
    match ask::<R, true>(req, input, tag)? {
        Some(a) => Ok(Some(Got::Now(a))),
        None => {
            // The server completes it after this reply at the earliest.
            PENDING.lock().push(me);
            Ok(None)
        }
    }
}

/// A read by the task `tid`; with `wait`, one of a pipe or the console
/// that must wait is answered later (as [`deferred`]).
pub fn read(req: sys::Read, tid: u64, wait: bool) -> Result<Option<Got<sys::Read>>, Errno> {
    if wait {
        deferred(req, &(), tid)
    } else {
        call_with(req, &()).map(|a| Some(Got::Now(a)))
    }
}

/// Gives up the request task `tid` waits for at the server (a signal
/// interrupts it): true if nothing will come, false if its completion is
/// here to take (the request completed: the signal comes after).
#[cold]
#[inline(never)]
pub fn abandon(tid: u64) -> bool {
    let tag = tid as u32;
    if !PENDING.lock().iter().any(|w| w.tag == tag) {
        return true;
    }
    if find_record(tag).is_some() {
        return false;
    }
    let cancel = sys::Cancel {
        tag: u64::from(tag),
    };
    let gone = match call(cancel) {
        Ok(r) => r.cancelled || find_record(tag).is_none(),
        Err(_) => true,
    };
    if gone {
        forget(tag);
    }
    gone
}

/// Gives up the request of task `tid`, dropping its completion if it came
/// (the task ends or asks something else).
#[cold]
#[inline(never)]
pub fn drop_request(tid: u64) {
    let tag = tid as u32;
    if !abandon(u64::from(tag)) {
        if let Some(i) = find_record(tag) {
            free_record(i);
        }
        forget(tag);
    }
}

/// Gives up every deferred request and drops their completions
/// (`execve`: the other tasks end).
#[cold]
#[inline(never)]
pub fn abandon_all() {
    let tags: Vec<u32> = PENDING.lock().iter().map(|w| w.tag).collect();
    for tag in tags {
        drop_request(u64::from(tag));
    }
}

/// Forgets the parent's deferred requests in a new child (it has its own
/// mailbox, with no record in use, and only the forking task).
pub fn forget_deferred() {
    PENDING.lock().clear();
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
