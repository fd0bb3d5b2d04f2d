//! The QEMU plugin (`xtask/plugin/exov6prof.c`): building it with the
//! host's `gcc` into `target/profile/exov6prof.so`, its `-plugin`
//! argument, and reading the counts it writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{bail, Context, Result};
use crate::{paths, proc};

/// The plugin's source, relative to the repository root.
pub const SOURCE: &str = "xtask/plugin/exov6prof.c";

/// Where profile runs keep their files.
pub fn out_dir() -> PathBuf {
    paths::target_dir().join("profile")
}

/// Builds the plugin if its source is newer than the library; its path.
pub fn build() -> Result<PathBuf> {
    let src = paths::root().join(SOURCE);
    let out = out_dir().join("exov6prof.so");
    let newer = |a: &Path, b: &Path| -> bool {
        let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        match (m(a), m(b)) {
            (Some(a), Some(b)) => a > b,
            _ => true,
        }
    };
    if !newer(&src, &out) {
        return Ok(out);
    }
    let Some(gcc) = proc::which("gcc") else {
        bail!("gcc not found: the profiler's QEMU plugin is built with the host's gcc");
    };
    std::fs::create_dir_all(out_dir())?;
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let mut cmd = Command::new(gcc);
    cmd.args([
        "-shared", "-fPIC", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o",
    ])
    .arg(&tmp)
    .arg(&src);
    let (status, text) = proc::run_captured(cmd).with_context(|| "running gcc")?;
    if !status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!(
            "gcc {} failed ({status}):\n{}",
            paths::show(&src),
            proc::tail(&text, 30).join("\n")
        );
    }
    std::fs::rename(&tmp, &out)?;
    Ok(out)
}

/// Which executions of the marker instruction (`rdtsc` in the program's
/// code) open and close the counted windows: window k opens at marker
/// `first + k * period` and closes at marker `first + k * period + span`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Marker range `[lo, hi)`: the program's code.
    pub lo: u64,
    /// End of the range.
    pub hi: u64,
    /// The marker that opens the first window (numbered from 0).
    pub first: u64,
    /// Markers from one window's opening to the next's.
    pub period: u64,
    /// Markers from a window's opening to its closing.
    pub span: u64,
    /// Windows to count.
    pub count: u64,
    /// Marker executions the whole run makes (checked afterwards).
    pub total: u64,
}

/// The `-plugin` option's value.
pub fn arg(plugin: &Path, out: &Path, w: &Windows) -> String {
    format!(
        "{},out={},marker_lo={:#x},marker_hi={:#x},first={},period={},span={},windows={}",
        plugin.display(),
        out.display(),
        w.lo,
        w.hi,
        w.first,
        w.period,
        w.span,
        w.count
    )
}

/// One instruction's count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insn {
    /// Virtual address.
    pub vaddr: u64,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Executions inside the windows.
    pub count: u64,
}

/// What the plugin wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Marker executions seen.
    pub markers: u64,
    /// Windows closed.
    pub windows: u64,
    /// Whether a window was still open at the end.
    pub open: bool,
    /// Instructions that ran inside a window.
    pub insns: Vec<Insn>,
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.is_empty() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Parses the plugin's output file.
pub fn parse(text: &str) -> Result<Counts> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "exov6prof 1")) => {}
        _ => bail!("not the profiler plugin's output (no `exov6prof 1` header)"),
    }
    let mut c = Counts::default();
    for (n, line) in lines {
        let bad = || crate::error::Error::msg(format!("plugin output line {}: `{line}`", n + 1));
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["markers", v] => c.markers = v.parse().map_err(|_| bad())?,
            ["windows", v] => c.windows = v.parse().map_err(|_| bad())?,
            ["open", v] => c.open = *v == "1",
            ["i", addr, bytes, count] => c.insns.push(Insn {
                vaddr: u64::from_str_radix(addr, 16).map_err(|_| bad())?,
                bytes: hex_bytes(bytes).ok_or_else(bad)?,
                count: count.parse().map_err(|_| bad())?,
            }),
            [] => {}
            _ => return Err(bad()),
        }
    }
    Ok(c)
}

/// Reads and parses the output file.
pub fn read(path: &Path) -> Result<Counts> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading the plugin's output {} (did QEMU load the plugin?)",
            path.display()
        )
    })?;
    parse(&text).with_context(|| paths::show(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_output() {
        let c = parse(
            "exov6prof 1\nmarkers 210\nwindows 5\nopen 0\n\
             i ffffffff80101000 0f22d8 12\n\
             i 7e0000001234 f3a4 4096\n",
        )
        .unwrap();
        assert_eq!((c.markers, c.windows, c.open), (210, 5, false));
        assert_eq!(
            c.insns[0],
            Insn {
                vaddr: 0xffff_ffff_8010_1000,
                bytes: vec![0x0f, 0x22, 0xd8],
                count: 12
            }
        );
        assert_eq!(c.insns[1].count, 4096);
    }

    #[test]
    fn refuses_bad_output() {
        assert!(parse("").is_err());
        assert!(parse("something else\n").is_err());
        for bad in ["i 12 0f2 3", "i zz 0f 3", "i 12 0f x", "markers x", "what"] {
            let e = parse(&format!("exov6prof 1\n{bad}\n")).unwrap_err();
            assert!(e.to_string().contains("line 2"), "{bad}: {e}");
        }
    }

    #[test]
    fn plugin_argument() {
        let w = Windows {
            lo: 0x1000_1000,
            hi: 0x1000_9000,
            first: 200,
            period: 2,
            span: 1,
            count: 5,
            total: 220,
        };
        assert_eq!(
            arg(Path::new("/p.so"), Path::new("/o.txt"), &w),
            "/p.so,out=/o.txt,marker_lo=0x10001000,marker_hi=0x10009000,first=200,period=2,span=1,windows=5"
        );
    }
}
