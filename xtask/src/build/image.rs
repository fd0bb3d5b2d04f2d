//! The bootable ISO: a GRUB (BIOS + UEFI) image made by `grub-mkrescue`
//! with the kernel as a Multiboot2 image and the initrd as a module. The
//! kernel command line is baked into `grub.cfg`, so there is one ISO per
//! distinct (kernel, initrd, command line), cached under a hash of all three.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build::Artifacts;
use crate::error::{bail, Context, Result};
use crate::{fsutil, paths, proc};

/// Quotes one command-line word for GRUB's shell-like parser, whose
/// quoting rules match the POSIX shell's for single quotes.
fn grub_quote(word: &str) -> String {
    crate::qemu::shell_quote(word)
}

/// The `grub.cfg` that boots the kernel with `cmdline`.
pub fn grub_cfg(cmdline: &str) -> String {
    let mut entry = String::from("multiboot2 /boot/kernel.elf");
    for word in cmdline.split_whitespace() {
        entry.push(' ');
        entry.push_str(&grub_quote(word));
    }
    format!(
        "set timeout=0\nset default=0\n\nmenuentry \"ExoV6\" {{\n    {entry}\n    module2 /boot/initrd.cpio initrd\n    boot\n}}\n"
    )
}

/// Makes (or reuses) the ISO for `art` booted with `cmdline`; returns its path.
pub fn iso(art: &Artifacts, cmdline: &str) -> Result<PathBuf> {
    let kernel = std::fs::read(&art.kernel)?;
    let initrd = std::fs::read(&art.initrd)?;
    let cfg = grub_cfg(cmdline);
    let key = fsutil::fnv64(&[cfg.as_bytes(), &kernel, &initrd]);
    let cache = paths::out_dir(art.arch).join("iso");
    let out = cache.join(format!("{key:016x}.iso"));
    if out.is_file() {
        return Ok(out);
    }

    let stage = cache.join(format!("{key:016x}.d"));
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir_all(stage.join("boot/grub"))?;
    std::fs::write(stage.join("boot/kernel.elf"), &kernel)?;
    std::fs::write(stage.join("boot/initrd.cpio"), &initrd)?;
    std::fs::write(stage.join("boot/grub/grub.cfg"), &cfg)?;

    let tmp = cache.join(format!("{key:016x}.iso.tmp{}", std::process::id()));
    mkrescue(&stage, &tmp)?;
    std::fs::rename(&tmp, &out)?;
    let _ = std::fs::remove_dir_all(&stage);
    prune(&cache);
    Ok(out)
}

/// ISOs kept in the cache (about 20 MiB each); older ones are deleted.
const CACHE_KEEP: usize = 8;

/// Deletes all but the [`CACHE_KEEP`] most recently made ISOs.
fn prune(cache: &Path) {
    let Ok(dir) = std::fs::read_dir(cache) else {
        return;
    };
    let mut isos: Vec<(std::time::SystemTime, PathBuf)> = dir
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "iso"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    isos.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (_, old) in isos.into_iter().skip(CACHE_KEEP) {
        let _ = std::fs::remove_file(old);
    }
}

fn mkrescue(dir: &Path, out: &Path) -> Result<()> {
    let mut cmd = Command::new("grub-mkrescue");
    cmd.arg("-o").arg(out).arg(dir);
    let (status, output) = proc::run_captured(cmd).with_context(|| "running grub-mkrescue")?;
    if !status.success() || !out.is_file() {
        bail!(
            "grub-mkrescue failed ({status}):\n{}",
            proc::tail(&output, 20).join("\n")
        );
    }
    Ok(())
}

/// Makes `target/exov6/<arch>/exov6.iso` (for `cargo xtask build --iso`).
pub fn named_iso(art: &Artifacts, cmdline: &str) -> Result<PathBuf> {
    let cached = iso(art, cmdline)?;
    let named = paths::out_dir(art.arch).join("exov6.iso");
    std::fs::copy(&cached, &named).with_context(|| format!("copying to {}", named.display()))?;
    Ok(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_cfg_has_the_contract_layout() {
        let cfg = grub_cfg("shutdown log=debug");
        assert!(cfg.starts_with("set timeout=0\nset default=0\n"));
        assert!(cfg.contains("menuentry \"ExoV6\" {"));
        assert!(cfg.contains("    multiboot2 /boot/kernel.elf shutdown log=debug\n"));
        assert!(cfg.contains("    module2 /boot/initrd.cpio initrd\n    boot\n}"));
        assert!(grub_cfg("").contains("multiboot2 /boot/kernel.elf\n"));
    }

    #[test]
    fn odd_words_are_quoted() {
        assert_eq!(grub_quote("a=b,c"), "a=b,c");
        assert_eq!(grub_quote("x;y"), "'x;y'");
        assert_eq!(grub_quote("it's"), r"'it'\''s'");
        assert_eq!(grub_quote("$var"), "'$var'");
    }
}
