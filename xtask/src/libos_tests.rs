//! QEMU tests of the library OS: unmodified static Linux programs (Debian's
//! glibc busybox, musl C programs) started by the system server's init
//! from the kernel command line, with their output and exit status
//! checked. (The C test suite, compared line by line with the same
//! binaries on the host, runs as its own step: `xtask/src/ctests.rs`.)

use crate::qemu_tests::{QemuTest, FRAMES_RETURNED, USER_CLEAN, X86_64};

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
            status: $status,
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
        ["bin ctests dev etc lib proc sbin tmp usr"],
        0
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
    // The console as a terminal: the shell reads what the harness types.
    QemuTest {
        input: &[("init: running /bin/sh", "echo typed-$((6*7)); exit 5\r")],
        ..linux_test!("tty-shell", "/bin/sh", ["typed-42"], 5)
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
    QemuTest {
        input: &[("init: running /bin/sh", "\u{3}")],
        expect: &[
            "init: /bin/sh killed by signal 2",
            "sysd: init ended with status 130",
            FRAMES_RETURNED,
        ],
        status: 130,
        ..linux_test!(
            "tty-ctrl-c",
            "/bin/sh -c 'sleep 20; echo not-interrupted'",
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
        "/ctests/rawfork",
        [
            "raw forks abandoned: 150 of 150",
            "fork afterwards: works",
            "rawfork: ok"
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
            ("Stopped (tty input)", "kill -9 %1; wait; jobs\r"),
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
    linux_test!(
        "init-missing-program",
        "/bin/nonexistent",
        ["init: cannot run /bin/nonexistent: No such file or directory"],
        127
    ),
];
