//! Signals between processes: `kill` (to a process, a process group or
//! everyone), posting a signal with its sender and `si_code` in the
//! target's mailbox, and stops and continues, which the parent learns of
//! through `wait` and SIGCHLD.

use alloc::vec::Vec;

use sysproto::si;

use super::*;

impl Server {
    pub(super) fn kill(&mut self, from: u64, sel: i64, sig: u64) -> Result<(), Errno> {
        if sig > 64 {
            return Err(EINVAL);
        }
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
        // Linux's permission to signal: CAP_KILL, matching ids, or
        // SIGCONT within the session; refused for every target is EPERM.
        let me = &self.procs[&from];
        let allowed: Vec<u64> = targets
            .into_iter()
            .filter(|t| {
                let p = &self.procs[t];
                *t == from
                    || creds::may_signal(&me.creds, &p.creds)
                    || (sig == SIGCONT && p.sid == me.sid)
            })
            .collect();
        if allowed.is_empty() {
            return Err(EPERM);
        }
        if sig != 0 {
            for t in allowed {
                self.signal(t, sig, from, si::USER);
            }
        }
        Ok(())
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
        self.post(pid, sig, from, code, 0);
        // SIGCONT continues a stopped process whatever it does with the
        // signal; its parent hears of it now, as on Linux.
        if sig == SIGCONT {
            self.continued(pid);
        }
    }

    /// Sets the signal's bit (after its sender and `si_code`/`si_status`)
    /// in the process's mailbox and wakes it.
    pub(super) fn post(&mut self, pid: u64, sig: u64, from: u64, code: u32, value: u64) {
        if !(1..=64).contains(&sig) {
            return;
        }
        let Some(p) = self.procs.get(&pid) else {
            return;
        };
        if p.zombie.is_some() || p.mailbox_at.is_none() {
            return;
        }
        let i = sig as usize - 1;
        set_word(p, control::SENDERS + i, from);
        set_word(p, control::SIGINFO + i, u64::from(code) | value << 32);
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
