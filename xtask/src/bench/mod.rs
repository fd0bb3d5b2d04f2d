//! `cargo xtask bench`: boots the native benchmark program (`user/bench`)
//! under each requested accelerator, collects its figures, prints a table
//! per accelerator, writes `target/bench/results.json`, and with
//! `--record` rewrites the results section of `docs/benchmarks.md`.
//!
//! The kernel only starts `/sbin/root`, so the benchmark program is booted
//! as the root task of a separate initrd (`target/exov6/x86_64/
//! bench-initrd.cpio`, with `/sbin/root` = `bench`); the ordinary initrd
//! keeps the real root task (and carries `bench` as `/bin/bench`). Its
//! arguments are the words after `init=/sbin/root` on the kernel command
//! line (the kernel hands its whole line to the root task).
//!
//! Beside the native benchmarks it runs the C benchmark program
//! (`user/cbench`) on both systems under the same accelerator:
//! on Linux (Debian's kernel in the same QEMU machine, [`linux`]; under
//! KVM the host's Linux if the guest cannot boot) and on ExoV6 through
//! its library OS ([`exov6_c`]), and prints the comparison ([`compare`]).
//! A side that fails shows as `n/a (reason)`; it does not stop the rest.
//!
//! The results are per system (`"system"` in the JSON: `exov6`, `linux`,
//! `host-linux`), and `target/bench/ratios.svg` charts the ratios.

mod compare;
mod cprog;
mod exov6_c;
mod initramfs;
mod linux;
mod linux_kernel;
mod parse;
pub mod profile;
mod report;
mod side;
mod watch;

pub use exov6_c::run_exov6_cbench;

use std::path::PathBuf;
use std::time::Duration;

use crate::arch::Arch;
use crate::build::{self, Artifacts, Output};
use crate::cli::{AddSpec, BenchOpts, Boot};
use crate::error::{bail, Result};
use crate::qemu::accel::{self, Accel, KVM_BANNER_TIMEOUT};
use crate::qemu::session::{self, Ended, Input, Watch};
use crate::qemu::Machine;
use crate::{build::deps, build::initrd, build::user, paths};

pub use parse::Report;

/// The benchmarks `user/bench` runs, with what one operation is.
pub const BENCHMARKS: &[(&str, &str)] = &[
    (
        "null-syscall",
        "native `Yield` with no other environment to run (enter, dispatch, return)",
    ),
    ("identify", "`cap_identify` of a frame capability"),
    ("map-unmap", "`map` of one frame, then `unmap` of it"),
    (
        "exception-upcall",
        "divide error -> upcall -> handler skips the `div` -> user-level resume (no system call)",
    ),
    (
        "fault-upcall",
        "page fault -> upcall -> handler maps the page (`map`) -> resume, write completes; then `unmap`",
    ),
    (
        "reflect-syscall",
        "Linux `syscall` 39 reflected to the handler, answered in `rax`, user-level resume",
    ),
    (
        "ipc-call-reply",
        "`call` to a server child in another address space waiting in `reply_recv`, reply back (round trip)",
    ),
    (
        "yield-to",
        "`yield_to` a child in another address space, which bumps a shared counter and `yield_to`s back (round trip)",
    ),
];

/// A way of running QEMU for a benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BenchAccel {
    /// Hardware virtualisation.
    Kvm,
    /// Software emulation.
    Tcg,
    /// TCG with `-icount shift=0`: one instruction = 1 ns of guest time,
    /// so figures repeat from run to run and count work, not speed.
    Icount,
}

impl BenchAccel {
    /// All, in report order.
    pub const ALL: [BenchAccel; 3] = [BenchAccel::Kvm, BenchAccel::Tcg, BenchAccel::Icount];

    /// `kvm`, `tcg` or `icount`.
    pub fn name(self) -> &'static str {
        match self {
            BenchAccel::Kvm => "kvm",
            BenchAccel::Tcg => "tcg",
            BenchAccel::Icount => "icount",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<BenchAccel> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }

    /// The QEMU accelerator underneath.
    fn base(self) -> Accel {
        match self {
            BenchAccel::Kvm => Accel::Kvm,
            BenchAccel::Tcg | BenchAccel::Icount => Accel::Tcg,
        }
    }

