//! Little-endian field access at byte offsets, never panicking: an offset
//! past the end reads as zero and writes nothing (callers only use offsets
//! inside the fixed-size structures they hold).

fn arr<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    off.checked_add(N)
        .and_then(|end| b.get(off..end))
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; N])
}

fn put<const N: usize>(b: &mut [u8], off: usize, v: [u8; N]) {
    if let Some(s) = off.checked_add(N).and_then(|end| b.get_mut(off..end)) {
        s.copy_from_slice(&v);
    }
}

/// The byte at `off`.
pub fn get8(b: &[u8], off: usize) -> u8 {
    b.get(off).copied().unwrap_or(0)
}

/// The 16-bit field at `off`.
pub fn get16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(arr(b, off))
}

/// The 32-bit field at `off`.
pub fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(arr(b, off))
}

/// Stores a byte at `off`.
pub fn put8(b: &mut [u8], off: usize, v: u8) {
    if let Some(x) = b.get_mut(off) {
        *x = v;
    }
}

/// Stores a 16-bit field at `off`.
pub fn put16(b: &mut [u8], off: usize, v: u16) {
    put(b, off, v.to_le_bytes());
}

/// Stores a 32-bit field at `off`.
pub fn put32(b: &mut [u8], off: usize, v: u32) {
    put(b, off, v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_is_zero_and_ignored() {
        let mut b = [1u8, 2, 3];
        assert_eq!(get16(&b, 1), 0x0302);
        assert_eq!(get32(&b, 0), 0);
        assert_eq!(get16(&b, usize::MAX), 0);
        put32(&mut b, 1, 7);
        put16(&mut b, usize::MAX, 7);
        assert_eq!(b, [1, 2, 3]);
        put16(&mut b, 1, 0xaabb);
        assert_eq!(b, [1, 0xbb, 0xaa]);
    }
}
