//! `cargo xtask profile BENCH` (also `cargo xtask bench --profile BENCH`):
//! one benchmark row under TCG with `-icount shift=0` and the QEMU plugin
//! of [`plugin`], its instructions per operation by component and symbol,
//! and its costly instructions (docs/benchmarks.md, "Profiling").
//!
//! Only the timed batches are counted: the benchmark programs read the
//! TSC (`lfence; rdtsc`) just before and just after each timed batch, and
//! the plugin counts between those reads of the program's own code
//! ([`windows`] says which reads open and close the windows; the run's
//! count of reads is checked against it). Per operation is the count in
//! the windows divided by the operations in them (the row's `iters`).
//!
//! The C programs of a profile run are linked at addresses of their own
//! ([`LINK_BASES`]): normally the static musl programs (`cbench`, `tiny`,
//! `init`) and the root task (the system server) all start at 0x400000,
//! and an instruction's address alone could not say whose it is.

pub mod insn;
pub mod plugin;
pub mod report;
pub mod symbols;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{cprog, parse, side, Amount, BenchAccel};
use crate::arch::Arch;
use crate::build::{self, Artifacts, Output};
use crate::cli::AddSpec;
use crate::error::{bail, Context, Result};
use crate::{build::deps, build::initrd, paths};
use report::Profile;
use symbols::{Component, Image, Map};

/// Options of `profile`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileOpts {
    /// The benchmark row.
    pub bench: String,
    /// The programs' smaller amounts (`--quick`).
    pub quick: bool,
    /// Symbols shown per component.
    pub top: usize,
}

/// Symbols shown per component by default.
pub const DEFAULT_TOP: usize = 12;

/// Where the C programs of a profile run are linked (`-Ttext-segment`),
/// so that no two images share an address: the root task (with the system
/// server) keeps 0x400000, the library OS its fixed high address.
pub const LINK_BASES: &[(&str, u64)] = &[
    ("cbench", 0x1000_0000),
    ("tiny", 0x1800_0000),
    ("init", 0x2000_0000),
];

/// Which program runs a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `user/bench`, the root task of its own boot.
    Native,
    /// `user/cbench` on the library OS.
    C,
}

impl Kind {
    /// The row's program, or `None` for an unknown name.
    pub fn of(bench: &str) -> Option<Kind> {
        if super::BENCHMARKS.iter().any(|(n, _)| *n == bench) {
            Some(Kind::Native)
        } else if c_rows(bench).contains(&bench) {
            Some(Kind::C)
        } else {
            None
        }
    }

    /// For the table's heading.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Native => "native benchmark, user/bench",
            Kind::C => "C benchmark on ExoV6, user/cbench",
        }
    }
}

/// The rows `user/cbench` runs with `--filter FILTER` on ExoV6, in order:
/// its table's, then `libos-getpid`.
pub fn c_rows(filter: &str) -> Vec<&'static str> {
    let mut rows = cprog::selected(Some(filter));
    if "libos-getpid".contains(filter) {
        rows.push("libos-getpid");
    }
    rows
}

/// Batches of the C program in a profile run: (timed, warm-up).
pub fn c_batches(quick: bool) -> (u64, u64) {
    if quick {
        (5, 1)
    } else {
        (25, 3)
    }
}

/// Reads of the TSC inside one batch of a native benchmark besides the
/// two around it (`yield-to` checks the time inside its batch).
pub const NATIVE_INNER_READS: &[(&str, u64)] = &[("yield-to", 2)];

/// The windows of a run of `bench` (filtered to itself) with `batches`
/// timed and `warmup` warm-up batches, for a program whose code is
/// `[lo, hi)`.
///
/// `user/cbench` first reads the TSC 100 times in pairs (its
/// `bench-overhead`), then two reads per timed batch of each row it runs
/// (none in warm-up). `user/bench` first reads it in pairs over
/// warm-up + timed tries, then per batch of its row two reads plus the
/// row's inner reads (in warm-up batches too).
pub fn windows(kind: Kind, bench: &str, batches: u64, warmup: u64, lo: u64, hi: u64) -> Windows {
    match kind {
        Kind::C => {
            let rows = c_rows(bench);
            let index = rows.iter().position(|r| *r == bench).unwrap_or(0) as u64;
            Windows {
                lo,
                hi,
                first: 200 + 2 * batches * index,
                period: 2,
                span: 1,
                count: batches,
                total: 200 + 2 * batches * rows.len() as u64,
            }
        }
        Kind::Native => {
            let inner = NATIVE_INNER_READS
                .iter()
                .find(|(n, _)| *n == bench)
                .map_or(0, |(_, k)| *k);
            let overhead = 2 * (warmup + batches);
            Windows {
                lo,
                hi,
                first: overhead + inner * warmup,
                period: 2 + inner,
                span: 1 + inner,
                count: batches,
                total: overhead + inner * warmup + (2 + inner) * batches,
            }
        }
    }
}

