//! The normalised boot information every boot protocol parser produces:
//! [`BootInfo`] with its memory regions, modules and the physical extents of
//! the boot structures that were read.

use crate::fixed::FixedVec;
use crate::phys::{read_cstr, read_exact};
use crate::{BootError, PhysMem};

/// How many memory regions a [`BootInfo`] keeps; further ones are counted in
/// [`BootInfo::dropped_regions`].
pub const MAX_REGIONS: usize = 128;
/// How many modules a [`BootInfo`] keeps; further ones are counted in
/// [`BootInfo::dropped_modules`].
pub const MAX_MODULES: usize = 16;
/// How many boot-structure extents a [`BootInfo`] keeps; past that, extents
/// are merged into neighbours (covering more, never less).
pub const MAX_EXTENTS: usize = 32;

/// The boot protocol the kernel was started with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Xen/QEMU PVH direct boot (`hvm_start_info`).
    Pvh,
    /// Multiboot2 (GRUB `multiboot2`).
    Multiboot2,
    /// Multiboot 1 (GRUB `multiboot`, QEMU `-kernel`).
    Multiboot1,
}

impl Protocol {
    /// `"pvh"`, `"multiboot2"` or `"multiboot1"`.
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Pvh => "pvh",
            Protocol::Multiboot2 => "multiboot2",
            Protocol::Multiboot1 => "multiboot1",
        }
    }
}

/// What a range of physical memory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemKind {
    /// Free RAM the kernel may allocate (after removing its own image, the
    /// modules and [`BootInfo::structure_extents`]).
    Usable,
    /// Reserved by the firmware or hardware.
    Reserved,
    /// ACPI tables; usable once the kernel is done with ACPI.
    AcpiReclaimable,
    /// ACPI non-volatile storage; never usable.
    AcpiNvs,
    /// Defective RAM.
    Bad,
    /// A type this crate does not know (the raw value); treat as reserved.
    Unknown(u32),
}

impl MemKind {
    /// Maps the E820 type numbers that PVH, Multiboot 1 and Multiboot2 share
    /// (1 usable, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS, 5 bad).
    pub const fn from_e820(t: u32) -> Self {
        match t {
            1 => MemKind::Usable,
            2 => MemKind::Reserved,
            3 => MemKind::AcpiReclaimable,
            4 => MemKind::AcpiNvs,
            5 => MemKind::Bad,
            other => MemKind::Unknown(other),
        }
    }

    /// True only for [`MemKind::Usable`].
    pub const fn is_usable(self) -> bool {
        matches!(self, MemKind::Usable)
    }
}

/// One range of physical memory, `start..start + len` (never empty, never
/// wrapping past `u64::MAX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemRegion {
    /// First byte.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// What it is.
    pub kind: MemKind,
}

impl MemRegion {
    /// One past the last byte.
    pub const fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }
}

/// A module (initrd, init program, …) loaded by the boot loader at
/// `start..end` (end exclusive, `start <= end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Module<'a> {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// The module's string (its command line); `""` if none.
    pub cmdline: &'a str,
}

const NO_REGION: MemRegion = MemRegion {
    start: 0,
    len: 0,
    kind: MemKind::Reserved,
};

const NO_MODULE: Module<'static> = Module {
    start: 0,
    end: 0,
    cmdline: "",
};

/// Boot information, the same whichever protocol delivered it.
///
/// Strings borrow from the [`PhysMem`](crate::PhysMem) they were read from.
#[derive(Clone, Debug)]
pub struct BootInfo<'a> {
    /// The protocol that delivered it.
    pub protocol: Protocol,
    /// The kernel command line; `""` if none. Cut at the first invalid UTF-8.
    pub cmdline: &'a str,
    /// The boot loader's name (Multiboot2 tag 2, Multiboot 1 `boot_loader_name`).
    pub bootloader: Option<&'a str>,
    /// Physical address of an RSDP: PVH `rsdp_paddr`, or the RSDP copy inside
    /// the Multiboot2 ACPI tag (15 preferred over 14). Not yet validated: pass
    /// it to [`acpi::discover`](crate::acpi::discover).
    pub rsdp: Option<u64>,
    regions: FixedVec<MemRegion, MAX_REGIONS>,
    modules: FixedVec<Module<'a>, MAX_MODULES>,
    extents: FixedVec<(u64, u64), MAX_EXTENTS>,
}

