//! The Linux side of the C benchmark: Debian's kernel booted by the same
//! QEMU command line as ExoV6's benchmark boots (same machine, CPU model,
//! memory and accelerator; only `-kernel`, `-initrd` and `-append`
//! differ) with the benchmark program as `/init`; and the same program
//! run natively on the host ("host Linux"), which stands in under KVM
//! when the Linux guest cannot boot there (this machine's nested KVM
//! hangs it in early boot). If the guest boots under KVM, it is used.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::linux_kernel::{self, Kernel};
use super::side::{self, Side, System};
use super::watch::{self, Ended};
use super::{cprog, initramfs, BenchAccel};
use crate::arch::Arch;
use crate::cli::Boot;
use crate::error::Result;
use crate::paths;
use crate::qemu::{shell_quote, Machine};

/// How long the Linux guest may take to print its first line (the
/// program's `bench config`) before it counts as hung in early boot.
/// Under TCG it boots in about 2 s.
pub const FIRST_LINE_TIMEOUT: Duration = Duration::from_secs(60);

/// The kernel command line of a Linux benchmark boot: the serial console,
/// no boot chatter, reboot (QEMU: exit) at once on a panic, and the
/// program's own arguments after `--` (Linux hands them to `/init`).
pub fn append(quick: bool, filter: Option<&str>) -> String {
    let mut line = String::from("console=ttyS0 quiet panic=-1 --");
    for a in cprog::args(quick, filter) {
        line.push(' ');
        line.push_str(&a);
    }
    line
}

/// What a Linux boot needs: the kernel and the initramfs.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Debian's kernel.
    pub kernel: Kernel,
    /// `target/linux/initramfs.cpio`.
    pub initramfs: PathBuf,
}

/// Builds the C programs, fetches the kernel (once), writes the initramfs.
pub fn prepare() -> Result<Prepared> {
    cprog::build()?;
    let kernel = linux_kernel::ensure()?;
    let initramfs = linux_kernel::dir().join("initramfs.cpio");
    initramfs::write(&cprog::bench_binary(), &cprog::tiny_binary(), &initramfs)?;
    Ok(Prepared { kernel, initramfs })
}

/// The QEMU machine of a Linux boot: [`super::run_one`]'s, with Linux's
/// kernel, initramfs and command line.
fn machine<'a>(p: &'a Prepared, accel: BenchAccel, cmdline: &'a str) -> Machine<'a> {
    Machine {
        arch: Arch::X86_64,
        boot: Boot::Direct,
        accel: accel.base(),
        smp: 1,
        mem: "512M",
        kernel: &p.kernel.vmlinuz,
        initrd: &p.initramfs,
        iso: None,
        cmdline,
        gdb: false,
        console: crate::qemu::Console::Plain,
    }
}

fn relative(line: String) -> String {
    line.replace(&format!("{}/", paths::root().display()), "")
}

/// Boots the Linux guest once under `accel`.
pub fn run_guest(
    p: &Prepared,
    accel: BenchAccel,
    quick: bool,
    filter: Option<&str>,
) -> Result<Side> {
    let line = append(quick, filter);
    let m = machine(p, accel, &line);
    let mut command = relative(m.shell_line()?);
    for a in accel.extra_args() {
        command.push(' ');
        command.push_str(a);
    }
    let mut cmd = m.command()?;
    cmd.args(accel.extra_args());
    let o = watch::run(cmd, Some(FIRST_LINE_TIMEOUT), accel.timeout(quick))?;
    side::save_log(System::Linux, accel, &o.lines);
    let mut problems = Vec::new();
    match o.ended {
        Ended::Exited => {}
        Ended::NoOutput => problems.push(format!(
            "no output within {} s (the guest hung in early boot)",
            FIRST_LINE_TIMEOUT.as_secs()
        )),
        Ended::TimedOut => problems.push(format!("timed out after {} s", o.elapsed.as_secs())),
    }
    if o.ended == Ended::Exited && o.status.is_some_and(|s| !s.success()) {
        problems.push(format!("QEMU exited with {}", o.status.expect("checked")));
    }
    let (report, status, mut note) = side::judge(&o.lines, filter, problems);
    // (QEMU's stderr says nothing useful when we stopped it ourselves.)
    if status != "ok" && o.ended == Ended::Exited && !o.stderr.trim().is_empty() {
        note = note.map(|n| format!("{n}; qemu: {}", o.stderr.trim()));
    }
    let uname = side::uname(&o.lines);
    Ok(Side {
        system: System::Linux,
        accel,
        status,
        note,
        command,
        kernel: Some(format!(
            "{} ({})",
            uname.unwrap_or_else(|| format!("Linux {}", p.kernel.release)),
            p.kernel.describe()
        )),
        report,
        wall: o.elapsed,
    })
}

/// Runs the program natively on the host.
pub fn run_host(quick: bool, filter: Option<&str>) -> Result<Side> {
    let bin = cprog::bench_binary();
    let args = cprog::args(quick, filter);
    let mut cmd = Command::new(&bin);
    cmd.args(&args).current_dir(paths::root());
    let mut command = shell_quote(&paths::show(&bin));
    for a in &args {
        command.push(' ');
        command.push_str(&shell_quote(a));
    }
    let o = watch::run(cmd, None, Duration::from_secs(600))?;
    side::save_log(System::HostLinux, BenchAccel::Kvm, &o.lines);
    let mut problems = Vec::new();
    if o.ended == Ended::TimedOut {
        problems.push(format!("timed out after {} s", o.elapsed.as_secs()));
    }
    if o.status.is_some_and(|s| s.code().is_none()) {
        problems.push(format!("killed: {}", o.status.expect("checked")));
    }
    let (report, status, note) = side::judge(&o.lines, filter, problems);
    Ok(Side {
        system: System::HostLinux,
        accel: BenchAccel::Kvm,
        status,
        note,
        command,
        kernel: side::uname(&o.lines).map(|u| format!("{u} (the host)")),
        report,
        wall: o.elapsed,
    })
}

/// The Linux side for one accelerator: the guest; under KVM, if the guest
/// does not come up, the host instead (saying why).
pub fn run(
    p: &Result<Prepared, String>,
    accel: BenchAccel,
    quick: bool,
    filter: Option<&str>,
) -> Side {
    let p = match p {
        Ok(p) => p,
        Err(why) => {
            return Side::not_run(
                System::Linux,
                accel,
                "failed",
                format!("not prepared: {why}"),
            )
        }
    };
    let guest = run_guest(p, accel, quick, filter)
        .unwrap_or_else(|e| Side::not_run(System::Linux, accel, "failed", e.to_string()));
    if accel != BenchAccel::Kvm || guest.status == "ok" || guest.report.config.is_some() {
        return guest;
    }
    let why = guest.note.clone().unwrap_or_default();
    let mut host = run_host(quick, filter)
        .unwrap_or_else(|e| Side::not_run(System::HostLinux, accel, "failed", e.to_string()));
    let fallback =
        format!("the Linux guest did not run under KVM ({why}); the host's Linux instead");
    host.note = Some(match host.note.take() {
        Some(n) => format!("{fallback}; {n}"),
        None => fallback,
    });
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line() {
        assert_eq!(append(false, None), "console=ttyS0 quiet panic=-1 --");
        assert_eq!(
            append(true, Some("fork")),
            "console=ttyS0 quiet panic=-1 -- --quick --filter fork"
        );
    }
}
