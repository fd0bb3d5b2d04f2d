//! Building what a boot needs: the kernel (cargo, per architecture), the
//! patched copy with its symbol table, the user programs (x86_64) and the
//! initrd.

pub mod deps;
pub mod guest;
pub mod image;
pub mod initrd;
pub mod ksyms_patch;
#[cfg(test)]
pub mod testelf;
pub mod user;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use object::{Object, ObjectSection, SectionKind};

use crate::arch::Arch;
use crate::cli::AddSpec;
use crate::error::{bail, Context, Result};
use crate::{paths, proc};
use ksyms_patch::PatchReport;

/// Everything needed to boot one architecture.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// Architecture.
    pub arch: Arch,
    /// The patched kernel ELF (`target/exov6/<arch>/kernel.elf`).
    pub kernel: PathBuf,
    /// The initrd (`target/exov6/<arch>/initrd.cpio`).
    pub initrd: PathBuf,
    /// The user programs put into the initrd (x86_64 only, so far).
    pub programs: Vec<AddSpec>,
    /// What the symbol-table patch did.
    pub ksyms: PatchReport,
    /// Size of the kernel's executable sections in bytes.
    pub text_bytes: u64,
    /// Time spent building.
    pub elapsed: Duration,
}

/// Whether cargo's output goes to the terminal or is captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Show cargo's progress (interactive commands).
    Show,
    /// Capture it and include its tail in the error (the test runner).
    Capture,
}

/// Builds the kernel ELF with cargo (or takes the prebuilt one named by
/// `EXOV6_KERNEL_<ARCH>`) and returns its path.
pub fn kernel(arch: Arch, output: Output) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(arch.prebuilt_env()).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!(
                "{} names {}, which is not a file",
                arch.prebuilt_env(),
                path.display()
            );
        }
        return Ok(path);
    }
    let mut cmd = proc::cargo();
    cmd.args([
        "build",
        "-p",
        "kernel",
        "--release",
        "--target",
        arch.target(),
    ]);
    run_cargo(cmd, output, &format!("the {arch} kernel build"))?;
    Ok(paths::target_dir()
        .join(arch.target())
        .join("release")
        .join("kernel"))
}

/// Total size of the executable sections of an ELF file.
fn text_bytes(elf: &[u8]) -> Result<u64> {
    let file = object::File::parse(elf)?;
    Ok(file
        .sections()
        .filter(|s| s.kind() == SectionKind::Text)
        .map(|s| s.size())
        .sum())
}

/// Builds the kernel, patches the symbol table into
/// `target/exov6/<arch>/kernel.elf`, builds the user programs (x86_64:
/// `/sbin/root`, the root task), and writes the initrd with them and the
/// `adds` (which may replace them).
pub fn all(arch: Arch, adds: &[AddSpec], output: Output) -> Result<Artifacts> {
    let start = Instant::now();
    let raw = kernel(arch, output)?;
    let dst = paths::kernel_elf(arch);
    let ksyms = ksyms_patch::patch_file(&raw, &dst)?;
    let text = text_bytes(&std::fs::read(&dst)?)?;
    let programs = match arch {
        Arch::X86_64 => {
            let mut v = user::build(output)?;
            v.extend(guest::files(output)?);
            v
        }
        Arch::I386 => Vec::new(),
    };
    let initrd = paths::initrd(arch);
    let files: Vec<AddSpec> = programs.iter().chain(adds).cloned().collect();
    initrd::write(arch, &files, &initrd)?;
    Ok(Artifacts {
        arch,
        kernel: dst,
        initrd,
        programs,
        ksyms,
        text_bytes: text,
        elapsed: start.elapsed(),
    })
}

impl Artifacts {
    /// One-line summary: paths, text size, symbol table use, programs.
    pub fn describe(&self) -> String {
        let mut programs = String::new();
        for p in &self.programs {
            programs.push_str(&format!(" {}", p.guest));
        }
        if !programs.is_empty() {
            programs = format!(" (with{programs})");
        }
        format!(
            "{} ({} KiB text; ksyms: {}), {}{programs}",
            paths::show(&self.kernel),
            self.text_bytes.div_ceil(1024),
            self.ksyms.describe(),
            paths::show(&self.initrd)
        )
    }
}

/// Runs a cargo build command, showing its output or capturing it (and
/// printing its tail on failure); `what` names the build in errors.
/// A copy of the ELF file `host` without its debug sections, for the
/// initrd (`target/exov6/initrd-bin/`): the guest never reads DWARF, and
/// the library OS's and the servers' would take most of a small machine's
/// ramdisk memory. The symbol table stays (the profiler and backtraces
/// read the original's anyway).
pub fn without_debug(host: &std::path::Path) -> Result<PathBuf> {
    let name = host
        .file_name()
        .ok_or_else(|| crate::error::Error::msg(format!("{} has no file name", host.display())))?;
    let dir = paths::target_dir().join("exov6/initrd-bin");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let out = dir.join(name);
    let status = std::process::Command::new("objcopy")
        .arg("--strip-debug")
        .arg(host)
        .arg(&out)
        .status()
        .with_context(|| "running objcopy (binutils)".to_string())?;
    if !status.success() {
        bail!("objcopy --strip-debug {} failed ({status})", host.display());
    }
    Ok(out)
}

pub fn run_cargo(mut cmd: std::process::Command, output: Output, what: &str) -> Result<()> {
    match output {
        Output::Show => {
            let status = cmd
                .stdin(Stdio::null())
                .status()
                .with_context(|| "starting cargo")?;
            if !status.success() {
                bail!("{what} failed ({status})");
            }
        }
        Output::Capture => {
            let (status, out) = proc::run_captured(cmd)?;
            if !status.success() {
                bail!(
                    "{what} failed ({status}):\n{}",
                    proc::tail(&out, 40).join("\n")
                );
            }
        }
    }
    Ok(())
}
