//! Running the suite on the host Linux: each program with its host
//! arguments, an empty environment, stdin from /dev/null, in its own
//! process group with a time limit; stdout and the exit status recorded
//! (a death by signal N is status 128+N, as `cargo xtask run` reports a
//! guest's), and the `ctest-*` steps of `cargo xtask test`.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::build::{binary, build};
use super::output::{describe, verdict};
use super::{bin_dir, find, out_dir, Arg, CTest, HOST_UNCREATABLE, TESTS};
use crate::build::Output;
use crate::error::{bail, Context, Error, Result};
use crate::test::report::{secs, Tally};
use crate::{build::initrd, fsutil, proc};

/// How long one program may run on the host (they take well under a
/// second; the limit only stops a hung test).
const TIMEOUT: Duration = Duration::from_secs(30);

/// One run on the host.
#[derive(Clone, Debug)]
pub struct HostRun {
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr (not compared; shown on failure).
    pub stderr: String,
    /// Exit code, or 128+N for a death by signal N.
    pub status: i32,
    /// Wall time.
    pub elapsed: Duration,
    /// Killed at the time limit (`status` is then meaningless).
    pub timed_out: bool,
}

/// Runs on the host, per name, kept for the rest of the xtask run.
fn runs() -> &'static Mutex<HashMap<&'static str, HostRun>> {
    static RUNS: OnceLock<Mutex<HashMap<&'static str, HostRun>>> = OnceLock::new();
    RUNS.get_or_init(Default::default)
}

/// The host's output of the program called `name`: its stdout and exit
/// status. Builds the suite if this xtask run has not, and reuses the
/// `ctest-NAME` step's run if there was one.
pub fn host_output(name: &str) -> Result<(String, i32)> {
    let test = find(name).ok_or_else(|| Error::msg(format!("no C test called {name:?}")))?;
    if let Some(run) = runs().lock().ok().and_then(|r| r.get(test.name).cloned()) {
        return Ok((run.stdout, run.status));
    }
    build(Output::Capture)?;
    let run = run(test)?;
    if run.timed_out {
        bail!(
            "{name} did not exit within {} s on the host",
            TIMEOUT.as_secs()
        );
    }
    Ok((run.stdout, run.status))
}

/// The host arguments of `test`.
fn host_args(test: &CTest) -> Result<Vec<PathBuf>> {
    test.args
        .iter()
        .map(|a| {
            Ok(match a {
                Arg::Lit(s) => PathBuf::from(s),
                Arg::Program(p) => bin_dir().join(p),
                Arg::Motd => {
                    let motd = out_dir().join("motd");
                    fsutil::write_if_changed(&motd, initrd::MOTD.as_bytes())?;
                    motd
                }
                Arg::Dir => bin_dir(),
                Arg::Uncreatable => PathBuf::from(HOST_UNCREATABLE),
                Arg::Terminal => PathBuf::from("pty"),
                Arg::Scratch => {
                    let dir = PathBuf::from(format!("/dev/shm/exov6-ctest-{}", test.name));
                    if dir.exists() {
                        std::fs::remove_dir_all(&dir)
                            .with_context(|| format!("emptying {}", dir.display()))?;
                    }
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("making {}", dir.display()))?;
                    dir
                }
            })
        })
        .collect()
}

