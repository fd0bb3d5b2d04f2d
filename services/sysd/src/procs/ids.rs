//! Process credentials: the `set*id` family and the supplementary groups
//! by Linux's rules (`creds`), and the set-user-id and set-group-id bits
//! of a program at exec. The new ids go to the process's control page,
//! where its library OS answers `getuid` and the rest from.

use alloc::vec::Vec;

use super::*;
use sysproto::ids;

impl Server {
    /// One of the `set*id` calls; the old id for the `setfs*` pair.
    pub(super) fn set_ids(&mut self, pid: u64, r: sys::SetIds) -> Result<u64, Errno> {
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        let mut c = p.creds.clone();
        let id = |v: u64| v as u32;
        let mut old = 0;
        match r.op {
            ids::SETUID => c.setuid(id(r.a))?,
            ids::SETGID => c.setgid(id(r.a))?,
            ids::SETREUID => c.setreuid(id(r.a), id(r.b))?,
            ids::SETREGID => c.setregid(id(r.a), id(r.b))?,
            ids::SETRESUID => c.setresuid(id(r.a), id(r.b), id(r.c))?,
            ids::SETRESGID => c.setresgid(id(r.a), id(r.b), id(r.c))?,
            ids::SETFSUID => old = u64::from(c.setfsuid(id(r.a))),
            ids::SETFSGID => old = u64::from(c.setfsgid(id(r.a))),
            _ => return Err(EINVAL),
        }
        p.set_creds(c);
        Ok(old)
    }

    /// One part of a `setgroups` of `count` ids: those from index `at` on
    /// in `list` (as many as the data area holds, or the rest). The
    /// permission and the size are checked first (`EPERM`, `EINVAL`, as
    /// Linux does before it reads the list); a part shorter than it
    /// should be is `EFAULT` (the library OS could not read the list);
    /// a part out of order `EINVAL`. The last part sets the groups.
    pub(super) fn set_groups(
        &mut self,
        pid: u64,
        count: u64,
        at: u64,
        list: &[u8],
    ) -> Result<(), Errno> {
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        let n = p.creds.setgroups_size(count as i32)?;
        if at == 0 {
            p.groups_staged.clear();
        }
        if at != p.groups_staged.len() as u64 || at as usize > n {
            p.groups_staged = Vec::new();
            return Err(EINVAL);
        }
        let part = (n - at as usize).min(DATA_BYTES / 4);
        if list.len() < part * 4 {
            p.groups_staged = Vec::new();
            return Err(EFAULT);
        }
        p.groups_staged.extend(
            list[..part * 4]
                .chunks(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        if p.groups_staged.len() < n {
            return Ok(());
        }
        let groups = core::mem::take(&mut p.groups_staged);
        let mut c = p.creds.clone();
        c.setgroups(&groups)?;
        p.set_creds(c);
        Ok(())
    }

    /// How many supplementary groups, and those from index `at` on that
    /// fit the data area, `u32` each.
    pub(super) fn get_groups(&self, pid: u64, at: u64) -> (u64, Vec<u8>) {
        let g = self.procs[&pid].creds.groups();
        let from = (at as usize).min(g.len());
        let part = &g[from..(from + DATA_BYTES / 4).min(g.len())];
        (
            g.len() as u64,
            part.iter().flat_map(|g| g.to_le_bytes()).collect(),
        )
    }

    /// The credentials change an exec of the file at `loc` makes (its
    /// set-user-id and set-group-id bits).
    pub(super) fn exec_creds(&mut self, pid: u64, loc: Option<vfs::walk::Loc>) {
        let Some(a) = loc.and_then(|l| self.attr(pid, l).ok()) else {
            return;
        };
        let file = creds::ExecFile {
            mode: a.mode(),
            uid: a.uid,
            gid: a.gid,
            nosuid: false,
        };
        if let Some(p) = self.procs.get_mut(&pid) {
            let mut c = p.creds.clone();
            c.exec(&file);
            p.set_creds(c);
        }
    }
}
