//! How strace shows a Linux system call: the argument kinds the library
//! OS's call table (`libos/src/linux/table.rs`) gives each argument, and
//! the decoders that turn an argument, the memory it points to, and the
//! result into strace's text (`openat(AT_FDCWD, "/etc/motd", O_RDONLY)`,
//! `= -1 ENOENT`). Program memory is read through [`Memory`], so the
//! decoders are plain functions, tested on the host.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

#[cfg(test)]
extern crate std;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use linux_errno::Errno;

/// Most bytes of a string or buffer shown (strace's default `-s 32`).
pub const STR_MAX: usize = 32;
/// Most strings of an `argv` shown.
pub const ARGV_MAX: usize = 16;

/// How strace shows an argument or a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An `int`.
    Int,
    /// An `unsigned int`.
    Uint,
    /// A `long` (`off_t`, `loff_t`).
    Long,
    /// A size or count (`size_t`).
    Size,
    /// A number best read in hex (flags without names, cookies).
    Hex,
    /// An address (`NULL` or hex).
    Ptr,
    /// A pointer to something the call reads.
    In,
    /// A pointer to something the call writes.
    Out,
    /// A file descriptor.
    Fd,
    /// A directory descriptor for `*at` calls (`AT_FDCWD`).
    DirFd,
    /// A path name (a C string).
    Path,
    /// Another C string.
    Str,
    /// Bytes the call reads, as many as the next argument says.
    InBuf,
    /// Bytes the call writes, as many as it answers (shown after it).
    OutBuf,
    /// `O_*` flags with the access mode (`open`).
    OpenFlags,
    /// `O_*` flags without one (`pipe2`, `dup3`).
    FdFlags,
    /// A file mode (octal), shown only when the open flags before it
    /// create a file.
    Mode,
    /// `AT_*` flags.
    AtFlags,
    /// A signal number.
    Signal,
    /// A process (or thread) id.
    Pid,
    /// A clock id.
    Clock,
    /// A `struct timespec` the call reads.
    Timespec,
    /// A NULL-terminated array of strings (`argv`).
    Argv,
    /// An environment array (shown by its length).
    Envp,
    /// `PROT_*` bits.
    Prot,
    /// `MAP_*` flags.
    MapFlags,
    /// `SEEK_*`.
    Whence,
    /// An `fcntl` command.
    Fcntl,
    /// An `ioctl` request.
    Ioctl,
    /// `SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`.
    SigHow,
    /// A `futex` operation.
    Futex,
    /// `CLONE_*` flags.
    CloneFlags,
    /// The result of a call that does not return (`exit`).
    Never,
}

impl Kind {
    /// Whether the argument is shown after the call (what it wrote).
    pub fn is_output(self) -> bool {
        self == Kind::OutBuf
    }
}

/// The traced program's memory.
pub trait Memory {
    /// `len` bytes at `addr`, if the program may read them.
    fn read(&mut self, addr: u64, len: usize) -> Option<Vec<u8>>;
    /// The NUL-terminated string at `addr` (without the NUL), at most
    /// `max` bytes.
    fn read_cstr(&mut self, addr: u64, max: usize) -> Option<Vec<u8>>;
    /// The little-endian word at `addr`.
    fn read_u64(&mut self, addr: u64) -> Option<u64> {
        let b = self.read(addr, 8)?;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }
}

/// Whether argument `i` of a call with arguments `kinds` and values `a`
/// is shown: `open`'s mode only when the flags before it create a file.
pub fn shown(kinds: &[Kind], a: &[u64], i: usize) -> bool {
    const O_CREAT: u64 = 0o100;
    const O_TMPFILE: u64 = 0o20000000;
    kinds[i] != Kind::Mode
        || i == 0
        || kinds[i - 1] != Kind::OpenFlags
        || a[i - 1] & (O_CREAT | O_TMPFILE) != 0
}

