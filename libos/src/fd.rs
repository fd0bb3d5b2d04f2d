//! File descriptors: the process's table of open files. An open file
//! (a Linux "open file description") is a handle at the system server
//! plus the status flags; descriptors made by `dup` share it, and the
//! server's handle is closed when the last descriptor of this process
//! goes. A forked child inherits the table (the server copies its handle
//! references), and `exec` closes the descriptors marked close-on-exec.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::Cell;

use sysproto::sys;

use crate::linux::errno::{EBADF, EMFILE};
use crate::server;

/// Most descriptors a process may have.
pub const MAX_FDS: usize = 1024;

/// An open file description.
#[derive(Debug)]
pub struct OpenFile {
    /// The server's handle.
    pub handle: u64,
    /// Its kind (`sysproto::kind`).
    pub kind: u64,
    /// Linux status flags (`O_ACCMODE`, `O_NONBLOCK`, `O_APPEND`).
    pub flags: Cell<u32>,
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        let _ = server::call(sys::Close {
            handle: self.handle,
        });
    }
}

/// One descriptor.
#[derive(Clone, Debug)]
pub struct Fd {
    pub file: Rc<OpenFile>,
    pub cloexec: bool,
}

/// The descriptor table.
#[derive(Default)]
pub struct FdTable {
    fds: Vec<Option<Fd>>,
}

impl FdTable {
    /// The descriptor `fd`.
    pub fn get(&self, fd: i64) -> Result<&Fd, i64> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get(i))
            .and_then(|f| f.as_ref())
            .ok_or(EBADF)
    }

    /// The open file of `fd`.
    pub fn file(&self, fd: i64) -> Result<Rc<OpenFile>, i64> {
        self.get(fd).map(|f| f.file.clone())
    }

    /// Installs `f` at the lowest free descriptor at or above `min` (below
    /// `RLIMIT_NOFILE`).
    pub fn install(&mut self, f: Fd, min: usize) -> Result<i64, i64> {
        let mut i = min;
        while i < self.fds.len() && self.fds[i].is_some() {
            i += 1;
        }
        if i >= open_max() {
            return Err(EMFILE);
        }
        if i >= self.fds.len() {
            self.fds.resize(i + 1, None);
        }
        self.fds[i] = Some(f);
        Ok(i as i64)
    }

    /// Puts `f` at exactly `fd`, closing what was there.
    pub fn install_at(&mut self, fd: i64, f: Fd) -> Result<i64, i64> {
        let i = usize::try_from(fd)
            .ok()
            .filter(|&i| i < open_max())
            .ok_or(EBADF)?;
        if i >= self.fds.len() {
            self.fds.resize(i + 1, None);
        }
        self.fds[i] = Some(f);
        Ok(fd)
    }

    /// Closes `fd`.
    pub fn close(&mut self, fd: i64) -> Result<(), i64> {
        self.get(fd)?;
        self.fds[fd as usize] = None;
        Ok(())
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
    pub fn set_cloexec(&mut self, fd: i64, on: bool) -> Result<(), i64> {
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

    /// The open descriptors.
    pub fn open_fds(&self) -> impl Iterator<Item = (usize, &Fd)> {
        self.fds
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|f| (i, f)))
    }
}

/// One past the highest descriptor a new file may get: `RLIMIT_NOFILE`,
/// at most the table's size.
fn open_max() -> usize {
    let limit = crate::limits::cur(crate::limits::RLIMIT_NOFILE);
    usize::try_from(limit).map_or(MAX_FDS, |l| l.min(MAX_FDS))
}
