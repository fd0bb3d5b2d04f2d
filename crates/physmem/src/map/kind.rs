//! [`RegionKind`]: what a stretch of physical memory is used for, and which
//! kind wins where boot-time descriptions overlap.

use core::fmt;

/// What a region of physical memory holds.
///
/// Where descriptions overlap, the kind with the higher
/// [`precedence`](RegionKind::precedence) wins. The order is "how
/// permanently the memory is lost to the allocator": `Usable` loses to
/// everything, then the kinds the kernel may hand back later
/// (`AcpiReclaimable`, `BootInfo`, `BootModule`, `Kernel`), then the kinds it
/// never can (`Reserved`, `AcpiNvs`), and `Bad` beats all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// Free RAM.
    Usable,
    /// ACPI tables; RAM again once the kernel has read them.
    AcpiReclaimable,
    /// Structures the boot loader handed over (its info block, memory map).
    BootInfo,
    /// Modules the boot loader loaded (initrd, init program).
    BootModule,
    /// The kernel image.
    Kernel,
    /// Firmware or device memory; never to be touched.
    Reserved,
    /// ACPI non-volatile storage; must be preserved across sleep.
    AcpiNvs,
    /// RAM that failed; never to be used.
    Bad,
}

impl RegionKind {
    /// Every kind, in increasing precedence.
    pub const ALL: [Self; 8] = [
        Self::Usable,
        Self::AcpiReclaimable,
        Self::BootInfo,
        Self::BootModule,
        Self::Kernel,
        Self::Reserved,
        Self::AcpiNvs,
        Self::Bad,
    ];

    /// How strongly this kind claims memory where descriptions overlap:
    /// `Usable` is 0, `Bad` is the highest.
    pub const fn precedence(self) -> u8 {
        match self {
            Self::Usable => 0,
            Self::AcpiReclaimable => 1,
            Self::BootInfo => 2,
            Self::BootModule => 3,
            Self::Kernel => 4,
            Self::Reserved => 5,
            Self::AcpiNvs => 6,
            Self::Bad => 7,
        }
    }

    /// The more restrictive of `self` and `other`.
    pub const fn stronger(self, other: Self) -> Self {
        if other.precedence() > self.precedence() {
            other
        } else {
            self
        }
    }

    /// True for [`RegionKind::Usable`].
    pub const fn is_usable(self) -> bool {
        matches!(self, Self::Usable)
    }

    /// A short lowercase name for logs, e.g. `acpi-reclaimable`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Usable => "usable",
            Self::AcpiReclaimable => "acpi-reclaimable",
            Self::BootInfo => "boot-info",
            Self::BootModule => "boot-module",
            Self::Kernel => "kernel",
            Self::Reserved => "reserved",
            Self::AcpiNvs => "acpi-nvs",
            Self::Bad => "bad",
        }
    }
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_strictly_increasing_precedence() {
        for pair in RegionKind::ALL.windows(2) {
            assert!(pair[0].precedence() < pair[1].precedence());
        }
        assert_eq!(RegionKind::ALL[0], RegionKind::Usable);
        assert_eq!(RegionKind::ALL[7], RegionKind::Bad);
    }

    #[test]
    fn usable_loses_to_everything_and_bad_beats_all() {
        for kind in RegionKind::ALL {
            assert_eq!(RegionKind::Usable.stronger(kind), kind);
            assert_eq!(kind.stronger(RegionKind::Usable), kind);
            assert_eq!(RegionKind::Bad.stronger(kind), RegionKind::Bad);
            assert_eq!(kind.stronger(RegionKind::Bad), RegionKind::Bad);
        }
    }

    #[test]
    fn names_are_distinct() {
        for a in RegionKind::ALL {
            for b in RegionKind::ALL {
                assert_eq!(a == b, a.name() == b.name());
            }
        }
    }
}
