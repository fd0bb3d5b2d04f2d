//! The QEMU command line for a boot (machine, devices, accelerator,
//! firmware, boot path) and the decoding of QEMU's exit code into the
//! guest's status.

pub mod accel;
pub mod accel_cache;
pub mod pty;
pub mod session;
pub mod status;
pub mod term;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use crate::arch::Arch;
use crate::cli::Boot;
use crate::error::{bail, Result};
use accel::Accel;
use status::Status;

/// Candidate OVMF images: (path, loaded as `-bios` rather than pflash).
const OVMF_CANDIDATES: &[(&str, bool)] = &[
    ("/usr/share/ovmf/OVMF.fd", true),
    ("/usr/share/OVMF/OVMF_CODE.fd", false),
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", false),
    ("/usr/share/qemu/OVMF.fd", true),
];

/// UEFI firmware for the `--uefi` boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Firmware {
    /// A combined image loaded with `-bios`.
    Bios(PathBuf),
    /// A code-only image mapped read-only as pflash.
    Pflash(PathBuf),
}

/// Finds an OVMF image.
pub fn ovmf() -> Option<Firmware> {
    OVMF_CANDIDATES
        .iter()
        .find(|(p, _)| Path::new(p).is_file())
        .map(|&(p, bios)| {
            if bios {
                Firmware::Bios(p.into())
            } else {
                Firmware::Pflash(p.into())
            }
        })
}

/// How the guest's serial console meets QEMU's stdin and stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Console {
    /// `-serial stdio -monitor none`: bytes pass unchanged both ways (a
    /// pipe, a script's input).
    Plain,
    /// A person's terminal: `-chardev stdio,mux=on,signal=off` carries
    /// the serial port and the monitor. QEMU puts the terminal in raw mode
    /// without signals, so Ctrl-C, Ctrl-Z and Ctrl-\ reach the guest as
    /// bytes; Ctrl-A X quits QEMU, Ctrl-A C switches to the monitor and
    /// back, Ctrl-A Ctrl-A types a Ctrl-A.
    Terminal,
}

impl Console {
    /// The QEMU arguments.
    pub fn qemu_args(self) -> &'static [&'static str] {
        match self {
            Console::Plain => &["-serial", "stdio", "-monitor", "none"],
            Console::Terminal => &[
                "-chardev",
                "stdio,id=console,mux=on,signal=off",
                "-serial",
                "chardev:console",
                "-mon",
                "chardev=console,mode=readline",
            ],
        }
    }
}

/// One QEMU boot.
#[derive(Clone, Debug)]
pub struct Machine<'a> {
    /// Architecture.
    pub arch: Arch,
    /// Boot path.
    pub boot: Boot,
    /// Accelerator.
    pub accel: Accel,
    /// CPUs.
    pub smp: u32,
    /// Memory size (QEMU syntax).
    pub mem: &'a str,
    /// Kernel ELF (direct boot).
    pub kernel: &'a Path,
    /// Initrd (direct boot).
    pub initrd: &'a Path,
    /// ISO (ISO and UEFI boots).
    pub iso: Option<&'a Path>,
    /// Kernel command line (direct boot; ISO boots bake it into grub.cfg).
    pub cmdline: &'a str,
    /// Start paused with the gdb stub on :1234 (`-s -S`).
    pub gdb: bool,
    /// The serial console's connection to stdin and stdout.
    pub console: Console,
}

