//! Shared-memory segments' accounting: the size rules of `shmget`, the
//! attachments, and removal once marked (`IPC_RMID`) and detached.

use linux_errno::Errno::{self, EINVAL};

/// Most bytes of a segment (Linux's default is nearly unlimited; this
/// keeps a segment within what a process may map).
pub const SHMMAX: u64 = 1 << 32;
/// Fewest bytes of a segment.
pub const SHMMIN: u64 = 1;
/// Most segments.
pub const SHMMNI: usize = 4096;
/// `ipc_perm.mode` bit: removed once the last attachment goes.
pub const SHM_DEST: u16 = 0o1000;
/// `shmat` flags.
pub const SHM_RDONLY: u32 = 0o10000;
pub const SHM_RND: u32 = 0o20000;
pub const SHM_REMAP: u32 = 0o40000;
pub const SHM_EXEC: u32 = 0o100000;
/// `shmctl` commands beyond the common ones.
pub const SHM_LOCK: u32 = 11;
pub const SHM_UNLOCK: u32 = 12;

/// A segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub size: u64,
    pub cpid: u32,
    /// The last to attach or detach.
    pub lpid: u32,
    pub nattch: u64,
    pub atime: u64,
    pub dtime: u64,
    pub ctime: u64,
}

impl Segment {
    /// `shmget`'s new segment of `size` bytes by `pid`.
    pub fn new(size: u64, pid: u32, now: u64) -> Result<Segment, Errno> {
        if !(SHMMIN..=SHMMAX).contains(&size) {
            return Err(EINVAL);
        }
        Ok(Segment {
            size,
            cpid: pid,
            lpid: 0,
            nattch: 0,
            atime: 0,
            dtime: 0,
            ctime: now,
        })
    }

    /// `shmget` of an existing segment asking for `size` bytes.
    pub fn check_get(&self, size: u64) -> Result<(), Errno> {
        if size > self.size {
            Err(EINVAL)
        } else {
            Ok(())
        }
    }

    /// An attachment by `pid` (`shmat`, or a fork's copy of one).
    pub fn attach(&mut self, pid: u32, now: u64) {
        self.nattch += 1;
        self.lpid = pid;
        self.atime = now;
    }

    /// A detachment by `pid`; whether none is left.
    pub fn detach(&mut self, pid: u32, now: u64) -> bool {
        self.nattch = self.nattch.saturating_sub(1);
        self.lpid = pid;
        self.dtime = now;
        self.nattch == 0
    }
}
