//! User and group ids: the getters read the ids the system server
//! publishes in the control page (no request), the setters ask the server,
//! which applies Linux's rules and keeps the ids every permission check
//! uses.

use alloc::vec::Vec;

use linux_errno::Errno::{self, EINVAL};
use sysproto::{control, ids, sys};

use super::Call;
use crate::proc::Proc;
use crate::server;

/// The low and high halves of control word `w`.
fn pair(w: usize) -> (u32, u32) {
    let v = server::control(w);
    (v as u32, (v >> 32) as u32)
}

pub fn getuid(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(pair(control::UIDS).0 as usize)
}

pub fn geteuid(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(pair(control::UIDS).1 as usize)
}

pub fn getgid(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(pair(control::GIDS).0 as usize)
}

pub fn getegid(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(pair(control::GIDS).1 as usize)
}

/// Writes three ids (`uid_t` each) to the addresses in `c.a[0..3]`.
fn put_three(p: &mut Proc, c: &Call, v: [u32; 3]) -> Result<usize, Errno> {
    for (addr, id) in c.a[..3].iter().zip(v) {
        p.mm.write_u32(*addr, id)?;
    }
    Ok(0)
}

pub fn getresuid(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let ((r, e), (s, _)) = (pair(control::UIDS), pair(control::SUIDS));
    put_three(p, c, [r, e, s])
}

pub fn getresgid(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let ((r, e), (s, _)) = (pair(control::GIDS), pair(control::SGIDS));
    put_three(p, c, [r, e, s])
}

/// A `set*id` request with ids as the call passed them (`uid_t`, so -1
/// is all ones: unchanged).
fn set(op: u64, a: u64, b: u64, c: u64) -> Result<usize, Errno> {
    let id = |v: u64| u64::from(v as u32);
    let req = sys::SetIds {
        op,
        a: id(a),
        b: id(b),
        c: id(c),
    };
    server::call(req).map(|r| r.old as usize)
}

pub fn setuid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    set(ids::SETUID, c.a[0], 0, 0)
}

pub fn setgid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    set(ids::SETGID, c.a[0], 0, 0)
}

pub fn setreuid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    set(ids::SETREUID, c.a[0], c.a[1], 0)
}

pub fn setregid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    set(ids::SETREGID, c.a[0], c.a[1], 0)
}

pub fn setresuid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    set(ids::SETRESUID, c.a[0], c.a[1], c.a[2])
}

pub fn setresgid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    set(ids::SETRESGID, c.a[0], c.a[1], c.a[2])
}

pub fn setfsuid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    set(ids::SETFSUID, c.a[0], 0, 0)
}

pub fn setfsgid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    set(ids::SETFSGID, c.a[0], 0, 0)
}

/// `getgroups`: a size of 0 asks only for the count; a smaller one than
/// the count is `EINVAL`. The list comes in parts of what the data area
/// holds.
pub fn getgroups(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let size = c.a[0] as i32;
    if size < 0 {
        return Err(EINVAL);
    }
    let first = server::call_with(sys::GetGroups { at: 0 }, &())?;
    let n = first.reply.count as usize;
    if size == 0 {
        return Ok(n);
    }
    if (size as usize) < n {
        return Err(EINVAL);
    }
    let mut part = first.bytes();
    let mut done = 0;
    while !part.is_empty() && done < n {
        p.mm.write(c.a[1] + done as u64 * 4, &part)?;
        done += part.len() / 4;
        if done < n {
            part = server::call_with(sys::GetGroups { at: done as u64 }, &())?.bytes();
        }
    }
    Ok(n)
}

/// Linux's `NGROUPS_MAX`.
const NGROUPS_MAX: usize = 65536;

/// `setgroups`: a size past `NGROUPS_MAX` (or negative) reads nothing
/// (the server answers `EPERM` or `EINVAL`, as Linux checks the size
/// before it reads the list).
pub fn setgroups(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let size = c.a[0] as i32;
    let n = if size > 0 && size as usize <= NGROUPS_MAX {
        size as usize
    } else {
        0
    };
    let count = u64::from(size as u32);
    // A list that cannot be read goes as none: the server then answers
    // `EPERM` or `EINVAL` where Linux would, else `EFAULT`.
    let list: Vec<u8> = if n > 0 {
        p.mm.read(c.a[1], n * 4).unwrap_or_default()
    } else {
        Vec::new()
    };
    if list.is_empty() {
        return server::call_with(sys::SetGroups { count, at: 0 }, &[][..]).map(|_| 0);
    }
    for (i, part) in list.chunks(sysproto::DATA_BYTES).enumerate() {
        let at = (i * sysproto::DATA_BYTES / 4) as u64;
        server::call_with(sys::SetGroups { count, at }, part)?;
    }
    Ok(0)
}
