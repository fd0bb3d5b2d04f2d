//! The protocol between each process's library OS and the system server
//! (`sysd`, run by the root task): what the words of an IPC message mean,
//! and the layout of the mailbox pages the two share.
//!
//! A process reaches the server through the endpoint in its slot
//! [`slots::SERVER`], badged with its pid. A request is six words
//! `[op, a1, a2, a3, a4, a5]` ([`Op`]); the reply is
//! `[result, r1, r2, r3, r4, r5]`, where `result` is a Linux-style value:
//! non-negative for success, `-errno` for failure. Bulk data (paths, file
//! contents, directory entries, `stat` buffers) travels through the
//! mailbox's data area, which both sides map.
//!
//! The server never blocks on a client's behalf: an operation that would
//! have to wait answers [`WOULD_BLOCK`] and remembers the pid; when the
//! state changes it signals the process's notification ([`slots::WAKE`]),
//! and the library OS asks again.

#![no_std]
#![forbid(unsafe_code)]

/// Slots the server fills in every process's capability space.
pub mod slots {
    /// The server's endpoint, badged with the process's pid.
    pub const SERVER: u32 = 3;
    /// A memory capability to allocate frames from (its quota is the
    /// process's).
    pub const MEMORY: u32 = 4;
    /// The process's wake-up notification (READ): the server signals it
    /// when something the process may be waiting for changed.
    pub const WAKE: u32 = 5;
    /// The first of [`super::MAILBOX_PAGES`] mailbox frames (6 to 10).
    pub const MAILBOX: u32 = 6;
    /// The console UART's ports (COM1): the library OS writes the console
    /// itself (the server keeps reading it).
    pub const CONSOLE: u32 = 11;
    /// During a fork: the child's address space (MAP).
    pub const CHILD_ASPACE: u32 = 16;
    /// During a fork: the child's capability space (WRITE).
    pub const CHILD_CSPACE: u32 = 17;
    /// A slot the library OS keeps free for short-lived frames.
    pub const SCRATCH: u32 = 18;
    /// The first slot of the library OS's image pages (data and bss),
    /// one per page in address order, filled by the server for `init`.
    pub const FIRST_IMAGE: u32 = 32;
    /// The first slot the library OS allocates itself.
    pub const FIRST_DYNAMIC: u32 = 1024;
    /// Slots in a process's capability space (one per page it holds, so
    /// a process may use up to 4 GiB).
    pub const COUNT: u32 = 1 << 20;
}

/// Virtual addresses every process shares.
pub mod layout {
    /// The library OS image (linked here).
    pub const LIBOS_BASE: u64 = 0x7e00_0000_0000;
    /// The library OS heap (grown by mapping, never by faults).
    pub const LIBOS_HEAP: u64 = 0x7e40_0000_0000;
    /// Most heap the library OS may grow to.
    pub const LIBOS_HEAP_MAX: u64 = 256 << 20;
    /// A page-sized window the library OS maps frames at to fill them.
    pub const LIBOS_WINDOW: u64 = 0x7e7f_0000_0000;
    /// The mailbox: [`super::MAILBOX_PAGES`] pages shared with the server.
    pub const MAILBOX: u64 = 0x7e80_0000_0000;
    /// Where static-PIE programs are loaded.
    pub const PIE_BASE: u64 = 0x5555_5555_4000;
    /// The top of the main thread's stack.
    pub const STACK_TOP: u64 = 0x7ffe_0000_0000;
    /// How far the main stack may grow.
    pub const STACK_MAX: u64 = 8 << 20;
    /// `mmap` hands out addresses below this, downwards.
    pub const MMAP_TOP: u64 = 0x7d00_0000_0000;
}

// The regions of `layout` do not overlap, and the stack ends below the
// kernel's info page (at 0x7fff_ffff_e000).
const _: () = {
    use layout::*;
    assert!(LIBOS_HEAP + LIBOS_HEAP_MAX <= LIBOS_WINDOW);
    assert!(LIBOS_WINDOW + 4096 <= MAILBOX);
    assert!(MMAP_TOP <= LIBOS_BASE);
    assert!(MAILBOX + MAILBOX_PAGES * 4096 <= STACK_TOP - STACK_MAX);
    assert!(STACK_TOP < 0x7fff_ffff_e000);
};

/// Pages in the mailbox: one control page and the data pages.
pub const MAILBOX_PAGES: u64 = 5;
/// Bytes of the mailbox's data area (the pages after the control page).
pub const DATA_BYTES: usize = 4 * 4096;
/// Offset of the data area from [`layout::MAILBOX`].
pub const DATA_OFFSET: u64 = 4096;

