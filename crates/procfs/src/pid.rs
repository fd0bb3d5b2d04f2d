//! Per-process files: `/proc/PID/{stat,status,statm,cmdline,environ,maps,comm}`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::escape::{cpu_list, hex_bitmap, push_octal_escaped};

/// The longest command name Linux keeps (`TASK_COMM_LEN - 1`).
pub const COMM_MAX: usize = 15;

/// `name` cut to at most [`COMM_MAX`] bytes at a character boundary, as
/// the service should store a task's command name.
pub fn truncate_comm(name: &str) -> &str {
    if name.len() <= COMM_MAX {
        return name;
    }
    let mut end = COMM_MAX;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// A task's scheduling state, as `stat` (one letter) and `status`
/// (letter and word) show it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskState {
    #[default]
    Running,
    Sleeping,
    DiskSleep,
    Stopped,
    TracingStop,
    Dead,
    Zombie,
    Parked,
    Idle,
}

impl TaskState {
    /// The `stat` letter.
    pub fn letter(self) -> char {
        self.long().as_bytes()[0] as char
    }

    /// The `status` form, e.g. `S (sleeping)`.
    pub fn long(self) -> &'static str {
        match self {
            TaskState::Running => "R (running)",
            TaskState::Sleeping => "S (sleeping)",
            TaskState::DiskSleep => "D (disk sleep)",
            TaskState::Stopped => "T (stopped)",
            TaskState::TracingStop => "t (tracing stop)",
            TaskState::Dead => "X (dead)",
            TaskState::Zombie => "Z (zombie)",
            TaskState::Parked => "P (parked)",
            TaskState::Idle => "I (idle)",
        }
    }
}

/// Address-space sizes, in kB (1024 bytes) as `status` shows them;
/// `statm` and `stat` derive their page counts (4 KiB pages) from them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mem {
    pub peak_kb: u64,
    pub size_kb: u64,
    pub locked_kb: u64,
    pub pinned_kb: u64,
    pub hwm_kb: u64,
    pub rss_anon_kb: u64,
    pub rss_file_kb: u64,
    pub rss_shmem_kb: u64,
    pub data_kb: u64,
    pub stack_kb: u64,
    pub exe_kb: u64,
    pub lib_kb: u64,
    pub pte_kb: u64,
    pub swap_kb: u64,
}

impl Mem {
    /// `VmRSS`: anonymous + file + shared memory.
    pub fn rss_kb(&self) -> u64 {
        self.rss_anon_kb + self.rss_file_kb + self.rss_shmem_kb
    }
}

const PAGE_KB: u64 = 4;

