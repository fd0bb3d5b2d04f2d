//! The QEMU test table: one [`QemuTest`] per boot scenario, with the serial
//! strings and guest status each must produce. To add a test, add an entry
//! to [`TESTS`] (start from [`X86_64`] or [`I386`] and override fields); a
//! test that runs on both architectures says so in `arches`
//! ([`BOTH_ARCHES`]) and runs as `NAME` on x86_64 and `i386-NAME` on i386.

use crate::arch::Arch;
use crate::cli::Boot;
use crate::qemu::status::{Kernel, Status};

/// Which accelerators a test runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccelPolicy {
    /// KVM when it works (falling back to TCG if the banner does not
    /// appear in time), else TCG.
    Auto,
    /// TCG only (no entry needs it yet; kept for tests KVM cannot run).
    #[allow(dead_code)]
    Tcg,
    /// Once per available accelerator, as `<name>-kvm` and `<name>-tcg`.
    Both,
}

/// One QEMU test.
///
/// Each string in `expect` must match some serial line; `*` inside a
/// pattern matches any run of characters within that line (so
/// `"  memory:*MiB usable"` asks for one line holding both parts in order).
#[derive(Clone, Copy, Debug)]
pub struct QemuTest {
    /// Test name (printed, and matched by `--filter`).
    pub name: &'static str,
    /// The architectures it runs on, x86_64 first (the table's entries; a
    /// case made from one by [`crate::test::qemu_runner::expand`] has one).
    pub arches: &'static [Arch],
    /// Boot path.
    pub boot: Boot,
    /// Accelerator policy.
    pub accel: AccelPolicy,
    /// Kernel command line.
    pub cmdline: &'static str,
    /// Serial input: after a line containing `.0` appears, type `.1`.
    pub input: &'static [(&'static str, &'static str)],
    /// Patterns that must each match a serial line.
    pub expect: &'static [&'static str],
    /// Patterns that must match no serial line.
    pub reject: &'static [&'static str],
    /// Expected guest status: a program's exit status or a kernel status
    /// ([`Status::Ok`] also accepts a program status of 0).
    pub status: Status,
    /// The run must end in the kernel's deadlock report (the harness then
    /// stops QEMU; `status` is not checked).
    pub deadlock: bool,
    /// Guest memory in QEMU syntax.
    pub mem: &'static str,
    /// A file of this many zero bytes put in the initrd at this guest
    /// path (a test's own initrd, `target/exov6/<arch>/initrd-zeros-N.cpio`).
    pub add_zeros: Option<(&'static str, u64)>,
}

/// Defaults for an x86_64 direct-boot test.
pub const X86_64: QemuTest = QemuTest {
    name: "",
    arches: &[Arch::X86_64],
    boot: Boot::Direct,
    accel: AccelPolicy::Auto,
    cmdline: "",
    input: &[],
    expect: &[],
    reject: CLEAN,
    status: Status::Ok,
    deadlock: false,
    mem: "512M",
    add_zeros: None,
};

/// What a test that expects a clean run must never print.
pub const CLEAN: &[&str] = &[
    "PANIC:",
    "FAULT:",
    "cmdline: unknown",
    "cmdline: bad value",
    "ktest * FAIL",
    "root: cannot start",
    "kernel: frames not returned",
];

/// What a user-space test (`utest=NAME`, run by the root task) must never
/// print: [`CLEAN`], a failed check, a panic in the program, its death.
pub const USER_CLEAN: &[&str] = &[
    "PANIC:",
    "FAULT:",
    "cmdline: unknown",
    "cmdline: bad value",
    "ktest * FAIL",
    "root: cannot start",
    "utest * FAIL",
    "panic: ",
    "root: killed by",
    "kernel: frames not returned",
];

/// What a user-space test that ends with the kernel killing the program
/// must never print: [`USER_CLEAN`] without the death, and a normal exit.
pub const USER_KILLED: &[&str] = &[
    "PANIC:",
    "FAULT:",
    "cmdline: unknown",
    "cmdline: bad value",
    "ktest * FAIL",
    "root: cannot start",
    "utest * FAIL",
    "panic: ",
    "root: exited",
    "kernel: frames not returned",
];

