//! System V IPC with Linux's rules, as pure logic: the key/id table
//! ([`Table`]: `IPC_PRIVATE` and keys, `IPC_CREAT`/`IPC_EXCL`, ids with
//! sequence numbers, permission checks by the caller's ids), semaphore
//! sets ([`sem::SemSet`]: all-or-nothing `semop`, `SEM_UNDO` adjustments),
//! message queues ([`msg::Queue`]: type selection, `MSG_EXCEPT`,
//! `MSG_NOERROR`, byte limits) and shared-memory segments' accounting
//! ([`shm::Segment`]). Blocking is the caller's: an operation that would
//! wait says so and is made again when the object changed.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod msg;
pub mod sem;
pub mod shm;

use alloc::vec::Vec;

pub use linux_errno::Errno;
use linux_errno::Errno::{EACCES, EEXIST, EINVAL, ENOENT, ENOSPC, EPERM};

/// The key that always makes a new object.
pub const IPC_PRIVATE: i32 = 0;
/// `*get` flag: make the object if the key has none.
pub const IPC_CREAT: u32 = 0o1000;
/// `*get` flag with `IPC_CREAT`: fail with `EEXIST` if it exists.
pub const IPC_EXCL: u32 = 0o2000;
/// Operation flag: fail with `EAGAIN` (`ENOMSG`) instead of waiting.
pub const IPC_NOWAIT: u32 = 0o4000;

/// `*ctl` commands.
pub const IPC_RMID: u32 = 0;
pub const IPC_SET: u32 = 1;
pub const IPC_STAT: u32 = 2;
pub const IPC_INFO: u32 = 3;
/// The flag new programs add to every `*ctl` command (the 64-bit
/// structures, the only ones served).
pub const IPC_64: u32 = 0x100;

/// Ids are `seq * SEQ_MULTIPLIER + index`, as Linux makes them.
pub const SEQ_MULTIPLIER: u32 = 32768;

/// Capabilities ([`Caller::caps`]) the rules look at (Linux's bits).
pub mod cap {
    pub const IPC_OWNER: u64 = 1 << 15;
    pub const SYS_ADMIN: u64 = 1 << 21;
    pub const SYS_RESOURCE: u64 = 1 << 24;
}

/// Who asks: the effective ids, the groups and the effective
/// capabilities, and the pid (for the `*pid` fields).
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    pub uid: u32,
    pub gid: u32,
    pub groups: &'a [u32],
    pub caps: u64,
    pub pid: u32,
}

impl Caller<'_> {
    fn in_group(&self, g: u32) -> bool {
        self.gid == g || self.groups.contains(&g)
    }
}

/// What to read or change: the permission bits requested.
pub const READ: u16 = 4;
pub const WRITE: u16 = 2;

/// An object's `ipc_perm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// The permission bits (0o777) and, for a segment, `SHM_DEST`.
    pub mode: u16,
    pub seq: u16,
}

impl Perm {
    /// Whether the caller has the access `want` ([`READ`], [`WRITE`], or
    /// the `*get` flags' low nine bits): the owner's or creator's bits,
    /// else the group's, else the others'; `CAP_IPC_OWNER` grants all.
    pub fn allows(&self, c: &Caller, want: u16) -> bool {
        let requested = (want >> 6 | want >> 3 | want) & 7;
        let granted = if c.uid == self.cuid || c.uid == self.uid {
            self.mode >> 6
        } else if c.in_group(self.cgid) || c.in_group(self.gid) {
            self.mode >> 3
        } else {
            self.mode
        };
        requested & !granted & 7 == 0 || c.caps & cap::IPC_OWNER != 0
    }

    /// Whether the caller may `IPC_SET` or `IPC_RMID`: its owner or
    /// creator, or `CAP_SYS_ADMIN`.
    pub fn owned_by(&self, c: &Caller) -> bool {
        c.uid == self.uid || c.uid == self.cuid || c.caps & cap::SYS_ADMIN != 0
    }

    /// `IPC_SET` of the owner and the permission bits (checked first
    /// with [`Perm::owned_by`]).
    pub fn set(&mut self, c: &Caller, uid: u32, gid: u32, mode: u32) -> Result<(), Errno> {
        if !self.owned_by(c) {
            return Err(EPERM);
        }
        self.uid = uid;
        self.gid = gid;
        self.mode = (self.mode & !0o777) | (mode & 0o777) as u16;
        Ok(())
    }
}