/// Everything the per-process files show about one task (a thread group
/// leader for `/proc/PID`, a thread for `/proc/PID/task/TID`). Times are
/// in clock ticks (USER_HZ = 100), signal and capability sets are bit
/// masks (bit n-1 = signal n), addresses are plain numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Process {
    /// This task's id (the thread id; equals `tgid` for a leader).
    pub pid: u64,
    pub tgid: u64,
    pub ppid: u64,
    pub pgrp: u64,
    pub session: u64,
    /// Controlling terminal as `(major << 8) | minor` in Linux's encoding, 0 for none.
    pub tty_nr: u32,
    /// Foreground process group of the controlling terminal, -1 for none.
    pub tpgid: i64,
    pub tracer_pid: u64,
    /// Command name, at most [`COMM_MAX`] bytes (see [`truncate_comm`]).
    pub comm: String,
    pub state: TaskState,
    pub umask: u32,
    /// The kernel's `PF_*` flags word (`stat` field 9).
    pub flags: u32,
    /// Real, effective, saved and file-system user id.
    pub uid: [u32; 4],
    /// Real, effective, saved and file-system group id.
    pub gid: [u32; 4],
    pub groups: Vec<u32>,
    /// Size of the descriptor table (`FDSize`).
    pub fd_size: u32,
    pub minflt: u64,
    pub cminflt: u64,
    pub majflt: u64,
    pub cmajflt: u64,
    pub utime: u64,
    pub stime: u64,
    pub cutime: i64,
    pub cstime: i64,
    pub guest_time: u64,
    pub cguest_time: i64,
    /// Kernel priority as `stat` shows it (20 + nice for normal tasks).
    pub priority: i64,
    pub nice: i64,
    pub num_threads: u64,
    /// Start time in clock ticks after boot.
    pub start_time: u64,
    pub mem: Mem,
    /// Soft RLIMIT_RSS in bytes (`u64::MAX` for unlimited).
    pub rss_limit: u64,
    pub start_code: u64,
    pub end_code: u64,
    pub start_stack: u64,
    pub start_data: u64,
    pub end_data: u64,
    pub start_brk: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    /// Signals pending for this thread.
    pub sig_pending: u64,
    /// Signals pending for the whole process.
    pub shared_pending: u64,
    pub sig_blocked: u64,
    pub sig_ignored: u64,
    pub sig_caught: u64,
    /// Queued signals and RLIMIT_SIGPENDING (`SigQ`).
    pub sigq_queued: u64,
    pub sigq_limit: u64,
    /// Signal sent to the parent at exit (17 = SIGCHLD).
    pub exit_signal: i32,
    /// CPU the task last ran on.
    pub processor: u32,
    pub rt_priority: u32,
    pub policy: u32,
    pub blkio_ticks: u64,
    /// Wait status as `waitpid` would report it (0 while alive).
    pub exit_code: i32,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub cap_bounding: u64,
    pub cap_ambient: u64,
    pub no_new_privs: bool,
    /// Seccomp mode (0 off, 1 strict, 2 filter) and filters installed.
    pub seccomp: u32,
    pub seccomp_filters: u32,
    /// CPUs the task may run on and how many CPUs exist (at most 64).
    pub cpus_allowed: u64,
    pub nr_cpus: u32,
    pub voluntary_ctxt_switches: u64,
    pub nonvoluntary_ctxt_switches: u64,
}

/// `/proc/PID/stat`: the 52 space-separated fields, the command name in
/// parentheses unescaped (parsers take the last `)`), fields Linux no
/// longer maintains as 0.
pub fn stat(p: &Process) -> String {
    let mut s = String::with_capacity(320);
    let m = &p.mem;
    let _ = write!(s, "{} ({}) {}", p.pid, p.comm, p.state.letter());
    let _ = write!(
        s,
        " {} {} {} {} {} {}",
        p.ppid, p.pgrp, p.session, p.tty_nr, p.tpgid, p.flags
    );
    let _ = write!(
        s,
        " {} {} {} {} {} {} {} {}",
        p.minflt, p.cminflt, p.majflt, p.cmajflt, p.utime, p.stime, p.cutime, p.cstime
    );
    // itrealvalue is always 0.
    let _ = write!(
        s,
        " {} {} {} 0 {}",
        p.priority, p.nice, p.num_threads, p.start_time
    );
    let _ = write!(
        s,
        " {} {} {}",
        m.size_kb * 1024,
        m.rss_kb() / PAGE_KB,
        p.rss_limit
    );
    // kstkesp and kstkeip are 0 outside a core dump.
    let _ = write!(s, " {} {} {} 0 0", p.start_code, p.end_code, p.start_stack);
    // The four obsolete signal fields show the low 31 bits only.
    let low = |v: u64| v & 0x7fff_ffff;
    let _ = write!(
        s,
        " {} {} {} {}",
        low(p.sig_pending | p.shared_pending),
        low(p.sig_blocked),
        low(p.sig_ignored),
        low(p.sig_caught)
    );
    // wchan is a flag since Linux 5.16 (1 = not running); nswap, cnswap 0.
    let wchan = u8::from(p.state != TaskState::Running);
    let _ = write!(
        s,
        " {wchan} 0 0 {} {} {} {} {} {} {}",
        p.exit_signal,
        p.processor,
        p.rt_priority,
        p.policy,
        p.blkio_ticks,
        p.guest_time,
        p.cguest_time
    );
    let _ = writeln!(
        s,
        " {} {} {} {} {} {} {} {}",
        p.start_data,
        p.end_data,
        p.start_brk,
        p.arg_start,
        p.arg_end,
        p.env_start,
        p.env_end,
        p.exit_code
    );
    s
}

