//! Memory calls: `brk`, anonymous and private file `mmap`, `munmap`,
//! `mprotect`, `madvise`.

use sysproto::{kind, sys, DATA_BYTES};

use linux_errno::Errno::{self, EACCES, EEXIST, EINVAL, ENODEV};

use super::Call;
use crate::mm::{PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::proc::Proc;
use crate::server;

const MAP_SHARED: u64 = 1;
const MAP_PRIVATE: u64 = 2;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

pub fn brk(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    Ok(p.mm.set_brk(c.a[0]) as usize)
}

pub fn mmap(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    map(p, c.a).map(|a| a as usize)
}

pub fn munmap(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    p.mm.munmap(c.a[0], c.a[1]).map(|()| 0)
}

pub fn mprotect(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[2] & !7 != 0 {
        return Err(EINVAL);
    }
    p.mm.mprotect(c.a[0], c.a[1], c.a[2] as u32).map(|()| 0)
}

pub fn madvise(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    advise(p, c.a[0], c.a[1], c.a[2])
}

/// `mlock`, `munlock`, `mlockall`, `munlockall`: nothing is ever paged
/// out.
pub fn lock(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(0)
}

fn map(p: &mut Proc, a: [u64; 6]) -> Result<u64, Errno> {
    let (addr, len, prot, flags, fd, off) = (a[0], a[1], a[2] as u32, a[3], a[4] as i32, a[5]);
    if len == 0 || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(EINVAL);
    }
    if flags & (MAP_SHARED | MAP_PRIVATE) == 0 || off & 0xfff != 0 {
        return Err(EINVAL);
    }
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    if flags & MAP_FIXED_NOREPLACE != 0 && p.mm.find(addr).is_some() {
        return Err(EEXIST);
    }
    if flags & MAP_ANONYMOUS != 0 {
        if flags & MAP_SHARED != 0 {
            return p.mm.mmap_shared(addr, len, prot, fixed);
        }
        return p.mm.mmap_anon(addr, len, prot, fixed);
    }
    // A private mapping of a file: a copy of its bytes.
    let file = p.fds.file(i64::from(fd))?;
    if file.kind != kind::FILE {
        return Err(ENODEV);
    }
    if flags & MAP_SHARED != 0 && prot & PROT_WRITE != 0 {
        return Err(EACCES);
    }
    let start = p.mm.mmap_anon(addr, len, prot | PROT_WRITE, fixed)?;
    let mut done = 0;
    while done < len {
        let want = (len - done).min(DATA_BYTES as u64);
        let read = sys::Read {
            handle: file.handle,
            len: want,
            offset: off + done,
            ttin_ignored: false,
        };
        let got = match server::call_with(read, &()) {
            Ok(a) => a,
            Err(e) => {
                let _ = p.mm.munmap(start, len);
                return Err(e);
            }
        };
        if got.is_empty() {
            break;
        }
        // Straight from the data area (making the pages ready may ask the
        // server for memory, which leaves the data area alone).
        got.with_bytes(|b| p.mm.write(start + done, b))?;
        done += got.len() as u64;
    }
    if prot & PROT_WRITE == 0 {
        p.mm.mprotect(start, len, prot)?;
    }
    Ok(start)
}

/// The advice values Linux 6.1 knows (others are EINVAL): NORMAL, RANDOM,
/// SEQUENTIAL, WILLNEED, DONTNEED (0-4), FREE (8), REMOVE, DONTFORK,
/// DOFORK (9-11), MERGEABLE, UNMERGEABLE, HUGEPAGE, NOHUGEPAGE, DONTDUMP,
/// DODUMP, WIPEONFORK, KEEPONFORK, COLD, PAGEOUT, POPULATE_READ,
/// POPULATE_WRITE, DONTNEED_LOCKED, COLLAPSE (12-25), HWPOISON (100).
fn known_advice(advice: u64) -> bool {
    matches!(advice, 0..=4 | 8..=25 | 100)
}

fn advise(p: &mut Proc, start: u64, len: u64, advice: u64) -> Result<usize, Errno> {
    if start & 0xfff != 0 || !known_advice(advice) {
        return Err(EINVAL);
    }
    // MADV_DONTNEED: the pages read as zero afterwards.
    if advice == 4 {
        p.mm.discard(start, len);
    }
    Ok(0)
}
