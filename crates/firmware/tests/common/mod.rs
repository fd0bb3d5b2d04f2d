//! Test support shared by the integration tests: a sparse fake physical
//! memory and builders for boot structures and ACPI tables with correct
//! checksums.
#![allow(dead_code)]

use firmware::PhysMem;

/// Physical memory made of separate byte segments; reads must fall inside one.
#[derive(Default, Clone, Debug)]
pub struct FakeMem {
    segs: Vec<(u64, Vec<u8>)>,
}

impl FakeMem {
    pub fn new() -> Self {
        Self::default()
    }

    /// Places `bytes` at `addr` (a new segment; overlapping segments are not merged).
    pub fn put(&mut self, addr: u64, bytes: &[u8]) -> &mut Self {
        self.segs.push((addr, bytes.to_vec()));
        self
    }

    /// Overwrites bytes inside an existing segment.
    pub fn patch(&mut self, addr: u64, bytes: &[u8]) {
        for (base, data) in &mut self.segs {
            if addr >= *base && addr + bytes.len() as u64 <= *base + data.len() as u64 {
                let off = (addr - *base) as usize;
                data[off..off + bytes.len()].copy_from_slice(bytes);
                return;
            }
        }
        panic!("patch outside memory at {addr:#x}");
    }
}

impl PhysMem for FakeMem {
    fn read(&self, paddr: u64, len: usize) -> Option<&[u8]> {
        self.segs.iter().rev().find_map(|(base, data)| {
            let off = usize::try_from(paddr.checked_sub(*base)?).ok()?;
            data.get(off..off.checked_add(len)?)
        })
    }
}

/// `s` with a NUL appended.
pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

pub fn le32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

pub fn le64(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}

/// Sets byte `at` so that all bytes of `v` sum to zero.
pub fn fix_checksum(v: &mut [u8], at: usize) {
    v[at] = 0;
    let sum = v.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    v[at] = 0u8.wrapping_sub(sum);
}

// ---------------------------------------------------------------- Multiboot2

/// Builds a Multiboot2 information structure tag by tag.
#[derive(Default)]
pub struct Mb2 {
    tags: Vec<u8>,
}

impl Mb2 {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a tag with `body`, padded to 8 bytes.
    pub fn tag(mut self, typ: u32, body: &[u8]) -> Self {
        le32(&mut self.tags, typ);
        le32(&mut self.tags, 8 + body.len() as u32);
        self.tags.extend_from_slice(body);
        while !self.tags.len().is_multiple_of(8) {
            self.tags.push(0);
        }
        self
    }

    pub fn cmdline(self, s: &str) -> Self {
        self.tag(1, &cstr(s))
    }

    pub fn bootloader(self, s: &str) -> Self {
        self.tag(2, &cstr(s))
    }

    pub fn module(self, start: u32, end: u32, s: &str) -> Self {
        let mut b = Vec::new();
        le32(&mut b, start);
        le32(&mut b, end);
        b.extend_from_slice(&cstr(s));
        self.tag(3, &b)
    }

    pub fn basic_meminfo(self, lower: u32, upper: u32) -> Self {
        let mut b = Vec::new();
        le32(&mut b, lower);
        le32(&mut b, upper);
        self.tag(4, &b)
    }

    pub fn mmap(self, entries: &[(u64, u64, u32)]) -> Self {
        let mut b = Vec::new();
        le32(&mut b, 24);
        le32(&mut b, 0);
        for &(base, len, typ) in entries {
            le64(&mut b, base);
            le64(&mut b, len);
            le32(&mut b, typ);
            le32(&mut b, 0);
        }
        self.tag(6, &b)
    }

    /// The MBI with an end tag.
    pub fn build(self) -> Vec<u8> {
        let mut v = self.build_without_end();
        let total = v.len() + 8;
        le32(&mut v, 0);
        le32(&mut v, 8);
        v[0..4].copy_from_slice(&(total as u32).to_le_bytes());
        v
    }

    /// The MBI with no end tag.
    pub fn build_without_end(self) -> Vec<u8> {
        let mut v = Vec::new();
        le32(&mut v, 8 + self.tags.len() as u32);
        le32(&mut v, 0);
        v.extend_from_slice(&self.tags);
        v
    }
}

// ---------------------------------------------------------------------- ACPI

/// A system description table: header (36 bytes) + body, checksum fixed.
pub fn sdt(sig: &[u8; 4], revision: u8, body: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(sig);
    le32(&mut t, 36 + body.len() as u32);
    t.push(revision);
    t.push(0); // checksum
    t.extend_from_slice(b"EXOV6 ");
    t.extend_from_slice(b"TESTTABL");
    le32(&mut t, 1);
    le32(&mut t, 0x5445_5354);
    le32(&mut t, 1);
    t.extend_from_slice(body);
    fix_checksum(&mut t, 9);
    t
}

/// An RSDP: revision 0 (20 bytes) when `xsdt` is `None`, else revision 2 (36 bytes).
pub fn rsdp(rsdt: u32, xsdt: Option<u64>) -> Vec<u8> {
    let mut r = b"RSD PTR ".to_vec();
    r.push(0);
    r.extend_from_slice(b"EXOOEM");
    r.push(if xsdt.is_some() { 2 } else { 0 });
    le32(&mut r, rsdt);
    fix_checksum(&mut r, 8);
    if let Some(x) = xsdt {
        le32(&mut r, 36);
        le64(&mut r, x);
        r.extend_from_slice(&[0, 0, 0, 0]);
        fix_checksum(&mut r, 32);
    }
    r
}

pub fn rsdt(entries: &[u64]) -> Vec<u8> {
    let mut b = Vec::new();
    for &e in entries {
        le32(&mut b, e as u32);
    }
    sdt(b"RSDT", 1, &b)
}

