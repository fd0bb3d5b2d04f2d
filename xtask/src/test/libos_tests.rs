//! QEMU tests of the library OS: unmodified static Linux programs (Debian's
//! glibc busybox, musl C programs) started by the system server's init
//! from the kernel command line, with their output and exit status
//! checked. (The C test suite, compared line by line with the same
//! binaries on the host, runs as its own step: `xtask/src/test/ctests.rs`.)

use crate::qemu::status::{Kernel, Status};
use crate::test::qemu_tests::{QemuTest, FRAMES_RETURNED, USER_CLEAN, X86_64};

/// A command run as init's program: `NAME`, the words after `init=`, the
/// lines it must print, the status init reports.
macro_rules! linux_test {
    ($name:literal, $cmd:literal, [$($line:literal),*], $status:literal) => {
        QemuTest {
            name: concat!("linux-", $name),
            cmdline: concat!("shutdown init=", $cmd),
            expect: &[
                $($line,)*
                concat!("init: * exited with status ", $status),
                concat!("sysd: init ended with status ", $status),
                concat!("root: exited with code ", $status),
                FRAMES_RETURNED,
            ],
            reject: USER_CLEAN,
            status: Status::Program($status),
            ..X86_64
        }
    };
}

/// Every library OS test.
pub const TESTS: &[QemuTest] = &[
    // glibc asks for rseq at start: unimplemented, logged once by name.
    linux_test!(
        "busybox-echo",
        "/bin/busybox echo hello from busybox",
        [
            "hello from busybox",
            "libos: rseq (334) is not implemented: ENOSYS"
        ],
        0
    ),
    linux_test!(
        "busybox-ls",
        "/bin/busybox sh -c 'echo $(ls /)'",
        ["bin ctests dev etc lib proc root sbin tmp usr"],
        0
    ),
    // The writable root and /tmp, as a person uses them from the shell.
    linux_test!(
        "busybox-files",
        "/bin/busybox sh -c 'cd /tmp && echo x > f && cat f && mkdir -p a/b && mv a c && rm -r c && ls c; echo hello > /etc/motd && cat /etc/motd; echo hi > /dev/full'",
        [
            "x",
            "ls: c: No such file or directory",
            "hello",
            "sh: write error: No space left on device"
        ],
        1
    ),
    // Permissions: nobody cannot write where only root may.
    linux_test!(
        "busybox-su-nobody",
        "/bin/busybox su nobody -c 'id; touch /etc/x'",
        [
            "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)",
            "touch: /etc/x: Permission denied"
        ],
        1
    ),
    linux_test!(
        "busybox-sh-exit",
        "/bin/busybox sh -c 'echo before-exit; exit 3'",
        ["before-exit"],
        3
    ),
    linux_test!(
        "busybox-pipe",
        "/bin/busybox sh -c 'echo hi | busybox wc -c'",
        ["3"],
        0
    ),
    linux_test!(
        "busybox-cat-motd",
        "/bin/busybox cat /etc/motd",
        ["Welcome to ExoV6, an exokernel in Rust."],
        0
    ),
    linux_test!(
        "busybox-missing",
        "/bin/busybox cat /no/such/file",
        ["cat: can't open '/no/such/file': No such file or directory"],
        1
    ),
    linux_test!(
        "busybox-script",
        "/bin/sh -c 'for i in 1 2 3; do echo loop-$i; done; test -d /etc && echo dir-ok'",
        ["loop-1", "loop-2", "loop-3", "dir-ok"],
        0
    ),
    // Applets by their plain names: the ramdisk's links to /bin/busybox.
    linux_test!(
        "busybox-applets",
        "/bin/sh -c 'cat /etc/motd | wc -l; grep -c ExoV6 /etc/motd; sleep 0 && echo applets-ok'",
        ["1", "applets-ok"],
        0
    ),
    // busybox's shell runs an applet without a link through /proc/self/exe,
    // a link to the running program (the file, links followed).
    linux_test!(
        "proc-self-exe",
        "/bin/sh -c 'readlink /proc/self/exe; PATH=/none; wc -c < /etc/motd; exec -a echo /proc/self/exe ran-itself'",
        ["/bin/busybox", "40", "ran-itself"],
        0
    ),
    // strace: `EXOV6_STRACE=all` in a program's environment prints its
    // calls with decoded arguments and results (docs/linux-abi.md); a
    // call that waits (sleep's clock_nanosleep) is unfinished, then resumed.
    // cat tries sendfile first; to an O_APPEND output that is EINVAL and
    // it reads and writes instead, which shows the buffers.
    linux_test!(
        "strace",
        "/bin/sh -c 'EXOV6_STRACE=all cat /etc/motd /no/such >>/dev/null; EXOV6_STRACE=all sleep 0.01; echo strace-done'",
        [
            "[pid *] openat(AT_FDCWD, \"/etc/motd\", O_RDONLY) = 3",
            "[pid *] sendfile(1, 3, NULL, *) = -1 EINVAL",
            "[pid *] read(3, \"Welcome to ExoV6, an exokernel i\"..., *) = 40",
            "[pid *] write(1, \"Welcome to ExoV6, an exokernel i\"..., 40) = 40",
            "[pid *] close(3) = 0",
            "[pid *] openat(AT_FDCWD, \"/no/such\", O_RDONLY) = -1 ENOENT",
            "[pid *] exit_group(1) = ?",
            "[pid *] clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=10000000}, *) <unfinished ...>",
            "[pid *] <... clock_nanosleep resumed> = 0",
            "strace-done"
        ],
        0
    ),
    // strace from the kernel command line: `strace=2` (init's program is
    // pid 2) reaches the library OS as `EXOV6_STRACE=2`; the shell's calls
    // are shown, its child's (pid 3) are not.
    QemuTest {
        cmdline: "shutdown strace=2 init=/bin/sh -c 'echo traced; /bin/busybox true; echo after'",
        reject: &[
            "PANIC:",
            "FAULT:",
            "cmdline: unknown",
            "cmdline: bad value",
            "utest * FAIL",
            "panic: ",
            "root: killed by",
            "kernel: frames not returned",
            "[pid 1]",
            "[pid 3]",
        ],
        ..linux_test!(
            "strace-cmdline",
            "",
            [
                "[pid 2] write(1, \"traced\\n\", 7) = 7",
                "traced",
                "[pid 2] *wait4* = 3"
            ],
            0
        )
    },
    // The console as a terminal: the shell reads what the harness types.
    QemuTest {
        input: &[("init: running /bin/sh", "echo typed-$((6*7)); exit 5\r")],
        ..linux_test!("tty-shell", "/bin/sh", ["typed-42"], 5)
    },
    // Type-ahead: a line typed while the kernel boots waits in the UART
    // for the console reader and reaches the shell whole.
    QemuTest {
        input: &[("booted via", "echo ahead-$((6*7)); exit 4\r")],
        ..linux_test!("tty-type-ahead", "/bin/sh", ["ahead-42"], 4)
    },
    // Canonical mode: the server's line discipline edits the line (DEL
    // erases the `b`) before `read` gets it.
    QemuTest {
        input: &[("init: running /bin/sh", "ab\u{7f}c\r")],
        ..linux_test!(
            "tty-canonical",
            "/bin/sh -c 'read x; echo got-$x'",
            ["got-ac"],
            0
        )
    },
    // ^C: SIGINT to the foreground process group; init (pid 1) ignores it.
    // It is typed once the shell runs (what it prints first): a ^C while
    // init is still forking reaches only init, as on Linux. The shell
    // execs sleep rather than forking it: a ^C during that fork would go
    // to the shell alone (the child is not made yet, as on Linux), which
    // waits for sleep to finish before it acts on it.
    QemuTest {
        input: &[("sleeping-42", "\u{3}")],
        expect: &[
            "init: /bin/sh killed by signal 2",
            "sysd: init ended with status 130",
            FRAMES_RETURNED,
        ],
        status: Status::Program(130),
        ..linux_test!(
            "tty-ctrl-c",
            "/bin/sh -c 'echo sleeping-$((6*7)); exec sleep 20'",
            [],
            130
        )
    },
    // A process ends while its child is an unreaped zombie: the zombie
    // goes to init (the server once wrote to the zombie's gone mailbox).
    linux_test!(
        "zombie-reparented",
        "/bin/busybox sh -c 'true & exec /bin/busybox sleep 1'",
        [],
        0
    ),
    // Processes that send the server a raw Fork and die before starting
    // the child: the children go with them, and forks still work.
    linux_test!(
        "raw-fork-abandoned",
        "/ctests/rawreq fork",
        [
            "raw forks abandoned: 150 of 150",
            "fork afterwards: works",
            "rawreq: ok"
        ],
        0
    ),
    // A process takes pipes at the server until it refuses (EMFILE at the
    // per-process handle limit, never a server out of memory), three
    // times; each time its handles go with it.
    linux_test!(
        "raw-handles-capped",
        "/ctests/rawreq handles",
        [
            "raw pipes until refused: EMFILE, after 4000 to 4096: yes",
            "pipe afterwards: works",
            "fork afterwards: works",
            "rawreq: ok"
        ],
        0
    ),
    // tmpfs pages are paid for from the writer's quota and given back
    // when freed (to a writer still running).
    linux_test!(
        "raw-tmpfs-charge",
        "/ctests/rawreq charge",
        [
            "writing 8 MiB grew the writer's quota: no",
            "removing it gave back 2048 frames: yes",
            "removing a dead writer's file gives nothing back: yes",
            "fork afterwards: works",
            "rawreq: ok"
        ],
        0
    ),
    // Job control through busybox's shell at the console: ^Z stops the
    // foreground job (SIGTSTP to its group), `jobs`, `bg`, `wait`, `fg`;
    // a background reader stops on SIGTTIN; ^C ends a foreground job. (The
    // triggers are what the commands print, never their echo: `$((...))`
    // is typed, its value printed.)
    QemuTest {
        input: &[
            (
                "init: running /bin/sh",
                "sh -c 'echo job-$((1*11)); sleep 2; echo job-$((1*12))'\r",
            ),
            ("job-11", "\u{1a}"),
            ("Stopped", "jobs\r"),
            ("Stopped", "bg\r"),
            ("[1] sh -c", "wait; echo waited-$?\r"),
            (
                "waited-0",
                "sh -c 'echo job-$((2*11)); sleep 2; echo job-$((2*12))'\r",
            ),
            ("job-22", "\u{1a}"),
            ("Stopped", "fg\r"),
            ("job-24", "sh -c 'echo reader-$((4*11)); exec cat' &\r"),
            ("reader-44", "sleep 2; jobs\r"),
            // The end of `jobs`'s line (typing earlier would interleave
            // the echo with it).
            ("exec cat\"", "kill -9 %1; wait; jobs\r"),
            ("Killed", "sh -c 'echo job-$((3*11)); sleep 30'\r"),
            ("job-33", "\u{3}"),
            ("^C", "echo status-$?; exit 5\r"),
        ],
        ..linux_test!(
            "tty-job-control",
            "/bin/sh",
            [
                "job-12",
                "waited-0",
                "job-24",
                "[1]+  Stopped (tty input)*exec cat",
                "status-130"
            ],
            5
        )
    },
    // `free` shows the machine's memory (about 490 of 512 MiB), not the
    // process's quota.
    linux_test!(
        "free",
        "/bin/busybox sh -c '/bin/busybox free -m | /bin/busybox grep -E \"^Mem: +4[0-9]{2} \" && echo free-shows-the-machine'",
        ["free-shows-the-machine"],
        0
    ),
    // One process uses 300 MiB of the 512 MiB machine (the old per-process
    // cap was 192 MiB): its memory follows the machine's.
    linux_test!(
        "big-alloc",
        "/bin/busybox sh -c '/bin/busybox dd if=/dev/zero of=/dev/null bs=300M count=1 iflag=fullblock && echo dd-300m-ok'",
        ["1+0 records in", "dd-300m-ok"],
        0
    ),
    // Memory runs out at page faults (dd's 60 MiB buffer on a 96 MiB
    // machine, past the heuristic overcommit's check): the server's
    // out-of-memory policy kills the biggest process with SIGKILL and
    // names it; the shell goes on.
    QemuTest {
        mem: "96M",
        ..linux_test!(
            "oom-kill",
            "/bin/busybox sh -c '/bin/busybox dd if=/dev/zero of=/dev/null bs=60M count=1 iflag=fullblock; echo dd-status-$?'",
            [
                "sysd: out of memory: killed process * (busybox) holding * MiB",
                "dd-status-137"
            ],
            0
        )
    },
    // A 100 MB ramdisk file on a 128 MiB machine (18 MiB left): the
    // system boots and reads the file; tearing down the server, which
    // held a capability per ramdisk page, needs no fresh kernel memory.
    QemuTest {
        mem: "128M",
        add_zeros: Some(("/bin/zeros", 100_000_000)),
        ..linux_test!(
            "big-initrd-128m",
            "/bin/busybox md5sum /bin/zeros",
            ["0f86d7c5a6180cf9584c1d21144d85b0  /bin/zeros"],
            0
        )
    },
    // Thread exhaustion: pthread_create until EAGAIN (threads-max, a
    // thread per 32 pages, about 300 on a 64 MiB machine), never a crash
    // of the library OS.
    QemuTest {
        mem: "64M",
        ..linux_test!(
            "threads-max",
            "/ctests/threads-max",
            ["pthread_create stops with EAGAIN", "threads-max: ok"],
            0
        )
    },
    // A machine too small to boot says so in one line and powers off
    // with the kernel status "not enough memory to boot". Its ramdisk is
    // the one without the C test programs (an empty `/zeros` added): QEMU
    // cannot load a ramdisk near the machine's size at all, and the full
    // one grows with every program.
    QemuTest {
        name: "linux-mem-16m",
        cmdline: "shutdown",
        mem: "16M",
        add_zeros: Some(("/zeros", 0)),
        expect: &["kernel: not enough memory: * MiB free of * MiB after the kernel and * MiB of ramdisk; ExoV6 needs 16 MiB free*"],
        reject: &["PANIC:", "FAULT:", "kernel: boot complete"],
        status: Status::Kernel(Kernel::NoMemory),
        ..X86_64
    },
    // The console's size: 80x24 unless the command line gives the host
    // terminal's (`cargo xtask run` passes `winsize=COLSxROWS`).
    linux_test!(
        "tty-size-default",
        "/bin/busybox stty size",
        ["24 80"],
        0
    ),
    QemuTest {
        cmdline: "winsize=132x43 shutdown init=/bin/busybox stty size",
        ..linux_test!("tty-size", "/bin/busybox stty size", ["43 132"], 0)
    },
    // /proc as busybox's tools read it: real figures from the server.
    // `ps` lists init and the shell by pid with their command lines (the
    // listing is the shell's forked child, which runs the applet in place).
    linux_test!(
        "ps",
        "/bin/busybox sh -c 'echo shell-pid-$$; /bin/busybox ps; echo listed'",
        [
            "shell-pid-2",
            "PID   USER     COMMAND",
            "    1 root     /sbin/init /bin/busybox sh -c echo shell-pid-",
            "    2 root     /bin/busybox sh -c echo shell-pid-",
            "    3 root     /bin/busybox ps",
            "listed"
        ],
        0
    ),
    // `top` in batch mode: the machine's memory, the CPU line and the load
    // average from /proc, and the processes with their states (itself
    // running, run by busybox through /proc/self/exe, so named `exe` as
    // on Linux).
    linux_test!(
        "top",
        "/bin/busybox sh -c '/bin/busybox top -b -n 1; echo top-done'",
        [
            "Mem: *K used, *K free, *K shrd, 0K buff, 0K cached",
            "CPU: * usr * sys * nic * idle * io * irq * sirq",
            "Load average: *.* *.* *.* */3 3",
            "  PID  PPID USER     STAT   VSZ %VSZ %CPU COMMAND",
            "    1     0 root     S * /sbin/init /bin/busybox sh -c *",
            "    3     2 root     R * top -b -n 1",
            "top-done"
        ],
        0
    ),
    linux_test!(
        "free-figures",
        "/bin/busybox sh -c 'set -- $(/bin/busybox free | /bin/busybox grep Mem:); [ $2 -gt 400000 ] && [ $3 -gt 0 ] && [ $4 -gt 0 ] && echo free-figures-ok-$2'",
        ["free-figures-ok-*"],
        0
    ),
    linux_test!(
        "uptime",
        "/bin/busybox uptime",
        ["up 0 min,  0 users,  load average: 0.00, 0.00, 0.00"],
        0
    ),
    linux_test!(
        "df",
        "/bin/busybox df",
        [
            "Filesystem           1K-blocks      Used Available Use% Mounted on",
            "devtmpfs * /dev",
            "tmpfs * /tmp"
        ],
        0
    ),
    linux_test!(
        "mount",
        "/bin/busybox mount",
        [
            "rootfs on / type rootfs (rw)",
            "devtmpfs on /dev type devtmpfs (rw,nosuid,relatime,mode=755)",
            "tmpfs on /tmp type tmpfs (rw,nosuid,nodev)",
            "proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)"
        ],
        0
    ),
    linux_test!(
        "proc-status",
        "/bin/busybox cat /proc/self/status",
        [
            "Name:\tbusybox",
            "State:\tR (running)",
            "Pid:\t2",
            "PPid:\t1",
            "Uid:\t0\t0\t0\t0",
            "VmRSS:\t * kB",
            "Threads:\t1",
            "CapEff:\t000001ffffffffff"
        ],
        0
    ),
    linux_test!(
        "proc-meminfo",
        "/bin/busybox cat /proc/meminfo",
        [
            "MemTotal: * kB",
            "MemFree:   * kB",
            "MemAvailable:   * kB",
            "SwapTotal:             0 kB",
            "Hugepagesize:       2048 kB"
        ],
        0
    ),
    // dmesg reads the kernel's log (syslog(2)), /dev/kmsg its records.
    linux_test!(
        "dmesg",
        "/bin/busybox sh -c '/bin/busybox dmesg | /bin/busybox head -3 | /bin/busybox sed s/^/dmesg:/; /bin/busybox head -1 /dev/kmsg'",
        [
            "dmesg:ExoV6 v* (x86_64) booted via pvh",
            "dmesg:  loader: ",
            "dmesg:  cmdline: ",
            "6,0,0,-;ExoV6 v* (x86_64) booted via pvh"
        ],
        0
    ),
    // The rest of what LTP's library reads.
    linux_test!(
        "proc-files",
        "/bin/busybox sh -c 'cat /proc/self/maps; cat /proc/sys/kernel/osrelease /proc/sys/kernel/pid_max /proc/sys/fs/nr_open; readlink /proc/self/exe; readlink /proc/mounts; readlink /etc/mtab; tr \"\\0\" \" \" < /proc/self/cmdline; echo; ls /proc/self/task; head -2 /proc/cpuinfo; head -1 /proc/stat'",
        [
            "00401000-* r-xp 00000000 00:00 0 *",
            "* rw-p 00000000 00:00 0 *[heap]",
            "* rw-p 00000000 00:00 0 *[stack]",
            "6.1.0-exov6",
            "32768",
            "1024",
            "/bin/busybox",
            "self/mounts",
            "/proc/self/mounts",
            "/bin/busybox sh -c cat /proc/self/maps;",
            "processor\t: 0",
            "vendor_id\t: *",
            "cpu  * 0 * * 0 0 0 0 0 0"
        ],
        0
    ),
    linux_test!(
        "init-missing-program",
        "/bin/nonexistent",
        ["init: cannot run /bin/nonexistent: No such file or directory"],
        127
    ),
];