pub use plugin::Windows;

/// Checks the plugin's window bookkeeping against what the run should
/// have done.
pub fn check_counts(c: &plugin::Counts, w: &Windows) -> std::result::Result<(), String> {
    if c.markers != w.total {
        return Err(format!(
            "the program read the TSC {} times, not the {} the profiler expects \
             (user/bench or user/cbench changed its timing: see `windows` in xtask/src/bench/profile/mod.rs)",
            c.markers, w.total
        ));
    }
    if c.windows != w.count || c.open {
        return Err(format!(
            "{} windows counted{}, expected {}",
            c.windows,
            if c.open { " (one left open)" } else { "" },
            w.count
        ));
    }
    Ok(())
}

/// `musl-gcc -static -O2` of `src` linked at `base`, into `out`.
fn musl_at(src: &str, out: &Path, base: u64) -> Result<()> {
    let src = paths::root().join(src);
    let flag = format!("-Wl,-Ttext-segment={base:#x}");
    // The base is part of the output's name, so a changed base rebuilds.
    build::guest::musl_static(&[&src], out, &[&flag, "-Wextra"])
}

fn base_of(name: &str) -> u64 {
    LINK_BASES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0x1000_0000, |(_, b)| *b)
}

/// A profile run's boot: the initrd and the images to attribute to.
struct Setup {
    initrd: PathBuf,
    images: Vec<(Component, String, PathBuf)>,
    /// The program whose TSC reads are the markers.
    program: PathBuf,
}

fn program_path(art: &Artifacts, guest: &str) -> Result<PathBuf> {
    art.programs
        .iter()
        .find(|p| p.guest == guest)
        .map(|p| p.host.clone())
        .ok_or_else(|| crate::error::Error::msg(format!("the build has no {guest}")))
}

/// The C programs relinked, the initrd with them, and the images.
fn setup_c(art: &Artifacts) -> Result<Setup> {
    deps::ensure(&[deps::Need::Musl])?;
    let dir = plugin::out_dir();
    let at = |name: &str| dir.join(format!("{name}-{:x}", base_of(name)));
    let (cbench, tiny, init) = (at("cbench"), at("tiny"), at("init"));
    musl_at("user/cbench/bench.c", &cbench, base_of("cbench"))?;
    musl_at("user/cbench/tiny.c", &tiny, base_of("tiny"))?;
    musl_at("user/init/init.c", &init, base_of("init"))?;
    let mut files: Vec<AddSpec> = art
        .programs
        .iter()
        .filter(|p| p.guest != "/sbin/init")
        .cloned()
        .collect();
    for (host, guest) in [
        (&init, "/sbin/init"),
        (&cbench, "/bin/cbench"),
        (&tiny, "/bin/tiny"),
    ] {
        files.push(AddSpec {
            host: host.clone(),
            guest: guest.into(),
        });
    }
    let initrd = dir.join("cbench-initrd.cpio");
    initrd::write(Arch::X86_64, &files, &initrd)?;
    Ok(Setup {
        initrd,
        images: vec![
            (Component::Kernel, "kernel".into(), art.kernel.clone()),
            (
                Component::Libos,
                "libos".into(),
                program_path(art, "/lib/libos")?,
            ),
            (
                Component::Servers,
                "sysd".into(),
                program_path(art, "/sbin/root")?,
            ),
            (Component::Servers, "init".into(), init),
            (Component::Program, "cbench".into(), cbench.clone()),
            (Component::Program, "tiny".into(), tiny),
        ],
        program: cbench,
    })
}

/// The native benchmark's initrd and images.
fn setup_native(art: &Artifacts) -> Result<Setup> {
    let p = super::prepare_from(art.clone())?;
    let bench = build::user::binary("bench");
    Ok(Setup {
        initrd: p.initrd,
        images: vec![
            (Component::Kernel, "kernel".into(), art.kernel.clone()),
            (Component::Program, "bench".into(), bench.clone()),
        ],
        program: bench,
    })
}

