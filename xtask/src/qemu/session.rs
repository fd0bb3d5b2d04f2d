//! Running one QEMU process while watching its serial console: lines are
//! collected (and optionally echoed), input is typed when a trigger line
//! appears, the banner is timed, and the process is stopped on a timeout.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::proc;
use crate::qemu::Exit;

/// Where QEMU's stdin (the guest's COM1 input) comes from.
#[derive(Clone, Debug)]
pub enum Input {
    /// The terminal: what the user types goes to the guest.
    Inherit,
    /// A script: after a line containing `.0` appears, send `.1`.
    Script(Vec<(String, String)>),
}

/// How to watch a run.
#[derive(Clone, Debug)]
pub struct Watch {
    /// Copy the serial output to our stdout as it arrives.
    pub echo: bool,
    /// Guest input.
    pub input: Input,
    /// Stop QEMU after this long.
    pub timeout: Option<Duration>,
    /// Stop QEMU if no banner line has appeared after this long.
    pub banner_timeout: Option<Duration>,
    /// Capture QEMU's stderr (otherwise it goes to ours).
    pub capture_stderr: bool,
}

/// Why the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// QEMU exited by itself.
    Exited,
    /// [`Watch::timeout`] passed.
    TimedOut,
    /// [`Watch::banner_timeout`] passed without a banner.
    NoBanner,
    /// The kernel reported a deadlock ([`DEADLOCK_LINE`]): nothing in the
    /// guest can run again, so the run was stopped after the report.
    Deadlock,
}

/// How the kernel's deadlock report begins; the lines that follow name
/// each environment and what it waits on.
pub const DEADLOCK_LINE: &str = "kernel: deadlock:";

/// How long the rest of a deadlock report may take to arrive.
const DEADLOCK_GRACE: Duration = Duration::from_millis(1500);

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Serial output lines (without line terminators).
    pub lines: Vec<String>,
    /// How QEMU exited.
    pub exit: Exit,
    /// Why the run ended.
    pub ended: Ended,
    /// Wall time from spawning QEMU to the banner line.
    pub banner_after: Option<Duration>,
    /// QEMU's stderr, if captured.
    pub stderr: String,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// True for the kernel's first banner line, e.g.
/// `ExoV6 v0.1.0 (x86_64) booted via pvh`. Firmware and GRUB output that
/// merely mentions "ExoV6" (the menu entry) does not count.
pub fn is_banner(line: &str) -> bool {
    line.contains("ExoV6 v") && line.contains(" booted via ")
}

/// The kernel's own `boot time: N us` figure, if printed (anything may
/// follow the unit).
pub fn kernel_boot_us(lines: &[String]) -> Option<u64> {
    lines.iter().find_map(|l| {
        let mut words = l.split("boot time:").nth(1)?.split_whitespace();
        let n = words.next()?.parse().ok()?;
        (words.next() == Some("us")).then_some(n)
    })
}

enum Event {
    Line(String),
    Partial(String),
}

/// Reads QEMU's stdout, echoing it if asked, and sends complete lines
/// (and the pending partial line after each read).
fn reader(mut out: impl Read, echo: bool, tx: mpsc::Sender<Event>) {
    let mut buf = [0u8; 4096];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if echo {
            let mut so = std::io::stdout().lock();
            let _ = so.write_all(&buf[..n]);
            let _ = so.flush();
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\n', '\r']).to_string();
            if tx.send(Event::Line(text)).is_err() {
                return;
            }
        }
        if !pending.is_empty() {
            let text = String::from_utf8_lossy(&pending).into_owned();
            if tx.send(Event::Partial(text)).is_err() {
                return;
            }
        }
    }
    if !pending.is_empty() {
        let text = String::from_utf8_lossy(&pending);
        let _ = tx.send(Event::Line(text.trim_end_matches('\r').to_string()));
    }
}

