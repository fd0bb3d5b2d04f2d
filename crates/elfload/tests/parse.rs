//! `elfload::parse` on hand-built files: a typical executable, and one
//! file per refusal, each refused for exactly the reason it was built for.

mod support;

use elfload::{parse, ElfError, Segment, MAX_SEGMENTS};
use support::*;

fn parse_user(bytes: &[u8]) -> Result<elfload::Program<'_>, ElfError> {
    parse(bytes, USER_MIN, USER_END)
}

#[test]
fn typical_executable() {
    let bytes = typical();
    let p = parse_user(&bytes).unwrap();
    assert_eq!(p.entry, TYPICAL_ENTRY);
    assert_eq!(
        p.segments(),
        [
            Segment {
                vaddr: 0x40_1000,
                mem_size: 0x234,
                file_offset: 0x1000,
                file_size: 0x234,
                writable: false,
                executable: true,
            },
            Segment {
                vaddr: 0x40_2000,
                mem_size: 0x80,
                file_offset: 0x2000,
                file_size: 0x80,
                writable: false,
                executable: false,
            },
            Segment {
                vaddr: 0x40_3000,
                mem_size: 0x2345,
                file_offset: 0x3000,
                file_size: 0x10,
                writable: true,
                executable: false,
            },
        ]
    );
    for s in p.segments() {
        let start = s.file_offset as usize;
        assert_eq!(p.file_bytes(s), &bytes[start..start + s.file_size as usize]);
    }
    assert_eq!(p.data.len(), bytes.len());
}

#[test]
fn file_bytes_of_a_foreign_segment_is_empty() {
    let bytes = typical();
    let p = parse_user(&bytes).unwrap();
    let bogus = Segment {
        file_offset: u64::MAX,
        file_size: 2,
        ..Segment::default()
    };
    assert!(p.file_bytes(&bogus).is_empty());
    let past = Segment {
        file_offset: 0x3000,
        file_size: 0x11,
        ..Segment::default()
    };
    assert!(p.file_bytes(&past).is_empty());
}

#[test]
fn header_refusals() {
    let good = typical();
    let with = |at: usize, v: &[u8]| {
        let mut b = good.clone();
        b[at..at + v.len()].copy_from_slice(v);
        b
    };
    let cases: [(Vec<u8>, ElfError); 6] = [
        (good[..63].to_vec(), ElfError::TooShort),
        (with(0, b"\x7fELG"), ElfError::BadMagic),
        (with(4, &[1]), ElfError::NotElf64),
        (with(5, &[2]), ElfError::NotLittleEndian),
        (with(18, &3u16.to_le_bytes()), ElfError::WrongMachine),
        (with(16, &3u16.to_le_bytes()), ElfError::NotExecutable), // ET_DYN
    ];
    for (bytes, want) in cases {
        assert_eq!(parse_user(&bytes).unwrap_err(), want);
    }
}