    /// QEMU arguments added to the machine's.
    fn extra_args(self) -> &'static [&'static str] {
        match self {
            BenchAccel::Icount => &["-icount", "shift=0"],
            BenchAccel::Kvm | BenchAccel::Tcg => &[],
        }
    }

    /// Wall-clock limit for one benchmark boot.
    fn timeout(self, quick: bool) -> Duration {
        Duration::from_secs(match (self, quick) {
            (BenchAccel::Kvm, _) => 1200,
            (_, true) => 60,
            (_, false) => 300,
        })
    }
}

/// How many batches of how many operations the program runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    /// Timed batches.
    pub batches: u32,
    /// Operations per batch.
    pub ops: u32,
    /// Untimed warm-up batches.
    pub warmup: u32,
}

impl Amount {
    /// What a run under `accel` uses: 100 x 100 after 10 warm-up batches
    /// (`--quick`: 10 x 20 after 2). Under KVM the warm-up is cut to 2
    /// batches: guest code runs ~500x slower than TCG under this host's
    /// nested KVM, and the timed 10,000 operations are what matter.
    pub fn for_run(accel: BenchAccel, quick: bool) -> Amount {
        match (quick, accel) {
            (true, _) => Amount {
                batches: 10,
                ops: 20,
                warmup: 2,
            },
            (false, BenchAccel::Kvm) => Amount {
                batches: 100,
                ops: 100,
                warmup: 2,
            },
            (false, _) => Amount {
                batches: 100,
                ops: 100,
                warmup: 10,
            },
        }
    }

    /// A note for the output if this differs from the standard amount.
    pub fn note(self, accel: BenchAccel, quick: bool) -> Option<String> {
        (!quick && accel == BenchAccel::Kvm).then(|| {
            format!(
                "warm-up cut to {} batches under KVM (slow nested KVM here)",
                self.warmup
            )
        })
    }
}

/// The kernel command line of a benchmark boot.
pub fn cmdline(amount: Amount, filter: Option<&str>) -> String {
    let mut line = format!(
        "shutdown init=/sbin/root batches={} ops={} warmup={}",
        amount.batches, amount.ops, amount.warmup
    );
    if let Some(f) = filter {
        line.push_str(&format!(" filter={f}"));
    }
    line
}

/// The outcome of the benchmark program under one accelerator.
#[derive(Clone, Debug)]
pub struct Run {
    /// Accelerator.
    pub accel: BenchAccel,
    /// `ok`, `failed` or `skipped`.
    pub status: &'static str,
    /// Why it failed or was skipped, or a note on how it ran.
    pub note: Option<String>,
    /// The QEMU command line (shell syntax).
    pub qemu_command: String,
    /// What the serial output said.
    pub report: Report,
    /// Wall time of the boot.
    pub wall: Duration,
    /// Wall time from QEMU's start to the kernel's banner.
    pub banner_after: Option<Duration>,
}

/// The files a benchmark boot uses: the kernel and the bench initrd.
pub struct Prepared {
    /// The normal build.
    pub art: Artifacts,
    /// The initrd with `bench` as `/sbin/root`.
    pub initrd: PathBuf,
}

/// Builds everything and writes the benchmark initrd.
pub fn prepare(output: Output) -> Result<Prepared> {
    prepare_from(build::all(Arch::X86_64, &[], output)?)
}

/// Writes the benchmark initrd for an existing build: its programs, with
/// `bench` as `/sbin/root`.
pub fn prepare_from(art: Artifacts) -> Result<Prepared> {
    let mut files = art.programs.clone();
    files.push(AddSpec {
        host: user::binary("bench"),
        guest: "/sbin/root".into(),
    });
    let path = paths::out_dir(Arch::X86_64).join("bench-initrd.cpio");
    initrd::write(Arch::X86_64, &files, &path)?;
    Ok(Prepared { art, initrd: path })
}

/// Boots ExoV6 once for a benchmark run under `accel` and waits for it to
/// power off. Returns what the console showed, the QEMU command line (shell
/// syntax, paths relative to the repository root, where `cargo xtask`
/// runs) and the problems of the boot itself (a timeout, no banner, a
/// deadlock, a bad exit).
pub(super) fn boot_exov6(
    kernel: &std::path::Path,
    initrd: &std::path::Path,
    line: &str,
    accel: BenchAccel,
    quick: bool,
) -> Result<(session::Outcome, String, Vec<String>)> {
    boot_exov6_with(kernel, initrd, line, accel, accel.timeout(quick), &[])
}

