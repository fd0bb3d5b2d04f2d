//! The `busybox-suite` step of `cargo xtask test`: the test suite that
//! ships in Debian's busybox source package (`testsuite/`, fetched by
//! [`source`]) run against the project's static busybox on the host and in
//! ExoV6, side by side, by the same driver (`user/busybox-suite/run.sh`)
//! under busybox's own shell.
//!
//! The host run goes in `target/busybox-suite/host/`. The guest run boots
//! a ramdisk of its own (the usual programs plus the suite as `/bbsuite/`)
//! with `shutdown init=/bin/sh /bbsuite/run.sh ...`, which copies the suite
//! into `/tmp/bbsuite` and prints each test's result on the console; a
//! run cut short (timeout, hang, crash) still counts the tests that
//! finished. The step fails when a test of the expected list
//! (`user/busybox-suite/expected.txt`) does not pass in ExoV6, or does not
//! pass on the host (the list may only name host-passing tests). Every run
//! writes `target/busybox-suite/{host,exov6,both}.txt`; with
//! `EXOV6_BUSYBOX_SUITE_UPDATE=1` it rewrites the list with every test
//! that passes on both.

mod results;
mod source;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::arch::Arch;
use crate::build::Artifacts;
use crate::cli::{AddSpec, Boot, TestOpts};
use crate::error::{Context, Result};
use crate::qemu::accel::Accel;
use crate::qemu::session::{self, Ended, Input, Watch};
use crate::qemu::{Console, Machine};
use crate::test::report::{secs, Tally};
use results::Run;

/// The step's name.
pub const STEP: &str = "busybox-suite";
/// Set to `1`: run every test file in ExoV6 and rewrite the expected list
/// with the tests passing on both.
pub const UPDATE_ENV: &str = "EXOV6_BUSYBOX_SUITE_UPDATE";
/// Set to `1`: run every test file in ExoV6, not only those holding a
/// listed test.
pub const ALL_ENV: &str = "EXOV6_BUSYBOX_SUITE_ALL";
/// The expected list, from the repository root.
const LIST: &str = "user/busybox-suite/expected.txt";
/// The driver, from the repository root.
const DRIVER: &str = "user/busybox-suite/run.sh";
/// The binary under test (Debian's `busybox-static`, as in the ramdisk).
const BUSYBOX: &str = crate::build::guest::BUSYBOX;
/// Where the suite, its config and the driver are in the guest.
const GUEST_DIR: &str = "/bbsuite";
/// The guest's scratch directory (the suite writes next to its tests).
const GUEST_WORK: &str = "/tmp/bbsuite";
/// A whole run's time limit, host or guest (each test file also has the
/// driver's own limit, 300 s).
const RUN_TIMEOUT: Duration = Duration::from_secs(600);
/// Console lines shown when the guest run went wrong.
const TAIL_LINES: usize = 15;

/// Whether `selected` accepts the step.
pub fn selected(selected: impl Fn(&str) -> bool) -> bool {
    selected(STEP)
}

/// `target/busybox-suite`.
fn out_dir() -> PathBuf {
    crate::paths::target_dir().join("busybox-suite")
}

/// The host run: the driver's lines and each test file's expected cost
/// in ExoV6 ([`guest_cost`]).
struct HostRun {
    lines: Vec<String>,
    cost: Vec<(String, Duration)>,
    elapsed: Duration,
}

/// The last process id handed out here, and the largest there can be.
type PidMark = Option<(u64, u64)>;

/// Reads a [`PidMark`].
fn last_pid() -> PidMark {
    let read = |p: &str| std::fs::read_to_string(p).ok()?.trim().parse().ok();
    Some((
        read("/proc/sys/kernel/ns_last_pid")?,
        read("/proc/sys/kernel/pid_max")?,
    ))
}

/// Processes made between two [`last_pid`] readings (others' included).
fn made(before: PidMark, after: PidMark) -> u64 {
    match (before, after) {
        (Some((b, _)), Some((a, _))) if a >= b => a - b,
        (Some((b, max)), Some((a, _))) => max - b + a,
        _ => 0,
    }
}

