//! The protocol between each process's library OS and the system server
//! (`sysd`, run by the root task): the server's interface ([`sys`]),
//! declared once with [`interface!`] so that both ends encode and decode
//! it from the same declaration ([`wire`]), and the layout of the mailbox
//! pages the two share.
//!
//! A process reaches the server through the endpoint in its slot
//! [`slots::SERVER`], badged with its pid. A request is a struct (one per
//! operation, [`sys::Read`]), its reply another ([`sys::ReadReply`]);
//! a failure is a Linux [`Errno`]. Bulk data (paths, file contents,
//! directory records, [`Stat`]) travels through the mailbox's data area,
//! which both sides map, typed by the operation's declaration.
//!
//! The server never blocks on a client's behalf. A request the client
//! tags ([`wire`]) that would have to wait (a read of an empty pipe or of
//! the console, a `wait4` with no child ready) is answered later: the
//! server keeps it and, once it can complete, writes a completion record
//! ([`completion`]) to the client's mailbox and signals the process's
//! notification ([`slots::WAKE`]); the waiting task takes it. Several
//! tasks of a process may wait so at once, one request each. An untagged
//! operation that would wait fails with [`Errno::EAGAIN`], the server
//! remembers the pid and signals it when the state changes, and the
//! library OS asks again.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod sys;
pub mod wire;

pub use linux_errno::Errno;
pub use zerocopy;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

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
    /// The first of [`super::COMPLETION_PAGES`] frames of the completion
    /// area (12 to 15).
    pub const COMPLETION: u32 = 12;
    /// During a fork: the child's address space (MAP).
    pub const CHILD_ASPACE: u32 = 16;
    /// During a fork: the child's capability space (WRITE).
    pub const CHILD_CSPACE: u32 = 17;
    /// A slot the library OS keeps free for short-lived frames.
    pub const SCRATCH: u32 = 18;
    /// The first slot of the library OS's image pages (data and bss),
    /// one per page in address order, filled by the server for `init`.
    pub const FIRST_IMAGE: u32 = 32;
    /// The first of [`super::READ_WINDOW_PAGES`] slots of the read window
    /// (`layout::READ_WINDOW`): capabilities to file pages the server
    /// derives and maps there for `sys::ReadMap`, and replaces itself.
    pub const READ_WINDOW: u32 = FIRST_DYNAMIC - super::READ_WINDOW_PAGES as u32;
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
    /// The read window: [`super::READ_WINDOW_PAGES`] pages where the
    /// server maps file pages, read-only, for the library OS to copy from
    /// (`sys::ReadMap`); page `i` of a file goes to window page
    /// `i % READ_WINDOW_PAGES`.
    pub const READ_WINDOW: u64 = 0x7e7e_0000_0000;
    /// A page-sized window the library OS maps frames at to fill them.
    pub const LIBOS_WINDOW: u64 = 0x7e7f_0000_0000;
    /// The mailbox: [`super::MAILBOX_PAGES`] pages shared with the server.
    pub const MAILBOX: u64 = 0x7e80_0000_0000;
    /// The completion area, right after the mailbox:
    /// [`super::COMPLETION_PAGES`] pages where the server leaves the bytes
    /// of a request it answers later.
    pub const COMPLETION: u64 = MAILBOX + super::MAILBOX_PAGES * 4096;
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
    assert!(LIBOS_HEAP + LIBOS_HEAP_MAX <= READ_WINDOW);
    assert!(READ_WINDOW + crate::READ_WINDOW_PAGES * 4096 <= LIBOS_WINDOW);
    assert!(crate::slots::READ_WINDOW > crate::slots::FIRST_IMAGE + 256);
    assert!(LIBOS_WINDOW + 4096 <= MAILBOX);
    assert!(MMAP_TOP <= LIBOS_BASE);
    assert!(COMPLETION + COMPLETION_PAGES * 4096 <= STACK_TOP - STACK_MAX);
    assert!(STACK_TOP < 0x7fff_ffff_e000);
};

/// Pages of the read window (`layout::READ_WINDOW`, `slots::READ_WINDOW`).
pub const READ_WINDOW_PAGES: u64 = 256;

