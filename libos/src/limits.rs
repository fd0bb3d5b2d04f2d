//! Resource limits (`getrlimit`, `setrlimit`, `prlimit64`): a soft and a
//! hard limit per resource, kept by the library OS for its own process.
//! They live in the library OS's memory, so a fork child has a copy and
//! exec keeps them, as on Linux. Linux's rules: the soft limit may not
//! exceed the hard one, lowering is always allowed, raising the hard limit
//! needs CAP_SYS_RESOURCE (every process here runs as root and has it),
//! `RLIMIT_NOFILE` may not go above `nr_open` (1048576).
//!
//! Enforced: `RLIMIT_AS` and `RLIMIT_DATA` (by the memory manager, at
//! `mmap`, `brk` and `mremap`), `RLIMIT_STACK` (how far the main stack may
//! grow, read at exec), `RLIMIT_NOFILE` (the lowest descriptor a new file
//! may not reach), `RLIMIT_SIGPENDING` (the real-time signal instances
//! queued for the process, counted per process). `RLIMIT_NPROC` is kept but, as on Linux, never applies
//! to root.

use crate::proc::Proc;
use linux_errno::Errno::{self, EFAULT, EINVAL, EPERM};

pub const INFINITY: u64 = u64::MAX;
pub const RLIMIT_STACK: usize = 3;
pub const RLIMIT_FSIZE: usize = 1;
pub const RLIMIT_DATA: usize = 2;
pub const RLIMIT_AS: usize = 9;
pub const RLIMIT_NOFILE: usize = 7;
pub const RLIMIT_SIGPENDING: usize = 11;
/// The default `RLIMIT_SIGPENDING` (Linux derives its own from the
/// memory size; a few thousand on a small machine).
const SIGPENDING_DEFAULT: u64 = 4096;
/// Number of resources Linux has.
const RLIM_NLIMITS: usize = 16;
/// Linux's `fs.nr_open`: the most `RLIMIT_NOFILE` may be.
const NR_OPEN: u64 = 1 << 20;

/// One resource's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

/// Linux's defaults for a process started by init.
const DEFAULTS: [Rlimit; RLIM_NLIMITS] = {
    let inf = Rlimit {
        cur: INFINITY,
        max: INFINITY,
    };
    let mut l = [inf; RLIM_NLIMITS];
    l[RLIMIT_STACK] = Rlimit {
        cur: sysproto::layout::STACK_MAX,
        max: INFINITY,
    };
    l[4] = Rlimit {
        cur: 0,
        max: INFINITY,
    }; // RLIMIT_CORE
    l[RLIMIT_NOFILE] = Rlimit {
        cur: crate::fd::MAX_FDS as u64,
        max: crate::fd::MAX_FDS as u64,
    };
    l[8] = Rlimit {
        cur: 8 << 20,
        max: 8 << 20,
    }; // RLIMIT_MEMLOCK
    l[RLIMIT_SIGPENDING] = Rlimit {
        cur: SIGPENDING_DEFAULT,
        max: SIGPENDING_DEFAULT,
    };
    l[13] = Rlimit { cur: 0, max: 0 }; // RLIMIT_NICE
    l[14] = Rlimit { cur: 0, max: 0 }; // RLIMIT_RTPRIO
    l
};

static LIMITS: spin::Mutex<[Rlimit; RLIM_NLIMITS]> = spin::Mutex::new(DEFAULTS);

/// The limits of `resource` (a valid index).
pub fn get(resource: usize) -> Rlimit {
    LIMITS.lock()[resource]
}

/// The soft limit of `resource`.
pub fn cur(resource: usize) -> u64 {
    get(resource).cur
}

/// Checks `new` for `resource` by Linux's rules and sets it.
fn set(resource: usize, new: Rlimit) -> Result<(), Errno> {
    if new.cur > new.max {
        return Err(EINVAL);
    }
    if resource == RLIMIT_NOFILE && new.max > NR_OPEN {
        return Err(EPERM);
    }
    // Raising the hard limit needs CAP_SYS_RESOURCE, which root has.
    LIMITS.lock()[resource] = new;
    if resource == RLIMIT_SIGPENDING {
        crate::signal::publish_limit();
    }
    Ok(())
}

fn resource_index(resource: u64) -> Result<usize, Errno> {
    usize::try_from(resource)
        .ok()
        .filter(|&r| r < RLIM_NLIMITS)
        .ok_or(EINVAL)
}

/// `getrlimit(resource, old)`.
pub fn getrlimit(p: &mut Proc, resource: u64, old: u64) -> Result<usize, Errno> {
    let r = resource_index(resource)?;
    if old == 0 {
        return Err(EFAULT);
    }
    write(p, old, get(r))?;
    Ok(0)
}

/// `setrlimit(resource, new)`.
pub fn setrlimit(p: &mut Proc, resource: u64, new: u64) -> Result<usize, Errno> {
    let r = resource_index(resource)?;
    if new == 0 {
        return Err(EFAULT);
    }
    let n = read(p, new)?;
    set(r, n)?;
    Ok(0)
}

/// `prlimit64(pid, resource, new, old)` on this process (`pid` 0 or its
/// own; the caller checked).
pub fn prlimit(p: &mut Proc, resource: u64, new: u64, old: u64) -> Result<usize, Errno> {
    let r = resource_index(resource)?;
    let before = get(r);
    let wanted = if new != 0 { Some(read(p, new)?) } else { None };
    if let Some(n) = wanted {
        set(r, n)?;
    }
    if old != 0 {
        write(p, old, before)?;
    }
    Ok(0)
}

fn read(p: &mut Proc, at: u64) -> Result<Rlimit, Errno> {
    Ok(Rlimit {
        cur: p.mm.read_u64(at)?,
        max: p.mm.read_u64(at.checked_add(8).ok_or(EFAULT)?)?,
    })
}

fn write(p: &mut Proc, at: u64, l: Rlimit) -> Result<(), Errno> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&l.cur.to_le_bytes());
    b[8..].copy_from_slice(&l.max.to_le_bytes());
    p.mm.write(at, &b)
}
