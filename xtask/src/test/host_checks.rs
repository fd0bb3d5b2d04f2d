//! Host-side steps of `cargo xtask test`: the workspace's unit tests (each
//! libtest result re-printed as `PASS host: NAME` / `FAIL host: NAME`) and
//! the lints (rustfmt, clippy on the host crates, on both kernels and on
//! the user programs).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use crate::proc;
use crate::test::report::{secs, Tally};

/// Packages left out of the host test run (they only build for bare metal).
pub const HOST_TEST_EXCLUDE: &[&str] = &["kernel", "root", "exo-rt", "bench"];

/// A lint step: name and cargo arguments.
pub struct Lint {
    /// Step name.
    pub name: &'static str,
    /// Arguments to cargo.
    pub args: &'static [&'static str],
    /// Run as a user-program build ([`crate::build::user::cargo`]: their target,
    /// target directory and flags).
    pub user: bool,
}

/// The lint steps.
pub const LINTS: &[Lint] = &[
    Lint {
        name: "lint-fmt",
        args: &["fmt", "--all", "--", "--check", "--color", "never"],
        user: false,
    },
    Lint {
        name: "lint-clippy-host",
        args: &["clippy", "--all-targets", "--", "-D", "warnings"],
        user: false,
    },
    Lint {
        name: "lint-clippy-kernel-x86_64",
        args: &[
            "clippy",
            "-p",
            "kernel",
            "--target",
            "x86_64-unknown-none",
            "--",
            "-D",
            "warnings",
        ],
        user: false,
    },
    Lint {
        name: "lint-clippy-kernel-i386",
        args: &[
            "clippy",
            "-p",
            "kernel",
            "--target",
            "i686-unknown-linux-gnu",
            "--",
            "-D",
            "warnings",
        ],
        user: false,
    },
    Lint {
        name: "lint-clippy-user",
        args: &[
            "clippy", "-p", "root", "-p", "sysd", "-p", "ktests", "-p", "exo-rt", "-p", "bench",
            "-p", "libos", "--", "-D", "warnings",
        ],
        user: true,
    },
];

/// Runs one lint and records PASS/FAIL.
pub fn run_lint(lint: &Lint, tally: &mut Tally) {
    let start = Instant::now();
    let cmd = if lint.user {
        crate::build::user::cargo(lint.args)
    } else {
        let mut cmd = proc::cargo();
        cmd.args(lint.args);
        cmd
    };
    match proc::run_captured(cmd) {
        Ok((status, _)) if status.success() => tally.pass(lint.name, &secs(start.elapsed())),
        Ok((status, out)) => tally.fail(
            lint.name,
            &format!("cargo {} ({status})", lint.args.join(" ")),
            &proc::tail(&out, 25),
        ),
        Err(e) => tally.fail(lint.name, &e.to_string(), &[] as &[&str]),
    }
}

/// Extracts the string value of `"key":"..."` from a JSON line (enough for
/// cargo's messages: no escapes occur in the fields read here except `\\`).
fn json_str<'a>(line: &'a str, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    let pat = format!("\"{key}\":\"");
    let start = line.find(&pat)? + pat.len();
    let rest = &line[start..];
    let mut end = 0;
    let bytes = rest.as_bytes();
    while end < bytes.len() {
        match bytes[end] {
            b'\\' => end += 2,
            b'"' => break,
            _ => end += 1,
        }
    }
    let raw = rest.get(..end)?;
    Some(if raw.contains('\\') {
        raw.replace("\\\\", "\\").replace("\\\"", "\"").into()
    } else {
        raw.into()
    })
}

/// The package name in a cargo package id (`path+file:///x/cpio#0.1.0` or
/// `path+file:///x/dir#name@0.1.0` or `registry+...#name@1.0`).
fn package_name(id: &str) -> String {
    match id.rsplit_once('#') {
        Some((url, frag)) => match frag.split_once('@') {
            Some((name, _)) => name.to_string(),
            None => url.rsplit('/').next().unwrap_or(url).to_string(),
        },
        // Old format: "name 0.1.0 (path+file://...)".
        None => id.split_whitespace().next().unwrap_or(id).to_string(),
    }
}

