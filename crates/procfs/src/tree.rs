//! The `/proc` directory model: which names exist, what they are, and a
//! typed [`Node`] per file, directory and link that the service matches
//! on to pick a generator.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::sys::{SysDir, SysFile};

/// What a name is, as `getdents` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Dir,
    File,
    Symlink,
}

impl Kind {
    /// The `d_type` value (`DT_DIR`, `DT_REG`, `DT_LNK`).
    pub fn d_type(self) -> u8 {
        match self {
            Kind::Dir => 4,
            Kind::File => 8,
            Kind::Symlink => 10,
        }
    }
}

/// Whose data a per-process node shows: `/proc/TGID/...` (`tid: None`)
/// or `/proc/TGID/task/TID/...` (`tid: Some`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Task {
    pub tgid: u64,
    pub tid: Option<u64>,
}

impl Task {
    /// A `/proc/TGID` directory.
    pub fn process(tgid: u64) -> Task {
        Task { tgid, tid: None }
    }

    /// A `/proc/TGID/task/TID` directory.
    pub fn thread(tgid: u64, tid: u64) -> Task {
        Task {
            tgid,
            tid: Some(tid),
        }
    }

    /// The id of the task whose data is shown (the tid, else the tgid).
    pub fn id(self) -> u64 {
        self.tid.unwrap_or(self.tgid)
    }
}

/// A name inside a `/proc/PID` (or `/proc/PID/task/TID`) directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PidNode {
    Cmdline,
    Comm,
    Cwd,
    Environ,
    Exe,
    /// The `fd` directory.
    FdDir,
    /// `fd/N`: a link whose target the service supplies.
    Fd(u32),
    Maps,
    Mountinfo,
    Mounts,
    Root,
    Stat,
    Statm,
    Status,
    /// The `task` directory (only in `/proc/PID`).
    TaskDir,
}

/// The fixed names of `/proc/PID` in listing order.
const PID_TABLE: [(&str, PidNode); 14] = [
    ("cmdline", PidNode::Cmdline),
    ("comm", PidNode::Comm),
    ("cwd", PidNode::Cwd),
    ("environ", PidNode::Environ),
    ("exe", PidNode::Exe),
    ("fd", PidNode::FdDir),
    ("maps", PidNode::Maps),
    ("mountinfo", PidNode::Mountinfo),
    ("mounts", PidNode::Mounts),
    ("root", PidNode::Root),
    ("stat", PidNode::Stat),
    ("statm", PidNode::Statm),
    ("status", PidNode::Status),
    ("task", PidNode::TaskDir),
];

impl PidNode {
    pub fn kind(self) -> Kind {
        match self {
            PidNode::FdDir | PidNode::TaskDir => Kind::Dir,
            PidNode::Cwd | PidNode::Exe | PidNode::Root | PidNode::Fd(_) => Kind::Symlink,
            _ => Kind::File,
        }
    }

    /// Linux's permission bits (`fd/N` links show the open mode in
    /// Linux; 0700 here is the read-write case).
    pub fn mode(self) -> u32 {
        match self {
            PidNode::Environ => 0o400,
            PidNode::Comm => 0o644,
            PidNode::FdDir => 0o500,
            PidNode::Fd(_) => 0o700,
            PidNode::TaskDir => 0o555,
            PidNode::Cwd | PidNode::Exe | PidNode::Root => 0o777,
            _ => 0o444,
        }
    }

    fn index(self) -> u64 {
        PID_TABLE
            .iter()
            .position(|&(_, n)| n == self)
            .map_or(PID_TABLE.len() as u64 + 1, |i| i as u64 + 1)
    }
}

/// A file, directory or link under `/proc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// `/proc` itself.
    Root,
    /// `/proc/self` -> the reader's tgid.
    SelfLink,
    /// `/proc/thread-self` -> `TGID/task/TID` of the reader.
    ThreadSelfLink,
    /// `/proc/mounts` -> `self/mounts`.
    MountsLink,
    Cpuinfo,
    Filesystems,
    Loadavg,
    Meminfo,
    /// `/proc/stat`.
    Stat,
    Uptime,
    Version,
    /// `/proc/sys` and its subdirectories.
    SysDir(SysDir),
    Sys(SysFile),
    /// `/proc/PID` or `/proc/PID/task/TID`.
    Pid(Task),
    /// A name inside a [`Node::Pid`] directory.
    PidFile(Task, PidNode),
}

