//! The lock manager a file service keeps for all its files, with Linux's
//! rules for the three kinds of advisory lock:
//!
//! * `flock(2)` locks: one per open file description ([`OfdId`]) and file,
//!   shared or exclusive; a conversion drops the old lock before taking the
//!   new one (so a failed upgrade leaves no lock, as on Linux); independent
//!   of record locks.
//! * POSIX record locks (`F_SETLK`/`F_SETLKW`/`F_GETLK`): owned by a process
//!   ([`Owner::Process`]), over byte ranges; an owner's own locks merge,
//!   split and replace one another; all of a process's locks on a file go
//!   when it closes any descriptor of the file ([`LockManager::release_owner`])
//!   and when it exits ([`LockManager::release_process`]).
//! * Open-file-description locks (`F_OFD_*`): the same ranges, owned by the
//!   description ([`Owner::Description`]), conflicting with other owners'
//!   POSIX locks, dropped when the description is closed
//!   ([`LockManager::release_description`]).
//!
//! Blocking: a request that must wait (`F_SETLKW`, `F_OFD_SETLKW`, `flock`
//! without `LOCK_NB`) gives [`Outcome::Wait`] with a [`WaiterId`] and is
//! recorded. Whenever locks go away or shrink, the waiters that could now
//! be granted are queued; the caller collects them with
//! [`LockManager::take_woken`] after each call and retries each with
//! [`LockManager::retry`] (which grants it, leaves it waiting, or refuses
//! it with `EDEADLK`), or gives up with [`LockManager::cancel_wait`] (a
//! signal). A POSIX request that would close a cycle of processes waiting
//! for one another's locks is refused with `EDEADLK`; OFD requests are not
//! checked, as on Linux.
//!
//! [`fcntl`](LockManager::fcntl) and [`flock_raw`](LockManager::flock_raw)
//! take the raw system-call arguments and apply Linux's argument checks.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

pub use linux_errno::Errno;

mod range;
mod raw;

pub use range::{Range, OFF32_MAX, OFFSET_MAX, SEEK_CUR, SEEK_END, SEEK_SET};
pub use raw::{
    Caller, Cmd, Flock, FlockOp, F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_RDLCK, F_SETLK,
    F_SETLKW, F_UNLCK, F_WRLCK, LOCK_EX, LOCK_MAND, LOCK_NB, LOCK_SH, LOCK_UN,
};

/// A process id (the `l_pid` `F_GETLK` reports).
pub type Pid = i32;
/// An open file description, as the caller numbers them.
pub type OfdId = u64;
/// A recorded waiter.
pub type WaiterId = u64;

/// A lock's (or a request's) type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockType {
    /// Shared (`F_RDLCK`, `LOCK_SH`).
    Read,
    /// Exclusive (`F_WRLCK`, `LOCK_EX`).
    Write,
    /// No lock (`F_UNLCK`, `LOCK_UN`); never the type of a held lock.
    Unlock,
}

impl LockType {
    /// Whether a held lock of type `self` and one of type `other` (of
    /// different owners) conflict: unless both are shared.
    pub const fn conflicts(self, other: LockType) -> bool {
        matches!(
            (self, other),
            (LockType::Write, LockType::Read | LockType::Write) | (LockType::Read, LockType::Write)
        )
    }
}

/// The owner of a record lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// A process: a POSIX lock.
    Process(Pid),
    /// An open file description: an OFD lock.
    Description(OfdId),
}

impl Owner {
    /// The `l_pid` `F_GETLK` reports for a lock of this owner: the pid,
    /// or -1 for an OFD lock.
    pub const fn l_pid(&self) -> Pid {
        match self {
            Owner::Process(pid) => *pid,
            Owner::Description(_) => -1,
        }
    }
}

/// The three kinds of lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `flock(2)`.
    Flock,
    /// POSIX record lock (`F_SETLK`).
    Posix,
    /// Open-file-description record lock (`F_OFD_SETLK`).
    Ofd,
}

