//! `/proc`: the process table as a file system. Its nodes are numbered
//! by what they show ([`Node`]); their text is made when a file is opened
//! (from the server's state at that moment), as Linux's seq files are on
//! the first read. Directories list the live processes; `self` is a link
//! to the asking process's directory.

use alloc::string::String;
use alloc::vec::Vec;

use sysproto::Errno::{self, *};
use vfs::{Attr, FileType, Fs, Ino, Time};

use super::{Proc, Server};
use crate::fs::Files;
use alloc::collections::BTreeMap;

/// The inode of `/proc`.
pub const PROC_ROOT: Ino = 1;

/// The files of `/proc` itself: name, inode, type.
const TOP: &[(&str, Ino, FileType)] = &[
    ("self", 2, FileType::Symlink),
    ("mounts", 3, FileType::Symlink),
    ("meminfo", 4, FileType::Regular),
    ("uptime", 5, FileType::Regular),
    ("version", 6, FileType::Regular),
    ("filesystems", 7, FileType::Regular),
];

/// The files of each `/proc/PID`: name, number within it, type.
const PER_PID: &[(&str, Ino, FileType)] = &[
    ("exe", 1, FileType::Symlink),
    ("cwd", 2, FileType::Symlink),
    ("root", 3, FileType::Symlink),
    ("mounts", 4, FileType::Regular),
];

/// Bits of a per-process inode that say which file it is.
const PID_SHIFT: u32 = 8;

/// What a `/proc` inode shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Root,
    /// A file of `/proc` itself (its inode).
    Top(Ino),
    /// `/proc/PID`.
    PidDir(u64),
    /// A file of `/proc/PID` (its number).
    Pid(u64, Ino),
}

impl Node {
    pub fn of(ino: Ino) -> Node {
        if ino == PROC_ROOT {
            Node::Root
        } else if ino < 1 << PID_SHIFT {
            Node::Top(ino)
        } else if ino & 0xff == 0 {
            Node::PidDir(ino >> PID_SHIFT)
        } else {
            Node::Pid(ino >> PID_SHIFT, ino & 0xff)
        }
    }
}

/// `/proc` as process `me` sees it.
pub struct ProcFs<'a> {
    pub procs: &'a BTreeMap<u64, Proc>,
    pub files: &'a Files,
    pub me: u64,
}

impl ProcFs<'_> {
    fn live(&self, pid: u64) -> Option<&Proc> {
        self.procs
            .get(&pid)
            .filter(|p| p.zombie.is_none() && p.started)
    }

    /// The entries of directory `dir` (after `.` and `..`).
    pub fn entries(&self, dir: Ino) -> Result<Vec<(Ino, FileType, Vec<u8>)>, Errno> {
        let mut out = Vec::new();
        match Node::of(dir) {
            Node::Root => {
                for &(name, ino, t) in TOP {
                    out.push((ino, t, name.as_bytes().to_vec()));
                }
                for (&pid, p) in self.procs {
                    if p.zombie.is_none() && p.started {
                        out.push((
                            pid << PID_SHIFT,
                            FileType::Directory,
                            alloc::format!("{pid}").into_bytes(),
                        ));
                    }
                }
            }
            Node::PidDir(pid) => {
                self.live(pid).ok_or(ENOENT)?;
                for &(name, k, t) in PER_PID {
                    out.push(((pid << PID_SHIFT) | k, t, name.as_bytes().to_vec()));
                }
            }
            _ => return Err(ENOTDIR),
        }
        Ok(out)
    }

    /// The text of the file `ino` now.
    pub fn text(
        &self,
        server_meminfo: impl FnOnce() -> String,
        ino: Ino,
    ) -> Result<Vec<u8>, Errno> {
        Ok(match Node::of(ino) {
            Node::Top(4) => server_meminfo().into_bytes(),
            Node::Top(5) => {
                let ns = exo_rt::info::now_ns();
                alloc::format!("{}.{:02} 0.00\n", ns / 1_000_000_000, ns / 10_000_000 % 100)
                    .into_bytes()
            }
            Node::Top(6) => alloc::format!(
                "Linux version 6.1.0-exov6 (exov6@exov6) (rustc) #1 SMP {}\n",
                "ExoV6"
            )
            .into_bytes(),
            Node::Top(7) => {
                b"nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\trootfs\n"
                    .to_vec()
            }
            Node::Pid(_, 4) => {
                let mut s = Vec::new();
                for (path, info) in self.files.mount_list(self) {
                    s.extend_from_slice(info.source.as_bytes());
                    s.push(b' ');
                    for &b in &path {
                        match b {
                            b' ' | b'\t' | b'\n' | b'\\' => {
                                s.extend_from_slice(alloc::format!("\\{b:03o}").as_bytes())
                            }
                            _ => s.push(b),
                        }
                    }
                    s.extend_from_slice(
                        alloc::format!(" {} {} 0 0\n", info.fstype, info.options).as_bytes(),
                    );
                }
                s
            }
            _ => return Err(EINVAL),
        })
    }
}

