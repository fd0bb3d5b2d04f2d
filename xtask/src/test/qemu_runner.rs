//! Running the QEMU test table: expanding accelerator policies into cases,
//! one case (with KVM-to-TCG fallback), judging its serial output and
//! status, and running cases in parallel.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use crate::arch::Arch;
use crate::build::Artifacts;
use crate::cli::Boot;
use crate::error::{Context, Result};
use crate::qemu::accel::{Accel, KvmCache, KVM_BANNER_TIMEOUT};
use crate::qemu::session::{self, Ended, Input, Outcome, Watch};
use crate::qemu::{Exit, Machine};
use crate::test::qemu_tests::{missing, present, AccelPolicy, QemuTest};
use crate::test::report::secs;

/// Whole-test timeout under KVM (nested KVM here takes ~10 s to the banner).
pub const KVM_TIMEOUT: Duration = Duration::from_secs(45);
/// Whole-test timeout under TCG (ISO boots on SeaBIOS/OVMF are slow).
pub const TCG_TIMEOUT: Duration = Duration::from_secs(60);
/// Serial lines shown after a failure.
pub const TAIL_LINES: usize = 25;

/// The accelerator choice of one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseAccel {
    /// KVM if known to work on this path, with fallback; else TCG.
    Auto,
    /// Exactly this accelerator.
    Fixed(Accel),
}

/// One run of a table entry.
#[derive(Clone, Debug)]
pub struct Case {
    /// Printed name (`boot-direct-kvm` for a `Both` entry).
    pub name: String,
    /// The table entry.
    pub test: &'static QemuTest,
    /// Accelerator choice.
    pub accel: CaseAccel,
}

/// Expands the table entries into cases.
pub fn expand(tests: &'static [QemuTest]) -> Vec<Case> {
    let mut cases = Vec::new();
    for test in tests.iter().flat_map(on_each_arch) {
        let mut push = |name: String, accel| cases.push(Case { name, test, accel });
        match test.accel {
            AccelPolicy::Auto => push(test.name.to_string(), CaseAccel::Auto),
            AccelPolicy::Tcg => push(test.name.to_string(), CaseAccel::Fixed(Accel::Tcg)),
            AccelPolicy::Both => {
                push(format!("{}-kvm", test.name), CaseAccel::Fixed(Accel::Kvm));
                push(format!("{}-tcg", test.name), CaseAccel::Fixed(Accel::Tcg));
            }
        }
    }
    cases
}

/// The cases of a table entry, one per architecture it names (an entry
/// for one architecture is its own case).
fn on_each_arch(test: &'static QemuTest) -> Vec<&'static QemuTest> {
    if test.arches.len() == 1 {
        return vec![test];
    }
    test.arches
        .iter()
        .map(|a| &*Box::leak(Box::new(test.on(*a))))
        .collect()
}

/// Built artifacts per architecture and ISOs per command line; a failure to
/// make one is kept as a message and reported by the cases needing it.
#[derive(Default)]
pub struct Prepared {
    /// Kernel + initrd per architecture.
    pub artifacts: HashMap<Arch, Result<Artifacts, String>>,
    /// ISO per command line.
    pub isos: HashMap<&'static str, Result<PathBuf, String>>,
}

/// How a case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It passed.
    Pass,
    /// It failed, with the reason.
    Fail(String),
    /// It could not run here, with the reason.
    Skip(String),
}

/// The result of a case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// The table entry.
    pub test: &'static QemuTest,
    /// Verdict.
    pub verdict: Verdict,
    /// Accelerator of the final attempt.
    pub accel: Option<Accel>,
    /// True if KVM hung and the case was rerun under TCG.
    pub fell_back: bool,
    /// Wall time of the final attempt.
    pub elapsed: Duration,
    /// QEMU start to banner (final attempt).
    pub banner_after: Option<Duration>,
    /// The kernel's own boot time figure.
    pub kernel_us: Option<u64>,
    /// Last serial lines (and QEMU's stderr) for a failure report.
    pub tail: Vec<String>,
}

