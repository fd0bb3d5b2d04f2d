//! The guest's status as QEMU's exit code carries it (`kernel/src/power.rs`):
//! a program's exit status and the kernel's own statuses are two ranges, so
//! that neither is ever printed as the other.
//!
//! isa-debug-exit makes QEMU exit with `(v << 1) | 1`, which keeps 7 bits
//! of `v`: `0x00..=0x3f` is the low 6 bits of the program's (the root
//! task's) exit status, `0x40 | N` is kernel status N. ACPI soft-off makes
//! QEMU exit with 0. The program's whole status is on the console
//! (`root: exited with code N`), which widens the 6 bits.

/// The kernel's own statuses (`power::Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// A kernel self-test (`ktest=`) failed.
    TestFailed,
    /// The kernel panicked.
    Panic,
    /// A CPU exception in the kernel.
    Fault,
    /// The machine has too little memory to boot.
    NoMemory,
    /// The root task was killed by a CPU exception it did not handle.
    RootFault,
    /// The root task was ended by another environment.
    RootKilled,
    /// A kernel status this xtask does not know.
    Other(u8),
}

impl Kernel {
    /// From the kernel status number.
    fn from_number(n: u8) -> Kernel {
        match n {
            1 => Kernel::TestFailed,
            2 => Kernel::Panic,
            3 => Kernel::Fault,
            4 => Kernel::NoMemory,
            5 => Kernel::RootFault,
            6 => Kernel::RootKilled,
            n => Kernel::Other(n),
        }
    }

    /// What it means.
    pub fn meaning(self) -> String {
        match self {
            Kernel::TestFailed => "kernel self-test failed".into(),
            Kernel::Panic => "kernel panic".into(),
            Kernel::Fault => "CPU exception in the kernel".into(),
            Kernel::NoMemory => "not enough memory to boot".into(),
            Kernel::RootFault => "root task killed by a CPU exception".into(),
            Kernel::RootKilled => "root task killed by another environment".into(),
            Kernel::Other(n) => format!("unknown kernel status {n}"),
        }
    }

    /// `cargo xtask run`'s exit code for it (documented in the README).
    pub fn exit_code(self) -> u8 {
        match self {
            Kernel::TestFailed => 1,
            Kernel::Panic => 2,
            Kernel::Fault => 3,
            Kernel::NoMemory => 4,
            Kernel::RootFault => 5,
            Kernel::RootKilled => 6,
            Kernel::Other(_) => 7,
        }
    }
}

/// How the guest ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A clean power-off with no program status (the kernel's `shutdown`
    /// with nothing run, a passing kernel self-test).
    Ok,
    /// The program's exit status: the root task's exit code (under the
    /// system server, init's program's status: 128 + N for signal N).
    Program(u8),
    /// One of the kernel's own statuses.
    Kernel(Kernel),
}

/// The debug-exit bit of a kernel status.
const KERNEL_BIT: u8 = 0x40;
/// The program-status bits the debug-exit value carries.
const PROGRAM_MASK: u8 = 0x3f;

impl Status {
    /// From the value the guest wrote to isa-debug-exit (`None`: ACPI
    /// soft-off, QEMU exit code 0).
    pub fn from_port(value: Option<u8>) -> Status {
        match value {
            None | Some(KERNEL_BIT) => Status::Ok,
            Some(v) if v & KERNEL_BIT != 0 => Status::Kernel(Kernel::from_number(v & PROGRAM_MASK)),
            Some(v) => Status::Program(v & PROGRAM_MASK),
        }
    }

    /// Completes a program status from the console: the last line giving
    /// the root task's exit code (`root: exited with code N`) or a power-off
    /// status (`kernel: powered off by NAME with status N`) whose low 6 bits
    /// agree is the whole status. A clean power-off after such a line is
    /// the program's status 0 (or 64, 128, 192).
    pub fn widened(self, lines: &[String]) -> Status {
        let low = match self {
            Status::Ok => 0,
            Status::Program(v) => v,
            Status::Kernel(_) => return self,
        };
        let reported = lines.iter().rev().find_map(|l| {
            let code = match l.split_once("root: exited with code ") {
                Some((_, c)) => c,
                None => {
                    l.split_once("kernel: powered off by ")?
                        .1
                        .split_once(" with status ")?
                        .1
                }
            };
            code.trim().parse::<i64>().ok()
        });
        match reported {
            Some(c) if (0..=255).contains(&c) && (c as u8) & PROGRAM_MASK == low => {
                Status::Program(c as u8)
            }
            _ => self,
        }
    }

