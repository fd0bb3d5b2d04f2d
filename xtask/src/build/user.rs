//! Building the native user programs (`user/*`, target
//! `x86_64-unknown-none`) and checking each ELF the way the kernel's
//! loader will.
//!
//! User programs share the target triple with the x86_64 kernel, whose
//! flags live in `.cargo/config.toml` (`code-model=kernel`). They are
//! built with their own flags in [`RUSTFLAGS_ENV`] (cargo appends them to
//! the config's, and for `-C` options the last one wins) and in their own
//! target directory (`target/user`), so the kernel's and the programs'
//! builds never invalidate each other's caches.

use std::path::PathBuf;
use std::process::Command;

use crate::build::Output;
use crate::cli::AddSpec;
use crate::error::{bail, Context, Result};
use crate::{paths, proc};

/// The target triple of user programs.
pub const TARGET: &str = "x86_64-unknown-none";
/// The variable that carries the user programs' compiler flags.
pub const RUSTFLAGS_ENV: &str = "CARGO_TARGET_X86_64_UNKNOWN_NONE_RUSTFLAGS";
/// Their flags: ordinary static user code.
pub const RUSTFLAGS: &str =
    "-C code-model=small -C relocation-model=static -C force-frame-pointers=yes";

/// A user program that goes into the x86_64 initrd.
pub struct Program {
    /// Cargo package (and binary) name.
    pub package: &'static str,
    /// Path in the initrd.
    pub guest: &'static str,
}

/// Every user program in the initrd. `bench` is booted as the root task
/// of its own initrd by `cargo xtask bench`; in the ordinary one it waits
/// as `/bin/bench` for a root task that can start programs.
pub const PROGRAMS: &[Program] = &[
    Program {
        package: "root",
        guest: "/sbin/root",
    },
    Program {
        package: "bench",
        guest: "/bin/bench",
    },
];

/// A cargo command for user programs: `cargo SUBCOMMAND --target
/// x86_64-unknown-none --target-dir target/user REST...` (for `args` =
/// `[SUBCOMMAND, REST...]`) with the user flags.
pub fn cargo(args: &[&str]) -> Command {
    let mut cmd = proc::cargo();
    let (sub, rest) = args
        .split_first()
        .map_or((None, args), |(s, r)| (Some(s), r));
    cmd.args(sub)
        .args(["--target", TARGET, "--target-dir"])
        .arg(paths::user_target_dir())
        .args(rest)
        .env(RUSTFLAGS_ENV, RUSTFLAGS);
    cmd
}

/// Builds every program (release), checks each ELF, and returns what goes
/// into the initrd.
pub fn build(output: Output) -> Result<Vec<AddSpec>> {
    let mut args = vec!["build", "--release"];
    for p in PROGRAMS {
        args.extend(["-p", p.package]);
    }
    crate::build::run_cargo(cargo(&args), output, "the user programs' build")?;
    PROGRAMS
        .iter()
        .map(|p| {
            let host = binary(p.package);
            let bytes =
                std::fs::read(&host).with_context(|| format!("reading {}", host.display()))?;
            check_elf(&bytes).with_context(|| format!("checking {}", paths::show(&host)))?;
            Ok(AddSpec {
                host: crate::build::without_debug(&host)?,
                guest: p.guest.to_string(),
            })
        })
        .collect()
}

/// Where cargo puts a program's release binary.
pub fn binary(package: &str) -> PathBuf {
    paths::user_target_dir()
        .join(TARGET)
        .join("release")
        .join(package)
}

/// Checks a program as the kernel's loader will (`elfload` over the user
/// range), and that no segment is both writable and executable.
pub fn check_elf(bytes: &[u8]) -> Result<()> {
    let program = elfload::parse(bytes, abi::USER_MIN, abi::USER_END)
        .map_err(|e| crate::error::Error::msg(format!("not loadable: {e}")))?;
    if let Some(s) = program
        .segments()
        .iter()
        .find(|s| s.writable && s.executable)
    {
        bail!("segment at {:#x} is writable and executable", s.vaddr);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_puts_the_target_after_the_subcommand() {
        let cmd = cargo(&["clippy", "-p", "root", "--", "-D", "warnings"]);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args[..3], ["clippy", "--target", TARGET]);
        assert_eq!(args[3], "--target-dir");
        assert!(args[4].ends_with("user"));
        assert_eq!(args[5..], ["-p", "root", "--", "-D", "warnings"]);
        let env: Vec<_> = cmd.get_envs().collect();
        assert!(env
            .iter()
            .any(|(k, v)| *k == RUSTFLAGS_ENV && v.is_some_and(|v| v == RUSTFLAGS)));
    }

    #[test]
    fn elf_checks() {
        // Not an ELF at all; then a hand-made file with one W+X segment.
        assert!(check_elf(b"nope").is_err());
        let mut elf = vec![0u8; 0x200];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[16] = 2; // ET_EXEC
        elf[18] = 62; // EM_X86_64
        elf[24..32].copy_from_slice(&0x40_0000u64.to_le_bytes());
        elf[32] = 64; // e_phoff
        elf[54] = 56; // e_phentsize
        elf[56] = 1; // e_phnum
        let ph = &mut elf[64..120];
        ph[0] = 1; // PT_LOAD
        ph[4] = 7; // R W X
        ph[16..24].copy_from_slice(&0x40_0000u64.to_le_bytes());
        ph[32] = 0x10;
        ph[40] = 0x10;
        let err = check_elf(&elf).unwrap_err().to_string();
        assert!(err.contains("writable and executable"), "{err}");
        elf[68] = 5; // R X
        check_elf(&elf).unwrap();
    }
}
