//! strace, built on the call table: with `EXOV6_STRACE=all` (or `=PID`)
//! in the environment of an `exec`, each Linux call of the chosen
//! processes is printed on the console as strace prints it,
//! `[pid N] openat(AT_FDCWD, "/etc/motd", O_RDONLY) = 3` or
//! `= -1 ENOENT`, its arguments decoded by the kinds the table gives
//! them. A call that waits prints `<unfinished ...>` and, when it ends,
//! `<... NAME resumed> = R` (a futex wait ended by another thread's wake
//! shows no resumed line).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use linux_errno::Errno;

use super::{row, run as dispatch_row, Call, Kind, Ret, Row};
use crate::proc::Proc;

/// Most bytes of a string or buffer shown (strace's default `-s 32`).
const STR_MAX: usize = 32;
/// Most strings of an `argv` shown.
const ARGV_MAX: usize = 16;

/// Runs call `nr` for a traced process and prints it (`retried`: a call
/// made again after it waited, whose line was begun then).
pub fn run(p: &mut Proc, c: &mut Call, nr: u64, retried: bool) -> Ret {
    let row = row(nr);
    let a = c.a;
    // Arguments are read before the call: it may change or replace the
    // memory they are in (`execve`). What the call writes is read after.
    let before = if retried {
        Vec::new()
    } else {
        row.map_or_else(|| Vec::new(), |r| before_args(p, r, &a))
    };
    let never = row.is_some_and(|r| r.ret == Kind::Never);
    if never && !retried {
        // It does not come back: printed now, as strace does.
        let h = head(p, nr, row, &before, None, &a);
        line(p, &h, " = ?");
    }
    let ret = dispatch_row(p, c, nr);
    if retried {
        if let Ret::Done(r) = ret {
            resumed(p, nr, Some(r));
        }
        return ret;
    }
    match &ret {
        Ret::Done(r) => {
            let h = head(p, nr, row, &before, Some(*r), &a);
            line(p, &h, &result(row, *r));
        }
        Ret::Block(_) => {
            let h = head(p, nr, row, &before, None, &a);
            line(p, &h, " <unfinished ...>");
        }
        Ret::Resumed if !never => {
            let h = head(p, nr, row, &before, None, &a);
            line(p, &h, " = ?");
        }
        Ret::Resumed => {}
    }
    ret
}

/// A waiting call of the current task ended with `r` (`None`: it is
/// made again after a signal handler).
pub fn resumed(p: &mut Proc, nr: u64, r: Option<Result<usize, Errno>>) {
    let name = name_of(nr);
    let tail = match r {
        Some(r) => result(row(nr), r),
        None => String::from(" = ? ERESTARTSYS (To be restarted if SA_RESTART is set)"),
    };
    let mut h = String::new();
    let _ = write!(h, "<... {name} resumed>");
    line(p, &h, &tail);
}

/// Prints one line for the current task.
fn line(p: &Proc, head: &str, tail: &str) {
    exo_rt::println!("[pid {}] {}{}", p.tasks[p.cur].tid, head, tail);
}

fn name_of(nr: u64) -> String {
    match row(nr) {
        Some(r) => String::from(r.name),
        None => {
            let mut s = String::new();
            let _ = write!(s, "syscall_{nr:#x}");
            s
        }
    }
}

/// `name(arg, ...)`: the arguments read before the call, and those the
/// call wrote (with its result `r`, once it has one).
fn head(
    p: &mut Proc,
    nr: u64,
    row: Option<&Row>,
    before: &[Option<String>],
    r: Option<Result<usize, Errno>>,
    a: &[u64; 6],
) -> String {
    let mut s = name_of(nr);
    s.push('(');
    let Some(row) = row else {
        // A number Linux has no call for: its six registers.
        for (i, x) in a.iter().enumerate() {
            let _ = write!(s, "{}{x:#x}", if i > 0 { ", " } else { "" });
        }
        s.push(')');
        return s;
    };
    for (i, &(_, kind)) in row.args.iter().enumerate() {
        if kind == Kind::Mode && i > 0 && !creates(row.args[i - 1].1, a[i - 1]) {
            // `open`'s mode means something only when it creates a file.
            continue;
        }
        if i > 0 {
            s.push_str(", ");
        }
        match before.get(i).and_then(|b| b.as_ref()) {
            Some(text) => s.push_str(text),
            None => out_arg(p, &mut s, kind, a[i], r),
        }
    }
    s.push(')');
    s
}

