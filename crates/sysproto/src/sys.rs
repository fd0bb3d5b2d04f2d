//! The system server's interface: what each process's library OS asks of
//! `sysd`. Handles are the server's numbers for a process's open files
//! ([`crate::NO_HANDLE`] names none). A tagged `Read` of a pipe or the
//! console, `Write` to a full pipe and `Wait` without `WNOHANG` that must
//! wait are answered later ([`crate::completion`]). Errors are Linux's:
//! `EAGAIN` means an untagged operation would have to wait (the server
//! remembers the caller and signals its [`crate::slots::WAKE`]
//! notification when that may have changed), `ERESTARTSYS` that the server sent SIGTTIN or SIGTTOU to a
//! background caller's process group: once that signal is dealt with (the
//! group stopped and continued, or a handler ran) the call is made again,
//! or fails with `EINTR` after a handler without `SA_RESTART`.

crate::interface! {
    /// Opens the path in the data area with Linux open `flags` (creating
    /// it with permission bits `mode`, the umask applied, for `O_CREAT`
    /// and `O_TMPFILE`); a relative path starts at the directory handle
    /// `dir` (or the current directory for `NO_HANDLE`), as for every path
    /// operation below. The new handle and its kind ([`crate::kind`]).
    Open = 1, fn open(flags: u64, dir: u64, mode: u64) in [u8] => OpenReply(handle: u64, kind: u64);
    /// Reads up to `len` bytes (at most [`crate::DATA_BYTES`]) at `offset`,
    /// or at the handle's own position for `u64::MAX`, into the data area
    /// (none: end of file). `ttin_ignored`: the caller ignores or blocks
    /// SIGTTIN (a background read of the terminal then fails with `EIO`).
    /// With a tag, a read of a pipe or the console that must wait is
    /// answered later: its completion brings the bytes in the completion
    /// area.
    Read = 2, fn read(handle: u64, len: u64, offset: u64, ttin_ignored: bool) => ReadReply() out [u8];
    /// A read of a regular file without a copy in the server: up to `len`
    /// bytes at `offset` (or the handle's position for `u64::MAX`, which
    /// moves). When every page the bytes lie in is a page of the server's
    /// cache, the server maps those pages read-only in the caller's read
    /// window (`layout::READ_WINDOW`, page `i` of the file at window page
    /// `i % READ_WINDOW_PAGES`, never wrapping: `n` stops at the window's
    /// end) and `window` is the bytes' offset there; a page stays there,
    /// unchanged, until a later `ReadMap` of the caller replaces it (a
    /// page leaving the file meanwhile is kept until then). Otherwise (a
    /// page still the boot image's, a hole, or not a memory file) the
    /// bytes come in the data area, as `Read`'s, and `window` is
    /// `u64::MAX`. `end`: the bytes reach the end of the file (`n` = 0
    /// at or past it).
    ReadMap = 87, fn read_map(handle: u64, len: u64, offset: u64) => ReadMapReply(n: u64, window: u64, end: bool) out [u8];
    /// Writes the data area's bytes at `offset` of a file (`u64::MAX`:
    /// at the handle's position; `append`: at its end, as `O_APPEND`);
    /// how many were taken. With a tag, a write to a full pipe is answered
    /// later, once the pipe took some of the bytes (the server keeps them
    /// meanwhile): the rest is the caller's to send again. `fsize`: the
    /// caller's `RLIMIT_FSIZE` (`EFBIG` past it).
    Write = 3, fn write(handle: u64, offset: u64, append: bool, fsize: u64) in [u8] => WriteReply(taken: u64);
    /// Drops the process's reference to a handle.
    Close = 4, fn close(handle: u64) => CloseReply();
    /// `stat` of a handle's file.
    Fstat = 5, fn fstat(handle: u64) => FstatReply() out crate::Stat;
    /// `stat` of the path in the data area; `flags`: [`crate::at`]
    /// `SYMLINK_NOFOLLOW`, `EMPTY_PATH`.
    Stat = 6, fn stat(dir: u64, flags: u64) in [u8] => StatReply() out crate::Stat;
    /// Linux `dirent64` records of a directory handle, at most `room`
    /// bytes, from the handle's position on (none at the end).
    Getdents = 7, fn getdents(handle: u64, room: u64) => GetdentsReply() out [u8];
    /// Moves a handle's position (`whence` as `lseek`); the new position.
    Seek = 8, fn seek(handle: u64, offset: i64, whence: u64) => SeekReply(pos: u64);
    /// A pipe: its read and write handles.
    Pipe = 9, fn pipe() => PipeReply(read: u64, write: u64);
    /// The target of the symlink named by the path in the data area
    /// (relative to `dir`); with `own`, the path of the handle `dir`
    /// itself (`/proc/self/fd`'s links).
    Readlink = 11, fn readlink(dir: u64, own: bool) in [u8] => ReadlinkReply() out [u8];
    /// Whether the path in the data area allows `mode` (`access` bits) to
    /// the real ids (the effective ones with [`crate::at`] `EACCESS`).
    Access = 12, fn access(dir: u64, mode: u64, flags: u64) in [u8] => AccessReply();
    /// Changes the current directory to the path in the data area (with
    /// `EMPTY_PATH` in `flags`, to the directory handle `dir`).
    Chdir = 13, fn chdir(dir: u64, flags: u64) in [u8] => ChdirReply();
    /// The current directory.
    Getcwd = 14, fn getcwd() => GetcwdReply() out [u8];
    /// Makes a child process for a fork; its pid. The server puts the
    /// child's address space and capability space in
    /// [`crate::slots::CHILD_ASPACE`] and [`crate::slots::CHILD_CSPACE`]
    /// and copies the caller's handles, directory and process group to it.
    Fork = 15, fn fork() => ForkReply(pid: u64);
    /// Starts the child `child` at `rip` with `rsp` and `rdi`; with `rip`
    /// 0 the fork is abandoned and the child goes.
    ForkStart = 16, fn fork_start(child: u64, rip: u64, rsp: u64, rdi: u64) => ForkStartReply();
    /// The program now runs the image at the path in the data area (for
    /// `/proc/self/exe`). Handles marked close-on-exec were closed by the
    /// library OS before.
    Exec = 17, fn exec() in [u8] => ExecReply();
    /// The process is about to end with wait status `status`.
    Exit = 18, fn exit(status: u64) => ExitReply();
    /// `wait4`: a child matching `pid` (as `wait4`) that ended, stopped or
    /// continued as `options` asks; pid 0 with `WNOHANG` and none ready.
    /// With a tag, one that must wait is answered later.
    Wait = 19, fn wait(pid: i64, options: u64) => WaitReply(pid: u64, status: u64);
    /// `kill`: `signal` (0: a probe) to the processes `pid` selects.
    Kill = 20, fn kill(pid: i64, signal: u64) => KillReply();
    /// `setpgid` (`pid` 0: the caller; `pgid` 0: the same as `pid`).
    Setpgid = 21, fn setpgid(pid: u64, pgid: u64) => SetpgidReply();
    /// The process group of `pid` (0: the caller).
    Getpgid = 22, fn getpgid(pid: u64) => GetpgidReply(pgid: u64);
    /// A new session; its id.
    Setsid = 23, fn setsid() => SetsidReply(sid: u64);
    /// The session of `pid` (0: the caller).
    Getsid = 24, fn getsid(pid: u64) => GetsidReply(sid: u64);
    /// A terminal `request` on the console with its argument word `arg`;
    /// the argument's bytes (`termios`, `winsize`, a pid) travel in the
    /// data area both ways. `ttou_ignored`: the caller ignores or blocks
    /// SIGTTOU (a background process changing the terminal then goes
    /// ahead).
    Ioctl = 25, fn ioctl(handle: u64, request: u64, arg: u64, ttou_ignored: bool) in [u8] => IoctlReply() out [u8];
    /// A handle's readiness bits ([`crate::ready`]) and the bytes queued
    /// to read; `register`: wake the caller when that changes.
    Poll = 26, fn poll(handle: u64, register: bool) => PollReply(ready: u64, queued: u64);
    /// The console, for the first process's standard input and output.
    Console = 27, fn console() => ConsoleReply(handle: u64, kind: u64);
    /// The library OS stopped by `signal` (`stopped`) or continued: for
    /// the parent's `wait` and SIGCHLD. A stop by SIGTSTP, SIGTTIN or
    /// SIGTTOU in an orphaned process group is refused (`EIO`): the signal
    /// is then discarded, as Linux does.
    Stopped = 28, fn stopped(stopped: bool, signal: u64) => StoppedReply();
    /// Raises the process's memory quota by up to `frames` (the library
    /// OS asks when the kernel says `QuotaExceeded`); the frames granted.
    /// With no memory left the out-of-memory policy kills the process
    /// holding the most (maybe the asker) first. `short`: the kernel had
    /// no frame although the quota allowed one; the policy runs at once
    /// (0 granted: try again).
    Quota = 29, fn quota(frames: u64, short: bool) => QuotaReply(granted: u64);
    /// The machine's memory for programs, in frames (for `sysinfo`).
    Meminfo = 30, fn meminfo() => MeminfoReply(total: u64, free: u64);
    /// The CPU time of the caller's children it has collected (theirs
    /// included), in timer ticks: user and kernel (`times`, `getrusage`
    /// with `RUSAGE_CHILDREN`).
    ChildTimes = 86, fn child_times() => ChildTimesReply(user: u64, system: u64);
    /// A write to the console by a background process while `TOSTOP` is
    /// set (the library OS asks only then, [`crate::control::TTY_JOB`]):
    /// allowed, `EIO` (an orphaned process group) or `ERESTARTSYS`.
    TtyWrite = 31, fn tty_write(ttou_ignored: bool) => TtyWriteReply();
    /// The caller no longer waits for the request it sent with `tag`:
    /// `cancelled` if it was still waiting at the server (no completion
    /// will come); else its completion is in the mailbox already (or
    /// there was no such request).
    Cancel = 32, fn cancel(tag: u64) => CancelReply(cancelled: bool);
    /// `mknodat`: a FIFO, socket, regular file or device node (`dev`)
    /// with the type and permission bits of `mode` (the umask applied).
    Mknod = 33, fn mknod(dir: u64, mode: u64, dev: u64) in [u8] => MknodReply();
    /// `mkdirat` with permission bits `mode` (the umask applied).
    Mkdir = 34, fn mkdir(dir: u64, mode: u64) in [u8] => MkdirReply();
    /// `unlinkat` (`flags`: [`crate::at`] `REMOVEDIR`).
    Unlink = 35, fn unlink(dir: u64, flags: u64) in [u8] => UnlinkReply();
    /// `renameat2` of the old path (from `from`) to the new (from `to`),
    /// the two paths NUL-separated in the data area; `flags`:
    /// `RENAME_NOREPLACE` 1, `RENAME_EXCHANGE` 2.
    Rename = 36, fn rename(from: u64, to: u64, flags: u64) in [u8] => RenameReply();
    /// `linkat`: the old path (from `from`; empty with `EMPTY_PATH`: the
    /// handle itself) and the new (from `to`), NUL-separated; `flags`:
    /// [`crate::at`] `SYMLINK_FOLLOW`, `EMPTY_PATH`.
    Link = 37, fn link(from: u64, to: u64, flags: u64) in [u8] => LinkReply();
    /// `symlinkat`: the target and the new path (from `dir`), NUL-separated.
    Symlink = 38, fn symlink(dir: u64) in [u8] => SymlinkReply();
    /// `fchmodat` (and with `EMPTY_PATH`, `fchmod`).
    Chmod = 39, fn chmod(dir: u64, flags: u64, mode: u64) in [u8] => ChmodReply();
    /// `fchownat` (and `fchown`, `lchown`); `u64::MAX` leaves an id.
    Chown = 40, fn chown(dir: u64, flags: u64, uid: u64, gid: u64) in [u8] => ChownReply();
    /// `truncate` (and with `EMPTY_PATH`, `ftruncate` of a handle open
    /// for writing).
    Truncate = 41, fn truncate(dir: u64, flags: u64, size: u64) in [u8] => TruncateReply();
    /// `utimensat`: [`crate::Times`] then the path in the data area
    /// (`TIMES_NOW` in `flags`: both now, for a NULL times argument).
    Utimens = 42, fn utimens(dir: u64, flags: u64) in [u8] => UtimensReply();
    /// `statfs` of the file system holding the path (or the handle, with
    /// `EMPTY_PATH`).
    Statfs = 43, fn statfs(dir: u64, flags: u64) in [u8] => StatfsReply() out crate::Statfs;
    /// `fallocate` of a handle open for writing (`mode`: 0 or
    /// `FALLOC_FL_KEEP_SIZE`).
    Fallocate = 44, fn fallocate(handle: u64, mode: u64, offset: u64, len: u64) => FallocateReply();
    /// One of the `set*id` calls ([`crate::ids`] `op`) with its ids
    /// (`u32::MAX`: unchanged); the old id for `setfsuid`/`setfsgid`
    /// (which never fail). The new ids are in the control page
    /// ([`crate::control::UIDS`] and the three after).
    SetIds = 45, fn set_ids(op: u64, a: u64, b: u64, c: u64) => SetIdsReply(old: u64);
    /// `setgroups` of `count` group ids (`u32` each), sent in parts of
    /// what the data area holds: this part's ids are those from index
    /// `at` on (the parts in order from 0; the last one applies them).
    SetGroups = 46, fn set_groups(count: u64, at: u64) in [u8] => SetGroupsReply();
    /// The supplementary groups (`u32` each) from index `at` on, as many
    /// as the data area holds; `count` of them in all.
    GetGroups = 47, fn get_groups(at: u64) => GetGroupsReply(count: u64) out [u8];
    /// `len` bytes (at most [`crate::DATA_BYTES`]) of the system's random
    /// generator (the one behind `/dev/urandom`).
    Random = 85, fn random(len: u64) => RandomReply() out [u8];
    /// Maps page `index` of the file open as `handle` (for reading; a
    /// hole or a page still the boot image's becomes a page of its own
    /// first) at the page address in `at` in the caller's address space
    /// with the [`abi::map_flags`] in its low bits, through a capability
    /// to the page's frame that the server derives into the caller's
    /// empty slot `slot`, with write rights if `at` has [`MAP_WRITABLE`]
    /// (the handle must be open for writing: `EACCES`). The frame is the
    /// file's own: stores through it are the file's bytes. The mapping
    /// lasts until the caller deletes that capability or the page leaves
    /// the file (a truncate, the file's end): the server then revokes
    /// every capability it derived, and the next access faults. `ENXIO`
    /// at or past the end of the file, `ENODEV` for a handle that is not
    /// a regular file.
    MapPage = 60, fn map_page(handle: u64, index: u64, at: u64, slot: u64) => MapPageReply();
    /// Fault-around: as [`MapPage`] for the pages `index + k` at
    /// `at + k * 4096` (`at` with its flags, as there) for `k` below the
    /// number of slots in the data area (little-endian `u32`s, at most
    /// [`MAP_PAGES_MAX`]), stopping at the end of the file and at the first
    /// page that is not already in the server's cache (a hole, or still the
    /// boot image's: only the page a program touches is made); `mapped`
    /// pages were mapped, from the first. `ENXIO` at or past the end.
    MapPages = 88, fn map_pages(handle: u64, index: u64, at: u64) in [u8] => MapPagesReply(mapped: u64);
    /// `flock(2)` on a handle's file with the operation word `op`
    /// (`LOCK_SH`, `LOCK_EX`, `LOCK_UN`, `LOCK_NB`), by the handle's open
    /// file description. With a tag, a lock that must wait is answered
    /// later, once granted.
    Flock = 50, fn flock(handle: u64, op: u64) => FlockReply();
    /// A `fcntl` record-lock command `cmd` (`F_GETLK`, `F_SETLK`,
    /// `F_SETLKW`, `F_OFD_GETLK`, `F_OFD_SETLK`, `F_OFD_SETLKW`, x86_64
    /// numbers) with a [`crate::Flock`] in the data area; the `struct
    /// flock` `F_GETLK` fills comes back there. With a tag, a `F_SETLKW` or
    /// `F_OFD_SETLKW` that must wait is answered later, once granted (or
    /// refused with `EDEADLK`).
    Lock = 51, fn lock(handle: u64, cmd: u64) in [u8] => LockReply() out crate::Flock;
    /// The process closed a descriptor of the handle's file: its POSIX
    /// record locks on that file go (Linux's rule for every close, not only
    /// the last). The library OS sends it only while
    /// [`crate::control::POSIX_LOCKS`] says the process holds such locks.
    LockClose = 52, fn lock_close(handle: u64) => LockCloseReply();
    /// Copies up to `len` bytes from handle `from` to handle `to` inside
    /// the server (`sendfile`, `copy_file_range`, `splice`, `tee`); the
    /// data area holds the bytes of a [`crate::CopyArgs`] (the offsets,
    /// `u64::MAX` for a handle's own position, and the caller's
    /// `RLIMIT_FSIZE`). From a file (its bytes up to its end) to a file,
    /// a pipe or a device; from a pipe (what it holds) to a file, another
    /// pipe or a device. `flags`:
    /// [`crate::copy`]. An empty source pipe with writers or a full
    /// destination pipe is `EAGAIN` (the caller is woken when that may
    /// have changed); an empty pipe with no writers copies nothing.
    Copy = 55, fn copy(from: u64, to: u64, len: u64, flags: u64) in [u8] => CopyReply(done: u64);
    /// `semget`: the set with `key` (as a `key_t`), `nsems` and `flags`
    /// (Linux's rules); its id.
    SemGet = 65, fn sem_get(key: u64, nsems: u64, flags: u64) => SemGetReply(id: u64);
    /// `semop`/`semtimedop`: the `struct sembuf`s (6 bytes each) in the
    /// data area. With a tag, one that must wait is answered later (when
    /// it went through, or `EIDRM` when the set is removed).
    SemOp = 66, fn sem_op(id: u64) in [u8] => SemOpReply();
    /// `semctl` command `cmd` (without `IPC_64`) on semaphore `num` with
    /// the value `val`: `SETALL`'s values (`u16` each) or `IPC_SET`'s
    /// [`crate::IpcSet`] in the data area; `GETALL`'s values or
    /// `IPC_STAT`'s [`crate::IpcStat`] come back there.
    SemCtl = 67, fn sem_ctl(id: u64, num: u64, cmd: u64, val: u64) in [u8] => SemCtlReply(value: u64) out [u8];
    /// `msgget`: the queue with `key` and `flags`; its id.
    MsgGet = 68, fn msg_get(key: u64, flags: u64) => MsgGetReply(id: u64);
    /// `msgsnd` of the text in the data area with type `mtype`; with a
    /// tag, one that must wait for room is answered later.
    MsgSnd = 69, fn msg_snd(id: u64, mtype: i64, flags: u64) in [u8] => MsgSndReply();
    /// `msgrcv` of at most `size` bytes selected by `mtype` and `flags`:
    /// the type, and the text in the data area; with a tag, one that must
    /// wait is answered later.
    MsgRcv = 70, fn msg_rcv(id: u64, mtype: i64, size: u64, flags: u64) => MsgRcvReply(mtype: i64) out [u8];
    /// `msgctl` command `cmd` (without `IPC_64`): `IPC_SET`'s
    /// [`crate::IpcSet`] in the data area, `IPC_STAT`'s [`crate::IpcStat`]
    /// back.
    MsgCtl = 71, fn msg_ctl(id: u64, cmd: u64) in [u8] => MsgCtlReply() out [u8];
    /// `shmget`: the segment with `key`, `size` and `flags`; its id.
    ShmGet = 72, fn shm_get(key: u64, size: u64, flags: u64) => ShmGetReply(id: u64);
    /// `shmat` (read-only with `SHM_RDONLY` in `flags`): the segment's
    /// pages from page `first` on go to the caller's capability slots
    /// named in the data area (`u32` each), for the library OS to map at
    /// `addr` on; the part with `first` 0 records the attachment. The
    /// segment's size (with no slots: to learn it, checking access).
    ShmAt = 73, fn shm_at(id: u64, addr: u64, flags: u64, first: u64) in [u8] => ShmAtReply(size: u64);
    /// `shmdt` of the attachment at `addr`; its pages (the library OS
    /// unmaps them).
    ShmDt = 74, fn shm_dt(addr: u64) => ShmDtReply(pages: u64);
    /// `shmctl` command `cmd` (without `IPC_64`), as [`MsgCtl`].
    ShmCtl = 75, fn shm_ctl(id: u64, cmd: u64) in [u8] => ShmCtlReply() out [u8];
    /// After `execve`: the program's arguments then its environment in
    /// the data area, each string NUL-terminated, the arguments taking the
    /// first `args_len` bytes (for `/proc/PID/cmdline` and `environ`; the
    /// library OS cuts what does not fit the data area).
    ProcArgs = 80, fn proc_args(args_len: u64) in [u8] => ProcArgsReply();
    /// The process's memory map as `/proc/PID/maps` shows it, in the data
    /// area (the library OS owns the address space and sends it when the
    /// process opens its own `maps`).
    ProcMaps = 81, fn proc_maps() in [u8] => ProcMapsReply();
    /// The kernel's log (what it printed on its console): up to `len`
    /// bytes (at most [`crate::DATA_BYTES`]) from byte number `from`
    /// (counted from boot; an overwritten start moves to the oldest byte
    /// kept) in the data area, `start` the number of the first. `clear`
    /// (`syslog`'s clear actions): later `Klog`s with `from` 0 start at
    /// the end of the log as it is now. `end`: the log's end now.
    /// The process's descriptors, as (descriptor, handle) pairs of
    /// little-endian `u64`s in the data area, for `/proc/PID/fd` (the
    /// library OS sends them when the process opens its own `fd`).
    ProcFds = 83, fn proc_fds() in [u8] => ProcFdsReply();
    Klog = 82, fn klog(from: u64, len: u64, clear: bool) => KlogReply(start: u64, end: u64) out [u8];
}

/// Most pages one [`MapPages`] maps (64 KiB, Linux's `fault_around_bytes`).
pub const MAP_PAGES_MAX: usize = 16;

/// [`MapPage`]: the capability may map the page writable.
pub const MAP_WRITABLE: u64 = 0x800;
