//! The bytes a pipe holds, with Linux's rules (pipe(7)): a write of at
//! most [`PIPE_BUF`] bytes goes in whole or not at all (so writers'
//! small messages never interleave); a longer write takes what room there
//! is; a pipe holds [`PIPE_CAPACITY`] bytes, or only [`PIPE_SMALL`] while
//! all pipes together hold more than [`PIPE_BUDGET`] (as Linux's
//! `pipe-user-pages-soft` shrinks new pipes), so clients cannot fill the
//! server's memory with pipe data. Reads take bytes in order.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Bytes a write may have and still be atomic.
pub const PIPE_BUF: usize = 4096;
/// Bytes a pipe holds (Linux's default capacity).
pub const PIPE_CAPACITY: usize = 64 * 1024;
/// Bytes all pipes together may hold before each holds only a page more.
pub const PIPE_BUDGET: usize = 16 << 20;
/// A pipe's capacity once the budget is spent.
pub const PIPE_SMALL: usize = 4096;

/// The capacity of each pipe while all pipes hold `buffered` bytes.
pub fn capacity(buffered: usize) -> usize {
    if buffered > PIPE_BUDGET {
        PIPE_SMALL
    } else {
        PIPE_CAPACITY
    }
}

/// How many of `len` bytes a write may put into a pipe with `room` bytes
/// free: `None` if it must wait (no room, or a write of at most
/// [`PIPE_BUF`] bytes that does not fit whole).
pub fn accepts(room: usize, len: usize) -> Option<usize> {
    if room == 0 || (len <= PIPE_BUF && room < len) {
        None
    } else {
        Some(room.min(len))
    }
}

/// One pipe's bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipeBuf {
    buf: VecDeque<u8>,
}

impl PipeBuf {
    pub const fn new() -> PipeBuf {
        PipeBuf {
            buf: VecDeque::new(),
        }
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Room for more bytes under capacity `cap`.
    pub fn room(&self, cap: usize) -> usize {
        cap.saturating_sub(self.buf.len())
    }

    /// How many of `len` bytes a write may put in now under capacity
    /// `cap`: `None` if it must wait (no room, or a write of at most
    /// [`PIPE_BUF`] bytes that does not fit whole).
    pub fn accepts(&self, len: usize, cap: usize) -> Option<usize> {
        accepts(self.room(cap), len)
    }

    /// Appends `data` (the caller checked [`PipeBuf::accepts`]).
    pub fn put(&mut self, data: &[u8]) {
        self.buf.extend(data);
    }

    /// Writes as much of `data` as [`PipeBuf::accepts`]; how many bytes.
    pub fn write(&mut self, data: &[u8], cap: usize) -> Option<usize> {
        let n = self.accepts(data.len(), cap)?;
        self.put(&data[..n]);
        Some(n)
    }

    /// Takes up to `n` bytes, oldest first.
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.buf.len());
        self.buf.drain(..n).collect()
    }

    /// A copy of up to `n` bytes, oldest first, leaving them in place
    /// (`tee`).
    pub fn peek(&self, n: usize) -> Vec<u8> {
        self.buf.iter().take(n).copied().collect()
    }

    /// Takes up to `n` bytes, oldest first, handing them to `to` where
    /// they lie (in two parts where the ring wraps; the second may be
    /// empty) instead of copying them out; how many.
    pub fn take_with(&mut self, n: usize, to: impl FnOnce(&[u8], &[u8])) -> usize {
        let n = n.min(self.buf.len());
        let (a, b) = self.buf.as_slices();
        let first = n.min(a.len());
        to(&a[..first], &b[..n - first]);
        self.buf.drain(..n);
        n
    }
}
