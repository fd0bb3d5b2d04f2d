//! Exact text of the system-wide files for sample inputs, written from
//! Linux 6.1's formats.

use procfs::*;

#[test]
fn meminfo_text() {
    let m = MemInfo {
        total_kb: 262_144,
        free_kb: 200_000,
        available_kb: 230_000,
        buffers_kb: 0,
        cached_kb: 30_000,
        shmem_kb: 1_024,
        hugepage_size_kb: 2048,
    };
    let expected = "\
MemTotal:         262144 kB
MemFree:          200000 kB
MemAvailable:     230000 kB
Buffers:               0 kB
Cached:            30000 kB
SwapCached:            0 kB
Active:                0 kB
Inactive:              0 kB
Active(anon):          0 kB
Inactive(anon):        0 kB
Active(file):          0 kB
Inactive(file):        0 kB
Unevictable:           0 kB
Mlocked:               0 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Zswap:                 0 kB
Zswapped:              0 kB
Dirty:                 0 kB
Writeback:             0 kB
AnonPages:             0 kB
Mapped:                0 kB
Shmem:              1024 kB
KReclaimable:          0 kB
Slab:                  0 kB
SReclaimable:          0 kB
SUnreclaim:            0 kB
KernelStack:           0 kB
PageTables:            0 kB
NFS_Unstable:          0 kB
Bounce:                0 kB
WritebackTmp:          0 kB
CommitLimit:           0 kB
Committed_AS:          0 kB
VmallocTotal:          0 kB
VmallocUsed:           0 kB
VmallocChunk:          0 kB
Percpu:                0 kB
HardwareCorrupted:     0 kB
AnonHugePages:         0 kB
ShmemHugePages:        0 kB
ShmemPmdMapped:        0 kB
FileHugePages:         0 kB
FilePmdMapped:         0 kB
HugePages_Total:       0
HugePages_Free:        0
HugePages_Rsvd:        0
HugePages_Surp:        0
Hugepagesize:       2048 kB
Hugetlb:               0 kB
DirectMap4k:           0 kB
DirectMap2M:           0 kB
DirectMap1G:           0 kB
";
    assert_eq!(meminfo(&m), expected);
}

#[test]
fn meminfo_wide_values_push_right() {
    let m = MemInfo {
        total_kb: 123_456_789_012,
        ..MemInfo::default()
    };
    assert!(meminfo(&m).starts_with("MemTotal:       123456789012 kB\n"));
}

fn cpu(n: u32) -> Cpu {
    Cpu {
        processor: n,
        vendor_id: "GenuineIntel".into(),
        family: 6,
        model: 85,
        model_name: "Intel(R) Xeon(R) CPU".into(),
        stepping: 7,
        microcode: 0x1,
        khz: 2_399_999,
        cache_size_kb: 16384,
        physical_id: 0,
        siblings: 2,
        core_id: n,
        cpu_cores: 2,
        apicid: n,
        initial_apicid: n,
        cpuid_level: 13,
        flags: ["fpu", "vme", "sse2", "lm"].map(String::from).to_vec(),
        vmx_flags: vec![],
        bugs: ["spectre_v1"].map(String::from).to_vec(),
        bogomips_centi: 479_999,
        clflush_size: 64,
        cache_alignment: 64,
        phys_bits: 40,
        virt_bits: 48,
        power_management: vec![],
    }
}

#[test]
fn cpuinfo_text() {
    let one = "\
processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 85
model name\t: Intel(R) Xeon(R) CPU
stepping\t: 7
microcode\t: 0x1
cpu MHz\t\t: 2399.999
cache size\t: 16384 KB
physical id\t: 0
siblings\t: 2
core id\t\t: 0
cpu cores\t: 2
apicid\t\t: 0
initial apicid\t: 0
fpu\t\t: yes
fpu_exception\t: yes
cpuid level\t: 13
wp\t\t: yes
flags\t\t: fpu vme sse2 lm
bugs\t\t: spectre_v1
bogomips\t: 4799.99
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 40 bits physical, 48 bits virtual
power management:

";
    assert_eq!(cpuinfo(&[cpu(0)]), one);
    let two = cpuinfo(&[cpu(0), cpu(1)]);
    assert_eq!(two.matches("processor\t: ").count(), 2);
    assert!(two.contains("\n\nprocessor\t: 1\n"));
    assert!(two.ends_with("power management:\n\n"));
}

