//! One system's run of the C benchmark program (a "side" of the
//! comparison): which system, how it was run, what it printed, and the
//! verdict on it (every selected benchmark must have a figure).

use std::path::PathBuf;
use std::time::Duration;

use super::parse::{self, Report};
use super::{cprog, BenchAccel};

/// The system that ran the C benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    /// ExoV6 with its library OS, in QEMU.
    Exov6,
    /// Debian's Linux kernel in QEMU, on the same QEMU command line.
    Linux,
    /// The host's own Linux, the program run natively (used under KVM
    /// when the Linux guest cannot boot there; it favours Linux).
    HostLinux,
}

impl System {
    /// The name in the JSON (`"system"`).
    pub fn name(self) -> &'static str {
        match self {
            System::Exov6 => "exov6",
            System::Linux => "linux",
            System::HostLinux => "host-linux",
        }
    }

    /// The column heading.
    pub fn label(self) -> &'static str {
        match self {
            System::Exov6 => "ExoV6",
            System::Linux => "Linux",
            System::HostLinux => "host Linux",
        }
    }
}

/// One run of the C benchmark on one system.
#[derive(Clone, Debug)]
pub struct Side {
    /// Who ran it.
    pub system: System,
    /// The accelerator of the comparison it belongs to.
    pub accel: BenchAccel,
    /// `ok`, `failed` or `skipped`.
    pub status: &'static str,
    /// Why it failed or was skipped, or how it ran.
    pub note: Option<String>,
    /// The command line (QEMU's, or the program's on the host).
    pub command: String,
    /// The kernel: `uname` as the program saw it, and where it came from.
    pub kernel: Option<String>,
    /// What the program printed.
    pub report: Report,
    /// Wall time of the run.
    pub wall: Duration,
}

impl Side {
    /// A side that did not run (or could not be prepared).
    pub fn not_run(system: System, accel: BenchAccel, status: &'static str, why: String) -> Side {
        Side {
            system,
            accel,
            status,
            note: Some(why),
            command: String::new(),
            kernel: None,
            report: Report::default(),
            wall: Duration::ZERO,
        }
    }

    /// The figure (median) of a benchmark, if this side printed one (a
    /// failed side keeps the figures it printed before it failed).
    pub fn median(&self, name: &str) -> Option<f64> {
        self.report
            .rows
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.median)
    }

    /// `n/a (reason)` for a side without figures, else `None`.
    pub fn unavailable(&self) -> Option<String> {
        (self.status != "ok")
            .then(|| format!("n/a ({})", self.note.as_deref().unwrap_or("did not run")))
    }
}

/// Keeps a run's output as `target/bench/cbench-<system>-<accel>.log`
/// (for reading after a failure); returns its path.
pub fn save_log(system: System, accel: BenchAccel, lines: &[String]) -> Option<PathBuf> {
    let path = log_path(system, accel);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::create_dir_all(path.parent()?).ok()?;
    std::fs::write(&path, text).ok()?;
    Some(path)
}

/// Where [`save_log`] keeps a run's output.
pub fn log_path(system: System, accel: BenchAccel) -> PathBuf {
    crate::paths::target_dir().join("bench").join(format!(
        "cbench-{}-{}.log",
        system.name(),
        accel.name()
    ))
}

/// `sysname release` from the program's `bench-uname` line.
pub fn uname(lines: &[String]) -> Option<String> {
    lines.iter().find_map(|l| {
        let rest = l.trim().strip_prefix("bench-uname ")?;
        let field = |k: &str| {
            rest.split_whitespace()
                .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))
        };
        Some(format!("{} {}", field("sysname")?, field("release")?))
    })
}

/// Reads the lines and judges them: every benchmark `filter` selects has
/// a figure, none failed, the program finished. `problems` holds what the
/// caller already found wrong (a timeout, a bad exit). Returns the report
/// and (status, note).
pub fn judge(
    lines: &[String],
    filter: Option<&str>,
    mut problems: Vec<String>,
) -> (Report, &'static str, Option<String>) {
    let report = parse::parse(lines);
    if let Some(p) = lines
        .iter()
        .find(|l| l.contains("Kernel panic") || l.contains("kernel: frames not returned"))
    {
        problems.push(p.trim().to_string());
    }
    if let Some(k) = lines.iter().find(|l| l.contains("killed by signal")) {
        problems.push(k.trim().to_string());
    }
    if let Some(k) = &report.killed {
        problems.push(format!("the program died: {k}"));
    }
    for (name, why) in &report.failures {
        problems.push(format!("{name}: {why}"));
    }
    if !report.done && problems.is_empty() {
        problems.push(if report.config.is_none() {
            "the program printed nothing (no `bench config`)".into()
        } else {
            "the program did not finish (no `bench done`)".into()
        });
    }
    let missing: Vec<&str> = cprog::selected(filter)
        .into_iter()
        .filter(|n| !report.rows.iter().any(|r| r.name == *n))
        .collect();
    if !missing.is_empty() && problems.is_empty() {
        problems.push(format!("no figure for {}", missing.join(", ")));
    }
    if problems.is_empty() {
        (report, "ok", None)
    } else {
        (report, "failed", Some(problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(t: &str) -> Vec<String> {
        t.lines().map(String::from).collect()
    }

    #[test]
    fn judging_a_run() {
        let ok = lines(
            "bench config batches=5 warmup=1 ops=per-benchmark quick=1 pid=1 cpu=0\n\
             bench-uname sysname=Linux release=6.1.0-56-cloud-amd64 machine=x86_64\n\
             bench pipe median=10.0 min=9.0 iters=100 batches=5 unit=tsc-cycles ns-median=4.0 ns-min=3.5\n\
             bench done failed=0",
        );
        assert_eq!(uname(&ok).as_deref(), Some("Linux 6.1.0-56-cloud-amd64"));
        let (r, status, note) = judge(&ok, Some("pipe"), vec![]);
        assert_eq!((status, note), ("ok", None));
        assert_eq!(r.rows[0].ns, Some((4.0, 3.5)));

        let (_, status, note) = judge(&ok, None, vec![]);
        assert_eq!(status, "failed");
        assert!(note.unwrap().starts_with("no figure for getpid"));

        let (_, status, note) = judge(&[], None, vec![]);
        assert_eq!(status, "failed");
        assert!(note.unwrap().contains("printed nothing"));

        let bad = lines(
            "bench config x\nbench futex: FAIL the worker answered 3 times\nbench done failed=1",
        );
        let (_, _, note) = judge(&bad, Some("futex"), vec!["timed out".into()]);
        assert_eq!(
            note.as_deref(),
            Some("timed out; futex: the worker answered 3 times")
        );

        let mut failed = Side::not_run(System::Exov6, BenchAccel::Tcg, "failed", "died".into());
        failed.report = r;
        assert_eq!(
            failed.median("pipe"),
            Some(10.0),
            "figures before the failure"
        );
        let s = Side::not_run(System::Exov6, BenchAccel::Tcg, "failed", "no LibOS".into());
        assert_eq!(s.unavailable().as_deref(), Some("n/a (no LibOS)"));
        assert_eq!(s.median("pipe"), None);
        assert_eq!(System::HostLinux.label(), "host Linux");
    }
}