    /// True for a clean end: [`Status::Ok`] or a program status of 0.
    pub fn is_ok(self) -> bool {
        matches!(self, Status::Ok | Status::Program(0))
    }

    /// True if `self` is what a test expecting `expected` wants:
    /// [`Status::Ok`] accepts a program status of 0 too.
    pub fn satisfies(self, expected: Status) -> bool {
        match expected {
            Status::Ok => self.is_ok(),
            e => self == e,
        }
    }

    /// `cargo xtask run`'s exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Program(c) => c,
            Status::Kernel(k) => k.exit_code(),
        }
    }

    /// Human-readable description, never ambiguous between a program's
    /// status and the kernel's: `program exit status 2`, `kernel panic`.
    pub fn describe(self) -> String {
        match self {
            Status::Ok => "powered off (ok)".into(),
            Status::Program(c) if c > 128 => {
                format!("program exit status {c} (killed by signal {})", c - 128)
            }
            Status::Program(c) => format!("program exit status {c}"),
            Status::Kernel(k) => format!("kernel status: {}", k.meaning()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn kernel_and_program_ranges_never_meet() {
        assert_eq!(Status::from_port(None), Status::Ok);
        assert_eq!(Status::from_port(Some(0x40)), Status::Ok);
        assert_eq!(Status::from_port(Some(0x42)), Status::Kernel(Kernel::Panic));
        assert_eq!(Status::from_port(Some(0x43)), Status::Kernel(Kernel::Fault));
        assert_eq!(
            Status::from_port(Some(0x44)),
            Status::Kernel(Kernel::NoMemory)
        );
        assert_eq!(
            Status::from_port(Some(0x45)),
            Status::Kernel(Kernel::RootFault)
        );
        assert_eq!(Status::from_port(Some(2)), Status::Program(2));
        assert_eq!(Status::from_port(Some(3)), Status::Program(3));
        assert_eq!(
            Status::from_port(Some(0x7f)),
            Status::Kernel(Kernel::Other(0x3f))
        );
        assert_eq!(Status::Program(2).describe(), "program exit status 2");
        assert_eq!(
            Status::Kernel(Kernel::Panic).describe(),
            "kernel status: kernel panic"
        );
    }

    #[test]
    fn console_lines_widen_program_statuses_only() {
        let root = |c: &str| {
            lines(&[
                &format!("root: exited with code {c}"),
                "kernel: root task gone",
            ])
        };
        assert_eq!(
            Status::Program(2).widened(&root("130")),
            Status::Program(130)
        );
        assert_eq!(Status::Program(5).widened(&root("5")), Status::Program(5));
        assert_eq!(Status::Ok.widened(&root("0")), Status::Program(0));
        assert_eq!(Status::Ok.widened(&root("64")), Status::Program(64));
        assert_eq!(Status::Ok.widened(&[]), Status::Ok);
        // A status that disagrees with the line keeps its own bits.
        assert_eq!(Status::Program(3).widened(&root("130")), Status::Program(3));
        // A kernel status stays one whatever the program said before.
        let k = Status::Kernel(Kernel::Panic);
        assert_eq!(k.widened(&root("2")), k);
        let off = lines(&["kernel: powered off by root with status 77"]);
        assert_eq!(Status::Program(13).widened(&off), Status::Program(77));
    }

    #[test]
    fn expectations_and_exit_codes() {
        assert!(Status::Program(0).satisfies(Status::Ok));
        assert!(Status::Ok.satisfies(Status::Ok));
        assert!(!Status::Ok.satisfies(Status::Program(0)));
        assert!(!Status::Program(2).satisfies(Status::Kernel(Kernel::Panic)));
        assert_eq!(
            Status::Program(139).describe(),
            "program exit status 139 (killed by signal 11)"
        );
        assert_eq!(Status::Program(130).exit_code(), 130);
        assert_eq!(Status::Kernel(Kernel::Fault).exit_code(), 3);
    }
}
