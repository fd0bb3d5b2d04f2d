//! The /proc directory model: listings, lookups, links, inode numbers.

use std::collections::{BTreeMap, HashSet};

use procfs::*;

/// Processes 1 (threads 1) and 42 (threads 42, 43); fds per task id.
struct World {
    threads: BTreeMap<u64, Vec<u64>>,
    fds: BTreeMap<u64, Vec<u32>>,
}

fn world() -> World {
    World {
        threads: [(1, vec![1]), (42, vec![42, 43])].into_iter().collect(),
        fds: [
            (1, vec![0, 1, 2]),
            (42, vec![0, 1, 2, 10]),
            (43, vec![0, 1, 2, 10]),
        ]
        .into_iter()
        .collect(),
    }
}

impl Tasks for World {
    fn tgids(&self) -> Vec<u64> {
        self.threads.keys().copied().collect()
    }
    fn tids(&self, tgid: u64) -> Vec<u64> {
        self.threads.get(&tgid).cloned().unwrap_or_default()
    }
    fn fds(&self, id: u64) -> Vec<u32> {
        self.fds.get(&id).cloned().unwrap_or_default()
    }
}

fn names(v: &[Entry]) -> Vec<(&str, u8)> {
    v.iter()
        .map(|e| (e.name.as_str(), e.kind().d_type()))
        .collect()
}

#[test]
fn root_listing() {
    let w = world();
    let v = Node::Root.entries(&w).unwrap();
    assert_eq!(
        names(&v),
        [
            ("cpuinfo", 8),
            ("filesystems", 8),
            ("loadavg", 8),
            ("meminfo", 8),
            ("mounts", 10),
            ("stat", 8),
            ("sys", 4),
            ("uptime", 8),
            ("version", 8),
            ("self", 10),
            ("thread-self", 10),
            ("1", 4),
            ("42", 4),
        ]
    );
    assert_eq!(
        root_entries(&[9, 3, 9])
            .iter()
            .filter(|e| e.kind() == Kind::Dir)
            .count(),
        3
    );
}

#[test]
fn pid_listing_and_thread_listing() {
    let p = pid_entries(Task::process(42));
    let n: Vec<&str> = p.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        n,
        [
            "cmdline",
            "comm",
            "cwd",
            "environ",
            "exe",
            "fd",
            "maps",
            "mountinfo",
            "mounts",
            "root",
            "stat",
            "statm",
            "status",
            "task"
        ]
    );
    let kinds: Vec<(&str, Kind)> = p.iter().map(|e| (e.name.as_str(), e.kind())).collect();
    assert!(kinds.contains(&("exe", Kind::Symlink)));
    assert!(kinds.contains(&("fd", Kind::Dir)));
    assert!(kinds.contains(&("status", Kind::File)));
    let t = pid_entries(Task::thread(42, 43));
    assert_eq!(t.len(), p.len() - 1);
    assert!(t.iter().all(|e| e.name != "task"));
    let w = world();
    let tasks = Node::PidFile(Task::process(42), PidNode::TaskDir)
        .entries(&w)
        .unwrap();
    assert_eq!(names(&tasks), [("42", 4), ("43", 4)]);
    assert_eq!(tasks[1].node, Node::Pid(Task::thread(42, 43)));
    let fds = Node::PidFile(Task::process(42), PidNode::FdDir)
        .entries(&w)
        .unwrap();
    assert_eq!(names(&fds), [("0", 10), ("1", 10), ("2", 10), ("10", 10)]);
    assert_eq!(Node::Meminfo.entries(&w), None);
}

#[test]
fn sys_listing() {
    assert_eq!(
        names(&sys_entries(SysDir::Root)),
        [("fs", 4), ("kernel", 4), ("vm", 4)]
    );
    assert_eq!(
        names(&sys_entries(SysDir::Kernel)),
        [
            ("hostname", 8),
            ("ngroups_max", 8),
            ("osrelease", 8),
            ("ostype", 8),
            ("pid_max", 8),
            ("threads-max", 8)
        ]
    );
    assert_eq!(names(&sys_entries(SysDir::Vm)), [("overcommit_memory", 8)]);
    assert_eq!(
        names(&sys_entries(SysDir::Fs)),
        [("file-max", 8), ("nr_open", 8), ("pipe-max-size", 8)]
    );
}

fn look(path: &str) -> Option<Node> {
    let parts: Vec<&str> = path.split('/').collect();
    lookup(&parts, 42, 43, &world())
}