/// Whether open flags `x` (of kind `kind`) make a file, so the mode that
/// follows them is shown.
fn creates(kind: Kind, x: u64) -> bool {
    const O_CREAT: u64 = 0o100;
    const O_TMPFILE: u64 = 0o20000000;
    kind != Kind::OpenFlags || x & (O_CREAT | O_TMPFILE) != 0
}

/// The arguments that are read before the call (`None` for those shown
/// after it: what the call writes).
fn before_args(p: &mut Proc, row: &Row, a: &[u64; 6]) -> Vec<Option<String>> {
    let mut v = Vec::with_capacity(row.args.len());
    for (i, &(_, kind)) in row.args.iter().enumerate() {
        if kind == Kind::OutBuf {
            v.push(None);
            continue;
        }
        let mut s = String::new();
        let x = a[i];
        let next = a.get(i + 1).copied().unwrap_or(0);
        in_arg(p, &mut s, kind, x, next);
        v.push(Some(s));
    }
    v
}

/// An argument as strace shows it; `next` is the following argument
/// (the length of an [`Kind::InBuf`]).
fn in_arg(p: &mut Proc, s: &mut String, kind: Kind, x: u64, next: u64) {
    match kind {
        Kind::Int | Kind::Fd | Kind::Pid => {
            let _ = write!(s, "{}", x as i32);
        }
        Kind::Uint => {
            let _ = write!(s, "{}", x as u32);
        }
        Kind::Long => {
            let _ = write!(s, "{}", x as i64);
        }
        Kind::Size => {
            let _ = write!(s, "{x}");
        }
        Kind::Hex if x == 0 => s.push('0'),
        Kind::Hex => {
            let _ = write!(s, "{x:#x}");
        }
        Kind::Ptr | Kind::In | Kind::Out | Kind::OutBuf | Kind::Never => ptr(s, x),
        Kind::DirFd => {
            if x as i32 == -100 {
                s.push_str("AT_FDCWD");
            } else {
                let _ = write!(s, "{}", x as i32);
            }
        }
        Kind::Path | Kind::Str => match p.mm.read_cstr(x, 4096) {
            Ok(b) => quoted(s, &b, false),
            Err(_) => ptr(s, x),
        },
        Kind::InBuf => {
            let n = (next as usize).min(STR_MAX);
            match p.mm.read(x, n) {
                Ok(b) => quoted(s, &b, next as usize > STR_MAX),
                Err(_) => ptr(s, x),
            }
        }
        Kind::OpenFlags => open_flags(s, x as u32, true),
        Kind::FdFlags => open_flags(s, x as u32, false),
        Kind::Mode => {
            let _ = write!(s, "0{:02o}", x as u32);
        }
        Kind::AtFlags => flags(s, x as u32 as u64, AT_FLAGS),
        Kind::Signal => signal(s, x),
        Kind::Clock => match CLOCKS.get(x as usize) {
            Some(name) => s.push_str(name),
            None => {
                let _ = write!(s, "{}", x as i32);
            }
        },
        Kind::Timespec => {
            if x == 0 {
                s.push_str("NULL");
                return;
            }
            match (p.mm.read_u64(x), p.mm.read_u64(x.wrapping_add(8))) {
                (Ok(sec), Ok(nsec)) => {
                    let _ = write!(s, "{{tv_sec={}, tv_nsec={}}}", sec as i64, nsec as i64);
                }
                _ => ptr(s, x),
            }
        }
        Kind::Argv => argv(p, s, x),
        Kind::Envp => {
            ptr(s, x);
            if x != 0 {
                let n = (0..4096u64)
                    .take_while(|i| p.mm.read_u64(x + i * 8).is_ok_and(|v| v != 0))
                    .count();
                let _ = write!(s, " /* {n} vars */");
            }
        }
        Kind::Prot => {
            if x == 0 {
                s.push_str("PROT_NONE");
            } else {
                flags(s, x, PROT);
            }
        }
        Kind::MapFlags => flags(s, x, MAP),
        Kind::Whence => named(s, x, WHENCE),
        Kind::Fcntl => named(s, x as u32 as u64, FCNTL),
        Kind::Ioctl => named(s, x as u32 as u64, IOCTL),
        Kind::SigHow => named(s, x, SIGHOW),
        Kind::Futex => futex_op(s, x as u32),
        Kind::CloneFlags => {
            let sig = x & 0xff;
            flags(s, x & !0xff, CLONE);
            if sig != 0 {
                if x & !0xff != 0 {
                    s.push('|');
                } else {
                    s.clear();
                }
                signal(s, sig);
            }
        }
    }
}