impl CaseResult {
    pub(crate) fn early(case: &Case, verdict: Verdict) -> CaseResult {
        CaseResult {
            name: case.name.clone(),
            test: case.test,
            verdict,
            accel: None,
            fell_back: false,
            elapsed: Duration::ZERO,
            banner_after: None,
            kernel_us: None,
            tail: Vec::new(),
        }
    }

    /// The parenthesised detail of a PASS line: `1.23 s, kvm`.
    pub fn detail(&self) -> String {
        let accel = self.accel.map_or("-", Accel::name);
        let fallback = if self.fell_back {
            " after kvm hung before the banner"
        } else {
            ""
        };
        format!("{}, {accel}{fallback}", secs(self.elapsed))
    }
}

pub(crate) fn boot_once(
    test: &QemuTest,
    art: &Artifacts,
    iso: Option<&PathBuf>,
    accel: Accel,
    banner_timeout: Option<Duration>,
) -> Result<Outcome> {
    let padded = match test.add_zeros {
        Some((guest, bytes)) => Some(initrd_with_zeros(art, guest, bytes)?),
        None => None,
    };
    let m = Machine {
        arch: test.arch(),
        boot: test.boot,
        accel,
        smp: 1,
        mem: test.mem,
        kernel: &art.kernel,
        initrd: padded.as_ref().unwrap_or(&art.initrd),
        iso: iso.map(PathBuf::as_path),
        cmdline: test.cmdline,
        gdb: false,
        console: crate::qemu::Console::Plain,
    };
    let input = test
        .input
        .iter()
        .map(|(after, send)| (after.to_string(), send.to_string()))
        .collect();
    let watch = Watch {
        echo: false,
        input: Input::Script(input),
        timeout: Some(match accel {
            Accel::Kvm => KVM_TIMEOUT,
            Accel::Tcg => TCG_TIMEOUT,
        }),
        banner_timeout,
        capture_stderr: true,
    };
    session::run(m.command()?, &watch)
}

/// The artifacts' initrd without the C test programs, plus a file of
/// `bytes` zero bytes at `guest` (for tests of big ramdisks, whose memory
/// budget should not shrink as the C suite grows); made once, rebuilt
/// when it changed.
fn initrd_with_zeros(art: &Artifacts, guest: &str, bytes: u64) -> Result<PathBuf> {
    let dir = crate::paths::out_dir(art.arch);
    let zeros = dir.join(format!("zeros-{bytes}.bin"));
    if std::fs::metadata(&zeros).map(|m| m.len()).ok() != Some(bytes) {
        let f = std::fs::File::create(&zeros)
            .with_context(|| format!("creating {}", zeros.display()))?;
        f.set_len(bytes)
            .with_context(|| format!("sizing {}", zeros.display()))?;
    }
    let mut adds = art.programs.clone();
    adds.retain(|a| !a.guest.starts_with(crate::test::ctests::GUEST_DIR));
    adds.push(crate::cli::AddSpec {
        host: zeros,
        guest: guest.into(),
    });
    let out = dir.join(format!("initrd-zeros-{bytes}.cpio"));
    crate::build::initrd::write(art.arch, &adds, &out)?;
    Ok(out)
}

/// True if a KVM attempt looks like KVM's fault rather than the kernel's:
/// no banner, and no failure status reported by the guest.
fn kvm_suspect(o: &Outcome) -> bool {
    o.banner_after.is_none() && !matches!(o.exit, Exit::Guest(s) if !s.is_ok())
}

/// Judges an outcome against the test's expectations.
pub fn judge(test: &QemuTest, o: &Outcome, accel: Accel) -> Verdict {
    let mut problems = Vec::new();
    match o.ended {
        Ended::Exited => {}
        Ended::Deadlock if test.deadlock => {}
        Ended::Deadlock => problems.push("the kernel reported a deadlock".into()),
        Ended::TimedOut => problems.push(format!(
            "timed out after {} s",
            o.elapsed.as_secs_f64().round()
        )),
        Ended::NoBanner => problems.push(format!(
            "no banner within {} s under {}",
            KVM_BANNER_TIMEOUT.as_secs(),
            accel.name()
        )),
    }
    if test.deadlock && o.ended != Ended::Deadlock {
        problems.push("no deadlock was reported".into());
    }
    if o.ended == Ended::Exited {
        match o.exit {
            Exit::Guest(s) if s.satisfies(test.status) => {}
            Exit::Guest(s) => problems.push(format!(
                "{}, expected {}",
                s.describe(),
                test.status.describe()
            )),
            other => problems.push(other.describe()),
        }
    }
    let absent = missing(&o.lines, test.expect);
    if !absent.is_empty() {
        let quoted: Vec<String> = absent.iter().map(|p| format!("{p:?}")).collect();
        problems.push(format!("missing {}", quoted.join(", ")));
    }
    let unwanted = present(&o.lines, test.reject);
    if !unwanted.is_empty() {
        let quoted: Vec<String> = unwanted.iter().map(|p| format!("{p:?}")).collect();
        problems.push(format!("printed {}", quoted.join(", ")));
    }
    if problems.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(problems.join("; "))
    }
}

