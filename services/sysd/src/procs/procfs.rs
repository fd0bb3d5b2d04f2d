//! `/proc`: the process table as a file system, its names and text from
//! the `procfs` crate (Linux 6.1's directory model and formats). Inodes
//! are [`procfs::Node::ino`] numbers; the text of a file is made when it
//! is opened, from the server's state at that moment, as Linux's seq
//! files are on the first read.
//!
//! CPU times (per process, its collected children's, the machine's, the
//! load average) are the kernel's tick counts (`EnvTimes`, `CpuTimes`,
//! `LoadAvg`, and the death notice for a process that ended).
//! What the server does not know shows as Linux shows an idle figure:
//! signal masks and the umask
//! are the library OS's (0 and 022 here), a process's memory is the
//! frames of quota it was given, and each process has one task (its
//! threads are the library OS's). `maps` is what the process's library OS
//! last sent (it sends it when the process opens its own `maps`; for
//! another process it is that process's last one, or empty). `fd/` is
//! the descriptor table its library OS last sent (when the process opened
//! its own `fd` directory), or else the server's handles of the process;
//! opening `/proc/self/fd/N` the library OS answers itself.

use alloc::string::String;
use alloc::vec::Vec;

use procfs::{Kind, Node, PidNode, Task, Tasks};
use sysproto::Errno::{self, *};
use vfs::{Attr, FileType, Fs, Ino, Time};

use super::{Proc, Server};

/// The inode of `/proc`.
pub const PROC_ROOT: Ino = 1;

/// The release `uname` reports (libos `uname`), and the version string.
const RELEASE: &str = "6.1.0-exov6";
const VERSION: &str = "#1 ExoV6 library OS";
/// `tty_nr` of the console (major 5, minor 1).
const CONSOLE_TTY: u32 = 5 << 8 | 1;
/// Clock ticks per second in `stat` times (Linux's `USER_HZ`).
const USER_HZ: u64 = 100;

/// `/proc` as process `me` sees it.
pub struct ProcFs<'a> {
    pub srv: &'a Server,
    pub me: u64,
}

impl Tasks for ProcFs<'_> {
    fn tgids(&self) -> Vec<u64> {
        self.srv
            .procs
            .iter()
            .filter(|(_, p)| p.started)
            .map(|(&pid, _)| pid)
            .collect()
    }

    fn tids(&self, tgid: u64) -> Vec<u64> {
        if self.has_task(tgid) {
            alloc::vec![tgid]
        } else {
            Vec::new()
        }
    }

    fn fds(&self, id: u64) -> Vec<u32> {
        self.srv
            .procs
            .get(&id)
            .map_or(Vec::new(), |p| match &p.fd_table {
                Some(t) => t.iter().map(|&(fd, _)| fd).collect(),
                None => p
                    .handles
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.is_some())
                    .map(|(i, _)| i as u32)
                    .collect(),
            })
    }

    fn has_task(&self, id: u64) -> bool {
        self.srv.procs.get(&id).is_some_and(|p| p.started)
    }

    fn has_fd(&self, id: u64, fd: u32) -> bool {
        self.srv
            .procs
            .get(&id)
            .and_then(|p| handle_of(p, fd))
            .and_then(|h| self.srv.procs[&id].handles.get(h as usize))
            .is_some_and(Option::is_some)
    }
}

/// The server handle behind descriptor `fd` of `p`.
fn handle_of(p: &Proc, fd: u32) -> Option<u64> {
    match &p.fd_table {
        Some(t) => t.iter().find(|e| e.0 == fd).map(|e| e.1),
        None => Some(u64::from(fd)),
    }
}

fn file_type(k: Kind) -> FileType {
    match k {
        Kind::Dir => FileType::Directory,
        Kind::File => FileType::Regular,
        Kind::Symlink => FileType::Symlink,
    }
}