impl<'a> BootInfo<'a> {
    pub(crate) const fn new(protocol: Protocol) -> Self {
        Self {
            protocol,
            cmdline: "",
            bootloader: None,
            rsdp: None,
            regions: FixedVec::new(NO_REGION),
            modules: FixedVec::new(NO_MODULE),
            extents: FixedVec::new((0, 0)),
        }
    }

    /// The memory map in the order the boot loader gave it (not sorted, not
    /// merged; regions may overlap if the firmware's map does).
    pub fn regions(&self) -> &[MemRegion] {
        self.regions.as_slice()
    }

    /// The boot modules in the order given.
    pub fn modules(&self) -> &[Module<'a>] {
        self.modules.as_slice()
    }

    /// Physical extents `(start, end)` (end exclusive) of every boot structure
    /// that was read: start_info/MBI, memory map array, module list, command
    /// line and module strings. Keep these frames out of the allocator until
    /// the `BootInfo` is no longer needed. Module contents are not included:
    /// use [`BootInfo::modules`] for those.
    pub fn structure_extents(&self) -> &[(u64, u64)] {
        self.extents.as_slice()
    }

    /// Memory-map entries that did not fit in [`MAX_REGIONS`].
    pub fn dropped_regions(&self) -> usize {
        self.regions.dropped()
    }

    /// Modules that did not fit in [`MAX_MODULES`].
    pub fn dropped_modules(&self) -> usize {
        self.modules.dropped()
    }

    /// Adds `start..start + len`, skipping empty or address-wrapping entries.
    pub(crate) fn push_region(&mut self, start: u64, len: u64, kind: MemKind) {
        if len == 0 || start.checked_add(len).is_none() {
            return;
        }
        self.regions.push(MemRegion { start, len, kind });
    }

    /// Adds a module, skipping one whose end is before its start.
    pub(crate) fn push_module(&mut self, start: u64, end: u64, cmdline: &'a str) {
        if end < start {
            return;
        }
        self.modules.push(Module {
            start,
            end,
            cmdline,
        });
    }

