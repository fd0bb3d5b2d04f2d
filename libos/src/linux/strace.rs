//! strace, built on the call table: with `EXOV6_STRACE=all` (or `=PID`)
//! in the environment of an `exec`, each Linux call of the chosen
//! processes is printed on the console as strace prints it,
//! `[pid N] openat(AT_FDCWD, "/etc/motd", O_RDONLY) = 3` or
//! `= -1 ENOENT`, its arguments decoded (`crates/strace`) by the kinds the
//! table gives them. A call that waits prints `<unfinished ...>` and,
//! when it ends, `<... NAME resumed> = R` (a futex wait ended by another
//! thread's wake shows no resumed line).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use linux_errno::Errno;
use linux_strace::Memory;

use super::{row, run as dispatch_row, Call, Kind, Ret, Row};
use crate::mm::Mm;
use crate::proc::Proc;

/// The decoders read program memory as the calls do.
impl Memory for Mm {
    fn read(&mut self, addr: u64, len: usize) -> Option<Vec<u8>> {
        Mm::read(self, addr, len).ok()
    }
    fn read_cstr(&mut self, addr: u64, max: usize) -> Option<Vec<u8>> {
        Mm::read_cstr(self, addr, max).ok()
    }
    fn read_u64(&mut self, addr: u64) -> Option<u64> {
        Mm::read_u64(self, addr).ok()
    }
}

/// Runs call `nr` for a traced process and prints it (`retried`: a call
/// made again after it waited, whose line was begun then).
#[cold]
pub fn run(p: &mut Proc, c: &mut Call, nr: u64, retried: bool) -> Ret {
    let row = row(nr);
    let a = c.a;
    // Arguments are read before the call: it may change or replace the
    // memory they are in (`execve`). What the call writes is read after.
    let before = match row {
        Some(r) if !retried => before_args(p, &r, &a),
        _ => Vec::new(),
    };
    let never = row.is_some_and(|r| r.shape.ret == Kind::Never);
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
            let mut t = String::new();
            linux_strace::result(&mut t, row.map_or(Kind::Int, |r| r.shape.ret), *r);
            line(p, &h, &t);
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
#[cold]
pub fn resumed(p: &mut Proc, nr: u64, r: Option<Result<usize, Errno>>) {
    let mut tail = String::new();
    match r {
        Some(r) => linux_strace::result(&mut tail, row(nr).map_or(Kind::Int, |r| r.shape.ret), r),
        None => tail.push_str(" = ? ERESTARTSYS (To be restarted if SA_RESTART is set)"),
    }
    let mut h = String::new();
    let _ = write!(h, "<... {} resumed>", name_of(nr));
    line(p, &h, &tail);
}

/// Prints one line for the current task.
fn line(p: &Proc, head: &str, tail: &str) {
    exo_rt::println!("[pid {}] {}{}", p.tasks[p.cur].tid, head, tail);
}

fn name_of(nr: u64) -> String {
    let mut s = String::new();
    match row(nr) {
        Some(r) => s.push_str(r.name),
        None => {
            let _ = write!(s, "syscall_{nr:#x}");
        }
    }
    s
}

/// `name(arg, ...)`: the arguments read before the call, and those the
/// call wrote (once it has a result `r`).
fn head(
    p: &mut Proc,
    nr: u64,
    row: Option<Row>,
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
    let mut first = true;
    for (i, &kind) in row.shape.args().iter().enumerate() {
        if !linux_strace::shown(row.shape.kinds(), a, i) {
            continue;
        }
        if !first {
            s.push_str(", ");
        }
        first = false;
        match (before.get(i).and_then(|b| b.as_ref()), r) {
            (Some(text), _) => s.push_str(text),
            (None, Some(r)) => linux_strace::out_arg(&mut p.mm, &mut s, kind, a[i], r),
            (None, None) => linux_strace::ptr(&mut s, a[i]),
        }
    }
    s.push(')');
    s
}

/// The arguments shown as they were before the call (`None` for those
/// shown after it: what the call writes).
fn before_args(p: &mut Proc, row: &Row, a: &[u64; 6]) -> Vec<Option<String>> {
    row.shape
        .args()
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            (!kind.is_output()).then(|| {
                let mut s = String::new();
                let next = a.get(i + 1).copied().unwrap_or(0);
                linux_strace::arg(&mut p.mm, &mut s, kind, a[i], next);
                s
            })
        })
        .collect()
}