impl ProcFs<'_> {
    /// The node of inode `ino`, if it exists now.
    fn node(&self, ino: Ino) -> Result<Node, Errno> {
        let node = Node::from_ino(ino, &|tid| self.has_task(tid).then_some(tid)).ok_or(ENOENT)?;
        if let Some(t) = node.task() {
            if !self.has_task(t.tgid) {
                return Err(ENOENT);
            }
            if let Node::PidFile(_, PidNode::Fd(n)) = node {
                if !self.has_fd(t.id(), n) {
                    return Err(ENOENT);
                }
            }
        }
        Ok(node)
    }

    fn proc_of(&self, t: Task) -> Result<&Proc, Errno> {
        self.srv.procs.get(&t.tgid).ok_or(ENOENT)
    }

    /// The entries of directory `dir` (after `.` and `..`).
    pub fn entries(&self, dir: Ino) -> Result<Vec<(Ino, FileType, Vec<u8>)>, Errno> {
        let node = self.node(dir)?;
        let list = node.entries(self).ok_or(ENOTDIR)?;
        Ok(list
            .into_iter()
            .map(|e| (e.node.ino(), file_type(e.kind()), e.name.into_bytes()))
            .collect())
    }

    /// The text of the file `ino` now.
    pub fn text(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let srv = self.srv;
        Ok(match self.node(ino)? {
            Node::Cpuinfo => procfs::cpuinfo(&[cpu()]).into_bytes(),
            Node::Filesystems => procfs::filesystems(&FS_TYPES).into_bytes(),
            Node::Loadavg => procfs::loadavg(&procfs::LoadAvg {
                avenrun: exo_rt::load_avg().map_or([0; 3], |(a, b, c)| [a, b, c]),
                running: machine_times().3.max(1),
                threads: self.tgids().len() as u64,
                last_pid: srv.next_pid.saturating_sub(1),
            })
            .into_bytes(),
            Node::Meminfo => procfs::meminfo(&self.meminfo()).into_bytes(),
            Node::Stat => {
                let now = exo_rt::info::now_ns();
                procfs::kernel_stat(&procfs::KernelStat {
                    cpus: alloc::vec![cpu_times()],
                    btime: (super::wall_clock_ns() - now) / 1_000_000_000,
                    processes: srv.next_pid.saturating_sub(1),
                    procs_running: machine_times().3.max(1),
                    procs_blocked: 0,
                    ctxt: 0,
                    irqs: Vec::new(),
                    softirqs: [0; 10],
                })
                .into_bytes()
            }
            Node::Uptime => {
                let idle_ns = ticks_to_clock(machine_times().2) * (1_000_000_000 / USER_HZ);
                procfs::uptime(exo_rt::info::now_ns(), idle_ns).into_bytes()
            }
            Node::Version => procfs::version(&procfs::Version {
                release: RELEASE.into(),
                build_user: "exov6".into(),
                build_host: "exov6".into(),
                compiler: "rustc".into(),
                version: VERSION.into(),
            })
            .into_bytes(),
            Node::Sys(f) => procfs::sys_file(f, &self.sys_values()).into_bytes(),
            Node::PidFile(t, f) => {
                let p = self.proc_of(t)?;
                match f {
                    PidNode::Cmdline => p.cmdline.clone(),
                    PidNode::Environ => p.environ.clone(),
                    PidNode::Comm => procfs::comm(&self.process(t.tgid, p)).into_bytes(),
                    PidNode::Stat => procfs::stat(&self.process(t.tgid, p)).into_bytes(),
                    PidNode::Statm => procfs::statm(&self.process(t.tgid, p)).into_bytes(),
                    PidNode::Status => procfs::status(&self.process(t.tgid, p)).into_bytes(),
                    PidNode::Maps => p.maps.clone(),
                    PidNode::Mounts => procfs::mounts(&self.mount_list()).into_bytes(),
                    PidNode::Mountinfo => procfs::mountinfo(&self.mount_list()).into_bytes(),
                    _ => return Err(EINVAL),
                }
            }
            _ => return Err(EINVAL),
        })
    }

    fn meminfo(&self) -> procfs::MemInfo {
        let (total, free) = self.srv.memory();
        let shmem = self.srv.fs.pages_used() * 4;
        procfs::MemInfo {
            total_kb: total * 4,
            free_kb: free * 4,
            available_kb: free * 4,
            buffers_kb: 0,
            cached_kb: shmem,
            shmem_kb: shmem,
            hugepage_size_kb: 2048,
        }
    }

    fn sys_values(&self) -> procfs::SysValues {
        let (total, _) = self.srv.memory();
        procfs::SysValues {
            ostype: "Linux".into(),
            osrelease: RELEASE.into(),
            hostname: "exov6".into(),
            pid_max: 32768,
            // Linux's rules from the machine's pages.
            threads_max: total / 4,
            ngroups_max: 65536,
            overcommit_memory: 0,
            file_max: total * 4 / 10,
            nr_open: fdtable_max(),
            pipe_max_size: 1 << 20,
        }
    }

    /// The mounts as `/proc/PID/mounts` and `mountinfo` show them.
    fn mount_list(&self) -> Vec<procfs::Mount> {
        let files = &self.srv.fs;
        // The mounts' numbers and parents, in the order `mount_list` names them.
        let ids = files
            .mounts
            .list
            .iter()
            .enumerate()
            .filter(|&(id, m)| m.is_some() && matches!(files.info.get(id), Some(Some(_))))
            .map(|(id, m)| {
                (
                    id as u32,
                    m.as_ref().and_then(|m| m.at).map_or(0, |l| l.mount) as u32,
                )
            });
        let mut out = Vec::new();
        for ((path, info), (id, parent)) in files.mount_list(self).into_iter().zip(ids) {
            let mut flags = procfs::MountFlags::default();
            let mut fs_options = String::new();
            for o in info.options.split(',') {
                match o {
                    "rw" => {}
                    "ro" => flags.readonly = true,
                    "nosuid" => flags.nosuid = true,
                    "nodev" => flags.nodev = true,
                    "noexec" => flags.noexec = true,
                    "noatime" => flags.noatime = true,
                    "nodiratime" => flags.nodiratime = true,
                    "relatime" => flags.relatime = true,
                    _ => {
                        if !fs_options.is_empty() {
                            fs_options.push(',');
                        }
                        fs_options.push_str(o);
                    }
                }
            }
            out.push(procfs::Mount {
                id: 20 + id,
                parent_id: 20 + parent,
                major: 0,
                minor: 20 + id,
                root: "/".into(),
                mount_point: String::from_utf8_lossy(&path).into_owned(),
                source: info.source.into(),
                fstype: info.fstype.into(),
                flags,
                fs_options,
                ..procfs::Mount::default()
            });
        }
        out
    }

    /// What `stat`, `status`, `statm` and `comm` show of process `pid`.
    fn process(&self, pid: u64, p: &Proc) -> procfs::Process {
        let srv = self.srv;
        let c = &p.creds;
        let state = if p.zombie.is_some() {
            procfs::TaskState::Zombie
        } else if p.stopped {
            procfs::TaskState::Stopped
        } else if pid == self.me {
            procfs::TaskState::Running
        } else {
            procfs::TaskState::Sleeping
        };
        let name = p.exe.rsplit(|&b| b == b'/').next().unwrap_or(&[]);
        let name = if p.comm.is_empty() { name } else { &p.comm };
        let name = String::from_utf8_lossy(name);
        let comm = procfs::truncate_comm(&name).into();
        let on_console = srv.tty.session != 0 && srv.tty.session == p.sid;
        let kb = p.quota * 4;
        let (utime, stime) = p.cpu_ticks();
        let (cutime, cstime) = p.child_times;
        let handles = p.handles.len() as u32;
        procfs::Process {
            pid,
            tgid: pid,
            ppid: p.ppid,
            pgrp: p.pgid,
            session: p.sid,
            tty_nr: if on_console { CONSOLE_TTY } else { 0 },
            tpgid: if on_console && srv.tty.pgrp != 0 {
                srv.tty.pgrp as i64
            } else {
                -1
            },
            comm,
            state,
            umask: 0o022,
            uid: [c.ruid(), c.euid(), c.suid(), c.fsuid()],
            gid: [c.rgid(), c.egid(), c.sgid(), c.fsgid()],
            groups: c.groups().to_vec(),
            fd_size: handles.max(64).next_power_of_two(),
            utime: ticks_to_clock(utime),
            stime: ticks_to_clock(stime),
            cutime: ticks_to_clock(cutime) as i64,
            cstime: ticks_to_clock(cstime) as i64,
            priority: 20,
            nice: 0,
            num_threads: 1,
            start_time: p.start_ns / (1_000_000_000 / USER_HZ),
            mem: procfs::Mem {
                peak_kb: kb,
                size_kb: kb,
                hwm_kb: kb,
                rss_anon_kb: kb,
                data_kb: kb,
                stack_kb: 132,
                ..procfs::Mem::default()
            },
            rss_limit: u64::MAX,
            exit_signal: 17,
            cap_inheritable: c.inheritable(),
            cap_permitted: c.permitted(),
            cap_effective: c.effective(),
            cap_bounding: (1 << 41) - 1,
            cpus_allowed: 1,
            nr_cpus: 1,
            sigq_limit: 4096,
            ..procfs::Process::default()
        }
    }
}

