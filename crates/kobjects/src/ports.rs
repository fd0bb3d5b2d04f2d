//! I/O-port ranges and the permission bitmap they give.

/// Ports `[base, base + count)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    pub base: u32,
    pub count: u32,
}

impl PortRange {
    pub const fn new(base: u32, count: u32) -> PortRange {
        PortRange { base, count }
    }

    /// The non-empty part `[base, base + count)` of this range, if it lies
    /// inside it.
    pub fn sub_range(&self, base: u64, count: u64) -> Option<PortRange> {
        let end = base.checked_add(count)?;
        if count == 0 || base < u64::from(self.base) || end > self.end() {
            return None;
        }
        Some(PortRange::new(base as u32, count as u32))
    }

    /// One past the last port.
    pub fn end(&self) -> u64 {
        u64::from(self.base) + u64::from(self.count)
    }

    /// What `cap_identify` reports: `base | count << 32`.
    pub fn detail(&self) -> u64 {
        u64::from(self.base) | (u64::from(self.count) << 32)
    }
}

/// The bytes `[lo, hi)` of a permission bitmap outside which every byte is
/// 0xff (denies all its ports); `lo == hi`: the whole bitmap denies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(8))]
pub struct OpenBytes {
    pub lo: u32,
    pub hi: u32,
}

impl OpenBytes {
    /// Nothing open.
    pub const NONE: OpenBytes = OpenBytes { lo: 0, hi: 0 };

    /// Whether no byte is open.
    pub fn is_empty(&self) -> bool {
        self.lo >= self.hi
    }
}

/// Changes `bitmap`, which allows ports only in the bytes `open`, so that
/// it allows exactly the ports in `ranges` that it covers (what
/// [`allow_ports`] makes of it), touching only the bytes of `open` and of
/// the ranges; returns the bytes open now ([`OpenBytes::NONE`] if none
/// are). A switch between two
/// environments that each hold a few ports costs a few bytes, not the
/// whole bitmap.
pub fn switch_ports<'a>(
    bitmap: &mut [u8],
    open: OpenBytes,
    ranges: impl IntoIterator<Item = &'a PortRange>,
) -> OpenBytes {
    let len = bitmap.len();
    let lo = (open.lo as usize).min(len);
    let hi = (open.hi as usize).min(len);
    if lo < hi {
        bitmap[lo..hi].fill(0xff);
    }
    let limit = (len as u64 * 8).min(0x1_0000);
    let mut now = OpenBytes::NONE;
    for r in ranges {
        let (start, end) = (u64::from(r.base), r.end().min(limit));
        if start >= end {
            continue;
        }
        let (first, last) = ((start / 8) as usize, ((end - 1) / 8) as usize);
        // The bits of the first byte from `start` up, and of the last
        // byte up to `end - 1`.
        let head = 0xffu8 << (start % 8);
        let tail = 0xffu8 >> (7 - (end - 1) % 8);
        if first == last {
            bitmap[first] &= !(head & tail);
        } else {
            bitmap[first] &= !head;
            bitmap[first + 1..last].fill(0);
            bitmap[last] &= !tail;
        }
        let (b0, b1) = (first as u32, last as u32 + 1);
        now = if now.is_empty() {
            OpenBytes { lo: b0, hi: b1 }
        } else {
            OpenBytes {
                lo: now.lo.min(b0),
                hi: now.hi.max(b1),
            }
        };
    }
    now
}

/// Fills `bitmap` (one bit per port, set = denied, as the TSS wants it)
/// so that exactly the ports in `ranges` that it covers are allowed, and
/// none of 65536 and above.
pub fn allow_ports<'a>(bitmap: &mut [u8], ranges: impl IntoIterator<Item = &'a PortRange>) {
    bitmap.fill(0xff);
    let limit = (bitmap.len() as u64 * 8).min(0x1_0000);
    for r in ranges {
        for port in u64::from(r.base)..r.end().min(limit) {
            bitmap[(port / 8) as usize] &= !(1 << (port % 8));
        }
    }
}
