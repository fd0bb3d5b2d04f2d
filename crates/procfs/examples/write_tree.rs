//! Writes a /proc-like tree of sample files to a directory, so host tools
//! can be pointed at it, e.g. in a private mount namespace:
//!
//! ```sh
//! cargo build -p procfs --example write_tree
//! unshare -m --propagation private sh -c 'target/debug/examples/write_tree \
//!     /tmp/fakeproc $$ && mount --bind /tmp/fakeproc /proc && exec ps -ef'
//! ```
//!
//! The optional second argument adds a process with that pid, which
//! `self` names (procps's `ps` looks itself up by its pid).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use procfs::*;

fn process(pid: u64, ppid: u64, comm: &str, state: TaskState) -> Process {
    Process {
        pid,
        tgid: pid,
        ppid,
        pgrp: pid,
        session: 1,
        tpgid: -1,
        comm: comm.into(),
        state,
        umask: 0o022,
        flags: 0x40_0100,
        fd_size: 64,
        utime: 120 * pid,
        stime: 30,
        priority: 20,
        num_threads: 1,
        start_time: 50 * pid,
        mem: Mem {
            peak_kb: 4096,
            size_kb: 4096,
            hwm_kb: 1024,
            rss_anon_kb: 512,
            rss_file_kb: 512,
            data_kb: 256,
            stack_kb: 132,
            exe_kb: 64,
            ..Mem::default()
        },
        rss_limit: u64::MAX,
        sigq_limit: 7823,
        exit_signal: 17,
        cap_bounding: 0x1ff_ffff_ffff,
        cpus_allowed: 3,
        nr_cpus: 2,
        ..Process::default()
    }
}

fn put(path: &Path, data: impl AsRef<[u8]>) {
    fs::write(path, data).unwrap();
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: write_tree DIR");
    let root = Path::new(&dir);
    fs::create_dir_all(root).unwrap();
    let mounts_list = vec![Mount {
        id: 1,
        parent_id: 1,
        minor: 1,
        root: "/".into(),
        mount_point: "/".into(),
        source: "rootfs".into(),
        fstype: "tmpfs".into(),
        fs_options: "size=65536k".into(),
        ..Mount::default()
    }];
    let mut procs = vec![
        process(1, 0, "init", TaskState::Sleeping),
        process(42, 1, "sh", TaskState::Sleeping),
        process(43, 42, "my prog (x)", TaskState::Running),
    ];
    let me: u64 = std::env::args().nth(2).map_or(43, |a| a.parse().unwrap());
    if me != 43 {
        procs.push(process(me, 42, "ps", TaskState::Running));
    }
    for p in &procs {
        let d = root.join(p.pid.to_string());
        fs::create_dir_all(d.join("fd")).unwrap();
        put(&d.join("stat"), stat(p));
        put(&d.join("status"), status(p));
        put(&d.join("statm"), statm(p));
        put(&d.join("comm"), comm(p));
        put(
            &d.join("cmdline"),
            cmdline(&[format!("/bin/{}", p.comm), "-x".into()]),
        );
        put(&d.join("environ"), environ(&["PATH=/bin", "HOME=/"]));
        put(&d.join("maps"), maps(&[]));
        put(&d.join("mounts"), mounts(&mounts_list));
        put(&d.join("mountinfo"), mountinfo(&mounts_list));
    }
    let _ = fs::remove_file(root.join("self"));
    symlink(me.to_string(), root.join("self")).unwrap();
    put(
        &root.join("meminfo"),
        meminfo(&MemInfo {
            total_kb: 262_144,
            free_kb: 200_000,
            available_kb: 230_000,
            buffers_kb: 1000,
            cached_kb: 20_000,
            shmem_kb: 100,
            hugepage_size_kb: 2048,
        }),
    );
    let cpu = |n: u32| Cpu {
        processor: n,
        vendor_id: "GenuineIntel".into(),
        family: 6,
        model: 85,
        model_name: "QEMU Virtual CPU".into(),
        khz: 2_400_000,
        siblings: 2,
        core_id: n,
        cpu_cores: 2,
        apicid: n,
        initial_apicid: n,
        cpuid_level: 13,
        flags: vec!["fpu".into(), "sse2".into()],
        bogomips_centi: 480_000,
        clflush_size: 64,
        cache_alignment: 64,
        phys_bits: 40,
        virt_bits: 48,
        ..Cpu::default()
    };
    put(&root.join("cpuinfo"), cpuinfo(&[cpu(0), cpu(1)]));
    let times = CpuTimes {
        user: 500,
        system: 200,
        idle: 10_000,
        ..CpuTimes::default()
    };
    put(
        &root.join("stat"),
        kernel_stat(&KernelStat {
            cpus: vec![times, times],
            irqs: vec![10, 20],
            ctxt: 1000,
            btime: 1_700_000_000,
            processes: 44,
            procs_running: 1,
            procs_blocked: 0,
            softirqs: [0; 10],
        }),
    );
    put(
        &root.join("uptime"),
        uptime(105_230_000_000, 200_000_000_000),
    );
    put(
        &root.join("loadavg"),
        loadavg(&LoadAvg {
            avenrun: [300, 200, 100],
            running: 1,
            threads: 3,
            last_pid: 43,
        }),
    );
    put(
        &root.join("version"),
        version(&Version {
            release: "6.1.0-exov6".into(),
            build_user: "exov6".into(),
            build_host: "exov6".into(),
            compiler: "rustc".into(),
            version: "#1 SMP".into(),
        }),
    );
    put(&root.join("mounts"), mounts(&mounts_list));
    put(
        &root.join("filesystems"),
        filesystems(&[FsType {
            name: "tmpfs",
            nodev: true,
        }]),
    );
    let sys = SysValues {
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
    for f in SysFile::ALL {
        let d = root.join("sys").join(f.dir().name());
        fs::create_dir_all(&d).unwrap();
        put(&d.join(f.name()), sys_file(f, &sys));
    }
}
