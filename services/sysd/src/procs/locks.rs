//! Advisory file locks: `flock(2)`, POSIX record locks and open file
//! description locks, by `filelock`'s rules, for every process's files.
//!
//! A lock is on the file's node ([`Key::Node`]; pipes and the console,
//! which have none, have keys of their own). A `flock` lock and an OFD
//! lock belong to the open file description (the server's object index),
//! a POSIX lock to the process (its pid). A request that must wait is
//! recorded by the lock manager and deferred like a blocking pipe read
//! ([`Waiting::Lock`]): whenever locks go away the manager names the
//! waiters that may go now, and each is retried only when its completion
//! can be written at once, so a lock is never granted to a call that is
//! no longer there to take it. A signal's `Cancel`, the end of the
//! process or the last close of its description drops the waiter.
//!
//! Locks go when Linux drops them: POSIX ones when their process closes
//! any descriptor of the file ([`sys::LockClose`], sent by the library OS
//! while [`control::POSIX_LOCKS`] is set) and when it ends, OFD and
//! `flock` ones with the last reference of their description.

use filelock::{Caller, Cmd, LockManager, Outcome, Owner, WaiterId};

use super::*;
use crate::objects::access;

/// What a lock is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Key {
    /// A node of a file system (files, directories, FIFOs, devices).
    Node(Loc),
    /// An unnamed pipe (both ends are the one file).
    Pipe(usize),
    /// The console opened without a path.
    Console,
    /// Any other description without a node: only itself.
    Object(usize),
}

/// The server's locks.
#[derive(Default)]
pub(super) struct Locks {
    mgr: LockManager<Key>,
    /// Waiters the manager named as possibly free, not yet retried.
    woken: Vec<WaiterId>,
}

impl Server {
    /// The key of description `o`'s file; `EBADF` for an `O_PATH`
    /// description unless `any` (its close still drops POSIX locks).
    fn lock_key(&self, o: usize, any: bool) -> Result<Key, Errno> {
        let obj = self.objs.get(o).ok_or(EBADF)?;
        Ok(match (obj.kind, obj.node.or(obj.kind.loc())) {
            (Kind::Path(_), _) if !any => return Err(EBADF),
            (_, Some(l)) => Key::Node(l),
            (Kind::PipeRead(p) | Kind::PipeWrite(p), None) => Key::Pipe(p),
            (Kind::Console, None) => Key::Console,
            _ => Key::Object(o),
        })
    }

    /// `flock(2)` through handle `h` of `pid` with operation `op`;
    /// whether the answer is deferred (a tagged request that must wait).
    pub(super) fn flock(&mut self, pid: u64, h: u64, op: u64, tag: u32) -> Result<bool, Errno> {
        let o = self.obj_of(pid, h)?;
        let key = self.lock_key(o, false)?;
        match self.locks.mgr.flock_raw(key, o as u64, op as u32 as i32)? {
            Outcome::Done => Ok(false),
            Outcome::Wait(id) => self.lock_wait(pid, tag, id),
        }
    }

    /// A `fcntl` lock command `cmd` through handle `h` of `pid` with the
    /// `struct flock` `fl` (filled in for `F_GETLK`); whether the answer
    /// is deferred.
    pub(super) fn record_lock(
        &mut self,
        pid: u64,
        h: u64,
        cmd: u64,
        fl: &mut sysproto::Flock,
        tag: u32,
    ) -> Result<bool, Errno> {
        let cmd = Cmd::from_raw(cmd as u32 as i32).ok_or(EINVAL)?;
        let o = self.obj_of(pid, h)?;
        let key = self.lock_key(o, false)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        let (pos, acc) = (obj.pos, obj.access);
        let size = match key {
            Key::Node(l) => self.attr(pid, l).map_or(0, |a| a.size),
            _ => 0,
        };
        let who = Caller {
            pid: pid as i32,
            ofd: o as u64,
            pos,
            size,
            readable: acc & access::READ != 0,
            writable: acc & access::WRITE != 0,
        };
        let mut raw = filelock::Flock {
            l_type: fl.l_type,
            l_whence: fl.l_whence,
            l_start: fl.l_start,
            l_len: fl.l_len,
            l_pid: fl.l_pid,
        };
        let r = self.locks.mgr.fcntl(key, cmd, &mut raw, &who);
        (fl.l_type, fl.l_whence, fl.l_start, fl.l_len, fl.l_pid) =
            (raw.l_type, raw.l_whence, raw.l_start, raw.l_len, raw.l_pid);
        self.publish_locks(pid);
        match r? {
            Outcome::Done => Ok(false),
            Outcome::Wait(id) => self.lock_wait(pid, tag, id),
        }
    }

