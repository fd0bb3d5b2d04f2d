//! Compatibility with GNU cpio (`cpio -o -H newc`), when the tool is on the
//! host: our reader parses its archives, our writer reproduces them byte
//! for byte from the parsed fields, and GNU cpio extracts ours. Without the
//! tool the tests print a note and pass.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cpio::{Archive, Builder, Entry};

fn have_gnu_cpio() -> bool {
    let ok = Command::new("cpio")
        .arg("--version")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("GNU cpio"))
        .unwrap_or(false);
    if !ok {
        println!("note: GNU cpio not found on the host; skipping the comparison");
    }
    ok
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cpio-test-{}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Files: (path, mode, contents); directories are listed separately.
const DIRS: &[&str] = &["etc", "bin", "usr", "usr/share"];
const FILES: &[(&str, u32, &[u8])] = &[
    ("etc/motd", 0o644, b"Welcome to ExoV6\n"),
    ("etc/version", 0o644, b"0.1.0"),
    (
        "bin/tool",
        0o755,
        b"\x7fELF\x02\x01\x01 binary-ish \x00\x01\x02",
    ),
    ("usr/share/empty", 0o600, b""),
    ("usr/share/abc", 0o644, b"abc"),
];
const LINKS: &[(&str, &str)] = &[("bin/alias", "tool")];

fn populate(root: &Path) -> Vec<String> {
    let mut names = vec![".".to_string()];
    for d in DIRS {
        fs::create_dir_all(root.join(d)).unwrap();
        names.push(d.to_string());
    }
    for (p, mode, data) in FILES {
        fs::write(root.join(p), data).unwrap();
        fs::set_permissions(root.join(p), fs::Permissions::from_mode(*mode)).unwrap();
        names.push(p.to_string());
    }
    for (p, target) in LINKS {
        symlink(target, root.join(p)).unwrap();
        names.push(p.to_string());
    }
    names
}

fn gnu_archive(root: &Path, names: &[String]) -> Vec<u8> {
    let mut child = Command::new("cpio")
        .args(["-o", "-H", "newc", "--quiet"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let list = names.join("\n") + "\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "cpio -o failed");
    out.stdout
}

fn check_tree(entries: &[Entry<'_>]) {
    for d in DIRS {
        let e = entries.iter().find(|e| e.path() == *d).expect(d);
        assert!(e.is_dir(), "{d}");
    }
    for (p, mode, data) in FILES {
        let e = entries.iter().find(|e| e.path() == *p).expect(p);
        assert!(e.is_file(), "{p}");
        assert_eq!(e.permissions(), *mode, "{p}");
        assert_eq!(e.data, *data, "{p}");
    }
    for (p, target) in LINKS {
        let e = entries.iter().find(|e| e.path() == *p).expect(p);
        assert_eq!(e.symlink_target(), Some(*target), "{p}");
    }
}

#[test]
fn reads_gnu_archives_and_rewrites_them_byte_for_byte() {
    if !have_gnu_cpio() {
        return;
    }
    let root = scratch("read");
    let names = populate(&root);
    let gnu = gnu_archive(&root, &names);
    let _ = fs::remove_dir_all(&root);

    let archive = Archive::new(&gnu);
    let entries: Vec<Entry<'_>> = archive.entries().collect::<Result<_, _>>().unwrap();
    assert_eq!(entries.len(), names.len());
    check_tree(&entries);
    assert!(archive.find("/etc/motd").is_some());

    // Re-emit every member with the same header fields: the result must be
    // GNU's archive up to its 512-byte block padding, which is all zeros.
    let mut b = Builder::new();
    for e in &entries {
        b.add(e.name, e.metadata(), e.data).unwrap();
    }
    let ours = b.finish();
    assert!(ours.len() <= gnu.len());
    assert_eq!(ours, gnu[..ours.len()], "layout differs from GNU cpio");
    assert!(gnu[ours.len()..].iter().all(|&b| b == 0));
}

#[test]
fn gnu_cpio_extracts_our_archives() {
    if !have_gnu_cpio() {
        return;
    }
    let mut b = Builder::new().with_mtime(1_600_000_000);
    for d in DIRS {
        b.add_dir(d, 0o755).unwrap();
    }
    for (p, mode, data) in FILES {
        b.add_file(p, *mode, data).unwrap();
    }
    for (p, target) in LINKS {
        b.add_symlink(p, target).unwrap();
    }
    let ours = b.finish();

    let root = scratch("extract");
    let mut child = Command::new("cpio")
        .args(["-i", "-d", "-m", "--quiet", "--no-absolute-filenames"])
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&ours).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "cpio -i: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for d in DIRS {
        assert!(root.join(d).is_dir(), "{d}");
    }
    for (p, mode, data) in FILES {
        let meta = fs::metadata(root.join(p)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, *mode, "{p}");
        assert_eq!(fs::read(root.join(p)).unwrap(), *data, "{p}");
    }
    for (p, target) in LINKS {
        assert_eq!(fs::read_link(root.join(p)).unwrap(), Path::new(target));
    }
    let _ = fs::remove_dir_all(&root);
}
