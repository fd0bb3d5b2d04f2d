//! Multiboot 1 information parsing: combinations of flags, the size-prefixed
//! memory map, modules, the mem_lower/mem_upper fallback and failure modes.

mod common;

use common::*;
use firmware::{parse, parse_multiboot1, BootError, MemKind, Protocol, MULTIBOOT1_BOOT_MAGIC};

const MBI: u64 = 0x9000;
const CMDLINE: u64 = 0xA000;
const MODS: u64 = 0xB000;
const MMAP: u64 = 0xC000;
const NAME: u64 = 0xD000;
const MODSTR: u64 = 0xE000;

/// A 116-byte Multiboot 1 information structure.
struct Mbi([u8; 116]);

impl Mbi {
    fn new(flags: u32) -> Self {
        let mut m = Mbi([0; 116]);
        m.set(0, flags);
        m
    }
    fn set(&mut self, off: usize, v: u32) -> &mut Self {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
        self
    }
}

fn mmap_entries(entries: &[(u64, u64, u32)]) -> Vec<u8> {
    let mut v = Vec::new();
    for &(base, len, typ) in entries {
        le32(&mut v, 20);
        le64(&mut v, base);
        le64(&mut v, len);
        le32(&mut v, typ);
    }
    v
}

fn module_list(entries: &[(u32, u32, u32)]) -> Vec<u8> {
    let mut v = Vec::new();
    for &(s, e, string) in entries {
        le32(&mut v, s);
        le32(&mut v, e);
        le32(&mut v, string);
        le32(&mut v, 0);
    }
    v
}

#[test]
fn no_flags_gives_empty_info() {
    let mut mem = FakeMem::new();
    mem.put(MBI, &Mbi::new(0).0);
    let info = parse_multiboot1(&mem, MBI).unwrap();
    assert_eq!(info.protocol, Protocol::Multiboot1);
    assert_eq!(info.protocol.name(), "multiboot1");
    assert_eq!(info.cmdline, "");
    assert_eq!(info.bootloader, None);
    assert_eq!(info.rsdp, None);
    assert!(info.regions().is_empty() && info.modules().is_empty());
    // Only the flags word is needed with no flags set.
    let mut mem = FakeMem::new();
    mem.put(MBI, &[0, 0, 0, 0]);
    assert!(parse_multiboot1(&mem, MBI).is_ok());
}

#[test]
fn mem_lower_upper_only() {
    let mut m = Mbi::new(1 << 0);
    m.set(4, 639).set(8, 129_920);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0);
    let info = parse_multiboot1(&mem, MBI).unwrap();
    let r = info.regions();
    assert_eq!(r.len(), 2);
    assert_eq!(
        (r[0].start, r[0].len, r[0].kind),
        (0, 639 * 1024, MemKind::Usable)
    );
    assert_eq!((r[1].start, r[1].len), (0x10_0000, 129_920 * 1024));
}

#[test]
fn mmap_preferred_over_mem_fields() {
    let map = mmap_entries(&[
        (0, 0x9_FC00, 1),
        (0x9_FC00, 0x400, 2),
        (0x10_0000, 0x7EE_0000, 1),
        (0xFFFC_0000, 0x4_0000, 2),
    ]);
    let mut m = Mbi::new((1 << 0) | (1 << 6));
    m.set(4, 639)
        .set(8, 1000)
        .set(44, map.len() as u32)
        .set(48, MMAP as u32);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0).put(MMAP, &map);
    let info = parse_multiboot1(&mem, MBI).unwrap();
    assert_eq!(info.regions().len(), 4);
    assert_eq!(info.regions()[3].start, 0xFFFC_0000);
    assert_eq!(info.regions()[1].kind, MemKind::Reserved);
    assert!(info.structure_extents().contains(&(MMAP, MMAP + 96)));
}

#[test]
fn mmap_with_larger_size_field_and_bad_size() {
    // An entry with size 24 (4 extra bytes), then one with size 8 (ends the walk).
    let mut map = Vec::new();
    le32(&mut map, 24);
    le64(&mut map, 0x10_0000);
    le64(&mut map, 0x1000);
    le32(&mut map, 1);
    le32(&mut map, 0xAAAA_AAAA);
    map.extend_from_slice(&mmap_entries(&[(0x20_0000, 0x1000, 5)]));
    le32(&mut map, 8);
    le64(&mut map, 0);
    map.extend_from_slice(&mmap_entries(&[(0x30_0000, 0x1000, 1)]));
    let mut m = Mbi::new(1 << 6);
    m.set(44, map.len() as u32).set(48, MMAP as u32);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0).put(MMAP, &map);
    let info = parse_multiboot1(&mem, MBI).unwrap();
    let r = info.regions();
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].kind, MemKind::Bad);
}