/// `/proc/PID/statm`: size, resident, shared, text, lib (0), data +
/// stack, dirty (0), in pages.
pub fn statm(p: &Process) -> String {
    let m = &p.mem;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {} {} {} 0 {} 0",
        m.size_kb / PAGE_KB,
        m.rss_kb() / PAGE_KB,
        (m.rss_file_kb + m.rss_shmem_kb) / PAGE_KB,
        m.exe_kb / PAGE_KB,
        (m.data_kb + m.stack_kb) / PAGE_KB
    );
    s
}

fn push_sigset(s: &mut String, key: &str, set: u64) {
    let _ = writeln!(s, "{key}:\t{set:016x}");
}

/// `/proc/PID/status`: `Key:\tvalue` lines in Linux 6.1's order.
pub fn status(p: &Process) -> String {
    let mut s = String::with_capacity(1400);
    s.push_str("Name:\t");
    for c in p.comm.chars() {
        match c {
            '\n' => s.push_str("\\n"),
            '\\' => s.push_str("\\\\"),
            c => s.push(c),
        }
    }
    let _ = writeln!(s, "\nUmask:\t0{:03o}", p.umask & 0o777);
    let _ = writeln!(s, "State:\t{}", p.state.long());
    let _ = writeln!(s, "Tgid:\t{}\nNgid:\t0", p.tgid);
    let _ = writeln!(s, "Pid:\t{}\nPPid:\t{}", p.pid, p.ppid);
    let _ = writeln!(s, "TracerPid:\t{}", p.tracer_pid);
    let [r, e, sv, f] = p.uid;
    let _ = writeln!(s, "Uid:\t{r}\t{e}\t{sv}\t{f}");
    let [r, e, sv, f] = p.gid;
    let _ = writeln!(s, "Gid:\t{r}\t{e}\t{sv}\t{f}");
    let _ = writeln!(s, "FDSize:\t{}", p.fd_size);
    s.push_str("Groups:\t");
    for (i, g) in p.groups.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{g}");
    }
    // Linux ends the list with a space, even an empty one.
    s.push_str(" \n");
    let _ = writeln!(s, "NStgid:\t{}\nNSpid:\t{}", p.tgid, p.pid);
    let _ = writeln!(s, "NSpgid:\t{}\nNSsid:\t{}", p.pgrp, p.session);
    let m = &p.mem;
    let kb = |s: &mut String, key: &str, v: u64| {
        let _ = writeln!(s, "{key}:\t{v:>8} kB");
    };
    kb(&mut s, "VmPeak", m.peak_kb);
    kb(&mut s, "VmSize", m.size_kb);
    kb(&mut s, "VmLck", m.locked_kb);
    kb(&mut s, "VmPin", m.pinned_kb);
    kb(&mut s, "VmHWM", m.hwm_kb);
    kb(&mut s, "VmRSS", m.rss_kb());
    kb(&mut s, "RssAnon", m.rss_anon_kb);
    kb(&mut s, "RssFile", m.rss_file_kb);
    kb(&mut s, "RssShmem", m.rss_shmem_kb);
    kb(&mut s, "VmData", m.data_kb);
    kb(&mut s, "VmStk", m.stack_kb);
    kb(&mut s, "VmExe", m.exe_kb);
    kb(&mut s, "VmLib", m.lib_kb);
    kb(&mut s, "VmPTE", m.pte_kb);
    kb(&mut s, "VmSwap", m.swap_kb);
    kb(&mut s, "HugetlbPages", 0);
    s.push_str("CoreDumping:\t0\nTHP_enabled:\t1\n");
    let _ = writeln!(s, "Threads:\t{}", p.num_threads);
    let _ = writeln!(s, "SigQ:\t{}/{}", p.sigq_queued, p.sigq_limit);
    push_sigset(&mut s, "SigPnd", p.sig_pending);
    push_sigset(&mut s, "ShdPnd", p.shared_pending);
    push_sigset(&mut s, "SigBlk", p.sig_blocked);
    push_sigset(&mut s, "SigIgn", p.sig_ignored);
    push_sigset(&mut s, "SigCgt", p.sig_caught);
    push_sigset(&mut s, "CapInh", p.cap_inheritable);
    push_sigset(&mut s, "CapPrm", p.cap_permitted);
    push_sigset(&mut s, "CapEff", p.cap_effective);
    push_sigset(&mut s, "CapBnd", p.cap_bounding);
    push_sigset(&mut s, "CapAmb", p.cap_ambient);
    let _ = writeln!(s, "NoNewPrivs:\t{}", u8::from(p.no_new_privs));
    let _ = writeln!(s, "Seccomp:\t{}", p.seccomp);
    let _ = writeln!(s, "Seccomp_filters:\t{}", p.seccomp_filters);
    // ExoV6 applies no per-task speculation controls.
    s.push_str("Speculation_Store_Bypass:\tvulnerable\n");
    s.push_str("SpeculationIndirectBranch:\talways enabled\n");
    let _ = writeln!(
        s,
        "Cpus_allowed:\t{}",
        hex_bitmap(p.cpus_allowed, p.nr_cpus)
    );
    let _ = writeln!(
        s,
        "Cpus_allowed_list:\t{}",
        cpu_list(p.cpus_allowed, p.nr_cpus)
    );
    // One memory node.
    s.push_str("Mems_allowed:\t1\nMems_allowed_list:\t0\n");
    let _ = writeln!(s, "voluntary_ctxt_switches:\t{}", p.voluntary_ctxt_switches);
    let _ = writeln!(
        s,
        "nonvoluntary_ctxt_switches:\t{}",
        p.nonvoluntary_ctxt_switches
    );
    s
}

