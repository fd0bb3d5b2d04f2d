//! `cargo xtask run`: build, boot in QEMU with the serial console on the
//! terminal, fall back from KVM to TCG if the banner does not appear, and
//! exit with the guest's status.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::accel::{self, Accel};
use crate::build::{self, Artifacts, Output};
use crate::cli::{Boot, RunOpts};
use crate::deps::{self, Need};
use crate::error::Result;
use crate::image;
use crate::qemu::{status_meaning, Exit, Machine};
use crate::session::{self, Input, Watch};

/// Exit code of `cargo xtask run` when QEMU itself failed.
pub const QEMU_ERROR_EXIT: u8 = 125;

/// The host pieces a boot with these options needs.
pub fn needs(opts: &RunOpts) -> Vec<Need> {
    let mut needs = vec![Need::Qemu(opts.arch)];
    if opts.boot != Boot::Direct {
        needs.push(Need::IsoTools);
    }
    if opts.boot == Boot::Uefi {
        needs.push(Need::Ovmf);
    }
    needs
}

/// Checks host packages, builds, and makes the ISO if the boot needs one.
pub fn prepare(opts: &RunOpts) -> Result<(Artifacts, Option<PathBuf>)> {
    let report = deps::ensure(&needs(opts))?;
    if report.starts_with("installed") {
        eprintln!("xtask: {report}");
    }
    let art = build::all(opts.arch, &opts.adds, Output::Show)?;
    eprintln!("xtask: built {}", art.describe());
    let iso = match opts.boot {
        Boot::Direct => None,
        Boot::Iso | Boot::Uefi => Some(image::iso(&art, &opts.cmdline())?),
    };
    Ok((art, iso))
}

/// The machine for these options.
pub fn machine<'a>(
    opts: &'a RunOpts,
    art: &'a Artifacts,
    iso: Option<&'a PathBuf>,
    cmdline: &'a str,
    accel: Accel,
    gdb: bool,
) -> Machine<'a> {
    Machine {
        arch: opts.arch,
        boot: opts.boot,
        accel,
        smp: opts.smp,
        mem: &opts.mem,
        kernel: &art.kernel,
        initrd: &art.initrd,
        iso: iso.map(PathBuf::as_path),
        cmdline,
        gdb,
    }
}

/// Saves the terminal settings and restores them on drop: QEMU puts the
/// terminal in raw mode and cannot restore it if it has to be killed.
pub struct TermGuard(Option<String>);

impl TermGuard {
    /// Saves the settings if stdin is a terminal.
    pub fn save() -> TermGuard {
        if !std::io::stdin().is_terminal() {
            return TermGuard(None);
        }
        let saved = Command::new("stty")
            .arg("-g")
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        TermGuard(saved)
    }
}

impl Drop for TermGuard {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            let _ = Command::new("stty").arg(saved).status();
        }
    }
}

/// Maps QEMU's end to `cargo xtask run`'s exit code, with a closing note.
pub fn exit_code(exit: Exit) -> u8 {
    match exit {
        Exit::Guest(s) => {
            eprintln!(
                "xtask: guest exited with status {s} ({})",
                status_meaning(s)
            );
            s
        }
        Exit::QemuError(c) => {
            eprintln!("xtask: QEMU failed (exit code {c})");
            QEMU_ERROR_EXIT
        }
        Exit::Signal => {
            eprintln!("xtask: QEMU was stopped by a signal");
            130
        }
    }
}

/// `cargo xtask run`.
pub fn run(opts: &RunOpts) -> Result<u8> {
    let (art, iso) = prepare(opts)?;
    let cmdline = opts.cmdline();
    let mut accel = if opts.tcg {
        Accel::Tcg
    } else if accel::kvm_device_usable() {
        Accel::Kvm
    } else {
        eprintln!("xtask: /dev/kvm is not usable; using TCG (software emulation)");
        Accel::Tcg
    };
    loop {
        let m = machine(opts, &art, iso.as_ref(), &cmdline, accel, false);
        eprintln!(
            "xtask: booting {} via {} under {} with cmdline \"{cmdline}\"",
            opts.arch,
            opts.boot.name(),
            accel.name()
        );
        eprintln!("xtask: {}", m.shell_line()?);
        let watch = Watch {
            echo: true,
            input: Input::Inherit,
            timeout: None,
            banner_timeout: (accel == Accel::Kvm).then_some(accel::KVM_BANNER_TIMEOUT),
            capture_stderr: false,
        };
        let outcome = {
            let _term = TermGuard::save();
            session::run(m.command()?, &watch)?
        };
        let guest_reported = matches!(outcome.exit, Exit::Guest(s) if s != 0);
        if accel == Accel::Kvm && outcome.banner_after.is_none() && !guest_reported {
            eprintln!(
                "\nxtask: no ExoV6 banner within {} s under KVM (nested KVM hangs on some boot paths); rerunning under TCG",
                accel::KVM_BANNER_TIMEOUT.as_secs()
            );
            accel = Accel::Tcg;
            continue;
        }
        return Ok(exit_code(outcome.exit));
    }
}
