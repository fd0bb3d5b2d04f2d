//! Advisory file locks: `flock(2)` and `fcntl`'s record-lock commands
//! (`F_GETLK`, `F_SETLK`, `F_SETLKW` and their `F_OFD_*` forms). The
//! locks and their rules live at the system server; a lock that must wait
//! is answered later, like a blocking pipe read (a signal gives it up:
//! `EINTR`, or the call is made again after a `SA_RESTART` handler, as
//! Linux restarts these). A process's POSIX locks on a file go when it
//! closes any descriptor of that file: [`closed`] tells the server of
//! every close while the server says the process holds such locks.

use linux_errno::Errno;
use sysproto::{control, sys};

use super::{files, wait_again, Call, Ret};
use crate::fd::OpenFile;
use crate::proc::Proc;
use crate::server;

const F_GETLK: i32 = 5;
const F_SETLK: i32 = 6;
const F_SETLKW: i32 = 7;
const F_OFD_GETLK: i32 = 36;
const F_OFD_SETLK: i32 = 37;
const F_OFD_SETLKW: i32 = 38;
const LOCK_NB: u32 = 4;
/// Bytes of the x86_64 `struct flock`.
const FLOCK_BYTES: usize = core::mem::size_of::<sysproto::Flock>();

/// `flock(fd, operation)`.
pub fn flock(p: &mut Proc, c: &mut Call) -> Ret {
    let file = match p.fds.file(files::fd_arg(c.a[0])) {
        Ok(f) => f,
        Err(e) => return e.into(),
    };
    let op = c.a[1] as u32;
    let req = sys::Flock {
        handle: file.handle,
        op: u64::from(op),
    };
    let r = if op & LOCK_NB == 0 {
        server::deferred(req, &(), p.tasks[p.cur].tid).map(|g| g.map(drop))
    } else {
        server::call(req).map(|_| Some(()))
    };
    match r {
        Ok(Some(())) => Ok(0).into(),
        // Deferred: the server answers once the lock is granted.
        Ok(None) => wait_again(),
        Err(e) => e.into(),
    }
}

/// `fcntl`: the lock commands here, the others in [`files::fcntl`].
pub fn fcntl(p: &mut Proc, c: &mut Call) -> Ret {
    let cmd = c.a[1] as u32 as i32;
    if !matches!(
        cmd,
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW
    ) {
        return files::fcntl(p, c).into();
    }
    match record_lock(p, files::fd_arg(c.a[0]), cmd, c.a[2]) {
        Ok(Some(r)) => Ok(r).into(),
        Ok(None) => wait_again(),
        Err(e) => e.into(),
    }
}

/// A record-lock command with the `struct flock` at `arg` (read first,
/// after the descriptor check; written back for the `GETLK` commands):
/// `None` while a `SETLKW` waits at the server.
fn record_lock(p: &mut Proc, fd: i64, cmd: i32, arg: u64) -> Result<Option<usize>, Errno> {
    let file = p.fds.file(fd)?;
    let mut user = p.mm.read(arg, FLOCK_BYTES)?;
    let req = sys::Lock {
        handle: file.handle,
        cmd: cmd as u64,
    };
    // The padding goes as zeros; the user's stays as it was.
    let mut sent = user.clone();
    sent[4..8].fill(0);
    sent[28..32].fill(0);
    if cmd == F_SETLKW || cmd == F_OFD_SETLKW {
        return server::deferred(req, &sent[..], p.tasks[p.cur].tid).map(|g| g.map(|_| 0));
    }
    let fl = server::call_with(req, &sent[..])?.value();
    if cmd == F_GETLK || cmd == F_OFD_GETLK {
        user[0..2].copy_from_slice(&fl.l_type.to_le_bytes());
        user[2..4].copy_from_slice(&fl.l_whence.to_le_bytes());
        user[8..16].copy_from_slice(&fl.l_start.to_le_bytes());
        user[16..24].copy_from_slice(&fl.l_len.to_le_bytes());
        user[24..28].copy_from_slice(&fl.l_pid.to_le_bytes());
        p.mm.write(arg, &user)?;
    }
    Ok(Some(0))
}

/// A descriptor of `file` is being closed: while the process holds POSIX
/// locks (the server keeps [`control::POSIX_LOCKS`]), the server drops
/// those on the file. Processes without locks send nothing.
pub fn closed(file: &OpenFile) {
    if server::control(control::POSIX_LOCKS) != 0 {
        let _ = server::call(sys::LockClose {
            handle: file.handle,
        });
    }
}
