//! The accelerator `cargo xtask run` and the session tests boot with: the
//! verdict of the same KVM probe `cargo xtask test` makes
//! ([`crate::kvm_probe`]), kept in `target/exov6/kvm-probe` so that a second
//! run does not probe again. The file names what it was measured with (the
//! QEMU binary and the host kernel); a different one is probed anew.

use std::path::PathBuf;

use crate::build::Artifacts;
use crate::error::{bail, Result};
use crate::paths;
use crate::qemu::accel::{self, Accel, KVM_BANNER_TIMEOUT};
use crate::test::kvm_probe::{probe_test, Finding};
use crate::test::qemu_runner::boot_once;

/// The cache file.
pub fn path() -> PathBuf {
    paths::target_dir().join("exov6").join("kvm-probe")
}

/// What a verdict holds for: the QEMU binary (path, size, modification
/// time) and the host kernel's release.
fn key() -> String {
    let qemu = crate::proc::which(crate::arch::Arch::X86_64.qemu());
    let stamp = qemu
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            format!("{} {mtime}", m.len())
        })
        .unwrap_or_default();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "qemu={} {stamp} host={}",
        qemu.map(|p| p.display().to_string()).unwrap_or_default(),
        release.trim()
    )
}

/// Records the probe's verdict (an inconclusive probe records nothing).
pub fn store(finding: &Finding) {
    let Some((accel, why)) = finding.verdict() else {
        return;
    };
    let p = path();
    if let Some(dir) = p.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(p, format!("{}\n{}\n{why}\n", key(), accel.name()));
}

/// The cached verdict, if it was made with this QEMU on this host.
pub fn load() -> Option<(Accel, String)> {
    parse(&std::fs::read_to_string(path()).ok()?, &key())
}

/// Reads a cache file's text made under `key`.
fn parse(text: &str, key: &str) -> Option<(Accel, String)> {
    let mut lines = text.lines();
    if lines.next()? != key {
        return None;
    }
    let accel = match lines.next()? {
        "kvm" => Accel::Kvm,
        "tcg" => Accel::Tcg,
        _ => return None,
    };
    Some((accel, lines.next()?.to_string()))
}

/// The accelerator for an interactive boot.
#[derive(Clone, Debug)]
pub struct Choice {
    /// The accelerator.
    pub accel: Accel,
    /// Why, for the user.
    pub why: String,
    /// Whether a KVM boot with no banner in time is rerun under TCG
    /// (not when KVM was asked for).
    pub fallback: bool,
}

/// Chooses: `force` (`--kvm`, `--tcg`) if given, else TCG without a usable
/// `/dev/kvm`, else the cached verdict, else the probe (two boots of
/// `art`, then cached).
pub fn choose(force: Option<Accel>, art: &Artifacts) -> Result<Choice> {
    let choice = |accel, why: &str, fallback| Choice {
        accel,
        why: why.to_string(),
        fallback,
    };
    match force {
        Some(Accel::Tcg) => return Ok(choice(Accel::Tcg, "--tcg", false)),
        Some(Accel::Kvm) if !accel::kvm_device_usable() => {
            bail!("--kvm: /dev/kvm is not usable")
        }
        Some(Accel::Kvm) => return Ok(choice(Accel::Kvm, "--kvm", false)),
        None => {}
    }
    if !accel::kvm_device_usable() {
        return Ok(choice(Accel::Tcg, "/dev/kvm is not usable", false));
    }
    let shown = paths::show(&path());
    if let Some((accel, why)) = load() {
        let why = format!("{why}; the probe's verdict cached in {shown}");
        return Ok(choice(accel, &why, accel == Accel::Kvm));
    }
    eprintln!("xtask: timing a boot under KVM and under TCG once (the verdict goes to {shown})");
    let test = probe_test(art.arch);
    let banner = |accel, timeout| {
        boot_once(&test, art, None, accel, timeout)
            .ok()
            .and_then(|o| o.banner_after)
    };
    let finding = Finding::of(
        banner(Accel::Kvm, Some(KVM_BANNER_TIMEOUT)),
        banner(Accel::Tcg, None),
    );
    store(&finding);
    Ok(match finding.verdict() {
        Some((accel, why)) => choice(accel, &why, accel == Accel::Kvm),
        None => choice(Accel::Kvm, "the KVM probe was inconclusive", true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_holds_only_for_its_key() {
        let text = "qemu=/usr/bin/q 1 2 host=6.1\ntcg\nKVM is slower here\n";
        assert_eq!(
            parse(text, "qemu=/usr/bin/q 1 2 host=6.1"),
            Some((Accel::Tcg, "KVM is slower here".into()))
        );
        assert_eq!(parse(text, "qemu=/usr/bin/q 1 3 host=6.1"), None);
        assert_eq!(parse("k\nhvf\nx\n", "k"), None);
        assert_eq!(parse("k\nkvm\n", "k"), None);
    }
}