/// Follows `cargo test` output and turns it into named results.
#[derive(Default)]
pub struct LibtestParser {
    /// Test executable file name -> prefix for its tests.
    prefixes: HashMap<String, String>,
    /// Prefix of the binary currently running.
    current: String,
    /// Failure output per test (`---- name stdout ----` sections).
    failure_text: HashMap<String, Vec<String>>,
    in_failure: Option<String>,
}

/// What a line of `cargo test` output meant.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A test finished: full name, passed?
    Result(String, bool),
    /// Anything else.
    Other,
}

impl LibtestParser {
    /// Feeds one output line.
    pub fn line(&mut self, line: &str) -> Parsed {
        if line.starts_with('{') {
            self.artifact(line);
            return Parsed::Other;
        }
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("Running ") {
            let exe = rest
                .rsplit_once('(')
                .map(|(_, p)| p.trim_end_matches(')'))
                .unwrap_or(rest);
            let file = Path::new(exe)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.current = self.prefixes.get(&file).cloned().unwrap_or_else(|| {
                file.rsplit_once('-')
                    .map_or(file.clone(), |(n, _)| n.to_string())
            });
            return Parsed::Other;
        }
        if let Some(krate) = trimmed.strip_prefix("Doc-tests ") {
            self.current = format!("{krate}/doc");
            return Parsed::Other;
        }
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            self.in_failure = Some(format!("{}::{name}", self.current));
            return Parsed::Other;
        }
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, result)) = rest.rsplit_once(" ... ") {
                let full = format!("{}::{name}", self.current);
                if result.starts_with("ok") {
                    return Parsed::Result(full, true);
                }
                if result.starts_with("FAILED") {
                    return Parsed::Result(full, false);
                }
                return Parsed::Other; // ignored, bench
            }
        }
        if line == "failures:" || line.starts_with("test result:") {
            self.in_failure = None;
        } else if let Some(name) = &self.in_failure {
            self.failure_text
                .entry(name.clone())
                .or_default()
                .push(line.to_string());
        }
        Parsed::Other
    }

    fn artifact(&mut self, line: &str) {
        if !line.contains("\"reason\":\"compiler-artifact\"") {
            return;
        }
        let (Some(exe), Some(id)) = (json_str(line, "executable"), json_str(line, "package_id"))
        else {
            return;
        };
        let package = package_name(&id);
        let target = line
            .find("\"target\":")
            .and_then(|i| json_str(&line[i..], "name"))
            .unwrap_or_default();
        let kind_is_test = line
            .find("\"target\":")
            .and_then(|i| line[i..].find("\"kind\":[\"test\"]"))
            .is_some();
        let prefix = if kind_is_test {
            format!("{package}/{target}")
        } else {
            package
        };
        if let Some(file) = Path::new(exe.as_ref()).file_name() {
            self.prefixes
                .insert(file.to_string_lossy().into_owned(), prefix);
        }
    }

    /// The captured output of a failed test.
    pub fn failure(&self, name: &str) -> &[String] {
        self.failure_text.get(name).map_or(&[], Vec::as_slice)
    }
}

