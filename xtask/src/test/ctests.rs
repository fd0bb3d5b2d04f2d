//! The C test suite (`user/ctests/*.c`) and the Rust std test
//! program (`user/ctests/rust-std/`): the table of programs, their
//! arguments on the host and in ExoV6, and the `ctest-*` steps of `cargo
//! xtask test`, which build them (`ctest-build`) and run each on the host
//! Linux (`ctest-NAME`), failing on a wrong exit status, a `FAIL` line or
//! a missing closing `NAME: ok` line.
//!
//! The same static binaries go into the ExoV6 ramdisk as `/ctests/NAME`
//! ([`guest_files`], [`guest_adds`]); a QEMU case boots
//! `shutdown init=/ctests/NAME ARGS` ([`guest_cmdline`]) and compares the
//! guest's console with the host's run ([`host_output`], [`compare`]), so
//! the tests check Linux behaviour, not ours.

mod build;
mod host;
mod output;

use std::path::PathBuf;

use crate::paths;

pub use host::{any_selected, run_step};
// What the QEMU cases use: the ramdisk's contents and the host's output.
pub use build::guest_adds;
pub use host::host_output;
pub use output::normalise;

/// Where a program comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A C file in `user/ctests/`, built with `musl-gcc`.
    C(&'static str),
    /// The cargo project `user/ctests/rust-std`, target
    /// `x86_64-unknown-linux-musl`.
    RustStd,
}

/// How a program is linked. Both are static; neither has an interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Link {
    /// ET_EXEC at a fixed address.
    Static,
    /// ET_DYN that relocates itself (static-PIE).
    StaticPie,
}

impl Link {
    /// Short name, for directories and messages.
    pub fn name(self) -> &'static str {
        match self {
            Link::Static => "static",
            Link::StaticPie => "static-pie",
        }
    }
}

/// A command-line argument, which may differ between host and guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// This text in both.
    Lit(&'static str),
    /// The path of another program of the suite, by name.
    Program(&'static str),
    /// A file holding exactly the `/etc/motd` text (in the guest
    /// `/etc/motd`, on the host a copy of it).
    Motd,
    /// The directory holding every program of the suite (guest `/ctests`).
    Dir,
    /// A path whose creation must be refused: in the guest a name under
    /// the read-only `/`; on the host, where the tests may run as root,
    /// a name under `/proc`.
    Uncreatable,
    /// A terminal the program may make its controlling terminal: in the
    /// guest the console, on the host (where the run has no terminal)
    /// `pty`, asking the program for a new pseudo-terminal.
    Terminal,
    /// An empty writable directory on a tmpfs: in the guest `/tmp`, on
    /// the host a fresh directory under `/dev/shm` (made empty before each
    /// run), so both sides show tmpfs's behaviour.
    Scratch,
}

/// One program of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CTest {
    /// Binary name, guest file `/ctests/NAME`, step `ctest-NAME`.
    pub name: &'static str,
    /// Source.
    pub source: Source,
    /// Linking.
    pub link: Link,
    /// Arguments after the program name.
    pub args: &'static [Arg],
    /// The exit status a correct run ends with.
    pub status: i32,
    /// Run as a test; false for helpers that other tests execute.
    pub run: bool,
}

const fn c(name: &'static str, file: &'static str) -> CTest {
    CTest {
        name,
        source: Source::C(file),
        link: Link::Static,
        args: &[],
        status: 0,
        run: true,
    }
}

impl CTest {
    const fn args(self, args: &'static [Arg]) -> CTest {
        CTest { args, ..self }
    }

    const fn pie(self) -> CTest {
        CTest {
            link: Link::StaticPie,
            ..self
        }
    }

    /// The line a successful run ends with: `STEM: ok`, where STEM is the
    /// source's name (so a static-PIE variant prints the same lines).
    pub fn ok_line(&self) -> String {
        let stem = match self.source {
            Source::C(file) => file.trim_end_matches(".c"),
            Source::RustStd => "rust-std",
        };
        format!("{stem}: ok")
    }

    /// The step name in `cargo xtask test`.
    pub fn step(&self) -> String {
        format!("ctest-{}", self.name)
    }
}