/// The kernel's leak check: after the root task it counts the frames.
pub const FRAMES_RETURNED: &str = "kernel: all * frames returned";

/// A user-space test: `user-NAME` boots with `shutdown utest=NAME` and
/// expects `utest NAME: pass`, the root task's exit with code 0, the
/// kernel going on after it (`kernel: root task gone`) and every frame
/// back ([`FRAMES_RETURNED`]; the tests where the root task is killed
/// expect that too).
macro_rules! user_test {
    ($name:literal) => {
        QemuTest {
            name: concat!("user-", $name),
            cmdline: concat!("shutdown utest=", $name),
            expect: &[
                concat!("utest ", $name, ": pass"),
                "root: exited with code 0",
                "kernel: root task gone",
                FRAMES_RETURNED,
            ],
            reject: USER_CLEAN,
            ..X86_64
        }
    };
}

/// Defaults for an i386 (Multiboot1 direct boot) test.
pub const I386: QemuTest = QemuTest {
    arches: &[Arch::I386],
    ..X86_64
};

/// `arches` of a test that runs on both architectures.
pub const BOTH_ARCHES: &[Arch] = &Arch::ALL;

impl QemuTest {
    /// The (first) architecture it runs on.
    pub fn arch(&self) -> Arch {
        self.arches[0]
    }

    /// The case of this test on `arch` alone: named `NAME` on x86_64 (or
    /// when it runs on `arch` only), `ARCH-NAME` otherwise.
    pub fn on(&self, arch: Arch) -> QemuTest {
        let name = if self.arches.len() == 1 || arch == Arch::X86_64 {
            self.name
        } else {
            String::leak(format!("{}-{}", arch.name(), self.name))
        };
        QemuTest {
            name,
            arches: arch.only(),
            ..*self
        }
    }
}

/// The banner lines every boot test checks after the first line.
macro_rules! banner_lines {
    ($first:expr) => {
        &[
            $first,
            "  cmdline: \"shutdown",
            "  memory:*MiB usable",
            "  cpu:",
            "  kernel:*text",
            "  initrd:",
            "  boot time: * us",
            "kernel: boot complete",
        ]
    };
}

