//! Process calls: fork, exec, exit, wait, kill, ids, process groups and
//! sessions, and the small queries (uname, sysinfo, getrandom; limits are
//! `crate::limits`).

use abi::UpcallFrame;
use linux_errno::Errno::{self, EAGAIN, ECHILD, EINVAL, ESRCH};
use sysproto::sys;
use sysproto::wire::Request;

use super::{read_strv, wait_again, Call, Ret};
use crate::proc::Proc;
use crate::{exec, fork, server, signal};

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;
const __WNOTHREAD: u64 = 0x2000_0000;
const __WALL: u64 = 0x4000_0000;
const __WCLONE: u64 = 0x8000_0000;

pub fn getpid(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(server::pid() as usize)
}

pub fn getppid(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(server::ppid() as usize)
}

pub fn gettid(p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    Ok(p.tasks[p.cur].tid as usize)
}

/// `getuid`, `geteuid`, `getgid`, `getegid`: everything runs as root.
/// `fork` and `vfork`.
pub fn fork(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    fork::fork(p, c.frame).map(|c| c as usize)
}

pub fn exit(p: &mut Proc, c: &mut Call) -> Ret {
    super::wait::exit_task(p, c.frame, c.a[0]);
    Ret::Resumed
}

pub fn exit_group(p: &mut Proc, c: &mut Call) -> Ret {
    p.exit_process(sysproto::status::exited(c.a[0] as u8))
}

pub fn wait4(p: &mut Proc, c: &mut Call) -> Ret {
    let a = c.a;
    wait_child(p, a[0] as i32 as i64, a[1], a[2] as u32 as u64, a[3])
}

pub fn kill(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    send_signal(p, c.a[0] as i32 as i64, c.a[1] as i32)
}

pub fn setpgid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    server_val(
        sys::Setpgid {
            pid: c.a[0],
            pgid: c.a[1],
        },
        |_| 0,
    )
}

pub fn getpgid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    server_val(sys::Getpgid { pid: c.a[0] }, |r| r.pgid)
}

pub fn getpgrp(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    server_val(sys::Getpgid { pid: 0 }, |r| r.pgid)
}

pub fn setsid(_p: &mut Proc, _c: &mut Call) -> Result<usize, Errno> {
    server_val(sys::Setsid {}, |r| r.sid)
}

pub fn getsid(_p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    server_val(sys::Getsid { pid: c.a[0] }, |r| r.sid)
}

pub fn uname(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
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
    p.mm.write(c.a[0], &b)?;
    Ok(0)
}

pub fn getrandom(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    random_bytes(p, c.a[0], c.a[1], c.a[2] as u32)
}

pub fn prctl(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let (op, arg) = (c.a[0], c.a[1]);
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

pub fn getrlimit(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    crate::limits::getrlimit(p, c.a[0], c.a[1])
}

pub fn setrlimit(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    crate::limits::setrlimit(p, c.a[0], c.a[1])
}

pub fn prlimit64(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    if c.a[0] != 0 && c.a[0] != server::pid() {
        return Err(ESRCH);
    }
    crate::limits::prlimit(p, c.a[1], c.a[2], c.a[3])
}

pub fn sysinfo(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let mut b = [0u8; 112];
    let up = crate::time::now_ns() / 1_000_000_000;
    b[0..8].copy_from_slice(&up.to_le_bytes());
    // The load averages, from 11 to 16 bits of fraction (SI_LOAD_SHIFT).
    if let Ok((one, five, fifteen)) = exo_rt::load_avg() {
        for (i, l) in [one, five, fifteen].into_iter().enumerate() {
            b[8 + i * 8..16 + i * 8].copy_from_slice(&(l << 5).to_le_bytes());
        }
    }
    // The machine's memory, as the server shares it out.
    let (total, free) = match server::call(sys::Meminfo {}) {
        Ok(m) => (m.total * 4096, m.free * 4096),
        Err(_) => (0, 0),
    };
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&free.to_le_bytes());
    b[80..82].copy_from_slice(&1u16.to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    p.mm.write(c.a[0], &b)?;
    Ok(0)
}

pub fn getrusage(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    // RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD (the process: its
    // threads share one environment, whose time the kernel counts).
    let (user, system) = match c.a[0] as i32 {
        0 | 1 => own_ticks(),
        -1 => child_ticks(),
        _ => return Err(EINVAL),
    };
    let mut b = [0u8; RUSAGE_BYTES];
    for (at, ticks) in [(0, user), (16, system)] {
        let us = ticks_to_ns(ticks) / 1000;
        b[at..at + 8].copy_from_slice(&(us / 1_000_000).to_le_bytes());
        b[at + 8..at + 16].copy_from_slice(&(us % 1_000_000).to_le_bytes());
    }
    p.mm.write(c.a[1], &b).map(|()| 0)
}

pub fn times(p: &mut Proc, c: &mut Call) -> Result<usize, Errno> {
    let clock = |ticks: u64| ticks_to_ns(ticks) / (1_000_000_000 / USER_HZ);
    if c.a[0] != 0 {
        let (u, s) = own_ticks();
        let (cu, cs) = child_ticks();
        let mut b = [0u8; 32];
        for (i, v) in [u, s, cu, cs].into_iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&clock(v).to_le_bytes());
        }
        p.mm.write(c.a[0], &b)?;
    }
    // Clock ticks since an arbitrary point (boot), as Linux's.
    Ok((crate::time::now_ns() / (1_000_000_000 / USER_HZ)) as usize)
}

