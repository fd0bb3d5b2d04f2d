//! The ExoV6 side of the C benchmark: the same static program, run by
//! the library OS. The ordinary root task starts init, and init starts
//! the program named on the kernel command line (`shutdown
//! init=/bin/cbench ARGS`); the lines it prints are read like
//! the Linux side's.
//!
//! A side that fails (no `bench` lines, or a benchmark that reports
//! `FAIL`) shows `n/a (reason)` in the comparison; [`REQUIRED`] makes
//! such a failure fail `cargo xtask bench` and the `bench-smoke` step.

use std::path::PathBuf;

use super::parse::Row;
use super::side::{self, Side, System};
use super::{cprog, BenchAccel};
use crate::arch::Arch;
use crate::build::{self, Artifacts, Output};
use crate::cli::AddSpec;
use crate::error::{bail, Result};
use crate::{build::initrd, paths};

/// Whether the ExoV6 side must succeed (in `cargo xtask bench`'s exit
/// code and in `bench-smoke`): the library OS runs the program.
pub const REQUIRED: bool = true;

/// The kernel command line: power off when the program exits, and start
/// `/bin/cbench` with the program's arguments.
pub fn cmdline(quick: bool, filter: Option<&str>) -> String {
    let mut line = String::from("shutdown init=/bin/cbench");
    for a in cprog::args(quick, filter) {
        line.push(' ');
        line.push_str(&a);
    }
    line
}

/// The initrd of an ExoV6 C-benchmark boot: the build's programs plus
/// [`cprog::guest_files`], in `target/exov6/x86_64/cbench-initrd.cpio`
/// (the ordinary initrd is left alone).
pub fn write_initrd(art: &Artifacts) -> Result<PathBuf> {
    let mut files = art.programs.clone();
    for (host, guest) in cprog::guest_files() {
        files.push(AddSpec { host, guest });
    }
    let path = paths::out_dir(Arch::X86_64).join("cbench-initrd.cpio");
    initrd::write(Arch::X86_64, &files, &path)?;
    Ok(path)
}

/// Boots ExoV6 from an existing build (`art`, with the C programs already
/// built) under `accel` and reads the program's lines.
pub fn boot(art: &Artifacts, accel: BenchAccel, quick: bool, filter: Option<&str>) -> Result<Side> {
    let initrd = write_initrd(art)?;
    let line = cmdline(quick, filter);
    let (o, command, problems) = super::boot_exov6(&art.kernel, &initrd, &line, accel, quick)?;
    side::save_log(System::Exov6, accel, &o.lines);
    let (report, status, mut note) = side::judge(&o.lines, filter, problems);
    if status != "ok" && report.config.is_none() {
        // Say what the system did instead, from its last lines.
        let tail: Vec<&str> = o
            .lines
            .iter()
            .rev()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .take(2)
            .collect();
        if let Some(n) = note.as_mut() {
            if !tail.is_empty() {
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                n.push_str(&format!("; last lines: {}", tail.join(" | ")));
            }
        }
    }
    Ok(Side {
        system: System::Exov6,
        accel,
        status,
        note,
        command,
        kernel: side::uname(&o.lines).map(|u| format!("{u} (as the LibOS reports it)")),
        report,
        wall: o.elapsed,
    })
}

/// The ExoV6 side of the C benchmark, whole: builds the kernel, the user
/// programs and the C programs, boots ExoV6 with `init=/bin/cbench ARGS`
/// under `accel`, and returns the program's figures, or why there are
/// none.
pub fn run_exov6_cbench(accel: BenchAccel, quick: bool, filter: Option<&str>) -> Result<Vec<Row>> {
    let art = build::all(Arch::X86_64, &[], Output::Capture)?;
    cprog::build_guest_files()?;
    let side = boot(&art, accel, quick, filter)?;
    match side.status {
        "ok" => Ok(side.report.rows),
        _ => bail!(
            "ExoV6 C benchmark under {}: {}",
            accel.name(),
            side.note.unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line() {
        assert_eq!(cmdline(false, None), "shutdown init=/bin/cbench");
        assert_eq!(
            cmdline(true, Some("pipe")),
            "shutdown init=/bin/cbench --quick --filter pipe"
        );
    }
}
