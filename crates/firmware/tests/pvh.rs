//! PVH `hvm_start_info` parsing: versions 0 and 1, modules, memory map,
//! strings, extents and failure modes.

mod common;

use common::*;
use firmware::{parse, parse_pvh, BootError, MemKind, MemRegion, Protocol, PVH_MAGIC};

const SI: u64 = 0x6000;
const CMDLINE: u64 = 0x7000;
const MEMMAP: u64 = 0x8000;
const MODLIST: u64 = 0x9000;
const MODSTR: u64 = 0xA000;

fn start_info(
    version: u32,
    nr_modules: u32,
    modlist: u64,
    cmdline: u64,
    rsdp: u64,
    memmap: u64,
    entries: u32,
) -> Vec<u8> {
    let mut v = Vec::new();
    le32(&mut v, PVH_MAGIC);
    le32(&mut v, version);
    le32(&mut v, 0);
    le32(&mut v, nr_modules);
    le64(&mut v, modlist);
    le64(&mut v, cmdline);
    le64(&mut v, rsdp);
    if version >= 1 {
        le64(&mut v, memmap);
        le32(&mut v, entries);
        le32(&mut v, 0);
    }
    v
}

fn memmap(entries: &[(u64, u64, u32)]) -> Vec<u8> {
    let mut v = Vec::new();
    for &(a, s, t) in entries {
        le64(&mut v, a);
        le64(&mut v, s);
        le32(&mut v, t);
        le32(&mut v, 0);
    }
    v
}

fn modlist(entries: &[(u64, u64, u64)]) -> Vec<u8> {
    let mut v = Vec::new();
    for &(p, s, c) in entries {
        le64(&mut v, p);
        le64(&mut v, s);
        le64(&mut v, c);
        le64(&mut v, 0);
    }
    v
}

const QEMU_MAP: [(u64, u64, u32); 4] = [
    (0, 0x9_FC00, 1),
    (0x9_FC00, 0x400, 2),
    (0x10_0000, 0x7EE_0000, 1),
    (0xFEFF_C000, 0x4000, 2),
];

#[test]
fn version1_full() {
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(1, 2, MODLIST, CMDLINE, 0xF_5A40, MEMMAP, 4))
        .put(CMDLINE, &cstr("console=ttyS0 init=/bin/sh"))
        .put(MEMMAP, &memmap(&QEMU_MAP))
        .put(
            MODLIST,
            &modlist(&[(0x20_0000, 0x1234, MODSTR), (0x30_0000, 0x10, 0)]),
        )
        .put(MODSTR, &cstr("initrd"));
    let info = parse_pvh(&mem, SI).unwrap();
    assert_eq!(info.protocol, Protocol::Pvh);
    assert_eq!(info.protocol.name(), "pvh");
    assert_eq!(info.cmdline, "console=ttyS0 init=/bin/sh");
    assert_eq!(info.bootloader, None);
    assert_eq!(info.rsdp, Some(0xF_5A40));
    assert_eq!(info.regions().len(), 4);
    assert_eq!(
        info.regions()[2],
        MemRegion {
            start: 0x10_0000,
            len: 0x7EE_0000,
            kind: MemKind::Usable
        }
    );
    assert_eq!(info.regions()[1].kind, MemKind::Reserved);
    assert_eq!(info.modules().len(), 2);
    assert_eq!(info.modules()[0].start, 0x20_0000);
    assert_eq!(info.modules()[0].end, 0x20_1234);
    assert_eq!(info.modules()[0].cmdline, "initrd");
    assert_eq!(info.modules()[1].cmdline, "");
    let ext = info.structure_extents();
    assert!(ext.contains(&(SI, SI + 56)));
    assert!(ext.contains(&(CMDLINE, CMDLINE + 27)));
    assert!(ext.contains(&(MEMMAP, MEMMAP + 96)));
    assert!(ext.contains(&(MODLIST, MODLIST + 64)));
    assert!(ext.contains(&(MODSTR, MODSTR + 7)));
    // Dispatch by magic gives the same result.
    assert_eq!(parse(&mem, PVH_MAGIC, SI).unwrap().cmdline, info.cmdline);
}

#[test]
fn version0_has_no_regions_but_keeps_rsdp() {
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(0, 0, 0, CMDLINE, 0xE_0010, 0, 0))
        .put(CMDLINE, &cstr("quiet"));
    let info = parse_pvh(&mem, SI).unwrap();
    assert!(info.regions().is_empty());
    assert_eq!(info.cmdline, "quiet");
    assert_eq!(info.rsdp, Some(0xE_0010));
    assert_eq!(info.structure_extents()[0], (SI, SI + 40));
}

#[test]
fn future_versions_read_as_version1() {
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(7, 0, 0, 0, 0, MEMMAP, 1))
        .put(MEMMAP, &memmap(&[(0x10_0000, 0x1000, 3)]));
    let info = parse_pvh(&mem, SI).unwrap();
    assert_eq!(info.regions()[0].kind, MemKind::AcpiReclaimable);
    assert_eq!(info.cmdline, "");
    assert_eq!(info.rsdp, None);
}