    /// The `len` bytes of the boot structure at `paddr`, recording its
    /// extent.
    pub(crate) fn read_struct<'m, M: PhysMem + ?Sized>(
        &mut self,
        mem: &'m M,
        paddr: u64,
        len: usize,
    ) -> Result<&'m [u8], BootError> {
        let bytes = read_exact(mem, paddr, len).ok_or(BootError::Unreadable { paddr })?;
        self.add_extent(paddr, len as u64);
        Ok(bytes)
    }

    /// The table of `count` entries of `entry_len` bytes at `paddr`,
    /// recording its extent; `what` names a count too large to address.
    pub(crate) fn read_table<'m, M: PhysMem + ?Sized>(
        &mut self,
        mem: &'m M,
        paddr: u64,
        count: u32,
        entry_len: usize,
        what: &'static str,
    ) -> Result<&'m [u8], BootError> {
        let len = usize::try_from(count)
            .ok()
            .and_then(|n| n.checked_mul(entry_len))
            .ok_or(BootError::Malformed { what })?;
        self.read_struct(mem, paddr, len)
    }

    /// The NUL-terminated string at `paddr` (empty for address 0),
    /// recording its extent.
    pub(crate) fn read_string<M: PhysMem + ?Sized>(&mut self, mem: &'a M, paddr: u64) -> &'a str {
        if paddr == 0 {
            return "";
        }
        let (s, footprint) = read_cstr(mem, paddr);
        self.add_extent(paddr, footprint);
        s
    }

    /// Records that `start..start + len` holds a boot structure. Overlapping
    /// or touching extents are merged; when full, the new extent is merged
    /// into the nearest one, so the union only ever grows.
    pub(crate) fn add_extent(&mut self, start: u64, len: u64) {
        if len == 0 {
            return;
        }
        let end = start.saturating_add(len);
        let touching = |e: &&mut (u64, u64)| e.0 <= end && start <= e.1;
        if let Some(e) = self.extents.as_mut_slice().iter_mut().find(touching) {
            *e = (e.0.min(start), e.1.max(end));
            return;
        }
        if !self.extents.is_full() {
            self.extents.push((start, end));
            return;
        }
        let gap = |e: &(u64, u64)| {
            if e.1 < start {
                start - e.1
            } else {
                e.0.saturating_sub(end)
            }
        };
        if let Some(e) = self
            .extents
            .as_mut_slice()
            .iter_mut()
            .min_by_key(|e| gap(e))
        {
            *e = (e.0.min(start), e.1.max(end));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Protocol::Pvh.name(), "pvh");
        assert_eq!(Protocol::Multiboot2.name(), "multiboot2");
        assert_eq!(Protocol::Multiboot1.name(), "multiboot1");
    }

    #[test]
    fn e820_kinds() {
        assert_eq!(MemKind::from_e820(1), MemKind::Usable);
        assert_eq!(MemKind::from_e820(2), MemKind::Reserved);
        assert_eq!(MemKind::from_e820(3), MemKind::AcpiReclaimable);
        assert_eq!(MemKind::from_e820(4), MemKind::AcpiNvs);
        assert_eq!(MemKind::from_e820(5), MemKind::Bad);
        assert_eq!(MemKind::from_e820(7), MemKind::Unknown(7));
        assert!(MemKind::Usable.is_usable());
        assert!(!MemKind::Unknown(1).is_usable());
    }

    #[test]
    fn bad_regions_and_modules_are_skipped() {
        let mut b = BootInfo::new(Protocol::Pvh);
        b.push_region(0x1000, 0, MemKind::Usable);
        b.push_region(u64::MAX, 2, MemKind::Usable);
        b.push_region(0x1000, 0x1000, MemKind::Usable);
        b.push_module(10, 5, "");
        b.push_module(5, 10, "m");
        assert_eq!(b.regions().len(), 1);
        assert_eq!(b.regions()[0].end(), 0x2000);
        assert_eq!(b.modules().len(), 1);
    }

    #[test]
    fn overflowing_regions_are_counted() {
        let mut b = BootInfo::new(Protocol::Multiboot1);
        for i in 0..(MAX_REGIONS as u64 + 3) {
            b.push_region(i * 0x1000, 0x1000, MemKind::Usable);
        }
        assert_eq!(b.regions().len(), MAX_REGIONS);
        assert_eq!(b.dropped_regions(), 3);
    }

    #[test]
    fn extents_merge_and_never_lose_coverage() {
        let mut b = BootInfo::new(Protocol::Multiboot2);
        b.add_extent(0x1000, 0x10);
        b.add_extent(0x1010, 0x10);
        b.add_extent(0x1008, 0);
        assert_eq!(b.structure_extents(), &[(0x1000, 0x1020)]);
        for i in 0..100u64 {
            b.add_extent(0x10_0000 + i * 0x100, 0x10);
        }
        assert_eq!(b.structure_extents().len(), MAX_EXTENTS);
        for i in 0..100u64 {
            let a = 0x10_0000 + i * 0x100;
            assert!(b
                .structure_extents()
                .iter()
                .any(|&(s, e)| s <= a && a + 0x10 <= e));
        }
        b.add_extent(u64::MAX - 1, 10);
        assert!(b.structure_extents().iter().any(|&(_, e)| e == u64::MAX));
    }
}
