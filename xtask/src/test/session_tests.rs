//! The session tests of `cargo xtask test`: ExoV6 booted exactly as
//! `cargo xtask run` boots it (terminal console, the terminal's size on the
//! command line, the accelerator `run` would use), on a pseudo-terminal
//! xtask owns, used as a person uses it.
//!
//! - `session-shell`: waits idle at the shell's prompt, then types
//!   commands with pauses and checks each answer (applets by plain name, a
//!   pipeline, a loop, a background job with `jobs` and `wait`, ^C, ^\,
//!   ^Z and `fg`, history, tab completion, the window size and SIGWINCH) and ends
//!   with `exit 5`, which must be the machine's status.
//! - `session-idle-read`: a program reading the console gets nothing for
//!   30 s; then a line is typed, it answers, and the system goes on.

use std::time::{Duration, Instant};

use crate::build::Artifacts;
use crate::qemu::accel::{Accel, KVM_BANNER_TIMEOUT};
use crate::qemu::accel_cache::Choice;
use crate::qemu::status::Status;
use crate::qemu::term::Size;
use crate::qemu::{Console, Exit};
use crate::test::qemu_tests::{missing, present, FRAMES_RETURNED, USER_CLEAN};
use crate::test::report::secs;
use crate::test::session_shell::{Shell, PROMPT};
use crate::test::typist::{End, Failure, Typist};

/// The pseudo-terminal's size (the guest must see it).
const SIZE: Size = Size {
    rows: 30,
    cols: 100,
};

/// One session test.
pub struct SessionTest {
    /// Step name.
    pub name: &'static str,
    /// The words after `cargo xtask run --`.
    pub words: &'static [&'static str],
    /// What the person does, after the banner; returns a note for the
    /// PASS line.
    pub script: fn(&mut Typist) -> Result<String, Failure>,
    /// The guest's status at the end.
    pub status: Status,
    /// Lines the whole session must show.
    pub expect: &'static [&'static str],
    /// Longest wait for any one answer.
    pub patience: Duration,
}

/// Every session test.
pub const TESTS: &[SessionTest] = &[
    SessionTest {
        name: "session-shell",
        words: &["shutdown"],
        script: shell_session,
        status: Status::Program(5),
        expect: &[
            "sysd: init ended with status 5",
            "root: exited with code 5",
            FRAMES_RETURNED,
        ],
        patience: Duration::from_secs(30),
    },
    SessionTest {
        name: "session-idle-read",
        words: &[
            "shutdown",
            "init=/bin/sh",
            "-c",
            "/bin/busybox head -n 1; echo still-up",
        ],
        script: idle_read,
        status: Status::Program(0),
        expect: &[
            "init: /bin/sh exited with status 0",
            "root: exited with code 0",
            FRAMES_RETURNED,
        ],
        patience: Duration::from_secs(30),
    },
];

/// The selected tests.
pub fn selected(sel: impl Fn(&str) -> bool) -> Vec<&'static SessionTest> {
    TESTS.iter().filter(|t| sel(t.name)).collect()
}

