//! [`ElfError`]: every reason [`crate::parse`] refuses a file.

use core::fmt;

/// Why an ELF file cannot be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than the 64-byte ELF64 header.
    TooShort,
    /// Does not start with `\x7fELF`.
    BadMagic,
    /// Not a 64-bit ELF file (`EI_CLASS` is not `ELFCLASS64`).
    NotElf64,
    /// Not little endian (`EI_DATA` is not `ELFDATA2LSB`).
    NotLittleEndian,
    /// Not built for x86_64 (`e_machine` is not `EM_X86_64`).
    WrongMachine,
    /// Not a static executable (`e_type` is not `ET_EXEC`).
    NotExecutable,
    /// The program-header table is malformed or lies outside the file.
    BadProgramHeaders,
    /// More loadable segments than [`crate::MAX_SEGMENTS`].
    TooManySegments,
    /// A segment's file bytes lie outside the file.
    SegmentOutsideFile,
    /// A segment has more file bytes than memory bytes.
    FileSizeExceedsMemSize,
    /// A segment's end address overflows 64 bits.
    AddressOverflow,
    /// A segment lies (partly) outside the allowed user range.
    OutsideUserRange,
    /// Two segments share virtual bytes.
    Overlap,
    /// The entry point is not inside an executable segment.
    EntryNotExecutable,
    /// The file has no loadable segment with memory bytes.
    NoLoadableSegments,
}

impl ElfError {
    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            ElfError::TooShort => "file shorter than the ELF header",
            ElfError::BadMagic => "not an ELF file (bad magic)",
            ElfError::NotElf64 => "not a 64-bit ELF file",
            ElfError::NotLittleEndian => "not little endian",
            ElfError::WrongMachine => "not an x86_64 file",
            ElfError::NotExecutable => "not a static executable (ET_EXEC)",
            ElfError::BadProgramHeaders => "malformed program-header table",
            ElfError::TooManySegments => "too many loadable segments",
            ElfError::SegmentOutsideFile => "segment data outside the file",
            ElfError::FileSizeExceedsMemSize => "segment file size exceeds its memory size",
            ElfError::AddressOverflow => "segment address range overflows",
            ElfError::OutsideUserRange => "segment outside the user address range",
            ElfError::Overlap => "segments overlap",
            ElfError::EntryNotExecutable => "entry point not in an executable segment",
            ElfError::NoLoadableSegments => "no loadable segments",
        }
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}
