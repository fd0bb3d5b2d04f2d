//! Reading a symbol table: header validation, entry access and the
//! address-to-symbol binary search.

use crate::{ENTRY_LEN, HEADER_LEN, MAGIC};

/// A parsed, bounds-checked view of a symbol table.
///
/// Parsing checks only the header and that every entry and the strings blob
/// lie inside the input; individual names are checked when they are read, so
/// a corrupt table yields `None` from lookups rather than a panic.
#[derive(Clone, Copy, Debug)]
pub struct Table<'a> {
    entries: &'a [u8],
    strings: &'a [u8],
    count: usize,
}

/// One entry of the table, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol<'a> {
    /// Start address.
    pub addr: u64,
    /// Size in bytes; 0 means "unknown, extends to the next symbol".
    pub size: u32,
    /// Demangled name, or `None` if the entry points outside the strings
    /// blob or at invalid UTF-8.
    pub name: Option<&'a str>,
}

fn u32_at(bytes: &[u8], off: usize) -> Option<u32> {
    let b = bytes.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(bytes: &[u8], off: usize) -> Option<u64> {
    let lo = u32_at(bytes, off)?;
    let hi = u32_at(bytes, off.checked_add(4)?)?;
    Some(u64::from(lo) | (u64::from(hi) << 32))
}

impl<'a> Table<'a> {
    /// Parses a table from `bytes` (typically the whole `.ksyms` section).
    ///
    /// Returns `None` if the magic is absent (the table was never patched
    /// in) or the header describes more data than `bytes` holds.
    pub fn parse(bytes: &'a [u8]) -> Option<Table<'a>> {
        if bytes.get(..4)? != MAGIC {
            return None;
        }
        let count = usize::try_from(u32_at(bytes, 4)?).ok()?;
        let strings_len = usize::try_from(u32_at(bytes, 8)?).ok()?;
        let entries_len = count.checked_mul(ENTRY_LEN)?;
        let strings_start = HEADER_LEN.checked_add(entries_len)?;
        let strings_end = strings_start.checked_add(strings_len)?;
        Some(Table {
            entries: bytes.get(HEADER_LEN..strings_start)?,
            strings: bytes.get(strings_start..strings_end)?,
            count,
        })
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if the table holds no symbols.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The `index`th entry (in address order), if it exists.
    pub fn get(&self, index: usize) -> Option<Symbol<'a>> {
        let base = index.checked_mul(ENTRY_LEN)?;
        let addr = u64_at(self.entries, base)?;
        let size = u32_at(self.entries, base + 8)?;
        let name_off = usize::try_from(u32_at(self.entries, base + 12)?).ok()?;
        let name_len = usize::try_from(u32_at(self.entries, base + 16)?).ok()?;
        let name = name_off
            .checked_add(name_len)
            .and_then(|end| self.strings.get(name_off..end))
            .and_then(|b| core::str::from_utf8(b).ok());
        Some(Symbol { addr, size, name })
    }

    /// Iterates over all entries in table order.
    pub fn iter(&self) -> impl Iterator<Item = Symbol<'a>> + '_ {
        (0..self.count).filter_map(move |i| self.get(i))
    }

    fn addr_of(&self, index: usize) -> u64 {
        // Every index below `count` is in bounds by construction of `parse`.
        u64_at(self.entries, index * ENTRY_LEN).unwrap_or(u64::MAX)
    }

    /// Maps `addr` to the symbol containing it and the offset into it.
    ///
    /// The candidate is the entry with the greatest start address `<= addr`.
    /// It matches if `addr` lies inside `[start, start + size)`, or, for a
    /// symbol of size 0, if `addr` lies before the next symbol's start.
    pub fn lookup(&self, addr: u64) -> Option<(&'a str, u64)> {
        // Number of entries whose start is <= addr (entries are sorted).
        let (mut lo, mut hi) = (0usize, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.addr_of(mid) <= addr {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let index = lo.checked_sub(1)?;
        let sym = self.get(index)?;
        let offset = addr.checked_sub(sym.addr)?;
        let inside = if sym.size == 0 {
            index + 1 >= self.count || addr < self.addr_of(index + 1)
        } else {
            offset < u64::from(sym.size)
        };
        if inside {
            Some((sym.name?, offset))
        } else {
            None
        }
    }
}
