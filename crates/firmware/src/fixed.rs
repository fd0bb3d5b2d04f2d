//! `FixedVec`: a fixed-capacity, allocation-free list of `Copy` items that
//! counts what did not fit instead of failing.

use core::fmt;

/// Up to `N` items stored inline; pushes past capacity are counted as dropped.
#[derive(Clone, Copy)]
pub(crate) struct FixedVec<T: Copy, const N: usize> {
    items: [T; N],
    len: usize,
    dropped: usize,
}

impl<T: Copy, const N: usize> FixedVec<T, N> {
    /// An empty list; `fill` only initialises the unused slots.
    pub(crate) const fn new(fill: T) -> Self {
        Self {
            items: [fill; N],
            len: 0,
            dropped: 0,
        }
    }

    /// Appends `v`, or counts it as dropped when full. Returns whether it was kept.
    pub(crate) fn push(&mut self, v: T) -> bool {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = v;
                self.len += 1;
                true
            }
            None => {
                self.dropped = self.dropped.saturating_add(1);
                false
            }
        }
    }

    /// The items stored so far.
    pub(crate) fn as_slice(&self) -> &[T] {
        self.items.get(..self.len).unwrap_or(&[])
    }

    /// The items stored so far, mutably.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        self.items.get_mut(..self.len).unwrap_or(&mut [])
    }

    /// How many pushes did not fit.
    pub(crate) fn dropped(&self) -> usize {
        self.dropped
    }

    /// True when no further item fits.
    pub(crate) fn is_full(&self) -> bool {
        self.len >= N
    }
}

impl<T: Copy + fmt::Debug, const N: usize> fmt::Debug for FixedVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::FixedVec;

    #[test]
    fn push_until_full_then_count() {
        let mut v: FixedVec<u8, 2> = FixedVec::new(0);
        assert!(v.push(1));
        assert!(!v.is_full());
        assert!(v.push(2));
        assert!(v.is_full());
        assert!(!v.push(3));
        assert_eq!(v.as_slice(), &[1, 2]);
        assert_eq!(v.dropped(), 1);
    }
}
