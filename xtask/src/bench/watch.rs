//! Running one process whose output is the C benchmark's lines (QEMU with
//! the guest's serial console on stdout, or the program itself on the
//! host), with two deadlines: one for the first line (a guest that hangs
//! in early boot prints nothing) and one for the whole run.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::proc;
use crate::qemu::session::terminate;

/// Why the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The process exited by itself.
    Exited,
    /// Nothing was printed before the first-line deadline.
    NoOutput,
    /// The whole-run deadline passed.
    TimedOut,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    /// Output lines (without terminators).
    pub lines: Vec<String>,
    /// Why it ended.
    pub ended: Ended,
    /// The exit status, if it exited (or was stopped).
    pub status: Option<ExitStatus>,
    /// Its stderr.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

/// Runs `cmd`, collecting its stdout lines; stops it if no line arrives
/// within `first_line` or the run lasts longer than `total`.
pub fn run(mut cmd: Command, first_line: Option<Duration>, total: Duration) -> Result<Outcome> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = proc::spawn(&mut cmd)?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).to_string();
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let err_thread = std::thread::spawn(move || proc::read_all(stderr));
    let mut lines = Vec::new();
    let mut ended = Ended::Exited;
    loop {
        let (deadline, why) = match first_line {
            Some(f) if lines.is_empty() && f < total => (start + f, Ended::NoOutput),
            _ => (start + total, Ended::TimedOut),
        };
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => lines.push(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                ended = why;
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if ended != Ended::Exited {
        terminate(&mut child);
    }
    let status = child.wait().ok();
    let _ = reader.join();
    lines.extend(rx.try_iter());
    let stderr = err_thread.join().unwrap_or_default();
    Ok(Outcome {
        lines,
        ended,
        status,
        stderr,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::sh;

    #[test]
    fn deadlines() {
        let o = run(
            sh("echo a; echo b >&2; echo c"),
            None,
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(o.lines, ["a", "c"]);
        assert_eq!(o.ended, Ended::Exited);
        assert_eq!(o.stderr, "b\n");
        assert!(o.status.unwrap().success());

        let quiet = run(
            sh("exec sleep 30"),
            Some(Duration::from_millis(200)),
            Duration::from_secs(20),
        )
        .unwrap();
        assert_eq!(quiet.ended, Ended::NoOutput);
        assert!(quiet.elapsed < Duration::from_secs(10));

        let slow = run(
            sh("echo started; exec sleep 30"),
            Some(Duration::from_secs(5)),
            Duration::from_millis(300),
        )
        .unwrap();
        assert_eq!(slow.ended, Ended::TimedOut);
        assert_eq!(slow.lines, ["started"]);
    }
}