/// The fixed names of `/proc` in listing order, before `self`,
/// `thread-self` and the process directories.
const ROOT_TABLE: [(&str, Node); 9] = [
    ("cpuinfo", Node::Cpuinfo),
    ("filesystems", Node::Filesystems),
    ("loadavg", Node::Loadavg),
    ("meminfo", Node::Meminfo),
    ("mounts", Node::MountsLink),
    ("stat", Node::Stat),
    ("sys", Node::SysDir(SysDir::Root)),
    ("uptime", Node::Uptime),
    ("version", Node::Version),
];

/// The service's view of which tasks and descriptors exist.
pub trait Tasks {
    /// Thread-group ids of the live processes, ascending.
    fn tgids(&self) -> Vec<u64>;
    /// The thread ids of process `tgid` (empty if there is none).
    fn tids(&self, tgid: u64) -> Vec<u64>;
    /// Open descriptors of task `id`, ascending.
    fn fds(&self, id: u64) -> Vec<u32>;
    /// Whether `/proc/ID` exists. Linux also resolves (without listing)
    /// the id of a thread that is no group leader; override to allow it.
    fn has_task(&self, id: u64) -> bool {
        self.tgids().contains(&id)
    }
    fn has_thread(&self, tgid: u64, tid: u64) -> bool {
        self.tids(tgid).contains(&tid)
    }
    fn has_fd(&self, id: u64, fd: u32) -> bool {
        self.fds(id).contains(&fd)
    }
}

/// A directory entry: its name and what it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub node: Node,
}

impl Entry {
    fn new(name: &str, node: Node) -> Entry {
        Entry {
            name: name.to_string(),
            node,
        }
    }

    pub fn kind(&self) -> Kind {
        self.node.kind()
    }
}

/// A decimal number as Linux accepts it in a `/proc` name: digits only,
/// no sign, no leading zero (except `0` itself), no overflow.
fn parse_number(name: &str) -> Option<u64> {
    let b = name.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    let n: u64 = name.parse().ok()?;
    (n <= i32::MAX as u64).then_some(n)
}

const PID_TAG: u64 = 1 << 60;
const THREAD_TAG: u64 = 1 << 59;

impl Node {
    pub fn kind(self) -> Kind {
        match self {
            Node::Root | Node::SysDir(_) | Node::Pid(_) => Kind::Dir,
            Node::SelfLink | Node::ThreadSelfLink | Node::MountsLink => Kind::Symlink,
            Node::PidFile(_, f) => f.kind(),
            _ => Kind::File,
        }
    }

    /// Linux's permission bits for the node.
    pub fn mode(self) -> u32 {
        match self {
            Node::Root | Node::SysDir(_) | Node::Pid(_) => 0o555,
            Node::SelfLink | Node::ThreadSelfLink | Node::MountsLink => 0o777,
            Node::Sys(f) if f.writable() => 0o644,
            Node::PidFile(_, f) => f.mode(),
            _ => 0o444,
        }
    }

    /// The task a per-process node belongs to.
    pub fn task(self) -> Option<Task> {
        match self {
            Node::Pid(t) | Node::PidFile(t, _) => Some(t),
            _ => None,
        }
    }

    /// A stable inode number, distinct for distinct nodes (ids below
    /// 2^32, descriptors below 2^21).
    pub fn ino(self) -> u64 {
        let task_base = |t: Task| {
            let via = if t.tid.is_some() { THREAD_TAG } else { 0 };
            PID_TAG | via | ((t.id() & 0xffff_ffff) << 27)
        };
        match self {
            Node::Root => 1,
            Node::SelfLink => 2,
            Node::ThreadSelfLink => 3,
            Node::SysDir(d) => match d {
                SysDir::Root => 16,
                SysDir::Fs => 17,
                SysDir::Kernel => 18,
                SysDir::Vm => 19,
            },
            Node::Sys(f) => 32 + SysFile::ALL.iter().position(|&x| x == f).unwrap_or(0) as u64,
            Node::Pid(t) => task_base(t),
            Node::PidFile(t, PidNode::Fd(n)) => {
                task_base(t) | (PidNode::Fd(0).index() << 21) | u64::from(n & 0x1f_ffff)
            }
            Node::PidFile(t, f) => task_base(t) | (f.index() << 21),
            n => 4 + ROOT_TABLE.iter().position(|&(_, x)| x == n).unwrap_or(0) as u64,
        }
    }