/// An argument the call wrote, shown after it: an [`Kind::OutBuf`] holds
/// as many bytes as it answered.
fn out_arg(p: &mut Proc, s: &mut String, kind: Kind, x: u64, r: Option<Result<usize, Errno>>) {
    match (kind, r) {
        (Kind::OutBuf, Some(Ok(n))) => match p.mm.read(x, n.min(STR_MAX)) {
            Ok(b) => quoted(s, &b, n > STR_MAX),
            Err(_) => ptr(s, x),
        },
        _ => ptr(s, x),
    }
}

/// The result: ` = 3`, ` = 0x7f0000000000`, ` = -1 ENOENT`.
fn result(row: Option<&Row>, r: Result<usize, Errno>) -> String {
    let mut s = String::new();
    match r {
        Ok(v) if row.is_some_and(|r| r.ret == Kind::Ptr) => {
            let _ = write!(s, " = {v:#x}");
        }
        Ok(v) => {
            let _ = write!(s, " = {}", v as i64);
        }
        Err(e) => {
            let _ = write!(s, " = -1 {}", e.name());
        }
    }
    s
}

fn ptr(s: &mut String, x: u64) {
    if x == 0 {
        s.push_str("NULL");
    } else {
        let _ = write!(s, "{x:#x}");
    }
}

/// Bytes as a C string literal, cut with `...` after them if `more`.
pub fn quoted(s: &mut String, b: &[u8], more: bool) {
    let cut = b.len() > STR_MAX;
    s.push('"');
    for &c in &b[..b.len().min(STR_MAX)] {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\{c:o}");
            }
        }
    }
    s.push('"');
    if more || cut {
        s.push_str("...");
    }
}

fn argv(p: &mut Proc, s: &mut String, x: u64) {
    if x == 0 {
        s.push_str("NULL");
        return;
    }
    s.push('[');
    for i in 0..=ARGV_MAX as u64 {
        let Ok(ptr) = p.mm.read_u64(x + i * 8) else {
            break;
        };
        if ptr == 0 {
            break;
        }
        if i > 0 {
            s.push_str(", ");
        }
        if i == ARGV_MAX as u64 {
            s.push_str("...");
            break;
        }
        match p.mm.read_cstr(ptr, 4096) {
            Ok(b) => quoted(s, &b, false),
            Err(_) => self::ptr(s, ptr),
        }
    }
    s.push(']');
}

/// Names of single bits; what is left over shows in hex.
fn flags(s: &mut String, x: u64, names: &[(u64, &str)]) {
    if x == 0 {
        s.push('0');
        return;
    }
    let mut left = x;
    let mut first = true;
    for &(bit, name) in names {
        if left & bit == bit && bit != 0 {
            if !first {
                s.push('|');
            }
            s.push_str(name);
            left &= !bit;
            first = false;
        }
    }
    if left != 0 {
        if !first {
            s.push('|');
        }
        let _ = write!(s, "{left:#x}");
    }
}

