//! Bounds-checked little-endian decoding of byte slices, C-string cutting and
//! the ACPI byte checksum. Every accessor returns `None` instead of indexing
//! out of bounds.

/// The `N` bytes at `off`, if they are all inside `b`.
pub(crate) fn array_at<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    let end = off.checked_add(N)?;
    b.get(off..end)?.try_into().ok()
}

/// The byte at `off`.
pub(crate) fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

/// The little-endian `u16` at `off`.
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    array_at(b, off).map(u16::from_le_bytes)
}

/// The little-endian `u32` at `off`.
pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    array_at(b, off).map(u32::from_le_bytes)
}

/// The little-endian `u64` at `off`.
pub(crate) fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    array_at(b, off).map(u64::from_le_bytes)
}

/// The bytes before the first NUL (all of `b` if there is none).
pub(crate) fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => b.get(..n).unwrap_or(b),
        None => b,
    }
}

/// The longest prefix of `b` that is valid UTF-8.
pub(crate) fn utf8_prefix(b: &[u8]) -> &str {
    match core::str::from_utf8(b) {
        Ok(s) => s,
        Err(e) => b
            .get(..e.valid_up_to())
            .and_then(|p| core::str::from_utf8(p).ok())
            .unwrap_or(""),
    }
}

/// A NUL-terminated string stored inside `b`: cut at the NUL (or the end of
/// `b`), then at the first invalid UTF-8 sequence.
pub(crate) fn cstr_in(b: &[u8]) -> &str {
    utf8_prefix(until_nul(b))
}

/// True when the bytes of `b` sum to zero modulo 256 (the ACPI checksum rule).
pub(crate) fn checksum_ok(b: &[u8]) -> bool {
    b.iter().fold(0u8, |acc, &x| acc.wrapping_add(x)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_and_out_of_bounds() {
        let b = [1u8, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(u16_at(&b, 0), Some(0x0201));
        assert_eq!(u32_at(&b, 5), Some(0x0908_0706));
        assert_eq!(u32_at(&b, 6), None);
        assert_eq!(u64_at(&b, 1), Some(0x0908_0706_0504_0302));
        assert_eq!(u64_at(&b, usize::MAX), None);
        assert_eq!(u8_at(&b, 9), None);
    }

    #[test]
    fn cstrings() {
        assert_eq!(cstr_in(b"abc\0def"), "abc");
        assert_eq!(cstr_in(b"abc"), "abc");
        assert_eq!(cstr_in(b"ab\xffc\0"), "ab");
        assert_eq!(cstr_in(b"\0"), "");
        // A multi-byte sequence cut in the middle is dropped whole.
        assert_eq!(cstr_in(b"x\xc3"), "x");
    }

    #[test]
    fn checksums() {
        assert!(checksum_ok(&[]));
        assert!(checksum_ok(&[0x80, 0x80]));
        assert!(!checksum_ok(&[1]));
    }
}
