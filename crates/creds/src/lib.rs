//! A process's credentials and Linux's rules for changing them: the user
//! and group ids (real, effective, saved and file-system), the
//! supplementary groups, and the capability sets of Linux's "root is
//! all-powerful" model (no file capabilities, default securebits, a full
//! bounding set, no ambient capabilities).
//!
//! Every `set*` call checks exactly what Linux checks (kernel/sys.c) and
//! changes nothing when it fails; the capability sets then follow the uid
//! change the way Linux's commoncap module does:
//!
//! * when the effective uid goes from 0 to nonzero, the effective set is
//!   cleared; from nonzero to 0, it becomes the permitted set;
//! * when none of the real, effective and saved uids is 0 any more (one
//!   was before), the permitted and effective sets are cleared, unless
//!   the process asked to keep them (`PR_SET_KEEPCAPS`);
//! * `setfsuid` from 0 to nonzero drops the file-system capabilities
//!   ([`cap::FS_SET`]) from the effective set; to 0 it raises them from
//!   the permitted set.
//!
//! [`Creds::exec`] is the `execve` transition (set-user-id and
//! set-group-id files, `nosuid` mounts, root's capabilities),
//! [`Creds::fs_cred`] what the file service checks against, and
//! [`may_signal`] the permission rule of `kill`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

pub use vfs::Errno;

/// The "no change" id of `setre*id` and `setres*id` (`(uid_t)-1`); as an
/// id for `setuid`, `setgid` or `setgroups` it is invalid (`EINVAL`).
pub const NO_CHANGE: u32 = u32::MAX;

/// Most supplementary groups a process may have (`NGROUPS_MAX`).
pub const NGROUPS_MAX: usize = 65536;

/// Linux's capabilities, as bits of a set (`1 << CAP_*`); the
/// file-system ones have the values of [`vfs::cap`].
pub mod cap {
    /// The bit of capability number `n`.
    pub const fn bit(n: u32) -> u64 {
        1 << n
    }

    pub const CHOWN: u64 = bit(0);
    pub const DAC_OVERRIDE: u64 = bit(1);
    pub const DAC_READ_SEARCH: u64 = bit(2);
    pub const FOWNER: u64 = bit(3);
    pub const FSETID: u64 = bit(4);
    pub const KILL: u64 = bit(5);
    pub const SETGID: u64 = bit(6);
    pub const SETUID: u64 = bit(7);
    pub const SETPCAP: u64 = bit(8);
    pub const LINUX_IMMUTABLE: u64 = bit(9);
    pub const NET_BIND_SERVICE: u64 = bit(10);
    pub const NET_BROADCAST: u64 = bit(11);
    pub const NET_ADMIN: u64 = bit(12);
    pub const NET_RAW: u64 = bit(13);
    pub const IPC_LOCK: u64 = bit(14);
    pub const IPC_OWNER: u64 = bit(15);
    pub const SYS_MODULE: u64 = bit(16);
    pub const SYS_RAWIO: u64 = bit(17);
    pub const SYS_CHROOT: u64 = bit(18);
    pub const SYS_PTRACE: u64 = bit(19);
    pub const SYS_PACCT: u64 = bit(20);
    pub const SYS_ADMIN: u64 = bit(21);
    pub const SYS_BOOT: u64 = bit(22);
    pub const SYS_NICE: u64 = bit(23);
    pub const SYS_RESOURCE: u64 = bit(24);
    pub const SYS_TIME: u64 = bit(25);
    pub const SYS_TTY_CONFIG: u64 = bit(26);
    pub const MKNOD: u64 = bit(27);
    pub const LEASE: u64 = bit(28);
    pub const AUDIT_WRITE: u64 = bit(29);
    pub const AUDIT_CONTROL: u64 = bit(30);
    pub const SETFCAP: u64 = bit(31);
    pub const MAC_OVERRIDE: u64 = bit(32);
    pub const MAC_ADMIN: u64 = bit(33);
    pub const SYSLOG: u64 = bit(34);
    pub const WAKE_ALARM: u64 = bit(35);
    pub const BLOCK_SUSPEND: u64 = bit(36);
    pub const AUDIT_READ: u64 = bit(37);
    pub const PERFMON: u64 = bit(38);
    pub const BPF: u64 = bit(39);
    pub const CHECKPOINT_RESTORE: u64 = bit(40);

