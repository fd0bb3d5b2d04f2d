//! The kernel's log as the server reads it (`KlogRead` through the root
//! task's control capability), for `syslog(2)` (`sys::Klog`) and the
//! records of `/dev/kmsg`.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::root_slots::CONTROL;

/// Where a `syslog` clear left the log: reads from 0 start there.
static CLEARED: AtomicU64 = AtomicU64::new(0);

/// Up to `len` bytes from byte number `from` (or the oldest kept):
/// the first one's number and the bytes.
pub fn read(from: u64, len: usize) -> (u64, Vec<u8>) {
    let from = from.max(CLEARED.load(Ordering::Relaxed));
    let mut buf = alloc::vec![0u8; len];
    match exo_rt::klog_read(CONTROL, buf.as_mut_ptr() as u64, len as u64, from) {
        Ok((start, n)) => {
            buf.truncate(n as usize);
            (start, buf)
        }
        Err(_) => (from, Vec::new()),
    }
}

/// The log's end now (the next byte's number).
pub fn end() -> u64 {
    exo_rt::klog_read(CONTROL, 0, 0, u64::MAX).map_or(0, |(start, _)| start)
}

/// `syslog`'s clear: later reads from 0 start at the end as it is now.
pub fn clear() {
    CLEARED.store(end(), Ordering::Relaxed);
}

/// The `/dev/kmsg` record of the line at or after byte `pos`, and the
/// position after it (`None`: no whole line there yet). A line starting
/// with the kernel logger's `[ seconds.micros]` gives its time; others
/// show 0. Records are `PRIORITY,SEQUENCE,MICROSECONDS,-;TEXT` with
/// priority 6 (info) and the line's byte number as its sequence.
pub fn record(pos: u64) -> Option<(Vec<u8>, u64)> {
    let (mut start, mut bytes) = read(pos, 2048);
    if start != pos && pos != 0 {
        // Overwritten: go on from the next whole line.
        let nl = bytes.iter().position(|&b| b == b'\n')?;
        start += nl as u64 + 1;
        bytes.drain(..=nl);
    }
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let line = &bytes[..nl];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let us = timestamp_us(line).unwrap_or(0);
    let mut out = alloc::format!("6,{start},{us},-;").into_bytes();
    for &b in line {
        if b == b'\\' || !(0x20..0x7f).contains(&b) && b != b'\t' {
            out.extend_from_slice(alloc::format!("\\x{b:02x}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out.push(b'\n');
    Some((out, start + nl as u64 + 1))
}

/// The microseconds of a `[   0.078240] ...` line.
fn timestamp_us(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(b"[")?;
    let close = rest.iter().position(|&b| b == b']')?;
    let t = core::str::from_utf8(&rest[..close]).ok()?.trim();
    let (s, us) = t.split_once('.')?;
    Some(s.parse::<u64>().ok()? * 1_000_000 + us.parse::<u64>().ok()?)
}
