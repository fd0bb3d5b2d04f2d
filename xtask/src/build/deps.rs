//! Host packages the QEMU boots need: what to look for, and installing the
//! Debian packages when missing (as root) or naming the command to run.

use std::path::Path;
use std::process::Command;

use crate::arch::Arch;
use crate::error::{bail, Context, Result};
use crate::{proc, qemu};

/// The Debian/Ubuntu packages that provide everything below. The one place
/// this list lives.
pub const APT_PACKAGES: &[&str] = &[
    "qemu-system-x86",
    "ovmf",
    "grub-pc-bin",
    "grub-efi-amd64-bin",
    "grub-common",
    "xorriso",
    "mtools",
    "musl-tools",
    "busybox-static",
    "dpkg-dev",
    "e2fsprogs",
];

/// Something a boot needs from the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The QEMU system emulator for an architecture.
    Qemu(Arch),
    /// `grub-mkrescue` with its BIOS and UEFI modules, `xorriso`, `mformat`.
    IsoTools,
    /// An OVMF firmware image.
    Ovmf,
    /// `musl-gcc`, which builds the C benchmark (`user/cbench`) static.
    Musl,
    /// `dpkg-source`, with which `apt-get source` unpacks busybox's
    /// source for its test suite (`busybox-suite`).
    DpkgSource,
}

/// Everything, for `cargo xtask test`.
pub const ALL: &[Need] = &[
    Need::Qemu(Arch::X86_64),
    Need::Qemu(Arch::I386),
    Need::IsoTools,
    Need::Ovmf,
    Need::Musl,
    Need::DpkgSource,
];

impl Need {
    /// The names of the missing pieces (empty if all are present).
    fn missing(self) -> Vec<String> {
        let prog = |p: &str| proc::which(p).is_none().then(|| p.to_string());
        let dir = |d: &str| (!Path::new(d).is_dir()).then(|| d.to_string());
        match self {
            Need::Qemu(arch) => prog(arch.qemu()).into_iter().collect(),
            Need::IsoTools => [
                prog("grub-mkrescue"),
                prog("xorriso"),
                prog("mformat"),
                dir("/usr/lib/grub/i386-pc"),
                dir("/usr/lib/grub/x86_64-efi"),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Need::Musl => prog("musl-gcc").into_iter().collect(),
            Need::DpkgSource => prog("dpkg-source").into_iter().collect(),
            Need::Ovmf => match qemu::ovmf() {
                Some(_) => vec![],
                None => vec!["OVMF firmware (/usr/share/ovmf/OVMF.fd)".into()],
            },
        }
    }
}

fn missing(needs: &[Need]) -> Vec<String> {
    needs.iter().flat_map(|n| n.missing()).collect()
}

/// True when running as root (uid 0).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next())
            == Some("0")
    })
}

/// The command a non-root user should run.
pub fn install_hint() -> String {
    format!(
        "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y {}",
        APT_PACKAGES.join(" ")
    )
}

fn apt(args: &[&str]) -> Result<()> {
    let mut cmd = Command::new("apt-get");
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    let (status, out) = proc::run_captured(cmd).with_context(|| "running apt-get")?;
    if !status.success() {
        bail!(
            "apt-get {} failed ({status}):\n{}",
            args.join(" "),
            proc::tail(&out, 20).join("\n")
        );
    }
    Ok(())
}

/// Makes sure `needs` are present: installs the packages when root,
/// otherwise fails with the command to run. Returns a one-line report.
pub fn ensure(needs: &[Need]) -> Result<String> {
    let before = missing(needs);
    if before.is_empty() {
        return Ok("host packages present".into());
    }
    if !is_root() {
        bail!(
            "missing on this host: {}\nrun this, then try again:\n  {}",
            before.join(", "),
            install_hint()
        );
    }
    eprintln!(
        "xtask: missing {}; installing {} with apt-get",
        before.join(", "),
        APT_PACKAGES.join(" ")
    );
    apt(&["update"])?;
    let mut install = vec!["install", "-y"];
    install.extend_from_slice(APT_PACKAGES);
    apt(&install)?;
    let after = missing(needs);
    if !after.is_empty() {
        bail!(
            "still missing after installing packages: {}",
            after.join(", ")
        );
    }
    Ok(format!("installed {}", APT_PACKAGES.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_names_every_package_once() {
        let hint = install_hint();
        for p in APT_PACKAGES {
            assert_eq!(hint.matches(&format!(" {p}")).count(), 1, "{p}");
        }
        assert!(hint.contains("apt-get install -y"));
    }
}
