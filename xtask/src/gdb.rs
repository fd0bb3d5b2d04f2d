//! `cargo xtask gdb`: build, boot paused with QEMU's gdb stub on :1234, and
//! print the gdb command line that attaches with the kernel's symbols.

use crate::arch::Arch;
use crate::cli::RunOpts;
use crate::error::{bail, Result};
use crate::paths;
use crate::qemu::accel::{self, Accel};
use crate::qemu::session::{self, Input, Watch};
use crate::qemu::term::TermGuard;
use crate::run;

/// The gdb command that loads the kernel's symbols and attaches.
pub fn gdb_command(arch: Arch) -> String {
    let elf = paths::show(&paths::kernel_elf(arch));
    let set_arch = match arch {
        Arch::X86_64 => "",
        Arch::I386 => "-ex 'set architecture i386' ",
    };
    format!("gdb {set_arch}-ex 'file {elf}' -ex 'target remote :1234'")
}

/// `cargo xtask gdb`.
pub fn gdb(opts: &RunOpts) -> Result<u8> {
    let cmdline = run::cmdline_with_size(&opts.cmdline, crate::qemu::term::host_size());
    let (art, iso) = run::prepare(opts, &cmdline)?;
    // TCG by default: breakpoints and single-stepping behave predictably,
    // and there is no banner watchdog to fall back with while paused.
    let accel = if opts.kvm {
        if !accel::kvm_device_usable() {
            bail!("--kvm: /dev/kvm is not usable");
        }
        Accel::Kvm
    } else {
        Accel::Tcg
    };
    let console = run::console_for_stdin();
    let m = run::machine(opts, &art, iso.as_ref(), &cmdline, accel, true, console);
    eprintln!(
        "xtask: QEMU ({}, {}) is paused with its gdb stub on localhost:1234.\n\
         xtask: attach from the repository root in another terminal with:\n\n    {}\n",
        opts.boot.name(),
        accel.name(),
        gdb_command(opts.arch)
    );
    if console == crate::qemu::Console::Terminal {
        eprintln!("xtask: {}", run::KEYS_NOTE);
    }
    let watch = Watch {
        echo: true,
        input: Input::Inherit,
        timeout: None,
        banner_timeout: None,
        capture_stderr: false,
    };
    let outcome = {
        let _term = TermGuard::save();
        session::run(m.command()?, &watch)?
    };
    Ok(run::exit_code(outcome.exit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdb_command_line() {
        let elf = paths::show(&paths::kernel_elf(Arch::X86_64));
        assert_eq!(
            gdb_command(Arch::X86_64),
            format!("gdb -ex 'file {elf}' -ex 'target remote :1234'")
        );
        assert!(elf.ends_with("exov6/x86_64/kernel.elf"));
        assert!(gdb_command(Arch::I386).contains("set architecture i386"));
    }
}