/// Timer ticks as `/proc` counts time, in clock ticks (`USER_HZ`).
fn ticks_to_clock(ticks: u64) -> u64 {
    let hz = exo_rt::info::timer_hz().max(1);
    (u128::from(ticks) * u128::from(USER_HZ) / u128::from(hz)) as u64
}

/// The machine's (user, kernel, idle) timer ticks and the environments
/// ready at the kernel's last load sample.
fn machine_times() -> (u64, u64, u64, u64) {
    exo_rt::cpu_times().unwrap_or((0, 0, 0, 0))
}

/// The one CPU's line of `/proc/stat`, in clock ticks.
fn cpu_times() -> procfs::CpuTimes {
    let (user, system, idle, _) = machine_times();
    procfs::CpuTimes {
        user: ticks_to_clock(user),
        system: ticks_to_clock(system),
        idle: ticks_to_clock(idle),
        ..procfs::CpuTimes::default()
    }
}

/// The file-system types the server has.
const FS_TYPES: [procfs::FsType<'static>; 5] = [
    procfs::FsType {
        name: "sysfs",
        nodev: true,
    },
    procfs::FsType {
        name: "tmpfs",
        nodev: true,
    },
    procfs::FsType {
        name: "proc",
        nodev: true,
    },
    procfs::FsType {
        name: "devtmpfs",
        nodev: true,
    },
    procfs::FsType {
        name: "rootfs",
        nodev: true,
    },
];