impl Machine<'_> {
    /// The arguments after the program name.
    pub fn args(&self) -> Result<Vec<String>> {
        let smp = self.smp.to_string();
        let mut a: Vec<String> = ["-machine", "q35", "-m", self.mem, "-smp", &smp]
            .iter()
            .chain(&["-display", "none"])
            .chain(self.console.qemu_args())
            .chain(&[
                "-no-reboot",
                "-device",
                "isa-debug-exit,iobase=0xf4,iosize=0x04",
            ])
            .map(|s| s.to_string())
            .collect();
        a.extend(self.accel.qemu_args().iter().map(|s| s.to_string()));
        let path = |p: &Path| p.display().to_string();
        match self.boot {
            Boot::Direct => {
                a.extend(["-kernel".into(), path(self.kernel)]);
                a.extend(["-initrd".into(), path(self.initrd)]);
                a.extend(["-append".into(), self.cmdline.to_string()]);
            }
            Boot::Iso | Boot::Uefi => {
                let Some(iso) = self.iso else {
                    bail!("internal error: ISO boot without an ISO");
                };
                if self.boot == Boot::Uefi {
                    match ovmf() {
                        Some(Firmware::Bios(p)) => a.extend(["-bios".into(), path(&p)]),
                        Some(Firmware::Pflash(p)) => a.extend([
                            "-drive".into(),
                            format!("if=pflash,format=raw,readonly=on,file={}", path(&p)),
                        ]),
                        None => bail!("no OVMF image found (install the `ovmf` package)"),
                    }
                }
                a.extend(["-cdrom".into(), path(iso), "-boot".into(), "d".into()]);
            }
        }
        if self.gdb {
            a.extend(["-s".into(), "-S".into()]);
        }
        Ok(a)
    }

    /// The command, ready to spawn.
    pub fn command(&self) -> Result<Command> {
        let mut cmd = Command::new(self.arch.qemu());
        cmd.args(self.args()?);
        Ok(cmd)
    }

    /// The command as a copy-pasteable shell line.
    pub fn shell_line(&self) -> Result<String> {
        let mut line = self.arch.qemu().to_string();
        for arg in self.args()? {
            line.push(' ');
            line.push_str(&shell_quote(&arg));
        }
        Ok(line)
    }
}

/// Quotes a word for a POSIX shell when needed.
pub fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "=,._-/:+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What QEMU prints when Ctrl-A X quits it.
const QUIT_LINE: &str = "QEMU: Terminated";

/// How QEMU ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The guest powered off (QEMU exit code 0) or wrote to isa-debug-exit
    /// (QEMU exit code `(v << 1) | 1`); see [`crate::status`].
    Guest(Status),
    /// An exit code no guest can produce: QEMU itself failed.
    QemuError(i32),
    /// QEMU was killed by a signal (by us on a timeout, or by the user).
    Signal,
    /// QEMU was quit from the keyboard (Ctrl-A X on a terminal console).
    Quit,
}

impl Exit {
    /// Widens a program status with the console's report of the whole
    /// exit code ([`Status::widened`]).
    pub fn widened(self, lines: &[String]) -> Exit {
        match self {
            Exit::Guest(s) => Exit::Guest(s.widened(lines)),
            other => other,
        }
    }

    /// A clean exit whose last line is QEMU's own `QEMU: Terminated`
    /// (printed when Ctrl-A X quits it) was a quit, not the guest's end.
    pub fn quit_by_keys(self, lines: &[String]) -> Exit {
        let last = lines.iter().rev().find(|l| !l.trim().is_empty());
        match (self, last) {
            (Exit::Guest(Status::Ok), Some(l)) if l.trim_end().ends_with(QUIT_LINE) => Exit::Quit,
            _ => self,
        }
    }

    /// Decodes QEMU's exit status.
    pub fn from_status(status: ExitStatus) -> Exit {
        match status.code() {
            Some(code) => Exit::from_code(code),
            None => Exit::Signal,
        }
    }

    /// Decodes QEMU's exit code.
    pub fn from_code(code: i32) -> Exit {
        match code {
            0 => Exit::Guest(Status::from_port(None)),
            c if (1..=255).contains(&c) && c & 1 == 1 => {
                Exit::Guest(Status::from_port(Some((c >> 1) as u8)))
            }
            c => Exit::QemuError(c),
        }
    }