    /// `pid` closed a descriptor of handle `h`'s file: its POSIX locks on
    /// the file go.
    pub(super) fn lock_close(&mut self, pid: u64, h: u64) -> Result<(), Errno> {
        let key = self.lock_key(self.obj_of(pid, h)?, true)?;
        self.locks
            .mgr
            .release_owner(key, Owner::Process(pid as i32));
        self.publish_locks(pid);
        Ok(())
    }

    /// Defers the request waiting as `id`, or gives it up (`ENOLCK`: an
    /// untagged request, or too many waiting).
    fn lock_wait(&mut self, pid: u64, tag: u32, id: WaiterId) -> Result<bool, Errno> {
        if self.defer(pid, tag, Waiting::Lock(id)) {
            return Ok(true);
        }
        self.locks.mgr.cancel_wait(id);
        Err(ENOLCK)
    }

    /// Tells `pid`'s library OS whether it holds POSIX locks.
    fn publish_locks(&self, pid: u64) {
        if let Some(p) = self.procs.get(&pid) {
            let holds = self.locks.mgr.holds(Owner::Process(pid as i32));
            set_word(p, control::POSIX_LOCKS, u64::from(holds));
        }
    }

    /// Takes the waiters the manager named since last time; whether
    /// there were any.
    pub(super) fn take_lock_wakes(&mut self) -> bool {
        let new = self.locks.mgr.take_woken();
        let any = !new.is_empty();
        // Those the manager forgot meanwhile have their answer anyway
        // ([`Self::lock_ready`]).
        let mgr = &self.locks.mgr;
        self.locks.woken.retain(|&id| mgr.waiter(id).is_some());
        for id in new {
            if !self.locks.woken.contains(&id) {
                self.locks.woken.push(id);
            }
        }
        any
    }

    /// Whether the deferred lock request `id` may complete now: named by
    /// the manager, or gone from it (its description was closed).
    pub(super) fn lock_ready(&self, id: WaiterId) -> bool {
        self.locks.woken.contains(&id) || self.locks.mgr.waiter(id).is_none()
    }

    /// Retries the deferred lock request `id` of `pid` (its completion can
    /// be written): `None` while it must still wait, else its result.
    pub(super) fn lock_retry(&mut self, pid: u64, id: WaiterId) -> Option<Result<(), Errno>> {
        self.locks.woken.retain(|&x| x != id);
        let r = match self.locks.mgr.retry(id) {
            Ok(Outcome::Wait(_)) => return None,
            Ok(Outcome::Done) => Ok(()),
            // Its description went while it waited.
            Err(ESRCH) => Err(EBADF),
            Err(e) => Err(e),
        };
        self.publish_locks(pid);
        Some(r)
    }

    /// The deferred requests of `pid` (with `tag`, or all) are dropped:
    /// their lock waiters go.
    pub(super) fn lock_cancel(&mut self, pid: u64, tag: Option<u64>) {
        for w in &self.deferred {
            if let Waiting::Lock(id) = w.op {
                if w.pid == pid && tag.is_none_or(|t| t == u64::from(w.tag)) {
                    self.locks.mgr.cancel_wait(id);
                    self.locks.woken.retain(|&x| x != id);
                }
            }
        }
    }

    /// Process `pid` ended: its waiters and its POSIX locks go.
    pub(super) fn locks_exited(&mut self, pid: u64) {
        self.lock_cancel(pid, None);
        self.locks.mgr.release_process(pid as i32);
    }

    /// Description `o` loses a reference: with its last, its `flock` and
    /// OFD locks and its waiters go.
    pub(super) fn lock_drop_ref(&mut self, o: usize) {
        if self.locks.mgr.is_empty() {
            return;
        }
        if self.objs.get(o).is_some_and(|x| x.refs == 1) {
            if let Ok(key) = self.lock_key(o, true) {
                self.locks.mgr.release_description(key, o as u64);
            }
        }
    }
}
