//! What a capability names (`KObject`), and the one capability system
//! (`captree`) that holds every environment's capability space and the
//! derivation tree. The objects with state of their own are in
//! `crate::object`; what happens when capabilities go (mappings removed,
//! frames freed, waiters failed) is `env::release`'s.
//!
//! Lock: `CAPS` comes after `env::ENVS` and before every object's own
//! lock (see `crate::object`).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::mem::ManuallyDrop;

use abi::{CapType, Error};
use captree::{CSpaceId, CapError, CapSystem, Removed, Rights, SlotAddr};
use spin::Mutex;

use crate::object::{Endpoint, Notification, PortRange};

/// A user mapping of a frame: which environment, where, and through which
/// capability it was made.
#[derive(Clone, Copy, Debug)]
pub struct Mapping {
    pub env: u32,
    pub vaddr: u64,
    pub via: SlotAddr,
}

/// Every kind of object a capability can name.
pub enum KObject {
    /// Authority to allocate frames in `[base, end)`; `cursor` is where the
    /// next search starts.
    Memory { base: u64, end: u64, cursor: u64 },
    /// One 4 KiB frame, where it is mapped, and whose quota pays for it
    /// (`u32::MAX`: none). Device frames are MMIO: never zeroed or freed,
    /// mapped uncached.
    Frame {
        paddr: u64,
        mappings: Vec<Mapping>,
        charged_to: u32,
        device: bool,
        /// Mapped cacheable (RAM); false for device registers.
        cached: bool,
    },
    /// Device memory `[base, end)` frames can be made from (`cached`: it
    /// is RAM the kernel lends read-only, like the boot ramdisk).
    DeviceMemory { base: u64, end: u64, cached: bool },
    /// The kernel's own controls.
    Control,
    /// An environment's address space.
    AddressSpace { env: u32 },
    /// An environment's thread.
    Thread { env: u32 },
    /// An environment's capability space.
    CSpace { env: u32 },
    /// An IPC endpoint, with its queues.
    Endpoint(Arc<Endpoint>),
    /// A notification, with its word.
    Notification(Arc<Notification>),
    /// A range of I/O ports.
    IoPorts(PortRange),
    /// Interrupt line `gsi`.
    Irq { gsi: u32 },
}

impl KObject {
    /// Authority to allocate frames in `[base, end)`.
    pub fn memory(base: u64, end: u64) -> KObject {
        KObject::Memory {
            base,
            end,
            cursor: base,
        }
    }

    /// A RAM frame at `paddr`, not mapped yet, charged to `payer`'s quota.
    pub fn ram_frame(paddr: u64, payer: u32) -> KObject {
        KObject::Frame {
            paddr,
            mappings: Vec::new(),
            charged_to: payer,
            device: false,
            cached: true,
        }
    }

    /// A device frame at `paddr` (never zeroed, freed or charged), mapped
    /// cacheable only if `cached`.
    pub fn device_frame(paddr: u64, cached: bool) -> KObject {
        KObject::Frame {
            paddr,
            mappings: Vec::new(),
            charged_to: u32::MAX,
            device: true,
            cached,
        }
    }

    /// Device memory `[base, end)`, `cached` if it is RAM lent read-only.
    pub fn device_memory(base: u64, end: u64, cached: bool) -> KObject {
        KObject::DeviceMemory { base, end, cached }
    }

    /// The type user space sees.
    pub fn cap_type(&self) -> CapType {
        match self {
            KObject::Memory { .. } => CapType::Memory,
            KObject::DeviceMemory { .. } => CapType::DeviceMemory,
            KObject::Control => CapType::Control,
            KObject::Frame { .. } => CapType::Frame,
            KObject::AddressSpace { .. } => CapType::AddressSpace,
            KObject::Thread { .. } => CapType::Thread,
            KObject::CSpace { .. } => CapType::CSpace,
            KObject::Endpoint(_) => CapType::Endpoint,
            KObject::Notification(_) => CapType::Notification,
            KObject::IoPorts(_) => CapType::IoPorts,
            KObject::Irq { .. } => CapType::Irq,
        }
    }

    /// What `cap_identify` reports in `r3`: the physical address of frames
    /// and memory, the id of endpoints and notifications, `base | count <<
    /// 32` of I/O ports, the GSI of interrupt lines, the environment id of
    /// the others.
    pub fn detail(&self) -> u64 {
        match self {
            KObject::Memory { base, .. } | KObject::DeviceMemory { base, .. } => *base,
            KObject::Frame { paddr, .. } => *paddr,
            KObject::AddressSpace { env } | KObject::Thread { env } | KObject::CSpace { env } => {
                u64::from(*env)
            }
            KObject::Endpoint(ep) => u64::from(ep.id()),
            KObject::Notification(n) => u64::from(n.id()),
            KObject::IoPorts(range) => range.detail(),
            KObject::Irq { gsi } => u64::from(*gsi),
            KObject::Control => 0,
        }
    }
}

