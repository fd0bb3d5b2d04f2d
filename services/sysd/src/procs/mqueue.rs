//! POSIX message queues at the server, by the rules of the `mqueue`
//! crate: a queue is a description (`Kind::Mqueue`) the library OS holds
//! a handle to, as Linux's `mqd_t` is a descriptor. A send to a full
//! queue or a receive from an empty one waits as System V's do (deferred,
//! tried again after each request; a signal or the library OS's deadline
//! cancels it). A message arriving on an empty queue with no receiver
//! waiting notifies the registered process, once: a queued signal with
//! `si_code` `SI_MESGQ`, the sender's pid and uid, and the registration's
//! value.

use alloc::vec::Vec;

use ::mqueue::{Attr, Caller, Notify};
use sysproto::SigRecord;

use super::files::O_NONBLOCK;
use super::sysv::{IpcOp, IpcWait};
use super::*;
use crate::objects::access;

/// `si_code` of a message-queue notification.
const SI_MESGQ: i32 = -3;

impl Server {
    /// Runs `f` with the caller's ids as the queue rules see them.
    fn as_mq_caller<T>(
        &mut self,
        pid: u64,
        f: impl FnOnce(&mut ::mqueue::Queues, &Caller) -> T,
    ) -> T {
        let c = &self.procs[&pid].creds;
        let groups: Vec<u32> = c.groups().to_vec();
        let caps = c.effective();
        let who = Caller {
            uid: c.euid(),
            gid: c.egid(),
            groups: &groups,
            resource: caps & 1 << 24 != 0,
            dac_override: caps & 1 << 1 != 0,
            fowner: caps & 1 << 3 != 0,
        };
        f(&mut self.mq, &who)
    }

    /// `sys::MqOpen` with the data area's bytes `input`.
    pub(super) fn mq_open(&mut self, pid: u64, r: sys::MqOpen, input: &[u8]) -> Result<u64, Errno> {
        let (name, attr) = match input.iter().position(|&b| b == 0) {
            Some(i) => {
                let a = input.get(i + 1..i + 17).ok_or(EINVAL)?;
                let word = |k: usize| i64::from_le_bytes(a[k..k + 8].try_into().unwrap_or([0; 8]));
                (
                    &input[..i],
                    Some(Attr {
                        maxmsg: word(0),
                        msgsize: word(8),
                    }),
                )
            }
            None => (input, None),
        };
        let oflag = r.oflag;
        let (id, _) =
            self.as_mq_caller(pid, |q, who| q.open(who, name, oflag, r.mode as u32, attr))?;
        let acc = match oflag & 3 {
            0 => access::READ,
            1 => access::WRITE,
            _ => access::READ | access::WRITE,
        };
        let o = self.objs.open_as(Kind::Mqueue(id), acc);
        if let Some(obj) = self.objs.get_mut(o) {
            obj.nonblock = oflag & O_NONBLOCK != 0;
            let mut n = b"/".to_vec();
            n.extend_from_slice(name);
            obj.name = Some(n);
        }
        Ok(self.add_handle(pid, o) as u64)
    }

    pub(super) fn mq_unlink(&mut self, pid: u64, name: &[u8]) -> Result<(), Errno> {
        self.as_mq_caller(pid, |q, who| q.unlink(who, name))
    }

    /// The queue behind `pid`'s handle `h`, its description, and whether
    /// it is non-blocking; `EBADF` unless it allows `need`.
    fn mq_of(&self, pid: u64, h: u64, need: u8) -> Result<(usize, usize, bool), Errno> {
        let o = self.obj_of(pid, h)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        match obj.kind {
            Kind::Mqueue(q) if obj.access & need != 0 => Ok((q, o, obj.nonblock)),
            _ => Err(EBADF),
        }
    }

    /// Whether a receive waits on queue `q`.
    fn mq_receivers(&self, q: usize) -> bool {
        self.deferred.iter().any(|w| match &w.op {
            Waiting::Ipc(IpcWait {
                op: IpcOp::MqRcv(o, _),
                ..
            }) => self
                .objs
                .get(*o)
                .is_some_and(|x| matches!(x.kind, Kind::Mqueue(k) if k == q)),
            _ => false,
        })
    }

