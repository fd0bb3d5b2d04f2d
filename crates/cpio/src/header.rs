//! The newc header: field order, hex field decoding and encoding, the 4-byte
//! alignment rule, and path normalisation shared by reader and writer.

use crate::error::{CpioError, ErrorKind};

/// Magic of a plain newc archive.
pub const MAGIC_NEWC: &[u8; 6] = b"070701";
/// Magic of a newc archive with checksums (`-H crc`); same layout.
pub const MAGIC_CRC: &[u8; 6] = b"070702";
/// Length of the fixed ASCII header.
pub const HEADER_LEN: usize = 110;
/// Name of the member that ends an archive.
pub const TRAILER: &str = "TRAILER!!!";

/// Number of 8-digit hex fields after the magic.
pub(crate) const FIELDS: usize = 13;
// Field indices, in on-disk order.
pub(crate) const F_INO: usize = 0;
pub(crate) const F_MODE: usize = 1;
pub(crate) const F_UID: usize = 2;
pub(crate) const F_GID: usize = 3;
pub(crate) const F_NLINK: usize = 4;
pub(crate) const F_MTIME: usize = 5;
pub(crate) const F_FILESIZE: usize = 6;
pub(crate) const F_DEVMAJOR: usize = 7;
pub(crate) const F_DEVMINOR: usize = 8;
pub(crate) const F_RDEVMAJOR: usize = 9;
pub(crate) const F_RDEVMINOR: usize = 10;
pub(crate) const F_NAMESIZE: usize = 11;
pub(crate) const F_CHECK: usize = 12;

/// Rounds `n` up to a multiple of 4 (`None` on overflow).
pub(crate) fn align4(n: usize) -> Option<usize> {
    n.checked_add(3).map(|v| v & !3)
}

/// Decodes the thirteen hex fields of the header starting at `base`.
/// `header` must be exactly [`HEADER_LEN`] bytes.
pub(crate) fn decode_fields(header: &[u8], base: usize) -> Result<[u32; FIELDS], CpioError> {
    let magic = header.get(..6);
    if magic != Some(MAGIC_NEWC.as_slice()) && magic != Some(MAGIC_CRC.as_slice()) {
        return Err(CpioError {
            offset: base,
            kind: ErrorKind::BadMagic,
        });
    }
    let mut fields = [0u32; FIELDS];
    for (i, field) in fields.iter_mut().enumerate() {
        let start = 6 + i * 8;
        let digits = header.get(start..start + 8).ok_or(CpioError {
            offset: base,
            kind: ErrorKind::Truncated,
        })?;
        *field = parse_hex(digits).ok_or(CpioError {
            offset: base + start,
            kind: ErrorKind::BadHex,
        })?;
    }
    Ok(fields)
}

fn parse_hex(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = char::from(d).to_digit(16)?;
        Some((acc << 4) | v)
    })
}

/// Strips leading `/` and `./` components and trailing `/` from a path, so
/// that `/etc/motd`, `./etc/motd` and `etc/motd` compare equal; `.` and `/`
/// become the empty string (the root).
pub fn normalize_path(path: &str) -> &str {
    let mut p = path;
    loop {
        if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else {
            break;
        }
    }
    let p = p.trim_end_matches('/');
    if p == "." {
        ""
    } else {
        p
    }
}

/// Appends `value` as 8 upper-case hex digits (what GNU cpio writes).
#[cfg(feature = "alloc")]
pub(crate) fn push_hex(out: &mut alloc::vec::Vec<u8>, value: u32) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for shift in (0..8).rev() {
        out.push(DIGITS[((value >> (shift * 4)) & 0xf) as usize]);
    }
}
