//! ELF64 load plans for the ExoV6 kernel's root-task loader.
//!
//! [`parse`] checks a static x86_64 executable (`ET_EXEC`) and returns a
//! [`Program`]: the entry point and the `PT_LOAD` segments, each with its
//! virtual range, the bytes to copy from the file, and its permissions.
//! Every other program-header type is ignored. The checks guarantee what
//! a loader needs to copy the file without further bounds checks:
//!
//! * every segment's file bytes lie inside the file and are no more than
//!   its memory bytes (the rest is zero-filled);
//! * every segment lies inside `[user_min, user_end)` without overflow;
//! * no two segments share a virtual byte (they may share a page: the
//!   loader then maps the page with the union of their permissions);
//! * the entry point lies inside an executable segment;
//! * there are between 1 and [`MAX_SEGMENTS`] loadable segments with
//!   memory bytes (`PT_LOAD` entries with a zero memory size are skipped).
//!
//! [`parse`] never panics and never allocates, whatever the input.
//!
//! ```
//! # let bytes: &[u8] = &[];
//! match elfload::parse(bytes, 0x1000, 0x0000_8000_0000_0000) {
//!     Ok(program) => {
//!         for seg in program.segments() {
//!             let _copy = program.file_bytes(seg); // then zero-fill to mem_size
//!         }
//!     }
//!     Err(e) => assert_eq!(e.to_string(), "file shorter than the ELF header"),
//! }
//! ```

#![no_std]
#![forbid(unsafe_code)]

mod error;
mod read;

pub use error::ElfError;
use read::{u16_at, u32_at, u64_at};

/// Most loadable segments a [`Program`] holds.
pub const MAX_SEGMENTS: usize = 16;

/// Size of the ELF64 file header.
const EHDR_SIZE: usize = 64;
/// Size of one ELF64 program header.
const PHDR_SIZE: u64 = 56;
/// `e_type` of a static executable.
const ET_EXEC: u16 = 2;
/// `e_machine` of x86_64.
const EM_X86_64: u16 = 62;
/// `EI_CLASS` value of a 64-bit file.
const ELFCLASS64: u8 = 2;
/// `EI_DATA` value of a little-endian file.
const ELFDATA2LSB: u8 = 1;
/// `e_phnum` escape meaning "the count is in section header 0".
const PN_XNUM: u16 = 0xffff;
/// Program-header type of a loadable segment.
const PT_LOAD: u32 = 1;
/// Segment flag: executable.
const PF_X: u32 = 1;
/// Segment flag: writable.
const PF_W: u32 = 2;

/// One loadable segment: `mem_size` bytes at `vaddr`, of which the first
/// `file_size` come from the file at `file_offset` and the rest are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// First virtual address.
    pub vaddr: u64,
    /// Bytes in memory (at least 1 in a parsed [`Program`]).
    pub mem_size: u64,
    /// Where the file bytes start in the file.
    pub file_offset: u64,
    /// Bytes taken from the file (at most `mem_size`).
    pub file_size: u64,
    /// Mapped writable (`PF_W`).
    pub writable: bool,
    /// Mapped executable (`PF_X`).
    pub executable: bool,
}

impl Segment {
    /// One past the last virtual address (saturating; in a parsed
    /// [`Program`] it never overflows).
    pub fn end(&self) -> u64 {
        self.vaddr.saturating_add(self.mem_size)
    }

    /// True if `addr` lies inside the segment's memory range.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.vaddr && addr < self.end()
    }

    /// True if the two segments share at least one virtual byte.
    pub fn overlaps(&self, other: &Segment) -> bool {
        self.vaddr < other.end() && other.vaddr < self.end()
    }
}

/// A checked load plan: see the crate documentation for what holds.
#[derive(Clone, Debug)]
pub struct Program<'a> {
    /// The entry point (inside an executable segment).
    pub entry: u64,
    /// The whole file.
    pub data: &'a [u8],
    segments: [Segment; MAX_SEGMENTS],
    count: usize,
}

impl<'a> Program<'a> {
    /// The loadable segments, in program-header order.
    pub fn segments(&self) -> &[Segment] {
        self.segments.get(..self.count).unwrap_or(&[])
    }

    /// The file part of `s` (empty if `s` does not describe bytes inside
    /// the file, which never happens for segments of this program).
    pub fn file_bytes(&self, s: &Segment) -> &'a [u8] {
        let range = usize::try_from(s.file_offset).ok().and_then(|start| {
            let len = usize::try_from(s.file_size).ok()?;
            Some(start..start.checked_add(len)?)
        });
        range.and_then(|r| self.data.get(r)).unwrap_or(&[])
    }
}

/// Checks the ELF identification and header fields that decide whether
/// the file is a little-endian x86_64 ELF64 executable.
fn check_header(bytes: &[u8]) -> Result<(), ElfError> {
    let ident = bytes.get(..EHDR_SIZE).ok_or(ElfError::TooShort)?;
    if ident[..4] != *b"\x7fELF" {
        return Err(ElfError::BadMagic);
    }
    if ident[4] != ELFCLASS64 {
        return Err(ElfError::NotElf64);
    }
    if ident[5] != ELFDATA2LSB {
        return Err(ElfError::NotLittleEndian);
    }
    if u16_at(bytes, 18) != Some(EM_X86_64) {
        return Err(ElfError::WrongMachine);
    }
    if u16_at(bytes, 16) != Some(ET_EXEC) {
        return Err(ElfError::NotExecutable);
    }
    Ok(())
}

