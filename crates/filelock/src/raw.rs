//! The raw system-call side: `fcntl(2)`'s lock commands with `struct
//! flock`, and `flock(2)`'s operation word, checked as Linux checks them.

use crate::{
    Errno, LockManager, LockType, OfdId, Outcome, Owner, Pid, Range, OFF32_MAX, OFFSET_MAX,
};

/// `l_type`: a read lock.
pub const F_RDLCK: i16 = 0;
/// `l_type`: a write lock.
pub const F_WRLCK: i16 = 1;
/// `l_type`: unlock / no conflict.
pub const F_UNLCK: i16 = 2;

/// `fcntl` lock commands (on i386 these take the 32-bit `struct flock`;
/// its `F_GETLK64` family, 12 to 14, takes the 64-bit one).
pub const F_GETLK: i32 = 5;
/// See [`F_GETLK`].
pub const F_SETLK: i32 = 6;
/// See [`F_GETLK`].
pub const F_SETLKW: i32 = 7;
/// See [`F_GETLK`].
pub const F_OFD_GETLK: i32 = 36;
/// See [`F_GETLK`].
pub const F_OFD_SETLK: i32 = 37;
/// See [`F_GETLK`].
pub const F_OFD_SETLKW: i32 = 38;

/// `flock(2)` operations.
pub const LOCK_SH: i32 = 1;
/// See [`LOCK_SH`].
pub const LOCK_EX: i32 = 2;
/// See [`LOCK_SH`].
pub const LOCK_NB: i32 = 4;
/// See [`LOCK_SH`].
pub const LOCK_UN: i32 = 8;
/// The obsolete mandatory-lock flag: Linux ignores such a call (returns 0).
pub const LOCK_MAND: i32 = 32;

/// A `fcntl` lock command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// `F_GETLK`.
    GetLk,
    /// `F_SETLK`.
    SetLk,
    /// `F_SETLKW`.
    SetLkW,
    /// `F_OFD_GETLK`.
    OfdGetLk,
    /// `F_OFD_SETLK`.
    OfdSetLk,
    /// `F_OFD_SETLKW`.
    OfdSetLkW,
}

impl Cmd {
    /// The command for a raw x86_64 `fcntl` command number, if it is a
    /// lock command.
    pub const fn from_raw(cmd: i32) -> Option<Cmd> {
        Some(match cmd {
            F_GETLK => Cmd::GetLk,
            F_SETLK => Cmd::SetLk,
            F_SETLKW => Cmd::SetLkW,
            F_OFD_GETLK => Cmd::OfdGetLk,
            F_OFD_SETLK => Cmd::OfdSetLk,
            F_OFD_SETLKW => Cmd::OfdSetLkW,
            _ => return None,
        })
    }

    /// The same for i386, where `F_GETLK64`, `F_SETLK64` and `F_SETLKW64`
    /// (12 to 14) are the 64-bit-struct forms of the first three.
    pub const fn from_raw_i386(cmd: i32) -> Option<Cmd> {
        match cmd {
            12 => Some(Cmd::GetLk),
            13 => Some(Cmd::SetLk),
            14 => Some(Cmd::SetLkW),
            _ => Cmd::from_raw(cmd),
        }
    }

    /// An `F_OFD_*` command.
    pub const fn is_ofd(self) -> bool {
        matches!(self, Cmd::OfdGetLk | Cmd::OfdSetLk | Cmd::OfdSetLkW)
    }
}

/// `struct flock` (the 64-bit layout's fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flock {
    /// `F_RDLCK`, `F_WRLCK` or `F_UNLCK`.
    pub l_type: i16,
    /// `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
    pub l_whence: i16,
    /// Offset from `l_whence`.
    pub l_start: i64,
    /// Length; 0 to the end of the file, negative for bytes before.
    pub l_len: i64,
    /// Reported holder (`F_GETLK`); must be 0 for the OFD commands.
    pub l_pid: Pid,
}

impl Flock {
    /// For the old 32-bit `struct flock` (i386 `fcntl`, not `fcntl64`):
    /// `EOVERFLOW` if the lock `F_GETLK` reported does not fit, as Linux.
    pub fn check_off32(&self) -> Result<(), Errno> {
        let start = self.l_start as i128;
        let end = if self.l_len == 0 {
            OFFSET_MAX as i128
        } else {
            start + self.l_len as i128 - 1
        };
        if start > OFF32_MAX as i128 || (end != OFFSET_MAX as i128 && end > OFF32_MAX as i128) {
            return Err(Errno::EOVERFLOW);
        }
        Ok(())
    }
}

/// Who makes a `fcntl` lock call, through which descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The calling process (owner of its POSIX locks).
    pub pid: Pid,
    /// The descriptor's open file description (owner of OFD locks).
    pub ofd: OfdId,
    /// The description's file position (`SEEK_CUR`).
    pub pos: u64,
    /// The file's size (`SEEK_END`).
    pub size: u64,
    /// Whether the description was opened for reading (`F_RDLCK` needs it).
    pub readable: bool,
    /// Whether it was opened for writing (`F_WRLCK` needs it).
    pub writable: bool,
}

