//! Errors reported while reading an archive, each with the byte offset at
//! which the problem was found.

use core::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The header does not start with `070701` or `070702`.
    BadMagic,
    /// A header field is not 8 hexadecimal digits.
    BadHex,
    /// The input ends inside a header, or before `TRAILER!!!`.
    Truncated,
    /// `namesize` is zero or the name's last byte is not NUL.
    NameNotTerminated,
    /// The name is not UTF-8.
    NameNotUtf8,
    /// The name runs past the end of the input.
    NamePastEnd,
    /// The file data runs past the end of the input.
    DataPastEnd,
}

/// An error with the offset of the member header (or field) it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpioError {
    /// Byte offset into the archive.
    pub offset: usize,
    /// The kind of error.
    pub kind: ErrorKind,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::BadMagic => "bad magic (not a newc cpio header)",
            ErrorKind::BadHex => "header field is not 8 hex digits",
            ErrorKind::Truncated => "archive truncated (no TRAILER!!!)",
            ErrorKind::NameNotTerminated => "name is not NUL-terminated",
            ErrorKind::NameNotUtf8 => "name is not UTF-8",
            ErrorKind::NamePastEnd => "name runs past the end of the archive",
            ErrorKind::DataPastEnd => "file data runs past the end of the archive",
        })
    }
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpio: {} at offset {}", self.kind, self.offset)
    }
}

impl core::error::Error for CpioError {}
