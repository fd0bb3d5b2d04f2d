//! The Linux system-call ABI: the table from call numbers to handlers.
//! Each handler gets the process and the calling task's registers
//! (`rdi, rsi, rdx, r10, r8, r9` are the arguments) and answers a value
//! (`-errno` on failure), a reason to block, or that it has replaced the
//! registers itself (`execve`, `rt_sigreturn`, a task switch). Calls not
//! here answer `-ENOSYS` and are logged once by name.

pub mod errno;
mod files;
mod memory;
pub mod nr;
mod poll;
mod process;
mod signals;
mod threads;
mod time;

use abi::UpcallFrame;

use crate::proc::Proc;
use crate::task::Block;
use errno::ENOSYS;

/// A handler's answer.
pub enum Ret {
    /// The call's result (`-errno` for an error).
    Val(i64),
    /// The task must wait; the call is answered or made again later.
    Block(Block),
    /// The registers were replaced; resume them as they are.
    Resumed,
}

impl From<Result<i64, i64>> for Ret {
    fn from(r: Result<i64, i64>) -> Ret {
        match r {
            Ok(v) => Ret::Val(v),
            Err(e) => Ret::Val(-e),
        }
    }
}

/// The call's six arguments.
pub fn args(f: &UpcallFrame) -> [u64; 6] {
    [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9]
}

/// Runs the call in `frame.rax` for the current task.
pub fn dispatch(p: &mut Proc, frame: &mut UpcallFrame) -> Ret {
    // A fresh call has made no progress yet.
    frame.reserved[1] = 0;
    run(p, frame, false)
}

/// Runs a blocked task's call again (`timed_out`: its deadline passed).
pub fn dispatch_retry(p: &mut Proc, frame: &mut UpcallFrame, timed_out: bool) -> Ret {
    run(p, frame, timed_out)
}

fn run(p: &mut Proc, frame: &mut UpcallFrame, timed_out: bool) -> Ret {
    let a = args(frame);
    let n = frame.rax;
    if let Some(r) = files::call(p, frame, n, a) {
        return r;
    }
    if let Some(r) = poll::call(p, frame, n, a, timed_out) {
        return r;
    }
    if let Some(r) = process::call(p, frame, n, a, timed_out) {
        return r;
    }
    if let Some(r) = memory::call(p, n, a) {
        return r;
    }
    if let Some(r) = signals::call(p, frame, n, a) {
        return r;
    }
    if let Some(r) = threads::call(p, frame, n, a) {
        return r;
    }
    if let Some(r) = time::call(p, frame, n, a) {
        return r;
    }
    p.log_enosys(n);
    Ret::Val(-ENOSYS)
}

/// One past the highest user address Linux accepts (`TASK_SIZE_MAX` of
/// x86_64 with 4-level paging).
pub const TASK_SIZE_MAX: u64 = (1 << 47) - 4096;

/// Linux's `access_ok`: `[addr, addr + len)` lies below
/// [`TASK_SIZE_MAX`] (whether it is mapped is checked at the copy).
pub fn access_ok(addr: u64, len: u64) -> Result<(), i64> {
    match addr.checked_add(len) {
        Some(end) if end <= TASK_SIZE_MAX => Ok(()),
        _ => Err(errno::EFAULT),
    }
}

/// The most bytes of argument and environment strings (each with its
/// pointer) an `execve` accepts; `exec::execve` refuses more with E2BIG.
pub const ARG_BYTES: usize = 256 * 1024;

/// Linux's `MAX_ARG_STRLEN`: the longest single argument.
const MAX_ARG_STRLEN: usize = 32 * 4096;

/// Reads a user array of string pointers (argv, envp), NULL-terminated,
/// taking each string and its pointer from `budget`: past it, or for a
/// string longer than `MAX_ARG_STRLEN`, the call is E2BIG, so a huge
/// array is never copied whole.
pub fn read_strv(
    p: &mut Proc,
    addr: u64,
    budget: &mut usize,
) -> Result<alloc::vec::Vec<alloc::vec::Vec<u8>>, i64> {
    let mut v = alloc::vec::Vec::new();
    if addr == 0 {
        return Ok(v);
    }
    for i in 0u64.. {
        let ptr =
            p.mm.read_u64(addr.checked_add(i * 8).ok_or(errno::EFAULT)?)?;
        if ptr == 0 {
            break;
        }
        *budget = budget.checked_sub(8).ok_or(errno::E2BIG)?;
        let max = MAX_ARG_STRLEN.min(*budget);
        let s = p.mm.read_cstr(ptr, max).map_err(|e| {
            if e == errno::ENAMETOOLONG {
                errno::E2BIG
            } else {
                e
            }
        })?;
        *budget = budget.checked_sub(s.len() + 1).ok_or(errno::E2BIG)?;
        v.push(s);
    }
    Ok(v)
}

/// A relative timeout `struct timespec` at `addr` as nanoseconds.
pub fn read_timespec(p: &mut Proc, addr: u64) -> Result<u64, i64> {
    let sec = p.mm.read_u64(addr)? as i64;
    let nsec = p.mm.read_u64(addr + 8)? as i64;
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

/// Writes nanoseconds as a `struct timespec` at `addr`.
pub fn write_timespec(p: &mut Proc, addr: u64, ns: u64) -> Result<(), i64> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    p.mm.write(addr, &b)
}