/// What a test file is expected to cost in ExoV6 under TCG, from its host
/// run: its computing (about 4 times the host's time) and its processes
/// (about 13 ms per fork, most of its time: the hash tests fork
/// thousands of times in well under a second on the host).
fn guest_cost(host_time: Duration, processes: u64) -> Duration {
    host_time * 4 + Duration::from_millis(13) * processes as u32
}

/// Runs the driver on the host with the binary, in `work`. Stops it (the
/// whole process group) after [`RUN_TIMEOUT`].
fn host_run(suite: &source::Source, work: &Path) -> Result<HostRun> {
    let start = Instant::now();
    let mut cmd = Command::new(BUSYBOX);
    cmd.arg("sh")
        .arg(crate::paths::root().join(DRIVER))
        .arg(&suite.testsuite)
        .arg(&suite.config)
        .arg(BUSYBOX)
        .arg(work)
        .env_clear()
        .current_dir(out_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = crate::proc::spawn(&mut cmd)?;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n').map_while(|l| l.ok()) {
            if tx
                .send(String::from_utf8_lossy(&line).into_owned())
                .is_err()
            {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let mut cost = Vec::new();
    let mut begun: Option<(String, Instant, PidMark)> = None;
    loop {
        let left = RUN_TIMEOUT.saturating_sub(start.elapsed());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(f) = line.strip_prefix("bbsuite: begin ") {
                    begun = Some((f.to_string(), Instant::now(), last_pid()));
                } else if line.starts_with("bbsuite: end ") {
                    if let Some((f, t, pid)) = begun.take() {
                        cost.push((f, guest_cost(t.elapsed(), made(pid, last_pid()))));
                    }
                }
                lines.push(line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Everything the driver started is in its process group.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                break;
            }
        }
    }
    let _ = child.wait();
    Ok(HostRun {
        lines,
        cost,
        elapsed: start.elapsed(),
    })
}

/// The ramdisk of the guest run: `art`'s programs, the suite as
/// `/bbsuite/testsuite/...`, its config as `/bbsuite/config` and the
/// driver as `/bbsuite/run.sh`.
fn guest_initrd(art: &Artifacts, suite: &source::Source) -> Result<PathBuf> {
    let mut adds = art.programs.clone();
    let add = |host: PathBuf, guest: String| AddSpec { host, guest };
    let mut stack = vec![(suite.testsuite.clone(), format!("{GUEST_DIR}/testsuite"))];
    while let Some((dir, guest)) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for e in entries {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            if path.is_dir() {
                stack.push((path, format!("{guest}/{name}")));
            } else if path.is_file() {
                adds.push(add(path, format!("{guest}/{name}")));
            }
        }
    }
    adds.push(add(suite.config.clone(), format!("{GUEST_DIR}/config")));
    adds.push(add(
        crate::paths::root().join(DRIVER),
        format!("{GUEST_DIR}/run.sh"),
    ));
    let out = crate::paths::out_dir(art.arch).join("initrd-busybox-suite.cpio");
    crate::build::initrd::write(art.arch, &adds, &out)?;
    Ok(out)
}

/// The guest's kernel command line, running the test files `files`
/// (`sed.tests`, `cp/`).
fn guest_cmdline(files: &[String]) -> String {
    let mut line = format!(
        "shutdown init=/bin/sh {GUEST_DIR}/run.sh {GUEST_DIR}/testsuite {GUEST_DIR}/config {BUSYBOX} {GUEST_WORK}"
    );
    for f in files {
        line.push(' ');
        line.push_str(results::driver_arg(f));
    }
    line
}

/// What became of the guest run.
struct GuestRun {
    lines: Vec<String>,
    ended: Ended,
    elapsed: Duration,
}

fn guest_run(art: &Artifacts, initrd: &Path, accel: Accel, files: &[String]) -> Result<GuestRun> {
    let cmdline = guest_cmdline(files);
    let m = Machine {
        arch: Arch::X86_64,
        boot: Boot::Direct,
        accel,
        smp: 1,
        mem: "512M",
        kernel: &art.kernel,
        initrd,
        iso: None,
        cmdline: &cmdline,
        gdb: false,
        console: Console::Plain,
    };
    let watch = Watch {
        echo: false,
        input: Input::Script(Vec::new()),
        timeout: Some(RUN_TIMEOUT),
        banner_timeout: None,
        capture_stderr: true,
    };
    let o = session::run(m.command()?, &watch)?;
    Ok(GuestRun {
        lines: o.lines,
        ended: o.ended,
        elapsed: o.elapsed,
    })
}