    /// The node of inode `ino` (the inverse of [`Node::ino`]). A thread's
    /// inode holds only its tid: `tgid_of` gives the process it is in.
    pub fn from_ino(ino: u64, tgid_of: &dyn Fn(u64) -> Option<u64>) -> Option<Node> {
        if ino & PID_TAG != 0 {
            let id = (ino >> 27) & 0xffff_ffff;
            let task = if ino & THREAD_TAG != 0 {
                Task::thread(tgid_of(id)?, id)
            } else {
                Task::process(id)
            };
            let index = (ino >> 21) & 0x3f;
            if index == 0 {
                return (ino & 0x1f_ffff == 0).then_some(Node::Pid(task));
            }
            if index == PidNode::Fd(0).index() {
                return Some(Node::PidFile(task, PidNode::Fd((ino & 0x1f_ffff) as u32)));
            }
            let &(_, f) = PID_TABLE.get(index as usize - 1)?;
            return (ino & 0x1f_ffff == 0).then_some(Node::PidFile(task, f));
        }
        Some(match ino {
            1 => Node::Root,
            2 => Node::SelfLink,
            3 => Node::ThreadSelfLink,
            16 => Node::SysDir(SysDir::Root),
            17 => Node::SysDir(SysDir::Fs),
            18 => Node::SysDir(SysDir::Kernel),
            19 => Node::SysDir(SysDir::Vm),
            32.. => Node::Sys(*SysFile::ALL.get(ino as usize - 32)?),
            4.. => ROOT_TABLE.get(ino as usize - 4)?.1,
            _ => return None,
        })
    }

    /// The target of a link that lives inside `/proc`, for a reader in
    /// thread `tid` of process `tgid`. `exe`, `cwd`, `root` and `fd/N`
    /// point outside `/proc`: the service supplies those (`None` here).
    pub fn link_target(self, tgid: u64, tid: u64) -> Option<String> {
        match self {
            Node::SelfLink => Some(format!("{tgid}")),
            Node::ThreadSelfLink => Some(format!("{tgid}/task/{tid}")),
            Node::MountsLink => Some("self/mounts".to_string()),
            _ => None,
        }
    }

    /// The directory holding this node (`Root` for `Root`).
    pub fn parent(self) -> Node {
        match self {
            Node::SysDir(SysDir::Root) => Node::Root,
            Node::SysDir(_) => Node::SysDir(SysDir::Root),
            Node::Sys(f) => Node::SysDir(f.dir()),
            Node::Pid(Task { tgid, tid: Some(_) }) => {
                Node::PidFile(Task::process(tgid), PidNode::TaskDir)
            }
            Node::PidFile(t, PidNode::Fd(_)) => Node::PidFile(t, PidNode::FdDir),
            Node::PidFile(t, _) => Node::Pid(t),
            _ => Node::Root,
        }
    }

    /// The node `name` names in directory `self`, if it exists. `.` and
    /// `..` are the caller's (see [`Node::parent`]).
    pub fn child(self, name: &str, tasks: &dyn Tasks) -> Option<Node> {
        match self {
            Node::Root => {
                if let Some(&(_, n)) = ROOT_TABLE.iter().find(|(k, _)| *k == name) {
                    return Some(n);
                }
                match name {
                    "self" => Some(Node::SelfLink),
                    "thread-self" => Some(Node::ThreadSelfLink),
                    _ => {
                        let id = parse_number(name)?;
                        tasks.has_task(id).then_some(Node::Pid(Task::process(id)))
                    }
                }
            }
            Node::SysDir(SysDir::Root) => SysDir::by_name(name).map(Node::SysDir),
            Node::SysDir(d) => SysFile::by_name(d, name).map(Node::Sys),
            Node::Pid(t) => {
                let &(_, f) = PID_TABLE.iter().find(|(k, _)| *k == name)?;
                if f == PidNode::TaskDir && t.tid.is_some() {
                    return None;
                }
                Some(Node::PidFile(t, f))
            }
            Node::PidFile(t, PidNode::FdDir) => {
                let fd = u32::try_from(parse_number(name)?).ok()?;
                tasks
                    .has_fd(t.id(), fd)
                    .then_some(Node::PidFile(t, PidNode::Fd(fd)))
            }
            Node::PidFile(t, PidNode::TaskDir) => {
                let tid = parse_number(name)?;
                tasks
                    .has_thread(t.tgid, tid)
                    .then_some(Node::Pid(Task::thread(t.tgid, tid)))
            }
            _ => None,
        }
    }