/// The lock `F_GETLK` reports: the first one that conflicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// `Read` or `Write`.
    pub ty: LockType,
    /// The whole range of that lock.
    pub range: Range,
    /// Its owner ([`Owner::l_pid`] gives the `l_pid`).
    pub owner: Owner,
}

/// What a lock request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Granted (or unlocked).
    Done,
    /// It conflicts and the caller asked to wait: it is recorded under this
    /// id until [`LockManager::retry`] grants or refuses it or
    /// [`LockManager::cancel_wait`] drops it.
    Wait(WaiterId),
}

/// Whom a held lock belongs to, for a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Holder {
    /// A `flock(2)` lock of this description.
    Flock(OfdId),
    /// A record lock.
    Record(Owner),
}

impl Holder {
    /// The lock's kind.
    pub const fn kind(&self) -> Kind {
        match self {
            Holder::Flock(_) => Kind::Flock,
            Holder::Record(Owner::Process(_)) => Kind::Posix,
            Holder::Record(Owner::Description(_)) => Kind::Ofd,
        }
    }
}

/// One held lock or one waiting request, for a `/proc/locks`-style listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockInfo<F> {
    /// The file.
    pub file: F,
    /// Whose it is (and so its kind).
    pub holder: Holder,
    /// `Read` or `Write`.
    pub ty: LockType,
    /// The bytes (the whole file for `flock` locks).
    pub range: Range,
    /// `Some(id)` for a waiting request (`/proc/locks` prints it after
    /// `->`), `None` for a held lock.
    pub waiter: Option<WaiterId>,
}

/// One held record lock of an owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    ty: LockType,
    range: Range,
}

/// One owner's record locks on a file: sorted, disjoint, and no two
/// adjacent ones of the same type (they are merged).
#[derive(Clone, Debug)]
struct Group {
    owner: Owner,
    pieces: Vec<Piece>,
}

/// A waiting request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Req {
    Flock {
        ofd: OfdId,
        ty: LockType,
    },
    Record {
        owner: Owner,
        ty: LockType,
        range: Range,
    },
}

#[derive(Clone, Debug)]
struct Waiter<F> {
    file: F,
    req: Req,
}

/// The locks of one file.
#[derive(Clone, Debug, Default)]
struct FileLocks {
    /// `flock` locks, in the order they were taken.
    flocks: Vec<(OfdId, LockType)>,
    /// Record-lock owners in Linux's list order: an owner that had no lock
    /// on the file goes to the end; `F_GETLK` reports the first conflict
    /// in this order.
    groups: Vec<Group>,
    /// The waiters on this file, oldest first.
    waiters: Vec<WaiterId>,
}

impl FileLocks {
    fn is_empty(&self) -> bool {
        self.flocks.is_empty() && self.groups.is_empty() && self.waiters.is_empty()
    }

    fn flock_conflict(&self, ofd: OfdId, ty: LockType) -> bool {
        self.flocks
            .iter()
            .any(|&(o, t)| o != ofd && t.conflicts(ty))
    }

    /// The first lock of another owner that conflicts with `ty` on `range`.
    fn record_conflict(&self, owner: Owner, ty: LockType, range: Range) -> Option<Conflict> {
        self.record_conflicts(owner, ty, range).next()
    }

