//! A person at a terminal, for the session tests: QEMU runs with a
//! pseudo-terminal xtask owns as stdin (as `cargo xtask run` has the
//! user's terminal) and its stdout read here, rendered on a [`Screen`]
//! whose cursor-position answers are typed back. The test waits for what
//! a person waits for (a prompt, an answer), types with small pauses
//! between keys, and fails with a message and the screen's last lines.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Context, Result};
use crate::qemu::pty::Pty;
use crate::qemu::session::DEADLOCK_LINE;
use crate::qemu::Exit;
use crate::test::screen::Screen;

/// How long the rest of a deadlock report may take to arrive.
const DEADLOCK_GRACE: Duration = Duration::from_millis(1500);

/// Lines of the screen a failure report shows.
pub const REPORT_LINES: usize = 40;

/// What the reader thread and the test share.
struct State {
    screen: Screen,
    /// QEMU's stdout has ended.
    closed: bool,
    /// When the kernel's deadlock report began.
    deadlock: Option<Instant>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A failed expectation: what was wanted, and the screen at that moment.
#[derive(Clone, Debug)]
pub struct Failure {
    /// One line saying what went wrong.
    pub why: String,
    /// The screen's last lines (and QEMU's stderr, if it ended).
    pub screen: Vec<String>,
}

/// A running QEMU on a pseudo-terminal.
pub struct Typist {
    child: Child,
    keys: std::fs::File,
    shared: Arc<Shared>,
    reader: Option<std::thread::JoinHandle<()>>,
    stderr: Option<std::thread::JoinHandle<String>>,
    /// When QEMU started.
    pub started: Instant,
    /// Pseudo-random pauses between keys.
    seed: u64,
}

impl Typist {
    /// Starts `cmd` (a QEMU command line with a terminal console) with the
    /// pseudo-terminal's terminal end as stdin.
    pub fn spawn(mut cmd: Command, pty: Pty) -> Result<Typist> {
        let (rows, cols) =
            crate::qemu::term::size_of(&pty.slave).map_or((24, 80), |s| (s.rows, s.cols));
        cmd.stdin(Stdio::from(pty.slave))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", cmd.get_program().to_string_lossy()))?;
        drop(cmd);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                screen: Screen::new(rows, cols),
                closed: false,
                deadlock: None,
            }),
            changed: Condvar::new(),
        });
        let out = child.stdout.take().expect("piped stdout");
        let answers = pty.master.try_clone()?;
        let s = Arc::clone(&shared);
        let reader = std::thread::spawn(move || read_screen(out, answers, &s));
        let stderr = child
            .stderr
            .take()
            .map(|e| std::thread::spawn(move || crate::proc::read_all(e)));
        Ok(Typist {
            child,
            keys: pty.master,
            shared,
            reader: Some(reader),
            stderr,
            started,
            seed: 0x9e37_79b9_7f4a_7c15,
        })
    }

    /// A failure now, with the screen's last lines.
    pub fn fail(&self, why: impl Into<String>) -> Failure {
        let st = self.shared.lock();
        let all = st.screen.all_lines();
        let from = all.len().saturating_sub(REPORT_LINES);
        Failure {
            why: why.into(),
            screen: all[from..].to_vec(),
        }
    }

    /// How many lines have ended so far (a mark to look after).
    pub fn mark(&self) -> usize {
        self.shared.lock().screen.lines().len()
    }

    /// The lines ended after `mark`.
    pub fn lines_since(&self, mark: usize) -> Vec<String> {
        let st = self.shared.lock();
        st.screen.lines().get(mark..).unwrap_or_default().to_vec()
    }

    /// Every line so far, the current one last.
    pub fn all_lines(&self) -> Vec<String> {
        self.shared.lock().screen.all_lines()
    }

    /// How many cursor-position queries were answered.
    pub fn queries(&self) -> usize {
        self.shared.lock().screen.queries
    }

    /// True while QEMU runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// QEMU's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for `done` to hold on the screen (given the
    /// lines ended after `mark` and the current line); `what` names it
    /// for the failure message.
    pub fn wait_until(
        &self,
        what: &str,
        mark: usize,
        timeout: Duration,
        done: impl Fn(&[String], &str) -> bool,
    ) -> Result<(), Failure> {
        let until = Instant::now() + timeout;
        let mut st = self.shared.lock();
        loop {
            let lines = st.screen.lines().get(mark..).unwrap_or_default();
            if done(lines, &st.screen.current_raw()) {
                return Ok(());
            }
            if st.closed {
                drop(st);
                return Err(self.fail(format!("QEMU ended while waiting for {what}")));
            }
            let now = Instant::now();
            if st.deadlock.is_some_and(|d| now >= d + DEADLOCK_GRACE) {
                drop(st);
                return Err(self.fail(format!(
                    "the kernel reported a deadlock while waiting for {what}"
                )));
            }
            let until = match st.deadlock {
                Some(d) => until.min(d + DEADLOCK_GRACE),
                None => until,
            };
            if now >= until {
                drop(st);
                return Err(self.fail(format!(
                    "no {what} within {} s",
                    timeout.as_secs_f64().round()
                )));
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits until some line after `mark` matches `pattern` (`*` matches
    /// any run of characters, as in the QEMU test table).
    pub fn wait_line(&self, pattern: &str, mark: usize, timeout: Duration) -> Result<(), Failure> {
        self.wait_until(&format!("line {pattern:?}"), mark, timeout, |lines, _| {
            lines
                .iter()
                .any(|l| crate::test::qemu_tests::line_matches(l, pattern))
        })
    }

    /// Requires that nothing is printed for `quiet` and QEMU keeps running.
    pub fn stay_quiet(&mut self, quiet: Duration) -> Result<(), Failure> {
        let mark = self.mark();
        let before = self.shared.lock().screen.current_raw();
        let start = Instant::now();
        while start.elapsed() < quiet {
            std::thread::sleep(Duration::from_millis(100));
            if !self.alive() {
                return Err(self.fail(format!(
                    "QEMU ended {:.1} s into a {} s wait at an idle terminal",
                    start.elapsed().as_secs_f64(),
                    quiet.as_secs()
                )));
            }
        }
        let st = self.shared.lock();
        let changed = st.screen.lines().len() != mark || st.screen.current_raw() != before;
        drop(st);
        if changed {
            return Err(self.fail(format!(
                "the guest printed something while the terminal sat idle for {} s",
                quiet.as_secs()
            )));
        }
        Ok(())
    }

    /// Types `text` as a person does: one key at a time with pauses of
    /// 20 to 80 ms (pseudo-random, the same each run).
    pub fn type_text(&mut self, text: &str) -> Result<(), Failure> {
        let mut buf = [0u8; 4];
        for c in text.chars() {
            self.key(c.encode_utf8(&mut buf).as_bytes())?;
        }
        Ok(())
    }

    /// Presses one key (its bytes: `\x03` for Ctrl-C, `\x1b[A` for the up
    /// arrow), then pauses as a person does between keys.
    pub fn key(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        if let Err(e) = self.keys.write_all(bytes).and_then(|()| self.keys.flush()) {
            return Err(self.fail(format!("typing on the terminal failed: {e}")));
        }
        self.seed = self
            .seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let pause = 20 + (self.seed >> 33) % 61;
        std::thread::sleep(Duration::from_millis(pause));
        Ok(())
    }

    /// Waits up to `timeout` for QEMU to end; stops it if it does not.
    pub fn finish(mut self, timeout: Duration) -> End {
        let until = Instant::now() + timeout;
        let mut timed_out = false;
        while self.alive() {
            if Instant::now() >= until {
                crate::qemu::session::terminate(&mut self.child);
                timed_out = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let status = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let stderr = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        let lines = self.all_lines();
        let exit = match status {
            Ok(s) if !timed_out => Exit::from_status(s).widened(&lines).quit_by_keys(&lines),
            _ => Exit::Signal,
        };
        End {
            exit,
            timed_out,
            stderr,
            lines,
        }
    }
}

/// How a session's QEMU ended.
pub struct End {
    /// Its exit.
    pub exit: Exit,
    /// True if it had to be stopped.
    pub timed_out: bool,
    /// Its stderr.
    pub stderr: String,
    /// Every line of the screen.
    pub lines: Vec<String>,
}

impl Drop for Typist {
    fn drop(&mut self) {
        crate::qemu::session::terminate(&mut self.child);
        let _ = self.child.wait();
    }
}

/// The reader thread: renders QEMU's output and answers the terminal's
/// queries on `answers`.
fn read_screen(mut out: impl Read, mut answers: std::fs::File, shared: &Shared) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut st = shared.lock();
        let before = st.screen.lines().len();
        let answer = st.screen.feed(&buf[..n]);
        let report = st.screen.lines()[before..]
            .iter()
            .any(|l| l.contains(DEADLOCK_LINE));
        if report && st.deadlock.is_none() {
            st.deadlock = Some(Instant::now());
        }
        drop(st);
        if !answer.is_empty() {
            let _ = answers.write_all(&answer).and_then(|()| answers.flush());
        }
        shared.changed.notify_all();
    }
    shared.lock().closed = true;
    shared.changed.notify_all();
}