/// Clock ticks per second of `times` (Linux's `USER_HZ`).
const USER_HZ: u64 = 100;

/// This process's CPU time in kernel timer ticks (user, kernel), from its
/// info page.
pub(crate) fn own_ticks() -> (u64, u64) {
    (exo_rt::info::user_ticks(), exo_rt::info::system_ticks())
}

/// Its collected children's, from the server.
fn child_ticks() -> (u64, u64) {
    server::call(sys::ChildTimes {}).map_or((0, 0), |r| (r.user, r.system))
}

/// Kernel timer ticks in nanoseconds.
pub(crate) fn ticks_to_ns(ticks: u64) -> u64 {
    let hz = exo_rt::info::timer_hz().max(1);
    (u128::from(ticks) * 1_000_000_000 / u128::from(hz)) as u64
}

/// A request whose answer is `value` of its reply.
fn server_val<R: Request<In = ()>>(
    req: R,
    value: impl FnOnce(R::Reply) -> u64,
) -> Result<usize, Errno> {
    server::call(req).map(|r| value(r) as usize)
}

pub fn execve(p: &mut Proc, c: &mut Call) -> Ret {
    match exec_program(p, c.a) {
        Ok(frame) => {
            *c.frame = frame;
            Ret::Resumed
        }
        Err(e) => e.into(),
    }
}

fn exec_program(p: &mut Proc, a: [u64; 6]) -> Result<UpcallFrame, Errno> {
    let path = p.mm.read_cstr(a[0], 4096)?;
    // Linux opens the program before it copies the arguments: a path
    // that cannot be run is reported first.
    exec::openable(&path)?;
    let mut budget = super::ARG_BYTES;
    let argv = read_strv(p, a[1], &mut budget)?;
    let envp = read_strv(p, a[2], &mut budget)?;
    exec::execve(p, &path, argv, envp)
}

/// `struct rusage`'s size.
const RUSAGE_BYTES: usize = 144;

/// `wait4`, with Linux's checks: unknown options are `EINVAL`, pid
/// `INT_MIN` is `ESRCH`; a child found is collected before the status and
/// the resource usage are copied out, so a bad pointer gives `EFAULT`
/// after the child is gone, as in Linux. Every child of this library OS
/// reports its end with SIGCHLD, so `__WCLONE` alone finds none.
fn wait_child(p: &mut Proc, pid: i64, status: u64, options: u64, rusage: u64) -> Ret {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL) != 0 {
        return EINVAL.into();
    }
    if pid == i64::from(i32::MIN) {
        return ESRCH.into();
    }
    if options & __WCLONE != 0 && options & __WALL == 0 {
        return ECHILD.into();
    }
    let options = options & (WNOHANG | WUNTRACED | WCONTINUED);
    let req = sys::Wait { pid, options };
    // Without WNOHANG the server answers when a child changes state.
    let w = if options & WNOHANG == 0 {
        server::deferred(req, &(), p.tasks[p.cur].tid).map(|g| g.map(|g| g.reply()))
    } else {
        server::call(req).map(Some)
    };
    let w = match w {
        Ok(Some(w)) => w,
        Ok(None) => return wait_again(),
        Err(EAGAIN) if options & WNOHANG == 0 => return wait_again(),
        Err(e) => return e.into(),
    };
    let r = w.pid;
    if r > 0 && status != 0 {
        if let Err(e) = p.mm.write_u32(status, w.status as u32) {
            return e.into();
        }
    }
    if r > 0 && rusage != 0 {
        if let Err(e) = p.mm.write(rusage, &[0u8; RUSAGE_BYTES]) {
            return e.into();
        }
    }
    Ok(r as usize).into()
}

fn send_signal(p: &mut Proc, pid: i64, sig: i32) -> Result<usize, Errno> {
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
    server::call(sys::Kill { pid, signal: sig })?;
    Ok(0)
}

/// `getrandom`, with Linux's checks: only `GRND_NONBLOCK`,
/// `GRND_RANDOM` and `GRND_INSECURE`, not the last two together
/// (`EINVAL`); the length is clamped to `MAX_RW_COUNT` and the buffer must
/// lie in user memory (`EFAULT`). Bytes go out a page at a time: a fault
/// after some were written ends the call with their count. One call gives
/// at most 1 MiB (the interface allows short reads).
fn random_bytes(p: &mut Proc, buf: u64, len: u64, flags: u32) -> Result<usize, Errno> {
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
    // The system's generator (the server's, behind /dev/urandom).
    while done < len {
        let n = (len - done).min(sysproto::DATA_BYTES as u64);
        let chunk = server::call_with(sysproto::sys::Random { len: n }, &())?.bytes();
        if chunk.is_empty() {
            break;
        }
        // Page by page: a fault part-way returns the bytes before it.
        let mut at = 0;
        while at < chunk.len() {
            let in_page = (4096 - ((buf + done) & 4095)) as usize;
            let n = in_page.min(chunk.len() - at);
            if let Err(e) = p.mm.write(buf + done, &chunk[at..at + n]) {
                return if done > 0 { Ok(done as usize) } else { Err(e) };
            }
            at += n;
            done += n as u64;
        }
    }
    Ok(done as usize)
}
