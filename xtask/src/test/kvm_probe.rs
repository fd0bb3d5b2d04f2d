//! The KVM probe run before the QEMU tests: is KVM usable at all, and is
//! it faster than TCG on this machine? Its verdict goes into the run's
//! [`KvmCache`].

use std::time::Duration;

use crate::arch::Arch;
use crate::cli::Boot;
use crate::qemu::accel::{Accel, KvmCache, KVM_BANNER_TIMEOUT};
use crate::qemu::session::Outcome;
use crate::test::qemu_runner::{
    boot_once, finish, inputs, Case, CaseAccel, CaseResult, Prepared, Verdict,
};
use crate::test::qemu_tests::QemuTest;
use crate::test::report::secs;

/// KVM counts as slower than TCG when its banner comes this many times
/// later than TCG's, plus [`SLOW_SLACK`].
const SLOW_FACTOR: u32 = 3;
/// See [`SLOW_FACTOR`].
const SLOW_SLACK: Duration = Duration::from_secs(1);

/// True if KVM's time to banner is clearly worse than TCG's.
pub fn kvm_slower(kvm: Duration, tcg: Duration) -> bool {
    kvm > tcg * SLOW_FACTOR + SLOW_SLACK
}

/// What two probe boots (their times to the banner) say about KVM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// KVM works but is much slower than TCG (the reason).
    Slower(String),
    /// KVM works (banner after this long).
    Usable(Duration),
    /// KVM showed no banner but TCG did (the reason).
    Unusable(String),
    /// Neither showed a banner.
    Inconclusive,
}

impl Finding {
    /// Classifies the two boots' banner times.
    pub fn of(kvm: Option<Duration>, tcg: Option<Duration>) -> Finding {
        match (kvm, tcg) {
            (Some(k), Some(t)) if kvm_slower(k, t) => Finding::Slower(format!(
                "KVM reached the banner in {}, TCG in {}",
                secs(k),
                secs(t)
            )),
            (Some(k), _) => Finding::Usable(k),
            (None, Some(_)) => Finding::Unusable(format!(
                "a direct boot showed no banner within {} s under KVM but did under TCG",
                KVM_BANNER_TIMEOUT.as_secs()
            )),
            (None, None) => Finding::Inconclusive,
        }
    }

    /// The accelerator it recommends, and why (`None`: no verdict).
    pub fn verdict(&self) -> Option<(Accel, String)> {
        match self {
            Finding::Slower(why) => Some((Accel::Tcg, format!("KVM is slower here: {why}"))),
            Finding::Usable(k) => Some((
                Accel::Kvm,
                format!("KVM reached the banner in {}", secs(*k)),
            )),
            Finding::Unusable(why) => Some((Accel::Tcg, format!("KVM is unusable here: {why}"))),
            Finding::Inconclusive => None,
        }
    }
}

/// The boot the probe makes when no `boot-direct` case serves: the
/// smallest user-space test, which powers off by itself.
pub fn probe_test(arch: Arch) -> QemuTest {
    QemuTest {
        name: "kvm-probe",
        arches: arch.only(),
        cmdline: "shutdown utest=hello",
        ..crate::test::qemu_tests::X86_64
    }
}

