//! The Linux guest's initramfs (newc cpio, written with the project's
//! `cpio` crate): `/init` is the C benchmark program, `/tiny` the program
//! its fork-exec benchmark runs, and `/dev/console` the console Linux
//! opens for `/init`.

use std::path::Path;

use crate::error::{Context, Error, Result};

/// Character device (`S_IFCHR`).
const S_IFCHR: u32 = 0o020_000;

/// The archive bytes for the given `bench` and `tiny` programs.
pub fn build_archive(bench: &[u8], tiny: &[u8]) -> Result<Vec<u8>> {
    let err = |e: cpio::BuildError| Error::msg(e.to_string());
    let mut b = cpio::Builder::new();
    b.add_dir("dev", 0o755).map_err(err)?;
    let console = cpio::Metadata {
        ino: 100,
        mode: S_IFCHR | 0o600,
        nlink: 1,
        rdev_major: 5,
        rdev_minor: 1,
        ..cpio::Metadata::default()
    };
    b.add("dev/console", console, &[]).map_err(err)?;
    b.add_file("init", 0o755, bench).map_err(err)?;
    b.add_file("tiny", 0o755, tiny).map_err(err)?;
    Ok(b.finish())
}

/// Writes the initramfs to `out` (only if it changed).
pub fn write(bench: &Path, tiny: &Path, out: &Path) -> Result<()> {
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    let bytes = build_archive(&read(bench)?, &read(tiny)?)?;
    crate::fsutil::write_if_changed(out, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_init_tiny_and_the_console() {
        let bytes = build_archive(b"BENCH", b"TINY").unwrap();
        let a = cpio::Archive::new(&bytes);
        let init = a.find("/init").unwrap();
        assert_eq!(init.data, b"BENCH");
        assert_eq!(init.permissions(), 0o755);
        assert_eq!(a.find("/tiny").unwrap().data, b"TINY");
        let c = a.find("/dev/console").unwrap();
        assert_eq!(c.mode & cpio::S_IFMT, S_IFCHR);
        assert_eq!((c.rdev_major, c.rdev_minor), (5, 1));
        assert!(a.find("/dev").unwrap().is_dir());
    }
}
