//! System-wide files: `/proc/{meminfo,cpuinfo,stat,uptime,loadavg,version}`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// What `/proc/meminfo` shows; every other field is 0. Sizes in kB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total_kb: u64,
    pub free_kb: u64,
    pub available_kb: u64,
    pub buffers_kb: u64,
    /// Page cache, including `shmem_kb` (as Linux counts it).
    pub cached_kb: u64,
    pub shmem_kb: u64,
    /// Huge page size (2048 on x86-64, 4096 on i386 without PAE).
    pub hugepage_size_kb: u64,
}

/// A `meminfo`-style line: the key and its colon padded to 16 columns (or
/// followed by one space when longer), the value right-aligned so that the
/// key and value together fill 24 columns.
fn meminfo_line(s: &mut String, key: &str, value: u64, unit: bool) {
    let start = s.len();
    s.push_str(key);
    s.push(':');
    if s.len() - start < 16 {
        while s.len() - start < 16 {
            s.push(' ');
        }
    } else {
        s.push(' ');
    }
    let width = 24usize.saturating_sub(s.len() - start);
    let _ = write!(s, "{value:>width$}");
    s.push_str(if unit { " kB\n" } else { "\n" });
}

/// `/proc/meminfo`: Linux 6.1's field list for x86 in its order.
pub fn meminfo(m: &MemInfo) -> String {
    let mut s = String::with_capacity(1500);
    let fields: [(&str, u64); 44] = [
        ("MemTotal", m.total_kb),
        ("MemFree", m.free_kb),
        ("MemAvailable", m.available_kb),
        ("Buffers", m.buffers_kb),
        ("Cached", m.cached_kb),
        ("SwapCached", 0),
        ("Active", 0),
        ("Inactive", 0),
        ("Active(anon)", 0),
        ("Inactive(anon)", 0),
        ("Active(file)", 0),
        ("Inactive(file)", 0),
        ("Unevictable", 0),
        ("Mlocked", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Zswap", 0),
        ("Zswapped", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", 0),
        ("Mapped", 0),
        ("Shmem", m.shmem_kb),
        ("KReclaimable", 0),
        ("Slab", 0),
        ("SReclaimable", 0),
        ("SUnreclaim", 0),
        ("KernelStack", 0),
        ("PageTables", 0),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", 0),
        ("Committed_AS", 0),
        ("VmallocTotal", 0),
        ("VmallocUsed", 0),
        ("VmallocChunk", 0),
        ("Percpu", 0),
        ("HardwareCorrupted", 0),
        ("AnonHugePages", 0),
        ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FileHugePages", 0),
        ("FilePmdMapped", 0),
    ];
    for (k, v) in fields {
        meminfo_line(&mut s, k, v, true);
    }
    for k in [
        "HugePages_Total",
        "HugePages_Free",
        "HugePages_Rsvd",
        "HugePages_Surp",
    ] {
        meminfo_line(&mut s, k, 0, false);
    }
    meminfo_line(&mut s, "Hugepagesize", m.hugepage_size_kb, true);
    for k in ["Hugetlb", "DirectMap4k", "DirectMap2M", "DirectMap1G"] {
        meminfo_line(&mut s, k, 0, true);
    }
    s
}

/// One processor of `/proc/cpuinfo`, filled from CPUID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cpu {
    pub processor: u32,
    pub vendor_id: String,
    pub family: u32,
    pub model: u32,
    /// Brand string; empty prints `unknown`.
    pub model_name: String,
    pub stepping: u32,
    pub microcode: u32,
    /// Clock in kHz (`cpu MHz` shows it with three decimals).
    pub khz: u64,
    /// Last-level cache in KB; 0 leaves the line out.
    pub cache_size_kb: u32,
    pub physical_id: u32,
    pub siblings: u32,
    pub core_id: u32,
    pub cpu_cores: u32,
    pub apicid: u32,
    pub initial_apicid: u32,
    pub cpuid_level: u32,
    /// Linux's names of the feature bits set (`fpu vme de ...`).
    pub flags: Vec<String>,
    /// VMX feature names; the `vmx flags` line appears when not empty.
    pub vmx_flags: Vec<String>,
    pub bugs: Vec<String>,
    /// BogoMIPS times 100.
    pub bogomips_centi: u64,
    pub clflush_size: u32,
    pub cache_alignment: u32,
    pub phys_bits: u32,
    pub virt_bits: u32,
    pub power_management: Vec<String>,
}

fn push_words(s: &mut String, words: &[String]) {
    for w in words {
        s.push(' ');
        s.push_str(w);
    }
}

/// `/proc/cpuinfo`: one block per CPU, each ended by a blank line.
pub fn cpuinfo(cpus: &[Cpu]) -> String {
    let mut s = String::with_capacity(cpus.len() * 1600);
    for c in cpus {
        let _ = writeln!(s, "processor\t: {}", c.processor);
        let _ = writeln!(s, "vendor_id\t: {}", c.vendor_id);
        let _ = writeln!(s, "cpu family\t: {}", c.family);
        let _ = writeln!(s, "model\t\t: {}", c.model);
        let name = if c.model_name.is_empty() {
            "unknown"
        } else {
            &c.model_name
        };
        let _ = writeln!(s, "model name\t: {name}");
        let _ = writeln!(s, "stepping\t: {}", c.stepping);
        let _ = writeln!(s, "microcode\t: {:#x}", c.microcode);
        let _ = writeln!(s, "cpu MHz\t\t: {}.{:03}", c.khz / 1000, c.khz % 1000);
        if c.cache_size_kb != 0 {
            let _ = writeln!(s, "cache size\t: {} KB", c.cache_size_kb);
        }
        let _ = writeln!(s, "physical id\t: {}", c.physical_id);
        let _ = writeln!(s, "siblings\t: {}", c.siblings);
        let _ = writeln!(s, "core id\t\t: {}", c.core_id);
        let _ = writeln!(s, "cpu cores\t: {}", c.cpu_cores);
        let _ = writeln!(s, "apicid\t\t: {}", c.apicid);
        let _ = writeln!(s, "initial apicid\t: {}", c.initial_apicid);
        let fpu = if c.flags.iter().any(|f| f == "fpu") {
            "yes"
        } else {
            "no"
        };
        let _ = writeln!(s, "fpu\t\t: {fpu}\nfpu_exception\t: {fpu}");
        let _ = writeln!(s, "cpuid level\t: {}", c.cpuid_level);
        s.push_str("wp\t\t: yes\nflags\t\t:");
        push_words(&mut s, &c.flags);
        if !c.vmx_flags.is_empty() {
            s.push_str("\nvmx flags\t:");
            push_words(&mut s, &c.vmx_flags);
        }
        s.push_str("\nbugs\t\t:");
        push_words(&mut s, &c.bugs);
        let _ = writeln!(
            s,
            "\nbogomips\t: {}.{:02}",
            c.bogomips_centi / 100,
            c.bogomips_centi % 100
        );
        let _ = writeln!(s, "clflush size\t: {}", c.clflush_size);
        let _ = writeln!(s, "cache_alignment\t: {}", c.cache_alignment);
        let _ = writeln!(
            s,
            "address sizes\t: {} bits physical, {} bits virtual",
            c.phys_bits, c.virt_bits
        );
        s.push_str("power management:");
        push_words(&mut s, &c.power_management);
        s.push_str("\n\n");
    }
    s
}

/// Time one CPU (or all of them) spent in each state, in clock ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
    pub guest: u64,
    pub guest_nice: u64,
}