/// `/proc/PID/comm`: the command name and a newline.
pub fn comm(p: &Process) -> String {
    let mut s = String::with_capacity(p.comm.len() + 1);
    s.push_str(&p.comm);
    s.push('\n');
    s
}

fn nul_terminated<T: AsRef<[u8]>>(items: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(item.as_ref());
        out.push(0);
    }
    out
}

/// `/proc/PID/cmdline`: every argument followed by a NUL byte.
pub fn cmdline<T: AsRef<[u8]>>(args: &[T]) -> Vec<u8> {
    nul_terminated(args)
}

/// `/proc/PID/environ`: every `NAME=value` string followed by a NUL byte.
pub fn environ<T: AsRef<[u8]>>(vars: &[T]) -> Vec<u8> {
    nul_terminated(vars)
}

/// One mapped area of `/proc/PID/maps`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Area {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    /// Shared (`s`) rather than private (`p`).
    pub shared: bool,
    /// Offset in the file, in bytes.
    pub offset: u64,
    pub major: u32,
    pub minor: u32,
    pub inode: u64,
    /// The file's path, a name such as `[heap]`, `[stack]` or `[vdso]`,
    /// or empty for an anonymous area.
    pub path: String,
}

/// `/proc/PID/maps` for a 64-bit process: the name starts at column 73.
pub fn maps(areas: &[Area]) -> String {
    maps_with_pointer_size(areas, 8)
}

/// `/proc/PID/maps` for a process whose pointers are `pointer_bytes`
/// wide (4 for i386: the name starts at column 49).
pub fn maps_with_pointer_size(areas: &[Area], pointer_bytes: usize) -> String {
    let width = 25 + pointer_bytes * 6 - 1;
    let mut s = String::with_capacity(areas.len() * (width + 32));
    for a in areas {
        let line_start = s.len();
        let flag = |on: bool, c: char| if on { c } else { '-' };
        let _ = write!(
            s,
            "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
            a.start,
            a.end,
            flag(a.read, 'r'),
            flag(a.write, 'w'),
            flag(a.exec, 'x'),
            if a.shared { 's' } else { 'p' },
            a.offset,
            a.major,
            a.minor,
            a.inode
        );
        if !a.path.is_empty() {
            let used = s.len() - line_start;
            for _ in used..width {
                s.push(' ');
            }
            s.push(' ');
            push_octal_escaped(&mut s, &a.path, b"\n");
        }
        s.push('\n');
    }
    s
}
