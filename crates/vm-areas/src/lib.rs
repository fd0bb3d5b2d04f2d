//! The areas of an address space a program may use (Linux's VMAs): a map
//! from start address to [`Area`] (end, protection, shared), never
//! overlapping. Cutting a range out splits the areas at its edges;
//! changing the protection of a range splits them the same way. Nothing
//! here backs pages: the library OS keeps its frames beside the map.
//!
//! Adjacent areas with the same protection are not merged (except by
//! [`Areas::extend`], which the break uses), as the library OS has always
//! kept them.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// The page size.
pub const PAGE: u64 = 4096;
/// `PROT_READ`, `PROT_WRITE`, `PROT_EXEC` (Linux's values).
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;

/// `a` rounded down to a page.
pub const fn page_down(a: u64) -> u64 {
    a & !(PAGE - 1)
}

/// `a` rounded up to a page (`None` past the top of the address space).
pub fn page_up(a: u64) -> Option<u64> {
    a.checked_add(PAGE - 1).map(page_down)
}

/// One area (its start is its key in the map).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    /// One past its last byte.
    pub end: u64,
    /// `PROT_*` bits.
    pub prot: u32,
    /// `MAP_SHARED`: its pages stay shared (not copy-on-write) with children.
    pub shared: bool,
    /// The file it maps (none: anonymous memory).
    pub file: Option<FileMap>,
}

/// What a file mapping maps: the file offset moves with the area's start
/// when the area is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMap {
    /// The server's handle of the open file the mapping keeps.
    pub handle: u64,
    /// The file offset of the area's first byte.
    pub offset: u64,
    /// The open file allows writing (a shared mapping may be writable).
    pub may_write: bool,
}

impl Area {
    /// The part of this area (which starts at `start`) from `at` on, up
    /// to `end`: the file offset follows.
    pub fn part(self, start: u64, at: u64, end: u64) -> Area {
        Area {
            end,
            file: self.file.map(|f| FileMap {
                offset: f.offset + (at - start),
                ..f
            }),
            ..self
        }
    }
}

/// The areas of one address space.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    map: BTreeMap<u64, Area>,
}

impl Areas {
    pub const fn new() -> Areas {
        Areas {
            map: BTreeMap::new(),
        }
    }

    /// The area holding `addr`, as (start, area).
    pub fn find(&self, addr: u64) -> Option<(u64, Area)> {
        let (&s, &v) = self.map.range(..=addr).next_back()?;
        (addr < v.end).then_some((s, v))
    }

    /// True if nothing of `[start, end)` is in an area.
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        match self.map.range(..end).next_back() {
            Some((_, v)) => v.end <= start,
            None => true,
        }
    }

    /// True if every byte of `[start, end)` is in some area.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut a = start;
        while a < end {
            match self.find(a) {
                Some((_, v)) => a = v.end,
                None => return false,
            }
        }
        true
    }

    /// Adds `area` at `start` (the caller made `[start, area.end)` free).
    pub fn insert(&mut self, start: u64, area: Area) {
        debug_assert!(start < area.end && self.is_free(start, area.end));
        self.map.insert(start, area);
    }

    /// Moves the end of the area starting at `start` to `end` (the caller
    /// made the space between free). False if no area starts there.
    pub fn extend(&mut self, start: u64, end: u64) -> bool {
        match self.map.get_mut(&start) {
            Some(v) => {
                v.end = end;
                true
            }
            None => false,
        }
    }

    /// Cuts `[start, end)` out of the areas, keeping the parts outside it;
    /// the parts that were inside, as (start, area), in address order.
    pub fn cut(&mut self, start: u64, end: u64) -> Vec<(u64, Area)> {
        let hit: Vec<(u64, Area)> = self
            .map
            .range(..end)
            .filter(|(_, v)| v.end > start)
            .map(|(&s, &v)| (s, v))
            .collect();
        let mut inside = Vec::with_capacity(hit.len());
        for (s, v) in hit {
            self.map.remove(&s);
            if s < start {
                self.map.insert(s, Area { end: start, ..v });
            }
            if v.end > end {
                self.map.insert(end, v.part(s, end, v.end));
            }
            inside.push((s.max(start), v.part(s, s.max(start), v.end.min(end))));
        }
        inside
    }

    /// Gives the areas inside `[start, end)` protection `prot` (splitting
    /// them at the edges); the parts changed, as (start, area).
    pub fn protect(&mut self, start: u64, end: u64, prot: u32) -> Vec<(u64, Area)> {
        let mut changed = self.cut(start, end);
        for (lo, v) in changed.iter_mut() {
            v.prot = prot;
            self.map.insert(*lo, *v);
        }
        changed
    }

    /// Bytes of areas inside `[start, end)`: (all, those of areas for
    /// which `counts(start, area)` holds).
    pub fn sizes_in(
        &self,
        start: u64,
        end: u64,
        counts: impl Fn(u64, &Area) -> bool,
    ) -> (u64, u64) {
        let (mut all, mut some) = (0, 0);
        for (&s, v) in self.map.range(..end) {
            let (lo, hi) = (s.max(start), v.end.min(end));
            if hi <= lo {
                continue;
            }
            all += hi - lo;
            if counts(s, v) {
                some += hi - lo;
            }
        }
        (all, some)
    }

    /// The highest start of a free range of `len` bytes ending at or
    /// below `top` and starting at or above `floor`, searched top down
    /// (skipping below each area in the way).
    pub fn gap_below(&self, top: u64, len: u64, floor: u64) -> Option<u64> {
        let mut top = top;
        while top >= len.checked_add(floor)? {
            let start = top - len;
            if self.is_free(start, top) {
                return Some(start);
            }
            top = *self.map.range(..top).next_back()?.0;
        }
        None
    }

    /// The areas, as (start, area), in address order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Area)> + '_ {
        self.map.iter().map(|(&s, &v)| (s, v))
    }

    /// Removes every area.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
