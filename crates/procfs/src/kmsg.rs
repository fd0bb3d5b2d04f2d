//! The kernel log as `syslog(2)` and `/dev/kmsg` give it: from the raw
//! bytes the kernel printed, lines with Linux's `<PRIORITY>` prefix
//! (`syslog`) or `/dev/kmsg` records.

use alloc::format;
use alloc::vec::Vec;

/// The priority every line gets: `LOG_INFO` of facility `kern`.
pub const PRIORITY: u8 = 6;

/// `syslog`'s text of `log`: each line (a last one without its newline
/// too) after a `<6>` prefix.
pub fn syslog_text(log: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(log.len() + log.len() / 16);
    for line in log.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(format!("<{PRIORITY}>").as_bytes());
        out.extend_from_slice(line);
    }
    out
}

/// The microseconds of a line the kernel's logger wrote
/// (`[   0.078240] INFO ...`), if it is one.
pub fn timestamp_us(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(b"[")?;
    let close = rest.iter().position(|&b| b == b']')?;
    let t = core::str::from_utf8(&rest[..close]).ok()?.trim();
    let (s, us) = t.split_once('.')?;
    if us.len() != 6 || !us.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>()
        .ok()?
        .checked_mul(1_000_000)?
        .checked_add(us.parse().ok()?)
}

/// The `/dev/kmsg` record of `line` (without its newline) with sequence
/// number `seq`: `6,SEQ,MICROSECONDS,-;TEXT\n`, the time from the line's
/// logger stamp (else 0), bytes other than printable ASCII and tab (and
/// the backslash) as `\xNN`, as Linux escapes them.
pub fn kmsg_record(seq: u64, line: &[u8]) -> Vec<u8> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let us = timestamp_us(line).unwrap_or(0);
    let mut out = format!("{PRIORITY},{seq},{us},-;").into_bytes();
    for &b in line {
        if b == b'\\' || (!(0x20..0x7f).contains(&b) && b != b'\t') {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out.push(b'\n');
    out
}