impl CpuTimes {
    fn fields(&self) -> [u64; 10] {
        [
            self.user,
            self.nice,
            self.system,
            self.idle,
            self.iowait,
            self.irq,
            self.softirq,
            self.steal,
            self.guest,
            self.guest_nice,
        ]
    }
}

/// What `/proc/stat` shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelStat {
    /// One entry per CPU; the `cpu` line is their sum.
    pub cpus: Vec<CpuTimes>,
    /// Interrupts taken, per interrupt number; `intr` starts with the sum.
    pub irqs: Vec<u64>,
    /// Context switches since boot.
    pub ctxt: u64,
    /// Boot time, seconds since the epoch.
    pub btime: u64,
    /// Forks since boot.
    pub processes: u64,
    pub procs_running: u64,
    pub procs_blocked: u64,
    /// The ten softirq counts (HI, TIMER, NET_TX, NET_RX, BLOCK,
    /// IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU).
    pub softirqs: [u64; 10],
}

/// `/proc/stat`.
pub fn kernel_stat(k: &KernelStat) -> String {
    let mut s = String::with_capacity(256 + k.cpus.len() * 64 + k.irqs.len() * 2);
    let mut sum = [0u64; 10];
    for c in &k.cpus {
        for (t, v) in sum.iter_mut().zip(c.fields()) {
            *t = t.wrapping_add(v);
        }
    }
    s.push_str("cpu ");
    for v in sum {
        let _ = write!(s, " {v}");
    }
    s.push('\n');
    for (i, c) in k.cpus.iter().enumerate() {
        let _ = write!(s, "cpu{i}");
        for v in c.fields() {
            let _ = write!(s, " {v}");
        }
        s.push('\n');
    }
    let total: u64 = k.irqs.iter().fold(0, |a, &v| a.wrapping_add(v));
    let _ = write!(s, "intr {total}");
    for v in &k.irqs {
        let _ = write!(s, " {v}");
    }
    let _ = write!(
        s,
        "\nctxt {}\nbtime {}\nprocesses {}\nprocs_running {}\nprocs_blocked {}\n",
        k.ctxt, k.btime, k.processes, k.procs_running, k.procs_blocked
    );
    let total: u64 = k.softirqs.iter().fold(0, |a, &v| a.wrapping_add(v));
    let _ = write!(s, "softirq {total}");
    for v in k.softirqs {
        let _ = write!(s, " {v}");
    }
    s.push('\n');
    s
}