#[test]
fn mmap_entry_running_past_length_is_dropped() {
    let map = mmap_entries(&[(0x10_0000, 0x1000, 1), (0x20_0000, 0x1000, 1)]);
    let mut m = Mbi::new(1 << 6);
    m.set(44, (map.len() - 3) as u32).set(48, MMAP as u32);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0).put(MMAP, &map);
    assert_eq!(parse_multiboot1(&mem, MBI).unwrap().regions().len(), 1);
}

#[test]
fn cmdline_modules_and_bootloader() {
    let mut m = Mbi::new((1 << 2) | (1 << 3) | (1 << 9));
    m.set(16, CMDLINE as u32)
        .set(20, 2)
        .set(24, MODS as u32)
        .set(64, NAME as u32);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0)
        .put(CMDLINE, &cstr("/boot/kernel console=ttyS0"))
        .put(
            MODS,
            &module_list(&[
                (0x20_0000, 0x20_8000, MODSTR as u32),
                (0x30_0000, 0x30_0100, 0),
            ]),
        )
        .put(MODSTR, &cstr("/boot/init"))
        .put(NAME, &cstr("qemu"));
    let info = parse(&mem, MULTIBOOT1_BOOT_MAGIC, MBI).unwrap();
    assert_eq!(info.cmdline, "/boot/kernel console=ttyS0");
    assert_eq!(info.bootloader, Some("qemu"));
    assert_eq!(info.modules().len(), 2);
    assert_eq!(info.modules()[0].cmdline, "/boot/init");
    assert_eq!(info.modules()[0].end, 0x20_8000);
    assert_eq!(info.modules()[1].cmdline, "");
    assert!(info.regions().is_empty());
    let ext = info.structure_extents();
    assert!(ext.contains(&(MBI, MBI + 68)));
    assert!(ext.contains(&(CMDLINE, CMDLINE + 27)));
    assert!(ext.contains(&(MODS, MODS + 32)));
    assert!(ext.contains(&(MODSTR, MODSTR + 11)));
    assert!(ext.contains(&(NAME, NAME + 5)));
}

#[test]
fn flags_not_set_means_fields_ignored() {
    // Garbage in every field, but no flags: nothing is read.
    let mut m = Mbi::new(0);
    for off in (4..116).step_by(4) {
        m.set(off, 0xDEAD_BEEF);
    }
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0);
    let info = parse_multiboot1(&mem, MBI).unwrap();
    assert!(info.regions().is_empty() && info.modules().is_empty());
    assert_eq!(info.cmdline, "");
}

#[test]
fn zero_cmdline_address_is_absent() {
    let mut m = Mbi::new(1 << 2);
    m.set(16, 0);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0).put(0, b"should not be read\0");
    assert_eq!(parse_multiboot1(&mem, MBI).unwrap().cmdline, "");
}

#[test]
fn truncated_and_unreadable() {
    // The mmap flag needs 52 bytes of structure.
    let mut mem = FakeMem::new();
    mem.put(MBI, &Mbi::new(1 << 6).0[..48]);
    assert_eq!(
        parse_multiboot1(&mem, MBI).unwrap_err(),
        BootError::Truncated
    );
    // Unreadable module list.
    let mut m = Mbi::new(1 << 3);
    m.set(20, 3).set(24, MODS as u32);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0);
    assert_eq!(
        parse_multiboot1(&mem, MBI).unwrap_err(),
        BootError::Unreadable { paddr: MODS }
    );
    // Unreadable memory map.
    let mut m = Mbi::new(1 << 6);
    m.set(44, 48).set(48, MMAP as u32);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0);
    assert_eq!(
        parse_multiboot1(&mem, MBI).unwrap_err(),
        BootError::Unreadable { paddr: MMAP }
    );
    // Nothing at all.
    assert_eq!(
        parse_multiboot1(&FakeMem::new(), MBI).unwrap_err(),
        BootError::Unreadable { paddr: MBI }
    );
}

#[test]
fn backwards_module_is_skipped() {
    let mut m = Mbi::new(1 << 3);
    m.set(20, 1).set(24, MODS as u32);
    let mut mem = FakeMem::new();
    mem.put(MBI, &m.0)
        .put(MODS, &module_list(&[(0x30_0000, 0x20_0000, 0)]));
    assert!(parse_multiboot1(&mem, MBI).unwrap().modules().is_empty());
}
