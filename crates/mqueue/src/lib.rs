//! POSIX message queues (`mq_overview(7)`) with Linux's rules, for the
//! ExoV6 system server: a table of named queues ([`Queues`]), each holding
//! messages by priority (highest first, oldest first within one), its
//! limits (`mq_maxmsg`, `mq_msgsize`, checked against Linux's defaults and
//! ceilings), its owner and mode, and at most one notification
//! registration. A queue lives while it has a name or an open
//! description; [`Queues::unlink`] takes the name at once.
//!
//! What blocks (a send to a full queue, a receive from an empty one) is
//! the server's business: these calls answer `EAGAIN` and the server waits
//! and tries again.

#![no_std]

extern crate alloc;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use linux_errno::Errno::{
    self, EACCES, EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, EMFILE, EMSGSIZE, ENAMETOOLONG, ENOENT,
    ENOSPC,
};

/// Priorities are below this (`MQ_PRIO_MAX`).
pub const MQ_PRIO_MAX: u32 = 32768;
/// `mq_maxmsg` and `mq_msgsize` when `mq_open` is given no attributes
/// (`/proc/sys/fs/mqueue/msg_default`, `msgsize_default`).
pub const MSG_DEFAULT: u64 = 10;
pub const MSGSIZE_DEFAULT: u64 = 8192;
/// The most an unprivileged `mq_open` may ask for
/// (`/proc/sys/fs/mqueue/msg_max`, `msgsize_max`).
pub const MSG_MAX: u64 = 10;
pub const MSGSIZE_MAX: u64 = 8192;
/// The most anyone may ask for (`HARD_MSGMAX`, `HARD_MSGSIZEMAX`).
pub const HARD_MSGMAX: u64 = 65536;
pub const HARD_MSGSIZEMAX: u64 = 16 << 20;
/// Queues at once (`/proc/sys/fs/mqueue/queues_max`; root may exceed it).
pub const QUEUES_MAX: usize = 256;
/// The longest name (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Bytes of all messages of all queues at once: a guard for the server's
/// memory, well above what the limits let one queue hold by default.
pub const TOTAL_BYTES_MAX: u64 = 64 << 20;

/// `O_*` bits of `mq_open` (x86_64 values).
pub const O_WRONLY: u64 = 1;
pub const O_RDWR: u64 = 2;
pub const O_CREAT: u64 = 0o100;
pub const O_EXCL: u64 = 0o200;

/// Who asks.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    pub uid: u32,
    pub gid: u32,
    pub groups: &'a [u32],
    /// `CAP_SYS_RESOURCE` (limits), `CAP_DAC_OVERRIDE` (permissions),
    /// `CAP_FOWNER` (unlinking another's queue).
    pub resource: bool,
    pub dac_override: bool,
    pub fowner: bool,
}

/// A registration for notification (`mq_notify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notify {
    /// The process to tell.
    pub pid: u64,
    /// The signal (`SIGEV_SIGNAL`), or 0 for `SIGEV_NONE`.
    pub signo: u32,
    /// `sigev_value`.
    pub value: u64,
}

/// One queue.
#[derive(Debug)]
pub struct Queue {
    pub maxmsg: u64,
    pub msgsize: u64,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    /// By priority: the messages, oldest first.
    msgs: BTreeMap<u32, VecDeque<Vec<u8>>>,
    count: u64,
    bytes: u64,
    pub notify: Option<Notify>,
}

impl Queue {
    /// Messages in it now (`mq_curmsgs`).
    pub fn curmsgs(&self) -> u64 {
        self.count
    }

    /// Bytes of its messages (the status text's `QSIZE`).
    pub fn qsize(&self) -> u64 {
        self.bytes
    }

    /// Adds a message (`EMSGSIZE` past `msgsize`, `EINVAL` for a priority
    /// of `MQ_PRIO_MAX` or more, `EAGAIN` when full). When the queue was
    /// empty and no receiver waits (`receivers`), the registration, if
    /// any, is taken and returned for the caller to notify (Linux's rule;
    /// it is then gone).
    pub fn send(
        &mut self,
        prio: u32,
        data: &[u8],
        receivers: bool,
    ) -> Result<Option<Notify>, Errno> {
        if data.len() as u64 > self.msgsize {
            return Err(EMSGSIZE);
        }
        if prio >= MQ_PRIO_MAX {
            return Err(EINVAL);
        }
        if self.count >= self.maxmsg {
            return Err(EAGAIN);
        }
        let was_empty = self.count == 0;
        self.msgs.entry(prio).or_default().push_back(data.to_vec());
        self.count += 1;
        self.bytes += data.len() as u64;
        Ok(if was_empty && !receivers {
            self.notify.take()
        } else {
            None
        })
    }

