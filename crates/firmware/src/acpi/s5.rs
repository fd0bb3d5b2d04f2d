//! The `\_S5_` (soft-off) sleep type, found by a byte-pattern search of AML
//! rather than an interpreter.
//!
//! Pattern: NameOp `0x08` (optionally followed by the root prefix `\`), the
//! name `_S5_`, PackageOp `0x12`, a PkgLength (1–4 bytes), NumElements, then
//! integers encoded as ZeroOp `0x00`, OneOp `0x01`, BytePrefix `0x0A b`,
//! WordPrefix `0x0B w`, DWordPrefix `0x0C d` or QWordPrefix `0x0E q` (wider
//! values must fit 16 bits). A package with a single element holds
//! SLP_TYPa in its low byte and SLP_TYPb in the next byte. An `_S5_` computed
//! by a method, or hidden in a conditional, is not found.

/// The SLP_TYP values to write into PM1a/PM1b control (bits 10..13) together
/// with SLP_EN to enter a sleep state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SleepType {
    /// For PM1a_CNT.
    pub slp_typ_a: u16,
    /// For PM1b_CNT.
    pub slp_typ_b: u16,
}

const NAME_OP: u8 = 0x08;
const ROOT_PREFIX: u8 = b'\\';
const PACKAGE_OP: u8 = 0x12;

/// Decodes an AML PkgLength at the start of `b`: returns the length (which
/// counts the PkgLength bytes themselves) and how many bytes encode it.
///
/// Lead byte bits 7–6 give the number of following bytes (0–3). With none,
/// bits 5–0 are the length; otherwise bits 3–0 are the low nibble and each
/// following byte supplies the next 8 bits (bits 5–4 must then be zero).
pub(crate) fn decode_pkg_length(b: &[u8]) -> Option<(usize, usize)> {
    let lead = *b.first()?;
    let follow = usize::from(lead >> 6);
    if follow == 0 {
        return Some((usize::from(lead & 0x3F), 1));
    }
    if lead & 0x30 != 0 {
        return None;
    }
    let mut len = u32::from(lead & 0x0F);
    for i in 0..follow {
        let byte = u32::from(*b.get(1 + i)?);
        len |= byte << (4 + 8 * i);
    }
    Some((usize::try_from(len).ok()?, 1 + follow))
}

/// Reads one AML integer constant at `*pos` in `b`, advancing `*pos`.
fn integer(b: &[u8], pos: &mut usize) -> Option<u64> {
    let op = *b.get(*pos)?;
    let width = match op {
        0x00 | 0x01 => {
            *pos += 1;
            return Some(u64::from(op));
        }
        0x0A => 1,
        0x0B => 2,
        0x0C => 4,
        0x0E => 8,
        _ => return None,
    };
    let start = pos.checked_add(1)?;
    let bytes = b.get(start..start.checked_add(width)?)?;
    *pos = start + width;
    Some(
        bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    )
}

/// Decodes the package that starts at `b[0]` (the PackageOp).
fn package(b: &[u8]) -> Option<SleepType> {
    if *b.first()? != PACKAGE_OP {
        return None;
    }
    let body = b.get(1..)?;
    let (pkg_len, len_bytes) = decode_pkg_length(body)?;
    let end = pkg_len.min(body.len());
    let contents = body.get(len_bytes..end)?;
    let count = *contents.first()?;
    let mut pos = 1;
    let to_u16 = |v: u64| u16::try_from(v).ok();
    match count {
        0 => None,
        1 => {
            let v = integer(contents, &mut pos)?;
            Some(SleepType {
                slp_typ_a: to_u16(v & 0xFF)?,
                slp_typ_b: to_u16((v >> 8) & 0xFF)?,
            })
        }
        _ => {
            let a = to_u16(integer(contents, &mut pos)?)?;
            let b = to_u16(integer(contents, &mut pos)?)?;
            Some(SleepType {
                slp_typ_a: a,
                slp_typ_b: b,
            })
        }
    }
}

