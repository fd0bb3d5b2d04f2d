//! Signals between processes: `kill` (to a process, a process group or
//! everyone) and `sigqueue`, posting a signal with its sender and
//! `si_code` in the target's mailbox (a standard signal as a pending bit,
//! each instance of a real-time signal queued with its own `siginfo`
//! until the library OS takes it), and stops and continues, which the
//! parent learns of through `wait` and SIGCHLD.

use alloc::vec::Vec;

use sysproto::{si, SigRecord};

use super::*;

/// Most real-time instances the server keeps for one process whatever its
/// limit says (its library OS takes them whenever it runs).
const QUEUE_MAX: u64 = 1 << 16;

/// Whether `sig` is a real-time signal (each instance queued).
fn is_realtime(sig: u64) -> bool {
    (32..=64).contains(&sig)
}

impl Server {
    pub(super) fn kill(&mut self, from: u64, sel: i64, sig: u64) -> Result<(), Errno> {
        let my_pgid = self.procs[&from].pgid;
        // Zombies count as targets (the call succeeds, as on Linux) but
        // take nothing.
        let targets: Vec<u64> = self
            .procs
            .iter()
            .filter(|(&k, p)| match sel {
                -1 => k != 1 && k != from,
                0 => p.pgid == my_pgid,
                s if s > 0 => k == s as u64,
                s => p.pgid == s.unsigned_abs(),
            })
            .map(|(k, _)| *k)
            .collect();
        if targets.is_empty() {
            return Err(ESRCH);
        }
        if sig > 64 {
            return Err(EINVAL);
        }
        // Linux's permission to signal: CAP_KILL, matching ids, or
        // SIGCONT within the session. Refused for every target is EPERM,
        // except for -1, which Linux answers 0 as long as there was a
        // target.
        let allowed: Vec<u64> = targets
            .into_iter()
            .filter(|&t| self.may_signal(from, t, sig))
            .collect();
        if allowed.is_empty() {
            return if sel == -1 { Ok(()) } else { Err(EPERM) };
        }
        if sig != 0 {
            for t in allowed {
                self.signal(t, sig, from, si::USER);
            }
        }
        Ok(())
    }

    /// Whether process `from` may send `sig` to `to` (both exist).
    fn may_signal(&self, from: u64, to: u64, sig: u64) -> bool {
        let (Some(me), Some(p)) = (self.procs.get(&from), self.procs.get(&to)) else {
            return false;
        };
        to == from || creds::may_signal(&me.creds, &p.creds) || (sig == SIGCONT && p.sid == me.sid)
    }

    /// `rt_sigqueueinfo` from `from` to process `pid`: `sig` with
    /// `si_code` `code`, the `si_pid` and `si_uid` of `who` and `value`.
    pub(super) fn sigqueue(
        &mut self,
        from: u64,
        pid: i64,
        sig: u64,
        code: i32,
        who: u64,
        value: u64,
    ) -> Result<(), Errno> {
        let to = u64::try_from(pid).map_err(|_| ESRCH)?;
        if !self.procs.contains_key(&to) {
            return Err(ESRCH);
        }
        if sig > 64 {
            return Err(EINVAL);
        }
        if !self.may_signal(from, to, sig) {
            return Err(EPERM);
        }
        if sig == 0 {
            return Ok(());
        }
        if is_realtime(sig) && self.queue_full(to) {
            return Err(EAGAIN);
        }
        let rec = SigRecord {
            sig: sig as u32,
            code,
            pid: who as u32,
            uid: (who >> 32) as u32,
            value,
        };
        self.deliver(to, rec);
        Ok(())
    }

    /// Whether the real-time signals queued for `pid` (here and in its
    /// library OS) reached its `RLIMIT_SIGPENDING`.
    fn queue_full(&self, pid: u64) -> bool {
        let Some(p) = self.procs.get(&pid) else {
            return false;
        };
        let limit = get_word(p, control::SIGQ_LIMIT);
        let held = get_word(p, control::SIGQ_HELD);
        let here = p
            .queued
            .iter()
            .filter(|r| is_realtime(u64::from(r.sig)))
            .count() as u64;
        here >= QUEUE_MAX || (limit != 0 && here.saturating_add(held) >= limit - 1)
    }

    /// The queued instances for `pid`, oldest first, as many as fit the
    /// data area; whether some are left.
    pub(super) fn sig_take(&mut self, pid: u64, out: &mut Vec<u8>) -> bool {
        let Some(p) = self.procs.get_mut(&pid) else {
            return false;
        };
        let room = DATA_BYTES / core::mem::size_of::<SigRecord>();
        let n = p.queued.len().min(room);
        for r in p.queued.drain(..n) {
            out.extend_from_slice(sysproto::zerocopy::IntoBytes::as_bytes(&r));
        }
        !p.queued.is_empty()
    }

    /// Sends `sig` to every live member of process group `pgid` (from the
    /// system: `si_code` `SI_KERNEL`).
    pub(super) fn signal_group(&mut self, pgid: u64, sig: u64) {
        let members: Vec<u64> = self
            .procs
            .iter()
            .filter(|(_, p)| p.zombie.is_none() && p.pgid == pgid)
            .map(|(k, _)| *k)
            .collect();
        for m in members {
            self.signal(m, sig, 0, si::KERNEL);
        }
    }

    /// Delivers `sig` from process `from` (0: the system) to process
    /// `pid`, with `si_code` `code`.
    pub(super) fn signal(&mut self, pid: u64, sig: u64, from: u64, code: u32) {
        let uid = self.procs.get(&from).map_or(0, |p| p.creds.ruid());
        let rec = SigRecord {
            sig: sig as u32,
            code: code as i32,
            pid: from as u32,
            uid,
            value: 0,
        };
        self.deliver(pid, rec);
    }

