//! Memory calls: `brk`, anonymous and file `mmap`, `munmap`,
//! `mprotect`, `mremap`, `msync`, `madvise`.

use sysproto::kind;

use linux_errno::Errno::{self, EACCES, EEXIST, EINVAL, ENODEV, ENOMEM};

use super::Call;
use crate::mm::{PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::proc::Proc;

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

pub fn mremap(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let [old, old_len, new_len, flags, new_addr, _] = c.a;
    p.mm.mremap(old, old_len, new_len, flags, new_addr)
        .map(|a| a as usize)
}

/// `msync`: stores through a shared mapping are in the file already (its
/// pages are the file's), so there is nothing to write back; the
/// arguments are checked as Linux does.
pub fn msync(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    let [start, len, flags, ..] = c.a;
    if start & 0xfff != 0
        || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
    {
        return Err(EINVAL);
    }
    let end = start
        .checked_add(len)
        .and_then(vm_areas::page_up)
        .ok_or(ENOMEM)?;
    if !p.mm.covers(start, end) {
        return Err(ENOMEM);
    }
    Ok(0)
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
    // A file's own pages, mapped as they are touched.
    let file = p.fds.file(i64::from(fd))?;
    if file.kind != kind::FILE {
        return Err(ENODEV);
    }
    let acc = file.flags.get() & 3;
    let shared = flags & MAP_SHARED != 0;
    if acc == 1 || (shared && prot & PROT_WRITE != 0 && acc != 2) {
        return Err(EACCES);
    }
    p.mm.mmap_file(addr, len, prot, fixed, shared, file, off, acc == 2)
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
