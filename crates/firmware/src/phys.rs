//! Physical-memory access: the [`PhysMem`] trait the kernel implements over
//! its direct map, [`SliceMem`] (one byte slice placed at a physical address),
//! and the checked read helpers every parser in this crate goes through.

use crate::bytes;

/// Longest NUL-terminated string read from physical memory (command lines,
/// module strings, boot loader names); longer strings are cut here.
pub const MAX_STRING_LEN: usize = 64 * 1024;

/// Physical memory access the kernel provides (through its direct map).
pub trait PhysMem {
    /// The `len` bytes starting at physical address `paddr`, or `None` when
    /// any of them is not readable. Implementations must not panic for any
    /// `paddr`/`len`; a returned slice shorter than `len` is treated as `None`.
    fn read(&self, paddr: u64, len: usize) -> Option<&[u8]>;
}

impl<T: PhysMem + ?Sized> PhysMem for &T {
    fn read(&self, paddr: u64, len: usize) -> Option<&[u8]> {
        (**self).read(paddr, len)
    }
}

/// A [`PhysMem`] made of one byte slice that starts at physical address `base`;
/// everything outside it is unreadable.
#[derive(Clone, Copy, Debug)]
pub struct SliceMem<'a> {
    base: u64,
    bytes: &'a [u8],
}

impl<'a> SliceMem<'a> {
    /// `bytes` seen at physical addresses `base..base + bytes.len()`.
    pub const fn new(base: u64, bytes: &'a [u8]) -> Self {
        Self { base, bytes }
    }
}

impl PhysMem for SliceMem<'_> {
    fn read(&self, paddr: u64, len: usize) -> Option<&[u8]> {
        let off = usize::try_from(paddr.checked_sub(self.base)?).ok()?;
        self.bytes.get(off..off.checked_add(len)?)
    }
}

/// Exactly `len` bytes at `paddr`, refusing ranges that wrap the address space
/// and slices shorter than asked for.
pub(crate) fn read_exact<M: PhysMem + ?Sized>(mem: &M, paddr: u64, len: usize) -> Option<&[u8]> {
    paddr.checked_add(u64::try_from(len).ok()?)?;
    mem.read(paddr, len)?.get(..len)
}

/// The longest readable prefix (at most `max` bytes) of the memory at `paddr`,
/// assuming readability does not have holes inside one range.
pub(crate) fn read_prefix<M: PhysMem + ?Sized>(mem: &M, paddr: u64, max: usize) -> &[u8] {
    if let Some(all) = read_exact(mem, paddr, max) {
        return all;
    }
    // Invariant: `lo` bytes are readable (0 trivially), `hi` bytes are not.
    let (mut lo, mut hi) = (0usize, max);
    let mut best: &[u8] = &[];
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match read_exact(mem, paddr, mid) {
            Some(s) => {
                lo = mid;
                best = s;
            }
            None => hi = mid,
        }
    }
    best
}

/// The little-endian `u16` at `paddr`.
pub(crate) fn read_u16<M: PhysMem + ?Sized>(mem: &M, paddr: u64) -> Option<u16> {
    bytes::u16_at(read_exact(mem, paddr, 2)?, 0)
}

/// The little-endian `u32` at `paddr`.
pub(crate) fn read_u32<M: PhysMem + ?Sized>(mem: &M, paddr: u64) -> Option<u32> {
    bytes::u32_at(read_exact(mem, paddr, 4)?, 0)
}

/// A NUL-terminated string at `paddr`, cut at the NUL, at the end of readable
/// memory, at [`MAX_STRING_LEN`] bytes, and before any invalid UTF-8.
///
/// Also returns how many bytes of memory the string occupies (including its
/// NUL when one was found), for the boot-structure extents.
pub(crate) fn read_cstr<M: PhysMem + ?Sized>(mem: &M, paddr: u64) -> (&str, u64) {
    let raw = read_prefix(mem, paddr, MAX_STRING_LEN);
    let text = bytes::until_nul(raw);
    let footprint = if text.len() < raw.len() {
        text.len() + 1
    } else {
        text.len()
    };
    (bytes::utf8_prefix(text), footprint as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_mem_bounds() {
        let data = [1u8, 2, 3, 4];
        let m = SliceMem::new(0x1000, &data);
        assert_eq!(m.read(0x1000, 4), Some(&data[..]));
        assert_eq!(m.read(0x1002, 2), Some(&data[2..]));
        assert_eq!(m.read(0x1002, 3), None);
        assert_eq!(m.read(0xfff, 1), None);
        assert_eq!(m.read(u64::MAX, usize::MAX), None);
        assert_eq!(read_exact(&m, u64::MAX, 2), None);
    }

    #[test]
    fn prefix_stops_at_end_of_memory() {
        let data = *b"hello";
        let m = SliceMem::new(0x2000, &data);
        assert_eq!(read_prefix(&m, 0x2001, 100), b"ello");
        assert_eq!(read_prefix(&m, 0x3000, 100), b"");
        assert_eq!(read_cstr(&m, 0x2000), ("hello", 5));
    }

    #[test]
    fn cstr_with_nul_counts_it() {
        let data = *b"ab\0cd";
        let m = SliceMem::new(0, &data);
        assert_eq!(read_cstr(&m, 0), ("ab", 3));
        assert_eq!(read_cstr(&m, 2), ("", 1));
    }
}
