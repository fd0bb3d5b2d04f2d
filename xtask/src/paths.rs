//! Where things live: the repository root, cargo's target directory (and
//! the user programs' `target/user`) and the xtask's own output directory
//! `target/exov6/<arch>/`.

use std::path::{Path, PathBuf};

use crate::arch::Arch;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Cargo's target directory (`$CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root().join(dir),
        _ => root().join("target"),
    }
}

/// Cargo's target directory for the user programs (`<target>/user`), kept
/// apart because they share the kernel's target triple with other flags.
pub fn user_target_dir() -> PathBuf {
    target_dir().join("user")
}

/// The xtask output directory for one architecture.
pub fn out_dir(arch: Arch) -> PathBuf {
    target_dir().join("exov6").join(arch.name())
}

/// The patched kernel ELF that is booted.
pub fn kernel_elf(arch: Arch) -> PathBuf {
    out_dir(arch).join("kernel.elf")
}

/// The boot ramdisk.
pub fn initrd(arch: Arch) -> PathBuf {
    out_dir(arch).join("initrd.cpio")
}

/// `path` relative to the repository root when it lies inside it, for
/// shorter messages and copy-pasteable commands.
pub fn show(path: &Path) -> String {
    let root = root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
