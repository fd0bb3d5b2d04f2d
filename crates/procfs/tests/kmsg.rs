use procfs::{kmsg_record, syslog_text, timestamp_us};
use proptest::prelude::*;

#[test]
fn syslog_lines_get_the_priority() {
    assert_eq!(syslog_text(b"a\nbc\n"), b"<6>a\n<6>bc\n");
    assert_eq!(syslog_text(b"a\npartial"), b"<6>a\n<6>partial");
    assert_eq!(syslog_text(b""), b"");
}

#[test]
fn logger_stamps() {
    assert_eq!(timestamp_us(b"[   0.078240] INFO  x"), Some(78_240));
    assert_eq!(timestamp_us(b"[  12.000001] x"), Some(12_000_001));
    assert_eq!(timestamp_us(b"ExoV6 v0.1.0"), None);
    assert_eq!(timestamp_us(b"[1.5] x"), None);
    assert_eq!(timestamp_us(b"[x.000001] x"), None);
}

#[test]
fn records() {
    assert_eq!(
        kmsg_record(0, b"ExoV6 v0.1.0 (x86_64) booted via pvh"),
        b"6,0,0,-;ExoV6 v0.1.0 (x86_64) booted via pvh\n"
    );
    assert_eq!(
        kmsg_record(37, b"[   1.000002] INFO  k: m\r"),
        b"6,37,1000002,-;[   1.000002] INFO  k: m\n"
    );
    assert_eq!(kmsg_record(5, b"a\\b\x01\tc"), b"6,5,0,-;a\\x5cb\\x01\tc\n");
}

proptest! {
    // A record is one line of printable text after its header.
    #[test]
    fn a_record_is_one_printable_line(seq in any::<u64>(), line in proptest::collection::vec(any::<u8>(), 0..200)) {
        let line: Vec<u8> = line.into_iter().filter(|&b| b != b'\n').collect();
        let r = kmsg_record(seq, &line);
        prop_assert_eq!(r.last(), Some(&b'\n'));
        prop_assert!(r[..r.len() - 1].iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)));
        let header = format!("6,{seq},");
        prop_assert!(r.starts_with(header.as_bytes()));
    }

    // syslog's text is the log with a prefix before each line.
    #[test]
    fn syslog_text_keeps_the_log(log in proptest::collection::vec(any::<u8>(), 0..300)) {
        let t = syslog_text(&log);
        let lines = log.split_inclusive(|&b| b == b'\n').count();
        prop_assert_eq!(t.len(), log.len() + 3 * lines);
        let back: Vec<u8> = t
            .split_inclusive(|&b| b == b'\n')
            .flat_map(|l| l[3..].to_vec())
            .collect();
        prop_assert_eq!(back, log);
    }
}
