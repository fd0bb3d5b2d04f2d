//! A process's file descriptors: a table from number to an open file `F`
//! (what the library OS shares between descriptors made by `dup`) and its
//! close-on-exec flag. New descriptors take the lowest free number at or
//! above a minimum and below the process's limit (`RLIMIT_NOFILE`, given
//! by the caller), as Linux allocates them.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

pub use linux_errno::Errno;

/// Most descriptors a process may have (Linux's default hard limit of
/// `RLIMIT_NOFILE`).
pub const MAX_FDS: usize = 1024;

/// One descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fd<F> {
    pub file: F,
    pub cloexec: bool,
}

/// The descriptor table.
#[derive(Clone, Debug)]
pub struct FdTable<F> {
    fds: Vec<Option<Fd<F>>>,
}

impl<F> Default for FdTable<F> {
    fn default() -> Self {
        FdTable { fds: Vec::new() }
    }
}

/// One past the highest number a descriptor may get under `limit`
/// (`RLIMIT_NOFILE`): at most [`MAX_FDS`].
pub fn open_max(limit: u64) -> usize {
    usize::try_from(limit).map_or(MAX_FDS, |l| l.min(MAX_FDS))
}

impl<F> FdTable<F> {
    pub const fn new() -> Self {
        FdTable { fds: Vec::new() }
    }

    /// The descriptor `fd` (`EBADF` if not open).
    pub fn get(&self, fd: i64) -> Result<&Fd<F>, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get(i))
            .and_then(|f| f.as_ref())
            .ok_or(Errno::EBADF)
    }

    /// Installs `f` at the lowest free descriptor at or above `min` and
    /// below `max` (`EMFILE` if none).
    pub fn install(&mut self, f: Fd<F>, min: usize, max: usize) -> Result<i64, Errno> {
        let mut i = min;
        while i < self.fds.len() && self.fds[i].is_some() {
            i += 1;
        }
        if i >= max {
            return Err(Errno::EMFILE);
        }
        if i >= self.fds.len() {
            self.fds.resize_with(i + 1, || None);
        }
        self.fds[i] = Some(f);
        Ok(i as i64)
    }

    /// Puts `f` at exactly `fd` (below `max`, else `EBADF`), closing what
    /// was there.
    pub fn install_at(&mut self, fd: i64, f: Fd<F>, max: usize) -> Result<i64, Errno> {
        let i = usize::try_from(fd)
            .ok()
            .filter(|&i| i < max)
            .ok_or(Errno::EBADF)?;
        if i >= self.fds.len() {
            self.fds.resize_with(i + 1, || None);
        }
        self.fds[i] = Some(f);
        Ok(fd)
    }

    /// Closes `fd`; what it held.
    pub fn close(&mut self, fd: i64) -> Result<Fd<F>, Errno> {
        self.get(fd)?;
        Ok(self.fds[fd as usize].take().expect("checked open"))
    }

    /// The size Linux's descriptor table would have now: 64 entries, then
    /// the next power of two (at least 128) that holds the highest
    /// descriptor ever opened; what `select` cuts its count to.
    pub fn max_fds(&self) -> usize {
        match self.fds.len() {
            0..=64 => 64,
            n => n.next_power_of_two().clamp(128, MAX_FDS),
        }
    }

    /// Sets or clears close-on-exec.
    pub fn set_cloexec(&mut self, fd: i64, on: bool) -> Result<(), Errno> {
        self.get(fd)?;
        if let Some(Some(f)) = self.fds.get_mut(fd as usize) {
            f.cloexec = on;
        }
        Ok(())
    }

    /// Closes every close-on-exec descriptor (for exec).
    pub fn close_on_exec(&mut self) {
        for slot in self.fds.iter_mut() {
            if slot.as_ref().is_some_and(|f| f.cloexec) {
                *slot = None;
            }
        }
    }

    /// The open descriptors, in increasing order.
    pub fn open_fds(&self) -> impl Iterator<Item = (usize, &Fd<F>)> {
        self.fds
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|f| (i, f)))
    }
}

impl<F: Clone> FdTable<F> {
    /// `dup` / `F_DUPFD`: a new descriptor for `fd`'s file at the lowest
    /// free number at or above `min` (close-on-exec if `cloexec`).
    pub fn dup(&mut self, fd: i64, min: usize, cloexec: bool, max: usize) -> Result<i64, Errno> {
        let file = self.get(fd)?.file.clone();
        self.install(Fd { file, cloexec }, min, max)
    }

    /// `dup3`: `to` names `fd`'s file (closing what it held). `EINVAL` if
    /// they are the same descriptor, as `dup3` says; `dup2` treats that
    /// case itself (`fd` if open).
    pub fn dup3(&mut self, fd: i64, to: i64, cloexec: bool, max: usize) -> Result<i64, Errno> {
        let file = self.get(fd)?.file.clone();
        if fd == to {
            return Err(Errno::EINVAL);
        }
        self.install_at(to, Fd { file, cloexec }, max)
    }
}
