//! `syslog(2)` (`klogctl`): the kernel's log, which the system server
//! reads for it (`sys::Klog`). Each line comes with Linux's `<6>`
//! (info) priority prefix, as `dmesg` expects.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use linux_errno::Errno::{self, EINVAL};
use sysproto::sys;

use super::Call;
use crate::proc::Proc;
use crate::server;

/// Bytes the kernel's ring keeps (`SYSLOG_ACTION_SIZE_BUFFER`).
const LOG_BYTES: usize = 32 * 1024;

/// Where `SYSLOG_ACTION_READ` goes on (a byte number of the log).
static READ_AT: AtomicU64 = AtomicU64::new(0);

/// The log from byte `from` to its end: the first byte's number, the
/// bytes, and the end.
fn fetch(from: u64, clear: bool) -> Result<(u64, Vec<u8>, u64), Errno> {
    let mut out = Vec::new();
    let mut first = None;
    let mut at = from;
    let mut clear = clear;
    loop {
        let len = sysproto::DATA_BYTES as u64;
        let a = server::call_with(
            sys::Klog {
                from: at,
                len,
                clear,
            },
            &(),
        )?;
        clear = false;
        let bytes = a.bytes();
        first.get_or_insert(a.reply.start);
        at = a.reply.start + bytes.len() as u64;
        out.extend_from_slice(&bytes);
        if bytes.is_empty() || at >= a.reply.end {
            return Ok((first.unwrap_or(from), out, a.reply.end));
        }
    }
}

/// Whole lines, each with the `<6>` prefix.
fn with_priorities(bytes: &[u8]) -> Vec<u8> {
    procfs::syslog_text(bytes)
}

pub fn syslog(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (action, buf, len) = (c.a[0] as i32, c.a[1], c.a[2] as i32);
    let read = |p: &mut Proc, text: &[u8]| -> Result<usize, Errno> {
        if buf == 0 || len < 0 {
            return Err(EINVAL);
        }
        // The most recent whole lines that fit.
        let mut from = text.len().saturating_sub(len as usize);
        if from > 0 {
            from += text[from..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(text.len() - from, |i| i + 1);
        }
        p.mm.write(buf, &text[from..])?;
        Ok(text.len() - from)
    };
    match action {
        // Close, open.
        0 | 1 => Ok(0),
        // Read what was not read yet.
        2 => {
            if buf == 0 || len < 0 {
                return Err(EINVAL);
            }
            let (start, bytes, _) = fetch(READ_AT.load(Ordering::Relaxed), false)?;
            let text = with_priorities(&bytes);
            let n = text.len().min(len as usize);
            // Only whole lines count as read.
            let n = text[..n]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(n, |i| i + 1);
            let raw: usize = text[..n].iter().filter(|&&b| b == b'\n').count();
            let consumed: usize = bytes
                .split_inclusive(|&b| b == b'\n')
                .take(raw)
                .map(<[u8]>::len)
                .sum();
            READ_AT.store(start + consumed as u64, Ordering::Relaxed);
            p.mm.write(buf, &text[..n])?;
            Ok(n)
        }
        // Read all; read all and clear.
        3 | 4 => {
            let (_, bytes, _) = fetch(0, false)?;
            let n = read(p, &with_priorities(&bytes))?;
            if action == 4 {
                fetch(u64::MAX, true)?;
            }
            Ok(n)
        }
        // Clear.
        5 => fetch(u64::MAX, true).map(|_| 0),
        // Console off, on: the console shows every line.
        6 | 7 => Ok(0),
        8 => {
            if !(1..=8).contains(&len) {
                return Err(EINVAL);
            }
            Ok(0)
        }
        // Bytes unread, the buffer's size.
        9 => {
            let (_, bytes, _) = fetch(READ_AT.load(Ordering::Relaxed), false)?;
            Ok(with_priorities(&bytes).len())
        }
        10 => Ok(LOG_BYTES),
        _ => Err(EINVAL),
    }
}
