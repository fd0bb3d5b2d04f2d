//! Choosing QEMU's accelerator: KVM when `/dev/kvm` is usable and proven to
//! boot, TCG otherwise; and the per-run cache of what KVM has shown it can
//! boot (nested KVM here hangs on OVMF and on GRUB under SeaBIOS).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use crate::arch::Arch;
use crate::cli::Boot;

/// How long a KVM boot may take to print the banner before it is declared
/// hung and the boot is retried under TCG.
pub const KVM_BANNER_TIMEOUT: Duration = Duration::from_secs(15);

/// A QEMU accelerator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Accel {
    /// Hardware virtualisation.
    Kvm,
    /// Software emulation.
    Tcg,
}

impl Accel {
    /// `kvm` or `tcg`.
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }

    /// QEMU arguments selecting the accelerator and CPU model. Plain
    /// `-cpu host` aborts on this nested KVM, hence `-arch-capabilities`.
    pub fn qemu_args(self) -> [&'static str; 4] {
        match self {
            Accel::Kvm => ["-accel", "kvm", "-cpu", "host,-arch-capabilities"],
            Accel::Tcg => ["-accel", "tcg", "-cpu", "max"],
        }
    }
}

/// True if `/dev/kvm` can be opened read-write.
pub fn kvm_device_usable() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// What this run has learnt about KVM, shared by parallel QEMU tests.
#[derive(Debug)]
pub struct KvmCache {
    inner: Mutex<KvmState>,
}

#[derive(Debug)]
struct KvmState {
    /// Why KVM is unusable altogether, if it is.
    unusable: Option<String>,
    /// Why automatic tests should use TCG although KVM works, if so.
    prefer_tcg: Option<String>,
    /// Never prefer TCG for speed (`cargo xtask test --kvm`).
    keep_kvm: bool,
    /// Boot paths on which KVM hung before the banner.
    hung: HashSet<(Arch, Boot)>,
}

impl KvmCache {
    /// Starts from the `/dev/kvm` check.
    pub fn new() -> KvmCache {
        let unusable = (!kvm_device_usable()).then(|| "/dev/kvm is not usable".to_string());
        KvmCache::with_state(unusable)
    }

    /// A cache with a given starting verdict (tests, and `--tcg`).
    pub fn with_state(unusable: Option<String>) -> KvmCache {
        KvmCache {
            inner: Mutex::new(KvmState {
                unusable,
                prefer_tcg: None,
                keep_kvm: false,
                hung: HashSet::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, KvmState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why KVM cannot be used at all, or `None` if it may be.
    pub fn unusable(&self) -> Option<String> {
        self.state().unusable.clone()
    }

    /// Marks KVM unusable for the rest of the run.
    pub fn mark_unusable(&self, why: String) {
        self.state().unusable.get_or_insert(why);
    }

    /// Makes automatic choices prefer TCG (KVM works but is slower),
    /// unless [`KvmCache::keep_kvm`] was called. Returns whether it did.
    pub fn prefer_tcg(&self, why: String) -> bool {
        let mut s = self.state();
        if !s.keep_kvm {
            s.prefer_tcg.get_or_insert(why);
        }
        !s.keep_kvm
    }

    /// Keeps automatic choices on KVM even if it is slower than TCG.
    pub fn keep_kvm(&self) {
        self.state().keep_kvm = true;
    }

    /// Records that KVM hung before the banner on this boot path.
    pub fn mark_hung(&self, arch: Arch, boot: Boot) {
        self.state().hung.insert((arch, boot));
    }

    /// The accelerator to try first for an automatic test on this path.
    pub fn pick(&self, arch: Arch, boot: Boot) -> Accel {
        let s = self.state();
        if s.unusable.is_none() && s.prefer_tcg.is_none() && !s.hung.contains(&(arch, boot)) {
            Accel::Kvm
        } else {
            Accel::Tcg
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_remembers_hung_paths_and_unusable_kvm() {
        let c = KvmCache::with_state(None);
        assert_eq!(c.pick(Arch::X86_64, Boot::Uefi), Accel::Kvm);
        c.mark_hung(Arch::X86_64, Boot::Uefi);
        assert_eq!(c.pick(Arch::X86_64, Boot::Uefi), Accel::Tcg);
        assert_eq!(c.pick(Arch::X86_64, Boot::Direct), Accel::Kvm);
        c.mark_unusable("probe failed".into());
        c.mark_unusable("second reason is ignored".into());
        assert_eq!(c.pick(Arch::X86_64, Boot::Direct), Accel::Tcg);
        assert_eq!(c.unusable().as_deref(), Some("probe failed"));

        let c = KvmCache::with_state(None);
        assert!(c.prefer_tcg("slow".into()));
        assert_eq!(c.pick(Arch::I386, Boot::Direct), Accel::Tcg);
        assert_eq!(c.unusable(), None, "fixed-KVM cases still run");

        let c = KvmCache::with_state(None);
        c.keep_kvm();
        assert!(!c.prefer_tcg("slow".into()));
        assert_eq!(c.pick(Arch::I386, Boot::Direct), Accel::Kvm);
    }

    #[test]
    fn accel_args() {
        assert_eq!(Accel::Kvm.qemu_args()[3], "host,-arch-capabilities");
        assert_eq!(Accel::Tcg.qemu_args(), ["-accel", "tcg", "-cpu", "max"]);
    }
}
