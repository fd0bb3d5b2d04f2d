//! The boot memory map: a fixed-capacity list of [`Region`]s built from the
//! boot loader's raw entries, normalised (sorted, overlaps resolved, touching
//! regions merged), with the kernel's own memory carved out, and the
//! page-aligned usable extents read from it.

mod error;
mod kind;
mod region;
mod resolve;

pub use error::MapError;
pub use kind::RegionKind;
pub use region::Region;
pub use resolve::Resolved;

use crate::align::{page_down, page_up};

/// The size of a page and of a physical frame, in bytes.
pub const PAGE_SIZE: u64 = 4096;

/// A physical memory map holding at most `N` regions, without allocation.
///
/// Raw entries go in with [`add`](Self::add) in any order, overlapping or
/// not; [`normalize`](Self::normalize) sorts them, gives every address the
/// strongest [`RegionKind`] among the entries covering it (see
/// [`RegionKind::precedence`]), and merges touching regions of one kind.
/// Because the strongest kind wins, the result does not depend on the order
/// of the `add` and [`reserve`](Self::reserve) calls.
///
/// The queries ([`usable_frames`](Self::usable_frames),
/// [`usable_bytes`](Self::usable_bytes), …) always see the resolved map,
/// normalised or not; only [`regions`](Self::regions) shows the raw entries
/// until `normalize` has run.
///
/// `normalize` and `reserve` build their result in a stack buffer of `N`
/// regions (24 bytes each on x86_64) and resolve overlaps in O(n²) time, so
/// pick `N` with the boot stack in mind; 128 is plenty for PC firmware maps.
#[derive(Debug, Clone)]
pub struct MemoryMap<const N: usize> {
    regions: [Region; N],
    len: usize,
    /// `regions[..len]` is already in normalised form.
    normalized: bool,
}

const FILLER: Region = Region::new(0, 0, RegionKind::Usable);

impl<const N: usize> MemoryMap<N> {
    /// An empty map (no memory at all).
    pub const fn new() -> Self {
        Self {
            regions: [FILLER; N],
            len: 0,
            normalized: true,
        }
    }

    /// Adds a raw entry `start..start + len` of `kind`. A zero-length entry is
    /// ignored; an end past `u64::MAX` is cut at `u64::MAX`.
    ///
    /// When the map is full it is normalised first to make room (that does
    /// not change what it describes). `Err(MapError::Full)` if there is still
    /// no room; the map then describes the same memory as before.
    pub fn add(&mut self, start: u64, len: u64, kind: RegionKind) -> Result<(), MapError> {
        let end = start.saturating_add(len);
        if end <= start {
            return Ok(());
        }
        self.append(Region::new(start, end, kind))
    }

    /// Claims `start..end` (end exclusive) for `kind`: usable memory there is
    /// carved out (splitting a usable region if need be), while memory that is
    /// already of a stronger kind keeps it. Use it for the kernel image, boot
    /// modules, boot-info structures, or memory found to be bad. An empty
    /// range is ignored. The map is normalised afterwards.
    ///
    /// `Err(MapError::UsableReservation)` if `kind` is `Usable`;
    /// `Err(MapError::Full)` if the result does not fit in `N` regions, and
    /// then the map is left untouched.
    pub fn reserve(&mut self, start: u64, end: u64, kind: RegionKind) -> Result<(), MapError> {
        if kind.is_usable() {
            return Err(MapError::UsableReservation);
        }
        if end <= start {
            return Ok(());
        }
        self.rebuild(Some(Region::new(start, end, kind)))
    }

    /// Puts the map in normal form: regions sorted by start, not
    /// overlapping, non-empty, each address of the strongest kind that any
    /// entry gave it, and no two touching regions of the same kind.
    ///
    /// Resolving overlaps can split regions, so the result may need more
    /// slots than there are entries: `Err(MapError::Full)` if it needs more
    /// than `N`, and the map is left untouched.
    pub fn normalize(&mut self) -> Result<(), MapError> {
        if self.normalized {
            return Ok(());
        }
        self.rebuild(None)
    }