/// Most descriptors a library OS keeps (its table's size).
fn fdtable_max() -> u64 {
    1024
}

/// The CPU as CPUID describes it.
fn cpu() -> procfs::Cpu {
    use exo_rt::hwrand::cpuid_full as id;
    let (max, b, c, d) = id(0, 0);
    let mut vendor = Vec::new();
    for w in [b, d, c] {
        vendor.extend_from_slice(&w.to_le_bytes());
    }
    let (eax1, ebx1, ecx1, edx1) = id(1, 0);
    let base_family = (eax1 >> 8) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((eax1 >> 20) & 0xff)
    } else {
        base_family
    };
    let model = if base_family == 6 || base_family == 0xf {
        ((eax1 >> 4) & 0xf) | ((eax1 >> 12) & 0xf0)
    } else {
        (eax1 >> 4) & 0xf
    };
    let (max_ext, ..) = id(0x8000_0000, 0);
    let mut model_name = Vec::new();
    if max_ext >= 0x8000_0004 {
        for leaf in 0x8000_0002..=0x8000_0004 {
            let (a, b, c, d) = id(leaf, 0);
            for w in [a, b, c, d] {
                model_name.extend_from_slice(&w.to_le_bytes());
            }
        }
    }
    let model_name: String = String::from_utf8_lossy(&model_name)
        .trim_matches(|c: char| c == '\0' || c == ' ')
        .into();
    let (ext_ecx, ext_edx) = if max_ext >= 0x8000_0001 {
        let (_, _, c, d) = id(0x8000_0001, 0);
        (c, d)
    } else {
        (0, 0)
    };
    let leaf7_ebx = if max >= 7 { id(7, 0).1 } else { 0 };
    let cache_kb = if max_ext >= 0x8000_0006 {
        id(0x8000_0006, 0).2 >> 16
    } else {
        0
    };
    let (phys, virt) = if max_ext >= 0x8000_0008 {
        let a = id(0x8000_0008, 0).0;
        (a & 0xff, (a >> 8) & 0xff)
    } else {
        (36, 48)
    };
    let mut flags = Vec::new();
    let mut add = |word: u32, names: &[(u32, &str)]| {
        for &(bit, name) in names {
            if word & (1 << bit) != 0 {
                flags.push(String::from(name));
            }
        }
    };
    add(edx1, &EDX1);
    add(ext_edx, &EXT_EDX);
    add(ecx1, &ECX1);
    add(ext_ecx, &EXT_ECX);
    add(leaf7_ebx, &LEAF7_EBX);
    let khz = exo_rt::info::tsc_hz() / 1000;
    let apic = ebx1 >> 24;
    procfs::Cpu {
        processor: 0,
        vendor_id: String::from_utf8_lossy(&vendor).into(),
        family,
        model,
        model_name,
        stepping: eax1 & 0xf,
        microcode: 1,
        khz,
        cache_size_kb: cache_kb,
        physical_id: 0,
        siblings: 1,
        core_id: 0,
        cpu_cores: 1,
        apicid: apic,
        initial_apicid: apic,
        cpuid_level: max,
        flags,
        vmx_flags: Vec::new(),
        bugs: Vec::new(),
        bogomips_centi: khz / 5,
        clflush_size: ((ebx1 >> 8) & 0xff) * 8,
        cache_alignment: ((ebx1 >> 8) & 0xff) * 8,
        phys_bits: phys,
        virt_bits: virt,
        power_management: Vec::new(),
    }
}