    /// The highest capability number (`CAP_LAST_CAP`).
    pub const LAST_CAP: u32 = 40;
    /// Every capability: root's permitted set, and the bounding set.
    pub const ALL: u64 = (1 << (LAST_CAP + 1)) - 1;
    /// What `setfsuid` drops and raises (Linux's `CAP_FS_SET`).
    pub const FS_SET: u64 = CHOWN
        | DAC_OVERRIDE
        | DAC_READ_SEARCH
        | FOWNER
        | FSETID
        | LINUX_IMMUTABLE
        | MKNOD
        | MAC_OVERRIDE;
}

/// The file an `execve` runs, as far as credentials care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecFile {
    /// Its mode (at least the permission bits with `S_ISUID`, `S_ISGID`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// The set-id bits do not count: the file is on a `nosuid` mount (or
    /// the process has `no_new_privs`, which Linux treats the same here).
    pub nosuid: bool,
}

const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_IXGRP: u32 = 0o0010;

/// A process's credentials. Every field changes only through the Linux
/// calls below, so the sets always relate as Linux keeps them (the
/// effective capabilities within the permitted ones, the groups sorted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Creds {
    ruid: u32,
    euid: u32,
    suid: u32,
    fsuid: u32,
    rgid: u32,
    egid: u32,
    sgid: u32,
    fsgid: u32,
    /// Supplementary groups, sorted (Linux sorts what `setgroups` gets).
    groups: Vec<u32>,
    permitted: u64,
    effective: u64,
    inheritable: u64,
    /// `SECBIT_KEEP_CAPS` (`PR_SET_KEEPCAPS`): losing uid 0 keeps the
    /// permitted set. Cleared by `execve`.
    keepcaps: bool,
}

impl Creds {
    /// The first process: every id 0, every capability.
    pub fn root() -> Creds {
        Creds::new(0, 0)
    }

    /// A process of user `uid` in group `gid` as a login would make it:
    /// all ids equal, no supplementary groups, and the capabilities
    /// `execve` gives (all of them for uid 0, none otherwise).
    pub fn new(uid: u32, gid: u32) -> Creds {
        Creds::with_ids(uid, uid, uid, gid, gid, gid)
    }

    /// Credentials with the given real, effective and saved ids (the
    /// file-system ids follow the effective ones) and the capabilities a
    /// process with these ids has after `execve`: every capability
    /// permitted if the real or effective uid is 0, effective if the
    /// effective uid is 0.
    pub fn with_ids(ruid: u32, euid: u32, suid: u32, rgid: u32, egid: u32, sgid: u32) -> Creds {
        let permitted = if ruid == 0 || euid == 0 { cap::ALL } else { 0 };
        Creds {
            ruid,
            euid,
            suid,
            fsuid: euid,
            rgid,
            egid,
            sgid,
            fsgid: egid,
            groups: Vec::new(),
            permitted,
            effective: if euid == 0 { permitted } else { 0 },
            inheritable: 0,
            keepcaps: false,
        }
    }

    pub fn ruid(&self) -> u32 {
        self.ruid
    }
    pub fn euid(&self) -> u32 {
        self.euid
    }
    pub fn suid(&self) -> u32 {
        self.suid
    }
    pub fn fsuid(&self) -> u32 {
        self.fsuid
    }
    pub fn rgid(&self) -> u32 {
        self.rgid
    }
    pub fn egid(&self) -> u32 {
        self.egid
    }
    pub fn sgid(&self) -> u32 {
        self.sgid
    }
    pub fn fsgid(&self) -> u32 {
        self.fsgid
    }
    /// `getresuid`: real, effective, saved.
    pub fn getresuid(&self) -> (u32, u32, u32) {
        (self.ruid, self.euid, self.suid)
    }
    /// `getresgid`: real, effective, saved.
    pub fn getresgid(&self) -> (u32, u32, u32) {
        (self.rgid, self.egid, self.sgid)
    }
    /// The supplementary groups, sorted.
    pub fn groups(&self) -> &[u32] {
        &self.groups
    }
    pub fn permitted(&self) -> u64 {
        self.permitted
    }
    pub fn effective(&self) -> u64 {
        self.effective
    }
    pub fn inheritable(&self) -> u64 {
        self.inheritable
    }
    /// `PR_GET_KEEPCAPS`.
    pub fn keepcaps(&self) -> bool {
        self.keepcaps
    }

    /// Whether every capability of `caps` is effective (`capable()`).
    pub fn capable(&self, caps: u64) -> bool {
        self.effective & caps == caps
    }

