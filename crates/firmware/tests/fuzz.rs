//! Property tests: arbitrary or half-valid bytes fed to every parser never
//! panic, and whatever comes back keeps the documented invariants.

mod common;

use common::*;
use firmware::acpi::{self, find_s5};
use firmware::{
    parse, parse_multiboot1, parse_multiboot2, parse_pvh, BootInfo, PhysMem, SliceMem, MAX_EXTENTS,
    MAX_MODULES, MAX_REGIONS, MULTIBOOT1_BOOT_MAGIC, MULTIBOOT2_BOOT_MAGIC, PVH_MAGIC,
};
use proptest::prelude::*;

const BASE: u64 = 0x10_0000;

fn check_invariants(info: &BootInfo<'_>) {
    assert!(info.regions().len() <= MAX_REGIONS);
    assert!(info.modules().len() <= MAX_MODULES);
    assert!(info.structure_extents().len() <= MAX_EXTENTS);
    for r in info.regions() {
        assert!(r.len > 0);
        assert!(r.start.checked_add(r.len).is_some());
    }
    for m in info.modules() {
        assert!(m.start <= m.end);
    }
    for &(s, e) in info.structure_extents() {
        assert!(s < e);
    }
}

fn run_all_boot_parsers(mem: &impl PhysMem, paddr: u64) {
    let results = [
        parse_pvh(mem, paddr),
        parse_multiboot2(mem, paddr),
        parse_multiboot1(mem, paddr),
    ];
    for info in results.iter().flatten() {
        check_invariants(info);
    }
    for magic in [PVH_MAGIC, MULTIBOOT1_BOOT_MAGIC, MULTIBOOT2_BOOT_MAGIC, 0] {
        let _ = parse(mem, magic, paddr);
    }
}

/// An address inside the buffer picked by `sel`, or occasionally a wild one.
fn pick(sel: u64, len: usize) -> u64 {
    if sel.is_multiple_of(7) {
        sel.rotate_left(29)
    } else {
        BASE + sel % (len as u64 + 8)
    }
}

/// A PhysMem that returns slices of the wrong length for some requests.
struct LyingMem(Vec<u8>);