    fn record_conflicts(
        &self,
        owner: Owner,
        ty: LockType,
        range: Range,
    ) -> impl Iterator<Item = Conflict> + '_ {
        self.groups
            .iter()
            .filter(move |g| g.owner != owner)
            .flat_map(move |g| {
                g.pieces
                    .iter()
                    .filter(move |p| p.ty.conflicts(ty) && p.range.overlaps(&range))
                    .map(move |p| Conflict {
                        ty: p.ty,
                        range: p.range,
                        owner: g.owner,
                    })
            })
    }

    /// Sets `owner`'s locks on `range` to `ty` (`Unlock`: none), merging
    /// and splitting its other locks. Conflicts were checked already.
    fn apply(&mut self, owner: Owner, ty: LockType, range: Range) {
        let at = self.groups.iter().position(|g| g.owner == owner);
        let old = match at {
            Some(i) => core::mem::take(&mut self.groups[i].pieces),
            None if ty == LockType::Unlock => return,
            None => Vec::new(),
        };
        let mut cut = Vec::with_capacity(old.len() + 2);
        for p in old {
            if !p.range.overlaps(&range) {
                cut.push(p);
                continue;
            }
            if p.range.start() < range.start() {
                cut.push(Piece {
                    ty: p.ty,
                    range: Range::new(p.range.start(), range.start() - 1).expect("left part"),
                });
            }
            if p.range.end() > range.end() {
                cut.push(Piece {
                    ty: p.ty,
                    range: Range::new(range.end() + 1, p.range.end()).expect("right part"),
                });
            }
        }
        if ty != LockType::Unlock {
            cut.push(Piece { ty, range });
        }
        cut.sort_by_key(|p| p.range.start());
        let mut pieces: Vec<Piece> = Vec::with_capacity(cut.len());
        for p in cut {
            match pieces.last_mut() {
                Some(last) if last.ty == p.ty && last.range.end() + 1 == p.range.start() => {
                    last.range = Range::new(last.range.start(), p.range.end()).expect("merged");
                }
                _ => pieces.push(p),
            }
        }
        match (at, pieces.is_empty()) {
            (Some(i), true) => {
                self.groups.remove(i);
            }
            (Some(i), false) => self.groups[i].pieces = pieces,
            (None, false) => self.groups.push(Group { owner, pieces }),
            (None, true) => {}
        }
    }

    fn remove_owner(&mut self, owner: Owner) -> bool {
        let before = self.groups.len();
        self.groups.retain(|g| g.owner != owner);
        self.groups.len() != before
    }
}

/// The lock manager: every file's locks and waiters, keyed by a file id
/// `F` of the caller's choosing (for example, mount and inode numbers).
#[derive(Clone, Debug)]
pub struct LockManager<F = u64> {
    files: BTreeMap<F, FileLocks>,
    waiters: BTreeMap<WaiterId, Waiter<F>>,
    next_waiter: WaiterId,
    woken: Vec<WaiterId>,
}

impl<F: Ord + Copy> Default for LockManager<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Ord + Copy> LockManager<F> {
    /// No locks, no waiters.
    pub const fn new() -> Self {
        LockManager {
            files: BTreeMap::new(),
            waiters: BTreeMap::new(),
            next_waiter: 1,
            woken: Vec::new(),
        }
    }

    /// `flock(2)` by description `ofd` on `file`: `ty` is `Read`
    /// (`LOCK_SH`), `Write` (`LOCK_EX`) or `Unlock` (`LOCK_UN`); `wait` is
    /// the absence of `LOCK_NB`. Taking the type already held does
    /// nothing; a conversion first drops the old lock (waking waiters),
    /// then takes the new one like a fresh request. A conflict gives
    /// `EWOULDBLOCK` without `wait`, else a waiter.
    pub fn flock(
        &mut self,
        file: F,
        ofd: OfdId,
        ty: LockType,
        wait: bool,
    ) -> Result<Outcome, Errno> {
        let fl = self.files.entry(file).or_default();
        if let Some(i) = fl.flocks.iter().position(|&(o, _)| o == ofd) {
            if fl.flocks[i].1 == ty {
                return Ok(Outcome::Done);
            }
            fl.flocks.remove(i);
            self.changed(file);
        }
        if ty == LockType::Unlock {
            self.tidy(file);
            return Ok(Outcome::Done);
        }
        let fl = self.files.entry(file).or_default();
        if fl.flock_conflict(ofd, ty) {
            if !wait {
                self.tidy(file);
                return Err(Errno::EWOULDBLOCK);
            }
            return Ok(Outcome::Wait(self.add_waiter(file, Req::Flock { ofd, ty })));
        }
        fl.flocks.push((ofd, ty));
        Ok(Outcome::Done)
    }

