//! `cargo xtask test`: host packages, host unit tests, lints, kernel
//! builds, the KVM probe and every QEMU test, the benchmark smoke test
//! (`bench-smoke`: `cargo xtask bench --quick` on TCG), the profiler's
//! (`profile-smoke`: `cargo xtask profile --quick` of two rows), busybox's own test
//! suite on the host and in ExoV6 (`busybox-suite`), then the boot-time
//! summary and the closing `N passed, N failed` line.

pub mod busybox_suite;
pub mod ctests;
pub mod ctests_guest;
pub mod fuzz;
pub mod host_checks;
pub mod kvm_probe;
pub mod libos_tests;
pub mod linux_abi_doc;
pub mod qemu_runner;
pub mod qemu_tests;
pub mod report;
pub mod screen;
pub mod session_shell;
pub mod session_tests;
pub mod typist;

use std::collections::BTreeSet;
use std::time::Instant;

use crate::arch::Arch;
use crate::build::{self, Output};
use crate::cli::{Boot, TestOpts};
use crate::error::Result;
use crate::qemu::accel::{Accel, KvmCache};
use crate::{build::deps, build::image};
use qemu_runner::{Prepared, Verdict};
use qemu_tests::TESTS;
use report::{boot_table, secs, BootRow, Tally};

/// Name of the benchmark smoke-test step.
pub const BENCH_SMOKE: &str = "bench-smoke";

/// Name of the profiler's smoke-test step.
pub const PROFILE_SMOKE: &str = "profile-smoke";

/// `cargo xtask test`; returns the process exit code.
pub fn test(opts: &TestOpts) -> Result<u8> {
    let started = Instant::now();
    let selected = |name: &str| opts.filter.as_deref().is_none_or(|f| name.contains(f));
    let cases: Vec<_> = qemu_runner::expand(TESTS)
        .into_iter()
        .chain(qemu_runner::expand(libos_tests::TESTS))
        .chain(qemu_runner::expand(fuzz::TESTS))
        .filter(|c| selected(&c.name))
        .collect();
    // The C test suite in ExoV6 (`linux-ctest-*`), made after the host runs.
    let ctest_guests = ctests_guest::any_selected(selected);
    let smoke = selected(BENCH_SMOKE);
    let profile = selected(PROFILE_SMOKE);
    let sessions = session_tests::selected(selected);
    let bbsuite = busybox_suite::selected(selected);
    let arches: BTreeSet<Arch> = Arch::ALL
        .into_iter()
        .filter(|a| {
            selected(&format!("build-{a}"))
                || cases.iter().any(|c| c.test.arch() == *a)
                || ((smoke || profile || ctest_guests || !sessions.is_empty() || bbsuite)
                    && *a == Arch::X86_64)
        })
        .collect();
    let lints: Vec<_> = host_checks::LINTS
        .iter()
        .filter(|l| selected(l.name))
        .collect();
    let host = selected("host");
    let ctests = ctests::any_selected(selected);
    if cases.is_empty()
        && arches.is_empty()
        && lints.is_empty()
        && !host
        && !smoke
        && !profile
        && !ctests
        && !ctest_guests
        && sessions.is_empty()
        && !bbsuite
    {
        println!(
            "no step matches --filter {:?}",
            opts.filter.as_deref().unwrap_or("")
        );
        println!("{}", Tally::default().closing_line());
        return Ok(1);
    }

    let mut tally = Tally::default();

    // (a) Host packages.
    if (!cases.is_empty()
        || smoke
        || profile
        || ctests
        || ctest_guests
        || !sessions.is_empty()
        || bbsuite)
        && !opts.no_deps
    {
        match deps::ensure(deps::ALL) {
            Ok(report) => println!("deps: {report}"),
            Err(e) => {
                eprintln!("xtask: {e}");
                return Ok(1);
            }
        }
    }

    // (b) Host unit tests, (c) lints.
    if host {
        host_checks::run_host_tests(&mut tally);
    }
    for lint in lints {
        host_checks::run_lint(lint, &mut tally);
    }

    // (c2) The C test suite (and rust-std) built and run on the host.
    if ctests {
        ctests::run_step(selected, &mut tally);
    }
    let mut cases = cases;
    if ctest_guests {
        // Each program in ExoV6, against its host run (`host_output`
        // reuses the runs just made).
        cases.extend(qemu_runner::expand(ctests_guest::cases(selected)));
    }

    // (d) Kernel builds, ISOs, QEMU tests.
    let mut prepared = Prepared::default();
    for arch in arches {
        let name = format!("build-{arch}");
        let result = build::all(arch, &[], Output::Capture);
        match &result {
            Ok(art) => tally.pass(&name, &format!("{}; {}", secs(art.elapsed), art.describe())),
            Err(e) => {
                let text = e.to_string();
                let mut lines = text.lines();
                let first = lines.next().unwrap_or_default().to_string();
                tally.fail(&name, &first, &lines.collect::<Vec<_>>());
            }
        }
        prepared
            .artifacts
            .insert(arch, result.map_err(|e| e.to_string()));
    }
    for case in &cases {
        if case.test.boot == Boot::Direct || prepared.isos.contains_key(case.test.cmdline) {
            continue;
        }
        let iso = match prepared.artifacts.get(&case.test.arch()) {
            Some(Ok(art)) => image::iso(art, case.test.cmdline).map_err(|e| e.to_string()),
            _ => Err("kernel not built".to_string()),
        };
        prepared.isos.insert(case.test.cmdline, iso);
    }

    if !cases.is_empty() {
        let kvm = match opts.accel {
            Some(Accel::Tcg) => KvmCache::with_state(Some("--tcg given".into())),
            Some(Accel::Kvm) => {
                let kvm = KvmCache::new();
                kvm.keep_kvm();
                kvm
            }
            None => KvmCache::new(),
        };
        let mut cases = cases;
        let (line, probe_results) = kvm_probe::probe(&mut cases, &prepared, &kvm);
        println!("{line}");
        let mut rows = Vec::new();
        let mut record = |r: &qemu_runner::CaseResult| {
            match &r.verdict {
                Verdict::Pass => tally.pass(&r.name, &r.detail()),
                Verdict::Fail(why) => tally.fail(&r.name, why, &r.tail),
                Verdict::Skip(why) => tally.skip(&r.name, why),
            }
            if r.test.name.starts_with("boot-") && r.accel.is_some() {
                rows.push(BootRow {
                    name: r.name.clone(),
                    accel: r.accel.map_or("-", |a| a.name()),
                    wall: r.banner_after,
                    kernel_us: r.kernel_us,
                });
            }
        };
        for r in &probe_results {
            record(r);
        }
        qemu_runner::run_all(cases, &prepared, &kvm, opts.jobs, record);
        if !rows.is_empty() {
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            println!();
            for line in boot_table(&rows) {
                println!("{line}");
            }
        }
    }

    // (d2) The session tests: ExoV6 on a pseudo-terminal, used as a
    // person uses `cargo xtask run`.
    if !sessions.is_empty() {
        run_sessions(&sessions, &prepared, opts, &mut tally);
    }

    // (e) The benchmarks run and produce numbers (no timing is judged).
    if smoke {
        match prepared.artifacts.get(&Arch::X86_64) {
            Some(Ok(art)) => match crate::bench::smoke(art) {
                Ok(detail) => tally.pass(BENCH_SMOKE, &detail),
                Err((why, tail)) => tally.fail(BENCH_SMOKE, &why, &tail),
            },
            _ => tally.fail(BENCH_SMOKE, "the x86_64 build failed", &[] as &[&str]),
        }
    }

    // (e2) The profiler builds its plugin and profiles two short rows.
    if profile {
        match prepared.artifacts.get(&Arch::X86_64) {
            Some(Ok(art)) => match crate::bench::profile::smoke(art) {
                Ok(detail) => tally.pass(PROFILE_SMOKE, &detail),
                Err((why, tail)) => tally.fail(PROFILE_SMOKE, &why, &tail),
            },
            _ => tally.fail(PROFILE_SMOKE, "the x86_64 build failed", &[] as &[&str]),
        }
    }

    // (f) busybox's own test suite on the host and in ExoV6.
    if bbsuite {
        let art = prepared
            .artifacts
            .get(&Arch::X86_64)
            .and_then(|a| a.as_ref().ok());
        busybox_suite::run_step(art, opts, &mut tally);
    }

    println!();
    println!("total time {}", secs(started.elapsed()));
    println!("{}", tally.closing_line());
    Ok(if tally.failed > 0 { 1 } else { 0 })
}

