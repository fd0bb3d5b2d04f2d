//! End-to-end ACPI discovery over synthetic table images: RSDP → XSDT/RSDT →
//! MADT/FADT → DSDT `\_S5_`, plus RSDP scanning and checksum failures.

mod common;

use common::*;
use firmware::acpi::{self, AcpiError, IoApic, IrqOverride, LocalApic, SleepType};

const QEMU_S5: [u8; 12] = [
    0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
];
const ROOTED_S5: [u8; 15] = [
    0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00,
];

fn sample_madt() -> Vec<u8> {
    madt(
        0xFEE0_0000,
        1,
        &[
            madt_lapic(0, 0, 1),
            madt_lapic(1, 1, 1),
            madt_lapic(2, 2, 0),
            madt_ioapic(0, 0xFEC0_0000, 0),
            madt_override(0, 2, 0),
            madt_override(9, 9, 0x000D),
            madt_x2apic(300, 1, 3),
            vec![4, 6, 0xFF, 0x05, 0x00, 0x01], // local APIC NMI: skipped
        ],
    )
}

/// A revision-2 ACPI image at 0x7FE0000 with an XSDT (and an RSDT with the
/// same entries); returns (memory, RSDP address).
fn image(rsdp_rev2: bool, extra: &[Vec<u8>]) -> (FakeMem, u64) {
    let mut l = Layout::new(0x07FE_0000);
    let dsdt = l.add(&dsdt_with_s5(&ROOTED_S5));
    let facp = l.add(&fadt(&FadtSpec {
        dsdt: 0xDEAD_0000, // ignored: X_DSDT wins
        x_dsdt: dsdt,
        ..FadtSpec::default()
    }));
    let apic = l.add(&sample_madt());
    let mut entries = vec![facp, apic];
    for t in extra {
        entries.push(l.add(t));
    }
    let rsdt_addr = l.add(&rsdt(&entries));
    let xsdt_addr = l.add(&xsdt(&entries));
    let rsdp_addr = l.add(&rsdp(rsdt_addr as u32, rsdp_rev2.then_some(xsdt_addr)));
    let mut mem = FakeMem::new();
    mem.put(l.base, &l.bytes);
    (mem, rsdp_addr)
}

#[test]
fn discover_end_to_end_via_xsdt() {
    let hpet = sdt(b"HPET", 1, &[0u8; 20]);
    let (mem, rsdp_addr) = image(true, &[hpet]);
    let info = acpi::discover(&mem, Some(rsdp_addr)).unwrap();
    assert_eq!(info.rsdp_addr, rsdp_addr);
    assert_eq!(info.revision, 2);
    assert_eq!(&info.oem, b"EXOOEM");
    assert!(info.used_xsdt);
    assert_eq!(info.table_count, 3);
    assert_eq!(info.bad_tables, 0);
    assert_eq!(info.tables().len(), 3);
    assert_eq!(info.find_table(b"HPET").unwrap().len, 56);

    let madt = info.madt.as_ref().unwrap();
    assert_eq!(madt.local_apic_addr, 0xFEE0_0000);
    assert!(madt.has_8259);
    assert_eq!(
        madt.ioapics(),
        &[IoApic {
            id: 0,
            addr: 0xFEC0_0000,
            gsi_base: 0
        }]
    );
    assert_eq!(
        madt.overrides(),
        &[
            IrqOverride {
                source_irq: 0,
                gsi: 2,
                active_low: false,
                level_triggered: false
            },
            IrqOverride {
                source_irq: 9,
                gsi: 9,
                active_low: false,
                level_triggered: true
            },
        ]
    );
    assert_eq!(
        madt.cpus(),
        &[
            LocalApic {
                uid: 0,
                apic_id: 0,
                enabled: true
            },
            LocalApic {
                uid: 1,
                apic_id: 1,
                enabled: true
            },
            LocalApic {
                uid: 2,
                apic_id: 2,
                enabled: false
            },
            LocalApic {
                uid: 3,
                apic_id: 300,
                enabled: true
            },
        ]
    );
    assert_eq!(madt.isa_irq(0).gsi, 2);
    assert_eq!(madt.dropped_entries(), 0);

    let fadt = info.fadt.unwrap();
    assert_eq!(fadt.sci_irq, 9);
    assert_eq!(fadt.smi_cmd, 0xB2);
    assert_eq!(fadt.acpi_enable, 0xF1);
    assert_eq!(fadt.pm1a_cnt, 0x604);
    assert_eq!(fadt.pm1b_cnt, 0);
    assert_eq!(fadt.pm_tmr_blk, 0x608);
    assert_eq!(fadt.dsdt, 0x07FE_0000);
    assert_eq!(fadt.century, 0x32);
    assert_eq!(fadt.iapc_boot_arch, 2);
    let (reset, value) = fadt.reset.unwrap();
    assert_eq!(
        (reset.space, reset.bit_width, reset.address, value),
        (1, 8, 0xCF9, 6)
    );

    assert_eq!(
        info.s5,
        Some(SleepType {
            slp_typ_a: 5,
            slp_typ_b: 5
        })
    );
}