impl Fs for ProcFs<'_> {
    fn root(&self) -> Ino {
        PROC_ROOT
    }

    fn getattr(&self, ino: Ino) -> Result<Attr, Errno> {
        let (ftype, perm) = match Node::of(ino) {
            Node::Root => (FileType::Directory, 0o555),
            Node::Top(i) => {
                let &(_, _, t) = TOP.iter().find(|e| e.1 == i).ok_or(ENOENT)?;
                (t, if t == FileType::Symlink { 0o777 } else { 0o444 })
            }
            Node::PidDir(pid) => {
                self.live(pid).ok_or(ENOENT)?;
                (FileType::Directory, 0o555)
            }
            Node::Pid(pid, k) => {
                self.live(pid).ok_or(ENOENT)?;
                let &(_, _, t) = PER_PID.iter().find(|e| e.1 == k).ok_or(ENOENT)?;
                (t, if t == FileType::Symlink { 0o777 } else { 0o444 })
            }
        };
        let t = Time::default();
        Ok(Attr {
            ino,
            ftype,
            perm,
            nlink: if ftype == FileType::Directory { 2 } else { 1 },
            uid: 0,
            gid: 0,
            size: 0,
            blocks: 0,
            rdev: 0,
            atime: t,
            mtime: t,
            ctime: t,
            btime: None,
        })
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        if let Node::Root = Node::of(dir) {
            if let Some(pid) = core::str::from_utf8(name)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
            {
                if name[0] != b'0' && self.live(pid).is_some() && pid < 1 << 48 {
                    return Ok(pid << PID_SHIFT);
                }
                return Err(ENOENT);
            }
        }
        self.entries(dir)?
            .into_iter()
            .find(|e| e.2 == name)
            .map(|e| e.0)
            .ok_or(ENOENT)
    }

    fn parent(&self, dir: Ino) -> Result<Ino, Errno> {
        Ok(match Node::of(dir) {
            Node::Root | Node::PidDir(_) => PROC_ROOT,
            _ => return Err(ENOTDIR),
        })
    }

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        match Node::of(ino) {
            Node::Top(2) => Ok(alloc::format!("{}", self.me).into_bytes()),
            Node::Top(3) => Ok(b"self/mounts".to_vec()),
            Node::Pid(pid, k @ 1..=3) => {
                let p = self.live(pid).ok_or(ENOENT)?;
                match k {
                    1 if !p.exe.is_empty() => Ok(p.exe.clone()),
                    1 => Err(ENOENT),
                    2 => self.files.dir_path(self, p.root, p.cwd),
                    _ => Ok(b"/".to_vec()),
                }
            }
            _ => Err(EINVAL),
        }
    }

    fn name_of(&self, dir: Ino, child: Ino) -> Result<Vec<u8>, Errno> {
        self.entries(dir)?
            .into_iter()
            .find(|e| e.0 == child)
            .map(|e| e.2)
            .ok_or(ENOENT)
    }
}

impl Server {
    /// `/proc` as `pid` sees it.
    pub(super) fn procfs(&self, pid: u64) -> ProcFs<'_> {
        ProcFs {
            procs: &self.procs,
            files: &self.fs,
            me: pid,
        }
    }
}