/// Words of the mailbox's control page (index × 8 = byte offset). The
/// server writes them; the library OS reads them without a system call.
pub mod control {
    /// Signals sent to the process and not yet taken (bit `n - 1` for
    /// signal `n`). The library OS takes them with an atomic swap.
    pub const PENDING_SIGNALS: usize = 0;
    /// The process's pid.
    pub const PID: usize = 1;
    /// Its parent's pid (changes when it is re-parented to init).
    pub const PPID: usize = 2;
    /// Wall-clock time at boot, nanoseconds since the Unix epoch.
    pub const BOOT_EPOCH_NS: usize = 3;
    /// At start: the number of argument strings in the data area.
    pub const ARGC: usize = 4;
    /// At start: the number of environment strings after them.
    pub const ENVC: usize = 5;
    /// At start: pages of library OS data the server mapped at
    /// [`super::slots::FIRST_IMAGE`] onwards.
    pub const IMAGE_PAGES: usize = 6;
    /// At start: the first page of those.
    pub const IMAGE_START: usize = 7;
    /// The console's output flags (`termios.c_oflag`), kept by the server.
    pub const CONSOLE_OFLAG: usize = 8;
    /// Written by the library OS itself: the address of its
    /// `extern "C" fn() -> i64` returning the pid, for programs that call
    /// the library OS directly instead of making the system call.
    pub const LINKED_GETPID: usize = 100;
    /// Likewise `extern "C" fn(clock: i64, ts: *mut [i64; 2]) -> i64`
    /// (`clock_gettime`: 0 or `-EINVAL`).
    pub const LINKED_CLOCK_GETTIME: usize = 101;
    /// The sender of the last instance of signal `n` is in word
    /// `SENDERS + n - 1` (written before the pending bit is set).
    pub const SENDERS: usize = 16;
    /// How the last instance of signal `n` came about, in word
    /// `SIGINFO + n - 1` (written before the pending bit is set): the low
    /// 32 bits are its `si_code` (`SI_USER` 0, `SI_KERNEL` 0x80, for
    /// SIGCHLD `CLD_EXITED` 1 .. `CLD_CONTINUED` 6), the high 32 bits its
    /// `si_status` (SIGCHLD: the exit code or the signal).
    pub const SIGINFO: usize = 128;
    /// The console as this process's terminal (kept by the server):
    /// [`TTY_BACKGROUND`] and [`TTY_TOSTOP`].
    pub const TTY_JOB: usize = 9;
    /// Bit of [`TTY_JOB`]: the console is the process's controlling
    /// terminal and its process group is not the foreground one.
    pub const TTY_BACKGROUND: u64 = 1;
    /// Bit of [`TTY_JOB`]: `TOSTOP` is set (background writes stop).
    pub const TTY_TOSTOP: u64 = 2;
    /// Written by the library OS itself: how its children's ends and
    /// stops are to be reported ([`CHLD_NOCLDSTOP`], [`CHLD_NOCLDWAIT`],
    /// [`CHLD_IGNORED`]), from its SIGCHLD disposition.
    pub const CHLD_FLAGS: usize = 102;
    /// Bit of [`CHLD_FLAGS`]: `SA_NOCLDSTOP` (no SIGCHLD for stops and
    /// continues).
    pub const CHLD_NOCLDSTOP: u64 = 1;
    /// Bit of [`CHLD_FLAGS`]: children are reaped when they end, never
    /// zombies (`SA_NOCLDWAIT`, or SIGCHLD set to `SIG_IGN`).
    pub const CHLD_NOCLDWAIT: u64 = 2;
    /// Bit of [`CHLD_FLAGS`]: SIGCHLD is `SIG_IGN` (none is sent).
    pub const CHLD_IGNORED: u64 = 4;
}

/// `si_code` values the server writes in [`control::SIGINFO`].
pub mod si {
    /// Sent by `kill`.
    pub const USER: u32 = 0;
    /// Sent by the system (the terminal, orphaned process groups).
    pub const KERNEL: u32 = 0x80;
    /// SIGCHLD: the child exited.
    pub const CLD_EXITED: u32 = 1;
    /// SIGCHLD: the child was killed by a signal.
    pub const CLD_KILLED: u32 = 2;
    /// SIGCHLD: the child was killed by a signal and dumped core.
    pub const CLD_DUMPED: u32 = 3;
    /// SIGCHLD: the child stopped.
    pub const CLD_STOPPED: u32 = 5;
    /// SIGCHLD: the child continued.
    pub const CLD_CONTINUED: u32 = 6;
}