#[test]
fn discover_via_rsdt_for_revision_0() {
    let (mem, rsdp_addr) = image(false, &[]);
    let info = acpi::discover(&mem, Some(rsdp_addr)).unwrap();
    assert_eq!(info.revision, 0);
    assert!(!info.used_xsdt);
    assert_eq!(info.table_count, 2);
    assert!(info.madt.is_some() && info.fadt.is_some() && info.s5.is_some());
}

#[test]
fn madt_lapic_address_override_applies() {
    let mut l = Layout::new(0x10_0000);
    let apic = l.add(&madt(
        0xFEE0_0000,
        0,
        &[madt_lapic_addr_override(0x1_2345_6000)],
    ));
    let root = l.add(&rsdt(&[apic]));
    let r = l.add(&rsdp(root as u32, None));
    let mut mem = FakeMem::new();
    mem.put(l.base, &l.bytes);
    let info = acpi::discover(&mem, Some(r)).unwrap();
    let madt = info.madt.unwrap();
    assert_eq!(madt.local_apic_addr, 0x1_2345_6000);
    assert!(!madt.has_8259);
    assert!(info.fadt.is_none() && info.s5.is_none());
}

#[test]
fn fadt_falls_back_to_32_bit_dsdt() {
    let mut l = Layout::new(0x20_0000);
    let dsdt = l.add(&dsdt_with_s5(&QEMU_S5));
    let facp = l.add(&fadt(&FadtSpec {
        dsdt: dsdt as u32,
        len: 116, // ACPI 1.0 FADT: no reset register, no X_ fields
        boot_arch: 0,
        ..FadtSpec::default()
    }));
    let root = l.add(&rsdt(&[facp]));
    let r = l.add(&rsdp(root as u32, None));
    let mut mem = FakeMem::new();
    mem.put(l.base, &l.bytes);
    let info = acpi::discover(&mem, Some(r)).unwrap();
    let fadt = info.fadt.unwrap();
    assert_eq!(fadt.dsdt, dsdt);
    assert_eq!(fadt.reset, None);
    assert_eq!(fadt.century, 0x32);
    assert_eq!(
        info.s5,
        Some(SleepType {
            slp_typ_a: 0,
            slp_typ_b: 0
        })
    );
}

#[test]
fn bad_table_checksum_is_skipped_and_counted() {
    let mut bad = sdt(b"HPET", 1, &[0u8; 20]);
    bad[9] = bad[9].wrapping_add(1);
    let (mem, rsdp_addr) = image(true, &[bad]);
    let info = acpi::discover(&mem, Some(rsdp_addr)).unwrap();
    assert_eq!(info.table_count, 2);
    assert_eq!(info.bad_tables, 1);
    assert!(info.find_table(b"HPET").is_none());
}