#[test]
fn cpuinfo_optional_lines() {
    let mut c = cpu(0);
    c.model_name.clear();
    c.cache_size_kb = 0;
    c.vmx_flags = vec!["vnmi".into(), "ept".into()];
    c.bugs.clear();
    c.power_management = vec!["ts".into(), "ttp".into()];
    c.flags.retain(|f| f != "fpu");
    let text = cpuinfo(&[c]);
    assert!(text.contains("model name\t: unknown\n"));
    assert!(!text.contains("cache size"));
    assert!(text.contains(" sse2 lm\nvmx flags\t: vnmi ept\nbugs\t\t:\nbogomips"));
    assert!(text.contains("fpu\t\t: no\nfpu_exception\t: no\n"));
    assert!(text.ends_with("power management: ts ttp\n\n"));
}

#[test]
fn kernel_stat_text() {
    let c0 = CpuTimes {
        user: 10,
        nice: 1,
        system: 5,
        idle: 100,
        iowait: 2,
        irq: 0,
        softirq: 3,
        steal: 0,
        guest: 0,
        guest_nice: 0,
    };
    let c1 = CpuTimes {
        user: 20,
        idle: 90,
        ..CpuTimes::default()
    };
    let k = KernelStat {
        cpus: vec![c0, c1],
        irqs: vec![7, 0, 3],
        ctxt: 555,
        btime: 1_700_000_000,
        processes: 12,
        procs_running: 1,
        procs_blocked: 0,
        softirqs: [0, 4, 0, 0, 0, 0, 0, 1, 0, 2],
    };
    let expected = "\
cpu  30 1 5 190 2 0 3 0 0 0
cpu0 10 1 5 100 2 0 3 0 0 0
cpu1 20 0 0 90 0 0 0 0 0 0
intr 10 7 0 3
ctxt 555
btime 1700000000
processes 12
procs_running 1
procs_blocked 0
softirq 7 0 4 0 0 0 0 0 1 0 2
";
    assert_eq!(kernel_stat(&k), expected);
}

#[test]
fn uptime_truncates_to_hundredths() {
    assert_eq!(uptime(12_345_678_901, 20_009_999_999), "12.34 20.00\n");
    assert_eq!(uptime(0, 0), "0.00 0.00\n");
    assert_eq!(uptime(5_050_000_000, 100_000_000), "5.05 0.10\n");
}

#[test]
fn loadavg_text() {
    let l = LoadAvg {
        avenrun: [0, 2048, 3072 + 20],
        running: 1,
        threads: 7,
        last_pid: 99,
    };
    // 3092/2048 = 1.5098: Linux adds half a hundredth before truncating.
    assert_eq!(loadavg(&l), "0.00 1.00 1.51 1/7 99\n");
    assert_eq!(loadavg(&LoadAvg::default()), "0.00 0.00 0.00 0/0 0\n");
}

#[test]
fn version_text() {
    let v = Version {
        release: "6.1.0-exov6".into(),
        build_user: "exov6".into(),
        build_host: "exov6".into(),
        compiler: "rustc 1.83.0".into(),
        version: "#1 SMP PREEMPT_DYNAMIC Thu Jan  1 00:00:00 UTC 2026".into(),
    };
    assert_eq!(
        version(&v),
        "Linux version 6.1.0-exov6 (exov6@exov6) (rustc 1.83.0) #1 SMP PREEMPT_DYNAMIC Thu Jan  1 00:00:00 UTC 2026\n"
    );
}

