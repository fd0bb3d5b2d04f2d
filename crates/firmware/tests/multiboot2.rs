//! Multiboot2 MBI parsing: each tag the crate uses, tag alignment, unknown
//! tags, fallbacks, extents and malformed structures.

mod common;

use common::*;
use firmware::{parse, parse_multiboot2, BootError, MemKind, Protocol, MULTIBOOT2_BOOT_MAGIC};

const MBI: u64 = 0x1_0000;

fn mem_with(mbi: &[u8]) -> FakeMem {
    let mut m = FakeMem::new();
    m.put(MBI, mbi);
    m
}

#[test]
fn cmdline_tag() {
    let mem = mem_with(&Mb2::new().cmdline("root=/dev/vda").build());
    let info = parse_multiboot2(&mem, MBI).unwrap();
    assert_eq!(info.protocol, Protocol::Multiboot2);
    assert_eq!(info.protocol.name(), "multiboot2");
    assert_eq!(info.cmdline, "root=/dev/vda");
    assert_eq!(info.bootloader, None);
    assert!(info.regions().is_empty() && info.modules().is_empty());
    assert_eq!(info.rsdp, None);
}

#[test]
fn bootloader_tag() {
    let mem = mem_with(&Mb2::new().bootloader("GRUB 2.12").build());
    assert_eq!(
        parse_multiboot2(&mem, MBI).unwrap().bootloader,
        Some("GRUB 2.12")
    );
}

#[test]
fn module_tags() {
    let mbi = Mb2::new()
        .module(0x20_0000, 0x21_0000, "init.elf arg")
        .module(0x30_0000, 0x30_0000, "")
        .module(0x40_0000, 0x3F_0000, "backwards: skipped")
        .build();
    let mem = mem_with(&mbi);
    let info = parse_multiboot2(&mem, MBI).unwrap();
    let m = info.modules();
    assert_eq!(m.len(), 2);
    assert_eq!(
        (m[0].start, m[0].end, m[0].cmdline),
        (0x20_0000, 0x21_0000, "init.elf arg")
    );
    assert_eq!(
        (m[1].start, m[1].end, m[1].cmdline),
        (0x30_0000, 0x30_0000, "")
    );
}

#[test]
fn short_module_tag_is_skipped() {
    let mem = mem_with(&Mb2::new().tag(3, &[1, 2, 3]).cmdline("after").build());
    let info = parse_multiboot2(&mem, MBI).unwrap();
    assert!(info.modules().is_empty());
    assert_eq!(info.cmdline, "after");
}

#[test]
fn mmap_tag() {
    let mbi = Mb2::new()
        .basic_meminfo(639, 130_000) // ignored: a memory map is present
        .mmap(&[
            (0, 0x9_FC00, 1),
            (0xF_0000, 0x1_0000, 2),
            (0x10_0000, 0x7F0_0000, 1),
            (0x7FF_0000, 0x1_0000, 3),
        ])
        .build();
    let mem = mem_with(&mbi);
    let info = parse_multiboot2(&mem, MBI).unwrap();
    let r = info.regions();
    assert_eq!(r.len(), 4);
    assert_eq!(
        (r[2].start, r[2].len, r[2].kind),
        (0x10_0000, 0x7F0_0000, MemKind::Usable)
    );
    assert_eq!(r[3].kind, MemKind::AcpiReclaimable);
}

#[test]
fn mmap_with_larger_entry_size_and_bad_entry_size() {
    // entry_size 32: entries carry 8 extra bytes that must be stepped over.
    let mut body = Vec::new();
    le32(&mut body, 32);
    le32(&mut body, 0);
    for (base, len) in [(0x10_0000u64, 0x1000u64), (0x20_0000, 0x2000)] {
        le64(&mut body, base);
        le64(&mut body, len);
        le32(&mut body, 1);
        le32(&mut body, 0);
        le64(&mut body, 0xFFFF_FFFF_FFFF_FFFF);
    }
    let mem = mem_with(&Mb2::new().tag(6, &body).build());
    let info = parse_multiboot2(&mem, MBI).unwrap();
    assert_eq!(info.regions().len(), 2);
    assert_eq!(info.regions()[1].start, 0x20_0000);

    let mut bad = Vec::new();
    le32(&mut bad, 0); // entry_size 0 must not loop forever
    le32(&mut bad, 0);
    bad.extend_from_slice(&[0u8; 24]);
    let mem = mem_with(&Mb2::new().tag(6, &bad).build());
    assert!(parse_multiboot2(&mem, MBI).unwrap().regions().is_empty());
}

#[test]
fn basic_meminfo_fallback() {
    let mem = mem_with(&Mb2::new().basic_meminfo(639, 0x1_FC00).build());
    let info = parse_multiboot2(&mem, MBI).unwrap();
    let r = info.regions();
    assert_eq!((r[0].start, r[0].len), (0, 639 * 1024));
    assert_eq!((r[1].start, r[1].len), (0x10_0000, 0x1_FC00 * 1024));
}

