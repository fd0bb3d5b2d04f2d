//! The kernel's log: the last [`KLOG_BYTES`] bytes the kernel printed on
//! its console (the boot report, log records, its notices), kept in a
//! ring so that user space can read them (`KlogRead`, with the control
//! capability: the system server serves `dmesg` and `/dev/kmsg` from it).
//! Bytes are numbered from boot; the oldest are overwritten.

use spin::Mutex;

/// Bytes the ring keeps.
pub const KLOG_BYTES: usize = 32 * 1024;

struct Ring {
    buf: [u8; KLOG_BYTES],
    /// Bytes written since boot (the next byte's number).
    total: u64,
}

static LOG: Mutex<Ring> = Mutex::new(Ring {
    buf: [0; KLOG_BYTES],
    total: 0,
});

/// Appends `bytes` (the caller holds the console's output lock).
pub fn record(bytes: &[u8]) {
    let mut r = LOG.lock();
    for &b in bytes {
        let at = (r.total % KLOG_BYTES as u64) as usize;
        r.buf[at] = b;
        r.total += 1;
    }
}

/// Copies up to `out.len()` bytes starting at byte number `from` (or at
/// the oldest byte kept, if `from` was overwritten) into `out`: the
/// number of the first byte copied and how many were. (The i386 kernel
/// has no native calls, so no reader.)
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub fn read(from: u64, out: &mut [u8]) -> (u64, usize) {
    let r = LOG.lock();
    let oldest = r.total.saturating_sub(KLOG_BYTES as u64);
    let start = from.clamp(oldest, r.total);
    let n = ((r.total - start) as usize).min(out.len());
    for (i, o) in out[..n].iter_mut().enumerate() {
        *o = r.buf[((start + i as u64) % KLOG_BYTES as u64) as usize];
    }
    (start, n)
}
