//! Byte ranges and the arithmetic of `struct flock`'s `l_whence`,
//! `l_start` and `l_len`.

use linux_errno::Errno;

/// The largest file offset (Linux's `OFFSET_MAX`); a range ending here
/// runs to the end of the file however long it grows.
pub const OFFSET_MAX: u64 = i64::MAX as u64;

/// The largest offset a 32-bit `off_t` holds (Linux's `OFFT_OFFSET_MAX`
/// on i386), for `F_GETLK` through the old 32-bit `struct flock`.
pub const OFF32_MAX: u64 = i32::MAX as u64;

/// `l_whence`: from the start of the file.
pub const SEEK_SET: i16 = 0;
/// `l_whence`: from the current position.
pub const SEEK_CUR: i16 = 1;
/// `l_whence`: from the end of the file.
pub const SEEK_END: i16 = 2;

/// An inclusive byte range `[start, end]` with `start <= end <=
/// OFFSET_MAX`; `end == OFFSET_MAX` means "to the end of the file".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Range {
    start: u64,
    end: u64,
}

impl Range {
    /// `[start, end]`; an `end` at or past [`OFFSET_MAX`] (`u64::MAX`
    /// included) means to the end of the file. `None` if `start > end`
    /// or `start` is past `OFFSET_MAX`.
    pub const fn new(start: u64, end: u64) -> Option<Range> {
        let end = if end > OFFSET_MAX { OFFSET_MAX } else { end };
        if start > end {
            None
        } else {
            Some(Range { start, end })
        }
    }

    /// `[start, EOF]` (`start` clamped to `OFFSET_MAX`).
    pub const fn to_eof(start: u64) -> Range {
        let start = if start > OFFSET_MAX {
            OFFSET_MAX
        } else {
            start
        };
        Range {
            start,
            end: OFFSET_MAX,
        }
    }

    /// The whole file.
    pub const ALL: Range = Range {
        start: 0,
        end: OFFSET_MAX,
    };

    /// The first byte.
    pub const fn start(&self) -> u64 {
        self.start
    }

    /// The last byte ([`OFFSET_MAX`] for "to the end of the file").
    pub const fn end(&self) -> u64 {
        self.end
    }

    /// Whether the range runs to the end of the file.
    pub const fn is_to_eof(&self) -> bool {
        self.end == OFFSET_MAX
    }

    /// The `l_len` Linux reports for it: 0 for "to the end of the file",
    /// else its length.
    pub const fn l_len(&self) -> i64 {
        if self.is_to_eof() {
            0
        } else {
            (self.end - self.start + 1) as i64
        }
    }

    /// Whether the two ranges share a byte.
    pub const fn overlaps(&self, other: &Range) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// Whether `byte` lies in the range.
    pub const fn contains(&self, byte: u64) -> bool {
        self.start <= byte && byte <= self.end
    }

    /// The range `l_whence`/`l_start`/`l_len` of a `struct flock` names,
    /// with `pos` the descriptor's position (for `SEEK_CUR`) and `size`
    /// the file's size (for `SEEK_END`), by Linux's rules:
    /// * `l_whence` other than `SEEK_SET`/`SEEK_CUR`/`SEEK_END`: `EINVAL`;
    /// * base + `l_start` past `OFFSET_MAX`: `EOVERFLOW`; below 0: `EINVAL`;
    /// * `l_len > 0`: `l_len` bytes from the start (past `OFFSET_MAX`:
    ///   `EOVERFLOW`);
    /// * `l_len == 0`: from the start to the end of the file;
    /// * `l_len < 0`: the `-l_len` bytes before the start (reaching below 0:
    ///   `EINVAL`).
    pub fn from_flock(
        whence: i16,
        start: i64,
        len: i64,
        pos: u64,
        size: u64,
    ) -> Result<Range, Errno> {
        let base: i128 = match whence {
            SEEK_SET => 0,
            SEEK_CUR => pos.min(OFFSET_MAX) as i128,
            SEEK_END => size.min(OFFSET_MAX) as i128,
            _ => return Err(Errno::EINVAL),
        };
        let max = OFFSET_MAX as i128;
        let start = base + start as i128;
        if start > max {
            return Err(Errno::EOVERFLOW);
        }
        if start < 0 {
            return Err(Errno::EINVAL);
        }
        let len = len as i128;
        let (first, last) = if len > 0 {
            if len - 1 > max - start {
                return Err(Errno::EOVERFLOW);
            }
            (start, start + len - 1)
        } else if len < 0 {
            if start + len < 0 {
                return Err(Errno::EINVAL);
            }
            (start + len, start - 1)
        } else {
            (start, max)
        };
        // `l_len < 0` with `start == 0` was refused above, so `first <= last`.
        Ok(Range {
            start: first as u64,
            end: last as u64,
        })
    }
}
