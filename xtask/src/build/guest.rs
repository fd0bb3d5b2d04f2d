//! What the x86_64 ramdisk carries for the library OS: the library OS
//! image (`/lib/libos`, built position independent and linked at its fixed
//! address, in its own target directory), `/sbin/init` (static C, built
//! with `musl-gcc`), Debian's static busybox as `/bin/busybox` (with
//! its applet links, `/bin/sh` among them: `crate::initrd`), and the C test suite as `/ctests/NAME` (`crate::ctests`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build::Output;
use crate::cli::AddSpec;
use crate::error::{bail, Context, Result};
use crate::{paths, proc};

/// The library OS's compiler flags: position-independent code, so it can
/// run at its address in the top half of the user range.
const LIBOS_RUSTFLAGS: &str =
    "-C code-model=small -C relocation-model=pic -C force-frame-pointers=yes";

/// Debian's static busybox (package `busybox-static`).
pub const BUSYBOX: &str = "/bin/busybox";

/// Builds the library OS; its binary.
fn build_libos(output: Output) -> Result<PathBuf> {
    let dir = paths::target_dir().join("libos");
    let mut cmd = proc::cargo();
    cmd.args(["build", "--release", "-p", "libos", "--target"])
        .arg(crate::build::user::TARGET)
        .arg("--target-dir")
        .arg(&dir)
        .env(crate::build::user::RUSTFLAGS_ENV, LIBOS_RUSTFLAGS);
    crate::build::run_cargo(cmd, output, "the library OS's build")?;
    Ok(dir
        .join(crate::build::user::TARGET)
        .join("release")
        .join("libos"))
}

/// Compiles static C `sources` with `musl-gcc` into `out` (if any input
/// is newer than it).
pub fn musl_static(sources: &[&Path], out: &Path, flags: &[&str]) -> Result<()> {
    let newest = sources
        .iter()
        .filter_map(|s| std::fs::metadata(s).and_then(|m| m.modified()).ok())
        .max();
    let built = std::fs::metadata(out).and_then(|m| m.modified()).ok();
    if let (Some(n), Some(b)) = (newest, built) {
        if b >= n {
            return Ok(());
        }
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut cmd = Command::new("musl-gcc");
    cmd.args(["-static", "-O2", "-Wall", "-Werror"])
        .args(flags)
        .args(sources)
        .arg("-o")
        .arg(out);
    let (status, text) = proc::run_captured(cmd)?;
    if !status.success() {
        bail!("musl-gcc for {} failed:\n{text}", out.display());
    }
    Ok(())
}

/// Everything above, as initrd entries.
pub fn files(output: Output) -> Result<Vec<AddSpec>> {
    let libos = build_libos(output)?;
    let bytes = std::fs::read(&libos).with_context(|| format!("reading {}", libos.display()))?;
    crate::build::user::check_elf(&bytes)
        .map_err(|e| crate::error::Error::msg(format!("checking the library OS: {e}")))?;
    let init_src = paths::root().join("user/init/init.c");
    let init = paths::target_dir().join("exov6/x86_64/init");
    musl_static(&[&init_src], &init, &[])?;
    let busybox = PathBuf::from(BUSYBOX);
    if !busybox.is_file() {
        bail!("{BUSYBOX} is missing: install the Debian package busybox-static");
    }
    let add = |host: PathBuf, guest: &str| AddSpec {
        host,
        guest: guest.to_string(),
    };
    let mut files = vec![
        add(crate::build::without_debug(&libos)?, "/lib/libos"),
        add(init, "/sbin/init"),
        add(busybox, BUSYBOX),
    ];
    // The C test suite and the Rust std program, as /ctests/NAME.
    files.extend(crate::test::ctests::guest_adds(output)?);
    Ok(files)
}