    /// True if the guest ended cleanly ([`Status::is_ok`]).
    pub fn is_ok(self) -> bool {
        matches!(self, Exit::Guest(s) if s.is_ok())
    }

    /// Human-readable description.
    pub fn describe(self) -> String {
        match self {
            Exit::Guest(s) => s.describe(),
            Exit::QemuError(c) => format!("QEMU error (exit code {c})"),
            Exit::Signal => "QEMU killed by a signal".into(),
            Exit::Quit => "QEMU quit from the keyboard (Ctrl-A X)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(boot: Boot) -> Machine<'static> {
        Machine {
            arch: Arch::X86_64,
            boot,
            accel: Accel::Tcg,
            smp: 2,
            mem: "1G",
            kernel: Path::new("/k.elf"),
            initrd: Path::new("/i.cpio"),
            iso: Some(Path::new("/x.iso")),
            cmdline: "shutdown log=debug",
            gdb: false,
            console: Console::Plain,
        }
    }

    #[test]
    fn direct_boot_arguments() {
        let args = machine(Boot::Direct).args().unwrap().join(" ");
        assert!(args.starts_with("-machine q35 -m 1G -smp 2 -display none -serial stdio -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"));
        assert!(args.contains("-accel tcg -cpu max"));
        assert!(args.ends_with("-kernel /k.elf -initrd /i.cpio -append shutdown log=debug"));
        assert!(!args.contains("-cdrom"));
        let mut m = machine(Boot::Direct);
        m.console = Console::Terminal;
        let args = m.args().unwrap().join(" ");
        assert!(args.contains(
            "-display none -chardev stdio,id=console,mux=on,signal=off -serial chardev:console -mon chardev=console,mode=readline -no-reboot"
        ));
    }

    #[test]
    fn iso_and_gdb_arguments() {
        let mut m = machine(Boot::Iso);
        m.gdb = true;
        m.accel = Accel::Kvm;
        let args = m.args().unwrap().join(" ");
        assert!(args.contains("-accel kvm -cpu host,-arch-capabilities"));
        assert!(args.contains("-cdrom /x.iso -boot d"));
        assert!(args.ends_with("-s -S"));
        assert!(!args.contains("-kernel") && !args.contains("-append"));
        let line = m.shell_line().unwrap();
        assert!(line.starts_with("qemu-system-x86_64 -machine q35"));
    }

    #[test]
    fn exit_codes_decode_to_guest_status() {
        use status::Kernel;
        assert_eq!(Exit::from_code(0), Exit::Guest(Status::Ok));
        assert_eq!(Exit::from_code(1), Exit::Guest(Status::Program(0)));
        assert_eq!(Exit::from_code(5), Exit::Guest(Status::Program(2)));
        assert_eq!(
            Exit::from_code(0x85),
            Exit::Guest(Status::Kernel(Kernel::Panic))
        );
        assert_eq!(
            Exit::from_code(0x87),
            Exit::Guest(Status::Kernel(Kernel::Fault))
        );
        assert_eq!(
            Exit::from_code(0x8b),
            Exit::Guest(Status::Kernel(Kernel::RootFault))
        );
        assert_eq!(Exit::from_code(2), Exit::QemuError(2));
        assert_eq!(Exit::from_code(256), Exit::QemuError(256));
        assert_eq!(Exit::from_code(-1), Exit::QemuError(-1));
    }

    #[test]
    fn a_keyboard_quit_is_not_a_power_off() {
        let lines = |l: &str| vec!["/ # ".to_string(), l.to_string()];
        let off = Exit::Guest(Status::Ok);
        assert_eq!(off.quit_by_keys(&lines("/ # QEMU: Terminated")), Exit::Quit);
        assert_eq!(
            off.quit_by_keys(&lines("kernel: all 5 frames returned")),
            off
        );
        let five = Exit::Guest(Status::Program(5));
        assert_eq!(five.quit_by_keys(&lines("QEMU: Terminated")), five);
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("plain"), "plain");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
    }
}