/// Finds `Name(_S5_, Package(){…})` in `dsdt_aml` (the AML, with or without
/// the table header) and returns its first two integers. Occurrences that do
/// not decode are skipped and the search goes on.
pub fn find_s5(dsdt_aml: &[u8]) -> Option<SleepType> {
    dsdt_aml
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"_S5_")
        .filter(|&(i, _)| {
            let before = |back: usize| i.checked_sub(back).and_then(|j| dsdt_aml.get(j)).copied();
            before(1) == Some(NAME_OP)
                || (before(1) == Some(ROOT_PREFIX) && before(2) == Some(NAME_OP))
        })
        .find_map(|(i, _)| package(dsdt_aml.get(i + 4..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkg_length_one_byte() {
        assert_eq!(decode_pkg_length(&[0x06]), Some((6, 1)));
        assert_eq!(decode_pkg_length(&[0x3F]), Some((63, 1)));
    }

    #[test]
    fn pkg_length_two_to_four_bytes() {
        // 0x4A 0x01 -> low nibble 0xA, next byte 0x01 << 4 = 0x1A.
        assert_eq!(decode_pkg_length(&[0x4A, 0x01]), Some((0x1A, 2)));
        assert_eq!(decode_pkg_length(&[0x81, 0x23, 0x45]), Some((0x45231, 3)));
        assert_eq!(
            decode_pkg_length(&[0xCF, 0xFF, 0xFF, 0xFF]),
            Some((0x0FFF_FFFF, 4))
        );
    }

    #[test]
    fn pkg_length_bad() {
        assert_eq!(decode_pkg_length(&[]), None);
        assert_eq!(decode_pkg_length(&[0x41]), None); // missing follow byte
        assert_eq!(decode_pkg_length(&[0x51, 0x00]), None); // reserved bits set
    }

    #[test]
    fn integers() {
        let b = [
            0x00, 0x01, 0x0A, 0x05, 0x0B, 0x34, 0x12, 0x0C, 1, 0, 0, 0, 0xFF,
        ];
        let mut pos = 0;
        assert_eq!(integer(&b, &mut pos), Some(0));
        assert_eq!(integer(&b, &mut pos), Some(1));
        assert_eq!(integer(&b, &mut pos), Some(5));
        assert_eq!(integer(&b, &mut pos), Some(0x1234));
        assert_eq!(integer(&b, &mut pos), Some(1));
        assert_eq!(integer(&b, &mut pos), None); // OnesOp is not accepted
        assert_eq!(integer(&[0x0B, 0x01], &mut 0), None); // truncated
    }

    #[test]
    fn single_element_package_splits_bytes() {
        let aml = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x05, 0x01, 0x0B, 0x07, 0x06,
        ];
        assert_eq!(
            find_s5(&aml),
            Some(SleepType {
                slp_typ_a: 7,
                slp_typ_b: 6
            })
        );
    }

    #[test]
    fn skips_bad_occurrence_and_finds_next() {
        let mut aml = vec![0x14, b'_', b'S', b'5', b'_', 0x00]; // MethodOp, not NameOp
        aml.extend_from_slice(&[0x08, b'_', b'S', b'5', b'_', 0x13]); // not a package
        aml.extend_from_slice(&[0x08, b'_', b'S', b'5', b'_', 0x12, 0x04, 0x02, 0x0A, 0x03]);
        aml.extend_from_slice(&[
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x06, 0x02, 0x0A, 0x03, 0x0A, 0x04,
        ]);
        assert_eq!(
            find_s5(&aml),
            Some(SleepType {
                slp_typ_a: 3,
                slp_typ_b: 4
            })
        );
    }

    #[test]
    fn wide_values_must_fit() {
        let aml = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x0C, 0x02, 0x0C, 0, 0, 1, 0, 0x0C, 5, 0, 0, 0,
        ];
        assert_eq!(find_s5(&aml), None);
    }
}
