//! Reading a run of `user/busybox-suite/run.sh` (its `bbsuite:` markers
//! and the suite's `PASS:`/`FAIL:`/`SKIPPED:`/`UNTESTED:` lines), the
//! expected list, and judging the ExoV6 run against the host's.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// What one test did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `PASS: name`.
    Pass,
    /// `FAIL: name`.
    Fail,
    /// `SKIPPED: name` (an `optional` feature or applet the binary lacks).
    Skipped,
    /// `UNTESTED: name` (an old-style test of a feature not configured).
    Untested,
}

impl Outcome {
    /// The word the suite prints.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skipped => "SKIPPED",
            Outcome::Untested => "UNTESTED",
        }
    }
}

/// One run of the driver.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Every test by its key (`sed.tests: NAME`, `cp/NAME`), in the order
    /// of the keys.
    pub tests: BTreeMap<String, Outcome>,
    /// The test file of each key (`sed.tests`, `cp/`).
    pub file_of: BTreeMap<String, String>,
    /// The test files begun, in order.
    pub files: Vec<String>,
    /// The driver printed `bbsuite: done`.
    pub done: bool,
    /// The driver could not set up its scratch directory (why).
    pub setup_failed: Option<String>,
    /// The test file that had begun and not ended when the output stopped.
    pub unfinished: Option<String>,
    /// Test files whose script did not end with status 0 (a failed test
    /// makes that status 1; a killed one 137), with the status.
    pub file_status: Vec<(String, String)>,
}

impl Run {
    /// The keys of the passing tests.
    pub fn passed(&self) -> BTreeSet<&str> {
        self.with(Outcome::Pass)
    }

    /// The keys of the tests with `outcome`.
    pub fn with(&self, outcome: Outcome) -> BTreeSet<&str> {
        self.tests
            .iter()
            .filter(|(_, o)| **o == outcome)
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// Merges the run of another part of the suite into this one.
    pub fn merge(&mut self, other: Run) {
        self.tests.extend(other.tests);
        self.file_of.extend(other.file_of);
        self.files.extend(other.files);
        self.done &= other.done;
        self.setup_failed = self.setup_failed.take().or(other.setup_failed);
        self.unfinished = self.unfinished.take().or(other.unfinished);
        self.file_status.extend(other.file_status);
    }

    /// `PASS key` lines, one per test, for a file people can diff.
    pub fn listing(&self) -> String {
        let mut s = String::new();
        for (key, o) in &self.tests {
            s.push_str(&format!("{} {key}\n", o.word()));
        }
        s
    }
}

/// The key of test `name` of test file `file` (`sed.tests` or `cp/`).
fn key(file: &str, name: &str) -> String {
    if file.ends_with('/') {
        format!("{file}{name}")
    } else {
        format!("{file}: {name}")
    }
}

/// The driver's argument that runs test file `file`: `sed` for
/// `sed.tests`, `cp/` for `cp/`.
pub fn driver_arg(file: &str) -> &str {
    file.strip_suffix(".tests").unwrap_or(file)
}

/// Splits `files` (with their costs) into at most `n` groups of about
/// equal cost (the largest first, each to the cheapest group), each
/// group in the files' own order; no group is empty.
pub fn balance(files: &[(String, Duration)], n: usize) -> Vec<Vec<String>> {
    let n = n.clamp(1, files.len().max(1));
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|a, b| files[*b].1.cmp(&files[*a].1).then(a.cmp(b)));
    let mut groups: Vec<(Duration, Vec<usize>)> = vec![(Duration::ZERO, Vec::new()); n];
    for i in order {
        let g = groups
            .iter_mut()
            .min_by_key(|(cost, members)| (*cost, members.len()))
            .expect("at least one group");
        g.0 += files[i].1;
        g.1.push(i);
    }
    groups
        .into_iter()
        .filter(|(_, m)| !m.is_empty())
        .map(|(_, mut m)| {
            m.sort_unstable();
            m.into_iter().map(|i| files[i].0.clone()).collect()
        })
        .collect()
}

/// Reads the driver's output (the console of a guest run holds other
/// lines too; only result lines inside a test file's markers count, so a
/// run cut short still yields the tests that finished).
pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Run {
    let mut run = Run::default();
    let mut file: Option<String> = None;
    for line in lines {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("bbsuite: ") {
            if let Some(f) = rest.strip_prefix("begin ") {
                run.files.push(f.trim().to_string());
                file = Some(f.trim().to_string());
            } else if let Some(end) = rest.strip_prefix("end ") {
                let (f, status) = end.trim().rsplit_once(' ').unwrap_or((end.trim(), ""));
                if status != "0" {
                    run.file_status.push((f.to_string(), status.to_string()));
                }
                file = None;
            } else if let Some(why) = rest.strip_prefix("setup failed: ") {
                run.setup_failed = Some(why.to_string());
            } else if rest == "done" {
                run.done = true;
            }
            continue;
        }
        let Some(f) = &file else { continue };
        let (outcome, name) = match line.split_once(": ") {
            Some(("PASS", n)) => (Outcome::Pass, n),
            Some(("FAIL", n)) => (Outcome::Fail, n),
            Some(("SKIPPED", n)) => (Outcome::Skipped, n),
            Some(("UNTESTED", n)) => (Outcome::Untested, n),
            _ => continue,
        };
        let base = key(f, name.trim_end());
        // A name used twice in one file: the second is `NAME (2)`.
        let mut k = base.clone();
        let mut n = 1;
        while run.tests.contains_key(&k) {
            n += 1;
            k = format!("{base} ({n})");
        }
        run.file_of.insert(k.clone(), f.clone());
        run.tests.insert(k, outcome);
    }
    run.unfinished = file;
    run
}

