//! Errors as values: every failure of the format logic, from the device up.

use core::fmt;

/// A block device's failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevError {
    /// The block lies past the end of the device.
    OutOfRange,
    /// The device reported an I/O error.
    Io,
}

/// Why an operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The block device failed.
    Device(DevError),
    /// Not an ext2 file system (no magic number in the superblock).
    NotExt2,
    /// A feature or format revision this crate does not implement; the
    /// text names it. Such an image is refused (incompatible features) or
    /// opened read-only (read-only-compatible features).
    Unsupported(&'static str),
    /// The metadata contradicts itself or the format; the text says where.
    Corrupt(&'static str),
    /// The file system is open read-only.
    ReadOnly,
    /// No such name, or no such inode.
    NotFound,
    /// The name already exists.
    Exists,
    /// A directory was needed.
    NotDir,
    /// A directory was not allowed here.
    IsDir,
    /// The directory still has entries.
    NotEmpty,
    /// No free blocks or no free inodes.
    NoSpace,
    /// A name longer than 255 bytes.
    NameTooLong,
    /// The operation's arguments are not allowed (an empty name, a name
    /// with `/` or NUL, `.` or `..` as a target, a directory moved into
    /// itself, a symlink target too long); the text says which.
    Invalid(&'static str),
    /// The link count would pass ext2's limit (32000).
    TooManyLinks,
    /// The file would pass the largest size the block map can address.
    FileTooLarge,
}

impl From<DevError> for Error {
    fn from(e: DevError) -> Error {
        Error::Device(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Device(DevError::OutOfRange) => f.write_str("block past the end of the device"),
            Error::Device(DevError::Io) => f.write_str("device I/O error"),
            Error::NotExt2 => f.write_str("not an ext2 file system"),
            Error::Unsupported(what) => write!(f, "unsupported: {what}"),
            Error::Corrupt(what) => write!(f, "corrupt file system: {what}"),
            Error::ReadOnly => f.write_str("read-only file system"),
            Error::NotFound => f.write_str("no such file or directory"),
            Error::Exists => f.write_str("file exists"),
            Error::NotDir => f.write_str("not a directory"),
            Error::IsDir => f.write_str("is a directory"),
            Error::NotEmpty => f.write_str("directory not empty"),
            Error::NoSpace => f.write_str("no space left on device"),
            Error::NameTooLong => f.write_str("file name too long"),
            Error::Invalid(what) => write!(f, "invalid argument: {what}"),
            Error::TooManyLinks => f.write_str("too many links"),
            Error::FileTooLarge => f.write_str("file too large"),
        }
    }
}

/// Results of this crate.
pub type Result<T> = core::result::Result<T, Error>;
