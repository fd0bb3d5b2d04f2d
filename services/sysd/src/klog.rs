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

/// The `/dev/kmsg` record of the line at or after byte `pos`
/// ([`procfs::kmsg_record`], the line's byte number its sequence), and
/// the position after it (`None`: no whole line there yet).
pub fn record(pos: u64) -> Option<(Vec<u8>, u64)> {
    let (mut start, mut bytes) = read(pos, 4096);
    if start != pos.max(CLEARED.load(Ordering::Relaxed)) {
        // Overwritten: go on from the next whole line.
        let nl = bytes.iter().position(|&b| b == b'\n')?;
        start += nl as u64 + 1;
        bytes.drain(..=nl);
    }
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    Some((
        procfs::kmsg_record(start, &bytes[..nl]),
        start + nl as u64 + 1,
    ))
}