/// Runs the session tests (in parallel when `--jobs` allows) under the
/// accelerator `cargo xtask run` would use, and records them.
fn run_sessions(
    tests: &[&'static session_tests::SessionTest],
    prepared: &Prepared,
    opts: &TestOpts,
    tally: &mut Tally,
) {
    let art = match prepared.artifacts.get(&Arch::X86_64) {
        Some(Ok(art)) => art,
        _ => {
            for t in tests {
                tally.fail(t.name, "the x86_64 build failed", &[] as &[&str]);
            }
            return;
        }
    };
    let choice = match crate::qemu::accel_cache::choose(opts.accel, art) {
        Ok(c) => c,
        Err(e) => {
            for t in tests {
                tally.fail(t.name, &e.to_string(), &[] as &[&str]);
            }
            return;
        }
    };
    println!(
        "session tests: accelerator {} ({})",
        choice.accel.name(),
        choice.why
    );
    let outcomes: Vec<_> = if opts.jobs >= 2 {
        std::thread::scope(|s| {
            let handles: Vec<_> = tests
                .iter()
                .map(|t| s.spawn(|| session_tests::run(t, art, &choice)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a session test thread panicked"))
                .collect()
        })
    } else {
        tests
            .iter()
            .map(|t| session_tests::run(t, art, &choice))
            .collect()
    };
    for (t, o) in tests.iter().zip(outcomes) {
        match o.verdict {
            Ok(note) => {
                let sep = if note.is_empty() { "" } else { "; " };
                tally.pass(
                    t.name,
                    &format!("{}, {}{sep}{note}", secs(o.elapsed), o.accel.name()),
                );
            }
            Err(why) => tally.fail(t.name, &why, &o.tail),
        }
    }
}