const EXEC_TARGET: &[Arg] = &[Arg::Program("exec-target")];
const RUST_ARGS: &[Arg] = &[Arg::Lit("3"), Arg::Lit("alpha"), Arg::Lit("beta")];

/// Every program, in the order the host runs them.
pub const TESTS: &[CTest] = &[
    c("fork", "fork.c"),
    c("exec", "exec.c").args(EXEC_TARGET),
    c("wait", "wait.c"),
    c("forktree", "forktree.c"),
    c("orphan", "orphan.c"),
    c("signals", "signals.c"),
    c("segv", "segv.c"),
    c("kill", "kill.c"),
    c("rtsig", "rtsig.c"),
    c("pthread", "pthread.c"),
    c("futex", "futex.c"),
    c("pipe", "pipe.c"),
    c("dup", "dup.c").args(EXEC_TARGET),
    c("mmap", "mmap.c"),
    c("brk", "brk.c"),
    c("rlimit", "rlimit.c"),
    c("rlimit-rules", "rlimit-rules.c"),
    c("sched", "sched.c").args(&[Arg::Program("sched")]),
    c("threadids", "threadids.c"),
    c("clock", "clock.c"),
    c("files", "files.c").args(&[Arg::Motd, Arg::Dir, Arg::Uncreatable]),
    c("argcheck", "argcheck.c").args(&[Arg::Program("argcheck")]),
    c("fork-pie", "fork.c").pie(),
    c("exec-pie", "exec.c").pie().args(EXEC_TARGET),
    c("pthread-pie", "pthread.c").pie(),
    c("sigdisp-self", "sigdisp.c").args(&[Arg::Lit("self")]),
    c("sigdisp-child", "sigdisp.c").args(&[Arg::Lit("child")]),
    c("sigdisp-stopped", "sigdisp.c").args(&[Arg::Lit("stopped")]),
    c("sigdisp-group", "sigdisp.c").args(&[Arg::Lit("group")]),
    c("sessions", "sessions.c"),
    c("jobctl", "jobctl.c").args(&[Arg::Terminal]),
    c("pipefill", "pipefill.c"),
    c("blocked", "blocked.c"),
    c("fs-open", "fs-open.c").args(&[Arg::Scratch]),
    c("fs-rw", "fs-rw.c").args(&[Arg::Scratch]),
    c("fs-dirs", "fs-dirs.c").args(&[Arg::Scratch]),
    c("fs-links", "fs-links.c").args(&[Arg::Scratch]),
    c("fs-attrs", "fs-attrs.c").args(&[Arg::Scratch]),
    c("fs-copy", "fs-copy.c").args(&[Arg::Scratch]),
    c("copy-wait", "copy-wait.c").args(&[Arg::Scratch]),
    c("fs-mmap", "fs-mmap.c").args(&[Arg::Scratch]),
    c("fs-shm", "fs-shm.c").args(&[Arg::Scratch]),
    c("fs-misc", "fs-misc.c").args(&[Arg::Scratch]),
    c("fs-race", "fs-race.c").args(&[Arg::Scratch]),
    c("sysv", "sysv.c"),
    c("mqueue", "mqueue.c"),
    c("timers", "timers.c"),
    c("creds", "creds.c").args(&[Arg::Scratch]),
    c("locks", "locks.c").args(&[Arg::Scratch]),
    c("cputime", "cputime.c"),
    CTest {
        run: false,
        ..c("exec-target", "exec-target.c")
    },
    // The Linux-ABI fuzzer: ExoV6 only (never on the host), run by the
    // `linux-fuzz` QEMU test and `cargo xtask fuzz`.
    CTest {
        run: false,
        ..c("fuzz", "fuzz.c")
    },
    // ExoV6 only (native calls to the system server): run by the
    // `linux-raw-*` cases of `libos_tests`, not on the host.
    CTest {
        run: false,
        ..c("rawreq", "rawreq.c")
    },
    // ExoV6 only (its count follows the machine): `linux-threads-max`.
    CTest {
        run: false,
        ..c("threads-max", "threads-max.c")
    },
    CTest {
        name: "rust-std",
        source: Source::RustStd,
        link: Link::Static,
        args: RUST_ARGS,
        status: 3,
        run: true,
    },
    CTest {
        name: "rust-std-pie",
        source: Source::RustStd,
        link: Link::StaticPie,
        args: RUST_ARGS,
        status: 3,
        run: true,
    },
];