/// [`boot_exov6`] with a given time limit and more QEMU arguments (the
/// profiler's `-plugin`).
pub(crate) fn boot_exov6_with(
    kernel: &std::path::Path,
    initrd: &std::path::Path,
    line: &str,
    accel: BenchAccel,
    timeout: Duration,
    extra: &[String],
) -> Result<(session::Outcome, String, Vec<String>)> {
    let m = Machine {
        arch: Arch::X86_64,
        boot: Boot::Direct,
        accel: accel.base(),
        smp: 1,
        mem: "512M",
        kernel,
        initrd,
        iso: None,
        cmdline: line,
        gdb: false,
        console: crate::qemu::Console::Plain,
    };
    let mut command = m
        .shell_line()?
        .replace(&format!("{}/", paths::root().display()), "");
    for a in accel
        .extra_args()
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        command.push(' ');
        command.push_str(a);
    }
    let mut cmd = m.command()?;
    cmd.args(accel.extra_args());
    cmd.args(extra);
    let watch = Watch {
        echo: false,
        input: Input::Script(Vec::new()),
        timeout: Some(timeout),
        banner_timeout: (accel == BenchAccel::Kvm).then_some(KVM_BANNER_TIMEOUT),
        capture_stderr: true,
    };
    let o = session::run(cmd, &watch)?;
    let mut problems = Vec::new();
    match o.ended {
        Ended::Exited => {}
        Ended::TimedOut => problems.push(format!("timed out after {} s", o.elapsed.as_secs())),
        Ended::NoBanner => problems.push(format!(
            "no banner within {} s",
            KVM_BANNER_TIMEOUT.as_secs()
        )),
        Ended::Deadlock => problems.push("the kernel reported a deadlock".into()),
    }
    if o.ended == Ended::Exited && !o.exit.is_ok() {
        problems.push(o.exit.describe());
    }
    Ok((o, command, problems))
}

/// Boots the benchmark program once under `accel`.
pub fn run_one(p: &Prepared, accel: BenchAccel, quick: bool, filter: Option<&str>) -> Result<Run> {
    let amount = Amount::for_run(accel, quick);
    let line = cmdline(amount, filter);
    let (o, qemu_command, mut problems) =
        boot_exov6(&p.art.kernel, &p.initrd, &line, accel, quick)?;
    let report = parse::parse(&o.lines);
    if let Some(k) = &report.killed {
        problems.push(format!("the program died: {k}"));
    }
    // The kernel's leak check after the program (and its server children).
    if let Some(leak) = o
        .lines
        .iter()
        .find(|l| l.contains("kernel: frames not returned"))
    {
        problems.push(leak.trim().to_string());
    }
    for (name, why) in &report.failures {
        problems.push(format!("{name}: {why}"));
    }
    if !report.done && report.killed.is_none() && o.ended == Ended::Exited {
        problems.push("the program did not finish (no `bench done`)".into());
    }
    let missing: Vec<&str> = BENCHMARKS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| filter.is_none_or(|f| n.contains(f)))
        .filter(|n| !report.rows.iter().any(|r| r.name == *n))
        .collect();
    if !missing.is_empty() && problems.is_empty() {
        problems.push(format!("no figure for {}", missing.join(", ")));
    }
    if !o.stderr.trim().is_empty() && !problems.is_empty() {
        problems.push(format!("qemu: {}", o.stderr.trim()));
    }
    let (status, note) = if problems.is_empty() {
        ("ok", amount.note(accel, quick))
    } else {
        ("failed", Some(problems.join("; ")))
    };
    Ok(Run {
        accel,
        status,
        note,
        qemu_command,
        report,
        wall: o.elapsed,
        banner_after: o.banner_after,
    })
}

/// A run that did not happen.
fn skipped(accel: BenchAccel, why: String) -> Run {
    Run {
        accel,
        status: "skipped",
        note: Some(why),
        qemu_command: String::new(),
        report: Report::default(),
        wall: Duration::ZERO,
        banner_after: None,
    }
}