/// Pages in the mailbox: one control page and the data pages.
pub const MAILBOX_PAGES: u64 = 5;
/// Bytes of the mailbox's data area (the pages after the control page).
pub const DATA_BYTES: usize = 4 * 4096;
/// Offset of the data area from [`layout::MAILBOX`].
pub const DATA_OFFSET: u64 = 4096;
/// Pages of the completion area (as large as the data area).
pub const COMPLETION_PAGES: u64 = 4;

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
    /// The process's ids, as the server keeps them: real and effective
    /// user id (low and high half), then saved and file-system user id,
    /// then the same for the group ids.
    pub const UIDS: usize = 10;
    pub const SUIDS: usize = 11;
    pub const GIDS: usize = 12;
    pub const SGIDS: usize = 13;
    /// Nonzero while the process holds POSIX record locks (kept by the
    /// server): the library OS then tells the server of every descriptor
    /// it closes ([`crate::sys::LockClose`]).
    pub const POSIX_LOCKS: usize = 15;
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

/// The completion records of requests answered later: [`completion::RECORDS`]
/// of them in the mailbox's control page from word [`completion::FIRST_WORD`],
/// their bytes in the completion area ([`layout::COMPLETION`]).
///
/// A record is free while its `tag` is 0. To answer a deferred request the
/// server takes a free record and free bytes of the area (none overlapping
/// the bytes of a record not yet taken), writes the bytes, then the
/// record's other fields, then its tag, and signals the process. The task
/// that sent the tag reads the record and its bytes and sets the tag back to
/// 0. With no free record (or, for a request with bytes, no free byte of the
/// area) the request keeps waiting at the server until one is taken: the
/// server then sets control word [`completion::FULL`], and the library OS,
/// when it frees a record while that word is set, clears it and sends a
/// request (any: the server looks at its deferred requests after each), so
/// the waiting one is answered.
pub mod completion {
    use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

    /// Records in the control page: more than a process may have tasks
    /// with answers not yet taken at one time in practice (a fuller table
    /// only delays answers, it loses none).
    pub const RECORDS: usize = 16;
    /// The control word of the first record.
    pub const FIRST_WORD: usize = 256;
    /// Words of one record.
    pub const WORDS: usize = core::mem::size_of::<Record>() / 8;
    /// The control word the server sets when a completion had to wait
    /// for a free record or free bytes.
    pub const FULL: usize = FIRST_WORD - 1;
    /// Word of the `tag` field within a record.
    pub const TAG: usize = 0;
    /// Word of the `at` field within a record.
    pub const AT: usize = 6;
    /// Word of the `len` field within a record.
    pub const LEN: usize = 7;

    /// One completion.
    #[repr(C)]
    #[derive(
        Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
    )]
    pub struct Record {
        /// The request's tag (0: the record is free).
        pub tag: u64,
        /// 0, or the error number the request failed with.
        pub result: u64,
        /// The reply's words (as [`crate::wire::Reply::to_words`]).
        pub words: [u64; 4],
        /// Offset of its bytes in the completion area.
        pub at: u64,
        /// How many bytes.
        pub len: u64,
    }

    /// The record the server tries first for `tag` (then the next ones,
    /// round): the one where the task looks first.
    pub const fn first_for(tag: u32) -> usize {
        tag as usize % RECORDS
    }

    /// The control word where record `i` starts.
    pub const fn word(i: usize) -> usize {
        FIRST_WORD + i * WORDS
    }

    /// The largest run of free bytes in an area of `size` bytes given
    /// the `(at, len)` of the records in use: its start and length.
    pub fn free_run(used: &mut [(u64, u64)], size: u64) -> (u64, u64) {
        used.sort_unstable();
        let (mut best, mut pos) = ((0, 0), 0u64);
        for &(at, len) in used.iter() {
            if at > pos && at - pos > best.1 {
                best = (pos, at - pos);
            }
            pos = pos.max(at.saturating_add(len));
        }
        if size > pos && size - pos > best.1 {
            best = (pos, size - pos);
        }
        best
    }

    const _: () = assert!(FULL >= super::control::SIGINFO + 64 && word(RECORDS) <= 512);
    const _: () = assert!(core::mem::offset_of!(Record, at) == AT * 8);
    const _: () = assert!(core::mem::offset_of!(Record, len) == LEN * 8);
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

/// A handle number that names nothing.
pub const NO_HANDLE: u64 = u64::MAX;