#[test]
fn memmap_types() {
    let mut mem = FakeMem::new();
    let map = [
        (0x1000, 1, 1),
        (0x2000, 1, 2),
        (0x3000, 1, 3),
        (0x4000, 1, 4),
        (0x5000, 1, 5),
        (0x6000, 1, 7),
    ];
    mem.put(SI, &start_info(1, 0, 0, 0, 0, MEMMAP, 6))
        .put(MEMMAP, &memmap(&map));
    let kinds: Vec<MemKind> = parse_pvh(&mem, SI)
        .unwrap()
        .regions()
        .iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            MemKind::Usable,
            MemKind::Reserved,
            MemKind::AcpiReclaimable,
            MemKind::AcpiNvs,
            MemKind::Bad,
            MemKind::Unknown(7)
        ]
    );
}

#[test]
fn bad_magic_and_unreadable() {
    let mut mem = FakeMem::new();
    let mut si = start_info(1, 0, 0, 0, 0, 0, 0);
    si[0] ^= 1;
    mem.put(SI, &si);
    assert_eq!(parse_pvh(&mem, SI).unwrap_err(), BootError::BadMagic);
    assert_eq!(
        parse_pvh(&mem, 0x1234_0000).unwrap_err(),
        BootError::Unreadable { paddr: 0x1234_0000 }
    );
    assert_eq!(
        parse(&mem, 0xDEAD_BEEF, SI).unwrap_err(),
        BootError::BadMagic
    );
}

#[test]
fn truncated_start_info() {
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(1, 0, 0, 0, 0, 0, 0)[..48]);
    assert_eq!(parse_pvh(&mem, SI).unwrap_err(), BootError::Truncated);
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(0, 0, 0, 0, 0, 0, 0)[..39]);
    assert_eq!(parse_pvh(&mem, SI).unwrap_err(), BootError::Truncated);
}

#[test]
fn unreadable_arrays_are_errors() {
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(1, 0, 0, 0, 0, MEMMAP, 4))
        .put(MEMMAP, &memmap(&QEMU_MAP[..3]));
    assert_eq!(
        parse_pvh(&mem, SI).unwrap_err(),
        BootError::Unreadable { paddr: MEMMAP }
    );

    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(1, u32::MAX, MODLIST, 0, 0, 0, 0));
    assert!(matches!(
        parse_pvh(&mem, SI).unwrap_err(),
        BootError::Unreadable { .. } | BootError::Malformed { .. }
    ));
}

#[test]
fn hostile_entries_are_skipped() {
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(1, 2, MODLIST, 0, 0, MEMMAP, 3))
        .put(
            MEMMAP,
            &memmap(&[(u64::MAX - 10, 100, 1), (0x1000, 0, 1), (0x2000, 0x1000, 1)]),
        )
        .put(MODLIST, &modlist(&[(u64::MAX, 2, 0), (0x5000, 0, 0)]));
    let info = parse_pvh(&mem, SI).unwrap();
    assert_eq!(info.regions().len(), 1);
    assert_eq!(info.modules().len(), 1);
    assert_eq!(
        (info.modules()[0].start, info.modules()[0].end),
        (0x5000, 0x5000)
    );
}

#[test]
fn strings_cut_at_memory_end_and_bad_utf8() {
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(0, 1, MODLIST, CMDLINE, 0, 0, 0))
        .put(CMDLINE, b"no terminator here")
        .put(MODLIST, &modlist(&[(0x20_0000, 0x100, MODSTR)]))
        .put(MODSTR, b"init\xff\xfe=1\0");
    let info = parse_pvh(&mem, SI).unwrap();
    assert_eq!(info.cmdline, "no terminator here");
    assert_eq!(info.modules()[0].cmdline, "init");
    // The extent covers the bytes actually read, including the NUL.
    assert!(info.structure_extents().contains(&(CMDLINE, CMDLINE + 18)));
    assert!(info.structure_extents().contains(&(MODSTR, MODSTR + 9)));
}

#[test]
fn unreadable_cmdline_is_empty() {
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(0, 0, 0, 0xDEAD_0000, 0, 0, 0));
    assert_eq!(parse_pvh(&mem, SI).unwrap().cmdline, "");
}

#[test]
fn too_many_modules_are_counted() {
    let mods: Vec<(u64, u64, u64)> = (0..20)
        .map(|i| (0x100_0000 + i * 0x1000, 0x1000, 0))
        .collect();
    let mut mem = FakeMem::new();
    mem.put(SI, &start_info(1, 20, MODLIST, 0, 0, 0, 0))
        .put(MODLIST, &modlist(&mods));
    let info = parse_pvh(&mem, SI).unwrap();
    assert_eq!(info.modules().len(), firmware::MAX_MODULES);
    assert_eq!(info.dropped_modules(), 4);
}

#[test]
fn error_messages() {
    assert!(BootError::BadMagic.to_string().contains("magic"));
    assert!(BootError::Truncated.to_string().contains("truncated"));
    assert!(BootError::Unreadable { paddr: 0x9000 }
        .to_string()
        .contains("0x9000"));
    assert!(BootError::Malformed {
        what: "x too large"
    }
    .to_string()
    .contains("x too large"));
}
