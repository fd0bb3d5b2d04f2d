//! Process calls: fork, exec, exit, wait, kill, ids, process groups and
//! sessions, and the small queries (uname, sysinfo, getrandom; limits are
//! `crate::limits`).

use abi::UpcallFrame;
use sysproto::sys;
use sysproto::wire::Request;
use sysproto::Errno;

use super::errno::*;
use super::nr::*;
use super::{read_strv, Ret};
use crate::proc::Proc;
use crate::task::Block;
use crate::{exec, fork, server, signal};

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;
const __WNOTHREAD: u64 = 0x2000_0000;
const __WALL: u64 = 0x4000_0000;
const __WCLONE: u64 = 0x8000_0000;

pub fn call(
    p: &mut Proc,
    f: &mut UpcallFrame,
    n: u64,
    a: [u64; 6],
    _timed_out: bool,
) -> Option<Ret> {
    Some(match n {
        GETPID => Ret::Val(server::pid() as i64),
        GETPPID => Ret::Val(server::ppid() as i64),
        GETTID => Ret::Val(p.tasks[p.cur].tid as i64),
        GETUID | GETEUID | GETGID | GETEGID => Ret::Val(0),
        SETUID | SETGID | SETREUID | SETREGID | SETRESUID | SETRESGID | SETFSUID | SETFSGID => {
            // Everything runs as root; becoming root again is allowed.
            Ret::Val(if a[0] == 0 { 0 } else { -EPERM })
        }
        GETRESUID | GETRESGID => {
            for &addr in &a[..3] {
                if let Err(e) = p.mm.write_u32(addr, 0) {
                    return Some(Ret::Val(-e));
                }
            }
            Ret::Val(0)
        }
        GETGROUPS => Ret::Val(0),
        FORK | VFORK => fork::fork(p, f).map(|c| c as i64).into(),
        EXECVE => execve(p, f, a),
        EXIT => {
            p.exit_task(f, a[0]);
            Ret::Resumed
        }
        EXIT_GROUP => p.exit_process(sysproto::status::exited(a[0] as u8)),
        WAIT4 => wait4(p, a[0] as i32 as i64, a[1], a[2] as u32 as u64, a[3]),
        KILL => kill(p, a[0] as i32 as i64, a[1] as i32).into(),
        SETPGID => server_val(
            sys::Setpgid {
                pid: a[0],
                pgid: a[1],
            },
            |_| 0,
        ),
        GETPGID => server_val(sys::Getpgid { pid: a[0] }, |r| r.pgid),
        GETPGRP => server_val(sys::Getpgid { pid: 0 }, |r| r.pgid),
        SETSID => server_val(sys::Setsid {}, |r| r.sid),
        GETSID => server_val(sys::Getsid { pid: a[0] }, |r| r.sid),
        UNAME => uname(p, a[0]).into(),
        GETRANDOM => getrandom(p, a[0], a[1], a[2] as u32).into(),
        PRCTL => prctl(p, a[0], a[1]).into(),
        GETRLIMIT => crate::limits::getrlimit(p, a[0], a[1]).into(),
        SETRLIMIT => crate::limits::setrlimit(p, a[0], a[1]).into(),
        PRLIMIT64 => {
            if a[0] != 0 && a[0] != server::pid() {
                Ret::Val(-ESRCH)
            } else {
                crate::limits::prlimit(p, a[1], a[2], a[3]).into()
            }
        }
        SYSINFO => sysinfo(p, a[0]).into(),
        GETRUSAGE => {
            // RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD.
            if !matches!(a[0] as i32, -1..=1) {
                Ret::Val(-EINVAL)
            } else {
                p.mm.write(a[1], &[0u8; RUSAGE_BYTES]).map(|()| 0).into()
            }
        }
        TIMES => {
            let ticks = (crate::time::now_ns() / 10_000_000) as i64;
            if a[0] != 0 {
                if let Err(e) = p.mm.write(a[0], &[0u8; 32]) {
                    return Some(Ret::Val(-e));
                }
            }
            Ret::Val(ticks)
        }
        GETPRIORITY => Ret::Val(20),
        SETPRIORITY => Ret::Val(0),
        // One CPU (CPU 0). Linux wants a length of whole longs that holds
        // every CPU, and answers the bytes it wrote.
        SCHED_GETAFFINITY => {
            if a[1] < 8 || !a[1].is_multiple_of(8) {
                Ret::Val(-EINVAL)
            } else {
                p.mm.write(a[2], &1u64.to_le_bytes()).map(|()| 8).into()
            }
        }
        // The mask (as much of it as is given) must allow CPU 0.
        SCHED_SETAFFINITY => {
            let len = a[1].min(8) as usize;
            match p.mm.read(a[2], len) {
                Ok(b) if b.first().is_some_and(|m| m & 1 != 0) => Ret::Val(0),
                Ok(_) => Ret::Val(-EINVAL),
                Err(e) => Ret::Val(-e),
            }
        }
        _ => return None,
    })
}