    /// Whether `gid` is the file-system group or a supplementary group
    /// (`in_group_p`).
    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups.binary_search(&gid).is_ok()
    }

    /// `getgroups(size, list)`: the groups to copy out. `size` 0 asks
    /// only for the count (the caller copies nothing); a negative `size`,
    /// or one below the count, is `EINVAL`.
    pub fn getgroups(&self, size: i32) -> Result<&[u32], Errno> {
        if size < 0 {
            return Err(Errno::EINVAL);
        }
        if size != 0 && (size as usize) < self.groups.len() {
            return Err(Errno::EINVAL);
        }
        Ok(&self.groups)
    }

    /// The checks `setgroups(size, list)` makes before it reads the list:
    /// `EPERM` without `CAP_SETGID`, then `EINVAL` for a size past
    /// [`NGROUPS_MAX`] (or negative). Returns the number of groups to read.
    pub fn setgroups_size(&self, size: i32) -> Result<usize, Errno> {
        if !self.capable(cap::SETGID) {
            return Err(Errno::EPERM);
        }
        if size < 0 || size as usize > NGROUPS_MAX {
            return Err(Errno::EINVAL);
        }
        Ok(size as usize)
    }

    /// `setgroups`: needs `CAP_SETGID` (`EPERM`); more than
    /// [`NGROUPS_MAX`] groups, or the invalid group [`NO_CHANGE`], is
    /// `EINVAL`. The list is kept sorted, duplicates and all.
    pub fn setgroups(&mut self, list: &[u32]) -> Result<(), Errno> {
        if !self.capable(cap::SETGID) {
            return Err(Errno::EPERM);
        }
        if list.len() > NGROUPS_MAX || list.contains(&NO_CHANGE) {
            return Err(Errno::EINVAL);
        }
        let mut groups = list.to_vec();
        groups.sort_unstable();
        self.groups = groups;
        Ok(())
    }

    /// `setuid`: with `CAP_SETUID` sets the real, effective, saved and
    /// file-system uids; without it only the effective and file-system
    /// uids, to the real or saved uid (else `EPERM`).
    pub fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        if uid == NO_CHANGE {
            return Err(Errno::EINVAL);
        }
        let old = self.uids();
        if self.capable(cap::SETUID) {
            self.ruid = uid;
            self.suid = uid;
        } else if uid != self.ruid && uid != self.suid {
            return Err(Errno::EPERM);
        }
        self.euid = uid;
        self.fsuid = uid;
        self.fix_setxuid(old);
        Ok(())
    }

    /// `setgid`: as [`Creds::setuid`] for groups, with `CAP_SETGID`.
    pub fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        if gid == NO_CHANGE {
            return Err(Errno::EINVAL);
        }
        if self.capable(cap::SETGID) {
            self.rgid = gid;
            self.sgid = gid;
        } else if gid != self.rgid && gid != self.sgid {
            return Err(Errno::EPERM);
        }
        self.egid = gid;
        self.fsgid = gid;
        Ok(())
    }

    /// `setreuid` ([`NO_CHANGE`] keeps an id). Without `CAP_SETUID` the
    /// real uid may become the real or effective one, the effective uid
    /// the real, effective or saved one (else `EPERM`). The saved uid
    /// becomes the new effective one when the real uid is given or the
    /// effective one is set to other than the old real uid; the
    /// file-system uid always follows the effective one.
    pub fn setreuid(&mut self, ruid: u32, euid: u32) -> Result<(), Errno> {
        let privileged = self.capable(cap::SETUID);
        if ruid != NO_CHANGE && !privileged && ruid != self.ruid && ruid != self.euid {
            return Err(Errno::EPERM);
        }
        if euid != NO_CHANGE
            && !privileged
            && euid != self.ruid
            && euid != self.euid
            && euid != self.suid
        {
            return Err(Errno::EPERM);
        }
        let old = self.uids();
        if ruid != NO_CHANGE {
            self.ruid = ruid;
        }
        if euid != NO_CHANGE {
            self.euid = euid;
        }
        if ruid != NO_CHANGE || (euid != NO_CHANGE && euid != old.0) {
            self.suid = self.euid;
        }
        self.fsuid = self.euid;
        self.fix_setxuid(old);
        Ok(())
    }

    /// `setregid`: as [`Creds::setreuid`] for groups, with `CAP_SETGID`.
    pub fn setregid(&mut self, rgid: u32, egid: u32) -> Result<(), Errno> {
        let privileged = self.capable(cap::SETGID);
        if rgid != NO_CHANGE && !privileged && rgid != self.rgid && rgid != self.egid {
            return Err(Errno::EPERM);
        }
        if egid != NO_CHANGE
            && !privileged
            && egid != self.rgid
            && egid != self.egid
            && egid != self.sgid
        {
            return Err(Errno::EPERM);
        }
        let old_rgid = self.rgid;
        if rgid != NO_CHANGE {
            self.rgid = rgid;
        }
        if egid != NO_CHANGE {
            self.egid = egid;
        }
        if rgid != NO_CHANGE || (egid != NO_CHANGE && egid != old_rgid) {
            self.sgid = self.egid;
        }
        self.fsgid = self.egid;
        Ok(())
    }

    /// `setresuid` ([`NO_CHANGE`] keeps an id). Without `CAP_SETUID`
    /// each given id must be one of the current real, effective and saved
    /// uids (else `EPERM`). The file-system uid follows the effective
    /// one, except that a call that would change nothing at all (every
    /// given id already held, a given effective uid also the file-system
    /// uid) returns at once, as Linux does, leaving a different
    /// file-system uid alone.
    pub fn setresuid(&mut self, ruid: u32, euid: u32, suid: u32) -> Result<(), Errno> {
        if (ruid == NO_CHANGE || ruid == self.ruid)
            && (euid == NO_CHANGE || (euid == self.euid && euid == self.fsuid))
            && (suid == NO_CHANGE || suid == self.suid)
        {
            return Ok(());
        }
        if !self.capable(cap::SETUID) {
            let held =
                |id: u32| id == NO_CHANGE || id == self.ruid || id == self.euid || id == self.suid;
            if !held(ruid) || !held(euid) || !held(suid) {
                return Err(Errno::EPERM);
            }
        }
        let old = self.uids();
        if ruid != NO_CHANGE {
            self.ruid = ruid;
        }
        if euid != NO_CHANGE {
            self.euid = euid;
        }
        if suid != NO_CHANGE {
            self.suid = suid;
        }
        self.fsuid = self.euid;
        self.fix_setxuid(old);
        Ok(())
    }

    /// `setresgid`: as [`Creds::setresuid`] for groups, with
    /// `CAP_SETGID`.
    pub fn setresgid(&mut self, rgid: u32, egid: u32, sgid: u32) -> Result<(), Errno> {
        if (rgid == NO_CHANGE || rgid == self.rgid)
            && (egid == NO_CHANGE || (egid == self.egid && egid == self.fsgid))
            && (sgid == NO_CHANGE || sgid == self.sgid)
        {
            return Ok(());
        }
        if !self.capable(cap::SETGID) {
            let held =
                |id: u32| id == NO_CHANGE || id == self.rgid || id == self.egid || id == self.sgid;
            if !held(rgid) || !held(egid) || !held(sgid) {
                return Err(Errno::EPERM);
            }
        }
        if rgid != NO_CHANGE {
            self.rgid = rgid;
        }
        if egid != NO_CHANGE {
            self.egid = egid;
        }
        if sgid != NO_CHANGE {
            self.sgid = sgid;
        }
        self.fsgid = self.egid;
        Ok(())
    }

    /// `setfsuid`: returns the file-system uid as it was, and changes it
    /// to `uid` if that is the real, effective, saved or file-system uid,
    /// or with `CAP_SETUID`; [`NO_CHANGE`] never changes it (the way to
    /// ask). Leaving or taking uid 0 drops or raises [`cap::FS_SET`].
    pub fn setfsuid(&mut self, uid: u32) -> u32 {
        let old = self.fsuid;
        if uid == NO_CHANGE || uid == old {
            return old;
        }
        if uid == self.ruid || uid == self.euid || uid == self.suid || self.capable(cap::SETUID) {
            self.fsuid = uid;
            if old == 0 && uid != 0 {
                self.effective &= !cap::FS_SET;
            }
            if old != 0 && uid == 0 {
                self.effective |= self.permitted & cap::FS_SET;
            }
        }
        old
    }

    /// `setfsgid`: as [`Creds::setfsuid`] for groups, with `CAP_SETGID`
    /// (and no capability change).
    pub fn setfsgid(&mut self, gid: u32) -> u32 {
        let old = self.fsgid;
        if gid == NO_CHANGE || gid == old {
            return old;
        }
        if gid == self.rgid || gid == self.egid || gid == self.sgid || self.capable(cap::SETGID) {
            self.fsgid = gid;
        }
        old
    }

    /// `prctl(PR_SET_KEEPCAPS, arg)`: 0 or 1, anything else `EINVAL`.
    pub fn set_keepcaps(&mut self, arg: u64) -> Result<(), Errno> {
        match arg {
            0 => self.keepcaps = false,
            1 => self.keepcaps = true,
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// `capset` on the calling process. Bits past [`cap::LAST_CAP`] are
    /// ignored. `EPERM` when the permitted set would grow, the effective
    /// set would reach past the new permitted one, or (without
    /// `CAP_SETPCAP`) the inheritable set would reach past the old
    /// inheritable and permitted ones.
    pub fn capset(
        &mut self,
        effective: u64,
        permitted: u64,
        inheritable: u64,
    ) -> Result<(), Errno> {
        let (effective, permitted, inheritable) = (
            effective & cap::ALL,
            permitted & cap::ALL,
            inheritable & cap::ALL,
        );
        if !self.capable(cap::SETPCAP) && inheritable & !(self.inheritable | self.permitted) != 0 {
            return Err(Errno::EPERM);
        }
        if permitted & !self.permitted != 0 || effective & !permitted != 0 {
            return Err(Errno::EPERM);
        }
        self.effective = effective;
        self.permitted = permitted;
        self.inheritable = inheritable;
        Ok(())
    }

    /// The `execve` transition for running `file`. A set-user-id file
    /// makes its owner the effective uid; a set-group-id file that is
    /// also group-executable makes its group the effective gid (neither
    /// on a `nosuid` file). The saved and file-system ids become the
    /// effective ones. Then root's rule: if the real or the new effective
    /// uid is 0 every capability (the bounding set and the inheritable
    /// ones) is permitted, otherwise none; they are effective if the
    /// effective uid is 0. `keepcaps` is cleared. Returns whether the
    /// exec is privilege-raising (`AT_SECURE`).
    pub fn exec(&mut self, file: &ExecFile) -> bool {
        let (old_ruid, old_rgid) = (self.ruid, self.rgid);
        if !file.nosuid {
            if file.mode & S_ISUID != 0 {
                self.euid = file.uid;
            }
            if file.mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP {
                self.egid = file.gid;
            }
        }
        let effective = self.euid == 0;
        self.permitted = if self.euid == 0 || self.ruid == 0 {
            cap::ALL | self.inheritable
        } else {
            0
        };
        self.suid = self.euid;
        self.fsuid = self.euid;
        self.sgid = self.egid;
        self.fsgid = self.egid;
        self.effective = if effective { self.permitted } else { 0 };
        self.keepcaps = false;
        let setid = self.euid != old_ruid || self.egid != old_rgid;
        setid || (self.ruid != 0 && (effective || self.permitted != 0))
    }

    /// What the file service checks: the file-system ids, the
    /// supplementary groups and the effective capabilities.
    pub fn fs_cred(&self) -> vfs::Cred {
        vfs::Cred {
            uid: self.fsuid,
            gid: self.fsgid,
            groups: self.groups.clone(),
            caps: self.effective,
        }
    }

    fn uids(&self) -> (u32, u32, u32) {
        (self.ruid, self.euid, self.suid)
    }

    /// The capability changes that follow a `setuid`, `setreuid` or
    /// `setresuid` from the uids `old` (real, effective, saved).
    fn fix_setxuid(&mut self, old: (u32, u32, u32)) {
        let (ruid, euid, suid) = old;
        let was_root = ruid == 0 || euid == 0 || suid == 0;
        let is_root = self.ruid == 0 || self.euid == 0 || self.suid == 0;
        if was_root && !is_root && !self.keepcaps {
            self.permitted = 0;
            self.effective = 0;
        }
        if euid == 0 && self.euid != 0 {
            self.effective = 0;
        }
        if euid != 0 && self.euid == 0 {
            self.effective = self.permitted;
        }
    }
}

/// Whether `sender` may send a signal to `target` (`kill`): with
/// `CAP_KILL`, or when the sender's real or effective uid is the target's
/// real or saved uid. (Linux also lets `SIGCONT` reach any process of the
/// sender's session; the caller checks that.)
pub fn may_signal(sender: &Creds, target: &Creds) -> bool {
    sender.capable(cap::KILL)
        || sender.euid == target.suid
        || sender.euid == target.ruid
        || sender.ruid == target.suid
        || sender.ruid == target.ruid
}

#[cfg(test)]
mod tests;