    /// True when [`regions`](Self::regions) is in normal form.
    pub fn is_normalized(&self) -> bool {
        self.normalized
    }

    /// The stored regions: the normal form after [`normalize`](Self::normalize)
    /// (or [`reserve`](Self::reserve)), the raw entries before.
    pub fn regions(&self) -> &[Region] {
        self.regions.get(..self.len).unwrap_or(&[])
    }

    /// The regions in normal form, computed on the fly from the stored
    /// entries whether or not the map has been normalised (O(n²)
    /// comparisons for n entries; no memory needed).
    pub fn resolved(&self) -> Resolved<'_> {
        Resolved::new(self.regions(), None)
    }

    /// Replaces the regions by the normal form of the stored entries plus
    /// `extra`, built in a stack buffer so that nothing changes on failure.
    fn rebuild(&mut self, extra: Option<Region>) -> Result<(), MapError> {
        let mut out = [FILLER; N];
        let mut count = 0;
        for region in Resolved::new(self.regions(), extra) {
            *out.get_mut(count).ok_or(MapError::Full)? = region;
            count += 1;
        }
        self.regions = out;
        self.len = count;
        self.normalized = true;
        Ok(())
    }

    /// The usable extents `(start, end)`, end exclusive, each usable region
    /// shrunk inward to page boundaries; extents without a whole page are
    /// skipped. Sorted and disjoint.
    pub fn usable_frames(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.resolved().filter_map(|r| {
            if !r.kind.is_usable() {
                return None;
            }
            let start = page_up(r.start)?;
            let end = page_down(r.end);
            (start < end).then_some((start, end))
        })
    }

    /// Total bytes in [`usable_frames`](Self::usable_frames).
    pub fn usable_bytes(&self) -> u64 {
        self.usable_frames().map(|(start, end)| end - start).sum()
    }

    /// The end of the highest usable extent (page-aligned), or 0 if there is
    /// no usable page. A frame allocator covering `0..highest_usable_end()`
    /// can manage every usable frame.
    pub fn highest_usable_end(&self) -> u64 {
        self.usable_frames().map(|(_, end)| end).max().unwrap_or(0)
    }

    /// The lowest page-aligned address at or above `min_addr` where `bytes`
    /// (rounded up to whole pages, at least one) fit inside one usable
    /// extent; e.g. a home for the frame allocator's bitmap. Claim the place
    /// afterwards (with [`reserve`](Self::reserve), or by removing it from the
    /// frame allocator) so nothing else gets it.
    pub fn find_usable(&self, bytes: u64, min_addr: u64) -> Option<u64> {
        let size = page_up(bytes.max(1))?;
        let min_addr = page_up(min_addr)?;
        self.usable_frames().find_map(|(start, end)| {
            let start = start.max(min_addr);
            let fits = start.checked_add(size).is_some_and(|e| e <= end);
            fits.then_some(start)
        })
    }

    /// Stores `region`, keeping the normal form when it simply extends or
    /// follows the last region of a normalised map.
    fn append(&mut self, region: Region) -> Result<(), MapError> {
        if self.extend_last(region) {
            return Ok(());
        }
        if self.len == N && !self.normalized {
            self.normalize()?;
            if self.extend_last(region) {
                return Ok(());
            }
        }
        let follows = match self.regions().last() {
            Some(last) => last.end <= region.start,
            None => true,
        };
        let slot = self.regions.get_mut(self.len).ok_or(MapError::Full)?;
        *slot = region;
        self.len += 1;
        self.normalized = self.normalized && follows;
        Ok(())
    }

    /// In a normalised map, grows the last region over `region` when that
    /// starts exactly where the last one ends and is of the same kind.
    fn extend_last(&mut self, region: Region) -> bool {
        if !self.normalized {
            return false;
        }
        let last = self
            .len
            .checked_sub(1)
            .and_then(|i| self.regions.get_mut(i));
        match last {
            Some(last) if last.end == region.start && last.kind == region.kind => {
                last.end = region.end;
                true
            }
            _ => false,
        }
    }
}

impl<const N: usize> Default for MemoryMap<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;