/// The KVM probe, run before the other cases.
///
/// A direct boot runs under KVM (banner within [`KVM_BANNER_TIMEOUT`]) and
/// then under TCG. No banner under KVM but one under TCG marks KVM unusable
/// for the run; a KVM banner much later than TCG's makes the automatic
/// cases prefer TCG (nested KVM here spends ~10 s in the firmware, TCG
/// ~0.1 s). The selected `boot-direct-kvm`/`-tcg` cases serve as the two
/// boots when present: they are taken out of `cases` and their results
/// returned. Returns report lines and those results.
pub fn probe(
    cases: &mut Vec<Case>,
    prepared: &Prepared,
    kvm: &KvmCache,
) -> (String, Vec<CaseResult>) {
    if let Some(why) = kvm.unusable() {
        return (format!("kvm: not used ({why})"), Vec::new());
    }
    if cases
        .iter()
        .all(|c| c.accel == CaseAccel::Fixed(Accel::Tcg))
    {
        return ("kvm: not needed".into(), Vec::new());
    }
    let built = |c: &Case| matches!(prepared.artifacts.get(&c.test.arch()), Some(Ok(_)));
    let kvm_case = cases
        .iter()
        .position(|c| {
            c.accel == CaseAccel::Fixed(Accel::Kvm) && c.test.boot == Boot::Direct && built(c)
        })
        .map(|i| cases.remove(i));
    let tcg_case = kvm_case.as_ref().and_then(|k| {
        cases
            .iter()
            .position(|c| c.accel == CaseAccel::Fixed(Accel::Tcg) && std::ptr::eq(c.test, k.test))
            .map(|i| cases.remove(i))
    });
    let fallback_test;
    let (test, art) = match &kvm_case {
        Some(c) => (c.test, inputs(c, prepared).ok().map(|x| x.0)),
        None => {
            let art = Arch::ALL
                .iter()
                .find_map(|a| prepared.artifacts.get(a).and_then(|r| r.as_ref().ok()));
            fallback_test = probe_test(art.map_or(Arch::X86_64, |a| a.arch));
            (&fallback_test, art)
        }
    };
    let Some(art) = art else {
        return ("kvm: not probed (no kernel built)".into(), Vec::new());
    };

    let boot = |accel, banner| boot_once(test, art, None, accel, banner).map_err(|e| e.to_string());
    let on_kvm = boot(Accel::Kvm, Some(KVM_BANNER_TIMEOUT));
    let on_tcg = boot(Accel::Tcg, None);
    let banner = |o: &Result<Outcome, String>| o.as_ref().ok().and_then(|o| o.banner_after);

    let mut results = Vec::new();
    let mut report =
        |case: &Option<Case>, o: &Result<Outcome, String>, accel, skip: Option<&str>| {
            if let Some(c) = case {
                results.push(match (o, skip) {
                    (_, Some(why)) => {
                        CaseResult::early(c, Verdict::Skip(format!("KVM unusable: {why}")))
                    }
                    (Ok(o), None) => finish(c, o, accel, false),
                    (Err(e), None) => CaseResult::early(c, Verdict::Fail(e.clone())),
                });
            }
        };
    let finding = Finding::of(banner(&on_kvm), banner(&on_tcg));
    crate::qemu::accel_cache::store(&finding);
    let line = match &finding {
        Finding::Slower(why) => {
            let policy = if kvm.prefer_tcg(why.clone()) {
                "automatic tests use TCG"
            } else {
                "--kvm: automatic tests use KVM anyway"
            };
            report(&kvm_case, &on_kvm, Accel::Kvm, None);
            format!("kvm: usable but slower than TCG here ({why}); {policy}")
        }
        Finding::Usable(k) => {
            report(&kvm_case, &on_kvm, Accel::Kvm, None);
            format!("kvm: usable (banner after {})", secs(*k))
        }
        Finding::Unusable(why) => {
            kvm.mark_unusable(why.clone());
            report(&kvm_case, &on_kvm, Accel::Kvm, Some(why));
            format!("kvm: unusable ({why}); using TCG")
        }
        Finding::Inconclusive => {
            report(&kvm_case, &on_kvm, Accel::Kvm, None);
            "kvm: probe inconclusive (no banner under TCG either); trying KVM per test".into()
        }
    };
    report(&tcg_case, &on_tcg, Accel::Tcg, None);
    (line, results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_and_verdicts() {
        let ms = Duration::from_millis;
        let slow = Finding::of(Some(ms(10_300)), Some(ms(120)));
        assert!(matches!(slow, Finding::Slower(_)));
        assert_eq!(slow.verdict().unwrap().0, Accel::Tcg);
        assert_eq!(
            Finding::of(Some(ms(900)), Some(ms(120))),
            Finding::Usable(ms(900))
        );
        assert_eq!(
            Finding::of(Some(ms(900)), None).verdict().unwrap().0,
            Accel::Kvm
        );
        assert_eq!(
            Finding::of(None, Some(ms(120))).verdict().unwrap().0,
            Accel::Tcg
        );
        assert_eq!(Finding::of(None, None).verdict(), None);
    }

    #[test]
    fn slowness_threshold() {
        let ms = Duration::from_millis;
        assert!(kvm_slower(ms(10_300), ms(120)));
        assert!(!kvm_slower(ms(900), ms(120)), "within the slack");
        assert!(!kvm_slower(ms(2_000), ms(3_000)));
    }
}
