#!/usr/bin/env python3
"""Regenerates the table in docs/linux-abi.md from the library OS sources:
every Linux x86_64 call (libos/src/linux/nr.rs) with its state. A call is
"full" or "partial" if a handler in libos/src/linux/*.rs names it (partial
ones carry a note below), otherwise "ENOSYS". `cargo xtask test` checks
the table against the sources (xtask/src/linux_abi_doc.rs), so run this
after adding a call:  python3 docs/tools/linux_abi_table.py > /tmp/t && ...
It prints the whole document."""
import glob, re, sys, os

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
NOTES = {
    "read": "files, directories (EISDIR), pipes (blocking, O_NONBLOCK), the console, /dev/null, /dev/zero",
    "write": "pipes (blocking, partial progress kept across blocking), the console; files are read-only (EBADF)",
    "open": "read-only root file system: writing or creating gives EROFS; O_DIRECTORY, O_CLOEXEC, O_NONBLOCK",
    "openat": "as open; relative to a directory descriptor",
    "pwrite64": "EROFS (read-only root file system)",
    "creat": "EROFS (read-only root file system)",
    "mmap": "anonymous private; anonymous MAP_SHARED (backed at once, shared with children across fork); private copies of files; writable shared file mappings EACCES; ENOMEM past RLIMIT_AS, RLIMIT_DATA (private writable) or for one private writable or shared request larger than the machine's memory (heuristic overcommit)",
    "madvise": "MADV_DONTNEED drops the pages (they read as zero); other advice Linux knows is accepted and ignored; unknown advice EINVAL",
    "mlock": "accepted: nothing is ever paged out",
    "mlockall": "accepted: nothing is ever paged out",
    "munlock": "accepted: nothing is ever paged out",
    "munlockall": "accepted: nothing is ever paged out",
    "readv": "one read of up to 16 KiB scattered over the buffers",
    "ioctl": "FIOCLEX, FIONCLEX, FIONBIO on every descriptor; FIOASYNC on pipes and the console (ENOTTY elsewhere, as Linux); FIONREAD on files, pipes and the console; terminal requests on the console (TCGETS, TCSETS*, TIOCGWINSZ, TIOCSWINSZ with SIGWINCH to the foreground group on a change, TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY; SIGTTOU for a background process changing the terminal); ENOTTY for the rest",
    "fcntl": "F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL (O_NONBLOCK, O_APPEND, O_ASYNC); F_GETLK/F_SETLK/F_SETLKW checked as Linux does, always granted (on the read-only file system only read locks exist, and they never conflict); F_SETOWN, leases, seals, pipe sizes EINVAL",
    "clone": "threads (CLONE_VM|CLONE_THREAD with SETTLS, PARENT_SETTID, CHILD_SETTID, CHILD_CLEARTID) and processes (as fork); threads are scheduled by the library OS inside the process",
    "vfork": "as fork (the child gets a copy-on-write copy; the parent is not suspended)",
    "futex": "WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAIT_BITSET, WAKE_BITSET with timeouts, within one process; WAKE_OP, PI and cross-process futexes are ENOSYS",
    "set_robust_list": "accepted; the list is not walked when a thread dies",
    "sched_setaffinity": "accepted: one CPU",
    "sched_getaffinity": "one CPU",
    "setrlimit": "Linux's rules (soft above hard EINVAL, NULL EFAULT); every process has CAP_SYS_RESOURCE; inherited across fork and exec; AS, DATA, STACK (at exec, up to 8 MiB), NOFILE (up to 1024) enforced; NPROC kept, not applied to root (as on Linux)",
    "prlimit64": "this process only (others: ESRCH); as setrlimit and getrlimit",
    "getrlimit": "Linux's defaults (stack 8 MiB, 1024 descriptors, core 0, the rest unlimited) until set; NULL EFAULT",
    "getrusage": "all zero",
    "times": "clock ticks since boot; CPU times zero",
    "getpriority": "always 20 (nice 0)",
    "setpriority": "accepted, no effect",
    "prctl": "PR_SET_NAME, PR_GET_NAME; others EINVAL",
    "setuid": "everything runs as root: setting id 0 succeeds, others EPERM",
    "setgid": "as setuid", "setreuid": "as setuid", "setregid": "as setuid",
    "setresuid": "as setuid", "setresgid": "as setuid", "setfsuid": "as setuid", "setfsgid": "as setuid",
    "getgroups": "no supplementary groups",
    "fsync": "nothing to flush on the read-only file system",
    "fdatasync": "nothing to flush on the read-only file system",
    "sync": "nothing to flush", "syncfs": "nothing to flush",
    "sysinfo": "uptime; the machine's memory for programs as total RAM, what the system server has not handed out as free RAM",
    "uname": "sysname Linux (the ABI), release 6.1.0-exov6",
    "poll": "pipes, the console, files",
    "ppoll": "as poll; waits with the given signal mask; the time left is written back",
    "select": "as poll; the time left is written back", "pselect6": "as poll; waits with the given signal mask; the time left is written back",
    "wait4": "exit, signal, stop (WUNTRACED) and continue (WCONTINUED) statuses; the rusage is all zero",
    "kill": "processes, process groups, -1; SIGKILL ends the environment at once",
    "statx": "the basic fields",
}
for n in ["mkdir","rmdir","unlink","rename","link","symlink","chmod","fchmod","chown","fchown","lchown","truncate","ftruncate","mkdirat","unlinkat","renameat","renameat2","linkat","symlinkat","fchmodat","fchownat","mknod","mknodat","utimensat","utimes","utime","futimesat"]:
    NOTES[n] = "EROFS (read-only root file system)"

def main():
    names = {}
    for l in open(os.path.join(ROOT, "libos/src/linux/nr.rs")):
        m = re.match(r"pub const (\w+): u64 = (\d+);", l)
        if m:
            names[m.group(1)] = int(m.group(2))
    handled = set()
    for f in glob.glob(os.path.join(ROOT, "libos/src/linux/*.rs")):
        if os.path.basename(f) in ("nr.rs", "errno.rs", "mod.rs"):
            continue
        for m in re.finditer(r"^\s*((?:\|\s*)?[A-Z0-9_]+(?:\s*\|\s*[A-Z0-9_]+)*)\s*=>", open(f).read(), re.M):
            for t in re.split(r"\s*\|\s*", m.group(1).strip().lstrip("|").strip()):
                if t in names:
                    handled.add(t)
    print(open(os.path.join(ROOT, "docs/tools/linux-abi-head.md")).read().rstrip())
    print()
    print("| nr | call | state | notes |")
    print("|---:|---|---|---|")
    counts = {"full": 0, "partial": 0, "ENOSYS": 0}
    for name, nr in sorted(names.items(), key=lambda kv: kv[1]):
        low = name.lower()
        if name in handled:
            state = "partial" if low in NOTES else "full"
        else:
            state = "ENOSYS"
        counts[state] += 1
        print(f"| {nr} | `{low}` | {state} | {NOTES.get(low, '') if state != 'ENOSYS' else ''} |")
    print()
    print(f"In all: {counts['full']} full, {counts['partial']} partial, {counts['ENOSYS']} ENOSYS, of {len(names)} calls.")

main()
