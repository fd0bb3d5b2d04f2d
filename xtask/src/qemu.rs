//! The QEMU command line for a boot (machine, devices, accelerator,
//! firmware, boot path) and the decoding of QEMU's exit code into the
//! guest's status.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use crate::accel::Accel;
use crate::arch::Arch;
use crate::cli::Boot;
use crate::error::{bail, Result};

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
}

impl Machine<'_> {
    /// The arguments after the program name.
    pub fn args(&self) -> Result<Vec<String>> {
        let mut a: Vec<String> = [
            "-machine",
            "q35",
            "-m",
            self.mem,
            "-smp",
            &self.smp.to_string(),
            "-display",
            "none",
            "-serial",
            "stdio",
            "-monitor",
            "none",
            "-no-reboot",
            "-device",
            "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]
        .iter()
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

/// How QEMU ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The guest powered off (status 0) or wrote status `s` to
    /// isa-debug-exit (QEMU exit code `(s << 1) | 1`).
    Guest(u8),
    /// An exit code no guest can produce: QEMU itself failed.
    QemuError(i32),
    /// QEMU was killed by a signal (by us on a timeout, or by the user).
    Signal,
}

impl Exit {
    /// isa-debug-exit carries only 7 bits of status (QEMU's exit code is
    /// `(s << 1) | 1` in a byte); the kernel prints the root task's whole
    /// exit code (`root: exited with code N`) before powering off with it,
    /// so a status that agrees with the last such line in its low 7 bits is
    /// that code (128 + N for a program killed by signal N).
    pub fn widened(self, lines: &[String]) -> Exit {
        let Exit::Guest(s) = self else {
            return self;
        };
        let code = lines
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("root: exited with code "))
            .and_then(|c| c.trim().parse::<i64>().ok());
        match code {
            Some(c) if (0..=255).contains(&c) && (c as u8) & 0x7f == s => Exit::Guest(c as u8),
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
            0 => Exit::Guest(0),
            c if (1..=255).contains(&c) && c & 1 == 1 => Exit::Guest((c >> 1) as u8),
            c => Exit::QemuError(c),
        }
    }

    /// Human-readable description.
    pub fn describe(self) -> String {
        match self {
            Exit::Guest(s) => format!("status {s} ({})", status_meaning(s)),
            Exit::QemuError(c) => format!("QEMU error (exit code {c})"),
            Exit::Signal => "QEMU killed by a signal".into(),
        }
    }
}

/// What a guest status means.
pub fn status_meaning(status: u8) -> &'static str {
    match status {
        0 => "ok",
        1 => "self-test failed",
        2 => "kernel panic",
        3 => "CPU exception",
        4 => "not enough memory to boot",
        _ => "unknown status",
    }
}

#[cfg(test)]
mod widen_tests {
    use super::Exit;

    #[test]
    fn root_exit_code_widens_the_seven_bit_status() {
        let lines = |c: &str| {
            vec![
                format!("root: exited with code {c}"),
                "kernel: root task gone".into(),
            ]
        };
        assert_eq!(Exit::Guest(2).widened(&lines("130")), Exit::Guest(130));
        assert_eq!(Exit::Guest(5).widened(&lines("5")), Exit::Guest(5));
        // A status that does not agree with the line is left alone.
        assert_eq!(Exit::Guest(3).widened(&lines("130")), Exit::Guest(3));
        assert_eq!(Exit::Guest(0).widened(&[]), Exit::Guest(0));
        assert_eq!(Exit::Signal.widened(&lines("1")), Exit::Signal);
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
        }
    }

    #[test]
    fn direct_boot_arguments() {
        let args = machine(Boot::Direct).args().unwrap().join(" ");
        assert!(args.starts_with("-machine q35 -m 1G -smp 2 -display none -serial stdio -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"));
        assert!(args.contains("-accel tcg -cpu max"));
        assert!(args.ends_with("-kernel /k.elf -initrd /i.cpio -append shutdown log=debug"));
        assert!(!args.contains("-cdrom"));
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
        assert_eq!(Exit::from_code(0), Exit::Guest(0));
        assert_eq!(Exit::from_code(1), Exit::Guest(0));
        assert_eq!(Exit::from_code(3), Exit::Guest(1));
        assert_eq!(Exit::from_code(5), Exit::Guest(2));
        assert_eq!(Exit::from_code(7), Exit::Guest(3));
        assert_eq!(Exit::from_code(2), Exit::QemuError(2));
        assert_eq!(Exit::from_code(256), Exit::QemuError(256));
        assert_eq!(Exit::from_code(-1), Exit::QemuError(-1));
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("plain"), "plain");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
    }
}