/// Handle kinds ([`sys::OpenReply`]).
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
    /// `/dev/full`: reads as zeros, writes fail with `ENOSPC`.
    pub const FULL: u64 = 8;
    /// `/dev/random` and `/dev/urandom`.
    pub const RANDOM: u64 = 9;
    /// An `O_PATH` descriptor: names a file, neither reads nor writes.
    pub const PATH: u64 = 10;
    /// A FIFO's read end (a named pipe; otherwise as [`PIPE_READ`]).
    pub const FIFO_READ: u64 = 11;
    /// A FIFO's write end.
    pub const FIFO_WRITE: u64 = 12;
    /// A symbolic link opened with `O_PATH | O_NOFOLLOW`.
    pub const LINK: u64 = 13;
    /// `/dev/kmsg`: the kernel's log.
    pub const KMSG: u64 = 14;
}

/// A [`sys::Open`] flag no program passes (Linux's internal
/// `__FMODE_EXEC` bit): open for running it, which needs execute
/// permission on a regular file (`EACCES`).
pub const OPEN_EXEC: u64 = 0o40;

/// The operations of [`sys::SetIds`].
pub mod ids {
    pub const SETUID: u64 = 1;
    pub const SETGID: u64 = 2;
    pub const SETREUID: u64 = 3;
    pub const SETREGID: u64 = 4;
    pub const SETRESUID: u64 = 5;
    pub const SETRESGID: u64 = 6;
    pub const SETFSUID: u64 = 7;
    pub const SETFSGID: u64 = 8;
}

/// Flags of the path operations, Linux's `AT_*` values.
pub mod at {
    /// Do not follow a final symbolic link.
    pub const SYMLINK_NOFOLLOW: u64 = 0x100;
    /// `unlinkat`: remove a directory.
    pub const REMOVEDIR: u64 = 0x200;
    /// `faccessat`: check with the effective ids.
    pub const EACCESS: u64 = 0x200;
    /// `linkat`: follow a final symbolic link.
    pub const SYMLINK_FOLLOW: u64 = 0x400;
    /// An empty path names the handle `dir` itself.
    pub const EMPTY_PATH: u64 = 0x1000;
    /// [`crate::sys::Utimens`]: no times given (both now).
    pub const TIMES_NOW: u64 = 1 << 40;
}

/// Readiness bits of [`sys::Poll`] (Linux `POLLIN`, `POLLOUT`, `POLLERR`,
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

/// What [`sys::Stat`] and [`sys::Fstat`] bring back in the data area.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u64,
    pub nlink: u64,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub rdev: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    pub atime_sec: i64,
    pub atime_nsec: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: u64,
    pub ctime_sec: i64,
    pub ctime_nsec: u64,
    /// Birth time (`statx`), when `has_btime` is 1.
    pub btime_sec: i64,
    pub btime_nsec: u64,
    pub has_btime: u64,
}

/// Linux's x86_64 `struct flock`, as [`sys::Lock`] carries it both ways
/// (the padding is sent as zeros and ignored).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct Flock {
    /// `F_RDLCK` 0, `F_WRLCK` 1, `F_UNLCK` 2.
    pub l_type: i16,
    /// `SEEK_SET`, `SEEK_CUR`, `SEEK_END`.
    pub l_whence: i16,
    pub pad0: u32,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
    pub pad1: u32,
}

/// What [`sys::Statfs`] brings back (Linux `struct statfs`'s figures).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct Statfs {
    /// `f_type` (`TMPFS_MAGIC`, `PROC_SUPER_MAGIC`, ...).
    pub kind: u64,
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u64,
    /// Mount flags (`ST_RDONLY`, `ST_NOSUID`, ...).
    pub flags: u64,
    /// The file system's number (`f_fsid`).
    pub fsid: u64,
}

/// The times of [`sys::Utimens`], before the path in the data area: access
/// then modification, each seconds and nanoseconds (`UTIME_NOW`,
/// `UTIME_OMIT` as Linux).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct Times {
    pub atime_sec: i64,
    pub atime_nsec: i64,
    pub mtime_sec: i64,
    pub mtime_nsec: i64,
}

