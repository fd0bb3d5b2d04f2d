//! Reading a benchmark boot's serial output: the `bench ...` lines of
//! `user/bench`, the kernel's TSC rate and boot time from its banner.

/// One benchmark's figures (TSC cycles per operation).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Benchmark name.
    pub name: String,
    /// Median over batches.
    pub median: f64,
    /// Minimum over batches.
    pub min: f64,
    /// Timed operations.
    pub iters: u64,
    /// Timed batches.
    pub batches: u64,
    /// Nanoseconds per operation by the monotonic clock, (median, min),
    /// where the program measures them too (`ns-median=`, `ns-min=`).
    pub ns: Option<(f64, f64)>,
}

/// What one boot of the benchmark program reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Rows in output order.
    pub rows: Vec<Row>,
    /// `bench NAME: FAIL why` lines, as (name, why).
    pub failures: Vec<(String, String)>,
    /// The `bench config` words (`batches=100 ops=100 warmup=10`).
    pub config: Option<String>,
    /// Cost of a pair of TSC reads: (median, min) cycles.
    pub overhead: Option<(u64, u64)>,
    /// The kernel's TSC rate in MHz (banner `TSC N MHz`).
    pub tsc_mhz: Option<f64>,
    /// The CPU the guest saw (banner `cpu:` line, up to the comma).
    pub cpu: Option<String>,
    /// The kernel's own boot time (first instruction to banner).
    pub kernel_boot_us: Option<u64>,
    /// True once `bench done` was printed.
    pub done: bool,
    /// A line saying the program died, if one appeared.
    pub killed: Option<String>,
}

/// The value of `key=` among the words of `line`.
fn field<'a>(words: &[&'a str], key: &str) -> Option<&'a str> {
    words
        .iter()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

fn parse_row(name: &str, words: &[&str]) -> Option<Row> {
    Some(Row {
        name: name.to_string(),
        median: field(words, "median")?.parse().ok()?,
        min: field(words, "min")?.parse().ok()?,
        iters: field(words, "iters")?.parse().ok()?,
        batches: field(words, "batches")?.parse().ok()?,
        ns: field(words, "ns-median")
            .and_then(|m| m.parse().ok())
            .zip(field(words, "ns-min").and_then(|m| m.parse().ok())),
    })
}

/// `TSC 2708.828 MHz` anywhere in a line.
fn tsc_mhz(line: &str) -> Option<f64> {
    let rest = line.split("TSC ").nth(1)?;
    let mut words = rest.split_whitespace();
    let n = words.next()?.parse().ok()?;
    (words.next()?.trim_end_matches([';', ',']) == "MHz").then_some(n)
}

/// Reads the serial lines of one boot.
pub fn parse(lines: &[String]) -> Report {
    let mut r = Report {
        kernel_boot_us: crate::qemu::session::kernel_boot_us(lines),
        ..Report::default()
    };
    for line in lines {
        let line = line.trim_end();
        if r.tsc_mhz.is_none() {
            r.tsc_mhz = tsc_mhz(line);
        }
        if let Some(cpu) = line.trim_start().strip_prefix("cpu: ") {
            r.cpu
                .get_or_insert_with(|| cpu.split(", TSC").next().unwrap_or(cpu).to_string());
        }
        if line.contains("root: killed by") || line.starts_with("panic: ") {
            r.killed.get_or_insert_with(|| line.to_string());
        }
        let Some(rest) = line.strip_prefix("bench") else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        if let Some(cfg) = rest.strip_prefix(" config ") {
            r.config = Some(cfg.trim().to_string());
        } else if rest.starts_with("-overhead ") {
            let num = |k| field(&words, k).and_then(|v: &str| v.parse().ok());
            if let (Some(med), Some(min)) = (num("median"), num("min")) {
                r.overhead = Some((med, min));
            }
        } else if rest.starts_with(" done") {
            r.done = true;
        } else if let Some(why) = rest.strip_prefix(": FAIL") {
            r.failures.push(("bench".into(), why.trim().to_string()));
        } else if let Some((name, why)) = rest.trim_start().split_once(": FAIL") {
            r.failures
                .push((name.trim().to_string(), why.trim().to_string()));
        } else if let Some((name, fields)) = words.split_first() {
            if let Some(row) = parse_row(name, fields) {
                r.rows.push(row);
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn reads_a_whole_run() {
        let r = parse(&lines(
            "ExoV6 v0.1.0 (x86_64) booted via pvh\n\
             \x20 cpu: AMD EPYC (family 0x1a model 0x2 stepping 1), TSC 2708.828 MHz; features: tsc\n\
             \x20 boot time: 859493 us (first kernel instruction to banner)\n\
             bench config batches=10 ops=20 warmup=2\n\
             bench-overhead rdtsc-pair median=27 min=1 unit=tsc-cycles per=batch\n\
             bench null-syscall median=798.5 min=795.1 iters=200 batches=10 unit=tsc-cycles\n\
             bench map-unmap: FAIL map failed\n\
             bench done failed=1\n\
             root: exited with code 1",
        ));
        assert_eq!(r.tsc_mhz, Some(2708.828));
        assert_eq!(
            r.cpu.as_deref(),
            Some("AMD EPYC (family 0x1a model 0x2 stepping 1)")
        );
        assert_eq!(r.kernel_boot_us, Some(859493));
        assert_eq!(r.config.as_deref(), Some("batches=10 ops=20 warmup=2"));
        assert_eq!(r.overhead, Some((27, 1)));
        assert_eq!(
            r.rows,
            [Row {
                name: "null-syscall".into(),
                median: 798.5,
                min: 795.1,
                iters: 200,
                batches: 10,
                ns: None
            }]
        );
        assert_eq!(
            r.failures,
            [("map-unmap".to_string(), "map failed".to_string())]
        );
        assert!(r.done);
        assert_eq!(r.killed, None);
    }

    #[test]
    fn notices_a_death() {
        let r = parse(&lines(
            "bench config batches=1 ops=1 warmup=1\n\
             root: killed by #PF page fault (vector 14) at rip=0x1\n\
             bench: FAIL bad arguments: x",
        ));
        assert!(!r.done);
        assert!(r.killed.unwrap().contains("killed by #PF"));
        assert_eq!(r.failures[0].0, "bench");
        assert!(r.rows.is_empty());
    }
}
