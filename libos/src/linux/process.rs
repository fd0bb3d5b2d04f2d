//! Process calls: fork, exec, exit, wait, kill, ids, process groups and
//! sessions, and the small queries (uname, sysinfo, getrandom; limits are
//! `crate::limits`).

use abi::UpcallFrame;
use sysproto::{Op, WOULD_BLOCK};

use super::errno::*;
use super::nr::*;
use super::{read_strv, Ret};
use crate::proc::Proc;
use crate::task::Block;
use crate::{exec, fork, server, signal};

const WNOHANG: u64 = 1;

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
        WAIT4 => wait4(p, a[0] as i32 as i64, a[1], a[2]),
        KILL => kill(p, a[0] as i32 as i64, a[1]).into(),
        SETPGID => server_val(Op::Setpgid, [a[0], a[1], 0, 0, 0]),
        GETPGID => server_val(Op::Getpgid, [a[0], 0, 0, 0, 0]),
        GETPGRP => server_val(Op::Getpgid, [0; 5]),
        SETSID => server_val(Op::Setsid, [0; 5]),
        GETSID => server_val(Op::Getsid, [a[0], 0, 0, 0, 0]),
        UNAME => uname(p, a[0]).into(),
        GETRANDOM => getrandom(p, a[0], a[1]).into(),
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
        GETRUSAGE => p.mm.write(a[1], &[0u8; 144]).map(|()| 0).into(),
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
        SCHED_GETAFFINITY => {
            let len = a[1].min(8);
            if len == 0 {
                Ret::Val(-EINVAL)
            } else {
                p.mm.write(a[2], &1u64.to_le_bytes()[..len as usize])
                    .map(|()| len as i64)
                    .into()
            }
        }
        SCHED_SETAFFINITY => Ret::Val(0),
        _ => return None,
    })
}

fn server_val(op: Op, a: [u64; 5]) -> Ret {
    Ret::Val(server::request(op, a).0)
}

fn execve(p: &mut Proc, f: &mut UpcallFrame, a: [u64; 6]) -> Ret {
    let path = match p.mm.read_cstr(a[0], 4096) {
        Ok(x) => x,
        Err(e) => return Ret::Val(-e),
    };
    let argv = match read_strv(p, a[1]) {
        Ok(x) => x,
        Err(e) => return Ret::Val(-e),
    };
    let envp = match read_strv(p, a[2]) {
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

fn wait4(p: &mut Proc, pid: i64, status: u64, options: u64) -> Ret {
    if status != 0 {
        if let Err(e) = p.mm.prepare(status, 4, true) {
            return Ret::Val(-e);
        }
    }
    let (r, w) = server::request(Op::Wait, [pid as u64, options, 0, 0, 0]);
    if r == WOULD_BLOCK && options & WNOHANG == 0 {
        return Ret::Block(Block::Retry { deadline: None });
    }
    if r > 0 && status != 0 {
        if let Err(e) = p.mm.write_u32(status, w[0] as u32) {
            return Ret::Val(-e);
        }
    }
    Ret::Val(r)
}

fn kill(p: &mut Proc, pid: i64, sig: u64) -> Result<i64, i64> {
    if sig > 64 {
        return Err(EINVAL);
    }
    if pid == server::pid() as i64 {
        if sig != 0 {
            signal::post_process(p, sig);
        }
        return Ok(0);
    }
    let (r, _) = server::request(Op::Kill, [pid as u64, sig, 0, 0, 0]);
    if r < 0 {
        Err(-r)
    } else {
        Ok(0)
    }
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

fn getrandom(p: &mut Proc, buf: u64, len: u64) -> Result<i64, i64> {
    let len = len.min(1 << 20) as usize;
    let mut v = alloc::vec::Vec::with_capacity(len + 8);
    while v.len() < len {
        v.extend_from_slice(&crate::time::random_u64().to_le_bytes());
    }
    v.truncate(len);
    p.mm.write(buf, &v)?;
    Ok(len as i64)
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
    let (r, w) = server::request(Op::Meminfo, [0; 5]);
    let (total, free) = if r >= 0 {
        (w[0] * 4096, w[1] * 4096)
    } else {
        (0, 0)
    };
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&free.to_le_bytes());
    b[80..82].copy_from_slice(&1u16.to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    p.mm.write(buf, &b)?;
    Ok(0)
}