/// The offsets of a [`sys::Copy`] (`u64::MAX`: the handle's position,
/// which the copy then moves) and the caller's `RLIMIT_FSIZE`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct CopyArgs {
    pub from_off: u64,
    pub to_off: u64,
    pub fsize: u64,
}

/// [`sys::Copy`] flags.
pub mod copy {
    /// `tee`: the source pipe keeps its bytes (the destination must be a
    /// pipe).
    pub const TEE: u64 = 1;
    /// `copy_file_range`'s rule: overlapping ranges of one file are
    /// `EINVAL`.
    pub const NO_OVERLAP: u64 = 2;
}

/// Linux `dirent64` records, as [`sys::Getdents`] brings them back.
pub mod dirent {
    use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

    /// The fixed part of a record (the name and its NUL follow, padded to
    /// eight bytes).
    #[repr(C, packed)]
    #[derive(
        Clone, Copy, Debug, Default, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned,
    )]
    pub struct Header {
        pub ino: u64,
        /// The position after this record.
        pub off: u64,
        /// The record's length.
        pub reclen: u16,
        /// `DT_*`.
        pub kind: u8,
    }

    /// The length of the record for a name of `name_len` bytes.
    pub fn reclen(name_len: usize) -> usize {
        (core::mem::size_of::<Header>() + name_len + 1).div_ceil(8) * 8
    }

    /// Writes the record of `name` at the start of `out` if it fits; its
    /// length.
    pub fn put(out: &mut [u8], ino: u64, off: u64, kind: u8, name: &[u8]) -> Option<usize> {
        let len = reclen(name.len());
        let rec = out.get_mut(..len)?;
        rec.fill(0);
        let h = Header {
            ino,
            off,
            reclen: len as u16,
            kind,
        };
        let hl = core::mem::size_of::<Header>();
        rec[..hl].copy_from_slice(h.as_bytes());
        rec[hl..hl + name.len()].copy_from_slice(name);
        Some(len)
    }

    /// The records in `bytes`: each header and name (shorter or broken
    /// records end the walk).
    pub fn records(mut bytes: &[u8]) -> impl Iterator<Item = (Header, &[u8])> {
        core::iter::from_fn(move || {
            let (h, _) = Header::read_from_prefix(bytes).ok()?;
            let len = usize::from(h.reclen);
            let hl = core::mem::size_of::<Header>();
            if len <= hl || len > bytes.len() {
                return None;
            }
            let name = &bytes[hl..len];
            let name = &name[..name.iter().position(|b| *b == 0).unwrap_or(name.len())];
            bytes = &bytes[len..];
            Some((h, name))
        })
    }
}

/// Linux wait-status words (defined with the other Linux layouts).
pub use linux_frame::status;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_runs() {
        use completion::free_run;
        assert_eq!(free_run(&mut [], 100), (0, 100));
        assert_eq!(free_run(&mut [(0, 100)], 100).1, 0);
        assert_eq!(free_run(&mut [(40, 10), (0, 20)], 100), (50, 50));
        assert_eq!(free_run(&mut [(10, 70), (90, 10)], 100), (0, 10));
        assert_eq!(completion::WORDS, 8);
    }

    proptest::proptest! {
        #[test]
        fn free_run_overlaps_nothing(used in proptest::collection::vec((0u64..200, 0u64..60), 0..8)) {
            let mut u = used.clone();
            let (at, len) = completion::free_run(&mut u, 256);
            proptest::prop_assert!(at + len <= 256);
            for (a, l) in used {
                proptest::prop_assert!(len == 0 || a + l <= at || a >= at + len);
            }
        }
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

/// What `IPC_STAT` brings back for a System V object ([`sys::SemCtl`],
/// [`sys::MsgCtl`], [`sys::ShmCtl`]): its `ipc_perm`, then per kind
/// times (semaphores: otime, ctime; queues: stime, rtime, ctime;
/// segments: atime, dtime, ctime) and counts (semaphores: nsems; queues:
/// cbytes, qnum, qbytes, lspid, lrpid; segments: segsz, cpid, lpid,
/// nattch).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct IpcStat {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u32,
    pub _pad: u32,
    pub times: [u64; 3],
    pub counts: [u64; 5],
}

/// What `IPC_SET` changes: the owner, the permission bits and (queues)
/// the byte limit.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct IpcSet {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub _pad: u32,
    pub qbytes: u64,
}