/// Linux's names of CPUID bits, in its `cpuinfo` order.
const EDX1: [(u32, &str); 29] = [
    (0, "fpu"),
    (1, "vme"),
    (2, "de"),
    (3, "pse"),
    (4, "tsc"),
    (5, "msr"),
    (6, "pae"),
    (7, "mce"),
    (8, "cx8"),
    (9, "apic"),
    (11, "sep"),
    (12, "mtrr"),
    (13, "pge"),
    (14, "mca"),
    (15, "cmov"),
    (16, "pat"),
    (17, "pse36"),
    (18, "pn"),
    (19, "clflush"),
    (21, "dts"),
    (22, "acpi"),
    (23, "mmx"),
    (24, "fxsr"),
    (25, "sse"),
    (26, "sse2"),
    (27, "ss"),
    (28, "ht"),
    (29, "tm"),
    (31, "pbe"),
];
const EXT_EDX: [(u32, &str); 5] = [
    (11, "syscall"),
    (20, "nx"),
    (26, "pdpe1gb"),
    (27, "rdtscp"),
    (29, "lm"),
];
const ECX1: [(u32, &str); 29] = [
    (0, "pni"),
    (1, "pclmulqdq"),
    (2, "dtes64"),
    (3, "monitor"),
    (4, "ds_cpl"),
    (5, "vmx"),
    (6, "smx"),
    (7, "est"),
    (8, "tm2"),
    (9, "ssse3"),
    (10, "cid"),
    (11, "sdbg"),
    (12, "fma"),
    (13, "cx16"),
    (14, "xtpr"),
    (15, "pdcm"),
    (17, "pcid"),
    (18, "dca"),
    (19, "sse4_1"),
    (20, "sse4_2"),
    (21, "x2apic"),
    (22, "movbe"),
    (23, "popcnt"),
    (24, "tsc_deadline_timer"),
    (25, "aes"),
    (26, "xsave"),
    (28, "avx"),
    (29, "f16c"),
    (30, "rdrand"),
];
const EXT_ECX: [(u32, &str); 2] = [(0, "lahf_lm"), (5, "abm")];
const LEAF7_EBX: [(u32, &str); 9] = [
    (0, "fsgsbase"),
    (3, "bmi1"),
    (5, "avx2"),
    (7, "smep"),
    (8, "bmi2"),
    (9, "erms"),
    (18, "rdseed"),
    (19, "adx"),
    (20, "smap"),
];

