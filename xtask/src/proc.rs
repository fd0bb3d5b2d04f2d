//! Process helpers: running cargo, capturing a child's stdout and stderr
//! as one stream, streaming its lines, and finding programs on `PATH`.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use crate::error::{Context, Result};

/// A `cargo` command run from the repository root, using the same cargo
/// that started the xtask.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(crate::paths::root());
    cmd
}

/// Runs `cmd` with stdout and stderr merged into one pipe, calling
/// `on_line` for each line as it arrives. Returns the exit status and the
/// whole output.
pub fn run_lines(mut cmd: Command, mut on_line: impl FnMut(&str)) -> Result<(ExitStatus, String)> {
    let (reader, writer) = std::io::pipe()?;
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {:?}", cmd.get_program()))?;
    // Drop the write ends still held by `cmd`, so EOF arrives.
    drop(cmd);
    let mut all = String::new();
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        on_line(text.trim_end_matches(['\n', '\r']));
        all.push_str(&text);
    }
    let status = child.wait()?;
    Ok((status, all))
}

/// Runs `cmd` and returns its status and merged output.
pub fn run_captured(cmd: Command) -> Result<(ExitStatus, String)> {
    run_lines(cmd, |_| {})
}

/// Reads everything from a pipe into a (lossy) string.
pub fn read_all(mut r: impl Read) -> String {
    let mut buf = Vec::new();
    let _ = r.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// Finds `program` on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Starts `cmd`, naming the program in the error.
pub fn spawn(cmd: &mut Command) -> Result<std::process::Child> {
    cmd.spawn()
        .with_context(|| format!("starting {}", cmd.get_program().to_string_lossy()))
}

/// For tests: a shell running `script`.
#[cfg(test)]
pub fn sh(script: &str) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", script]);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_stdout_and_stderr_in_order() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo one; echo two >&2; echo three"]);
        let mut seen = Vec::new();
        let (status, all) = run_lines(cmd, |l| seen.push(l.to_string())).unwrap();
        assert!(status.success());
        assert_eq!(seen, ["one", "two", "three"]);
        assert_eq!(all, "one\ntwo\nthree\n");
    }

    #[test]
    fn tail_and_which() {
        assert_eq!(tail("a\nb\nc\n", 2), ["b", "c"]);
        assert_eq!(tail("a", 5), ["a"]);
        assert!(which("sh").is_some());
        assert!(which("no-such-program-exov6").is_none());
    }
}
