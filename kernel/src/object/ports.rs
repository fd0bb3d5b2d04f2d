//! I/O-port ranges: the range a capability names (`KObject::IoPorts`),
//! and an environment's I/O permissions, the ranges it enabled with the
//! capabilities they came through and the TSS bitmap built from them (the
//! range and the bitmap's logic are in `kobjects`, tested on the host).

use alloc::boxed::Box;
use alloc::vec::Vec;

use captree::SlotAddr;

use crate::arch::IOMAP_BYTES;

pub use kobjects::PortRange;

/// The ports an environment may use.
#[derive(Default)]
pub struct IoPermissions {
    /// The permission bitmap (`None`: no port allowed).
    bitmap: Option<Box<[u8; IOMAP_BYTES]>>,
    /// The ranges enabled, each with the capability it came through.
    grants: Vec<(SlotAddr, PortRange)>,
}

impl IoPermissions {
    pub const fn new() -> IoPermissions {
        IoPermissions {
            bitmap: None,
            grants: Vec::new(),
        }
    }

    /// The bitmap to load into the TSS while the environment runs.
    pub fn bitmap(&self) -> Option<&[u8; IOMAP_BYTES]> {
        self.bitmap.as_deref()
    }

    /// Allows `range`, granted through the capability in `via`.
    pub fn grant(&mut self, via: SlotAddr, range: PortRange) {
        self.grants.push((via, range));
        self.rebuild();
    }

    /// Withdraws what came through the capabilities `gone` says were
    /// deleted; true if anything changed.
    pub fn withdraw(&mut self, gone: impl Fn(SlotAddr) -> bool) -> bool {
        if self.grants.is_empty() {
            return false;
        }
        let before = self.grants.len();
        self.grants.retain(|(via, _)| !gone(*via));
        if self.grants.len() == before {
            return false;
        }
        self.rebuild();
        true
    }

    /// Rebuilds the bitmap from the grants.
    fn rebuild(&mut self) {
        if self.grants.is_empty() {
            self.bitmap = None;
            return;
        }
        let map = self.bitmap.get_or_insert_with(|| {
            let v: Vec<u8> = alloc::vec![0xff; IOMAP_BYTES];
            v.into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!())
        });
        kobjects::allow_ports(&mut map[..], self.grants.iter().map(|(_, r)| r));
    }
}