    /// Takes the oldest message of the highest priority into a buffer of
    /// `room` bytes: its bytes and priority (`EMSGSIZE` if `room` is
    /// below `msgsize`, `EAGAIN` when empty).
    pub fn receive(&mut self, room: u64) -> Result<(Vec<u8>, u32), Errno> {
        if room < self.msgsize {
            return Err(EMSGSIZE);
        }
        let mut entry = self.msgs.last_entry().ok_or(EAGAIN)?;
        let prio = *entry.key();
        let msg = entry.get_mut().pop_front().ok_or(EAGAIN)?;
        if entry.get().is_empty() {
            entry.remove();
        }
        self.count -= 1;
        self.bytes -= msg.len() as u64;
        Ok((msg, prio))
    }

    /// `mq_notify` by process `pid`: `Some` registers it (`EBUSY` if
    /// another is registered), `None` removes its own registration (and
    /// does nothing for another's).
    pub fn set_notify(&mut self, pid: u64, n: Option<Notify>) -> Result<(), Errno> {
        match n {
            Some(n) => {
                if self.notify.is_some_and(|o| o.pid != pid) {
                    return Err(EBUSY);
                }
                self.notify = Some(n);
            }
            None => {
                if self.notify.is_some_and(|o| o.pid == pid) {
                    self.notify = None;
                }
            }
        }
        Ok(())
    }

    /// What reading the queue's file shows (Linux's format).
    pub fn status_text(&self) -> String {
        let (notify, signo, pid) = match self.notify {
            Some(n) if n.signo != 0 => (0, n.signo, n.pid),
            Some(n) => (1, 0, n.pid),
            None => (0, 0, 0),
        };
        format!(
            "QSIZE:{:<10} NOTIFY:{:<5} SIGNO:{:<5} NOTIFY_PID:{:<6}\n",
            self.bytes, notify, signo, pid
        )
    }

    /// Whether `who` may open it for `acc` (`O_RDONLY`, `O_WRONLY`,
    /// `O_RDWR`).
    fn may_open(&self, who: &Caller<'_>, acc: u64) -> bool {
        let want = match acc {
            0 => 4,
            1 => 2,
            _ => 6,
        };
        let class = if who.uid == self.uid {
            self.mode >> 6
        } else if who.gid == self.gid || who.groups.contains(&self.gid) {
            self.mode >> 3
        } else {
            self.mode
        };
        who.dac_override || class & want == want
    }
}

/// The attributes an `mq_open` with `O_CREAT` asks for, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    pub maxmsg: i64,
    pub msgsize: i64,
}

/// A queue in the table: the queue, its open descriptions, and whether
/// its name is gone.
#[derive(Debug)]
struct Slot {
    queue: Queue,
    opens: u64,
    name: Option<Vec<u8>>,
}

/// Every queue, by name.
#[derive(Debug, Default)]
pub struct Queues {
    names: BTreeMap<Vec<u8>, usize>,
    slots: Vec<Option<Slot>>,
    bytes: u64,
}

/// Checks a name as the kernel gets it (the C library drops the leading
/// `/`): not empty, no `/`, not `.` or `..` (`EACCES`, as Linux's lookup
/// answers), at most [`NAME_MAX`] bytes.
pub fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.len() > NAME_MAX {
        return Err(ENAMETOOLONG);
    }
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
        return Err(EACCES);
    }
    if name.contains(&0) {
        return Err(EINVAL);
    }
    Ok(())
}