    /// A record-lock request (`F_SETLK`, `F_SETLKW` for a
    /// [`Owner::Process`], `F_OFD_SETLK`, `F_OFD_SETLKW` for an
    /// [`Owner::Description`]): sets `owner`'s locks on `range` to `ty`.
    /// A conflict with another owner's lock gives `EAGAIN` without `wait`;
    /// with `wait`, `EDEADLK` if a POSIX owner would wait on a cycle of
    /// waiting processes leading back to it, else a waiter. Unlocking
    /// always succeeds.
    pub fn setlk(
        &mut self,
        file: F,
        owner: Owner,
        ty: LockType,
        range: Range,
        wait: bool,
    ) -> Result<Outcome, Errno> {
        if ty == LockType::Unlock {
            if let Some(fl) = self.files.get_mut(&file) {
                fl.apply(owner, ty, range);
                self.changed(file);
                self.tidy(file);
            }
            return Ok(Outcome::Done);
        }
        let fl = self.files.entry(file).or_default();
        if fl.record_conflict(owner, ty, range).is_some() {
            if !wait {
                self.tidy(file);
                return Err(Errno::EAGAIN);
            }
            if self.would_deadlock(file, owner, ty, range) {
                self.tidy(file);
                return Err(Errno::EDEADLK);
            }
            return Ok(Outcome::Wait(
                self.add_waiter(file, Req::Record { owner, ty, range }),
            ));
        }
        fl.apply(owner, ty, range);
        // A downgrade (write to read) can let waiting readers in.
        self.changed(file);
        Ok(Outcome::Done)
    }

    /// `F_GETLK`/`F_OFD_GETLK`: the first lock of another owner that
    /// conflicts with a `ty` lock on `range` (`ty` must not be `Unlock`),
    /// or `None` (`F_UNLCK`). `flock` locks are not seen.
    pub fn getlk(&self, file: F, owner: Owner, ty: LockType, range: Range) -> Option<Conflict> {
        self.files.get(&file)?.record_conflict(owner, ty, range)
    }

    /// Retries a waiter (after [`take_woken`](Self::take_woken) named it,
    /// or at any time): `Done` (granted; the waiter is gone), the same
    /// `Wait` (still blocked), or `EDEADLK` for a POSIX request that now
    /// closes a cycle (the waiter is gone). `ESRCH` for an unknown waiter.
    pub fn retry(&mut self, waiter: WaiterId) -> Result<Outcome, Errno> {
        let w = self.waiters.get(&waiter).ok_or(Errno::ESRCH)?.clone();
        let fl = self
            .files
            .get(&w.file)
            .expect("a waiter's file has an entry");
        match w.req {
            Req::Flock { ofd, ty } => {
                if fl.flock_conflict(ofd, ty) {
                    return Ok(Outcome::Wait(waiter));
                }
                self.remove_waiter(waiter);
                let fl = self.files.get_mut(&w.file).expect("file");
                // The description may have taken a lock meanwhile (another
                // thread): replace it, as a fresh request would.
                fl.flocks.retain(|&(o, _)| o != ofd);
                fl.flocks.push((ofd, ty));
                self.changed(w.file);
                Ok(Outcome::Done)
            }
            Req::Record { owner, ty, range } => {
                if fl.record_conflict(owner, ty, range).is_some() {
                    if self.would_deadlock(w.file, owner, ty, range) {
                        self.remove_waiter(waiter);
                        self.tidy(w.file);
                        return Err(Errno::EDEADLK);
                    }
                    return Ok(Outcome::Wait(waiter));
                }
                self.remove_waiter(waiter);
                self.files
                    .get_mut(&w.file)
                    .expect("file")
                    .apply(owner, ty, range);
                self.changed(w.file);
                Ok(Outcome::Done)
            }
        }
    }

