//! Test output: one `PASS`/`FAIL`/`SKIP` line per step, failure tails, the
//! boot-time summary table, and the closing `N passed, N failed` line.

use std::time::Duration;

/// Counts of finished steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Steps that passed.
    pub passed: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Steps that could not run here (not counted as either).
    pub skipped: usize,
}

/// Formats a duration as seconds with two decimals.
pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

impl Tally {
    /// Prints `PASS name` or `PASS name (detail)`.
    pub fn pass(&mut self, name: &str, detail: &str) {
        if detail.is_empty() {
            println!("PASS {name}");
        } else {
            println!("PASS {name} ({detail})");
        }
        self.passed += 1;
    }

    /// Prints `FAIL name: reason` and the indented tail lines.
    pub fn fail<S: AsRef<str>>(&mut self, name: &str, reason: &str, tail: &[S]) {
        println!("FAIL {name}: {reason}");
        for line in tail {
            println!("    | {}", line.as_ref());
        }
        self.failed += 1;
    }

    /// Prints `SKIP name: reason`.
    pub fn skip(&mut self, name: &str, reason: &str) {
        println!("SKIP {name}: {reason}");
        self.skipped += 1;
    }

    /// The closing line, exactly `N passed, N failed`.
    pub fn closing_line(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failed)
    }
}

/// One row of the boot-time table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootRow {
    /// Test name.
    pub name: String,
    /// Accelerator the figures were taken under.
    pub accel: &'static str,
    /// QEMU start to banner line, wall clock.
    pub wall: Option<Duration>,
    /// The kernel's own first-instruction-to-banner figure.
    pub kernel_us: Option<u64>,
}

/// The boot-time summary table as lines.
pub fn boot_table(rows: &[BootRow]) -> Vec<String> {
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let mut out = vec![
        "boot times (wall: QEMU start to banner; kernel: first instruction to banner):".to_string(),
        format!(
            "  {:width$}  accel  {:>9}  {:>12}",
            "test", "wall", "kernel"
        ),
    ];
    for r in rows {
        let wall = r.wall.map_or("-".to_string(), secs);
        let kernel = r.kernel_us.map_or("-".to_string(), |us| format!("{us} us"));
        out.push(format!(
            "  {:width$}  {:5}  {wall:>9}  {kernel:>12}",
            r.name, r.accel
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_line_is_exact() {
        let t = Tally {
            passed: 3,
            failed: 1,
            skipped: 2,
        };
        assert_eq!(t.closing_line(), "3 passed, 1 failed");
    }

    #[test]
    fn boot_table_layout() {
        let rows = [
            BootRow {
                name: "boot-direct-kvm".into(),
                accel: "kvm",
                wall: Some(Duration::from_millis(420)),
                kernel_us: Some(1234),
            },
            BootRow {
                name: "boot-i386".into(),
                accel: "tcg",
                wall: None,
                kernel_us: None,
            },
        ];
        let t = boot_table(&rows);
        assert_eq!(t.len(), 4);
        assert!(
            t[2].contains("boot-direct-kvm")
                && t[2].contains("0.42 s")
                && t[2].ends_with("1234 us")
        );
        assert!(t[3].contains("boot-i386") && t[3].ends_with('-'));
    }
}
