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