/// Runs the host unit tests and records one PASS/FAIL per test.
pub fn run_host_tests(tally: &mut Tally) {
    let start = Instant::now();
    let mut cmd = proc::cargo();
    cmd.args([
        "test",
        "--workspace",
        "--no-fail-fast",
        "--message-format=json-render-diagnostics",
    ]);
    for p in HOST_TEST_EXCLUDE {
        cmd.args(["--exclude", p]);
    }
    let mut parser = LibtestParser::default();
    let mut failed = Vec::new();
    let (before_pass, before_fail) = (tally.passed, tally.failed);
    let result = proc::run_lines(cmd, |line| match parser.line(line) {
        Parsed::Result(name, true) => tally.pass(&format!("host: {name}"), ""),
        Parsed::Result(name, false) => {
            println!("FAIL host: {name}");
            failed.push(name);
        }
        Parsed::Other => {}
    });
    for name in &failed {
        tally.failed += 1;
        println!("  output of {name}:");
        let text = parser.failure(name);
        for line in &text[text.len().saturating_sub(25)..] {
            println!("    | {line}");
        }
    }
    let ran = (tally.passed - before_pass) + (tally.failed - before_fail);
    match result {
        Ok((status, _)) if status.success() && ran > 0 => {
            println!("host tests: {ran} run in {}", secs(start.elapsed()));
        }
        Ok((status, out)) if failed.is_empty() => {
            let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with('{')).collect();
            let tail = &lines[lines.len().saturating_sub(25)..];
            let why = if status.success() {
                "no tests ran".to_string()
            } else {
                format!("cargo test failed ({status})")
            };
            tally.fail("host: cargo test", &why, tail);
        }
        Ok(_) => {}
        Err(e) => tally.fail("host: cargo test", &e.to_string(), &[] as &[&str]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_from_ids() {
        assert_eq!(
            package_name("path+file:///work/main/crates/cpio#0.1.0"),
            "cpio"
        );
        assert_eq!(
            package_name("path+file:///work/main/xtask#xtask@0.1.0"),
            "xtask"
        );
        assert_eq!(package_name("path+file:///w/dir#other@0.1.0"), "other");
        assert_eq!(package_name("cpio 0.1.0 (path+file:///x)"), "cpio");
    }

    #[test]
    fn json_fields() {
        let l = r#"{"reason":"compiler-artifact","package_id":"path+file:///a/b#0.1.0","target":{"kind":["test"],"name":"roundtrip"},"executable":"/t/deps/roundtrip-abc"}"#;
        assert_eq!(json_str(l, "executable").unwrap(), "/t/deps/roundtrip-abc");
        assert_eq!(json_str(l, "missing"), None);
        assert_eq!(json_str(r#"{"p":"a\\b"}"#, "p").unwrap(), "a\\b");
    }

    #[test]
    fn parses_a_cargo_test_transcript() {
        let transcript = [
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/cpio#0.1.0","target":{"kind":["lib"],"crate_types":["lib"],"name":"cpio"},"executable":"/w/target/debug/deps/cpio-111"}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/cpio#0.1.0","target":{"kind":["test"],"crate_types":["bin"],"name":"roundtrip"},"executable":"/w/target/debug/deps/roundtrip-222"}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/ksyms#0.1.0","target":{"kind":["test"],"crate_types":["bin"],"name":"roundtrip"},"executable":"/w/target/debug/deps/roundtrip-333"}"#,
            "     Running unittests src/lib.rs (target/debug/deps/cpio-111)",
            "test header::tests::hex ... ok",
            "     Running tests/roundtrip.rs (target/debug/deps/roundtrip-222)",
            "test round_trip ... ok",
            "     Running tests/roundtrip.rs (target/debug/deps/roundtrip-333)",
            "test lookup ... FAILED",
            "test slow ... ignored",
            "failures:",
            "",
            "---- lookup stdout ----",
            "thread 'lookup' panicked at src/x.rs:1:1:",
            "boom",
            "",
            "failures:",
            "    lookup",
            "test result: FAILED. 0 passed; 1 failed",
            "   Doc-tests cpio",
            "test src/lib.rs - Archive (line 3) ... ok",
        ];
        let mut p = LibtestParser::default();
        let results: Vec<Parsed> = transcript
            .iter()
            .map(|l| p.line(l))
            .filter(|r| *r != Parsed::Other)
            .collect();
        assert_eq!(
            results,
            [
                Parsed::Result("cpio::header::tests::hex".into(), true),
                Parsed::Result("cpio/roundtrip::round_trip".into(), true),
                Parsed::Result("ksyms/roundtrip::lookup".into(), false),
                Parsed::Result("cpio/doc::src/lib.rs - Archive (line 3)".into(), true),
            ]
        );
        assert_eq!(p.failure("ksyms/roundtrip::lookup")[1], "boom");
    }
}