/// The interactive shell session.
fn shell_session(t: &mut Typist) -> Result<String, Failure> {
    let boot = Duration::from_secs(120);
    t.wait_until("the first prompt", 0, boot, |_, cur| cur == PROMPT)?;
    let idle = Duration::from_secs(5);
    t.stay_quiet(idle)?;
    let typing = Instant::now();
    let mut sh = Shell {
        t,
        patience: Duration::from_secs(30),
        commands: 0,
    };
    sh.run(
        "cat /etc/motd",
        &["Welcome to ExoV6, an exokernel in Rust."],
    )?;
    sh.run("echo one two three | wc -w", &["3"])?;
    sh.run("grep -c Welcome /etc/motd", &["1"])?;
    sh.run("cat /etc/motd | grep -o exokernel", &["exokernel"])?;
    sh.run(
        "for i in 1 2 3; do echo loop-$i; done",
        &["loop-1", "loop-2", "loop-3"],
    )?;
    sh.run("stty size", &["30 100"])?;
    sh.run("sleep 1; echo slept", &["slept"])?;

    // cat reading the terminal, ended by ^D.
    let mark = sh.start("cat")?;
    std::thread::sleep(Duration::from_secs(1));
    sh.t.type_text("typed into cat\r")?;
    sh.t.wait_until("cat's copy of the typed line", mark, sh.patience, |l, _| {
        l.iter().filter(|l| *l == "typed into cat").count() >= 2
    })?;
    sh.t.key(b"\x04")?;
    sh.prompt_after(mark, "^D to cat")?;

    // A background job, `jobs`, `wait`.
    sh.run("sleep 3 &", &[])?;
    sh.run("jobs", &["[1]+*Running*sleep 3"])?;
    sh.run("wait; echo waited-$?", &["waited-0"])?;

    // ^C ends the foreground job at once.
    sh.key_to_job("sleep 100", b"\x03", "^C of sleep 100")?;
    sh.run("echo status-$?", &["status-130"])?;

    // ^\ quits it (SIGQUIT; the shell says `Quit`), status 131.
    let mark = sh.key_to_job("sleep 100", b"\x1c", "^\\ of sleep 100")?;
    sh.check(mark, "^\\ of sleep 100", &["*Quit*"])?;
    sh.run("echo status-$?", &["status-131"])?;

    // ^Z stops it, `jobs` shows it, `fg` resumes it to its end.
    let mark = sh.key_to_job("sleep 4", b"\x1a", "^Z of sleep 4")?;
    // Linux echoes `^Z` without a newline: the report may follow it.
    sh.check(mark, "^Z of sleep 4", &["*[1]+*Stopped*sleep 4"])?;
    sh.run("jobs", &["[1]+*Stopped*sleep 4"])?;
    sh.run("fg", &["sleep 4"])?;
    sh.run("echo fg-$?", &["fg-0"])?;

    // History: the up arrow brings the last line back.
    let hist = "echo hist-$((40+2))";
    sh.run(hist, &["hist-42"])?;
    std::thread::sleep(Duration::from_millis(700));
    let mark = sh.t.mark();
    sh.t.key(b"\x1b[A")?;
    let recalled = format!("{PROMPT}{hist}");
    sh.t.wait_until("the recalled line", mark, sh.patience, |_, cur| {
        cur == recalled
    })?;
    sh.t.key(b"\r")?;
    sh.commands += 1;
    sh.answer(mark, "up arrow, Enter", &["hist-42"])?;

    // Tab completion of a file name.
    std::thread::sleep(Duration::from_millis(700));
    let mark = sh.t.mark();
    sh.t.type_text("cat /etc/mot")?;
    sh.t.key(b"\t")?;
    let completed = format!("{PROMPT}cat /etc/motd ");
    sh.t.wait_until("the completed name", mark, sh.patience, |_, cur| {
        cur == completed
    })?;
    sh.t.key(b"\r")?;
    sh.commands += 1;
    sh.answer(
        mark,
        "cat /etc/mot<Tab>",
        &["Welcome to ExoV6, an exokernel in Rust."],
    )?;

    // A size change sends SIGWINCH to the foreground group.
    sh.run(
        "sh -c 'trap \"echo got-winch\" WINCH; stty cols 90; stty size; stty cols 100'",
        &["got-winch", "30 90"],
    )?;

    // /proc: `ps` lists this shell by its pid; `df` and `free` print the
    // machine's figures.
    let answer = sh.run("echo shell-$$", &["shell-*"])?;
    let pid: u32 = answer
        .iter()
        .find_map(|l| l.strip_prefix("shell-")?.parse().ok())
        .ok_or_else(|| sh.t.fail(format!("no pid in {answer:?}")))?;
    let me = format!("{pid:>5} root     *sh*");
    sh.run("ps", &["PID   USER     COMMAND", &me])?;
    let df = sh.run("df /tmp", &["Filesystem*Mounted on", "tmpfs*/tmp"])?;
    figures(sh.t, &df, "tmpfs", 1)?;
    let free = sh.run("free", &["*total*used*free*", "Mem:*"])?;
    figures(sh.t, &free, "Mem:", 3)?;

    // Editing a file with vi: insert, Escape, `:wq`, with a person's pauses.
    let mark = sh.start("vi /tmp/note")?;
    std::thread::sleep(Duration::from_millis(1500));
    sh.t.type_text("ihello")?;
    std::thread::sleep(Duration::from_millis(700));
    sh.t.key(b"\x1b")?;
    std::thread::sleep(Duration::from_millis(700));
    sh.t.type_text(":wq")?;
    std::thread::sleep(Duration::from_millis(300));
    sh.t.key(b"\r")?;
    // vi leaves its last screen line under the prompt (it moves the
    // cursor, which the typist does not follow): an Enter there gives a
    // prompt of its own line.
    sh.t.wait_until("the prompt after vi's :wq", mark, sh.patience, |_, cur| {
        cur.ends_with(PROMPT)
    })?;
    std::thread::sleep(Duration::from_millis(700));
    let mark = sh.t.mark();
    sh.t.key(b"\r")?;
    sh.prompt_after(mark, "Enter after vi")?;
    sh.run("cat /tmp/note", &["hello"])?;

    // `exit 5` ends init's shell: the machine powers off with status 5.
    std::thread::sleep(Duration::from_millis(700));
    sh.t.type_text("exit 5\r")?;
    sh.commands += 1;
    let commands = sh.commands;
    let queries = t.queries();
    Ok(format!(
        "{commands} commands typed in {}, after {} idle at the prompt; {queries} cursor queries answered",
        secs(typing.elapsed()),
        secs(idle)
    ))
}