#[test]
fn unreadable_table_and_hostile_length_are_skipped() {
    let mut l = Layout::new(0x30_0000);
    let mut huge = sdt(b"SSDT", 1, &[]);
    huge[4..8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let huge_addr = l.add(&huge);
    let short_len = l.add(&{
        let mut t = sdt(b"SSDT", 1, &[]);
        t[4..8].copy_from_slice(&10u32.to_le_bytes());
        t
    });
    let root = l.add(&xsdt(&[0xFFFF_FFFF_FFFF_F000, huge_addr, short_len, 0]));
    let r = l.add(&rsdp(0, Some(root)));
    let mut mem = FakeMem::new();
    mem.put(l.base, &l.bytes);
    let info = acpi::discover(&mem, Some(r)).unwrap();
    assert_eq!(info.bad_tables, 4);
    assert_eq!(info.table_count, 0);
}

#[test]
fn bad_dsdt_checksum_gives_no_s5() {
    let mut l = Layout::new(0x40_0000);
    let mut d = dsdt_with_s5(&QEMU_S5);
    d[9] ^= 0xFF;
    let dsdt = l.add(&d);
    let facp = l.add(&fadt(&FadtSpec {
        x_dsdt: dsdt,
        ..FadtSpec::default()
    }));
    let root = l.add(&rsdt(&[facp]));
    let r = l.add(&rsdp(root as u32, None));
    let mut mem = FakeMem::new();
    mem.put(l.base, &l.bytes);
    let info = acpi::discover(&mem, Some(r)).unwrap();
    assert_eq!(info.s5, None);
    assert_eq!(info.bad_tables, 1);
}

#[test]
fn s5_from_ssdt_when_dsdt_lacks_it() {
    let mut l = Layout::new(0x48_0000);
    let dsdt = l.add(&sdt(
        b"DSDT",
        1,
        &[0x10, 0x05, b'\\', b'_', b'S', b'B', b'_'],
    ));
    let ssdt = l.add(&sdt(b"SSDT", 1, &ROOTED_S5));
    let facp = l.add(&fadt(&FadtSpec {
        x_dsdt: dsdt,
        ..FadtSpec::default()
    }));
    let root = l.add(&rsdt(&[facp, ssdt]));
    let r = l.add(&rsdp(root as u32, None));
    let mut mem = FakeMem::new();
    mem.put(l.base, &l.bytes);
    let info = acpi::discover(&mem, Some(r)).unwrap();
    assert_eq!(info.s5.map(|s| s.slp_typ_a), Some(5));
}

#[test]
fn rsdp_errors() {
    let (mut mem, rsdp_addr) = image(true, &[]);
    // Extended checksum broken.
    mem.patch(rsdp_addr + 32, &[0x55]);
    assert_eq!(
        acpi::discover(&mem, Some(rsdp_addr)).unwrap_err(),
        AcpiError::BadChecksum {
            what: "RSDP (extended)"
        }
    );
    // Legacy checksum broken.
    mem.patch(rsdp_addr + 8, &[0x55]);
    assert_eq!(
        acpi::discover(&mem, Some(rsdp_addr)).unwrap_err(),
        AcpiError::BadChecksum { what: "RSDP" }
    );
    // Signature broken.
    mem.patch(rsdp_addr, b"RSD PTX ");
    assert_eq!(
        acpi::discover(&mem, Some(rsdp_addr)).unwrap_err(),
        AcpiError::BadSignature { what: "RSDP" }
    );
    assert_eq!(
        acpi::discover(&mem, Some(0x1234)).unwrap_err(),
        AcpiError::Unreadable { paddr: 0x1234 }
    );
}

#[test]
fn bad_xsdt_falls_back_to_rsdt() {
    let (mut mem, rsdp_addr) = image(true, &[]);
    let xsdt_addr = u64::from_le_bytes(mem.read_at(rsdp_addr + 24));
    mem.patch(xsdt_addr + 9, &[0x42]);
    let info = acpi::discover(&mem, Some(rsdp_addr)).unwrap();
    assert!(!info.used_xsdt);
    assert_eq!(info.table_count, 2);
}

#[test]
fn bad_root_table_is_an_error() {
    let mut l = Layout::new(0x50_0000);
    let mut root = rsdt(&[]);
    root[0..4].copy_from_slice(b"XXXX");
    fix_checksum(&mut root, 9);
    let root_addr = l.add(&root);
    let r = l.add(&rsdp(root_addr as u32, None));
    let r0 = l.add(&rsdp(0, None));
    let mut mem = FakeMem::new();
    mem.put(l.base, &l.bytes);
    assert_eq!(
        acpi::discover(&mem, Some(r)).unwrap_err(),
        AcpiError::BadSignature { what: "RSDT" }
    );
    assert_eq!(
        acpi::discover(&mem, Some(r0)).unwrap_err(),
        AcpiError::NoRootTable
    );
}

/// Low memory (0..0x100000) with a BDA EBDA segment word at 0x40E.
fn low_memory(ebda_segment: u16) -> Vec<u8> {
    let mut low = vec![0u8; 0x10_0000];
    low[0x40E..0x410].copy_from_slice(&ebda_segment.to_le_bytes());
    low
}

#[test]
fn find_rsdp_in_bios_area() {
    let mut low = low_memory(0x9FC0);
    // A decoy with the right signature but a bad checksum comes first.
    let mut decoy = rsdp(0x1000, None);
    decoy[8] ^= 1;
    low[0xE_0000..0xE_0000 + 20].copy_from_slice(&decoy);
    let good = rsdp(0x1000, Some(0x2000));
    low[0xF_6A10..0xF_6A10 + 36].copy_from_slice(&good);
    let mut mem = FakeMem::new();
    mem.put(0, &low);
    assert_eq!(acpi::find_rsdp(&mem, None), Some(0xF_6A10));
    // Unaligned copies are not found.
    let mut low = low_memory(0);
    low[0xF_6A18..0xF_6A18 + 36].copy_from_slice(&good);
    let mut mem = FakeMem::new();
    mem.put(0, &low);
    assert_eq!(acpi::find_rsdp(&mem, None), None);
    assert_eq!(acpi::discover(&mem, None).unwrap_err(), AcpiError::NoRsdp);
}

#[test]
fn find_rsdp_in_ebda_first() {
    let mut low = low_memory(0x9FC0);
    let ebda = 0x9_FC00usize;
    low[ebda + 0x40..ebda + 0x40 + 20].copy_from_slice(&rsdp(0x1000, None));
    low[0xF_0000..0xF_0000 + 20].copy_from_slice(&rsdp(0x2000, None));
    let mut mem = FakeMem::new();
    mem.put(0, &low);
    assert_eq!(acpi::find_rsdp(&mem, None), Some(0x9_FC40));
    // A hint overrides the BDA word; the EBDA beyond its first KiB is not scanned.
    assert_eq!(acpi::find_rsdp(&mem, Some(0x9_F800)), Some(0xF_0000));
}

#[test]
fn find_rsdp_survives_unreadable_low_memory() {
    let mem = FakeMem::new();
    assert_eq!(acpi::find_rsdp(&mem, None), None);
    assert_eq!(acpi::find_rsdp(&mem, Some(u64::MAX - 8)), None);
}

#[test]
fn discover_scans_when_no_address_given() {
    let mut low = low_memory(0);
    let mut l = Layout::new(0x8_0000);
    let apic = l.add(&sample_madt());
    let root = l.add(&rsdt(&[apic]));
    low[0x8_0000..0x8_0000 + l.bytes.len()].copy_from_slice(&l.bytes);
    low[0xE_1230..0xE_1230 + 20].copy_from_slice(&rsdp(root as u32, None));
    let mut mem = FakeMem::new();
    mem.put(0, &low);
    let info = acpi::discover(&mem, None).unwrap();
    assert_eq!(info.rsdp_addr, 0xE_1230);
    assert_eq!(info.madt.unwrap().cpus().len(), 4);
}

#[test]
fn madt_capacity_overflow_is_counted() {
    let entries: Vec<Vec<u8>> = (0..70u8).map(|i| madt_lapic(i, i, 1)).collect();
    let mut l = Layout::new(0x60_0000);
    let apic = l.add(&madt(0xFEE0_0000, 0, &entries));
    let root = l.add(&rsdt(&[apic]));
    let r = l.add(&rsdp(root as u32, None));
    let mut mem = FakeMem::new();
    mem.put(l.base, &l.bytes);
    let madt = acpi::discover(&mem, Some(r)).unwrap().madt.unwrap();
    assert_eq!(madt.cpus().len(), acpi::MAX_CPUS);
    assert_eq!(madt.dropped_entries(), 6);
}

#[test]
fn error_messages() {
    let all = [
        AcpiError::NoRsdp,
        AcpiError::BadSignature { what: "RSDP" },
        AcpiError::BadChecksum { what: "XSDT" },
        AcpiError::BadLength { what: "table" },
        AcpiError::Unreadable { paddr: 0xE0000 },
        AcpiError::NoRootTable,
    ];
    for e in all {
        let msg = e.to_string();
        assert!(msg.starts_with("ACPI: "), "{msg}");
    }
    assert!(AcpiError::Unreadable { paddr: 0xE0000 }
        .to_string()
        .contains("0xe0000"));
    assert!(AcpiError::BadChecksum { what: "XSDT" }
        .to_string()
        .contains("XSDT has a bad checksum"));
}