    /// Delivers the instance `rec` to process `pid`: SIGKILL ends it,
    /// SIGCONT continues it; any other is posted.
    pub(super) fn deliver(&mut self, pid: u64, rec: SigRecord) {
        let sig = u64::from(rec.sig);
        let Some(p) = self.procs.get(&pid) else {
            return;
        };
        if p.zombie.is_some() || !p.started {
            return;
        }
        // Init takes only signals it handles (its library OS drops the
        // rest); SIGKILL cannot be handled, so init never gets it.
        if sig == SIGKILL && pid == 1 {
            return;
        }
        if sig == SIGKILL {
            if let Some(p) = self.procs.get_mut(&pid) {
                p.exit_status = Some(status::signaled(SIGKILL as u8, false));
                let _ = exo_rt::env_kill(p.env + 2, SIGKILL);
            }
            return;
        }
        self.post_record(pid, rec);
        // SIGCONT continues a stopped process whatever it does with the
        // signal; its parent hears of it now, as on Linux.
        if sig == SIGCONT {
            self.continued(pid);
        }
    }

    /// Posts `sig` from process `from` (0: the system) with `si_code`
    /// `code` and `si_status` `value` (SIGCHLD).
    pub(super) fn post(&mut self, pid: u64, sig: u64, from: u64, code: u32, value: u64) {
        let uid = self.procs.get(&from).map_or(0, |p| p.creds.ruid());
        let rec = SigRecord {
            sig: sig as u32,
            code: code as i32,
            pid: from as u32,
            uid,
            value,
        };
        self.post_record(pid, rec);
    }

    /// Posts the instance `rec` in the process's mailbox and wakes it: a
    /// real-time signal is queued (beyond the process's limit only if no
    /// instance of it is queued here: the information is lost, the
    /// signal is not, as Linux does for `kill`); a standard one sets its
    /// bit after its sender and `si_code`/`si_status` (the low 32 bits of
    /// the value).
    fn post_record(&mut self, pid: u64, rec: SigRecord) {
        let sig = u64::from(rec.sig);
        if !(1..=64).contains(&sig) {
            return;
        }
        let full = is_realtime(sig) && self.queue_full(pid);
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.zombie.is_some() || p.mailbox_at.is_none() {
            return;
        }
        if is_realtime(sig) {
            if full && p.queued.iter().any(|r| r.sig == rec.sig) {
                return;
            }
            p.queued.push_back(rec);
            let w = get_word(p, control::PENDING_SIGNALS);
            set_word(p, control::PENDING_SIGNALS, w | 1 << (sig - 1));
            let _ = signal(p.wake, 1);
            return;
        }
        let p = &*p;
        let i = sig as usize - 1;
        set_word(
            p,
            control::SENDERS + i,
            u64::from(rec.pid) | u64::from(rec.uid) << 32,
        );
        set_word(
            p,
            control::SIGINFO + i,
            u64::from(rec.code as u32) | (rec.value & 0xffff_ffff) << 32,
        );
        // As Linux does when a signal is sent: SIGCONT discards pending
        // stop signals, a stop signal discards a pending SIGCONT.
        let stops = [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]
            .iter()
            .fold(0u64, |m, s| m | 1 << (s - 1));
        let mut w = get_word(p, control::PENDING_SIGNALS);
        if sig == SIGCONT {
            w &= !stops;
        } else if stops & 1 << i != 0 {
            w &= !(1 << (SIGCONT - 1));
        }
        set_word(p, control::PENDING_SIGNALS, w | 1 << i);
        let _ = signal(p.wake, 1);
    }

    /// The library OS of `pid` stopped (`stopped`, by `sig`) or continued.
    pub(super) fn stopped(&mut self, pid: u64, stopped: bool, sig: u64) -> Result<(), Errno> {
        if !stopped {
            self.continued(pid);
            return Ok(());
        }
        let p = self.procs.get(&pid).ok_or(ESRCH)?;
        // Linux discards SIGTSTP, SIGTTIN and SIGTTOU (default action) in
        // an orphaned process group: nobody could continue it.
        if sig != SIGSTOP && self.orphaned(p.pgid) {
            return Err(EIO);
        }
        let ppid = p.ppid;
        if let Some(p) = self.procs.get_mut(&pid) {
            p.stopped = true;
            p.stop_event = Some(status::stopped(sig as u8));
        }
        self.children_changed = true;
        self.notify_parent_job(ppid, pid, si::CLD_STOPPED, sig & 0xff);
        Ok(())
    }

    /// `pid` continues (SIGCONT): if it was stopped, its parent may collect
    /// that (`WCONTINUED`) and gets SIGCHLD.
    fn continued(&mut self, pid: u64) {
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if !p.stopped {
            return;
        }
        p.stopped = false;
        p.stop_event = Some(status::CONTINUED);
        let ppid = p.ppid;
        self.children_changed = true;
        self.notify_parent_job(ppid, pid, si::CLD_CONTINUED, SIGCONT);
    }

    /// SIGCHLD for a child's stop or continue, unless the parent asked for
    /// none (`SA_NOCLDSTOP`, or SIGCHLD ignored); the parent is woken for
    /// `wait` either way.
    fn notify_parent_job(&mut self, ppid: u64, pid: u64, code: u32, value: u64) {
        let Some(pp) = self.procs.get(&ppid) else {
            return;
        };
        let flags = get_word(pp, control::CHLD_FLAGS);
        if flags & (control::CHLD_NOCLDSTOP | control::CHLD_IGNORED) == 0 {
            self.post(ppid, SIGCHLD, pid, code, value);
        }
        self.wake(ppid);
    }
}