/// The expected list's names: one per line, `#` lines and blank lines
/// ignored.
pub fn read_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Test files left out of the list although their tests pass: each
/// forks thousands of processes (a hash of every test vector through a
/// pipeline), which makes a boot of them run for minutes under TCG;
/// `EXOV6_BUSYBOX_SUITE_ALL=1` still runs them.
pub const SLOW_FILES: &[&str] = &["md5sum", "sha1sum", "sha256sum", "sha3sum", "sha512sum"];

/// Whether test key `name` belongs to one of [`SLOW_FILES`].
pub fn is_slow(name: &str) -> bool {
    SLOW_FILES.iter().any(|f| {
        name.strip_prefix(f)
            .is_some_and(|rest| rest.starts_with(".tests:") || rest.starts_with('/'))
    })
}

/// The expected list's text for `names` (less the slow files'), with its
/// header.
pub fn write_list(names: &BTreeSet<&str>) -> String {
    let mut s = String::from(
        "# busybox testsuite tests that must pass in ExoV6 (and pass on the host):\n\
         # one key per line, sorted. The busybox-suite step of `cargo xtask test`\n\
         # fails when one of them does not pass; EXOV6_BUSYBOX_SUITE_UPDATE=1\n\
         # rewrites this file with every test that passes on both (docs/testing.md),\n\
         # except those of md5sum, sha1sum, sha256sum, sha3sum and sha512sum, which\n\
         # pass too but fork thousands of processes (EXOV6_BUSYBOX_SUITE_ALL=1).\n",
    );
    for n in names.iter().filter(|n| !is_slow(n)) {
        s.push_str(n);
        s.push('\n');
    }
    s
}

/// The comparison of the two runs with the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Tests passing on the host.
    pub host_passed: usize,
    /// Tests passing in ExoV6.
    pub guest_passed: usize,
    /// Listed tests passing in ExoV6.
    pub listed_passed: usize,
    /// Length of the list.
    pub listed: usize,
    /// Listed tests that do not pass on the host (the list is wrong).
    pub not_on_host: Vec<String>,
    /// Listed tests that do not pass in ExoV6, with what they did
    /// (`FAIL`, `SKIPPED`, ... or `not run`).
    pub not_in_guest: Vec<(String, &'static str)>,
    /// Tests passing on both.
    pub both: Vec<String>,
    /// Tests passing in ExoV6 but not on the host (worth a look).
    pub guest_only: Vec<String>,
}

impl Verdict {
    /// True when every listed test passes on both.
    pub fn ok(&self) -> bool {
        self.not_on_host.is_empty() && self.not_in_guest.is_empty()
    }

    /// The counts line.
    pub fn counts(&self) -> String {
        format!(
            "busybox testsuite: host {} passed, ExoV6 {} passed, {} of the expected list ({})",
            self.host_passed, self.guest_passed, self.listed_passed, self.listed
        )
    }
}

