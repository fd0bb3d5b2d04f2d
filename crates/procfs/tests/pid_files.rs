//! Exact text of the per-process files for sample inputs, written from
//! Linux 6.1's formats.

use procfs::*;

fn sample() -> Process {
    Process {
        pid: 42,
        tgid: 42,
        ppid: 1,
        pgrp: 42,
        session: 7,
        tty_nr: 0x8800,
        tpgid: 42,
        tracer_pid: 0,
        comm: "sh".into(),
        state: TaskState::Sleeping,
        umask: 0o022,
        flags: 0x40_0100,
        uid: [1000, 1000, 1000, 1000],
        gid: [100, 100, 100, 100],
        groups: vec![100, 27],
        fd_size: 64,
        minflt: 120,
        cminflt: 3,
        majflt: 1,
        cmajflt: 0,
        utime: 5,
        stime: 2,
        cutime: 7,
        cstime: 1,
        guest_time: 0,
        cguest_time: 0,
        priority: 20,
        nice: 0,
        num_threads: 1,
        start_time: 1234,
        mem: Mem {
            peak_kb: 2400,
            size_kb: 2396,
            locked_kb: 0,
            pinned_kb: 0,
            hwm_kb: 900,
            rss_anon_kb: 100,
            rss_file_kb: 788,
            rss_shmem_kb: 0,
            data_kb: 180,
            stack_kb: 132,
            exe_kb: 64,
            lib_kb: 0,
            pte_kb: 40,
            swap_kb: 0,
        },
        rss_limit: u64::MAX,
        start_code: 0x40_0000,
        end_code: 0x41_0000,
        start_stack: 0x7ffd_0000_1000,
        start_data: 0x61_0000,
        end_data: 0x61_2000,
        start_brk: 0x62_0000,
        arg_start: 0x7ffd_0000_2000,
        arg_end: 0x7ffd_0000_2010,
        env_start: 0x7ffd_0000_2010,
        env_end: 0x7ffd_0000_2fe0,
        sig_pending: 0,
        shared_pending: 1 << 16,
        sig_blocked: 1 << 1,
        sig_ignored: (1 << 2) | (1 << 40),
        sig_caught: (1 << 16) | (1 << 27),
        sigq_queued: 1,
        sigq_limit: 7823,
        exit_signal: 17,
        processor: 1,
        rt_priority: 0,
        policy: 0,
        blkio_ticks: 0,
        exit_code: 0,
        cap_inheritable: 0,
        cap_permitted: 0,
        cap_effective: 0,
        cap_bounding: 0x1ff_ffff_ffff,
        cap_ambient: 0,
        no_new_privs: false,
        seccomp: 0,
        seccomp_filters: 0,
        cpus_allowed: 3,
        nr_cpus: 2,
        voluntary_ctxt_switches: 12,
        nonvoluntary_ctxt_switches: 3,
    }
}

#[test]
fn stat_text() {
    let expected = "42 (sh) S 1 42 7 34816 42 4194560 120 3 1 0 5 2 7 1 20 0 1 0 1234 \
        2453504 222 18446744073709551615 4194304 4259840 140724603457536 0 0 65536 2 4 \
        134283264 1 0 0 17 1 0 0 0 0 0 6356992 6365184 6422528 140724603461632 \
        140724603461648 140724603461648 140724603465696 0\n";
    assert_eq!(stat(&sample()), expected);
}

#[test]
fn stat_has_52_fields() {
    let text = stat(&sample());
    assert!(text.ends_with('\n'));
    assert_eq!(text.split_whitespace().count(), 52);
}

#[test]
fn stat_of_running_task_has_wchan_0_and_masks_signals() {
    let mut p = sample();
    p.state = TaskState::Running;
    p.sig_blocked = u64::MAX;
    let text = stat(&p);
    let f: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(f[2], "R");
    assert_eq!(f[31], "2147483647");
    assert_eq!(f[34], "0");
}

#[test]
fn statm_text() {
    assert_eq!(statm(&sample()), "599 222 197 16 0 78 0\n");
}

#[test]
fn status_text() {
    let expected = "Name:\tsh
Umask:\t0022
State:\tS (sleeping)
Tgid:\t42
Ngid:\t0
Pid:\t42
PPid:\t1
TracerPid:\t0
Uid:\t1000\t1000\t1000\t1000
Gid:\t100\t100\t100\t100
FDSize:\t64
Groups:\t100 27 
NStgid:\t42
NSpid:\t42
NSpgid:\t42
NSsid:\t7
VmPeak:\t    2400 kB
VmSize:\t    2396 kB
VmLck:\t       0 kB
VmPin:\t       0 kB
VmHWM:\t     900 kB
VmRSS:\t     888 kB
RssAnon:\t     100 kB
RssFile:\t     788 kB
RssShmem:\t       0 kB
VmData:\t     180 kB
VmStk:\t     132 kB
VmExe:\t      64 kB
VmLib:\t       0 kB
VmPTE:\t      40 kB
VmSwap:\t       0 kB
HugetlbPages:\t       0 kB
CoreDumping:\t0
THP_enabled:\t1
Threads:\t1
SigQ:\t1/7823
SigPnd:\t0000000000000000
ShdPnd:\t0000000000010000
SigBlk:\t0000000000000002
SigIgn:\t0000010000000004
SigCgt:\t0000000008010000
CapInh:\t0000000000000000
CapPrm:\t0000000000000000
CapEff:\t0000000000000000
CapBnd:\t000001ffffffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t0
Seccomp:\t0
Seccomp_filters:\t0
Speculation_Store_Bypass:\tvulnerable
SpeculationIndirectBranch:\talways enabled
Cpus_allowed:\t3
Cpus_allowed_list:\t0-1
Mems_allowed:\t1
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t12
nonvoluntary_ctxt_switches:\t3
";
    assert_eq!(status(&sample()), expected);
}