#[test]
fn program_header_table_refusals() {
    let good = typical();
    let with = |at: usize, v: &[u8]| {
        let mut b = good.clone();
        b[at..at + v.len()].copy_from_slice(v);
        b
    };
    // Table past the end, entry size too small, overflowing offset, PN_XNUM.
    for bytes in [
        with(32, &0x3000u64.to_le_bytes()),
        with(54, &55u16.to_le_bytes()),
        with(32, &u64::MAX.to_le_bytes()),
        with(56, &0xffffu16.to_le_bytes()),
        with(56, &300u16.to_le_bytes()),
    ] {
        assert_eq!(parse_user(&bytes).unwrap_err(), ElfError::BadProgramHeaders);
    }
    // No program headers at all, or none loadable.
    assert_eq!(
        parse_user(&with(56, &0u16.to_le_bytes())).unwrap_err(),
        ElfError::NoLoadableSegments
    );
    let only_stack = elf(0x40_1000, &typical_phdrs()[2..3], 0x1000);
    assert_eq!(
        parse_user(&only_stack).unwrap_err(),
        ElfError::NoLoadableSegments
    );
    // A larger entry size is accepted (the extra bytes are skipped).
    let mut wide = elf(0, &[], 0x4000);
    let phdrs = typical_phdrs();
    wide[24..32].copy_from_slice(&TYPICAL_ENTRY.to_le_bytes());
    wide[54..56].copy_from_slice(&64u16.to_le_bytes());
    wide[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
    let packed = elf(TYPICAL_ENTRY, &phdrs, 0);
    for i in 0..phdrs.len() {
        let src = &packed[64 + 56 * i..64 + 56 * (i + 1)];
        wide[64 + 64 * i..64 + 64 * i + 56].copy_from_slice(src);
    }
    assert_eq!(parse_user(&wide).unwrap().segments().len(), 3);
}

#[test]
fn segment_refusals() {
    let rx = PF_R | PF_X;
    let cases = [
        // File bytes past the end of the file; offset + size overflows.
        (
            load(rx, 0x1000, 0x40_0000, 0x1001, 0x1001),
            ElfError::SegmentOutsideFile,
        ),
        (
            load(rx, u64::MAX, 0x40_0000, 2, 2),
            ElfError::SegmentOutsideFile,
        ),
        (
            load(rx, 0x1000, 0x40_0000, 0x20, 0x10),
            ElfError::FileSizeExceedsMemSize,
        ),
        (
            load(rx, 0, u64::MAX - 0x10, 0, 0x20),
            ElfError::AddressOverflow,
        ),
        (load(rx, 0, 0, 0, 0x10), ElfError::OutsideUserRange),
        (load(rx, 0, 0xfff, 0, 0x10), ElfError::OutsideUserRange),
        (
            load(rx, 0, USER_END - 0x10, 0, 0x11),
            ElfError::OutsideUserRange,
        ),
        (
            load(rx, 0, 0xffff_8000_0000_0000, 0, 0x10),
            ElfError::OutsideUserRange,
        ),
    ];
    for (phdr, want) in cases {
        let bytes = elf(phdr.vaddr, &[phdr], 0x2000);
        assert_eq!(parse_user(&bytes).unwrap_err(), want, "{phdr:?}");
    }
    // Exactly up to USER_END and exactly from USER_MIN are fine.
    let top = load(rx, 0, USER_END - 0x10, 0, 0x10);
    assert!(parse_user(&elf(USER_END - 1, &[top], 0x100)).is_ok());
    let bottom = load(rx, 0, USER_MIN, 0, 0x10);
    assert!(parse_user(&elf(USER_MIN, &[bottom], 0x100)).is_ok());
    // A zero-size PT_LOAD anywhere is skipped, but its file range still counts.
    let empty = load(PF_R, 0, 0, 0, 0);
    let code = load(rx, 0x100, 0x40_0000, 0x10, 0x10);
    assert_eq!(
        parse_user(&elf(0x40_0000, &[empty, code], 0x200))
            .unwrap()
            .segments()
            .len(),
        1
    );
}

#[test]
fn overlap_is_per_byte_not_per_page() {
    let rx = PF_R | PF_X;
    let rw = PF_R | PF_W;
    // Same page, adjacent bytes: fine.
    let a = load(rx, 0x100, 0x40_0000, 0x80, 0x80);
    let b = load(rw, 0x180, 0x40_0080, 0x80, 0x100);
    let p = elf(0x40_0000, &[a, b], 0x1000);
    assert_eq!(parse_user(&p).unwrap().segments().len(), 2);
    // One byte shared: refused, in either order.
    let c = load(rw, 0x180, 0x40_007f, 0x80, 0x80);
    assert_eq!(
        parse_user(&elf(0x40_0000, &[a, c], 0x1000)).unwrap_err(),
        ElfError::Overlap
    );
    assert_eq!(
        parse_user(&elf(0x40_0000, &[c, a], 0x1000)).unwrap_err(),
        ElfError::Overlap
    );
    // One segment inside another.
    let inner = load(rw, 0, 0x40_0010, 0, 4);
    assert_eq!(
        parse_user(&elf(0x40_0000, &[a, inner], 0x1000)).unwrap_err(),
        ElfError::Overlap
    );
}

#[test]
fn entry_must_be_in_an_executable_segment() {
    let phdrs = typical_phdrs();
    for entry in [0, 0x40_0fff, 0x40_1234, 0x40_2000, 0x40_3000, u64::MAX] {
        assert_eq!(
            parse_user(&elf(entry, &phdrs, 0x3010)).unwrap_err(),
            ElfError::EntryNotExecutable,
            "{entry:#x}"
        );
    }
    for entry in [0x40_1000, 0x40_1233] {
        assert!(parse_user(&elf(entry, &phdrs, 0x3010)).is_ok());
    }
    // Past the file bytes but inside the (zero-filled) memory: allowed.
    let code = load(PF_R | PF_X, 0x100, 0x40_0000, 0x10, 0x1000);
    assert!(parse_user(&elf(0x40_0800, &[code], 0x200)).is_ok());
}

#[test]
fn segment_limit() {
    let make = |n: usize| -> Vec<Phdr> {
        (0..n)
            .map(|i| load(PF_R | PF_X, 0, 0x40_0000 + 0x1000 * i as u64, 0, 0x1000))
            .collect()
    };
    let full = elf(0x40_0000, &make(MAX_SEGMENTS), 0x1000);
    assert_eq!(parse_user(&full).unwrap().segments().len(), MAX_SEGMENTS);
    let over = elf(0x40_0000, &make(MAX_SEGMENTS + 1), 0x1000);
    assert_eq!(parse_user(&over).unwrap_err(), ElfError::TooManySegments);
}

#[test]
fn user_range_is_the_callers() {
    let bytes = typical();
    assert!(parse(&bytes, 0x40_1000, 0x40_5345).is_ok());
    assert_eq!(
        parse(&bytes, 0x40_1001, USER_END).unwrap_err(),
        ElfError::OutsideUserRange
    );
    assert_eq!(
        parse(&bytes, USER_MIN, 0x40_5344).unwrap_err(),
        ElfError::OutsideUserRange
    );
    assert_eq!(
        parse(&bytes, USER_END, USER_MIN).unwrap_err(),
        ElfError::OutsideUserRange
    );
}

#[test]
fn errors_display() {
    assert_eq!(ElfError::Overlap.to_string(), "segments overlap");
    assert_eq!(
        ElfError::EntryNotExecutable.to_string(),
        "entry point not in an executable segment"
    );
}
