//! Helpers of the e2fsprogs tests: the tools, a file-backed block device,
//! scratch directories.

#![allow(dead_code)]

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use ext2::{BlockDevice, DevError};

/// Whether mke2fs, debugfs and e2fsck are installed; prints why a test
/// skips when not.
pub fn have_tools() -> bool {
    let ok = ["mke2fs", "debugfs", "e2fsck"].iter().all(|t| {
        Command::new(t).arg("-V").output().is_ok()
            || Path::new("/usr/sbin").join(t).exists()
            || Path::new("/sbin").join(t).exists()
    });
    if !ok {
        eprintln!(
            "SKIP: e2fsprogs (mke2fs, debugfs, e2fsck) is not installed: apt-get install e2fsprogs"
        );
    }
    ok
}

fn tool(name: &str) -> Command {
    for dir in ["/usr/sbin", "/sbin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return Command::new(p);
        }
    }
    Command::new(name)
}

/// A fresh scratch directory under the target's temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "ext2-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Makes an ext2 image of `size_kib` KiB with `mke2fs -t ext2` and the
/// given extra arguments (e.g. `-b 1024`, `-d DIR`).
pub fn mkfs(image: &Path, size_kib: u64, args: &[&str]) {
    let out = tool("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-E", "root_owner=0:0"])
        .args(args)
        .arg(image)
        .arg(format!("{size_kib}k"))
        .env("E2FSPROGS_FAKE_TIME", "1700000000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mke2fs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `e2fsck -fn`; returns (clean, output).
pub fn fsck(image: &Path) -> (bool, String) {
    let out = tool("e2fsck").args(["-fn"]).arg(image).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code() == Some(0), text)
}

/// Asserts that `e2fsck -fn` finds nothing to fix.
pub fn assert_clean(image: &Path) {
    let (ok, text) = fsck(image);
    assert!(ok, "e2fsck -fn found problems:\n{text}");
}

/// Runs e2fsck with other options (e.g. `-fyD` to index directories).
pub fn fsck_with(image: &Path, opts: &str) {
    let out = tool("e2fsck").arg(opts).arg(image).output().unwrap();
    assert!(
        out.status.code().unwrap_or(8) < 4,
        "e2fsck {opts}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `debugfs -R CMD` output (stdout).
pub fn debugfs(image: &Path, cmd: &str) -> Vec<u8> {
    let out = tool("debugfs")
        .arg("-R")
        .arg(cmd)
        .arg(image)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "debugfs {cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A block device on a file.
pub struct FileDevice {
    file: File,
}

impl FileDevice {
    /// Opens the image at `path` for reading and writing.
    pub fn open(path: &Path) -> FileDevice {
        FileDevice {
            file: std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .unwrap(),
        }
    }
}

impl BlockDevice for FileDevice {
    fn read_block(&mut self, n: u64, buf: &mut [u8]) -> Result<(), DevError> {
        let off = n
            .checked_mul(buf.len() as u64)
            .ok_or(DevError::OutOfRange)?;
        self.file.read_exact_at(buf, off).map_err(|_| DevError::Io)
    }

    fn write_block(&mut self, n: u64, buf: &[u8]) -> Result<(), DevError> {
        let off = n
            .checked_mul(buf.len() as u64)
            .ok_or(DevError::OutOfRange)?;
        self.file.write_all_at(buf, off).map_err(|_| DevError::Io)
    }

    fn flush(&mut self) -> Result<(), DevError> {
        self.file.sync_data().map_err(|_| DevError::Io)
    }
}

/// Deterministic bytes for file contents.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The root owner for new files.
pub const ROOT: ext2::Owner = ext2::Owner {
    perm: 0o644,
    uid: 0,
    gid: 0,
};

/// `debugfs -w -R CMD`, which must succeed.
pub fn debugfs_w(image: &Path, cmd: &str) {
    let out = tool("debugfs")
        .arg("-w")
        .arg("-R")
        .arg(cmd)
        .arg(image)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "debugfs -w {cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