#[test]
fn status_lines_are_key_tab_value() {
    let mut p = sample();
    p.comm = "a\nb\\c".into();
    p.groups.clear();
    let text = status(&p);
    for line in text.lines() {
        let (key, value) = line.split_once(":\t").expect(line);
        assert!(
            !key.is_empty() && !key.contains(char::is_whitespace),
            "{line}"
        );
        assert!(!value.is_empty(), "{line}");
    }
    assert!(text.starts_with("Name:\ta\\nb\\\\c\n"));
    assert!(text.contains("\nGroups:\t \n"));
}

#[test]
fn umask_forms() {
    let mut p = sample();
    p.umask = 0;
    assert!(status(&p).contains("\nUmask:\t0000\n"));
    p.umask = 0o777;
    assert!(status(&p).contains("\nUmask:\t0777\n"));
}

#[test]
fn states() {
    let all = [
        (TaskState::Running, 'R', "R (running)"),
        (TaskState::Sleeping, 'S', "S (sleeping)"),
        (TaskState::DiskSleep, 'D', "D (disk sleep)"),
        (TaskState::Stopped, 'T', "T (stopped)"),
        (TaskState::TracingStop, 't', "t (tracing stop)"),
        (TaskState::Dead, 'X', "X (dead)"),
        (TaskState::Zombie, 'Z', "Z (zombie)"),
        (TaskState::Parked, 'P', "P (parked)"),
        (TaskState::Idle, 'I', "I (idle)"),
    ];
    for (s, c, l) in all {
        assert_eq!(s.letter(), c);
        assert_eq!(s.long(), l);
    }
}

#[test]
fn comm_cmdline_environ() {
    assert_eq!(comm(&sample()), "sh\n");
    assert_eq!(
        cmdline(&["/bin/sh", "-c", "echo a b"]),
        b"/bin/sh\0-c\0echo a b\0"
    );
    assert_eq!(cmdline::<&str>(&[]), b"");
    assert_eq!(environ(&[b"A=1".as_slice(), b"B="]), b"A=1\0B=\0");
}

#[test]
fn comm_truncation() {
    assert_eq!(truncate_comm("short"), "short");
    assert_eq!(truncate_comm("a-very-long-program-name"), "a-very-long-pro");
    // 14 ASCII bytes then a 2-byte character: cut before it.
    assert_eq!(truncate_comm("abcdefghijklmné"), "abcdefghijklmn");
}

fn area(
    start: u64,
    end: u64,
    perms: &str,
    offset: u64,
    dev: (u32, u32),
    inode: u64,
    path: &str,
) -> Area {
    let p = perms.as_bytes();
    Area {
        start,
        end,
        read: p[0] == b'r',
        write: p[1] == b'w',
        exec: p[2] == b'x',
        shared: p[3] == b's',
        offset,
        major: dev.0,
        minor: dev.1,
        inode,
        path: path.into(),
    }
}

#[test]
fn maps_text() {
    let areas = [
        area(
            0x40_0000,
            0x40_1000,
            "r--p",
            0,
            (0xfe, 0),
            1234,
            "/bin/prog",
        ),
        area(
            0x40_1000,
            0x41_0000,
            "r-xp",
            0x1000,
            (0xfe, 0),
            1234,
            "/bin/prog",
        ),
        area(0x61_0000, 0x63_1000, "rw-p", 0, (0, 0), 0, "[heap]"),
        area(
            0x7f00_0000_0000,
            0x7f00_0001_0000,
            "rw-s",
            0x1_2345_6000,
            (0, 5),
            99,
            "/dev/shm/a b\nc",
        ),
        area(0x7f00_0002_0000, 0x7f00_0003_0000, "rw-p", 0, (0, 0), 0, ""),
        area(
            0x7ffd_0000_0000,
            0x7ffd_0002_1000,
            "rw-p",
            0,
            (0, 0),
            0,
            "[stack]",
        ),
    ];
    let expected = "\
00400000-00401000 r--p 00000000 fe:00 1234                               /bin/prog
00401000-00410000 r-xp 00001000 fe:00 1234                               /bin/prog
00610000-00631000 rw-p 00000000 00:00 0                                  [heap]
7f0000000000-7f0000010000 rw-s 123456000 00:05 99                        /dev/shm/a b\\012c
7f0000020000-7f0000030000 rw-p 00000000 00:00 0 
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
";
    assert_eq!(maps(&areas), expected);
    for line in maps(&areas).lines() {
        if line.len() > 73 {
            assert_ne!(line.as_bytes()[73], b' ', "{line}");
            assert_eq!(line.as_bytes()[72], b' ', "{line}");
        }
    }
}

#[test]
fn maps_long_header_and_32_bit() {
    let a = area(
        0xffff_ffff_f000,
        0xffff_ffff_ffff_f000,
        "r-xp",
        0xffff_ffff_ffff_0000,
        (0x103, 0x1ff),
        123_456_789_012,
        "/x",
    );
    let line = maps(std::slice::from_ref(&a));
    assert_eq!(
        line,
        "fffffffff000-fffffffffffff000 r-xp ffffffffffff0000 103:1ff 123456789012  /x\n"
    );
    let b = area(0x0804_8000, 0x0804_9000, "r-xp", 0, (8, 1), 12, "/bin/i");
    assert_eq!(
        maps_with_pointer_size(&[b], 4),
        "08048000-08049000 r-xp 00000000 08:01 12         /bin/i\n"
    );
}