/// Every QEMU test.
pub const TESTS: &[QemuTest] = &[
    QemuTest {
        name: "boot-direct",
        accel: AccelPolicy::Both,
        cmdline: "shutdown utest=hello",
        expect: banner_lines!("ExoV6 v* (x86_64) booted via pvh"),
        ..X86_64
    },
    QemuTest {
        name: "boot-iso-bios",
        boot: Boot::Iso,
        cmdline: "shutdown utest=hello",
        expect: banner_lines!("ExoV6 v* (x86_64) booted via multiboot2"),
        ..X86_64
    },
    QemuTest {
        name: "boot-iso-uefi",
        boot: Boot::Uefi,
        cmdline: "shutdown utest=hello",
        expect: banner_lines!("ExoV6 v* (x86_64) booted via multiboot2"),
        ..X86_64
    },
    QemuTest {
        name: "boot-i386",
        cmdline: "shutdown",
        expect: banner_lines!("ExoV6 v* (i386) booted via multiboot1"),
        ..I386
    },
    QemuTest {
        name: "cmdline-unknown",
        cmdline: "shutdown bogus=1 utest=hello",
        expect: &["cmdline: unknown option \"bogus\"", "kernel: boot complete"],
        reject: &["PANIC:", "FAULT:"],
        ..X86_64
    },
    QemuTest {
        name: "panic-hook",
        arches: BOTH_ARCHES,
        cmdline: "panic",
        expect: &["PANIC:", "backtrace:"],
        reject: &["FAULT:", "cmdline: unknown"],
        status: Status::Kernel(Kernel::Panic),
        ..X86_64
    },
    QemuTest {
        name: "fault-pagefault",
        arches: BOTH_ARCHES,
        cmdline: "ktest=pagefault",
        expect: &["FAULT: #PF page fault (vector 14)", "backtrace:"],
        reject: &["PANIC:", "cmdline: unknown"],
        status: Status::Kernel(Kernel::Fault),
        ..X86_64
    },
    QemuTest {
        name: "fault-doublefault",
        arches: BOTH_ARCHES,
        cmdline: "ktest=doublefault",
        expect: &["FAULT: #DF double fault (vector 8)", "backtrace:"],
        reject: &["PANIC:", "cmdline: unknown"],
        status: Status::Kernel(Kernel::Fault),
        ..X86_64
    },
    QemuTest {
        name: "timer",
        arches: BOTH_ARCHES,
        cmdline: "ktest=timer",
        expect: &["ktest timer: pass"],
        ..X86_64
    },
    QemuTest {
        name: "heap",
        arches: BOTH_ARCHES,
        cmdline: "ktest=heap",
        expect: &["ktest heap: pass"],
        ..X86_64
    },
    QemuTest {
        name: "frames",
        arches: BOTH_ARCHES,
        cmdline: "ktest=frames",
        expect: &["ktest frames: pass"],
        ..X86_64
    },
    QemuTest {
        name: "serial",
        arches: BOTH_ARCHES,
        cmdline: "ktest=serial",
        input: &[("ktest serial: waiting for input", "hello exo\r")],
        expect: &["serial: got \"hello exo\"", "ktest serial: pass"],
        ..X86_64
    },
    QemuTest {
        name: "user-hello",
        // Both accelerators: under KVM this also covers system calls that
        // the development machines' hypervisor leaves in ring 3.
        accel: AccelPolicy::Both,
        cmdline: "shutdown utest=hello",
        expect: &[
            "utest hello: pass",
            "root: exited with code 0",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_CLEAN,
        ..X86_64
    },
    QemuTest {
        name: "deadlock-report",
        cmdline: "shutdown utest=deadlock",
        expect: &[
            "utest deadlock: the timed wait ended; now waiting for ever",
            "kernel: deadlock: nothing can wake the 2 environments left",
            "kernel:   env * (*): waits on notification * (no deadline, no interrupt line)",
            "kernel:   env * (*): receives on endpoint *",
        ],
        reject: USER_CLEAN,
        deadlock: true,
        ..X86_64
    },
    user_test!("caps"),
    user_test!("map"),
    user_test!("badptr"),
    user_test!("nosys"),
    user_test!("exhaust"),
    user_test!("fuzz"),
    QemuTest {
        name: "user-fault",
        cmdline: "shutdown utest=fault",
        expect: &[
            "utest fault: faulting now",
            "root: killed by #PF page fault",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: &[
            "PANIC:",
            "FAULT:",
            "cmdline: unknown",
            "ktest * FAIL",
            "root: cannot start",
            "utest * FAIL",
            "panic: ",
            "root: exited",
            "kernel: frames not returned",
        ],
        status: Status::Kernel(Kernel::RootFault),
        ..X86_64
    },
    QemuTest {
        name: "user-panic",
        cmdline: "shutdown utest=panic",
        expect: &[
            "utest panic: unmapping the program image; expecting a panic",
            "panic: exo-rt: refusing to unmap the program's own memory at 0x400000",
            "root: exited with code 101",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: &[
            "PANIC:",
            "FAULT:",
            "cmdline: unknown",
            "ktest * FAIL",
            "root: cannot start",
            "utest * FAIL",
            "root: killed by",
            "kernel: frames not returned",
        ],
        // The machine's status is the root task's exit code.
        status: Status::Program(101),
        ..X86_64
    },
    user_test!("upcall-pf"),
    user_test!("upcall-reflect"),
    user_test!("upcall-div"),
    user_test!("upcall-none"),
    QemuTest {
        name: "user-upcall-nested",
        cmdline: "shutdown log=debug utest=upcall-nested",
        expect: &[
            "utest upcall-nested: handler running (vector 0); faulting in it now",
            "exception 14 not delivered: fault inside its upcall handler",
            "root: killed by #PF page fault",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_KILLED,
        status: Status::Kernel(Kernel::RootFault),
        ..X86_64
    },
    QemuTest {
        name: "user-upcall-badstack",
        cmdline: "shutdown log=debug utest=upcall-badstack",
        expect: &[
            "utest upcall-badstack: bad SetUpcall arguments refused",
            "utest upcall-badstack: faulting with an unmapped upcall stack now",
            "exception 14 not delivered: upcall stack not writable",
            "root: killed by #PF page fault",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_KILLED,
        status: Status::Kernel(Kernel::RootFault),
        ..X86_64
    },
    user_test!("ipc"),
    user_test!("ipc-server-exit"),
    QemuTest {
        name: "user-child-fault",
        cmdline: "shutdown utest=child-fault",
        expect: &[
            "child: killed by #PF page fault",
            "utest child-fault: pass",
            "root: exited with code 0",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_CLEAN,
        ..X86_64
    },
    user_test!("notify"),
    user_test!("ports-irq"),
    QemuTest {
        name: "user-ports-denied",
        cmdline: "shutdown utest=ports-denied",
        expect: &[
            "utest ports-denied: touching port 0x3fd now",
            "root: killed by #GP general protection fault",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_KILLED,
        status: Status::Kernel(Kernel::RootFault),
        ..X86_64
    },
    QemuTest {
        name: "user-ports-deleted",
        cmdline: "shutdown utest=ports-deleted",
        expect: &[
            "utest ports-deleted: touching port 0x71 now",
            "root: killed by #GP general protection fault",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_KILLED,
        status: Status::Kernel(Kernel::RootFault),
        ..X86_64
    },
    QemuTest {
        name: "user-ports-revoked",
        cmdline: "shutdown utest=ports-revoked",
        expect: &[
            "utest ports-revoked: touching port 0x71 now",
            "root: killed by #GP general protection fault",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_KILLED,
        status: Status::Kernel(Kernel::RootFault),
        ..X86_64
    },
    user_test!("mmio"),
    user_test!("info"),
    QemuTest {
        name: "user-info-readonly",
        cmdline: "shutdown utest=info-readonly",
        expect: &[
            "utest info-readonly: writing the info page now",
            "root: killed by #PF page fault",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_KILLED,
        status: Status::Kernel(Kernel::RootFault),
        ..X86_64
    },
    user_test!("quota"),
    user_test!("sched"),
    user_test!("yield-block"),
    user_test!("ramdisk"),
    QemuTest {
        // The map test at log=debug: every refusal the kernel answers is
        // logged by name (and the kernel goes on).
        name: "user-refusals-logged",
        cmdline: "shutdown utest=map log=debug",
        expect: &[
            "root: map refused: insufficient rights",
            "root: map refused: already mapped",
            "root: map refused: bad address",
            "root: unmap refused: not mapped",
            "root: frame_alloc refused: frame not free",
            "utest map: pass",
            "root: exited with code 0",
            "kernel: root task gone",
            FRAMES_RETURNED,
        ],
        reject: USER_CLEAN,
        ..X86_64
    },
    user_test!("revoke"),
    user_test!("grant"),
    user_test!("fpu"),
    user_test!("fsbase"),
    user_test!("mint-into"),
    user_test!("map-target"),
    user_test!("cspace-size"),
    user_test!("kill"),
    QemuTest {
        // The harness types a line once the root task owns the UART's
        // input (it bound the console's interrupt line).
        input: &[("utest console: waiting for input", "hello user\r")],
        ..user_test!("console")
    },
    user_test!("preempt"),
    QemuTest {
        name: "i386-cmdline-unknown",
        cmdline: "shutdown bogus=1",
        expect: &["cmdline: unknown option \"bogus\"", "kernel: boot complete"],
        reject: &["PANIC:", "FAULT:", "kernel.elf"],
        ..I386
    },
];

/// True if `line` matches `pattern` (`*` = any characters in between).
pub fn line_matches(line: &str, pattern: &str) -> bool {
    let mut rest = line;
    for part in pattern.split('*') {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// The patterns of `reject` that some line matches.
pub fn present<'p>(lines: &[String], reject: &[&'p str]) -> Vec<&'p str> {
    reject
        .iter()
        .copied()
        .filter(|p| lines.iter().any(|l| line_matches(l, p)))
        .collect()
}

/// The patterns of `expect` that no line matches.
pub fn missing<'p>(lines: &[String], expect: &[&'p str]) -> Vec<&'p str> {
    expect
        .iter()
        .copied()
        .filter(|p| !lines.iter().any(|l| line_matches(l, p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(line_matches(
            "  memory: 510 MiB usable",
            "  memory:*MiB usable"
        ));
        assert!(!line_matches("  memory: 510 MiB", "  memory:*MiB usable"));
        assert!(!line_matches("MiB usable  memory:", "  memory:*MiB usable"));
        assert!(line_matches(
            "ExoV6 v0.1.0 (x86_64) booted via pvh",
            "ExoV6 v* (x86_64) booted via pvh"
        ));
        assert!(line_matches("  boot time: 1234 us", "  boot time: * us"));
        assert!(line_matches("anything", ""));
    }

    #[test]
    fn missing_lists_unmatched_patterns() {
        let lines = vec!["PANIC: at x".to_string(), "backtrace:".to_string()];
        assert!(missing(&lines, &["PANIC:", "backtrace:"]).is_empty());
        assert_eq!(missing(&lines, &["PANIC:", "FAULT:"]), ["FAULT:"]);
        assert_eq!(present(&lines, &["PANIC:", "FAULT:"]), ["PANIC:"]);
    }

    #[test]
    fn table_is_well_formed() {
        let mut names: Vec<&str> = TESTS.iter().map(|t| t.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate test names");
        for t in TESTS {
            assert!(!t.name.is_empty() && !t.expect.is_empty(), "{}", t.name);
            assert!(
                t.arch() == Arch::X86_64 || t.boot == Boot::Direct,
                "{}",
                t.name
            );
            assert!(
                t.cmdline.contains("shutdown")
                    || t.cmdline.contains("ktest=")
                    || t.status != Status::Ok,
                "{} would never power off",
                t.name
            );
        }
        assert!(TESTS
            .iter()
            .any(|t| t.accel == AccelPolicy::Both && t.boot == Boot::Direct));
    }

    #[test]
    fn user_tests_expect_their_own_pass_line() {
        let user: Vec<&QemuTest> = TESTS
            .iter()
            .filter(|t| t.name.starts_with("user-"))
            .collect();
        assert!(user.len() >= 9);
        for t in user {
            assert_eq!(t.arches, &[Arch::X86_64], "{}", t.name);
            // A deadlock report ends the run before the root task is gone.
            assert!(
                t.deadlock || t.expect.contains(&"kernel: root task gone"),
                "{}",
                t.name
            );
            assert!(
                t.reject.contains(&"kernel: frames not returned"),
                "{}: no leak check",
                t.name
            );
            if t.expect
                .iter()
                .any(|e| e.starts_with("root: exited with code"))
            {
                assert!(t.expect.contains(&FRAMES_RETURNED), "{}", t.name);
            }
            if let Some(name) = t
                .cmdline
                .split_whitespace()
                .find_map(|w| w.strip_prefix("utest="))
            {
                let pass = format!("utest {name}: pass");
                assert!(
                    t.expect.iter().any(|e| *e == pass)
                        || t.deadlock
                        || [
                            "fault",
                            "panic",
                            "upcall-nested",
                            "upcall-badstack",
                            "ports-denied",
                            "ports-deleted",
                            "ports-revoked",
                            "info-readonly",
                        ]
                        .contains(&name),
                    "{}",
                    t.name
                );
                assert!(t.reject.contains(&"utest * FAIL"), "{}", t.name);
            }
        }
    }
}