    /// The entries of directory `self` (without `.` and `..`), or `None`
    /// if it is no directory.
    pub fn entries(self, tasks: &dyn Tasks) -> Option<Vec<Entry>> {
        match self {
            Node::Root => Some(root_entries(&tasks.tgids())),
            Node::SysDir(d) => Some(sys_entries(d)),
            Node::Pid(t) => Some(pid_entries(t)),
            Node::PidFile(t, PidNode::FdDir) => Some(fd_entries(t, &tasks.fds(t.id()))),
            Node::PidFile(t, PidNode::TaskDir) => Some(task_entries(t.tgid, &tasks.tids(t.tgid))),
            _ => None,
        }
    }
}

/// `/proc`: the fixed files, `self`, `thread-self`, then one directory
/// per process in ascending order.
pub fn root_entries(tgids: &[u64]) -> Vec<Entry> {
    let mut sorted: Vec<u64> = tgids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut v: Vec<Entry> = ROOT_TABLE.iter().map(|&(k, n)| Entry::new(k, n)).collect();
    v.push(Entry::new("self", Node::SelfLink));
    v.push(Entry::new("thread-self", Node::ThreadSelfLink));
    v.extend(sorted.into_iter().map(|id| Entry {
        name: format!("{id}"),
        node: Node::Pid(Task::process(id)),
    }));
    v
}

/// `/proc/PID` (with `task`) or `/proc/PID/task/TID` (without).
pub fn pid_entries(task: Task) -> Vec<Entry> {
    PID_TABLE
        .iter()
        .filter(|&&(_, f)| !(f == PidNode::TaskDir && task.tid.is_some()))
        .map(|&(k, f)| Entry::new(k, Node::PidFile(task, f)))
        .collect()
}

/// `/proc/PID/task`: one directory per thread, ascending.
pub fn task_entries(tgid: u64, tids: &[u64]) -> Vec<Entry> {
    let mut sorted: Vec<u64> = tids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
        .into_iter()
        .map(|tid| Entry {
            name: format!("{tid}"),
            node: Node::Pid(Task::thread(tgid, tid)),
        })
        .collect()
}

/// `/proc/PID/fd`: one link per open descriptor, ascending.
pub fn fd_entries(task: Task, fds: &[u32]) -> Vec<Entry> {
    let mut sorted: Vec<u32> = fds.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
        .into_iter()
        .map(|fd| Entry {
            name: format!("{fd}"),
            node: Node::PidFile(task, PidNode::Fd(fd)),
        })
        .collect()
}

/// `/proc/sys` (its subdirectories) or one of them (its files).
pub fn sys_entries(dir: SysDir) -> Vec<Entry> {
    match dir {
        SysDir::Root => SysDir::SUBDIRS
            .iter()
            .map(|&d| Entry::new(d.name(), Node::SysDir(d)))
            .collect(),
        d => SysFile::ALL
            .iter()
            .filter(|f| f.dir() == d)
            .map(|&f| Entry::new(f.name(), Node::Sys(f)))
            .collect(),
    }
}

/// Resolves `components` (a path relative to `/proc` split on `/`) for a
/// reader in thread `tid` of process `tgid`. Empty components and `.`
/// stay, `..` goes up, and each needs a directory (so a trailing `/` on
/// a file fails, as ENOTDIR). `self`, `thread-self` and `mounts` are
/// followed before a further component; a final link is returned as the
/// link (as `lstat` sees it). Links leading out of `/proc` (`exe`,
/// `cwd`, `root`, `fd/N`) cannot be followed here: a component after
/// one gives `None`.
pub fn lookup(components: &[&str], tgid: u64, tid: u64, tasks: &dyn Tasks) -> Option<Node> {
    let mut node = Node::Root;
    for &name in components {
        // A further component: follow a link inside /proc first.
        node = match node {
            Node::SelfLink => Node::Root.child(&format!("{tgid}"), tasks)?,
            Node::ThreadSelfLink => Node::Root
                .child(&format!("{tgid}"), tasks)?
                .child("task", tasks)?
                .child(&format!("{tid}"), tasks)?,
            Node::MountsLink => Node::Root
                .child(&format!("{tgid}"), tasks)?
                .child("mounts", tasks)?,
            n => n,
        };
        if node.kind() != Kind::Dir {
            return None;
        }
        node = match name {
            "" | "." => node,
            ".." => node.parent(),
            _ => node.child(name, tasks)?,
        };
    }
    Some(node)
}