/// The table of one kind of object: slots by index, each with its
/// sequence number, so that an id of a removed object never names its
/// successor in the slot.
#[derive(Clone, Debug)]
pub struct Table<T> {
    slots: Vec<Option<(Perm, T)>>,
    seqs: Vec<u16>,
    max: usize,
}

impl<T> Table<T> {
    /// A table of at most `max` objects (`SEMMNI`, `MSGMNI`, `SHMMNI`).
    pub fn new(max: usize) -> Table<T> {
        Table {
            slots: Vec::new(),
            seqs: Vec::new(),
            max,
        }
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `*get` rules: `key` [`IPC_PRIVATE`] or unknown with
    /// [`IPC_CREAT`] makes a new object (`make`); a known key is
    /// `EEXIST` with `IPC_EXCL`, then its permissions are tested against
    /// `flags`' low nine bits (`EACCES`), then it is `check`ed (`EINVAL`
    /// for a size the object has not); an unknown one without
    /// `IPC_CREAT` is `ENOENT`. The id.
    pub fn get(
        &mut self,
        c: &Caller,
        key: i32,
        flags: u32,
        check: impl FnOnce(&T) -> Result<(), Errno>,
        make: impl FnOnce() -> Result<T, Errno>,
    ) -> Result<u32, Errno> {
        if key != IPC_PRIVATE {
            if let Some(i) = self.slots.iter().position(|s| {
                s.as_ref()
                    .is_some_and(|(p, _)| p.key == key && p.mode & shm::SHM_DEST == 0)
            }) {
                if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                    return Err(EEXIST);
                }
                let (perm, obj) = self.slots[i].as_ref().expect("found");
                if !perm.allows(c, (flags & 0o777) as u16) {
                    return Err(EACCES);
                }
                check(obj)?;
                return Ok(self.id_of(i));
            }
            if flags & IPC_CREAT == 0 {
                return Err(ENOENT);
            }
        }
        let i = match self.slots.iter().position(Option::is_none) {
            Some(i) => i,
            None if self.slots.len() < self.max => {
                self.slots.push(None);
                self.seqs.push(0);
                self.slots.len() - 1
            }
            None => return Err(ENOSPC),
        };
        let obj = make()?;
        let perm = Perm {
            key,
            uid: c.uid,
            gid: c.gid,
            cuid: c.uid,
            cgid: c.gid,
            mode: (flags & 0o777) as u16,
            seq: self.seqs[i],
        };
        self.slots[i] = Some((perm, obj));
        Ok(self.id_of(i))
    }

    fn id_of(&self, i: usize) -> u32 {
        u32::from(self.seqs[i]) * SEQ_MULTIPLIER + i as u32
    }

    fn index(&self, id: u32) -> Option<usize> {
        let i = (id % SEQ_MULTIPLIER) as usize;
        let ok = self
            .seqs
            .get(i)
            .is_some_and(|&s| u32::from(s) == id / SEQ_MULTIPLIER)
            && self.slots[i].is_some();
        ok.then_some(i)
    }

    /// The object with `id` (`EINVAL` if none).
    pub fn lookup(&mut self, id: u32) -> Result<(&mut Perm, &mut T), Errno> {
        let i = self.index(id).ok_or(EINVAL)?;
        let (p, o) = self.slots[i].as_mut().expect("indexed");
        Ok((p, o))
    }

    /// The object with `id`, to look at.
    pub fn peek(&self, id: u32) -> Option<&T> {
        self.index(id)
            .and_then(|i| self.slots[i].as_ref())
            .map(|(_, o)| o)
    }

    /// Whether `id` names an object.
    pub fn exists(&self, id: u32) -> bool {
        self.index(id).is_some()
    }

    /// Removes the object with `id`; the slot's next object gets the next
    /// sequence number.
    pub fn remove(&mut self, id: u32) -> Option<(Perm, T)> {
        let i = self.index(id)?;
        // 65535 * SEQ_MULTIPLIER + index still fits an `int`.
        self.seqs[i] = self.seqs[i].wrapping_add(1);
        self.slots[i].take()
    }

    /// Every object with its id.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut Perm, &mut T)> {
        let seqs = &self.seqs;
        self.slots.iter_mut().enumerate().filter_map(move |(i, s)| {
            s.as_mut()
                .map(|(p, o)| (u32::from(seqs[i]) * SEQ_MULTIPLIER + i as u32, p, o))
        })
    }
}
