//! Properties: stat lines split into their fields whatever the command
//! name holds; mount escaping is reversible; maps names start at column 73.

use procfs::*;
use proptest::prelude::*;

/// How procps and LTP split a stat line: pid before " (", comm up to the
/// last ')', the other 50 fields after it.
fn split_stat(line: &str) -> (u64, &str, Vec<&str>) {
    let open = line.find(" (").unwrap();
    let close = line.rfind(')').unwrap();
    let pid = line[..open].parse().unwrap();
    let comm = &line[open + 2..close];
    let rest = line[close + 1..].split_ascii_whitespace().collect();
    (pid, comm, rest)
}

fn comm_strategy() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z() \\t)(:0-9]{0,15}").unwrap()
}

prop_compose! {
    fn process()(
        comm in comm_strategy(),
        ids in proptest::array::uniform6(1u64..4_194_304),
        tpgid in -1i64..100_000,
        times in proptest::array::uniform8(0u64..u64::MAX / 2),
        nice in -20i64..20,
        sigs in proptest::array::uniform5(any::<u64>()),
        addrs in proptest::array::uniform10(any::<u64>()),
        size_kb in 0u64..1 << 40,
        rss in proptest::array::uniform3(0u64..1 << 30),
        exit_code in any::<i32>(),
        state in 0usize..9,
    ) -> Process {
        let states = [
            TaskState::Running, TaskState::Sleeping, TaskState::DiskSleep,
            TaskState::Stopped, TaskState::TracingStop, TaskState::Dead,
            TaskState::Zombie, TaskState::Parked, TaskState::Idle,
        ];
        Process {
            pid: ids[0], tgid: ids[1], ppid: ids[2], pgrp: ids[3], session: ids[4],
            tracer_pid: ids[5], tpgid, comm, state: states[state],
            minflt: times[0], cminflt: times[1], majflt: times[2], cmajflt: times[3],
            utime: times[4], stime: times[5], cutime: times[6] as i64, cstime: -(times[7] as i64),
            priority: 20 + nice, nice, num_threads: 1 + ids[0] % 7, start_time: times[0],
            sig_pending: sigs[0], shared_pending: sigs[1], sig_blocked: sigs[2],
            sig_ignored: sigs[3], sig_caught: sigs[4],
            start_code: addrs[0], end_code: addrs[1], start_stack: addrs[2],
            start_data: addrs[3], end_data: addrs[4], start_brk: addrs[5],
            arg_start: addrs[6], arg_end: addrs[7], env_start: addrs[8], env_end: addrs[9],
            mem: Mem { size_kb, rss_anon_kb: rss[0], rss_file_kb: rss[1], rss_shmem_kb: rss[2], ..Mem::default() },
            rss_limit: u64::MAX, exit_signal: 17, exit_code,
            ..Process::default()
        }
    }
}

fn unmangle(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len() + 1
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push(u8::from_str_radix(&s[i + 1..i + 4], 8).unwrap());
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

proptest! {
    #[test]
    fn stat_fields_split(p in process()) {
        let line = stat(&p);
        prop_assert!(line.ends_with('\n'));
        let (pid, comm, rest) = split_stat(line.trim_end_matches('\n'));
        prop_assert_eq!(pid, p.pid);
        prop_assert_eq!(comm, p.comm.as_str());
        prop_assert_eq!(rest.len(), 50);
        let n = |i: usize| rest[i - 3].parse::<i128>().unwrap();
        prop_assert_eq!(rest[0], p.state.letter().to_string());
        prop_assert_eq!(n(4), p.ppid as i128);
        prop_assert_eq!(n(5), p.pgrp as i128);
        prop_assert_eq!(n(6), p.session as i128);
        prop_assert_eq!(n(8), p.tpgid as i128);
        prop_assert_eq!(n(10), p.minflt as i128);
        prop_assert_eq!(n(14), p.utime as i128);
        prop_assert_eq!(n(17), p.cstime as i128);
        prop_assert_eq!(n(19), p.nice as i128);
        prop_assert_eq!(n(20), p.num_threads as i128);
        prop_assert_eq!(n(23), p.mem.size_kb as i128 * 1024);
        prop_assert_eq!(n(24), p.mem.rss_kb() as i128 / 4);
        prop_assert_eq!(n(26), p.start_code as i128);
        prop_assert_eq!(n(28), p.start_stack as i128);
        prop_assert_eq!(n(31), ((p.sig_pending | p.shared_pending) & 0x7fff_ffff) as i128);
        prop_assert_eq!(n(34), (p.sig_caught & 0x7fff_ffff) as i128);
        prop_assert_eq!(n(35), i128::from(p.state != TaskState::Running));
        prop_assert_eq!(n(38), 17);
        prop_assert_eq!(n(45), p.start_data as i128);
        prop_assert_eq!(n(51), p.env_end as i128);
        prop_assert_eq!(n(52), p.exit_code as i128);
        for f in &rest[1..] {
            prop_assert!(f.parse::<i128>().is_ok(), "{}", f);
        }
    }

    #[test]
    fn status_name_and_lines(p in process()) {
        let text = status(&p);
        let first = text.lines().next().unwrap();
        prop_assert_eq!(first, format!("Name:\t{}", p.comm));
        for line in text.lines() {
            prop_assert!(line.split_once(":\t").is_some(), "{}", line);
        }
    }

    #[test]
    fn mangle_round_trips(s in "[ -~\\t\\n]{0,40}") {
        let m = mangle(&s);
        prop_assert!(!m.contains([' ', '\t', '\n']));
        prop_assert_eq!(unmangle(&m), s);
    }

    #[test]
    fn maps_names_start_at_73(
        start in 0u64..1 << 47, len in 1u64..1 << 20, offset in 0u64..1 << 32,
        inode in 0u64..1 << 24, name in "[a-z/\\[\\]]{1,20}", dev in (0u32..256, 0u32..256),
    ) {
        let a = Area {
            start, end: start + len, read: true, offset, major: dev.0, minor: dev.1,
            inode, path: name.clone(), ..Area::default()
        };
        let text = maps(&[a]);
        let line = text.strip_suffix('\n').unwrap();
        prop_assert_eq!(&line[73..], name.as_str());
        prop_assert_eq!(line[..73].split_ascii_whitespace().count(), 5);
    }
}
