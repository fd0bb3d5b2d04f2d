//! Process groups and sessions, and the console as their controlling
//! terminal, with Linux's rules: `setpgid`, `setsid`, orphaned process
//! groups (SIGHUP and SIGCONT to one left with stopped members), the
//! controlling process's end, and job control at the terminal (SIGTTIN
//! and SIGTTOU for background processes, `EIO` where no one could
//! continue them).

use alloc::vec::Vec;

use super::*;

impl Server {
    pub(super) fn setpgid(&mut self, pid: u64, who: u64, pgid: u64) -> Result<(), Errno> {
        // pid_t arguments.
        let (who, pgid) = (who as i32, pgid as i32);
        if pgid < 0 || who < 0 {
            return Err(if pgid < 0 { EINVAL } else { ESRCH });
        }
        let who = if who == 0 { pid } else { who as u64 };
        let pgid = if pgid == 0 { who } else { pgid as u64 };
        let my_sid = self.procs[&pid].sid;
        let p = self.procs.get(&who).ok_or(ESRCH)?;
        if who != pid {
            if p.ppid != pid || !p.started {
                return Err(ESRCH);
            }
            if p.sid != my_sid {
                return Err(EPERM);
            }
            if p.execed {
                return Err(EACCES);
            }
        }
        if p.sid == who {
            // A session leader stays in its own group.
            return Err(EPERM);
        }
        if pgid != who
            && !self
                .procs
                .values()
                .any(|g| g.pgid == pgid && g.sid == my_sid)
        {
            return Err(EPERM);
        }
        if let Some(p) = self.procs.get_mut(&who) {
            p.pgid = pgid;
        }
        self.publish_job_words();
        Ok(())
    }

    pub(super) fn setsid(&mut self, pid: u64) -> Result<u64, Errno> {
        // Linux: no process (a zombie neither) may have a process group
        // with the caller's id, so a group leader cannot start a session.
        if self.procs.values().any(|p| p.pgid == pid) {
            return Err(EPERM);
        }
        if let Some(p) = self.procs.get_mut(&pid) {
            p.sid = pid;
            p.pgid = pid;
        }
        // The new session has no controlling terminal.
        self.publish_job_words();
        Ok(pid)
    }

    /// Whether process group `pgid` is orphaned: no live member has a
    /// parent (other than init) in another group of the same session.
    pub(super) fn orphaned(&self, pgid: u64) -> bool {
        !self.procs.values().any(|m| {
            m.pgid == pgid
                && m.zombie.is_none()
                && m.ppid != 1
                && self
                    .procs
                    .get(&m.ppid)
                    .is_some_and(|pp| pp.pgid != pgid && pp.sid == m.sid)
        })
    }

    /// SIGHUP and then SIGCONT to group `pgid` if it is orphaned and has a
    /// stopped member (POSIX: an orphaned group must not stay stopped).
    pub(super) fn hangup_if_orphaned(&mut self, pgid: u64) {
        let stopped = self
            .procs
            .values()
            .any(|m| m.pgid == pgid && m.zombie.is_none() && m.stopped);
        if stopped && self.orphaned(pgid) {
            self.signal_group(pgid, SIGHUP);
            self.signal_group(pgid, SIGCONT);
        }
    }

    /// A process of group `pgid` (session `sid`) whose parent is `ppid`
    /// ended: if it was what kept its group from being orphaned, the group
    /// is hung up as [`Self::hangup_if_orphaned`] says.
    pub(super) fn orphan_check_own_group(&mut self, ppid: u64, pgid: u64, sid: u64) {
        let linked = self
            .procs
            .get(&ppid)
            .is_some_and(|pp| pp.pgid != pgid && pp.sid == sid);
        if linked {
            self.hangup_if_orphaned(pgid);
        }
    }

    /// The controlling process (the leader of the console's session)
    /// ended: the foreground group gets SIGHUP and the console belongs to
    /// no session.
    pub(super) fn controlling_process_gone(&mut self) {
        let fg = self.tty.pgrp;
        self.tty.session = 0;
        self.tty.pgrp = 0;
        if fg != 0 {
            self.signal_group(fg, SIGHUP);
        }
    }

    /// Writes every process's [`control::TTY_JOB`] word.
    pub(super) fn publish_job_words(&self) {
        let tostop = if self.tty.tostop() {
            control::TTY_TOSTOP
        } else {
            0
        };
        for p in self.procs.values() {
            let bg = self.background(p);
            set_word(p, control::TTY_JOB, tostop | u64::from(bg));
        }
    }

    /// Whether the console is `p`'s controlling terminal and `p` is not in
    /// its foreground process group.
    fn background(&self, p: &Proc) -> bool {
        self.tty.session != 0
            && p.sid == self.tty.session
            && self.tty.pgrp != 0
            && p.pgid != self.tty.pgrp
    }

    /// Whether the console is `pid`'s controlling terminal.
    pub(super) fn controls(&self, pid: u64) -> bool {
        self.tty.session != 0
            && self
                .procs
                .get(&pid)
                .is_some_and(|p| p.sid == self.tty.session)
    }

    /// Linux's check before a process reads (`write` false) or writes or
    /// changes (`write` true) its controlling terminal: a background
    /// process's group gets SIGTTIN or SIGTTOU and the call is made again
    /// later (`Err(ERESTARTSYS)`); if the caller ignores or blocks the
    /// signal (`ignored`) a write goes ahead and a read fails with `EIO`;
    /// an orphaned group gets `EIO`.
    pub(super) fn job_check(&mut self, pid: u64, write: bool, ignored: bool) -> Result<(), Errno> {
        let p = self.procs.get(&pid).ok_or(ESRCH)?;
        if !self.background(p) {
            return Ok(());
        }
        let pgid = p.pgid;
        if ignored {
            return if write { Ok(()) } else { Err(EIO) };
        }
        if self.orphaned(pgid) {
            return Err(EIO);
        }
        self.signal_group(pgid, if write { SIGTTOU } else { SIGTTIN });
        Err(ERESTARTSYS)
    }

    /// `TIOCSPGRP`: the foreground process group of the caller's
    /// controlling terminal becomes `pgrp`.
    pub(super) fn set_foreground(&mut self, pid: u64, pgrp: i32) -> Result<(), Errno> {
        if !self.controls(pid) {
            return Err(ENOTTY);
        }
        if pgrp < 0 {
            return Err(EINVAL);
        }
        let pgrp = pgrp as u64;
        let sessions: Vec<u64> = self
            .procs
            .values()
            .filter(|p| p.pgid == pgrp)
            .map(|p| p.sid)
            .collect();
        if sessions.is_empty() {
            return Err(ESRCH);
        }
        if sessions.iter().any(|s| *s != self.tty.session) {
            return Err(EPERM);
        }
        self.tty.pgrp = pgrp;
        self.publish_job_words();
        Ok(())
    }

    /// `TIOCSCTTY`: the caller, a session leader without a controlling
    /// terminal, makes the console its own (`steal` = 1 takes it from
    /// another session: everyone runs as root).
    pub(super) fn take_terminal(&mut self, pid: u64, steal: bool) -> Result<(), Errno> {
        let (sid, pgid) = {
            let p = &self.procs[&pid];
            (p.sid, p.pgid)
        };
        if sid == pid && self.tty.session == sid {
            return Ok(());
        }
        if sid != pid {
            return Err(EPERM);
        }
        if self.tty.session != 0 && !steal {
            return Err(EPERM);
        }
        self.tty.session = sid;
        self.tty.pgrp = pgid;
        self.publish_job_words();
        Ok(())
    }
}