fn tail_of(o: &Outcome) -> Vec<String> {
    let start = o.lines.len().saturating_sub(TAIL_LINES);
    let mut tail: Vec<String> = o.lines[start..].to_vec();
    tail.extend(o.stderr.lines().map(|l| format!("[qemu stderr] {l}")));
    tail
}

/// The artifacts and ISO a case boots, or the verdict if they are missing.
pub(crate) fn inputs<'p>(
    case: &Case,
    prepared: &'p Prepared,
) -> Result<(&'p Artifacts, Option<&'p PathBuf>), Verdict> {
    let test = case.test;
    let art = match prepared.artifacts.get(&test.arch()) {
        Some(Ok(art)) => art,
        Some(Err(_)) => {
            return Err(Verdict::Fail(format!(
                "the {} kernel did not build",
                test.arch()
            )))
        }
        None => return Err(Verdict::Fail("internal error: not built".into())),
    };
    let iso = match test.boot {
        Boot::Direct => None,
        Boot::Iso | Boot::Uefi => match prepared.isos.get(test.cmdline) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => return Err(Verdict::Fail(format!("no ISO: {e}"))),
            None => return Err(Verdict::Fail("internal error: no ISO".into())),
        },
    };
    Ok((art, iso))
}

pub(crate) fn finish(case: &Case, outcome: &Outcome, accel: Accel, fell_back: bool) -> CaseResult {
    let verdict = judge(case.test, outcome, accel);
    CaseResult {
        name: case.name.clone(),
        test: case.test,
        tail: if verdict == Verdict::Pass {
            Vec::new()
        } else {
            tail_of(outcome)
        },
        verdict,
        accel: Some(accel),
        fell_back,
        elapsed: outcome.elapsed,
        banner_after: outcome.banner_after,
        kernel_us: session::kernel_boot_us(&outcome.lines),
    }
}

/// Runs one case.
pub fn run_case(case: &Case, prepared: &Prepared, kvm: &KvmCache) -> CaseResult {
    let test = case.test;
    let (art, iso) = match inputs(case, prepared) {
        Ok(x) => x,
        Err(v) => return CaseResult::early(case, v),
    };
    let mut accel = match case.accel {
        CaseAccel::Fixed(Accel::Kvm) => match kvm.unusable() {
            Some(why) => {
                return CaseResult::early(case, Verdict::Skip(format!("KVM unusable: {why}")))
            }
            None => Accel::Kvm,
        },
        CaseAccel::Fixed(Accel::Tcg) => Accel::Tcg,
        CaseAccel::Auto => kvm.pick(test.arch(), test.boot),
    };
    let mut fell_back = false;
    loop {
        // Only an automatic case on KVM watches for the banner: it has
        // somewhere to fall back to.
        let auto_kvm = case.accel == CaseAccel::Auto && accel == Accel::Kvm;
        let banner_timeout = auto_kvm.then_some(KVM_BANNER_TIMEOUT);
        let o = match boot_once(test, art, iso, accel, banner_timeout) {
            Ok(o) => o,
            Err(e) => return CaseResult::early(case, Verdict::Fail(e.to_string())),
        };
        if auto_kvm && kvm_suspect(&o) {
            kvm.mark_hung(test.arch(), test.boot);
            accel = Accel::Tcg;
            fell_back = true;
            continue;
        }
        return finish(case, &o, accel, fell_back);
    }
}

