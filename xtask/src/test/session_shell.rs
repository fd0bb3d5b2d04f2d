//! A person at busybox's shell, for the session tests: wait for the
//! prompt, think, type a command key by key, wait for the next prompt and
//! check the answer line by line.

use std::time::Duration;

use crate::test::typist::{Failure, Typist};

/// busybox sh's prompt for root in `/`.
pub const PROMPT: &str = "/ # ";
/// The pause before each command (a person reading the last answer).
const THINK: Duration = Duration::from_millis(700);

/// True if all of `line` matches `pattern`; `*` matches any run of
/// characters.
pub fn whole_line(line: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return line == pattern;
    }
    if !line.starts_with(first) || line.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    if !line.ends_with(last) {
        return false;
    }
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// The shell session: the terminal and how long an answer may take.
pub struct Shell<'t> {
    /// The terminal.
    pub t: &'t mut Typist,
    /// Longest wait for an answer.
    pub patience: Duration,
    /// Commands typed so far.
    pub commands: usize,
}

impl Shell<'_> {
    /// Waits for a prompt drawn on a line after `mark` (the command's own
    /// line has ended).
    pub fn prompt_after(&self, mark: usize, what: &str) -> Result<(), Failure> {
        self.prompt_within(mark, what, self.patience)
    }

    /// [`Shell::prompt_after`] with its own time limit.
    pub fn prompt_within(&self, mark: usize, what: &str, limit: Duration) -> Result<(), Failure> {
        self.t
            .wait_until(
                &format!("prompt after {what}"),
                mark,
                limit,
                |lines, cur| !lines.is_empty() && cur == PROMPT,
            )
            .map_err(|f| self.context(what, f))
    }

    fn context(&self, what: &str, mut f: Failure) -> Failure {
        f.why = format!("command {} ({what}): {}", self.commands, f.why);
        f
    }

    /// Thinks, types `line` and Enter, and waits until the shell has taken
    /// the line (its echo ended). Returns the mark before it.
    pub fn start(&mut self, line: &str) -> Result<usize, Failure> {
        std::thread::sleep(THINK);
        self.commands += 1;
        let mark = self.t.mark();
        self.t.type_text(line)?;
        self.t.key(b"\r")?;
        let echo = format!("{PROMPT}{line}");
        self.t
            .wait_until(
                &format!("echo of {line:?}"),
                mark,
                self.patience,
                |lines, _| lines.iter().any(|l| l == &echo),
            )
            .map_err(|f| self.context(line, f))?;
        Ok(mark)
    }

    /// Starts `line`, lets it run for 1.5 s, presses the job-control `key`
    /// and waits up to 10 s for the prompt (`what` names the key press).
    /// Returns the mark before the line.
    pub fn key_to_job(&mut self, line: &str, key: &[u8], what: &str) -> Result<usize, Failure> {
        let mark = self.start(line)?;
        std::thread::sleep(Duration::from_millis(1500));
        self.t.key(key)?;
        self.prompt_within(mark, what, Duration::from_secs(10))?;
        Ok(mark)
    }

    /// The answer after `mark` once the prompt is back: the lines after the
    /// command's own; each of `expect` must match one of them whole.
    pub fn answer(&self, mark: usize, what: &str, expect: &[&str]) -> Result<Vec<String>, Failure> {
        self.prompt_after(mark, what)?;
        self.check(mark, what, expect)
    }

    /// Checks the lines after `mark` (without the command's own) against
    /// `expect`.
    pub fn check(&self, mark: usize, what: &str, expect: &[&str]) -> Result<Vec<String>, Failure> {
        let lines = self.t.lines_since(mark);
        let answer: Vec<String> = lines.into_iter().skip(1).collect();
        let missing: Vec<&str> = expect
            .iter()
            .copied()
            .filter(|p| !answer.iter().any(|l| whole_line(l, p)))
            .collect();
        if missing.is_empty() {
            Ok(answer)
        } else {
            Err(self.context(
                what,
                self.t
                    .fail(format!("the answer {answer:?} has no line {missing:?}")),
            ))
        }
    }

    /// Types `line`, waits for the prompt and checks the answer.
    pub fn run(&mut self, line: &str, expect: &[&str]) -> Result<Vec<String>, Failure> {
        let mark = self.start(line)?;
        self.answer(mark, line, expect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_line_patterns() {
        assert!(whole_line("3", "3"));
        assert!(!whole_line("13", "3"));
        assert!(whole_line("[1] 12", "[1] *"));
        assert!(whole_line(
            "[1]+  Stopped                    sleep 4",
            "[1]+*Stopped*sleep 4"
        ));
        assert!(!whole_line(
            "[1]+  Stopped   sleep 40",
            "[1]+*Stopped*sleep 4"
        ));
        assert!(whole_line("ab", "a*b"));
        assert!(!whole_line("a", "a*a"));
    }
}
