//! [`Region`]: a half-open range of physical addresses and its kind.

use core::fmt;

use super::RegionKind;

/// Physical addresses `start..end` (end exclusive), all of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    /// First address in the region.
    pub start: u64,
    /// First address after the region.
    pub end: u64,
    /// What the region holds.
    pub kind: RegionKind,
}

impl Region {
    /// The region `start..end` of `kind`.
    pub const fn new(start: u64, end: u64, kind: RegionKind) -> Self {
        Self { start, end, kind }
    }

    /// Its size in bytes (0 if `end <= start`).
    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// True when it holds no address.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// True when `addr` lies in it.
    pub const fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }
}

/// `[0x0000000000100000, 0x0000000000200000) kernel`
impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{:#018x}, {:#018x}) {}",
            self.start, self.end, self.kind
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn basics() {
        let r = Region::new(0x1000, 0x3000, RegionKind::Kernel);
        assert_eq!(r.len(), 0x2000);
        assert!(!r.is_empty());
        assert!(r.contains(0x1000) && r.contains(0x2fff) && !r.contains(0x3000));
        assert!(Region::new(5, 5, RegionKind::Bad).is_empty());
        assert_eq!(Region::new(6, 5, RegionKind::Bad).len(), 0);
        assert_eq!(
            format!("{r}"),
            "[0x0000000000001000, 0x0000000000003000) kernel"
        );
    }
}