/// Stops QEMU: SIGTERM first (so it restores the terminal), SIGKILL if it
/// has not exited within two seconds.
pub fn terminate(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let termed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if termed {
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
}

/// Spawns `cmd` (a QEMU command with `-serial stdio`) and watches it.
pub fn run(mut cmd: Command, watch: &Watch) -> Result<Outcome> {
    let scripted = matches!(watch.input, Input::Script(_));
    cmd.stdout(Stdio::piped())
        .stdin(if scripted {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .stderr(if watch.capture_stderr {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
    let start = Instant::now();
    let mut child = proc::spawn(&mut cmd)?;

    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    let echo = watch.echo;
    let out_thread = std::thread::spawn(move || reader(stdout, echo, tx));
    let err_thread = child
        .stderr
        .take()
        .map(|e| std::thread::spawn(move || proc::read_all(e)));
    let mut stdin = child.stdin.take();
    let mut script: Vec<(String, String)> = match &watch.input {
        Input::Script(s) => s.clone(),
        Input::Inherit => Vec::new(),
    };
    script.reverse(); // pop() from the end = next step

    let mut lines = Vec::new();
    let mut banner_after = None;
    let mut ended = Ended::Exited;
    let mut deadlock_at: Option<Instant> = None;
    let mut feed = |text: &str, stdin: &mut Option<std::process::ChildStdin>| {
        if let (Some((trigger, send)), Some(pipe)) = (script.last(), stdin.as_mut()) {
            if text.contains(trigger.as_str()) {
                let _ = pipe.write_all(send.as_bytes());
                let _ = pipe.flush();
                script.pop();
            }
        }
    };
    loop {
        let now = Instant::now();
        let mut deadline: Option<(Instant, Ended)> =
            watch.timeout.map(|t| (start + t, Ended::TimedOut));
        if let (Some(bt), None) = (watch.banner_timeout, banner_after) {
            let banner_deadline = start + bt;
            if deadline.is_none_or(|(d, _)| banner_deadline < d) {
                deadline = Some((banner_deadline, Ended::NoBanner));
            }
        }
        if let Some(d) = deadlock_at.map(|t| t + DEADLOCK_GRACE) {
            if deadline.is_none_or(|(other, _)| d < other) {
                deadline = Some((d, Ended::Deadlock));
            }
        }
        let event = match deadline {
            Some((d, why)) => match rx.recv_timeout(d.saturating_duration_since(now)) {
                Ok(ev) => ev,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    ended = why;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match rx.recv() {
                Ok(ev) => ev,
                Err(_) => break,
            },
        };
        match event {
            Event::Line(line) => {
                if banner_after.is_none() && is_banner(&line) {
                    banner_after = Some(start.elapsed());
                }
                if deadlock_at.is_none() && line.contains(DEADLOCK_LINE) {
                    deadlock_at = Some(Instant::now());
                }
                feed(&line, &mut stdin);
                lines.push(line);
            }
            Event::Partial(text) => feed(&text, &mut stdin),
        }
    }
    if ended != Ended::Exited {
        terminate(&mut child);
    }
    let status = child.wait()?;
    drop(stdin);
    let _ = out_thread.join();
    // Lines that arrived between the deadline and QEMU's end.
    lines.extend(rx.try_iter().filter_map(|ev| match ev {
        Event::Line(l) => Some(l),
        Event::Partial(_) => None,
    }));
    let stderr = err_thread
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    let exit = Exit::from_status(status)
        .widened(&lines)
        .quit_by_keys(&lines);
    Ok(Outcome {
        lines,
        exit,
        ended,
        banner_after,
        stderr,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::sh;

    fn watch(input: Input) -> Watch {
        Watch {
            echo: false,
            input,
            timeout: Some(Duration::from_secs(10)),
            banner_timeout: None,
            capture_stderr: true,
        }
    }

    #[test]
    fn banner_detection() {
        assert!(is_banner("ExoV6 v0.1.0 (x86_64) booted via pvh"));
        assert!(is_banner(
            "\x1b[0mExoV6 v0.1.0 (i386) booted via multiboot1"
        ));
        assert!(!is_banner("Booting `ExoV6'"));
        let lines = vec!["  boot time: 1234 us".to_string()];
        assert_eq!(kernel_boot_us(&lines), Some(1234));
        let lines = vec!["  boot time: 801546 us (first kernel instruction to banner)".to_string()];
        assert_eq!(kernel_boot_us(&lines), Some(801546));
        assert_eq!(kernel_boot_us(&["boot time: soon".to_string()]), None);
    }

    #[test]
    fn collects_lines_status_and_banner_time() {
        let out = run(
            sh("printf 'noise\\r\\nExoV6 v0 (x86_64) booted via pvh\\nlast'; echo oops >&2; exit 5"),
            &watch(Input::Script(vec![])),
        )
        .unwrap();
        assert_eq!(
            out.lines,
            ["noise", "ExoV6 v0 (x86_64) booted via pvh", "last"]
        );
        assert_eq!(
            out.exit,
            Exit::Guest(crate::qemu::status::Status::Program(2))
        );
        assert_eq!(out.ended, Ended::Exited);
        assert!(out.banner_after.is_some());
        assert_eq!(out.stderr, "oops\n");
    }

    #[test]
    fn script_types_after_trigger() {
        let out = run(
            sh("printf 'waiting for input'; read -r x; echo; echo \"got $x\""),
            &watch(Input::Script(vec![(
                "waiting for input".into(),
                "hello exo\n".into(),
            )])),
        )
        .unwrap();
        assert_eq!(out.lines.last().unwrap(), "got hello exo");
    }

    #[test]
    fn timeouts_stop_the_process() {
        let mut w = watch(Input::Script(vec![]));
        w.timeout = Some(Duration::from_millis(300));
        let out = run(sh("echo started; exec sleep 30"), &w).unwrap();
        assert_eq!(out.ended, Ended::TimedOut);
        assert_eq!(out.lines, ["started"]);
        assert!(out.elapsed < Duration::from_secs(10));

        w.timeout = Some(Duration::from_secs(20));
        w.banner_timeout = Some(Duration::from_millis(300));
        let out = run(sh("exec sleep 30"), &w).unwrap();
        assert_eq!(out.ended, Ended::NoBanner);
        assert_eq!(out.exit, Exit::Signal);
    }

    #[test]
    fn a_deadlock_report_stops_the_run_after_its_lines() {
        let w = watch(Input::Script(vec![]));
        let out = run(
            sh(
                "echo 'kernel: deadlock: nothing can wake the 1 environments left'; \
                echo 'kernel:   env 1 (root): waits'; exec sleep 30",
            ),
            &w,
        )
        .unwrap();
        assert_eq!(out.ended, Ended::Deadlock);
        assert_eq!(out.lines.len(), 2);
        assert!(out.elapsed < Duration::from_secs(10));
    }
}