/// Checks that the line of `answer` starting with `label` has `count`
/// numbers after it, each above 0.
fn figures(t: &Typist, answer: &[String], label: &str, count: usize) -> Result<(), Failure> {
    let line = answer.iter().find(|l| l.starts_with(label));
    let numbers: Vec<u64> = line
        .map(|l| {
            l.split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    if numbers.len() >= count && numbers[..count].iter().all(|&n| n > 0) {
        Ok(())
    } else {
        Err(t.fail(format!("no figures above 0 in {line:?}")))
    }
}

/// A program reading the console while nothing is typed for 30 s.
fn idle_read(t: &mut Typist) -> Result<String, Failure> {
    let boot = Duration::from_secs(120);
    t.wait_line("init: running /bin/sh", 0, boot)?;
    // Let the program reach its read.
    std::thread::sleep(Duration::from_secs(1));
    let cpu_before = cpu_seconds(t.pid());
    let idle = Duration::from_secs(30);
    t.stay_quiet(idle)?;
    let cpu = cpu_seconds(t.pid()).zip(cpu_before).map(|(a, b)| a - b);
    let mark = t.mark();
    t.type_text("typed after 30 s\r")?;
    t.wait_until(
        "head's copy of the line",
        mark,
        Duration::from_secs(30),
        |l, _| l.iter().filter(|l| *l == "typed after 30 s").count() >= 2,
    )?;
    t.wait_line("still-up", mark, Duration::from_secs(30))?;
    Ok(match cpu {
        Some(c) => format!("QEMU used {c:.2} s of CPU in the {} s wait", idle.as_secs()),
        None => String::new(),
    })
}

/// User plus system CPU time of process `pid` (`/proc/PID/stat`).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// A session test's result.
pub struct Outcome {
    /// Passed, or why not.
    pub verdict: Result<String, String>,
    /// The screen's last lines and QEMU's stderr, for a failure.
    pub tail: Vec<String>,
    /// Wall time of the final boot.
    pub elapsed: Duration,
    /// Its accelerator.
    pub accel: Accel,
}

/// Runs `test` on `art` under the accelerator `choice` names (a KVM boot
/// with no banner in time is rerun under TCG when the choice allows).
pub fn run(test: &SessionTest, art: &Artifacts, choice: &Choice) -> Outcome {
    let mut accel = choice.accel;
    loop {
        let fallback = choice.fallback && accel == Accel::Kvm;
        match boot(test, art, accel, fallback) {
            Err(None) => {
                accel = Accel::Tcg;
                continue;
            }
            Err(Some(why)) => {
                return Outcome {
                    verdict: Err(why),
                    tail: Vec::new(),
                    elapsed: Duration::ZERO,
                    accel,
                }
            }
            Ok(o) => return o,
        }
    }
}

/// One boot; `Err(None)`: KVM showed no banner in time, rerun under TCG.
fn boot(
    test: &SessionTest,
    art: &Artifacts,
    accel: Accel,
    fallback: bool,
) -> Result<Outcome, Option<String>> {
    let mut argv: Vec<String> = vec!["run".into(), "--".into()];
    argv.extend(test.words.iter().map(|w| w.to_string()));
    let opts = match crate::cli::parse(&argv) {
        Ok(crate::cli::Command::Run(o)) => o,
        other => return Err(Some(format!("internal error: {other:?}"))),
    };
    let cmdline = crate::run::cmdline_with_size(&opts.cmdline, Some(SIZE));
    let m = crate::run::machine(&opts, art, None, &cmdline, accel, false, Console::Terminal);
    let cmd = m.command().map_err(|e| Some(e.to_string()))?;
    let pty = crate::qemu::pty::Pty::open(SIZE).map_err(|e| Some(e.to_string()))?;
    let mut t = Typist::spawn(cmd, pty).map_err(|e| Some(e.to_string()))?;
    if fallback {
        let banner = t.wait_until("the banner", 0, KVM_BANNER_TIMEOUT, |l, _| {
            l.iter().any(|l| crate::qemu::session::is_banner(l))
        });
        if banner.is_err() && t.alive() {
            return Err(None);
        }
    }
    let script = (test.script)(&mut t);
    let started = t.started;
    // After a failure there is nothing to wait for.
    let end = t.finish(match script {
        Ok(_) => test.patience,
        Err(_) => Duration::from_secs(2),
    });
    let log = log_path(test);
    let _ = std::fs::create_dir_all(log.parent().unwrap_or(&log));
    let _ = std::fs::write(&log, end.lines.join("\n") + "\n");
    Ok(judge(test, script, end, started.elapsed(), accel))
}

/// Where the screen of a session's last run is kept.
pub fn log_path(test: &SessionTest) -> std::path::PathBuf {
    crate::paths::target_dir()
        .join("exov6")
        .join(format!("{}.log", test.name))
}

/// What the guest must never print in a session.
const REJECT: &[&str] = &[
    "kernel: every environment is blocked",
    "kernel: root task gone",
];

/// The verdict from the script's result and how QEMU ended.
fn judge(
    test: &SessionTest,
    script: Result<String, Failure>,
    end: End,
    elapsed: Duration,
    accel: Accel,
) -> Outcome {
    let mut problems = Vec::new();
    let (note, screen) = match script {
        Ok(note) => (note, None),
        Err(f) => {
            problems.push(f.why);
            (String::new(), Some(f.screen))
        }
    };
    if end.timed_out {
        problems.push(format!(
            "QEMU still ran {} s after the session; stopped",
            test.patience.as_secs()
        ));
    } else {
        match end.exit {
            Exit::Guest(s) if s.satisfies(test.status) => {}
            other => problems.push(format!(
                "the guest ended with {}, expected {}",
                other.describe(),
                test.status.describe()
            )),
        }
    }
    // The whole session's lines (a shutdown's last lines after `root task
    // gone` are the kernel's normal report, so that one is allowed there).
    let absent = missing(&end.lines, test.expect);
    if !absent.is_empty() {
        problems.push(format!("missing {absent:?}"));
    }
    let mut unwanted = present(&end.lines, USER_CLEAN);
    let before_exit: Vec<String> = match end.lines.iter().position(|l| l.contains("root: exited")) {
        Some(i) => end.lines[..i].to_vec(),
        None => end.lines.clone(),
    };
    unwanted.extend(present(&before_exit, REJECT));
    if !unwanted.is_empty() {
        problems.push(format!("printed {unwanted:?}"));
    }
    if problems.is_empty() {
        return Outcome {
            verdict: Ok(note),
            tail: Vec::new(),
            elapsed,
            accel,
        };
    }
    let mut tail = screen.unwrap_or_else(|| {
        let from = end
            .lines
            .len()
            .saturating_sub(crate::test::typist::REPORT_LINES);
        end.lines[from..].to_vec()
    });
    tail.extend(end.stderr.lines().map(|l| format!("[qemu stderr] {l}")));
    tail.push(format!(
        "(the whole screen: {})",
        crate::paths::show(&log_path(test))
    ));
    Outcome {
        verdict: Err(problems.join("; ")),
        tail,
        elapsed,
        accel,
    }
}
