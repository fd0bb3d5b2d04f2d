//! The boot ramdisk: a newc cpio archive with `/etc/motd`, `/etc/version`,
//! `/etc/passwd` and `/etc/group` (root and nobody), root's home `/root`,
//! the user programs (x86_64: `/sbin/root`, passed in by `build::all` like
//! an `--add`) and every `--add` file, parent directories included. When
//! it carries `/bin/busybox`, it also carries the applet links a
//! distribution installs (`busybox --list-full`: `/bin/cat`, `/usr/bin/wc`,
//! `/bin/sh`, ... each a symbolic link to `/bin/busybox`), except where a
//! file of the same name is already there.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::arch::Arch;
use crate::cli::AddSpec;
use crate::error::{bail, Context, Error, Result};

/// The greeting in `/etc/motd`.
pub const MOTD: &str = "Welcome to ExoV6, an exokernel in Rust.\n";

/// The users in `/etc/passwd`: root and nobody.
pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
                          nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n";

/// The groups in `/etc/group`.
pub const GROUP: &str = "root:x:0:\n\
                         daemon:x:1:\n\
                         tty:x:5:\n\
                         wheel:x:10:root\n\
                         users:x:100:\n\
                         nogroup:x:65534:\n";

/// Directories the archive has even when nothing is in them, and their
/// modes (a parent made for a file gets 0755).
const DIRS: &[(&str, u32)] = &[("root", 0o700)];

/// Contents of `/etc/version`.
pub fn version_text(arch: Arch) -> String {
    format!("ExoV6 {} ({arch})\n", env!("CARGO_PKG_VERSION"))
}

/// Builds the archive bytes.
pub fn build_archive(arch: Arch, adds: &[AddSpec]) -> Result<Vec<u8>> {
    let mut files: Vec<(String, u32, Vec<u8>)> = vec![
        ("/etc/motd".into(), 0o644, MOTD.as_bytes().to_vec()),
        (
            "/etc/version".into(),
            0o644,
            version_text(arch).into_bytes(),
        ),
        ("/etc/passwd".into(), 0o644, PASSWD.as_bytes().to_vec()),
        ("/etc/group".into(), 0o644, GROUP.as_bytes().to_vec()),
    ];
    for add in adds {
        let meta = std::fs::metadata(&add.host)
            .with_context(|| format!("--add {}", add.host.display()))?;
        if !meta.is_file() {
            bail!("--add {}: not a regular file", add.host.display());
        }
        let data =
            std::fs::read(&add.host).with_context(|| format!("reading {}", add.host.display()))?;
        files.retain(|f| cpio::normalize_path(&f.0) != cpio::normalize_path(&add.guest));
        files.push((add.guest.clone(), meta.permissions().mode() & 0o7777, data));
    }
    let links = match adds
        .iter()
        .rev()
        .find(|a| cpio::normalize_path(&a.guest) == cpio::normalize_path(BUSYBOX))
    {
        Some(bb) => applet_links(&bb.host)?
            .into_iter()
            .filter(|l| {
                let l = cpio::normalize_path(l);
                !files.iter().any(|f| cpio::normalize_path(&f.0) == l)
            })
            .collect(),
        None => Vec::new(),
    };

    // Every parent directory, shortest first, so each exists before use.
    let mut dirs: BTreeSet<(usize, String)> = DIRS
        .iter()
        .map(|(d, _)| (d.matches('/').count(), d.to_string()))
        .collect();
    for path in files.iter().map(|f| &f.0).chain(&links) {
        let path = cpio::normalize_path(path);
        let mut prefix = String::new();
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        for comp in &comps[..comps.len().saturating_sub(1)] {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(comp);
            dirs.insert((prefix.matches('/').count(), prefix.clone()));
        }
    }

    let err = |e: cpio::BuildError| Error::msg(e.to_string());
    let mut b = cpio::Builder::new();
    for (_, dir) in &dirs {
        let mode = DIRS.iter().find(|d| d.0 == dir).map_or(0o755, |d| d.1);
        b.add_dir(dir, mode).map_err(err)?;
    }
    for (path, mode, data) in &files {
        b.add_file(path, *mode, data).map_err(err)?;
    }
    for link in &links {
        b.add_symlink(link, BUSYBOX).map_err(err)?;
    }
    // The mount table, as distributions link it.
    if !files
        .iter()
        .any(|f| cpio::normalize_path(&f.0) == "etc/mtab")
    {
        b.add_symlink("/etc/mtab", "/proc/self/mounts")
            .map_err(err)?;
    }
    Ok(b.finish())
}

/// Where busybox lives in the guest.
const BUSYBOX: &str = "/bin/busybox";

/// The applets of the busybox at `host` as the paths a distribution links
/// them at (`busybox --list-full`, e.g. `/usr/bin/wc`), sorted. The binary
/// is the guest's own static one, so it runs on the host too.
fn applet_links(host: &Path) -> Result<Vec<String>> {
    let out = std::process::Command::new(host)
        .arg("--list-full")
        .output()
        .with_context(|| format!("running {} --list-full", host.display()))?;
    if !out.status.success() {
        bail!("{} --list-full failed ({})", host.display(), out.status);
    }
    let mut links: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        // Top-level names (`linuxrc`) are for busybox as an initrd's init.
        .filter(|l| l.contains('/') && !l.contains(".."))
        .map(|l| format!("/{}", l.trim_start_matches('/')))
        .filter(|l| cpio::normalize_path(l) != cpio::normalize_path(BUSYBOX))
        .collect();
    links.sort();
    links.dedup();
    Ok(links)
}

