//! I/O-port ranges: the range a capability names (`KObject::IoPorts`),
//! and an environment's I/O permissions, the ranges it enabled with the
//! capabilities they came through (the TSS bitmap is switched to them by
//! `arch::load_io_ports`; the range and the bitmap's logic are in
//! `kobjects`, tested on the host).

use alloc::vec::Vec;

use captree::SlotAddr;

pub use kobjects::PortRange;

/// The ports an environment may use.
#[derive(Default)]
pub struct IoPermissions {
    /// The ranges enabled, each with the capability it came through (no
    /// pair twice).
    grants: Vec<(SlotAddr, PortRange)>,
}

impl IoPermissions {
    pub const fn new() -> IoPermissions {
        IoPermissions { grants: Vec::new() }
    }

    /// The ranges to allow in the TSS while the environment runs.
    pub fn ranges(&self) -> impl ExactSizeIterator<Item = &PortRange> {
        self.grants.iter().map(|(_, r)| r)
    }

    /// Whether no port is allowed.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// Allows `range`, granted through the capability in `via`.
    pub fn grant(&mut self, via: SlotAddr, range: PortRange) {
        if !self.grants.contains(&(via, range)) {
            self.grants.push((via, range));
        }
    }

    /// Withdraws what came through the capabilities `gone` says were
    /// deleted; true if anything changed.
    pub fn withdraw(&mut self, gone: impl Fn(SlotAddr) -> bool) -> bool {
        if !self.grants.iter().any(|(via, _)| gone(*via)) {
            return false;
        }
        self.grants.retain(|(via, _)| !gone(*via));
        true
    }
}
