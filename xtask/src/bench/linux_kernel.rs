//! Debian's own x86_64 kernel for the Linux side of the benchmarks: the
//! `linux-image-*-cloud-amd64` package that `linux-image-cloud-amd64`
//! depends on, downloaded with `apt-get download` (never installed on the
//! host), unpacked with `dpkg-deb -x`, and kept in `target/linux/` so it
//! is fetched once.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{bail, Context, Error, Result};
use crate::{paths, proc};

/// The meta package whose dependency names the current kernel package.
pub const META_PACKAGE: &str = "linux-image-cloud-amd64";

/// The kernel that is booted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kernel {
    /// `target/linux/vmlinuz-<release>`.
    pub vmlinuz: PathBuf,
    /// The Debian package, e.g. `linux-image-6.1.0-56-cloud-amd64`.
    pub package: String,
    /// Its Debian version, e.g. `6.1.192-2`.
    pub version: String,
    /// The kernel release (`uname -r`), e.g. `6.1.0-56-cloud-amd64`.
    pub release: String,
}

impl Kernel {
    /// `Debian linux-image-6.1.0-56-cloud-amd64 6.1.192-2`.
    pub fn describe(&self) -> String {
        format!("Debian {} {}", self.package, self.version)
    }
}

/// `target/linux/`.
pub fn dir() -> PathBuf {
    paths::target_dir().join("linux")
}

/// The record of what was unpacked: `package version release` on one line.
fn record_path() -> PathBuf {
    dir().join("kernel.txt")
}

/// Reads the record; `None` if it or the kernel it names is missing.
fn cached() -> Option<Kernel> {
    let text = std::fs::read_to_string(record_path()).ok()?;
    let mut w = text.split_whitespace();
    let (package, version, release) = (w.next()?, w.next()?, w.next()?);
    let vmlinuz = dir().join(format!("vmlinuz-{release}"));
    vmlinuz.is_file().then(|| Kernel {
        vmlinuz,
        package: package.into(),
        version: version.into(),
        release: release.into(),
    })
}

fn run(mut cmd: Command, what: &str) -> Result<String> {
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    let (status, out) = proc::run_captured(cmd).with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!(
            "{what} failed ({status}):\n{}",
            proc::tail(&out, 15).join("\n")
        );
    }
    Ok(out)
}

/// The `linux-image-<release>` package `META_PACKAGE` depends on, from
/// `apt-cache depends` output.
pub fn dependency(depends: &str) -> Option<String> {
    depends.lines().find_map(|l| {
        let pkg = l.trim().strip_prefix("Depends:")?.trim();
        (pkg.starts_with("linux-image-") && pkg != META_PACKAGE).then(|| pkg.to_string())
    })
}

/// The first `Version:` of `apt-cache show` output.
fn version(show: &str) -> Option<String> {
    show.lines()
        .find_map(|l| l.strip_prefix("Version:"))
        .map(|v| v.trim().to_string())
}

/// Asks apt which kernel package is current, after `apt-get update` if
/// apt does not know the meta package yet.
fn resolve() -> Result<(String, String)> {
    if proc::which("apt-get").is_none() || proc::which("dpkg-deb").is_none() {
        bail!("fetching Debian's kernel needs apt-get and dpkg-deb (a Debian or Ubuntu host)");
    }
    let depends = || {
        let mut c = Command::new("apt-cache");
        c.args(["depends", META_PACKAGE]);
        run(c, "apt-cache depends")
            .ok()
            .and_then(|o| dependency(&o))
    };
    let package = match depends() {
        Some(p) => p,
        None => {
            let mut c = Command::new("apt-get");
            c.arg("update");
            run(c, "apt-get update (to find Debian's kernel package)")?;
            depends().ok_or_else(|| {
                Error::msg(format!(
                    "apt knows no package `{META_PACKAGE}` (is this a Debian host?)"
                ))
            })?
        }
    };
    let mut c = Command::new("apt-cache");
    c.args(["show", "--no-all-versions", &package]);
    let show = run(c, "apt-cache show")?;
    let version = version(&show).ok_or_else(|| Error::msg(format!("no version for {package}")))?;
    Ok((package, version))
}

/// Finds `boot/vmlinuz-*` under an unpacked package.
fn find_vmlinuz(root: &Path) -> Result<(PathBuf, String)> {
    for entry in std::fs::read_dir(root.join("boot"))
        .with_context(|| format!("the package has no boot/ ({})", root.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if let Some(release) = name.strip_prefix("vmlinuz-") {
            return Ok((path.clone(), release.to_string()));
        }
    }
    bail!("no boot/vmlinuz-* in the package")
}

/// The kernel, downloaded and unpacked on first use. Prints what it does
/// when it has to fetch.
pub fn ensure() -> Result<Kernel> {
    if let Some(k) = cached() {
        return Ok(k);
    }
    let dir = dir();
    let work = dir.join("download");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let download = |(package, version): &(String, String)| {
        eprintln!("xtask: fetching {package} {version} (Debian's kernel) with apt-get download");
        let mut c = Command::new("apt-get");
        c.args(["download", &format!("{package}={version}")])
            .current_dir(&work);
        run(c, "apt-get download")
    };
    let mut wanted = resolve()?;
    if download(&wanted).is_err() {
        // Stale package lists name a version the archive has dropped.
        let mut c = Command::new("apt-get");
        c.arg("update");
        run(c, "apt-get update")?;
        wanted = resolve()?;
        download(&wanted)?;
    }
    let (package, version) = wanted;
    let deb = std::fs::read_dir(&work)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| Error::msg("apt-get download left no .deb"))?;
    let unpacked = work.join("root");
    let mut c = Command::new("dpkg-deb");
    c.arg("-x").arg(&deb).arg(&unpacked);
    run(c, "dpkg-deb -x")?;
    let (src, release) = find_vmlinuz(&unpacked)?;
    let vmlinuz = dir.join(format!("vmlinuz-{release}"));
    std::fs::copy(&src, &vmlinuz)
        .with_context(|| format!("copying the kernel to {}", vmlinuz.display()))?;
    let config = unpacked.join("boot").join(format!("config-{release}"));
    if config.is_file() {
        let _ = std::fs::copy(&config, dir.join(format!("config-{release}")));
    }
    // Only the kernel image is needed (no modules: the initramfs has none).
    let _ = std::fs::remove_dir_all(&work);
    std::fs::write(record_path(), format!("{package} {version} {release}\n"))?;
    Ok(Kernel {
        vmlinuz,
        package,
        version,
        release,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_apt_output() {
        let depends = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";
        assert_eq!(
            dependency(depends).as_deref(),
            Some("linux-image-6.1.0-56-cloud-amd64")
        );
        assert_eq!(dependency("linux-image-cloud-amd64\n"), None);
        let show =
            "Package: linux-image-6.1.0-56-cloud-amd64\nVersion: 6.1.192-2\nArchitecture: amd64\n";
        assert_eq!(version(show).as_deref(), Some("6.1.192-2"));
    }
}