/// Judges `guest` against `host` and the `list`.
pub fn judge(host: &Run, guest: &Run, list: &[String]) -> Verdict {
    let hp = host.passed();
    let gp = guest.passed();
    let not_on_host = list
        .iter()
        .filter(|n| !hp.contains(n.as_str()))
        .cloned()
        .collect();
    let not_in_guest: Vec<(String, &'static str)> = list
        .iter()
        .filter(|n| !gp.contains(n.as_str()))
        .map(|n| {
            let what = guest.tests.get(n).map_or("not run", |o| o.word());
            (n.clone(), what)
        })
        .collect();
    Verdict {
        host_passed: hp.len(),
        guest_passed: gp.len(),
        listed_passed: list.len() - not_in_guest.len(),
        listed: list.len(),
        not_on_host,
        not_in_guest,
        both: hp.intersection(&gp).map(|s| s.to_string()).collect(),
        guest_only: gp.difference(&hp).map(|s| s.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "\
init: running /bin/sh
bbsuite: begin cp/
PASS: cp-a-files-to-dir
FAIL: cp-dev-file
UNTESTED: cp-parents
bbsuite: end cp/ 0
stray line
PASS: outside any file
bbsuite: begin sed.tests
PASS: sed n
PASS: sed n
FAIL: sed s//g
SKIPPED: sed -z\r
bbsuite: end sed.tests 1
bbsuite: begin tar.tests
PASS: tar x
";

    #[test]
    fn results_by_file_and_a_run_cut_short() {
        let run = parse(OUT.lines());
        assert_eq!(run.tests.get("cp/cp-a-files-to-dir"), Some(&Outcome::Pass));
        assert_eq!(run.tests.get("cp/cp-dev-file"), Some(&Outcome::Fail));
        assert_eq!(run.tests.get("cp/cp-parents"), Some(&Outcome::Untested));
        assert_eq!(run.tests.get("sed.tests: sed n"), Some(&Outcome::Pass));
        assert_eq!(run.tests.get("sed.tests: sed n (2)"), Some(&Outcome::Pass));
        assert_eq!(run.tests.get("sed.tests: sed -z"), Some(&Outcome::Skipped));
        assert_eq!(run.tests.get("tar.tests: tar x"), Some(&Outcome::Pass));
        assert!(!run.tests.keys().any(|k| k.contains("outside")));
        assert_eq!(run.tests.len(), 8);
        assert_eq!(run.passed().len(), 4);
        assert!(!run.done);
        assert_eq!(run.unfinished.as_deref(), Some("tar.tests"));
        assert_eq!(run.file_status, [("sed.tests".into(), "1".into())]);
        assert!(run.listing().contains("FAIL sed.tests: sed s//g\n"));
    }

    #[test]
    fn files_and_merging() {
        let mut run = parse(OUT.lines());
        assert_eq!(run.files, ["cp/", "sed.tests", "tar.tests"]);
        assert_eq!(run.file_of["sed.tests: sed n (2)"], "sed.tests");
        assert_eq!(driver_arg("sed.tests"), "sed");
        assert_eq!(driver_arg("cp/"), "cp/");
        let other = parse(
            "bbsuite: begin xargs.tests\nPASS: xargs -0\nbbsuite: end xargs.tests 0\nbbsuite: done\n"
                .lines(),
        );
        assert!(other.done);
        run.merge(other);
        assert!(!run.done, "one part did not finish");
        assert_eq!(run.tests.len(), 9);
        assert_eq!(run.unfinished.as_deref(), Some("tar.tests"));
    }

    #[test]
    fn balanced_groups() {
        let ms = Duration::from_millis;
        let files: Vec<(String, Duration)> = [("a", 10), ("b", 1), ("c", 6), ("d", 5), ("e", 1)]
            .iter()
            .map(|(n, c)| (n.to_string(), ms(*c)))
            .collect();
        let g = balance(&files, 2);
        assert_eq!(g, [vec!["a", "b", "e"], vec!["c", "d"]]);
        assert_eq!(balance(&files, 1), [vec!["a", "b", "c", "d", "e"]]);
        assert_eq!(balance(&files[..1], 4), [vec!["a"]]);
        assert!(balance(&[], 3).is_empty());
    }

    #[test]
    fn setup_failure_and_done() {
        let run = parse(["bbsuite: setup failed: mkdir /tmp/x", "bbsuite: done"]);
        assert_eq!(run.setup_failed.as_deref(), Some("mkdir /tmp/x"));
        assert!(run.done && run.tests.is_empty() && run.unfinished.is_none());
    }

    #[test]
    fn judging_against_the_list() {
        let host = parse(OUT.lines());
        let guest = parse(
            "bbsuite: begin cp/\nPASS: cp-a-files-to-dir\nPASS: cp-dev-file\nbbsuite: end cp/ 0\n"
                .lines(),
        );
        let list = read_list("# header\n\ncp/cp-a-files-to-dir\n");
        let v = judge(&host, &guest, &list);
        assert!(v.ok());
        assert_eq!((v.host_passed, v.guest_passed, v.listed_passed), (4, 2, 1));
        assert_eq!(v.both, ["cp/cp-a-files-to-dir"]);
        assert_eq!(v.guest_only, ["cp/cp-dev-file"]);
        assert_eq!(
            v.counts(),
            "busybox testsuite: host 4 passed, ExoV6 2 passed, 1 of the expected list (1)"
        );

        let list = read_list("cp/cp-dev-file\nsed.tests: sed n\nsed.tests: sed s//g\n");
        let v = judge(&host, &guest, &list);
        assert!(!v.ok());
        assert_eq!(v.not_on_host, ["cp/cp-dev-file", "sed.tests: sed s//g"]);
        assert_eq!(
            v.not_in_guest,
            [
                ("sed.tests: sed n".to_string(), "not run"),
                ("sed.tests: sed s//g".to_string(), "not run")
            ]
        );
    }

    #[test]
    fn the_list_round_trips() {
        let names: BTreeSet<&str> = ["b/x", "a.tests: y z"].into_iter().collect();
        assert_eq!(read_list(&write_list(&names)), ["a.tests: y z", "b/x"]);
    }
}