    /// Tries a send of `data` to the queue of description `o` by `pid`:
    /// `false` if full. Notifies the registration a send to an empty
    /// queue triggers.
    pub(super) fn mq_try_send(
        &mut self,
        pid: u64,
        o: usize,
        prio: u64,
        data: &[u8],
    ) -> Result<bool, Errno> {
        let Some(Kind::Mqueue(q)) = self.objs.get(o).map(|x| x.kind) else {
            return Err(EBADF);
        };
        let prio = u32::try_from(prio).map_err(|_| EINVAL)?;
        let receivers = self.mq_receivers(q);
        match self.mq.send(q, prio, data, receivers) {
            Ok(Some(n)) => {
                self.mq_notify_fire(pid, n);
                Ok(true)
            }
            Ok(None) => Ok(true),
            Err(EAGAIN) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Tries a receive from the queue of description `o` into `len`
    /// bytes: the message and its priority, `None` if empty.
    pub(super) fn mq_try_receive(
        &mut self,
        o: usize,
        len: u64,
    ) -> Result<Option<(Vec<u8>, u32)>, Errno> {
        let Some(Kind::Mqueue(q)) = self.objs.get(o).map(|x| x.kind) else {
            return Err(EBADF);
        };
        match self.mq.receive(q, len) {
            Ok(m) => Ok(Some(m)),
            Err(EAGAIN) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Tells the registered process: its signal, if it asked for one.
    fn mq_notify_fire(&mut self, sender: u64, n: Notify) {
        if n.signo == 0 || !self.procs.contains_key(&n.pid) {
            return;
        }
        let uid = self.procs.get(&sender).map_or(0, |p| p.creds.ruid());
        let rec = SigRecord {
            sig: n.signo,
            code: SI_MESGQ,
            pid: sender as u32,
            uid,
            value: n.value,
        };
        self.deliver(n.pid, rec);
    }

    pub(super) fn mq_send(
        &mut self,
        pid: u64,
        r: sys::MqSend,
        data: Vec<u8>,
        tag: u32,
    ) -> Result<bool, Errno> {
        let (_, o, nonblock) = self.mq_of(pid, r.handle, access::WRITE)?;
        if self.mq_try_send(pid, o, r.prio, &data)? {
            return Ok(true);
        }
        if nonblock {
            return Err(EAGAIN);
        }
        self.defer_ipc(pid, tag, IpcWait::new(IpcOp::MqSnd(o, r.prio, data)))?;
        Ok(false)
    }

    /// A receive now: `Some` message, or `None` once deferred.
    pub(super) fn mq_receive(
        &mut self,
        pid: u64,
        r: sys::MqReceive,
        tag: u32,
    ) -> Result<Option<(Vec<u8>, u32)>, Errno> {
        let (_, o, nonblock) = self.mq_of(pid, r.handle, access::READ)?;
        // (A buffer smaller than the queue's messages is refused whatever
        // the queue holds.)
        if let Some(m) = self.mq_try_receive(o, r.len)? {
            return Ok(Some(m));
        }
        if nonblock {
            return Err(EAGAIN);
        }
        self.defer_ipc(pid, tag, IpcWait::new(IpcOp::MqRcv(o, r.len)))?;
        Ok(None)
    }

    pub(super) fn mq_notify(&mut self, pid: u64, r: sys::MqNotify) -> Result<(), Errno> {
        let (q, _, _) = self.mq_of(pid, r.handle, access::READ | access::WRITE)?;
        let n = match r.how {
            0 => None,
            1 if (1..=64).contains(&r.signo) => Some(Notify {
                pid,
                signo: r.signo as u32,
                value: r.value,
            }),
            2 => Some(Notify {
                pid,
                signo: 0,
                value: 0,
            }),
            _ => return Err(EINVAL),
        };
        self.mq.set_notify(q, pid, n)
    }

    pub(super) fn mq_attr(&mut self, pid: u64, r: sys::MqAttr) -> Result<sys::MqAttrReply, Errno> {
        let (q, o, nonblock) = self.mq_of(pid, r.handle, access::READ | access::WRITE)?;
        let queue = self.mq.get(q)?;
        let reply = sys::MqAttrReply {
            nonblock,
            maxmsg: queue.maxmsg,
            msgsize: queue.msgsize,
            curmsgs: queue.curmsgs(),
        };
        if r.set {
            if let Some(obj) = self.objs.get_mut(o) {
                obj.nonblock = r.nonblock;
            }
        }
        Ok(reply)
    }
}
