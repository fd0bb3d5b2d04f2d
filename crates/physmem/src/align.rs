//! Page alignment arithmetic on `u64` physical addresses, without overflow.

use crate::map::PAGE_SIZE;

/// `addr` rounded down to a page boundary.
pub(crate) const fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// `addr` rounded up to a page boundary, or `None` if that is past `u64::MAX`.
pub(crate) const fn page_up(addr: u64) -> Option<u64> {
    match addr.checked_add(PAGE_SIZE - 1) {
        Some(a) => Some(page_down(a)),
        None => None,
    }
}

/// `addr` rounded up to a page boundary, saturating at the last page boundary
/// that `u64` can hold (for exclusive ends of ranges).
pub(crate) const fn page_up_saturating(addr: u64) -> u64 {
    match page_up(addr) {
        Some(a) => a,
        None => page_down(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(page_down(4097), 4096);
        assert_eq!(page_down(4096), 4096);
        assert_eq!(page_up(1), Some(4096));
        assert_eq!(page_up(0), Some(0));
        assert_eq!(page_up(u64::MAX), None);
        assert_eq!(page_up(page_down(u64::MAX)), Some(page_down(u64::MAX)));
        assert_eq!(page_up_saturating(u64::MAX), page_down(u64::MAX));
    }
}
