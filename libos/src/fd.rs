//! File descriptors: the process's table of open files. An open file
//! (a Linux "open file description") is a handle at the system server
//! plus the status flags; descriptors made by `dup` share it, and the
//! server's handle is closed when the last descriptor of this process
//! goes. A forked child inherits the table (the server copies its handle
//! references), and `exec` closes the descriptors marked close-on-exec.

use alloc::rc::Rc;
use core::cell::Cell;

use sysproto::sys;

use crate::server;
use linux_errno::Errno;

/// Most descriptors a process may have.
pub const MAX_FDS: usize = fdtable::MAX_FDS;

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
pub type Fd = fdtable::Fd<Rc<OpenFile>>;

/// The descriptor table (the numbering is `fdtable`'s; this adds the
/// process's `RLIMIT_NOFILE`).
#[derive(Default)]
pub struct FdTable {
    fds: fdtable::FdTable<Rc<OpenFile>>,
}

impl FdTable {
    /// The descriptor `fd`.
    pub fn get(&self, fd: i64) -> Result<&Fd, Errno> {
        self.fds.get(fd)
    }

    /// The open file of `fd`.
    pub fn file(&self, fd: i64) -> Result<Rc<OpenFile>, Errno> {
        self.get(fd).map(|f| f.file.clone())
    }

    /// Installs `f` at the lowest free descriptor at or above `min` (below
    /// `RLIMIT_NOFILE`).
    pub fn install(&mut self, f: Fd, min: usize) -> Result<i64, Errno> {
        self.fds.install(f, min, open_max())
    }

    /// Puts `f` at exactly `fd`, closing what was there.
    pub fn install_at(&mut self, fd: i64, f: Fd) -> Result<i64, Errno> {
        if let Ok(old) = self.fds.get(fd) {
            crate::linux::locks::closed(&old.file);
        }
        self.fds.install_at(fd, f, open_max())
    }

    /// Closes `fd`.
    pub fn close(&mut self, fd: i64) -> Result<(), Errno> {
        let f = self.fds.close(fd)?;
        crate::linux::locks::closed(&f.file);
        Ok(())
    }

    /// The size Linux's descriptor table would have now (what `select`
    /// cuts its count to).
    pub fn max_fds(&self) -> usize {
        self.fds.max_fds()
    }

    /// Sets or clears close-on-exec.
    pub fn set_cloexec(&mut self, fd: i64, on: bool) -> Result<(), Errno> {
        self.fds.set_cloexec(fd, on)
    }

    /// Closes every close-on-exec descriptor (for exec).
    pub fn close_on_exec(&mut self) {
        for (_, f) in self.fds.open_fds().filter(|(_, f)| f.cloexec) {
            crate::linux::locks::closed(&f.file);
        }
        self.fds.close_on_exec();
    }

    /// The open descriptors.
    pub fn open_fds(&self) -> impl Iterator<Item = (usize, &Fd)> {
        self.fds.open_fds()
    }
}

/// One past the highest descriptor a new file may get: `RLIMIT_NOFILE`,
/// at most the table's size.
fn open_max() -> usize {
    fdtable::open_max(crate::limits::cur(crate::limits::RLIMIT_NOFILE))
}
