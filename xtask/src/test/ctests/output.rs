//! Judging a test program's output (pure, host-tested): normalising
//! lines, the program's own verdict (no `FAIL` line, the closing
//! `NAME: ok`, the expected exit status) and comparing the output of a
//! run in ExoV6 with the host's.

/// The lines of `text` as compared: carriage returns and trailing
/// whitespace removed (a serial console writes `\r\n`), empty lines
/// dropped.
pub fn normalise(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end_matches(['\r', ' ', '\t']).to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A line a program prints when one of its own checks fails.
pub fn is_fail_line(line: &str) -> bool {
    line.trim_start().starts_with("FAIL")
}

/// Checks a run against the program's own rules: no `FAIL` line, the last
/// line is `ok_line`, the exit status is `want`. Returns the number of
/// lines, or why the run failed.
pub fn verdict(ok_line: &str, want: i32, stdout: &str, status: i32) -> Result<usize, String> {
    let lines = normalise(stdout);
    if let Some(fail) = lines.iter().find(|l| is_fail_line(l)) {
        let what = fail.trim().trim_start_matches("FAIL");
        return Err(what.trim_start_matches(':').trim().to_string());
    }
    if status != want {
        return Err(format!("exit status {}, wanted {want}", describe(status)));
    }
    match lines.last() {
        Some(last) if last == ok_line => Ok(lines.len()),
        Some(last) => Err(format!("last line {last:?}, wanted {ok_line:?}")),
        None => Err(format!("no output, wanted {ok_line:?} at the end")),
    }
}

/// An exit status as the runners report it: `N`, or `128+S (signal S)`.
pub fn describe(status: i32) -> String {
    if status > 128 && status < 128 + 65 {
        format!("{status} (signal {})", status - 128)
    } else {
        status.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_strips_cr_and_blank_lines() {
        assert_eq!(
            normalise("a\r\n\r\n b  \nc\t\n\n"),
            ["a", " b", "c"].map(String::from)
        );
        assert!(normalise("").is_empty());
    }

    #[test]
    fn verdict_rules() {
        let good = "one: yes\nfork: ok\n";
        assert_eq!(verdict("fork: ok", 0, good, 0), Ok(2));
        assert_eq!(verdict("fork: ok", 0, "fork: ok\r\n", 0), Ok(1));
        let err = verdict("fork: ok", 0, good, 1).unwrap_err();
        assert!(err.contains("exit status 1, wanted 0"), "{err}");
        let err = verdict("fork: ok", 0, "a\nFAIL: pipe (x.c:3)\n", 1).unwrap_err();
        assert_eq!(err, "pipe (x.c:3)");
        let err = verdict("fork: ok", 0, "a\nb\n", 0).unwrap_err();
        assert!(err.contains("last line \"b\""), "{err}");
        assert!(verdict("fork: ok", 0, "", 0)
            .unwrap_err()
            .contains("no output"));
        // A program that ends with a chosen status.
        assert_eq!(verdict("rust-std: ok", 3, "rust-std: ok\n", 3), Ok(1));
        let err = verdict("x: ok", 0, "x: ok\n", 139).unwrap_err();
        assert!(err.contains("139 (signal 11)"), "{err}");
    }

    #[test]
    fn statuses_describe_signals() {
        assert_eq!(describe(0), "0");
        assert_eq!(describe(128), "128");
        assert_eq!(describe(137), "137 (signal 9)");
    }
}