/// Builds the C programs and prepares the Linux boot, for the benchmarks
/// `filter` selects. Returns (C programs built, Linux prepared), each an
/// error message if it could not be done.
fn prepare_c(
    filter: Option<&str>,
) -> (
    std::result::Result<(), String>,
    std::result::Result<linux::Prepared, String>,
) {
    if cprog::selected(filter).is_empty() {
        let why = "no C benchmark matches --filter".to_string();
        return (Err(why.clone()), Err(why));
    }
    let built = deps::ensure(&[deps::Need::Musl])
        .and_then(|_| cprog::build())
        .map_err(|e| e.to_string());
    let linux = match &built {
        Ok(()) => linux::prepare().map_err(|e| e.to_string()),
        Err(e) => Err(e.clone()),
    };
    (built, linux)
}

/// The C benchmark on both systems under `accel`.
fn compare_one(
    p: &Prepared,
    c_built: &std::result::Result<(), String>,
    linux_prep: &std::result::Result<linux::Prepared, String>,
    accel: BenchAccel,
    quick: bool,
    filter: Option<&str>,
) -> compare::Comparison {
    use side::{Side, System};
    println!(
        "\nbench: the C benchmark on Linux under {}...",
        accel.name()
    );
    let linux = linux::run(linux_prep, accel, quick, filter);
    println!("bench: the C benchmark on ExoV6 under {}...", accel.name());
    let exov6 = match c_built {
        Ok(()) => exov6_c::boot(&p.art, accel, quick, filter)
            .unwrap_or_else(|e| Side::not_run(System::Exov6, accel, "failed", e.to_string())),
        Err(why) => Side::not_run(System::Exov6, accel, "failed", why.clone()),
    };
    compare::Comparison {
        accel,
        exov6,
        linux,
    }
}

/// `cargo xtask bench`; returns the exit code.
pub fn bench(opts: &BenchOpts) -> Result<u8> {
    let report = deps::ensure(&[deps::Need::Qemu(Arch::X86_64)])?;
    if report.starts_with("installed") {
        eprintln!("xtask: {report}");
    }
    let filter = opts.filter.as_deref();
    let kvm_ok = accel::kvm_device_usable();
    let accels: Vec<BenchAccel> = if opts.accels.is_empty() {
        BenchAccel::ALL
            .into_iter()
            .filter(|a| *a != BenchAccel::Kvm || kvm_ok)
            .collect()
    } else {
        opts.accels.clone()
    };
    if opts.record && (opts.quick || opts.filter.is_some()) {
        bail!("--record wants a full run: drop --quick and --filter");
    }
    let prepared = prepare(Output::Show)?;
    println!("built {}", prepared.art.describe());
    println!("bench initrd {}", paths::show(&prepared.initrd));
    let (c_built, linux_prep) = prepare_c(filter);
    match &linux_prep {
        Ok(l) => println!(
            "linux  {} ({}), initramfs {}",
            paths::show(&l.kernel.vmlinuz),
            l.kernel.describe(),
            paths::show(&l.initramfs)
        ),
        Err(why) => println!("linux  not prepared: {why}"),
    }
    let mut runs = Vec::new();
    let mut comparisons = Vec::new();
    for accel in accels {
        if accel == BenchAccel::Kvm && !kvm_ok {
            let run = skipped(accel, "/dev/kvm is not usable".into());
            print!("{}", report::table(&run));
            runs.push(run);
            continue;
        }
        println!(
            "\nbench: booting under {} (this can take a while under KVM)...",
            accel.name()
        );
        let run = run_one(&prepared, accel, opts.quick, filter)?;
        print!("{}", report::table(&run));
        if !cprog::selected(filter).is_empty() {
            let c = compare_one(&prepared, &c_built, &linux_prep, accel, opts.quick, filter);
            print!("{}", compare::table(&c, Some(&run), filter));
            comparisons.push(c);
        }
        runs.push(run);
    }
    let host = report::Host::probe();
    let json = report::json(&host, opts.quick, &runs, &comparisons);
    let dir = paths::target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    let out = dir.join("results.json");
    std::fs::write(&out, json)?;
    println!("\nwrote {}", paths::show(&out));
    if !comparisons.is_empty() {
        let chart = dir.join("ratios.svg");
        std::fs::write(&chart, compare::svg(&comparisons, &runs, filter))?;
        println!("wrote {}", paths::show(&chart));
    }
    if opts.record {
        let doc = paths::root().join("docs/benchmarks.md");
        report::record(&doc, &host, &runs, &comparisons)?;
        println!("recorded the results in {}", paths::show(&doc));
    }
    let failed = runs.iter().filter(|r| r.status == "failed").count()
        + comparisons
            .iter()
            .filter(|c| {
                c.linux.status == "failed" || (exov6_c::REQUIRED && c.exov6.status == "failed")
            })
            .count();
    Ok(if failed > 0 { 1 } else { 0 })
}