impl PhysMem for LyingMem {
    fn read(&self, paddr: u64, len: usize) -> Option<&[u8]> {
        let off = (paddr % 97) as usize;
        let take = (len ^ (paddr as usize)) % (self.0.len() + 1);
        self.0
            .get(off.min(self.0.len())..)
            .map(|s| &s[..take.min(s.len())])
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_boot_parsers(data in proptest::collection::vec(any::<u8>(), 0..2048), off in 0u64..2100, wild in any::<u64>()) {
        let mem = SliceMem::new(BASE, &data);
        run_all_boot_parsers(&mem, BASE + off);
        run_all_boot_parsers(&mem, wild);
        run_all_boot_parsers(&LyingMem(data.clone()), wild);
    }

    #[test]
    fn pvh_with_magic_and_inner_pointers(
        mut data in proptest::collection::vec(any::<u8>(), 64..2048),
        version in 0u32..3,
        counts in (0u32..40, 0u32..200),
        sels in proptest::array::uniform3(any::<u64>()),
    ) {
        let len = data.len();
        data[0..4].copy_from_slice(&PVH_MAGIC.to_le_bytes());
        data[4..8].copy_from_slice(&version.to_le_bytes());
        data[12..16].copy_from_slice(&counts.0.to_le_bytes());
        data[16..24].copy_from_slice(&pick(sels[0], len).to_le_bytes());
        data[24..32].copy_from_slice(&pick(sels[1], len).to_le_bytes());
        data[40..48].copy_from_slice(&pick(sels[2], len).to_le_bytes());
        data[48..52].copy_from_slice(&counts.1.to_le_bytes());
        let mem = SliceMem::new(BASE, &data);
        if let Ok(info) = parse_pvh(&mem, BASE) {
            check_invariants(&info);
        }
    }

    #[test]
    fn multiboot1_with_inner_pointers(
        mut data in proptest::collection::vec(any::<u8>(), 120..2048),
        flags in any::<u32>(),
        counts in (0u32..40, 0u32..600),
        sels in proptest::array::uniform4(any::<u64>()),
    ) {
        let len = data.len();
        let put = |d: &mut Vec<u8>, off: usize, v: u32| d[off..off + 4].copy_from_slice(&v.to_le_bytes());
        put(&mut data, 0, flags);
        put(&mut data, 16, pick(sels[0], len) as u32);
        put(&mut data, 20, counts.0);
        put(&mut data, 24, pick(sels[1], len) as u32);
        put(&mut data, 44, counts.1);
        put(&mut data, 48, pick(sels[2], len) as u32);
        put(&mut data, 64, pick(sels[3], len) as u32);
        let mem = SliceMem::new(BASE, &data);
        if let Ok(info) = parse_multiboot1(&mem, BASE) {
            check_invariants(&info);
        }
    }

    #[test]
    fn multiboot2_random_tags(
        tags in proptest::collection::vec(
            (prop_oneof![Just(0u32), Just(1), Just(2), Just(3), Just(4), Just(6), Just(14), Just(15), any::<u32>()],
             proptest::collection::vec(any::<u8>(), 0..80),
             any::<Option<u32>>()),
            0..20),
        total_fudge in -16i64..16,
    ) {
        let mut mbi = vec![0u8; 8];
        for (typ, body, size_override) in &tags {
            le32(&mut mbi, *typ);
            le32(&mut mbi, size_override.map(|s| s % 128).unwrap_or(8 + body.len() as u32));
            mbi.extend_from_slice(body);
            while !mbi.len().is_multiple_of(8) {
                mbi.push(0);
            }
        }
        let total = (mbi.len() as i64 + total_fudge).max(0) as u32;
        mbi[0..4].copy_from_slice(&total.to_le_bytes());
        let mem = SliceMem::new(BASE, &mbi);
        if let Ok(info) = parse_multiboot2(&mem, BASE) {
            check_invariants(&info);
            if let Some(r) = info.rsdp {
                prop_assert!(r >= BASE && r < BASE + mbi.len() as u64);
            }
        }
    }

    #[test]
    fn random_bytes_acpi(data in proptest::collection::vec(any::<u8>(), 0..4096), off in 0u64..4100, wild in any::<u64>()) {
        let mem = SliceMem::new(BASE, &data);
        let _ = acpi::discover(&mem, Some(BASE + off));
        let _ = acpi::discover(&mem, Some(wild));
        let _ = acpi::find_rsdp(&mem, Some(BASE + off));
        let _ = acpi::find_rsdp(&LyingMem(data.clone()), None);
        let _ = acpi::discover(&LyingMem(data.clone()), Some(wild));
    }

    #[test]
    fn acpi_valid_checksums_hostile_contents(
        tables in proptest::collection::vec(
            (prop_oneof![Just(*b"APIC"), Just(*b"FACP"), Just(*b"SSDT"), Just(*b"DSDT"), any::<[u8; 4]>()],
             proptest::collection::vec(any::<u8>(), 0..300),
             any::<Option<u32>>()),
            0..8),
        xsdt_root in any::<bool>(),
        rev2 in any::<bool>(),
        dsdt_sel in any::<u64>(),
    ) {
        let mut l = Layout::new(BASE);
        let mut addrs = Vec::new();
        let first = l.next();
        for (sig, body, len_override) in &tables {
            let mut body = body.clone();
            if sig == b"FACP" && body.len() >= 112 {
                // Point DSDT/X_DSDT somewhere in the image.
                let target = first + dsdt_sel % 4096;
                body[4..8].copy_from_slice(&(target as u32).to_le_bytes());
                body[104..112].copy_from_slice(&target.to_le_bytes());
            }
            let mut t = sdt(sig, 2, &body);
            if let Some(n) = len_override {
                let n = n % (t.len() as u32 + 64);
                t[4..8].copy_from_slice(&n.to_le_bytes());
                let covered = (n as usize).clamp(10, t.len());
                fix_checksum(&mut t[..covered], 9);
            }
            addrs.push(l.add(&t));
        }
        addrs.push(0xFFFF_FFFF_0000);
        let (rsdt_addr, xsdt_addr) = if xsdt_root {
            (0, l.add(&xsdt(&addrs)))
        } else {
            (l.add(&rsdt(&addrs)), 0)
        };
        let r = l.add(&rsdp(rsdt_addr as u32, rev2.then_some(xsdt_addr)));
        let mut mem = FakeMem::new();
        mem.put(l.base, &l.bytes);
        if let Ok(info) = acpi::discover(&mem, Some(r)) {
            prop_assert!(info.tables().len() <= acpi::MAX_TABLES);
            prop_assert!(info.table_count + info.bad_tables <= addrs.len() + 1);
            if let Some(m) = &info.madt {
                prop_assert!(m.cpus().len() <= acpi::MAX_CPUS);
                prop_assert!(m.ioapics().len() <= acpi::MAX_IOAPICS);
                prop_assert!(m.overrides().len() <= acpi::MAX_OVERRIDES);
            }
        }
    }

    #[test]
    fn random_aml_never_panics(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = find_s5(&data);
    }

    #[test]
    fn s5_prefix_then_random(pre in proptest::collection::vec(any::<u8>(), 0..16), rooted in any::<bool>(), tail in proptest::collection::vec(any::<u8>(), 0..24)) {
        let mut aml = pre;
        aml.push(0x08);
        if rooted {
            aml.push(b'\\');
        }
        aml.extend_from_slice(b"_S5_\x12");
        aml.extend_from_slice(&tail);
        let _ = find_s5(&aml);
    }

    #[test]
    fn s5_roundtrip(a in any::<u8>(), b in any::<u8>(), pad in 0usize..200) {
        // Encode with BytePrefix and a PkgLength of the right width for the padding.
        let mut contents = vec![0x02, 0x0A, a, 0x0A, b];
        contents.resize(contents.len() + pad, 0xA3);
        let inner = contents.len();
        let mut aml = vec![0x08, b'_', b'S', b'5', b'_', 0x12];
        if inner < 0x3F {
            aml.push((inner + 1) as u8);
        } else {
            let total = inner + 2;
            aml.push(0x40 | (total & 0x0F) as u8);
            aml.push((total >> 4) as u8);
        }
        aml.extend_from_slice(&contents);
        let got = find_s5(&aml).unwrap();
        prop_assert_eq!((got.slp_typ_a, got.slp_typ_b), (u16::from(a), u16::from(b)));
    }
}