/// A `flock(2)` operation word, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlockOp {
    /// `Read` for `LOCK_SH`, `Write` for `LOCK_EX`, `Unlock` for `LOCK_UN`.
    pub ty: LockType,
    /// Without `LOCK_NB`.
    pub wait: bool,
}

impl FlockOp {
    /// Decodes `operation`: `Ok(None)` for a `LOCK_MAND` call (Linux
    /// ignores it and returns 0), `EINVAL` unless the rest (without
    /// `LOCK_NB`) is exactly one of `LOCK_SH`, `LOCK_EX`, `LOCK_UN`.
    pub const fn from_raw(operation: i32) -> Result<Option<FlockOp>, Errno> {
        if operation & LOCK_MAND != 0 {
            return Ok(None);
        }
        let ty = match operation & !LOCK_NB {
            LOCK_SH => LockType::Read,
            LOCK_EX => LockType::Write,
            LOCK_UN => LockType::Unlock,
            _ => return Err(Errno::EINVAL),
        };
        Ok(Some(FlockOp {
            ty,
            wait: operation & LOCK_NB == 0,
        }))
    }
}

const fn lock_type(l_type: i16) -> Result<LockType, Errno> {
    match l_type {
        F_RDLCK => Ok(LockType::Read),
        F_WRLCK => Ok(LockType::Write),
        F_UNLCK => Ok(LockType::Unlock),
        _ => Err(Errno::EINVAL),
    }
}

const fn raw_type(ty: LockType) -> i16 {
    match ty {
        LockType::Read => F_RDLCK,
        LockType::Write => F_WRLCK,
        LockType::Unlock => F_UNLCK,
    }
}

impl<F: Ord + Copy> LockManager<F> {
    /// `flock(fd, operation)` by description `ofd` of `file`.
    pub fn flock_raw(&mut self, file: F, ofd: OfdId, operation: i32) -> Result<Outcome, Errno> {
        match FlockOp::from_raw(operation)? {
            None => Ok(Outcome::Done),
            Some(op) => self.flock(file, ofd, op.ty, op.wait),
        }
    }

    /// `fcntl(fd, cmd, fl)` for a lock command, with Linux's checks in
    /// Linux's order.
    ///
    /// Getting: `l_type` must be `F_RDLCK` or `F_WRLCK` (`EINVAL`), then
    /// the range is computed, then (OFD) `l_pid` must be 0 (`EINVAL`). The
    /// first conflicting lock is written into `fl` (`l_whence` `SEEK_SET`,
    /// its start and length, its pid or -1 for an OFD lock); with none,
    /// only `l_type` becomes `F_UNLCK`.
    ///
    /// Setting: the range (`EINVAL`, `EOVERFLOW`), then `l_type`
    /// (`EINVAL`), then the open mode (`EBADF`: a read lock needs a
    /// readable, a write lock a writable description), then (OFD) `l_pid`
    /// must be 0 (`EINVAL`); then [`setlk`](LockManager::setlk).
    pub fn fcntl(
        &mut self,
        file: F,
        cmd: Cmd,
        fl: &mut Flock,
        who: &Caller,
    ) -> Result<Outcome, Errno> {
        let owner = if cmd.is_ofd() {
            Owner::Description(who.ofd)
        } else {
            Owner::Process(who.pid)
        };
        match cmd {
            Cmd::GetLk | Cmd::OfdGetLk => {
                let ty = match lock_type(fl.l_type) {
                    Ok(ty @ (LockType::Read | LockType::Write)) => ty,
                    _ => return Err(Errno::EINVAL),
                };
                let range =
                    Range::from_flock(fl.l_whence, fl.l_start, fl.l_len, who.pos, who.size)?;
                if cmd.is_ofd() && fl.l_pid != 0 {
                    return Err(Errno::EINVAL);
                }
                match self.getlk(file, owner, ty, range) {
                    Some(c) => {
                        *fl = Flock {
                            l_type: raw_type(c.ty),
                            l_whence: crate::SEEK_SET,
                            l_start: c.range.start() as i64,
                            l_len: c.range.l_len(),
                            l_pid: c.owner.l_pid(),
                        }
                    }
                    None => fl.l_type = F_UNLCK,
                }
                Ok(Outcome::Done)
            }
            Cmd::SetLk | Cmd::SetLkW | Cmd::OfdSetLk | Cmd::OfdSetLkW => {
                let range =
                    Range::from_flock(fl.l_whence, fl.l_start, fl.l_len, who.pos, who.size)?;
                let ty = lock_type(fl.l_type)?;
                if (ty == LockType::Read && !who.readable)
                    || (ty == LockType::Write && !who.writable)
                {
                    return Err(Errno::EBADF);
                }
                if cmd.is_ofd() && fl.l_pid != 0 {
                    return Err(Errno::EINVAL);
                }
                self.setlk(
                    file,
                    owner,
                    ty,
                    range,
                    matches!(cmd, Cmd::SetLkW | Cmd::OfdSetLkW),
                )
            }
        }
    }
}