/// Runs `cases` on `jobs` worker threads, calling `on_done` (on this
/// thread) as each finishes. Returns the results in completion order.
pub fn run_all(
    cases: Vec<Case>,
    prepared: &Prepared,
    kvm: &KvmCache,
    jobs: usize,
    mut on_done: impl FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let total = cases.len();
    let queue = Mutex::new(cases.into_iter().collect::<VecDeque<Case>>());
    let (tx, rx) = mpsc::channel();
    let mut results = Vec::with_capacity(total);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, total.max(1)) {
            let tx = tx.clone();
            let queue = &queue;
            s.spawn(move || loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                let Some(case) = next else { break };
                if tx.send(run_case(&case, prepared, kvm)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for r in rx {
            on_done(&r);
            results.push(r);
        }
    });
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qemu::status::{Kernel, Status};
    use crate::test::qemu_tests::{TESTS, X86_64};

    fn outcome(lines: &[&str], exit: Exit, ended: Ended) -> Outcome {
        Outcome {
            lines: lines.iter().map(|s| s.to_string()).collect(),
            exit,
            ended,
            banner_after: None,
            stderr: String::new(),
            elapsed: Duration::from_secs(1),
        }
    }

    #[test]
    fn both_expands_to_kvm_and_tcg() {
        let cases = expand(TESTS);
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(&names[..2], ["boot-direct-kvm", "boot-direct-tcg"]);
        assert_eq!(cases[0].accel, CaseAccel::Fixed(Accel::Kvm));
        assert_eq!(cases[1].accel, CaseAccel::Fixed(Accel::Tcg));
        assert!(names.contains(&"serial") && names.contains(&"i386-frames"));
    }

    #[test]
    fn judging() {
        static T: QemuTest = QemuTest {
            name: "t",
            expect: &["PANIC:", "backtrace:"],
            reject: &[],
            status: Status::Kernel(Kernel::Panic),
            ..X86_64
        };
        let ok = outcome(
            &["PANIC: boom", "backtrace:"],
            Exit::Guest(Status::Kernel(Kernel::Panic)),
            Ended::Exited,
        );
        assert_eq!(judge(&T, &ok, Accel::Tcg), Verdict::Pass);

        let wrong = outcome(
            &["PANIC: boom"],
            Exit::Guest(Status::Program(2)),
            Ended::Exited,
        );
        let Verdict::Fail(why) = judge(&T, &wrong, Accel::Tcg) else {
            panic!()
        };
        assert!(
            why.contains("program exit status 2, expected kernel status: kernel panic"),
            "{why}"
        );
        assert!(why.contains("missing \"backtrace:\""), "{why}");

        let faulted = outcome(
            &["PANIC: boom", "backtrace:", "FAULT: #GP"],
            Exit::Guest(Status::Kernel(Kernel::Panic)),
            Ended::Exited,
        );
        let with_reject = QemuTest {
            reject: &["FAULT:"],
            ..T
        };
        let Verdict::Fail(why) = judge(&with_reject, &faulted, Accel::Tcg) else {
            panic!()
        };
        assert!(why.contains("printed \"FAULT:\""), "{why}");

        let hung = outcome(&[], Exit::Signal, Ended::TimedOut);
        let Verdict::Fail(why) = judge(&T, &hung, Accel::Tcg) else {
            panic!()
        };
        assert!(why.starts_with("timed out"), "{why}");

        let qemu = outcome(&[], Exit::QemuError(2), Ended::Exited);
        let Verdict::Fail(why) = judge(&T, &qemu, Accel::Tcg) else {
            panic!()
        };
        assert!(why.contains("QEMU error (exit code 2)"), "{why}");
    }

    #[test]
    fn kvm_suspicion() {
        let mut o = outcome(&[], Exit::Signal, Ended::NoBanner);
        assert!(kvm_suspect(&o));
        o.exit = Exit::Guest(Status::Kernel(Kernel::Fault));
        assert!(!kvm_suspect(&o), "a guest-reported fault is the kernel's");
        o.exit = Exit::Guest(Status::Ok);
        o.banner_after = Some(Duration::from_millis(5));
        assert!(!kvm_suspect(&o));
    }
}