impl Queues {
    /// `mq_open`: the queue named `name` opened for access `oflag &
    /// O_ACCMODE`, made with `mode` (the umask already applied) and `attr`
    /// under `O_CREAT` if it does not exist; its id, and whether it was
    /// made. The description counts as an open until [`Queues::close`].
    pub fn open(
        &mut self,
        who: &Caller<'_>,
        name: &[u8],
        oflag: u64,
        mode: u32,
        attr: Option<Attr>,
    ) -> Result<(usize, bool), Errno> {
        check_name(name)?;
        let acc = oflag & 3;
        if acc == 3 {
            return Err(EINVAL);
        }
        if let Some(&id) = self.names.get(name) {
            if oflag & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
                return Err(EEXIST);
            }
            let slot = self.slots[id].as_mut().ok_or(ENOENT)?;
            if !slot.queue.may_open(who, acc) {
                return Err(EACCES);
            }
            slot.opens += 1;
            return Ok((id, false));
        }
        if oflag & O_CREAT == 0 {
            return Err(ENOENT);
        }
        let (maxmsg, msgsize) = match attr {
            None => (MSG_DEFAULT, MSGSIZE_DEFAULT),
            Some(a) => {
                if a.maxmsg <= 0 || a.msgsize <= 0 {
                    return Err(EINVAL);
                }
                let (m, s) = (a.maxmsg as u64, a.msgsize as u64);
                let (mmax, smax) = if who.resource {
                    (HARD_MSGMAX, HARD_MSGSIZEMAX)
                } else {
                    (MSG_MAX, MSGSIZE_MAX)
                };
                if m > mmax || s > smax {
                    return Err(EINVAL);
                }
                (m, s)
            }
        };
        let live = self.slots.iter().flatten().count();
        if live >= QUEUES_MAX && !who.resource {
            return Err(ENOSPC);
        }
        if live >= 4 * QUEUES_MAX {
            return Err(EMFILE);
        }
        let queue = Queue {
            maxmsg,
            msgsize,
            uid: who.uid,
            gid: who.gid,
            mode: mode & 0o777,
            msgs: BTreeMap::new(),
            count: 0,
            bytes: 0,
            notify: None,
        };
        let slot = Slot {
            queue,
            opens: 1,
            name: Some(name.to_vec()),
        };
        let id = match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        self.names.insert(name.to_vec(), id);
        Ok((id, true))
    }

    /// `mq_unlink`: the name goes now, the queue when its last open
    /// description closes. The caller must own it (or have
    /// `CAP_FOWNER`): the queues' directory is sticky.
    pub fn unlink(&mut self, who: &Caller<'_>, name: &[u8]) -> Result<(), Errno> {
        check_name(name)?;
        let &id = self.names.get(name).ok_or(ENOENT)?;
        let slot = self.slots[id].as_mut().ok_or(ENOENT)?;
        if slot.queue.uid != who.uid && !who.fowner {
            return Err(EACCES);
        }
        slot.name = None;
        self.names.remove(name);
        self.collect(id);
        Ok(())
    }

    /// Process `pid` closed a descriptor of queue `id`: its registration
    /// goes if it was `pid`'s (Linux removes it when the registering
    /// process closes the descriptor).
    pub fn flush(&mut self, id: usize, pid: u64) {
        if let Some(slot) = self.slots.get_mut(id).and_then(Option::as_mut) {
            if slot.queue.notify.is_some_and(|n| n.pid == pid) {
                slot.queue.notify = None;
            }
        }
    }

    /// The last reference to an open description of queue `id` went.
    pub fn close(&mut self, id: usize) {
        if let Some(slot) = self.slots.get_mut(id).and_then(Option::as_mut) {
            slot.opens = slot.opens.saturating_sub(1);
        }
        self.collect(id);
    }

    /// Frees queue `id` once it has neither name nor opens.
    fn collect(&mut self, id: usize) {
        if let Some(Some(slot)) = self.slots.get(id) {
            if slot.opens == 0 && slot.name.is_none() {
                self.bytes -= slot.queue.bytes;
                self.slots[id] = None;
            }
        }
    }

    /// Queue `id`.
    pub fn get(&self, id: usize) -> Result<&Queue, Errno> {
        self.slots
            .get(id)
            .and_then(Option::as_ref)
            .map(|s| &s.queue)
            .ok_or(EBADF)
    }

    /// Sends to queue `id` ([`Queue::send`]), within the table's total
    /// (`EAGAIN` past it, as a full queue).
    pub fn send(
        &mut self,
        id: usize,
        prio: u32,
        data: &[u8],
        receivers: bool,
    ) -> Result<Option<Notify>, Errno> {
        if self.bytes + data.len() as u64 > TOTAL_BYTES_MAX {
            return Err(EAGAIN);
        }
        let q = &mut self
            .slots
            .get_mut(id)
            .and_then(Option::as_mut)
            .ok_or(EBADF)?
            .queue;
        let n = q.send(prio, data, receivers)?;
        self.bytes += data.len() as u64;
        Ok(n)
    }

    /// Receives from queue `id` ([`Queue::receive`]).
    pub fn receive(&mut self, id: usize, room: u64) -> Result<(Vec<u8>, u32), Errno> {
        let q = &mut self
            .slots
            .get_mut(id)
            .and_then(Option::as_mut)
            .ok_or(EBADF)?
            .queue;
        let m = q.receive(room)?;
        self.bytes -= m.0.len() as u64;
        Ok(m)
    }

    /// `mq_notify` on queue `id` ([`Queue::set_notify`]).
    pub fn set_notify(&mut self, id: usize, pid: u64, n: Option<Notify>) -> Result<(), Errno> {
        let q = &mut self
            .slots
            .get_mut(id)
            .and_then(Option::as_mut)
            .ok_or(EBADF)?
            .queue;
        q.set_notify(pid, n)
    }

    /// The names, in order, with their queues (an `mqueue` directory).
    pub fn list(&self) -> impl Iterator<Item = (&[u8], &Queue)> + '_ {
        self.names
            .iter()
            .filter_map(|(n, &id)| Some((n.as_slice(), &self.slots[id].as_ref()?.queue)))
    }

    /// Process `pid` ended: registrations of its go.
    pub fn ended(&mut self, pid: u64) {
        for s in self.slots.iter_mut().flatten() {
            if s.queue.notify.is_some_and(|n| n.pid == pid) {
                s.queue.notify = None;
            }
        }
    }
}

#[cfg(test)]
mod tests;