#[test]
fn sys_files() {
    let v = SysValues {
        ostype: "Linux".into(),
        osrelease: "6.1.0-exov6".into(),
        hostname: "exov6".into(),
        pid_max: 32768,
        threads_max: 4096,
        ngroups_max: 65536,
        overcommit_memory: 0,
        file_max: 65536,
        nr_open: 1_048_576,
        pipe_max_size: 1_048_576,
    };
    let got: Vec<(&str, &str, String)> = SysFile::ALL
        .iter()
        .map(|&f| (f.dir().name(), f.name(), sys_file(f, &v)))
        .collect();
    let want = [
        ("fs", "file-max", "65536\n"),
        ("fs", "nr_open", "1048576\n"),
        ("fs", "pipe-max-size", "1048576\n"),
        ("kernel", "hostname", "exov6\n"),
        ("kernel", "ngroups_max", "65536\n"),
        ("kernel", "osrelease", "6.1.0-exov6\n"),
        ("kernel", "ostype", "Linux\n"),
        ("kernel", "pid_max", "32768\n"),
        ("kernel", "threads-max", "4096\n"),
        ("vm", "overcommit_memory", "0\n"),
    ];
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0, g.1, g.2.as_str()), w);
    }
}

fn sample_mounts() -> Vec<Mount> {
    vec![
        Mount {
            id: 1,
            parent_id: 1,
            major: 0,
            minor: 1,
            root: "/".into(),
            mount_point: "/".into(),
            source: "rootfs".into(),
            fstype: "rootfs".into(),
            flags: MountFlags {
                relatime: true,
                ..MountFlags::default()
            },
            shared: Some(1),
            ..Mount::default()
        },
        Mount {
            id: 22,
            parent_id: 1,
            major: 0,
            minor: 21,
            root: "/".into(),
            mount_point: "/proc".into(),
            source: "proc".into(),
            fstype: "proc".into(),
            flags: MountFlags {
                nosuid: true,
                nodev: true,
                noexec: true,
                relatime: true,
                ..MountFlags::default()
            },
            ..Mount::default()
        },
        Mount {
            id: 23,
            parent_id: 1,
            major: 0,
            minor: 22,
            root: "/".into(),
            mount_point: "/tmp".into(),
            source: "tmpfs".into(),
            fstype: "tmpfs".into(),
            flags: MountFlags {
                nosuid: true,
                nodev: true,
                ..MountFlags::default()
            },
            fs_options: "size=65536k,mode=1777".into(),
            master: Some(1),
            propagate_from: Some(3),
            ..Mount::default()
        },
        Mount {
            id: 30,
            parent_id: 23,
            major: 0,
            minor: 22,
            root: "/sub dir".into(),
            mount_point: "/tmp/my\tdir\\x\ny".into(),
            source: String::new(),
            fstype: "tmpfs".into(),
            flags: MountFlags {
                readonly: true,
                noatime: true,
                ..MountFlags::default()
            },
            sb_sync: true,
            unbindable: true,
            ..Mount::default()
        },
    ]
}

#[test]
fn mounts_text() {
    let expected = "\
rootfs / rootfs rw,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /tmp tmpfs rw,nosuid,nodev,size=65536k,mode=1777 0 0
none /tmp/my\\011dir\\134x\\012y tmpfs ro,sync,noatime 0 0
";
    assert_eq!(mounts(&sample_mounts()), expected);
}

#[test]
fn mountinfo_text() {
    let expected = "\
1 1 0:1 / / rw,relatime shared:1 - rootfs rootfs rw
22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
23 1 0:22 / /tmp rw,nosuid,nodev master:1 propagate_from:3 - tmpfs tmpfs rw,size=65536k,mode=1777
30 23 0:22 /sub\\040dir /tmp/my\\011dir\\134x\\012y ro,noatime unbindable - tmpfs none rw,sync
";
    assert_eq!(mountinfo(&sample_mounts()), expected);
}

#[test]
fn mounts_fields_split_on_spaces() {
    for line in mounts(&sample_mounts()).lines() {
        assert_eq!(line.split(' ').count(), 6, "{line}");
    }
    for line in mountinfo(&sample_mounts()).lines() {
        let (head, tail) = line.split_once(" - ").unwrap();
        assert!(head.split(' ').count() >= 6);
        assert_eq!(tail.split(' ').count(), 3);
    }
}

#[test]
fn filesystems_text() {
    let t = [
        FsType {
            name: "sysfs",
            nodev: true,
        },
        FsType {
            name: "tmpfs",
            nodev: true,
        },
        FsType {
            name: "proc",
            nodev: true,
        },
        FsType {
            name: "ext2",
            nodev: false,
        },
    ];
    assert_eq!(
        filesystems(&t),
        "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n\text2\n"
    );
}