    /// Drops a waiter without granting it (the call was interrupted by a
    /// signal, or its process is gone). Whether it was there.
    pub fn cancel_wait(&mut self, waiter: WaiterId) -> bool {
        match self.remove_waiter(waiter) {
            Some(file) => {
                self.tidy(file);
                true
            }
            None => false,
        }
    }

    /// The waiters that may now be granted, each once, oldest first, since
    /// the last call. Any call may queue some, a refused one too (a failed
    /// `flock` upgrade has dropped the old lock). Retry each with
    /// [`retry`](Self::retry) (a retry can
    /// still find the lock taken by another woken waiter; it then waits
    /// on, and is named again when it can go).
    pub fn take_woken(&mut self) -> Vec<WaiterId> {
        core::mem::take(&mut self.woken)
    }

    /// Drops all of `owner`'s record locks on `file`: for
    /// [`Owner::Process`] when that process closes any descriptor of the
    /// file (Linux's rule), for [`Owner::Description`] when the
    /// description is closed. Waiters are left alone.
    pub fn release_owner(&mut self, file: F, owner: Owner) {
        if let Some(fl) = self.files.get_mut(&file) {
            if fl.remove_owner(owner) {
                self.changed(file);
            }
            self.tidy(file);
        }
    }

    /// The last close of description `ofd` of `file`: drops its `flock`
    /// lock, its OFD locks and its waiters.
    pub fn release_description(&mut self, file: F, ofd: OfdId) {
        let gone: Vec<WaiterId> = self
            .waiters
            .iter()
            .filter(|(_, w)| {
                w.file == file
                    && matches!(w.req,
                        Req::Flock { ofd: o, .. } | Req::Record { owner: Owner::Description(o), .. } if o == ofd)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in gone {
            self.remove_waiter(id);
        }
        if let Some(fl) = self.files.get_mut(&file) {
            let before = fl.flocks.len();
            fl.flocks.retain(|&(o, _)| o != ofd);
            let dropped = fl.flocks.len() != before;
            if fl.remove_owner(Owner::Description(ofd)) || dropped {
                self.changed(file);
            }
            self.tidy(file);
        }
    }

    /// Process `pid` has exited: drops its POSIX locks on every file and
    /// its waiters.
    pub fn release_process(&mut self, pid: Pid) {
        let owner = Owner::Process(pid);
        let gone: Vec<WaiterId> = self
            .waiters
            .iter()
            .filter(|(_, w)| matches!(w.req, Req::Record { owner: o, .. } if o == owner))
            .map(|(&id, _)| id)
            .collect();
        for id in gone {
            self.remove_waiter(id);
        }
        let files: Vec<F> = self.files.keys().copied().collect();
        for file in files {
            self.release_owner(file, owner);
        }
    }

    /// Every held lock (per file: `flock` locks, then record locks in
    /// `F_GETLK` order), then every waiting request, for `/proc/locks`.
    pub fn list(&self) -> Vec<LockInfo<F>> {
        let mut out = Vec::new();
        for (&file, fl) in &self.files {
            for &(ofd, ty) in &fl.flocks {
                out.push(LockInfo {
                    file,
                    holder: Holder::Flock(ofd),
                    ty,
                    range: Range::ALL,
                    waiter: None,
                });
            }
            for g in &fl.groups {
                for p in &g.pieces {
                    out.push(LockInfo {
                        file,
                        holder: Holder::Record(g.owner),
                        ty: p.ty,
                        range: p.range,
                        waiter: None,
                    });
                }
            }
        }
        for (&id, w) in &self.waiters {
            out.push(self.waiter_info(id, w));
        }
        out
    }

    /// A waiting request, if `waiter` is one.
    pub fn waiter(&self, waiter: WaiterId) -> Option<LockInfo<F>> {
        self.waiters
            .get(&waiter)
            .map(|w| self.waiter_info(waiter, w))
    }

    /// How many requests are waiting.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// Whether `owner` holds a record lock on any file.
    pub fn holds(&self, owner: Owner) -> bool {
        self.files
            .values()
            .any(|fl| fl.groups.iter().any(|g| g.owner == owner))
    }

    /// Whether no lock is held and no request waits on any file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.waiters.is_empty()
    }

    fn waiter_info(&self, id: WaiterId, w: &Waiter<F>) -> LockInfo<F> {
        let (holder, ty, range) = match w.req {
            Req::Flock { ofd, ty } => (Holder::Flock(ofd), ty, Range::ALL),
            Req::Record { owner, ty, range } => (Holder::Record(owner), ty, range),
        };
        LockInfo {
            file: w.file,
            holder,
            ty,
            range,
            waiter: Some(id),
        }
    }

    fn add_waiter(&mut self, file: F, req: Req) -> WaiterId {
        let id = self.next_waiter;
        self.next_waiter += 1;
        self.waiters.insert(id, Waiter { file, req });
        self.files.entry(file).or_default().waiters.push(id);
        id
    }

    fn remove_waiter(&mut self, id: WaiterId) -> Option<F> {
        let w = self.waiters.remove(&id)?;
        if let Some(fl) = self.files.get_mut(&w.file) {
            fl.waiters.retain(|&x| x != id);
        }
        self.woken.retain(|&x| x != id);
        Some(w.file)
    }

    /// Forgets a file with no locks and no waiters.
    fn tidy(&mut self, file: F) {
        if self.files.get(&file).is_some_and(FileLocks::is_empty) {
            self.files.remove(&file);
        }
    }

    /// The locks of `file` changed: queues each of its waiters that could
    /// now be granted (and is not queued yet).
    fn changed(&mut self, file: F) {
        let Some(fl) = self.files.get(&file) else {
            return;
        };
        for &id in &fl.waiters {
            if self.woken.contains(&id) {
                continue;
            }
            let free = match self.waiters[&id].req {
                Req::Flock { ofd, ty } => !fl.flock_conflict(ofd, ty),
                Req::Record { owner, ty, range } => fl.record_conflict(owner, ty, range).is_none(),
            };
            if free {
                self.woken.push(id);
            }
        }
    }

    /// Whether POSIX `owner` waiting for a `ty` lock on `range` of `file`
    /// would close a cycle: a process holding a conflicting lock waits
    /// (in any of its requests) for a lock held by a process that waits
    /// ... for a lock `owner` holds. Only POSIX owners and POSIX waiters
    /// form the chain (as on Linux: OFD locks are not checked).
    fn would_deadlock(&self, file: F, owner: Owner, ty: LockType, range: Range) -> bool {
        let Owner::Process(me) = owner else {
            return false;
        };
        let mut todo: Vec<Pid> = Vec::new();
        let mut seen: Vec<Pid> = Vec::new();
        let push_blockers =
            |todo: &mut Vec<Pid>, file: &F, who: Owner, ty: LockType, range: Range| {
                if let Some(fl) = self.files.get(file) {
                    for c in fl.record_conflicts(who, ty, range) {
                        if let Owner::Process(p) = c.owner {
                            todo.push(p);
                        }
                    }
                }
            };
        push_blockers(&mut todo, &file, owner, ty, range);
        while let Some(p) = todo.pop() {
            if p == me {
                return true;
            }
            if seen.contains(&p) {
                continue;
            }
            seen.push(p);
            for w in self.waiters.values() {
                if let Req::Record {
                    owner: Owner::Process(q),
                    ty,
                    range,
                } = w.req
                {
                    if q == p {
                        push_blockers(&mut todo, &w.file, Owner::Process(q), ty, range);
                    }
                }
            }
        }
        false
    }
}