/// The name of a value, or the number.
fn named(s: &mut String, x: u64, names: &[(u64, &str)]) {
    match names.iter().find(|(v, _)| *v == x) {
        Some((_, n)) => s.push_str(n),
        None => {
            let _ = write!(s, "{x:#x}");
        }
    }
}

fn open_flags(s: &mut String, x: u32, access: bool) {
    let x = u64::from(x);
    if !access {
        flags(s, x, O_FLAGS);
        return;
    }
    s.push_str(match x & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    });
    if x & !3 != 0 {
        s.push('|');
        flags(s, x & !3, O_FLAGS);
    }
}

fn signal(s: &mut String, x: u64) {
    match SIGNALS.get((x as usize).wrapping_sub(1)) {
        Some(n) if x >= 1 => {
            s.push_str("SIG");
            s.push_str(n);
        }
        _ if (32..=64).contains(&x) => {
            let _ = write!(s, "SIGRT_{}", x - 32);
        }
        _ => {
            let _ = write!(s, "{}", x as i32);
        }
    }
}

fn futex_op(s: &mut String, op: u32) {
    let cmd = u64::from(op & 127);
    named(s, cmd, FUTEX);
    if op & 128 != 0 {
        s.push_str("_PRIVATE");
    }
    if op & 256 != 0 {
        s.push_str("|FUTEX_CLOCK_REALTIME");
    }
}

const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

const CLOCKS: [&str; 8] = [
    "CLOCK_REALTIME",
    "CLOCK_MONOTONIC",
    "CLOCK_PROCESS_CPUTIME_ID",
    "CLOCK_THREAD_CPUTIME_ID",
    "CLOCK_MONOTONIC_RAW",
    "CLOCK_REALTIME_COARSE",
    "CLOCK_MONOTONIC_COARSE",
    "CLOCK_BOOTTIME",
];

const O_FLAGS: &[(u64, &str)] = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
];

const AT_FLAGS: &[(u64, &str)] = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
];

const PROT: &[(u64, &str)] = &[(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")];

const MAP: &[(u64, &str)] = &[
    (0x01, "MAP_SHARED"),
    (0x02, "MAP_PRIVATE"),
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];

const WHENCE: &[(u64, &str)] = &[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
];

const FCNTL: &[(u64, &str)] = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (1030, "F_DUPFD_CLOEXEC"),
];

const IOCTL: &[(u64, &str)] = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x540e, "TIOCSCTTY"),
    (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541b, "FIONREAD"),
    (0x5421, "FIONBIO"),
    (0x5429, "TIOCGSID"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
    (0x5452, "FIOASYNC"),
];

const SIGHOW: &[(u64, &str)] = &[(0, "SIG_BLOCK"), (1, "SIG_UNBLOCK"), (2, "SIG_SETMASK")];

const FUTEX: &[(u64, &str)] = &[
    (0, "FUTEX_WAIT"),
    (1, "FUTEX_WAKE"),
    (2, "FUTEX_FD"),
    (3, "FUTEX_REQUEUE"),
    (4, "FUTEX_CMP_REQUEUE"),
    (5, "FUTEX_WAKE_OP"),
    (6, "FUTEX_LOCK_PI"),
    (7, "FUTEX_UNLOCK_PI"),
    (8, "FUTEX_TRYLOCK_PI"),
    (9, "FUTEX_WAIT_BITSET"),
    (10, "FUTEX_WAKE_BITSET"),
];

const CLONE: &[(u64, &str)] = &[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"),
    (0x2000, "CLONE_PTRACE"),
    (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"),
    (0x10000, "CLONE_THREAD"),
    (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"),
    (0x80000, "CLONE_SETTLS"),
    (0x100000, "CLONE_PARENT_SETTID"),
    (0x200000, "CLONE_CHILD_CLEARTID"),
    (0x400000, "CLONE_DETACHED"),
    (0x800000, "CLONE_UNTRACED"),
    (0x1000000, "CLONE_CHILD_SETTID"),
];