fn server_val<R: Request<In = ()>>(req: R, val: impl FnOnce(R::Reply) -> u64) -> Ret {
    Ret::Val(server::call(req).map_or_else(|e| e.to_ret(), |r| val(r) as i64))
}

fn execve(p: &mut Proc, f: &mut UpcallFrame, a: [u64; 6]) -> Ret {
    let path = match p.mm.read_cstr(a[0], 4096) {
        Ok(x) => x,
        Err(e) => return Ret::Val(-e),
    };
    // Linux opens the program before it copies the arguments: a path
    // that cannot be run is reported first.
    if let Err(e) = exec::openable(&path) {
        return Ret::Val(-e);
    }
    let mut budget = super::ARG_BYTES;
    let argv = match read_strv(p, a[1], &mut budget) {
        Ok(x) => x,
        Err(e) => return Ret::Val(-e),
    };
    let envp = match read_strv(p, a[2], &mut budget) {
        Ok(x) => x,
        Err(e) => return Ret::Val(-e),
    };
    match exec::execve(p, &path, argv, envp) {
        Ok(frame) => {
            *f = frame;
            Ret::Resumed
        }
        Err(e) => Ret::Val(-e),
    }
}

/// `struct rusage`'s size.
const RUSAGE_BYTES: usize = 144;

/// `wait4`, with Linux's checks: unknown options are `EINVAL`, pid
/// `INT_MIN` is `ESRCH`; a child found is collected before the status and
/// the resource usage are copied out, so a bad pointer gives `EFAULT`
/// after the child is gone, as in Linux. Every child of this library OS
/// reports its end with SIGCHLD, so `__WCLONE` alone finds none.
fn wait4(p: &mut Proc, pid: i64, status: u64, options: u64, rusage: u64) -> Ret {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL) != 0 {
        return Ret::Val(-EINVAL);
    }
    if pid == i64::from(i32::MIN) {
        return Ret::Val(-ESRCH);
    }
    if options & __WCLONE != 0 && options & __WALL == 0 {
        return Ret::Val(-ECHILD);
    }
    let options = options & (WNOHANG | WUNTRACED | WCONTINUED);
    let w = match server::call(sys::Wait { pid, options }) {
        Err(Errno::EAGAIN) if options & WNOHANG == 0 => {
            return Ret::Block(Block::Retry { deadline: None })
        }
        Err(e) => return Ret::Val(e.to_ret()),
        Ok(w) => w,
    };
    let r = w.pid as i64;
    if r > 0 && status != 0 {
        if let Err(e) = p.mm.write_u32(status, w.status as u32) {
            return Ret::Val(-e);
        }
    }
    if r > 0 && rusage != 0 {
        if let Err(e) = p.mm.write(rusage, &[0u8; RUSAGE_BYTES]) {
            return Ret::Val(-e);
        }
    }
    Ret::Val(r)
}