/// Exit code, or 128+N for signal N.
fn status_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// Sends SIGKILL to the process group `pgid` (our own child's).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// Runs `test` once on the host and records the result for
/// [`host_output`].
pub fn run(test: &'static CTest) -> Result<HostRun> {
    let exe = binary(test);
    let mut cmd = Command::new(&exe);
    cmd.args(host_args(test)?)
        .current_dir(out_dir())
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let pgid = child.id();
    let (tx, rx) = mpsc::channel();
    for (is_out, pipe) in [
        (
            true,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            false,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let text = pipe.map(proc::read_all).unwrap_or_default();
            let _ = tx.send((is_out, text));
        });
    }
    drop(tx);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            kill_group(pgid);
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    // The pipes close when the last process holding them exits; an
    // orphaned grandchild may take a moment, a stuck one is killed.
    let (mut stdout, mut stderr) = (String::new(), String::new());
    for _ in 0..2 {
        let got = rx.recv_timeout(Duration::from_secs(5)).or_else(|_| {
            kill_group(pgid);
            rx.recv_timeout(Duration::from_secs(5))
        });
        match got {
            Ok((true, text)) => stdout = text,
            Ok((false, text)) => stderr = text,
            Err(_) => break,
        }
    }
    let run = HostRun {
        stdout,
        stderr,
        status: status.map_or(-1, status_code),
        elapsed,
        timed_out: status.is_none(),
    };
    if let Ok(mut runs) = runs().lock() {
        runs.insert(test.name, run.clone());
    }
    Ok(run)
}

/// The programs whose `ctest-NAME` step `selected` accepts.
fn chosen(selected: impl Fn(&str) -> bool) -> Vec<&'static CTest> {
    TESTS
        .iter()
        .filter(|t| t.run && selected(&t.step()))
        .collect()
}

/// Whether `selected` accepts any `ctest-*` step.
pub fn any_selected(selected: impl Fn(&str) -> bool) -> bool {
    selected("ctest-build") || !chosen(selected).is_empty()
}

/// The `ctest-*` steps that `selected` accepts (by step name):
/// `ctest-build` (always, when any is run), then one `ctest-NAME` per
/// program run on the host.
pub fn run_step(selected: impl Fn(&str) -> bool, tally: &mut Tally) {
    let tests = chosen(selected);
    match build(Output::Capture) {
        Ok(b) => tally.pass(
            "ctest-build",
            &format!(
                "{} programs in {}, {} compiled; {}",
                b.programs,
                crate::paths::show(&bin_dir()),
                b.compiled,
                secs(b.elapsed)
            ),
        ),
        Err(e) => {
            let text = e.to_string();
            let mut lines = text.lines();
            let first = lines.next().unwrap_or_default().to_string();
            tally.fail("ctest-build", &first, &lines.collect::<Vec<_>>());
            for t in &tests {
                tally.fail(&t.step(), "not built", &[] as &[&str]);
            }
            return;
        }
    }
    for t in tests {
        let r = match run(t) {
            Ok(r) => r,
            Err(e) => {
                tally.fail(&t.step(), &e.to_string(), &[] as &[&str]);
                continue;
            }
        };
        let judged = if r.timed_out {
            Err(format!("no exit within {} s, killed", TIMEOUT.as_secs()))
        } else {
            verdict(&t.ok_line(), t.status, &r.stdout, r.status)
        };
        match judged {
            Ok(lines) => tally.pass(
                &t.step(),
                &format!(
                    "{lines} lines, status {}, {}",
                    describe(r.status),
                    secs(r.elapsed)
                ),
            ),
            Err(why) => {
                let mut tail: Vec<String> = proc::tail(&r.stdout, 20)
                    .iter()
                    .map(|l| l.to_string())
                    .collect();
                tail.extend(
                    proc::tail(&r.stderr, 5)
                        .iter()
                        .map(|l| format!("stderr: {l}")),
                );
                tally.fail(&t.step(), &why, &tail);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_deaths_are_128_plus_n() {
        assert_eq!(status_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(status_code(ExitStatus::from_raw(9)), 137);
        assert_eq!(status_code(ExitStatus::from_raw(11 | 0x80)), 139);
    }

    #[test]
    fn host_arguments() {
        let files = find("files").unwrap();
        let args = host_args(files).unwrap();
        assert_eq!(args[0], out_dir().join("motd"));
        assert_eq!(
            std::fs::read_to_string(&args[0]).unwrap(),
            crate::build::initrd::MOTD
        );
        assert_eq!(args[1], bin_dir());
        assert_eq!(args[2], PathBuf::from(HOST_UNCREATABLE));
        let exec = find("exec").unwrap();
        assert_eq!(host_args(exec).unwrap(), [bin_dir().join("exec-target")]);
    }
}