/// Appends argument `x` of kind `kind` as strace shows it before the
/// call; `next` is the following argument (an [`Kind::InBuf`]'s length).
pub fn arg(m: &mut impl Memory, s: &mut String, kind: Kind, x: u64, next: u64) {
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
        Kind::Path | Kind::Str => match m.read_cstr(x, 4096) {
            Some(b) => quoted(s, &b, false),
            None => ptr(s, x),
        },
        Kind::InBuf => {
            let n = (next as usize).min(STR_MAX);
            match m.read(x, n) {
                Some(b) => quoted(s, &b, next as usize > STR_MAX),
                None => ptr(s, x),
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
            match (m.read_u64(x), m.read_u64(x.wrapping_add(8))) {
                (Some(sec), Some(nsec)) => {
                    let _ = write!(s, "{{tv_sec={}, tv_nsec={}}}", sec as i64, nsec as i64);
                }
                _ => ptr(s, x),
            }
        }
        Kind::Argv => argv(m, s, x),
        Kind::Envp => {
            ptr(s, x);
            if x != 0 {
                let n = (0..4096u64)
                    .take_while(|i| m.read_u64(x + i * 8).is_some_and(|v| v != 0))
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
            let rest = x & !0xff;
            if rest != 0 || sig == 0 {
                flags(s, rest, CLONE);
            }
            if sig != 0 {
                if rest != 0 {
                    s.push('|');
                }
                signal(s, sig);
            }
        }
    }
}

/// Appends an argument the call wrote, shown after it with the call's
/// result `r`: an [`Kind::OutBuf`] holds as many bytes as it answered.
pub fn out_arg(m: &mut impl Memory, s: &mut String, kind: Kind, x: u64, r: Result<usize, Errno>) {
    match (kind, r) {
        (Kind::OutBuf, Ok(n)) => match m.read(x, n.min(STR_MAX)) {
            Some(b) => quoted(s, &b, n > STR_MAX),
            None => ptr(s, x),
        },
        _ => ptr(s, x),
    }
}

/// Appends the result: ` = 3`, ` = 0x7f0000000000` (for `ret`
/// [`Kind::Ptr`]), ` = -1 ENOENT`.
pub fn result(s: &mut String, ret: Kind, r: Result<usize, Errno>) {
    let _ = match r {
        Ok(v) if ret == Kind::Ptr => write!(s, " = {v:#x}"),
        Ok(v) => write!(s, " = {}", v as i64),
        Err(e) => write!(s, " = -1 {}", e.name()),
    };
}

/// Appends `x` as an address.
pub fn ptr(s: &mut String, x: u64) {
    if x == 0 {
        s.push_str("NULL");
    } else {
        let _ = write!(s, "{x:#x}");
    }
}

/// Appends bytes as a C string literal (at most [`STR_MAX`] of them),
/// with `...` after it if there were more or `more` says so.
pub fn quoted(s: &mut String, b: &[u8], more: bool) {
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
    if more || b.len() > STR_MAX {
        s.push_str("...");
    }
}

fn argv(m: &mut impl Memory, s: &mut String, x: u64) {
    if x == 0 {
        s.push_str("NULL");
        return;
    }
    s.push('[');
    for i in 0..=ARGV_MAX as u64 {
        let Some(p) = m.read_u64(x.wrapping_add(i * 8)) else {
            break;
        };
        if p == 0 {
            break;
        }
        if i > 0 {
            s.push_str(", ");
        }
        if i == ARGV_MAX as u64 {
            s.push_str("...");
            break;
        }
        match m.read_cstr(p, 4096) {
            Some(b) => quoted(s, &b, false),
            None => ptr(s, p),
        }
    }
    s.push(']');
}

/// Appends the names of the bits of `x` in `names` joined by `|`; bits
/// without a name follow in hex; 0 is `0`.
pub fn flags(s: &mut String, x: u64, names: &[(u64, &str)]) {
    if x == 0 {
        s.push('0');
        return;
    }
    let mut left = x;
    let mut first = true;
    for &(bit, name) in names {
        if bit != 0 && left & bit == bit {
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

/// Appends the name of value `x`, or the number in hex.
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

/// Appends signal `x` by name (`SIGINT`, `SIGRT_3`), or the number.
pub fn signal(s: &mut String, x: u64) {
    match x {
        1..=31 => {
            s.push_str("SIG");
            s.push_str(SIGNALS[x as usize - 1]);
        }
        32..=64 => {
            let _ = write!(s, "SIGRT_{}", x - 32);
        }
        _ => {
            let _ = write!(s, "{}", x as i32);
        }
    }
}

fn futex_op(s: &mut String, op: u32) {
    named(s, u64::from(op & 127), FUTEX);
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::format;

    /// Memory made of strings and words at chosen addresses.
    #[derive(Default)]
    struct Fake(BTreeMap<u64, u8>);

    impl Fake {
        fn put(&mut self, addr: u64, bytes: &[u8]) {
            for (i, b) in bytes.iter().enumerate() {
                self.0.insert(addr + i as u64, *b);
            }
        }
    }

    impl Memory for Fake {
        fn read(&mut self, addr: u64, len: usize) -> Option<Vec<u8>> {
            (0..len as u64)
                .map(|i| self.0.get(&(addr + i)).copied())
                .collect()
        }
        fn read_cstr(&mut self, addr: u64, max: usize) -> Option<Vec<u8>> {
            let mut v = Vec::new();
            for i in 0..max as u64 {
                match *self.0.get(&(addr + i))? {
                    0 => return Some(v),
                    b => v.push(b),
                }
            }
            None
        }
    }

    fn show(m: &mut Fake, kind: Kind, x: u64, next: u64) -> String {
        let mut s = String::new();
        arg(m, &mut s, kind, x, next);
        s
    }

    #[test]
    fn numbers_and_pointers() {
        let m = &mut Fake::default();
        assert_eq!(show(m, Kind::Int, u64::MAX, 0), "-1");
        assert_eq!(show(m, Kind::Fd, 3, 0), "3");
        assert_eq!(show(m, Kind::Size, 65536, 0), "65536");
        assert_eq!(show(m, Kind::Hex, 0, 0), "0");
        assert_eq!(show(m, Kind::Hex, 0x1002, 0), "0x1002");
        assert_eq!(show(m, Kind::Ptr, 0, 0), "NULL");
        assert_eq!(show(m, Kind::Out, 0x7000, 0), "0x7000");
        assert_eq!(show(m, Kind::DirFd, (-100i64) as u64, 0), "AT_FDCWD");
        assert_eq!(show(m, Kind::Mode, 0o644, 0), "0644");
        assert_eq!(show(m, Kind::Mode, 0, 0), "000");
    }

    #[test]
    fn strings_are_quoted_escaped_and_cut() {
        let m = &mut Fake::default();
        m.put(0x1000, b"/etc/motd\0");
        m.put(0x2000, b"a\"b\\c\n\t\x01\0");
        m.put(0x3000, &[b'x'; 40]);
        assert_eq!(show(m, Kind::Path, 0x1000, 0), "\"/etc/motd\"");
        assert_eq!(show(m, Kind::Str, 0x2000, 0), "\"a\\\"b\\\\c\\n\\t\\1\"");
        assert_eq!(show(m, Kind::Path, 0x9000, 0), "0x9000");
        let cut = show(m, Kind::InBuf, 0x3000, 40);
        assert_eq!(cut, format!("\"{}\"...", "x".repeat(32)));
        assert_eq!(show(m, Kind::InBuf, 0x3000, 3), "\"xxx\"");
    }

    #[test]
    fn output_buffers_show_what_the_call_answered() {
        let m = &mut Fake::default();
        m.put(0x1000, b"Welcome");
        let mut s = String::new();
        out_arg(m, &mut s, Kind::OutBuf, 0x1000, Ok(7));
        assert_eq!(s, "\"Welcome\"");
        s.clear();
        out_arg(m, &mut s, Kind::OutBuf, 0x1000, Err(Errno::EAGAIN));
        assert_eq!(s, "0x1000");
    }

    #[test]
    fn flags_and_names() {
        let m = &mut Fake::default();
        assert_eq!(show(m, Kind::OpenFlags, 0, 0), "O_RDONLY");
        assert_eq!(
            show(m, Kind::OpenFlags, 0o2000000 | 0o100 | 1, 0),
            "O_WRONLY|O_CREAT|O_CLOEXEC"
        );
        assert_eq!(show(m, Kind::FdFlags, 0, 0), "0");
        assert_eq!(show(m, Kind::FdFlags, 0o2000000, 0), "O_CLOEXEC");
        assert_eq!(show(m, Kind::Prot, 0, 0), "PROT_NONE");
        assert_eq!(show(m, Kind::Prot, 3, 0), "PROT_READ|PROT_WRITE");
        assert_eq!(
            show(m, Kind::MapFlags, 0x22, 0),
            "MAP_PRIVATE|MAP_ANONYMOUS"
        );
        assert_eq!(
            show(m, Kind::MapFlags, 0x8000_0002, 0),
            "MAP_PRIVATE|0x80000000"
        );
        assert_eq!(show(m, Kind::Signal, 9, 0), "SIGKILL");
        assert_eq!(show(m, Kind::Signal, 34, 0), "SIGRT_2");
        assert_eq!(show(m, Kind::Signal, 0, 0), "0");
        assert_eq!(show(m, Kind::Clock, 1, 0), "CLOCK_MONOTONIC");
        assert_eq!(show(m, Kind::Whence, 2, 0), "SEEK_END");
        assert_eq!(show(m, Kind::Fcntl, 1030, 0), "F_DUPFD_CLOEXEC");
        assert_eq!(show(m, Kind::Ioctl, 0x5401, 0), "TCGETS");
        assert_eq!(show(m, Kind::Ioctl, 0x1234, 0), "0x1234");
        assert_eq!(show(m, Kind::Futex, 128, 0), "FUTEX_WAIT_PRIVATE");
        assert_eq!(show(m, Kind::CloneFlags, 17, 0), "SIGCHLD");
        assert_eq!(
            show(m, Kind::CloneFlags, 0x100 | 0x10000 | 17, 0),
            "CLONE_VM|CLONE_THREAD|SIGCHLD"
        );
        assert_eq!(show(m, Kind::AtFlags, 0x100, 0), "AT_SYMLINK_NOFOLLOW");
    }

    #[test]
    fn structures_and_arrays() {
        let m = &mut Fake::default();
        m.put(0x1000, &1u64.to_le_bytes());
        m.put(0x1008, &500u64.to_le_bytes());
        assert_eq!(
            show(m, Kind::Timespec, 0x1000, 0),
            "{tv_sec=1, tv_nsec=500}"
        );
        assert_eq!(show(m, Kind::Timespec, 0, 0), "NULL");
        m.put(0x2000, b"cat\0/etc/motd\0");
        m.put(0x3000, &0x2000u64.to_le_bytes());
        m.put(0x3008, &0x2004u64.to_le_bytes());
        m.put(0x3010, &0u64.to_le_bytes());
        assert_eq!(show(m, Kind::Argv, 0x3000, 0), "[\"cat\", \"/etc/motd\"]");
        assert_eq!(show(m, Kind::Envp, 0x3000, 0), "0x3000 /* 2 vars */");
    }

    #[test]
    fn the_mode_shows_only_when_a_file_is_made() {
        let kinds = [Kind::DirFd, Kind::Path, Kind::OpenFlags, Kind::Mode];
        assert!(!shown(&kinds, &[0, 0, 0, 0o644], 3));
        assert!(shown(&kinds, &[0, 0, 0o100, 0o644], 3));
        assert!(shown(&[Kind::Path, Kind::Mode], &[0, 0o755], 1));
    }

    #[test]
    fn results() {
        let mut s = String::new();
        result(&mut s, Kind::Int, Ok(3));
        result(&mut s, Kind::Ptr, Ok(0x7f00));
        result(&mut s, Kind::Int, Err(Errno::ENOENT));
        assert_eq!(s, " = 3 = 0x7f00 = -1 ENOENT");
    }

    /// The bits a flags text names (names looked up, the hex rest parsed).
    fn bits_of(text: &str, names: &[(u64, &str)]) -> u64 {
        if text == "0" {
            return 0;
        }
        text.split('|')
            .map(|part| match part.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
                None => names.iter().find(|(_, n)| *n == part).unwrap().0,
            })
            .fold(0, |a, b| {
                assert_eq!(a & b, 0, "a bit shown twice in {text}");
                a | b
            })
    }

    proptest! {
        #[test]
        fn flags_show_every_bit_once(x in any::<u64>()) {
            for names in [O_FLAGS, AT_FLAGS, PROT, MAP, CLONE] {
                let mut s = String::new();
                flags(&mut s, x, names);
                prop_assert_eq!(bits_of(&s, names), x);
            }
        }

        #[test]
        fn quoted_strings_stay_short_and_closed(b in proptest::collection::vec(any::<u8>(), 0..100)) {
            let mut s = String::new();
            quoted(&mut s, &b, false);
            prop_assert!(s.starts_with('"'));
            prop_assert_eq!(s.ends_with("..."), b.len() > STR_MAX);
            prop_assert!(s.is_ascii());
            // At most four characters per byte shown, plus the quotes.
            prop_assert!(s.len() <= STR_MAX * 4 + 5);
        }
    }
}