/// `/proc/uptime`: seconds since boot and idle seconds summed over CPUs,
/// each with two decimals (truncated, as Linux does).
pub fn uptime(uptime_ns: u64, idle_ns: u64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}.{:02} {}.{:02}",
        uptime_ns / 1_000_000_000,
        uptime_ns % 1_000_000_000 / 10_000_000,
        idle_ns / 1_000_000_000,
        idle_ns % 1_000_000_000 / 10_000_000
    );
    s
}

/// What `/proc/loadavg` shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadAvg {
    /// 1, 5 and 15 minute averages in Linux's fixed point (11 fraction
    /// bits: 2048 = 1.0).
    pub avenrun: [u64; 3],
    /// Runnable tasks and all tasks (threads included).
    pub running: u64,
    pub threads: u64,
    /// The most recently allocated pid.
    pub last_pid: u64,
}

/// `/proc/loadavg`: `0.00 0.00 0.00 R/T LASTPID`, rounded as Linux rounds.
pub fn loadavg(l: &LoadAvg) -> String {
    const FSHIFT: u32 = 11;
    const FIXED_1: u64 = 1 << FSHIFT;
    let mut s = String::new();
    for a in l.avenrun {
        let x = a + FIXED_1 / 200;
        let int = x >> FSHIFT;
        let frac = ((x & (FIXED_1 - 1)) * 100) >> FSHIFT;
        let _ = write!(s, "{int}.{frac:02} ");
    }
    let _ = writeln!(s, "{}/{} {}", l.running, l.threads, l.last_pid);
    s
}

/// The build strings `/proc/version` (and `uname`) show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Version {
    /// `6.1.0-exov6`.
    pub release: String,
    pub build_user: String,
    pub build_host: String,
    /// The compiler that built the kernel, e.g. `rustc 1.83.0`.
    pub compiler: String,
    /// `#1 SMP PREEMPT_DYNAMIC <build date>`.
    pub version: String,
}

/// `/proc/version`.
pub fn version(v: &Version) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Linux version {} ({}@{}) ({}) {}",
        v.release, v.build_user, v.build_host, v.compiler, v.version
    );
    s
}