fn kill(p: &mut Proc, pid: i64, sig: i32) -> Result<i64, i64> {
    if !(0..=64).contains(&sig) {
        return Err(EINVAL);
    }
    if pid == i64::from(i32::MIN) {
        return Err(ESRCH);
    }
    let sig = sig as u64;
    if pid == server::pid() as i64 {
        if sig != 0 {
            signal::post_process(p, sig);
        }
        return Ok(0);
    }
    server::call(sys::Kill { pid, signal: sig }).map_err(server::code)?;
    Ok(0)
}

fn uname(p: &mut Proc, buf: u64) -> Result<i64, i64> {
    let fields: [&[u8]; 6] = [
        b"Linux",
        b"exov6",
        b"6.1.0-exov6",
        b"#1 ExoV6 library OS",
        b"x86_64",
        b"(none)",
    ];
    let mut b = [0u8; 65 * 6];
    for (i, f) in fields.iter().enumerate() {
        b[i * 65..i * 65 + f.len()].copy_from_slice(f);
    }
    p.mm.write(buf, &b)?;
    Ok(0)
}

/// `getrandom`, with Linux's checks: only `GRND_NONBLOCK`,
/// `GRND_RANDOM` and `GRND_INSECURE`, not the last two together
/// (`EINVAL`); the length is clamped to `MAX_RW_COUNT` and the buffer must
/// lie in user memory (`EFAULT`). Bytes go out a page at a time: a fault
/// after some were written ends the call with their count. One call gives
/// at most 1 MiB (the interface allows short reads).
fn getrandom(p: &mut Proc, buf: u64, len: u64, flags: u32) -> Result<i64, i64> {
    const GRND_NONBLOCK: u32 = 1;
    const GRND_RANDOM: u32 = 2;
    const GRND_INSECURE: u32 = 4;
    const MAX_RW_COUNT: u64 = 0x7fff_f000;
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE
    {
        return Err(EINVAL);
    }
    let len = len.min(MAX_RW_COUNT);
    super::access_ok(buf, len)?;
    let len = len.min(1 << 20);
    let mut done = 0u64;
    while done < len {
        let in_page = 4096 - ((buf + done) & 4095);
        let n = in_page.min(len - done) as usize;
        let mut chunk = alloc::vec::Vec::with_capacity(n + 8);
        while chunk.len() < n {
            chunk.extend_from_slice(&crate::time::random_u64().to_le_bytes());
        }
        chunk.truncate(n);
        if let Err(e) = p.mm.write(buf + done, &chunk) {
            return if done > 0 { Ok(done as i64) } else { Err(e) };
        }
        done += n as u64;
    }
    Ok(done as i64)
}

fn prctl(p: &mut Proc, op: u64, arg: u64) -> Result<i64, i64> {
    match op {
        15 => {
            // PR_SET_NAME
            let name = p.mm.read_cstr(arg, 4096)?;
            let n = name.len().min(15);
            p.comm = [0; 16];
            p.comm[..n].copy_from_slice(&name[..n]);
            Ok(0)
        }
        16 => {
            let c = p.comm;
            p.mm.write(arg, &c)?;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

fn sysinfo(p: &mut Proc, buf: u64) -> Result<i64, i64> {
    let mut b = [0u8; 112];
    let up = crate::time::now_ns() / 1_000_000_000;
    b[0..8].copy_from_slice(&up.to_le_bytes());
    // The machine's memory, as the server shares it out.
    let (total, free) = match server::call(sys::Meminfo {}) {
        Ok(m) => (m.total * 4096, m.free * 4096),
        Err(_) => (0, 0),
    };
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&free.to_le_bytes());
    b[80..82].copy_from_slice(&1u16.to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    p.mm.write(buf, &b)?;
    Ok(0)
}