/// Reads and checks program header `index` of the table at `phoff`;
/// `Ok(None)` for headers that are not loadable or have no memory bytes.
fn load_segment(
    bytes: &[u8],
    at: u64,
    user_min: u64,
    user_end: u64,
) -> Result<Option<Segment>, ElfError> {
    let field32 = |off: u64| u32_at(bytes, at + off).ok_or(ElfError::BadProgramHeaders);
    let field64 = |off: u64| u64_at(bytes, at + off).ok_or(ElfError::BadProgramHeaders);
    if field32(0)? != PT_LOAD {
        return Ok(None);
    }
    let flags = field32(4)?;
    let seg = Segment {
        file_offset: field64(8)?,
        vaddr: field64(16)?,
        file_size: field64(32)?,
        mem_size: field64(40)?,
        writable: flags & PF_W != 0,
        executable: flags & PF_X != 0,
    };
    if seg.file_size > seg.mem_size {
        return Err(ElfError::FileSizeExceedsMemSize);
    }
    let file_end = seg.file_offset.checked_add(seg.file_size);
    if file_end.is_none_or(|end| end > bytes.len() as u64) {
        return Err(ElfError::SegmentOutsideFile);
    }
    if seg.mem_size == 0 {
        return Ok(None);
    }
    let end = seg
        .vaddr
        .checked_add(seg.mem_size)
        .ok_or(ElfError::AddressOverflow)?;
    if seg.vaddr < user_min || end > user_end {
        return Err(ElfError::OutsideUserRange);
    }
    Ok(Some(seg))
}

/// Checks `bytes` as a static x86_64 executable whose segments must lie in
/// `[user_min, user_end)` and returns its load plan. Never panics.
pub fn parse(bytes: &[u8], user_min: u64, user_end: u64) -> Result<Program<'_>, ElfError> {
    check_header(bytes)?;
    let bad = ElfError::BadProgramHeaders;
    let entry = u64_at(bytes, 24).ok_or(bad)?;
    let phoff = u64_at(bytes, 32).ok_or(bad)?;
    let phentsize = u64::from(u16_at(bytes, 54).ok_or(bad)?);
    let phnum = u16_at(bytes, 56).ok_or(bad)?;
    if phnum == PN_XNUM {
        return Err(bad);
    }
    let phnum = u64::from(phnum);
    if phnum > 0 {
        let table_end = phentsize
            .checked_mul(phnum)
            .and_then(|size| size.checked_add(phoff));
        if phentsize < PHDR_SIZE || table_end.is_none_or(|end| end > bytes.len() as u64) {
            return Err(bad);
        }
    }

    let mut program = Program {
        entry,
        data: bytes,
        segments: [Segment::default(); MAX_SEGMENTS],
        count: 0,
    };
    for index in 0..phnum {
        // In bounds: the table was checked to lie inside the file.
        let at = phoff + index * phentsize;
        let Some(seg) = load_segment(bytes, at, user_min, user_end)? else {
            continue;
        };
        let slot = program
            .segments
            .get_mut(program.count)
            .ok_or(ElfError::TooManySegments)?;
        *slot = seg;
        program.count += 1;
    }

    let segs = program.segments();
    if segs.is_empty() {
        return Err(ElfError::NoLoadableSegments);
    }
    for (i, a) in segs.iter().enumerate() {
        if segs[i + 1..].iter().any(|b| a.overlaps(b)) {
            return Err(ElfError::Overlap);
        }
    }
    if !segs.iter().any(|s| s.executable && s.contains(entry)) {
        return Err(ElfError::EntryNotExecutable);
    }
    Ok(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_geometry() {
        let a = Segment {
            vaddr: 0x1000,
            mem_size: 0x10,
            ..Segment::default()
        };
        let b = Segment {
            vaddr: 0x1010,
            mem_size: 0x10,
            ..Segment::default()
        };
        assert_eq!(a.end(), 0x1010);
        assert!(a.contains(0x100f) && !a.contains(0x1010) && !a.contains(0xfff));
        assert!(!a.overlaps(&b) && !b.overlaps(&a));
        let c = Segment {
            vaddr: 0x100f,
            mem_size: 1,
            ..Segment::default()
        };
        assert!(a.overlaps(&c) && c.overlaps(&a) && !b.overlaps(&c));
        let huge = Segment {
            vaddr: u64::MAX,
            mem_size: u64::MAX,
            ..Segment::default()
        };
        assert_eq!(huge.end(), u64::MAX);
    }

    #[test]
    fn short_and_foreign_files() {
        assert_eq!(parse(&[], 0, u64::MAX).unwrap_err(), ElfError::TooShort);
        assert_eq!(
            parse(&[0; 63], 0, u64::MAX).unwrap_err(),
            ElfError::TooShort
        );
        assert_eq!(
            parse(&[0; 64], 0, u64::MAX).unwrap_err(),
            ElfError::BadMagic
        );
    }
}
