//! Word-level helpers for bitmaps stored as `u64` slices: which bits of which
//! words a range of bit indices covers, and finding set or clear bits fast.

/// Bits `lo..hi` of a word, for `lo < hi <= 64`.
const fn span(lo: u64, hi: u64) -> u64 {
    (u64::MAX >> (64 - (hi - lo))) << lo
}

/// The words and masks covering bit indices `start..end`: each item is
/// `(word index, bits of that word inside the range)`. Empty when
/// `start >= end`. The caller keeps `end` within the bitmap.
pub(crate) fn masks(start: u64, end: u64) -> impl Iterator<Item = (usize, u64)> {
    let first = start / 64;
    let last = if start < end { end.div_ceil(64) } else { first };
    (first..last).map(move |w| {
        let base = w * 64;
        let lo = start.max(base) - base;
        let hi = end.min(base + 64) - base;
        (w as usize, span(lo, hi))
    })
}

/// The first index in `from..limit` whose bit is set in `bits`.
pub(crate) fn first_set(bits: &[u64], from: u64, limit: u64) -> Option<u64> {
    masks(from, limit).find_map(|(w, mask)| {
        let hits = bits[w] & mask;
        (hits != 0).then(|| w as u64 * 64 + u64::from(hits.trailing_zeros()))
    })
}

/// The first index in `from..limit` whose bit is clear in `bits`.
pub(crate) fn first_clear(bits: &[u64], from: u64, limit: u64) -> Option<u64> {
    masks(from, limit).find_map(|(w, mask)| {
        let misses = !bits[w] & mask;
        (misses != 0).then(|| w as u64 * 64 + u64::from(misses.trailing_zeros()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn masks_cover_exactly_the_range() {
        assert_eq!(masks(3, 3).count(), 0);
        assert_eq!(masks(9, 3).count(), 0);
        assert_eq!(masks(0, 64).collect::<Vec<_>>(), [(0, u64::MAX)]);
        assert_eq!(masks(3, 5).collect::<Vec<_>>(), [(0, 0b11000)]);
        assert_eq!(
            masks(62, 130).collect::<Vec<_>>(),
            [(0, 0b11 << 62), (1, u64::MAX), (2, 0b11)]
        );
        assert_eq!(masks(128, 129).collect::<Vec<_>>(), [(2, 1)]);
    }

    #[test]
    fn first_set_and_clear_respect_bounds() {
        let bits = [0b1010u64, 0, 1 << 63];
        assert_eq!(first_set(&bits, 0, 192), Some(1));
        assert_eq!(first_set(&bits, 2, 192), Some(3));
        assert_eq!(first_set(&bits, 4, 192), Some(191));
        assert_eq!(first_set(&bits, 4, 191), None);
        assert_eq!(first_clear(&bits, 0, 192), Some(0));
        assert_eq!(first_clear(&bits, 1, 192), Some(2));
        let full = [u64::MAX; 2];
        assert_eq!(first_clear(&full, 0, 128), None);
        assert_eq!(first_set(&full, 127, 128), Some(127));
    }
}