/// Device pages handed out as frames (each at most once; lock order: see
/// `crate::object`).
pub static DEVICE_FRAMES: Mutex<alloc::collections::BTreeSet<u64>> =
    Mutex::new(alloc::collections::BTreeSet::new());

/// The capability system (lock order: see `crate::object`).
pub static CAPS: Mutex<CapSystem<KObject>> = Mutex::new(CapSystem::new());

/// The system-call error for a capability-system refusal.
pub fn error(e: CapError) -> Error {
    match e {
        CapError::BadCSpace | CapError::BadSlot => Error::BadSlot,
        CapError::EmptySlot | CapError::StaleObject => Error::EmptySlot,
        CapError::SlotOccupied => Error::SlotOccupied,
        CapError::RightsEscalation | CapError::BadgeLocked => Error::RightsEscalation,
        CapError::NoRight(_) => Error::NoRights,
        CapError::BadSize => Error::InvalidArgument,
        CapError::Exhausted => Error::OutOfMemory,
    }
}

/// Rights from a system-call argument; unknown bits are an error.
pub fn rights_from_abi(bits: u64) -> Result<Rights, Error> {
    Rights::from_bits(bits).ok_or(Error::InvalidArgument)
}

/// Rights as a system-call result.
pub fn rights_to_abi(r: Rights) -> u64 {
    r.bits()
}

/// Capabilities deleted between two settles when a big removal (an
/// environment's teardown, a revoke) goes in steps.
pub const BATCH_CAPS: usize = 16;

/// What one step of a removal reports (each deleted capability reports
/// itself and maybe its released object), held on the stack: tearing
/// things down never needs fresh memory.
pub struct Batch {
    /// Only `items[..len]` is ever filled, and dropping the batch empties
    /// just those: the array is never walked whole again.
    items: ManuallyDrop<[Option<Removed<KObject>>; 2 * BATCH_CAPS]>,
    len: usize,
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.items[..self.len]
            .iter_mut()
            .for_each(|r| drop(r.take()));
    }
}

impl Batch {
    pub const fn new() -> Batch {
        Batch {
            items: ManuallyDrop::new([const { None }; 2 * BATCH_CAPS]),
            len: 0,
        }
    }

    /// Adds one report. The step deleting at most [`BATCH_CAPS`]
    /// capabilities never reports more than the batch holds; should one
    /// all the same, it is settled at once rather than lost.
    pub fn push(&mut self, r: Removed<KObject>) {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(r);
                self.len += 1;
            }
            None => log::error!("cap: removal batch overflow"),
        }
    }
}

impl Batch {
    /// The capability spaces the batch reports capabilities deleted from
    /// (a quick test before [`deletes`](Self::deletes) looks for a slot).
    pub fn spaces(&self) -> Spaces {
        let mut s = Spaces {
            ids: [None; 2],
            more: false,
        };
        for r in &self.items[..self.len] {
            let Some(Removed::Cap(d)) = r else { continue };
            let c = Some(d.slot.cspace);
            if s.ids.contains(&c) {
                continue;
            }
            match s.ids.iter_mut().find(|i| i.is_none()) {
                Some(free) => *free = c,
                None => s.more = true,
            }
        }
        s
    }

    /// True if the batch reports the capability in `slot` deleted.
    pub fn deletes(&self, slot: SlotAddr) -> bool {
        self.items[..self.len]
            .iter()
            .any(|r| matches!(r, Some(Removed::Cap(d)) if d.slot == slot))
    }

    /// Hands each report to `settle`, in the order they came, and leaves
    /// the batch empty.
    pub fn settle_each(&mut self, settle: impl FnMut(Removed<KObject>)) {
        self.items[..self.len]
            .iter_mut()
            .filter_map(Option::take)
            .for_each(settle);
        self.len = 0;
    }
}

/// Which capability spaces a [`Batch`] deleted capabilities from: the
/// first two, and whether there were more (then any space may be).
#[derive(Clone, Copy)]
pub struct Spaces {
    ids: [Option<CSpaceId>; 2],
    more: bool,
}

impl Spaces {
    /// Whether no capability was deleted.
    pub fn is_empty(&self) -> bool {
        self.ids[0].is_none()
    }

    /// The spaces, or `None` if there were more than two (any may be).
    pub fn each(&self) -> Option<impl Iterator<Item = CSpaceId> + '_> {
        (!self.more).then(|| self.ids.iter().flatten().copied())
    }
}

impl Default for Batch {
    fn default() -> Batch {
        Batch::new()
    }
}