/// The program called `name`.
pub fn find(name: &str) -> Option<&'static CTest> {
    TESTS.iter().find(|t| t.name == name)
}

/// The directory of the programs in the guest.
pub const GUEST_DIR: &str = "/ctests";
/// The motd file in the guest.
pub const GUEST_MOTD: &str = "/etc/motd";
/// The uncreatable path in the guest (under `/proc`, as on the host).
pub const GUEST_UNCREATABLE: &str = "/proc/exov6-ctest-create";
/// The writable scratch directory in the guest (a tmpfs).
pub const GUEST_SCRATCH: &str = "/tmp";
/// The terminal in the guest.
pub const GUEST_TERMINAL: &str = "/dev/console";
/// The uncreatable path on the host.
pub const HOST_UNCREATABLE: &str = "/proc/exov6-ctest-create";

/// `target/ctests`: everything the suite builds and writes.
pub fn out_dir() -> PathBuf {
    paths::target_dir().join("ctests")
}

/// `target/ctests/bin`: the programs, and nothing else (the host's
/// counterpart of the guest's `/ctests`).
pub fn bin_dir() -> PathBuf {
    out_dir().join("bin")
}

/// The guest's command line for `test`: `argv[0]` and the arguments.
pub fn guest_argv(test: &CTest) -> Vec<String> {
    let mut argv = vec![format!("{GUEST_DIR}/{}", test.name)];
    argv.extend(test.args.iter().map(|a| match a {
        Arg::Lit(s) => s.to_string(),
        Arg::Program(p) => format!("{GUEST_DIR}/{p}"),
        Arg::Motd => GUEST_MOTD.to_string(),
        Arg::Dir => GUEST_DIR.to_string(),
        Arg::Uncreatable => GUEST_UNCREATABLE.to_string(),
        Arg::Terminal => GUEST_TERMINAL.to_string(),
        Arg::Scratch => GUEST_SCRATCH.to_string(),
    }));
    argv
}

/// The kernel command-line words that start `test` as the program init
/// runs: `init=/ctests/NAME ARGS...` (add `shutdown` to power off when it
/// exits; the guest's exit status should then be `test.status`).
pub fn guest_cmdline(test: &CTest) -> String {
    let mut argv = guest_argv(test);
    argv[0] = format!("init={}", argv[0]);
    argv.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_helpers_exist() {
        let names: HashSet<_> = TESTS.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), TESTS.len());
        for t in TESTS {
            for a in t.args {
                if let Arg::Program(p) = a {
                    assert!(names.contains(p), "{} needs {p}", t.name);
                }
            }
            if let Source::C(file) = t.source {
                assert!(
                    paths::root().join("user/ctests").join(file).is_file(),
                    "{file}"
                );
            }
            // Guest paths go on the kernel command line: no spaces.
            assert!(guest_argv(t).iter().all(|a| !a.contains(' ')));
        }
        assert!(TESTS.iter().any(|t| t.link == Link::StaticPie && t.run));
    }

    #[test]
    fn guest_command_lines() {
        let files = find("files").unwrap();
        assert_eq!(
            guest_cmdline(files),
            "init=/ctests/files /etc/motd /ctests /proc/exov6-ctest-create"
        );
        let exec = find("exec-pie").unwrap();
        assert_eq!(
            guest_argv(exec),
            ["/ctests/exec-pie", "/ctests/exec-target"]
        );
        assert_eq!(exec.ok_line(), "exec: ok");
        let rust = find("rust-std-pie").unwrap();
        assert_eq!(rust.ok_line(), "rust-std: ok");
        assert_eq!(
            guest_cmdline(rust),
            "init=/ctests/rust-std-pie 3 alpha beta"
        );
        assert_eq!(rust.status, 3);
        assert!(find("nope").is_none());
    }
}