/// The profile of one row from an existing build.
pub fn run(art: &Artifacts, bench: &str, quick: bool) -> Result<Profile> {
    let Some(kind) = Kind::of(bench) else {
        let mut names: Vec<&str> = super::BENCHMARKS.iter().map(|(n, _)| *n).collect();
        names.extend(cprog::BENCHMARKS.iter().map(|(n, _)| *n));
        names.push("libos-getpid");
        bail!(
            "no benchmark row `{bench}`; the rows are: {}",
            names.join(", ")
        );
    };
    let so = plugin::build()?;
    let setup = match kind {
        Kind::C => setup_c(art)?,
        Kind::Native => setup_native(art)?,
    };
    let mut images = Vec::new();
    for (component, name, path) in &setup.images {
        images.push(Image::load(*component, name, path)?);
    }
    let map = Map::new(images)?;
    let program = map
        .images
        .iter()
        .find(|i| i.path == setup.program)
        .ok_or_else(|| crate::error::Error::msg("internal error: no program image"))?;
    let (lo, hi) = (
        program.code.iter().map(|c| c.0).min().unwrap_or(0),
        program.code.iter().map(|c| c.1).max().unwrap_or(0),
    );
    let (line, batches, warmup) = match kind {
        Kind::C => {
            let (b, w) = c_batches(quick);
            let mut line =
                format!("shutdown init=/bin/cbench --filter {bench} --batches {b} --warmup {w}");
            if quick {
                line = line.replacen("--filter", "--quick --filter", 1);
            }
            (line, b, w)
        }
        Kind::Native => {
            let a = Amount::for_run(BenchAccel::Icount, quick);
            (
                super::cmdline(a, Some(bench)),
                u64::from(a.batches),
                u64::from(a.warmup),
            )
        }
    };
    let w = windows(kind, bench, batches, warmup, lo, hi);
    let out = plugin::out_dir().join(format!("{bench}.counts"));
    let _ = std::fs::remove_file(&out);
    let extra = vec!["-plugin".to_string(), plugin::arg(&so, &out, &w)];
    let timeout = Duration::from_secs(if quick { 300 } else { 1800 });
    let (o, command, problems) = super::boot_exov6_with(
        &art.kernel,
        &setup.initrd,
        &line,
        BenchAccel::Icount,
        timeout,
        &extra,
    )?;
    let log = plugin::out_dir().join(format!("{bench}.log"));
    std::fs::write(&log, o.lines.join("\n") + "\n")?;
    let (rep, problems) = match kind {
        Kind::C => {
            let (r, status, note) = side::judge(&o.lines, Some(bench), problems);
            (r, if status == "ok" { None } else { note })
        }
        Kind::Native => {
            let r = parse::parse(&o.lines);
            let mut p = problems;
            p.extend(r.failures.iter().map(|(n, why)| format!("{n}: {why}")));
            if let Some(k) = &r.killed {
                p.push(k.clone());
            }
            (r, (!p.is_empty()).then(|| p.join("; ")))
        }
    };
    if let Some(why) = problems {
        bail!(
            "the profile run failed: {why}\n(qemu: {command}; its serial output is in {})",
            paths::show(&log)
        );
    }
    let Some(row) = rep.rows.iter().find(|r| r.name == bench) else {
        bail!(
            "the program printed no figure for {bench} (serial output in {})",
            paths::show(&log)
        );
    };
    if row.batches != batches {
        bail!(
            "the program ran {} batches, the profiler expected {batches}",
            row.batches
        );
    }
    let counts = plugin::read(&out)?;
    check_counts(&counts, &w).map_err(crate::error::Error::msg)?;
    let mut p = Profile::build(bench, kind.describe(), &counts, &map, row.iters);
    p.bench_figure = Some(row.median);
    Ok(p)
}

/// `cargo xtask profile`; returns the exit code.
pub fn profile(opts: &ProfileOpts) -> Result<u8> {
    let report = deps::ensure(&[deps::Need::Qemu(Arch::X86_64)])?;
    if report.starts_with("installed") {
        eprintln!("xtask: {report}");
    }
    let art = build::all(Arch::X86_64, &[], Output::Show)?;
    println!("built {}", art.describe());
    println!(
        "profile: {} under TCG with -icount shift=0 and the plugin...",
        opts.bench
    );
    let p = run(&art, &opts.bench, opts.quick)?;
    print!("{}", report::table(&p, opts.top));
    let json = plugin::out_dir().join(format!("{}.json", opts.bench));
    std::fs::write(&json, report::json(&p)).with_context(|| paths::show(&json))?;
    println!("\nwrote {}", paths::show(&json));
    Ok(0)
}