pub fn xsdt(entries: &[u64]) -> Vec<u8> {
    let mut b = Vec::new();
    for &e in entries {
        le64(&mut b, e);
    }
    sdt(b"XSDT", 1, &b)
}

/// MADT entry builders.
pub fn madt_lapic(uid: u8, id: u8, flags: u32) -> Vec<u8> {
    let mut e = vec![0, 8, uid, id];
    le32(&mut e, flags);
    e
}

pub fn madt_ioapic(id: u8, addr: u32, gsi_base: u32) -> Vec<u8> {
    let mut e = vec![1, 12, id, 0];
    le32(&mut e, addr);
    le32(&mut e, gsi_base);
    e
}

pub fn madt_override(irq: u8, gsi: u32, flags: u16) -> Vec<u8> {
    let mut e = vec![2, 10, 0, irq];
    le32(&mut e, gsi);
    e.extend_from_slice(&flags.to_le_bytes());
    e
}

pub fn madt_lapic_addr_override(addr: u64) -> Vec<u8> {
    let mut e = vec![5, 12, 0, 0];
    le64(&mut e, addr);
    e
}

pub fn madt_x2apic(id: u32, flags: u32, uid: u32) -> Vec<u8> {
    let mut e = vec![9, 16, 0, 0];
    le32(&mut e, id);
    le32(&mut e, flags);
    le32(&mut e, uid);
    e
}

pub fn madt(lapic_addr: u32, flags: u32, entries: &[Vec<u8>]) -> Vec<u8> {
    let mut b = Vec::new();
    le32(&mut b, lapic_addr);
    le32(&mut b, flags);
    for e in entries {
        b.extend_from_slice(e);
    }
    sdt(b"APIC", 4, &b)
}

/// A full-size (ACPI 6, 276-byte) FADT with the fields the crate decodes.
pub struct FadtSpec {
    pub dsdt: u32,
    pub x_dsdt: u64,
    pub sci: u16,
    pub smi_cmd: u32,
    pub acpi_enable: u8,
    pub pm1a_cnt: u32,
    pub pm1b_cnt: u32,
    pub pm_tmr: u32,
    pub century: u8,
    pub boot_arch: u16,
    pub flags: u32,
    pub reset: (u8, u64, u8),
    /// Total table length (truncates the body for older revisions).
    pub len: usize,
}

impl Default for FadtSpec {
    fn default() -> Self {
        Self {
            dsdt: 0,
            x_dsdt: 0,
            sci: 9,
            smi_cmd: 0xB2,
            acpi_enable: 0xF1,
            pm1a_cnt: 0x604,
            pm1b_cnt: 0,
            pm_tmr: 0x608,
            century: 0x32,
            boot_arch: 0x0002,
            flags: 1 << 10,
            reset: (1, 0xCF9, 0x06),
            len: 276,
        }
    }
}

pub fn fadt(s: &FadtSpec) -> Vec<u8> {
    let mut t = vec![0u8; 276];
    let put32 =
        |t: &mut Vec<u8>, off: usize, v: u32| t[off..off + 4].copy_from_slice(&v.to_le_bytes());
    put32(&mut t, 40, s.dsdt);
    t[46..48].copy_from_slice(&s.sci.to_le_bytes());
    put32(&mut t, 48, s.smi_cmd);
    t[52] = s.acpi_enable;
    put32(&mut t, 64, s.pm1a_cnt);
    put32(&mut t, 68, s.pm1b_cnt);
    put32(&mut t, 76, s.pm_tmr);
    t[108] = s.century;
    t[109..111].copy_from_slice(&s.boot_arch.to_le_bytes());
    put32(&mut t, 112, s.flags);
    t[116] = s.reset.0;
    t[117] = 8;
    t[120..128].copy_from_slice(&s.reset.1.to_le_bytes());
    t[128] = s.reset.2;
    t[140..148].copy_from_slice(&s.x_dsdt.to_le_bytes());
    t.truncate(s.len);
    // Rebuild as a table: the first 36 bytes become the header.
    let mut table = sdt(b"FACP", 6, &t[36..]);
    fix_checksum(&mut table, 9);
    table
}

/// The AML of a QEMU-like DSDT: some scope noise, then `Name(\_S5_, Package(4){…})`.
pub fn dsdt_with_s5(s5: &[u8]) -> Vec<u8> {
    let mut aml = vec![0x10, 0x05, b'\\', b'_', b'S', b'B', b'_']; // Scope(\_SB_)
    aml.extend_from_slice(&[
        0x08, b'_', b'S', b'4', b'_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
    ]);
    aml.extend_from_slice(s5);
    sdt(b"DSDT", 1, &aml)
}

/// Lays tables out one after another (16-byte aligned) from `base`.
pub struct Layout {
    pub base: u64,
    pub bytes: Vec<u8>,
}

impl Layout {
    pub fn new(base: u64) -> Self {
        Self {
            base,
            bytes: Vec::new(),
        }
    }

    /// Appends `data` and returns its physical address.
    pub fn add(&mut self, data: &[u8]) -> u64 {
        while !self.bytes.len().is_multiple_of(16) {
            self.bytes.push(0);
        }
        let addr = self.base + self.bytes.len() as u64;
        self.bytes.extend_from_slice(data);
        addr
    }

    /// The address the next `add` will return.
    pub fn next(&self) -> u64 {
        self.base + self.bytes.len().next_multiple_of(16) as u64
    }
}

impl FakeMem {
    /// `N` bytes at `addr` (panics if unreadable: test helper).
    pub fn read_at<const N: usize>(&self, addr: u64) -> [u8; N] {
        self.read(addr, N).unwrap().try_into().unwrap()
    }
}