/// The answer of an operation that cannot complete yet.
pub const WOULD_BLOCK: i64 = -11;
/// The answer of a terminal operation by a background process: the
/// server sent SIGTTIN or SIGTTOU to its process group; once that signal
/// is dealt with (the group stopped and continued, or a handler ran) the
/// call is made again, or fails with `EINTR` after a handler without
/// `SA_RESTART` (Linux's `ERESTARTSYS`).
pub const JOB_SIGNALLED: i64 = -512;

macro_rules! ops {
    ($($(#[$doc:meta])* $name:ident = $n:expr,)*) => {
        /// Server operations (word 0 of a request).
        #[repr(u64)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Op { $($(#[$doc])* $name = $n,)* }
        impl Op {
            /// The operation with number `n`.
            pub fn from_word(n: u64) -> Option<Op> {
                match n { $($n => Some(Op::$name),)* _ => None }
            }
        }
    };
}

ops! {
    /// `a1` = path length (path in data), `a2` = open flags, `a3` = the
    /// handle of the directory relative paths start from (or `NO_HANDLE`
    /// for the current directory). Result: a handle. `r1` = its kind
    /// ([`kind`]).
    Open = 1,
    /// `a1` = handle, `a2` = bytes wanted (≤ [`DATA_BYTES`]), `a3` = offset
    /// or `u64::MAX` for the handle's own position, `a4` = 1 for
    /// non-blocking, `a5` = 1 if the caller ignores or blocks SIGTTIN (a
    /// background read of the terminal then fails with `EIO`). Result:
    /// bytes placed in data (0 = end of file), or [`JOB_SIGNALLED`].
    Read = 2,
    /// `a1` = handle, `a2` = bytes in data. Result: bytes taken.
    Write = 3,
    /// `a1` = handle. Drops the process's reference.
    Close = 4,
    /// `a1` = handle. `stat` into data as [`Stat`] words.
    Fstat = 5,
    /// `a1` = path length (path in data), `a2` = 1 to not follow a final
    /// symlink. `stat` into data.
    Stat = 6,
    /// `a1` = handle of a directory. Linux `dirent64` records into data,
    /// continuing from the handle's position. Result: bytes (0 at end).
    Getdents = 7,
    /// `a1` = handle, `a2` = offset, `a3` = whence. Result: new position.
    Seek = 8,
    /// A pipe. Result: the read handle; `r1` = the write handle.
    Pipe = 9,
    /// `a1` = handle: one more reference for this process (dup).
    Dup = 10,
    /// `a1` = path length (path in data). Result: bytes of the link target
    /// placed in data.
    Readlink = 11,
    /// `a1` = path length (path in data), `a2` = mode bits wanted.
    Access = 12,
    /// `a1` = path length (path in data): change directory.
    Chdir = 13,
    /// The current directory into data. Result: its length.
    Getcwd = 14,
    /// Make a child process for a fork. Result: its pid. The server puts
    /// the child's address space and capability space in
    /// [`slots::CHILD_ASPACE`] and [`slots::CHILD_CSPACE`] and copies the
    /// caller's handles, directory and signal disposition to it.
    Fork = 15,
    /// `a1` = child pid, `a2` = rip, `a3` = rsp, `a4` = rdi: start it.
    ForkStart = 16,
    /// `a1` = path length (path in data): the program now runs this image
    /// (for `/proc/self/exe`). Handles marked close-on-exec were closed
    /// by the library OS before.
    Exec = 17,
    /// `a1` = wait status: the process is about to end.
    Exit = 18,
    /// `a1` = pid selector (as `wait4`), `a2` = options. Result: pid (0 with
    /// `WNOHANG` and nothing ready), `r1` = wait status.
    Wait = 19,
    /// `a1` = pid selector (as `kill`), `a2` = signal (0: probe).
    Kill = 20,
    /// `a1` = pid (0: self), `a2` = pgid (0: same as pid).
    Setpgid = 21,
    /// `a1` = pid (0: self). Result: its process group.
    Getpgid = 22,
    /// New session. Result: the session id.
    Setsid = 23,
    /// `a1` = pid (0: self). Result: its session.
    Getsid = 24,
    /// `a1` = handle, `a2` = ioctl request, `a3` = argument word, `a4` = 1
    /// if the caller ignores or blocks SIGTTOU. Terminal requests on the
    /// console; `termios` travels in data. Result as `ioctl`, or
    /// [`JOB_SIGNALLED`] for a background process changing the terminal.
    Ioctl = 25,
    /// `a1` = handle. Result: readiness bits ([`ready`]) now; `a2` = 1
    /// registers the caller to be woken when that changes.
    Poll = 26,
    /// The stdio handles of the first process (console).
    Console = 27,
    /// `a1` = stopped (1) or continued (0), `a2` = the stop signal: for
    /// the parent's `wait` and SIGCHLD. A stop by SIGTSTP, SIGTTIN or
    /// SIGTTOU in an orphaned process group is refused (`EIO`): the
    /// signal is then discarded, as Linux does.
    Stopped = 28,
    /// `a1` = frames: raise the process's memory quota by that much (the
    /// library OS asks when the kernel says `QuotaExceeded`). Result: the
    /// frames granted. With no memory left the server's out-of-memory
    /// policy kills the process holding the most (maybe the asker) first.
    /// `a2` = 1: the kernel had no frame although the quota allowed one;
    /// the policy runs at once (result 0: try again).
    Quota = 29,
    /// The machine's memory for programs: `r1` = total frames, `r2` =
    /// free frames (for `sysinfo`).
    Meminfo = 30,
    /// `a1` = 1 if the caller ignores or blocks SIGTTOU: a write to the
    /// console by a background process while `TOSTOP` is set (the library
    /// OS asks only then, [`control::TTY_JOB`]). Result 0 (write),
    /// `-EIO` (an orphaned process group) or [`JOB_SIGNALLED`].
    TtyWrite = 31,
}

/// A handle number that names nothing.
pub const NO_HANDLE: u64 = u64::MAX;

/// Handle kinds (`r1` of [`Op::Open`]).
pub mod kind {
    /// A regular file.
    pub const FILE: u64 = 1;
    /// A directory.
    pub const DIR: u64 = 2;
    /// The read end of a pipe.
    pub const PIPE_READ: u64 = 3;
    /// The write end of a pipe.
    pub const PIPE_WRITE: u64 = 4;
    /// The console terminal.
    pub const CONSOLE: u64 = 5;
    /// A character device that reads as zeros or end of file (`/dev/null`,
    /// `/dev/zero`).
    pub const NULL: u64 = 6;
    /// `/dev/zero`.
    pub const ZERO: u64 = 7;
}

/// Readiness bits of [`Op::Poll`] (Linux `POLLIN`, `POLLOUT`, `POLLERR`,
/// `POLLHUP`).
pub mod ready {
    /// Data (or end of file) can be read.
    pub const IN: u64 = 0x1;
    /// Bytes can be written.
    pub const OUT: u64 = 0x4;
    /// The other end is gone (writes fail).
    pub const ERR: u64 = 0x8;
    /// The writers are gone (reads see end of file).
    pub const HUP: u64 = 0x10;
}

/// What [`Op::Stat`] and [`Op::Fstat`] put in the data area, as words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u64,
    pub nlink: u64,
    pub size: u64,
    pub rdev: u64,
    pub mtime_ns: u64,
}

impl Stat {
    /// Words in the data area.
    pub const WORDS: usize = 7;

    /// The words, in declaration order.
    pub fn to_words(&self) -> [u64; Self::WORDS] {
        [
            self.dev,
            self.ino,
            self.mode,
            self.nlink,
            self.size,
            self.rdev,
            self.mtime_ns,
        ]
    }

    /// From words in declaration order.
    pub fn from_words(w: [u64; Self::WORDS]) -> Stat {
        Stat {
            dev: w[0],
            ino: w[1],
            mode: w[2],
            nlink: w[3],
            size: w[4],
            rdev: w[5],
            mtime_ns: w[6],
        }
    }
}

/// Linux wait-status words (defined with the other Linux layouts).
pub use linux_frame::status;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip() {
        for n in 0..64 {
            if let Some(op) = Op::from_word(n) {
                assert_eq!(op as u64, n);
            }
        }
        assert_eq!(Op::from_word(0), None);
        assert_eq!(Op::from_word(2), Some(Op::Read));
    }

    #[test]
    fn stat_words_round_trip() {
        let s = Stat {
            dev: 1,
            ino: 2,
            mode: 0o100644,
            nlink: 1,
            size: 99,
            rdev: 0,
            mtime_ns: 5,
        };
        assert_eq!(Stat::from_words(s.to_words()), s);
    }

    #[test]
    fn statuses_match_linux() {
        assert_eq!(status::exited(3), 0x300);
        assert_eq!(status::signaled(9, false), 9);
        assert_eq!(status::signaled(11, true), 0x8b);
        assert_eq!(status::stopped(19), 0x137f);
        assert_eq!(status::shell_code(status::exited(3)), 3);
        assert_eq!(status::shell_code(status::signaled(9, false)), 137);
    }
}