/// The `profile-smoke` step of `cargo xtask test`: profiles `getpid` (C,
/// through the library OS) and `null-syscall` (native) with `--quick`.
/// Each must name symbols of the kernel (and getpid of the library OS),
/// every counted instruction's bytes must be its image file's, and its
/// instructions per operation must be within 2x of the row's own icount
/// figure from the same boot. No timing is judged.
pub fn smoke(art: &Artifacts) -> std::result::Result<String, (String, Vec<String>)> {
    let started = std::time::Instant::now();
    let mut detail = Vec::new();
    for (bench, want) in [
        ("getpid", &[Component::Kernel, Component::Libos][..]),
        ("null-syscall", &[Component::Kernel][..]),
    ] {
        let p = run(art, bench, true).map_err(|e| {
            let text = e.to_string();
            let mut lines = text.lines().map(String::from);
            let first = lines.next().unwrap_or_default();
            (format!("{bench}: {first}"), lines.collect())
        })?;
        let table: Vec<String> = report::table(&p, 5).lines().map(String::from).collect();
        for c in want {
            let named = p
                .symbols
                .iter()
                .any(|s| s.component == *c && !s.name.starts_with('('));
            if !named {
                return Err((format!("{bench}: no {c} symbol in the profile"), table));
            }
        }
        if let Some((image, n)) = p.mismatched.iter().next() {
            return Err((
                format!(
                    "{bench}: {n} executions at {image}'s addresses had other bytes than its file"
                ),
                table,
            ));
        }
        let per_op = p.per_op(p.total());
        let figure = p.bench_figure.unwrap_or(0.0);
        if !(figure / 2.0..=figure * 2.0).contains(&per_op) || figure <= 0.0 {
            return Err((
                format!(
                    "{bench}: {per_op:.1} instructions per operation counted, \
                     but the icount figure is {figure:.1} (want within 2x)"
                ),
                table,
            ));
        }
        let parts: Vec<String> = Component::ALL
            .iter()
            .filter(|c| p.component_per_op(**c) > 0.0)
            .map(|c| format!("{c} {:.0}", p.component_per_op(*c)))
            .collect();
        detail.push(format!(
            "{bench} {per_op:.0}/op (icount {figure:.0}): {}",
            parts.join(", ")
        ));
    }
    Ok(format!(
        "{:.2} s, icount; {}",
        started.elapsed().as_secs_f64(),
        detail.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_rows() {
        assert_eq!(Kind::of("getpid"), Some(Kind::C));
        assert_eq!(Kind::of("libos-getpid"), Some(Kind::C));
        assert_eq!(Kind::of("pipe"), Some(Kind::C));
        assert_eq!(Kind::of("yield-to"), Some(Kind::Native));
        assert_eq!(Kind::of("null-syscall"), Some(Kind::Native));
        assert_eq!(Kind::of("fork"), None, "a row's whole name");
        assert_eq!(c_rows("getpid"), ["getpid", "libos-getpid"]);
        assert_eq!(c_rows("libos-getpid"), ["libos-getpid"]);
        // Every C row runs first under its own filter, but libos-getpid.
        for (name, _) in cprog::BENCHMARKS {
            assert_eq!(c_rows(name)[0], *name);
        }
        // Native names select only themselves.
        for (name, _) in super::super::BENCHMARKS {
            let n = super::super::BENCHMARKS
                .iter()
                .filter(|(m, _)| m.contains(name))
                .count();
            assert_eq!(n, 1, "{name}");
        }
    }

    #[test]
    fn windows_of_the_c_program() {
        let w = windows(Kind::C, "pipe", 5, 1, 0x10, 0x20);
        assert_eq!(
            (w.first, w.period, w.span, w.count, w.total),
            (200, 2, 1, 5, 210)
        );
        // getpid: libos-getpid runs after it.
        let w = windows(Kind::C, "getpid", 25, 3, 0, 1);
        assert_eq!((w.first, w.count, w.total), (200, 25, 300));
        let w = windows(Kind::C, "libos-getpid", 5, 1, 0, 1);
        assert_eq!((w.first, w.total), (200, 210));
    }

    #[test]
    fn windows_of_the_native_program() {
        let w = windows(Kind::Native, "null-syscall", 10, 2, 0, 1);
        assert_eq!(
            (w.first, w.period, w.span, w.count, w.total),
            (24, 2, 1, 10, 44)
        );
        let w = windows(Kind::Native, "yield-to", 10, 2, 0, 1);
        // 24 overhead reads, 2 warm-up batches of 2 inner reads, then 10
        // batches of 4 reads (open, 2 inner, close).
        assert_eq!((w.first, w.period, w.span, w.total), (28, 4, 3, 68));
    }

    #[test]
    fn counts_are_checked() {
        let w = windows(Kind::C, "pipe", 5, 1, 0, 1);
        let mut c = plugin::Counts {
            markers: 210,
            windows: 5,
            open: false,
            insns: vec![],
        };
        assert!(check_counts(&c, &w).is_ok());
        c.markers = 212;
        assert!(check_counts(&c, &w).unwrap_err().contains("212 times"));
        c.markers = 210;
        c.open = true;
        assert!(check_counts(&c, &w).unwrap_err().contains("left open"));
    }

    #[test]
    fn link_bases_are_apart() {
        let mut bases: Vec<u64> = LINK_BASES.iter().map(|(_, b)| *b).collect();
        bases.push(0x40_0000); // the root task
        bases.sort_unstable();
        // 128 MiB apart at least: far more than any of these programs.
        assert!(bases.windows(2).all(|w| w[1] - w[0] >= 0x800_0000));
    }
}