/// Writes the initrd to `out` (only if its contents changed).
pub fn write(arch: Arch, adds: &[AddSpec], out: &Path) -> Result<()> {
    let bytes = build_archive(arch, adds)?;
    crate::fsutil::write_if_changed(out, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse_add;

    #[test]
    fn default_contents() {
        let bytes = build_archive(Arch::X86_64, &[]).unwrap();
        let a = cpio::Archive::new(&bytes);
        assert_eq!(a.find("/etc/motd").unwrap().data, MOTD.as_bytes());
        assert!(a.find("/etc/version").unwrap().data.starts_with(b"ExoV6 "));
        assert!(a.find("/etc").unwrap().is_dir());
        assert_eq!(a.find("/etc/passwd").unwrap().data, PASSWD.as_bytes());
        assert_eq!(a.find("/etc/group").unwrap().data, GROUP.as_bytes());
        assert_eq!(
            a.find("/etc/mtab").unwrap().symlink_target(),
            Some("/proc/self/mounts")
        );
        let root = a.find("/root").unwrap();
        assert!(root.is_dir());
        assert_eq!(root.permissions(), 0o700);
    }

    #[test]
    fn passwd_and_group_entries() {
        // name:password:uid:gid:gecos:home:shell
        let users: Vec<Vec<&str>> = PASSWD.lines().map(|l| l.split(':').collect()).collect();
        assert!(users.iter().all(|u| u.len() == 7));
        assert_eq!(users[0][..4], ["root", "x", "0", "0"]);
        assert_eq!((users[0][5], users[0][6]), ("/root", "/bin/sh"));
        let nobody = users.iter().find(|u| u[0] == "nobody").unwrap();
        assert_eq!(nobody[2..4], ["65534", "65534"]);
        // name:password:gid:members
        let groups: Vec<Vec<&str>> = GROUP.lines().map(|l| l.split(':').collect()).collect();
        assert!(groups.iter().all(|g| g.len() == 4));
        for (name, gid) in [
            ("root", "0"),
            ("tty", "5"),
            ("users", "100"),
            ("nogroup", "65534"),
        ] {
            assert!(groups.iter().any(|g| g[0] == name && g[2] == gid), "{name}");
        }
        // Every user's group exists.
        for u in &users {
            assert!(groups.iter().any(|g| g[2] == u[3]), "{}", u[0]);
        }
    }

    #[test]
    fn a_file_under_root_keeps_roots_mode() {
        let dir = std::env::temp_dir().join(format!("xtask-initrd-r-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("profile");
        std::fs::write(&f, b"x").unwrap();
        let adds = [parse_add(&format!("{}=/root/.profile", f.display())).unwrap()];
        let bytes = build_archive(Arch::X86_64, &adds).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let a = cpio::Archive::new(&bytes);
        let names: Vec<&str> = a.entries().map(|e| e.unwrap().name).collect();
        assert_eq!(names.iter().filter(|n| **n == "root").count(), 1);
        assert_eq!(a.find("/root").unwrap().permissions(), 0o700);
        assert!(a.find("/root/.profile").unwrap().is_file());
    }

    #[test]
    fn added_files_get_parents_and_default_paths() {
        let dir = std::env::temp_dir().join(format!("xtask-initrd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tool = dir.join("tool");
        std::fs::write(&tool, b"#!/bin/true\n").unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        let adds = [
            parse_add(tool.to_str().unwrap()).unwrap(),
            parse_add(&format!("{}=/usr/local/share/t", tool.display())).unwrap(),
            parse_add(&format!("{}=/etc/motd", tool.display())).unwrap(),
        ];
        let bytes = build_archive(Arch::I386, &adds).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        let a = cpio::Archive::new(&bytes);
        let bin = a.find("/bin/tool").unwrap();
        assert!(bin.is_file());
        assert_eq!(bin.permissions(), 0o755);
        for d in ["bin", "usr", "usr/local", "usr/local/share"] {
            assert!(a.find(d).unwrap().is_dir(), "{d}");
        }
        assert!(a.find("/usr/local/share/t").is_some());
        assert_eq!(
            a.find("/etc/motd").unwrap().data,
            b"#!/bin/true\n",
            "--add replaces"
        );
        // Directories come before anything inside them.
        let names: Vec<&str> = a.entries().map(|e| e.unwrap().name).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("usr") < pos("usr/local") && pos("usr/local/share") < pos("usr/local/share/t"));
    }

    #[test]
    fn busybox_brings_its_applet_links() {
        let dir = std::env::temp_dir().join(format!("xtask-initrd-bb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("busybox");
        std::fs::write(
            &fake,
            b"#!/bin/sh\nprintf 'usr/bin/wc\\nbin/cat\\nbin/sh\\nsbin/init\\nbin/busybox\\n'\n",
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let init = dir.join("init");
        std::fs::write(&init, b"INIT").unwrap();
        let adds = [
            parse_add(&format!("{}=/bin/busybox", fake.display())).unwrap(),
            parse_add(&format!("{}=/sbin/init", init.display())).unwrap(),
        ];
        let bytes = build_archive(Arch::X86_64, &adds).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();

        let a = cpio::Archive::new(&bytes);
        for l in ["/usr/bin/wc", "/bin/cat", "/bin/sh"] {
            let e = a.find(l).unwrap();
            assert_eq!(e.symlink_target(), Some("/bin/busybox"), "{l}");
        }
        assert!(a.find("/usr").unwrap().is_dir());
        assert_eq!(a.find("/sbin/init").unwrap().data, b"INIT", "a file wins");
        assert!(a.find("/bin/busybox").unwrap().is_file());
    }

    #[test]
    fn missing_host_file_is_an_error() {
        let adds = [parse_add("/nonexistent/exov6-file").unwrap()];
        assert!(build_archive(Arch::X86_64, &adds).is_err());
    }
}