#[test]
fn lookups() {
    let p42 = Task::process(42);
    assert_eq!(look(""), Some(Node::Root));
    assert_eq!(look("meminfo"), Some(Node::Meminfo));
    assert_eq!(look("stat"), Some(Node::Stat));
    assert_eq!(look("self"), Some(Node::SelfLink));
    assert_eq!(look("self/stat"), Some(Node::PidFile(p42, PidNode::Stat)));
    assert_eq!(look("42/status"), Some(Node::PidFile(p42, PidNode::Status)));
    assert_eq!(
        look("1/maps"),
        Some(Node::PidFile(Task::process(1), PidNode::Maps))
    );
    assert_eq!(
        look("thread-self/comm"),
        Some(Node::PidFile(Task::thread(42, 43), PidNode::Comm))
    );
    assert_eq!(look("mounts"), Some(Node::MountsLink));
    assert_eq!(look("mounts/x"), None);
    assert_eq!(look("42/fd/10"), Some(Node::PidFile(p42, PidNode::Fd(10))));
    assert_eq!(look("42/fd/3"), None);
    assert_eq!(look("42/fd/010"), None);
    assert_eq!(
        look("42/task/43/fd/2"),
        Some(Node::PidFile(Task::thread(42, 43), PidNode::Fd(2)))
    );
    assert_eq!(look("42/task/43/task"), None);
    assert_eq!(look("42/task/1"), None);
    assert_eq!(look("42/exe"), Some(Node::PidFile(p42, PidNode::Exe)));
    assert_eq!(look("42/exe/x"), None);
    assert_eq!(look("42/cwd"), Some(Node::PidFile(p42, PidNode::Cwd)));
    assert_eq!(look("7"), None);
    assert_eq!(look("042"), None);
    assert_eq!(look("+42"), None);
    assert_eq!(look("99999999999999999999"), None);
    assert_eq!(look("nothing"), None);
    assert_eq!(
        look("sys/kernel/hostname"),
        Some(Node::Sys(SysFile::KernelHostname))
    );
    assert_eq!(
        look("sys/vm/overcommit_memory"),
        Some(Node::Sys(SysFile::VmOvercommitMemory))
    );
    assert_eq!(look("sys/fs/nr_open"), Some(Node::Sys(SysFile::FsNrOpen)));
    assert_eq!(look("sys/fs/hostname"), None);
    assert_eq!(look("sys/kernel/hostname/x"), None);
    assert_eq!(
        look("./42/../42/./stat"),
        Some(Node::PidFile(p42, PidNode::Stat))
    );
    assert_eq!(
        look("42/task/43/.."),
        Some(Node::PidFile(p42, PidNode::TaskDir))
    );
    assert_eq!(look("meminfo/.."), None);
    assert_eq!(look("self/fd/.."), Some(Node::Pid(p42)));
    assert_eq!(look("meminfo/."), None);
    assert_eq!(look("1/stat/"), None);
    assert_eq!(look("self/"), Some(Node::Pid(p42)));
    assert_eq!(look("sys//kernel"), Some(Node::SysDir(SysDir::Kernel)));
}

#[test]
fn links_and_modes() {
    assert_eq!(Node::SelfLink.link_target(42, 43).as_deref(), Some("42"));
    assert_eq!(
        Node::ThreadSelfLink.link_target(42, 43).as_deref(),
        Some("42/task/43")
    );
    assert_eq!(
        Node::MountsLink.link_target(42, 43).as_deref(),
        Some("self/mounts")
    );
    assert_eq!(
        Node::PidFile(Task::process(1), PidNode::Exe).link_target(42, 43),
        None
    );
    assert_eq!(Node::Root.mode(), 0o555);
    assert_eq!(Node::Meminfo.mode(), 0o444);
    assert_eq!(Node::Sys(SysFile::KernelHostname).mode(), 0o644);
    assert_eq!(Node::Sys(SysFile::KernelOstype).mode(), 0o444);
    assert_eq!(
        Node::PidFile(Task::process(1), PidNode::Environ).mode(),
        0o400
    );
    assert_eq!(
        Node::PidFile(Task::process(1), PidNode::FdDir).mode(),
        0o500
    );
    assert_eq!(
        Node::PidFile(Task::process(1), PidNode::Stat).task(),
        Some(Task::process(1))
    );
    assert_eq!(Node::Cpuinfo.task(), None);
}

/// Every node reachable from the root, found by listing.
fn walk(w: &World) -> Vec<Node> {
    let mut out = vec![Node::Root];
    let mut i = 0;
    while i < out.len() {
        let n = out[i];
        if let Some(es) = n.entries(w) {
            for e in es {
                // Each listed name resolves to the listed node, whose parent is the directory.
                assert_eq!(n.child(&e.name, w), Some(e.node), "{n:?} {}", e.name);
                assert_eq!(e.node.parent(), n, "{:?}", e.node);
                out.push(e.node);
            }
        }
        i += 1;
    }
    out
}

#[test]
fn listing_lookup_and_inodes_agree() {
    let w = world();
    let all = walk(&w);
    assert!(all.len() > 60);
    let inos: HashSet<u64> = all.iter().map(|n| n.ino()).collect();
    assert_eq!(inos.len(), all.len(), "inode numbers are distinct");
    assert!(!inos.contains(&0));
}

#[test]
fn inodes_give_back_their_nodes() {
    let w = world();
    let all = walk(&w);
    // A thread's tgid, as the service knows it: the process listing it.
    let tgid_of = |tid: u64| w.tgids().into_iter().find(|&g| w.tids(g).contains(&tid));
    for n in all {
        assert_eq!(Node::from_ino(n.ino(), &tgid_of), Some(n), "{n:?}");
    }
    for bad in [0, 13, 15, 20, 31, 42 + 32, u64::MAX] {
        assert_eq!(Node::from_ino(bad, &tgid_of), None, "{bad}");
    }
}
