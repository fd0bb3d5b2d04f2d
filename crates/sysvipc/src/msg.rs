//! Message queues: messages in the order they came, taken by type
//! (`msgrcv`'s `msgtyp`, `MSG_EXCEPT`), within the queue's byte limit.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use linux_errno::Errno::{self, E2BIG, EAGAIN, EINVAL, ENOMSG};

/// The largest message.
pub const MSGMAX: usize = 8192;
/// A new queue's byte limit (`msg_qbytes`).
pub const MSGMNB: usize = 16384;
/// Most queues.
pub const MSGMNI: usize = 32000;

/// `msgrcv` flags.
pub const MSG_NOERROR: u32 = 0o10000;
pub const MSG_EXCEPT: u32 = 0o20000;
pub const MSG_COPY: u32 = 0o40000;

/// A message queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Queue {
    msgs: VecDeque<(i64, Vec<u8>)>,
    /// Bytes queued (the texts').
    pub cbytes: usize,
    /// Most bytes it holds.
    pub qbytes: usize,
    /// The last sender and receiver.
    pub lspid: u32,
    pub lrpid: u32,
    /// The last send, receive and change (seconds).
    pub stime: u64,
    pub rtime: u64,
    pub ctime: u64,
}

/// The message `msgtyp` (with `except`) selects among `msgs`: the
/// first, the first of that type (or, `except`, of another), or the
/// first of the lowest type up to `-msgtyp`.
fn select<'a>(msgs: impl Iterator<Item = &'a i64>, msgtyp: i64, except: bool) -> Option<usize> {
    let mut best: Option<(usize, i64)> = None;
    for (i, &t) in msgs.enumerate() {
        if msgtyp == 0 {
            return Some(i);
        } else if msgtyp > 0 {
            if (t == msgtyp) != except {
                return Some(i);
            }
        } else if t.unsigned_abs() <= msgtyp.unsigned_abs() && best.is_none_or(|(_, b)| t < b) {
            best = Some((i, t));
        }
    }
    best.map(|(i, _)| i)
}

impl Queue {
    /// An empty queue made at `now`.
    pub fn new(now: u64) -> Queue {
        Queue {
            qbytes: MSGMNB,
            ctime: now,
            ..Queue::default()
        }
    }

    /// Messages queued.
    pub fn qnum(&self) -> usize {
        self.msgs.len()
    }

    /// The checks of a `msgsnd` before the queue is looked up.
    pub fn check_send(mtype: i64, len: usize) -> Result<(), Errno> {
        if mtype < 1 || len > MSGMAX {
            Err(EINVAL)
        } else {
            Ok(())
        }
    }

    /// `msgsnd` by `pid`: `EAGAIN` when the queue has no room (its bytes
    /// or its count of messages past `qbytes`); the caller waits unless
    /// `IPC_NOWAIT`.
    pub fn send(&mut self, mtype: i64, text: &[u8], pid: u32, now: u64) -> Result<(), Errno> {
        Queue::check_send(mtype, text.len())?;
        if self.cbytes + text.len() > self.qbytes || self.msgs.len() + 1 > self.qbytes {
            return Err(EAGAIN);
        }
        self.cbytes += text.len();
        self.msgs.push_back((mtype, text.to_vec()));
        self.lspid = pid;
        self.stime = now;
        Ok(())
    }

    /// `msgrcv` of at most `size` bytes by `pid`: the message's type and
    /// text (cut to `size` with `MSG_NOERROR`, else `E2BIG` and it stays);
    /// `ENOMSG` when none matches (the caller waits unless `IPC_NOWAIT`).
    pub fn receive(
        &mut self,
        msgtyp: i64,
        size: usize,
        flags: u32,
        pid: u32,
        now: u64,
    ) -> Result<(i64, Vec<u8>), Errno> {
        let i = select(
            self.msgs.iter().map(|(t, _)| t),
            msgtyp,
            flags & MSG_EXCEPT != 0,
        )
        .ok_or(ENOMSG)?;
        if self.msgs[i].1.len() > size && flags & MSG_NOERROR == 0 {
            return Err(E2BIG);
        }
        let (t, mut text) = self.msgs.remove(i).expect("selected");
        self.cbytes -= text.len();
        text.truncate(size);
        self.lrpid = pid;
        self.rtime = now;
        Ok((t, text))
    }
}