#[test]
fn acpi_tags_give_address_of_rsdp_copy() {
    let old = rsdp(0x7FE_0000, None);
    let new = rsdp(0x7FE_0000, Some(0x7FE_1000));
    // Old only: its copy starts 8 bytes into the tag (tag at MBI + 8).
    let mem = mem_with(&Mb2::new().tag(14, &old).build());
    assert_eq!(parse_multiboot2(&mem, MBI).unwrap().rsdp, Some(MBI + 16));
    // Both: the new one wins even when it comes second.
    let mbi = Mb2::new().tag(14, &old).tag(15, &new).build();
    let mem = mem_with(&mbi);
    let info = parse_multiboot2(&mem, MBI).unwrap();
    let second_tag = MBI + 8 + 8 + old.len().next_multiple_of(8) as u64;
    assert_eq!(info.rsdp, Some(second_tag + 8));
    // A tag without the RSDP signature is ignored.
    let mem = mem_with(&Mb2::new().tag(15, &[0u8; 36]).build());
    assert_eq!(parse_multiboot2(&mem, MBI).unwrap().rsdp, None);
}

#[test]
fn rsdp_copy_feeds_acpi_discover() {
    let mut l = Layout::new(0x50_0000);
    let apic = l.add(&madt(0xFEE0_0000, 1, &[madt_lapic(0, 0, 1)]));
    let root = l.add(&rsdt(&[apic]));
    let mut mem = mem_with(&Mb2::new().tag(14, &rsdp(root as u32, None)).build());
    mem.put(l.base, &l.bytes);
    let info = parse_multiboot2(&mem, MBI).unwrap();
    let acpi = firmware::acpi::discover(&mem, info.rsdp).unwrap();
    assert_eq!(acpi.madt.unwrap().cpus().len(), 1);
}

#[test]
fn unknown_tags_skipped_and_alignment_respected() {
    // Tag 21 (load base) with a 4-byte body: 12 bytes, padded to 16.
    let mbi = Mb2::new()
        .tag(21, &[0, 0, 0x20, 0])
        .tag(99, &[7; 13])
        .cmdline("x")
        .bootloader("y")
        .build();
    let mem = mem_with(&mbi);
    let info = parse_multiboot2(&mem, MBI).unwrap();
    assert_eq!((info.cmdline, info.bootloader), ("x", Some("y")));
}

#[test]
fn end_tag_stops_the_walk() {
    let mut mbi = Mb2::new().cmdline("first").build();
    // Append a tag after the end tag and grow total_size to include it.
    let extra = Mb2::new().bootloader("after end").build_without_end();
    mbi.extend_from_slice(&extra[8..]);
    let total = mbi.len() as u32;
    mbi[0..4].copy_from_slice(&total.to_le_bytes());
    let mem = mem_with(&mbi);
    let info = parse_multiboot2(&mem, MBI).unwrap();
    assert_eq!(info.cmdline, "first");
    assert_eq!(info.bootloader, None);
}

#[test]
fn missing_end_tag_is_tolerated() {
    let mem = mem_with(&Mb2::new().cmdline("no end").build_without_end());
    assert_eq!(parse_multiboot2(&mem, MBI).unwrap().cmdline, "no end");
}

#[test]
fn string_tags_without_nul_and_with_bad_utf8() {
    let mem = mem_with(&Mb2::new().tag(1, b"abcdefgh").tag(2, b"ok\xc3(\0").build());
    let info = parse_multiboot2(&mem, MBI).unwrap();
    assert_eq!(info.cmdline, "abcdefgh");
    assert_eq!(info.bootloader, Some("ok"));
}

#[test]
fn malformed_structures() {
    // Tag size below 8.
    let mut mbi = Mb2::new().cmdline("a").build();
    mbi[12..16].copy_from_slice(&4u32.to_le_bytes());
    assert!(matches!(
        parse_multiboot2(&mem_with(&mbi), MBI).unwrap_err(),
        BootError::Malformed { .. }
    ));
    // Tag running past total_size.
    let mut mbi = Mb2::new().cmdline("abc").build();
    mbi[12..16].copy_from_slice(&200u32.to_le_bytes());
    assert_eq!(
        parse_multiboot2(&mem_with(&mbi), MBI).unwrap_err(),
        BootError::Truncated
    );
    // total_size below 8.
    let mut mbi = Mb2::new().build();
    mbi[0..4].copy_from_slice(&4u32.to_le_bytes());
    assert!(matches!(
        parse_multiboot2(&mem_with(&mbi), MBI).unwrap_err(),
        BootError::Malformed { .. }
    ));
    // total_size beyond readable memory.
    let mut mbi = Mb2::new().build();
    mbi[0..4].copy_from_slice(&0x10_0000u32.to_le_bytes());
    assert_eq!(
        parse_multiboot2(&mem_with(&mbi), MBI).unwrap_err(),
        BootError::Truncated
    );
    // Nothing there at all.
    assert_eq!(
        parse_multiboot2(&FakeMem::new(), MBI).unwrap_err(),
        BootError::Unreadable { paddr: MBI }
    );
    // A tag header cut by total_size (4 stray bytes after the last tag).
    let mut mbi = Mb2::new().cmdline("a").build_without_end();
    mbi.extend_from_slice(&[1, 0, 0, 0]);
    let total = mbi.len() as u32;
    mbi[0..4].copy_from_slice(&total.to_le_bytes());
    assert_eq!(
        parse_multiboot2(&mem_with(&mbi), MBI).unwrap_err(),
        BootError::Truncated
    );
}

#[test]
fn extent_is_the_whole_mbi_and_dispatch_works() {
    let mbi = Mb2::new()
        .cmdline("c")
        .module(0x20_0000, 0x20_1000, "m")
        .build();
    let mem = mem_with(&mbi);
    let info = parse(&mem, MULTIBOOT2_BOOT_MAGIC, MBI).unwrap();
    assert_eq!(info.structure_extents(), &[(MBI, MBI + mbi.len() as u64)]);
}