/// The `bench-smoke` step of `cargo xtask test`: `--quick` on TCG, the
/// native benchmarks and then the C benchmark on the Linux guest (and on
/// ExoV6 once [`exov6_c::REQUIRED`]). Every benchmark must produce a
/// number; no timing is judged. Uses the test
/// run's build `art`. Returns a detail for the PASS line, or the reason
/// and tail lines of a failure.
pub fn smoke(art: &Artifacts) -> std::result::Result<String, (String, Vec<String>)> {
    let p = prepare_from(art.clone()).map_err(|e| (e.to_string(), Vec::new()))?;
    let run = run_one(&p, BenchAccel::Tcg, true, None).map_err(|e| (e.to_string(), Vec::new()))?;
    let table: Vec<String> = report::table(&run).lines().map(String::from).collect();
    if run.status != "ok" {
        return Err((run.note.unwrap_or_default(), table));
    }
    let native = format!(
        "{:.2} s, tcg, {} native benchmarks",
        run.wall.as_secs_f64(),
        run.report.rows.len()
    );
    // The C benchmark on Linux: every benchmark must produce a number.
    let linux = linux::prepare()
        .and_then(|p| linux::run_guest(&p, BenchAccel::Tcg, true, None))
        .map_err(|e| (format!("Linux side: {e}"), Vec::new()))?;
    if linux.status != "ok" {
        let c = compare::Comparison {
            accel: BenchAccel::Tcg,
            exov6: side::Side::not_run(
                side::System::Exov6,
                BenchAccel::Tcg,
                "skipped",
                "not run by bench-smoke".into(),
            ),
            linux: linux.clone(),
        };
        let mut table: Vec<String> = compare::table(&c, None, None)
            .lines()
            .map(String::from)
            .collect();
        // The guest's last serial lines.
        let log = side::log_path(side::System::Linux, BenchAccel::Tcg);
        if let Ok(text) = std::fs::read_to_string(&log) {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(20);
            table.extend(lines[from..].iter().map(|l| format!("[serial] {l}")));
        }
        return Err((
            format!("Linux side: {}", linux.note.unwrap_or_default()),
            table,
        ));
    }
    let mut detail = format!(
        "{native}; Linux {:.2} s, {} C benchmarks",
        linux.wall.as_secs_f64(),
        linux.report.rows.len()
    );
    // The ExoV6 side, once the LibOS runs the program.
    if exov6_c::REQUIRED {
        let rows = run_exov6_cbench(BenchAccel::Tcg, true, None)
            .map_err(|e| (e.to_string(), Vec::new()))?;
        detail.push_str(&format!("; ExoV6 {} C benchmarks", rows.len()));
    }
    Ok(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_meet_the_minimum() {
        for accel in BenchAccel::ALL {
            let a = Amount::for_run(accel, false);
            assert!(
                u64::from(a.batches) * u64::from(a.ops) >= 10_000,
                "{accel:?}"
            );
            assert!(a.batches >= 15, "{accel:?}");
        }
        assert_eq!(Amount::for_run(BenchAccel::Tcg, true).batches, 10);
        assert!(Amount::for_run(BenchAccel::Kvm, false)
            .note(BenchAccel::Kvm, false)
            .is_some());
        assert!(Amount::for_run(BenchAccel::Tcg, false)
            .note(BenchAccel::Tcg, false)
            .is_none());
    }

    #[test]
    fn command_lines() {
        let a = Amount::for_run(BenchAccel::Tcg, true);
        assert_eq!(
            cmdline(a, Some("map")),
            "shutdown init=/sbin/root batches=10 ops=20 warmup=2 filter=map"
        );
        assert_eq!(BenchAccel::parse("icount"), Some(BenchAccel::Icount));
        assert_eq!(BenchAccel::Icount.extra_args(), ["-icount", "shift=0"]);
        assert_eq!(BenchAccel::Icount.base(), Accel::Tcg);
        assert!(BenchAccel::parse("hvf").is_none());
    }
}