/// How a run ended, for the step's line: `done` or why it stopped.
fn ending(run: &Run, timed_out: bool, elapsed: Duration) -> String {
    if let Some(why) = &run.setup_failed {
        return format!("setup failed: {why}");
    }
    if run.done {
        return "done".into();
    }
    let at = run
        .unfinished
        .as_deref()
        .map_or(String::new(), |f| format!(" in {f}"));
    if timed_out {
        format!("timed out after {}{at}", secs(elapsed))
    } else {
        format!("stopped{at}")
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// True when the environment variable `name` is `1`.
fn env_on(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// The test files the guest runs: every one the host ran with
/// [`ALL_ENV`] (or [`UPDATE_ENV`]), else those holding a listed test; with
/// the cost of each.
fn guest_files(
    host: &Run,
    cost: &[(String, Duration)],
    list: &[String],
) -> Vec<(String, Duration)> {
    let all = env_on(ALL_ENV) || env_on(UPDATE_ENV);
    let wanted: BTreeSet<&str> = list
        .iter()
        .filter_map(|k| host.file_of.get(k).map(String::as_str))
        .collect();
    host.files
        .iter()
        .filter(|f| all || wanted.contains(f.as_str()))
        .map(|f| {
            let c = cost
                .iter()
                .find(|(n, _)| n == f)
                .map_or(Duration::ZERO, |c| c.1);
            (f.clone(), c)
        })
        .collect()
}

/// The whole step; `Ok` with the PASS detail, `Err` with the reason and
/// the lines to show.
fn step(
    art: &Artifacts,
    opts: &TestOpts,
) -> Result<std::result::Result<String, (String, Vec<String>)>> {
    let suite = source::ensure()?;
    let out = out_dir();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let h = host_run(&suite, &out.join("host"))?;
    let host = results::parse(h.lines.iter().map(String::as_str));
    if !host.done || host.setup_failed.is_some() {
        let why = ending(&host, h.elapsed >= RUN_TIMEOUT, h.elapsed);
        let tail = crate::proc::tail(&h.lines.join("\n"), TAIL_LINES)
            .into_iter()
            .map(str::to_string)
            .collect();
        return Ok(Err((format!("the host run did not finish: {why}"), tail)));
    }

    let list_path = crate::paths::root().join(LIST);
    let list_text = std::fs::read_to_string(&list_path)
        .with_context(|| format!("reading {}", list_path.display()))?;
    let list = results::read_list(&list_text);

    // The guest's test files, in parallel boots of about equal cost.
    let files = guest_files(&host, &h.cost, &list);
    let groups = results::balance(&files, opts.jobs);
    let accel = crate::qemu::accel_cache::choose(opts.accel, art)?.accel;
    let mut guest = Run {
        done: true,
        ..Run::default()
    };
    let mut guest_time = Duration::ZERO;
    let mut timed_out = false;
    let mut tails = Vec::new();
    if !groups.is_empty() {
        let initrd = guest_initrd(art, &suite)?;
        let runs: Vec<Result<GuestRun>> = std::thread::scope(|s| {
            let handles: Vec<_> = groups
                .iter()
                .map(|g| s.spawn(|| guest_run(art, &initrd, accel, g)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a guest run thread panicked"))
                .collect()
        });
        for r in runs {
            let g = r?;
            let part = results::parse(g.lines.iter().map(String::as_str));
            if !part.done {
                let start = g.lines.len().saturating_sub(TAIL_LINES);
                tails.extend(g.lines[start..].iter().map(|l| format!("[console] {l}")));
            }
            guest.merge(part);
            guest_time = guest_time.max(g.elapsed);
            timed_out |= g.ended == Ended::TimedOut;
        }
    }
    let v = results::judge(&host, &guest, &list);

    write(&out.join("host.txt"), &host.listing())?;
    write(&out.join("exov6.txt"), &guest.listing())?;
    let mut both = v.both.join("\n");
    both.push('\n');
    write(&out.join("both.txt"), &both)?;
    if env_on(UPDATE_ENV) {
        let names = v.both.iter().map(String::as_str).collect();
        write(&list_path, &results::write_list(&names))?;
        println!("busybox testsuite: wrote {} names to {LIST}", v.both.len());
    }
    println!("{}", v.counts());
    let guest_part = if groups.is_empty() {
        format!("ExoV6 ran no test file (none holds a listed test; {ALL_ENV}=1 runs them all)")
    } else {
        let estimate = groups
            .iter()
            .map(|g| {
                g.iter()
                    .filter_map(|f| files.iter().find(|(n, _)| n == f))
                    .map(|(_, c)| *c)
                    .sum::<Duration>()
            })
            .max()
            .unwrap_or_default();
        format!(
            "ExoV6 {} of {} test files in {} boots (TCG estimate {} each at most): {} in {} under {}",
            files.len(),
            host.files.len(),
            groups.len(),
            secs(estimate),
            ending(&guest, timed_out, guest_time),
            secs(guest_time),
            accel.name(),
        )
    };
    let detail = format!(
        "busybox {}; host {} in {}; {guest_part}; per test in target/busybox-suite/{{host,exov6,both}}.txt",
        suite.version,
        ending(&host, false, h.elapsed),
        secs(h.elapsed),
    );
    if v.ok() {
        return Ok(Ok(detail));
    }
    let mut why = Vec::new();
    if !v.not_on_host.is_empty() {
        why.push(format!(
            "{} listed tests do not pass on the host",
            v.not_on_host.len()
        ));
    }
    if !v.not_in_guest.is_empty() {
        why.push(format!(
            "{} listed tests do not pass in ExoV6",
            v.not_in_guest.len()
        ));
    }
    let mut tail: Vec<String> = v
        .not_on_host
        .iter()
        .map(|n| format!("not on the host: {n}"))
        .chain(
            v.not_in_guest
                .iter()
                .map(|(n, what)| format!("{what}: {n}")),
        )
        .collect();
    tail.push(detail);
    tail.extend(tails);
    Ok(Err((why.join("; "), tail)))
}

/// Runs the step and records it. `art` is the x86_64 build (the static
/// busybox and the library OS are x86_64 only); `opts` gives the
/// accelerator (`--tcg`, `--kvm`) and the number of parallel boots.
pub fn run_step(art: Option<&Artifacts>, opts: &TestOpts, tally: &mut Tally) {
    let Some(art) = art else {
        tally.fail(STEP, "the x86_64 build failed", &[] as &[&str]);
        return;
    };
    if !Path::new(BUSYBOX).is_file() {
        tally.fail(
            STEP,
            &format!("{BUSYBOX} is missing (Debian package busybox-static)"),
            &[] as &[&str],
        );
        return;
    }
    match step(art, opts) {
        Ok(Ok(detail)) => tally.pass(STEP, &detail),
        Ok(Err((why, tail))) => tally.fail(STEP, &why, &tail),
        Err(e) => {
            let text = e.to_string();
            let mut lines = text.lines();
            let first = lines.next().unwrap_or_default().to_string();
            tally.fail(STEP, &first, &lines.collect::<Vec<_>>());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guest_runs_the_driver_from_the_ramdisk() {
        let c = guest_cmdline(&["cp/".into(), "sed.tests".into()]);
        assert!(c.starts_with("shutdown init=/bin/sh /bbsuite/run.sh /bbsuite/testsuite "));
        assert!(c.ends_with(" /bin/busybox /tmp/bbsuite cp/ sed"));
    }

    #[test]
    fn costs() {
        assert_eq!(made(Some((100, 1000)), Some((130, 1000))), 30);
        assert_eq!(made(Some((990, 1000)), Some((5, 1000))), 15);
        assert_eq!(made(None, Some((5, 1000))), 0);
        let c = guest_cost(Duration::from_millis(500), 3000);
        assert_eq!(c, Duration::from_secs(41));
    }

    #[test]
    fn the_list_is_sorted_and_unique() {
        let text = std::fs::read_to_string(crate::paths::root().join(LIST)).unwrap();
        let names = results::read_list(&text);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted, "{LIST} must be sorted, without repeats");
    }
}