impl Fs for ProcFs<'_> {
    fn root(&self) -> Ino {
        PROC_ROOT
    }

    fn getattr(&self, ino: Ino) -> Result<Attr, Errno> {
        let node = self.node(ino)?;
        let ftype = file_type(node.kind());
        // A process's files belong to its effective ids, as in Linux.
        let (uid, gid) = match node.task() {
            Some(t) => {
                let p = self.proc_of(t)?;
                (p.creds.euid(), p.creds.egid())
            }
            None => (0, 0),
        };
        let t = Time::default();
        Ok(Attr {
            ino,
            ftype,
            perm: node.mode(),
            nlink: if ftype == FileType::Directory { 2 } else { 1 },
            uid,
            gid,
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
        let node = self.node(dir)?;
        if node.kind() != Kind::Dir {
            return Err(ENOTDIR);
        }
        let name = core::str::from_utf8(name).map_err(|_| ENOENT)?;
        node.child(name, self).map(Node::ino).ok_or(ENOENT)
    }

    fn parent(&self, dir: Ino) -> Result<Ino, Errno> {
        let node = self.node(dir)?;
        if node.kind() != Kind::Dir {
            return Err(ENOTDIR);
        }
        Ok(node.parent().ino())
    }

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let node = self.node(ino)?;
        if let Some(s) = node.link_target(self.me, self.me) {
            return Ok(s.into_bytes());
        }
        let Node::PidFile(t, f) = node else {
            return Err(EINVAL);
        };
        let p = self.proc_of(t)?;
        if p.zombie.is_some() {
            return Err(ENOENT);
        }
        match f {
            PidNode::Exe if !p.exe.is_empty() => Ok(p.exe.clone()),
            PidNode::Exe => Err(ENOENT),
            PidNode::Cwd => self.srv.fs.dir_path(self, p.root, p.cwd),
            PidNode::Root => Ok(b"/".to_vec()),
            PidNode::Fd(n) => {
                let h = handle_of(p, n).ok_or(ENOENT)?;
                self.srv.readlink(t.tgid, &[], h, true)
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
    /// A read of `/dev/kmsg` (open file `o`): the next record of the
    /// kernel's log, whole (`EINVAL` if `len` cannot hold it, as Linux);
    /// none at the end of the log (Linux would wait for one).
    pub(super) fn kmsg_read(
        &mut self,
        o: usize,
        len: usize,
        d: &mut sysproto::wire::Data<'_, sysproto::sys::Read>,
    ) -> Result<(), Errno> {
        let obj = self.objs.get_mut(o).ok_or(EBADF)?;
        if let Some((rec, next)) = crate::klog::record(obj.pos) {
            if rec.len() > len {
                return Err(EINVAL);
            }
            d.put(&rec);
            obj.pos = next;
        }
        Ok(())
    }

    /// `/proc` as `pid` sees it.
    pub(super) fn procfs(&self, pid: u64) -> ProcFs<'_> {
        ProcFs { srv: self, me: pid }
    }
}
