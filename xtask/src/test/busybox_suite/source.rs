//! The busybox source package the suite comes from: the source version of
//! the installed `busybox-static` (so the tests match the binary), fetched
//! with `apt-get source` into `target/busybox-suite/src/` once and reused.
//! A machine without `deb-src` entries gets one (as root):
//! `/etc/apt/sources.list.d/exov6-src.sources`, then `apt-get update`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{bail, Context, Result};
use crate::proc;

/// The binary package whose busybox is tested.
const BINARY_PACKAGE: &str = "busybox-static";
/// The source package.
const SOURCE_PACKAGE: &str = "busybox";
/// The `deb-src` entries this module adds when there are none.
pub const SOURCES_FILE: &str = "/etc/apt/sources.list.d/exov6-src.sources";
/// The key Debian's archive is signed with (package debian-archive-keyring).
const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
/// The configuration the static flavour is built with, in the source.
const STATIC_CONFIG: &str = "debian/config/pkg/static";

/// An unpacked source tree.
#[derive(Clone, Debug)]
pub struct Source {
    /// The source version (`1:1.35.0-4+deb12u1`).
    pub version: String,
    /// Its `testsuite/` directory.
    pub testsuite: PathBuf,
    /// The static flavour's `.config`.
    pub config: PathBuf,
}

/// Where the source is unpacked.
pub fn dir() -> PathBuf {
    crate::paths::target_dir().join("busybox-suite").join("src")
}

/// Runs `cmd`, failing with its output's tail if it fails.
fn run(mut cmd: Command, what: &str) -> Result<String> {
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    let (status, out) = proc::run_captured(cmd).with_context(|| what.to_string())?;
    if !status.success() {
        bail!(
            "{what} failed ({status}):\n{}",
            proc::tail(&out, 15).join("\n")
        );
    }
    Ok(out)
}

/// The source version of the installed binary package.
fn installed_source_version() -> Result<String> {
    let mut cmd = Command::new("dpkg-query");
    cmd.args(["-W", "-f", "${source:Version}", BINARY_PACKAGE]);
    let out = run(cmd, &format!("dpkg-query for {BINARY_PACKAGE}"))?;
    let v = out.trim().to_string();
    if v.is_empty() {
        bail!("{BINARY_PACKAGE} is not installed");
    }
    Ok(v)
}

/// True when apt knows where to get the source package.
fn apt_has_source() -> bool {
    let mut cmd = Command::new("apt-cache");
    cmd.args(["showsrc", "--only-source", SOURCE_PACKAGE]);
    matches!(proc::run_captured(cmd), Ok((s, out)) if s.success() && out.contains("Package: "))
}

/// The distribution's code name (`bookworm`), from /etc/os-release.
fn codename() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "bookworm".into())
}

/// The text of [`SOURCES_FILE`]: Debian's main archive and its security
/// archive, as deb-src, in the deb822 form Debian 12 uses. With `signed`
/// the entries name the archive key, as Debian 12's own entries do (apt
/// refuses entries for one archive that disagree on it).
pub fn sources_text(codename: &str, signed: bool) -> String {
    let signed_by = if signed {
        format!("Signed-By: {DEBIAN_KEYRING}\n")
    } else {
        String::new()
    };
    format!(
        "# Added by `cargo xtask test` (busybox-suite): busybox's source package.\n\
         Types: deb-src\n\
         URIs: http://deb.debian.org/debian\n\
         Suites: {codename} {codename}-updates\n\
         Components: main\n\
         {signed_by}\n\
         Types: deb-src\n\
         URIs: http://deb.debian.org/debian-security\n\
         Suites: {codename}-security\n\
         Components: main\n\
         {signed_by}"
    )
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next())
            == Some("0")
    })
}

fn apt_update() -> Result<()> {
    let mut cmd = Command::new("apt-get");
    cmd.arg("update");
    run(cmd, "apt-get update").map(|_| ())
}

/// Adds `deb-src` entries when apt has none for busybox.
fn ensure_deb_src() -> Result<()> {
    if apt_has_source() {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "apt has no deb-src entry for {SOURCE_PACKAGE}; as root, write this to {SOURCES_FILE}, \
             run `apt-get update`, and try again:\n{}",
            sources_text(&codename(), Path::new(DEBIAN_KEYRING).is_file())
        );
    }
    let name = codename();
    let mut last = String::new();
    for signed in [true, false] {
        if signed && !Path::new(DEBIAN_KEYRING).is_file() {
            continue;
        }
        std::fs::write(SOURCES_FILE, sources_text(&name, signed))
            .with_context(|| format!("writing {SOURCES_FILE}"))?;
        match apt_update() {
            Ok(()) if apt_has_source() => {
                eprintln!("xtask: added {SOURCES_FILE} (deb-src for {name})");
                return Ok(());
            }
            Ok(()) => last = "apt-get update worked, but apt still has no source".into(),
            Err(e) => last = e.to_string(),
        }
    }
    let _ = std::fs::remove_file(SOURCES_FILE);
    // Put apt back as it was.
    let _ = apt_update();
    bail!("could not add deb-src entries for {SOURCE_PACKAGE}: {last}")
}

/// The unpacked tree under `dir` (`busybox-1.35.0/` with a testsuite).
fn unpacked(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("busybox-"))
                && p.join("testsuite/runtest").is_file()
                && p.join(STATIC_CONFIG).is_file()
        })
}

/// The source of the installed busybox, fetched and unpacked when the
/// cache in [`dir`] does not hold that version.
pub fn ensure() -> Result<Source> {
    let version = installed_source_version()?;
    let dir = dir();
    let stamp = dir.join("VERSION");
    let cached = std::fs::read_to_string(&stamp).is_ok_and(|v| v.trim() == version);
    let tree = match unpacked(&dir).filter(|_| cached) {
        Some(tree) => tree,
        None => {
            if proc::which("dpkg-source").is_none() {
                bail!(
                    "dpkg-source not found (Debian package dpkg-dev), needed by apt-get source:\n  {}",
                    crate::build::deps::install_hint()
                );
            }
            ensure_deb_src()?;
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("emptying {}", dir.display()))?;
            }
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut cmd = Command::new("apt-get");
            cmd.current_dir(&dir)
                .arg("source")
                .arg(format!("{SOURCE_PACKAGE}={version}"));
            run(cmd, &format!("apt-get source {SOURCE_PACKAGE}={version}"))?;
            let Some(tree) = unpacked(&dir) else {
                bail!(
                    "apt-get source left no busybox-*/testsuite in {}",
                    dir.display()
                );
            };
            std::fs::write(&stamp, format!("{version}\n"))
                .with_context(|| format!("writing {}", stamp.display()))?;
            tree
        }
    };
    Ok(Source {
        version,
        testsuite: tree.join("testsuite"),
        config: tree.join(STATIC_CONFIG),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_entries() {
        let t = sources_text("bookworm", true);
        assert!(t.contains("Types: deb-src\nURIs: http://deb.debian.org/debian\n"));
        assert!(t.contains("Suites: bookworm bookworm-updates\n"));
        assert!(t.contains("Suites: bookworm-security\n"));
        assert_eq!(t.matches("Signed-By: ").count(), 2);
        // deb822 stanzas are separated by one blank line.
        assert_eq!(t.matches("\n\n").count(), 1);
        assert!(!sources_text("trixie", false).contains("Signed-By"));
    }
}
