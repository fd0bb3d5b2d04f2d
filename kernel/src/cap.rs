//! Kernel objects named by capabilities, and the one capability system
//! (`captree`) that holds every environment's capability space and the
//! derivation tree. Also the clean-up after capabilities go: mappings made
//! through a deleted frame capability are removed, and a frame whose last
//! capability goes is unmapped everywhere and returned to the allocator.

use alloc::vec::Vec;

use abi::{CapType, Error};
use captree::{CapError, CapSystem, Removed, Rights, SlotAddr};
use spin::Mutex;

use crate::env;
use crate::mem::frames;

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
    /// An IPC endpoint.
    Endpoint { id: u32, payer: u32 },
    /// A notification word.
    Notification { id: u32, payer: u32 },
    /// I/O ports `[base, base + count)`.
    IoPorts { base: u32, count: u32 },
    /// Interrupt line `gsi`.
    Irq { gsi: u32 },
}

impl KObject {
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
            KObject::Endpoint { .. } => CapType::Endpoint,
            KObject::Notification { .. } => CapType::Notification,
            KObject::IoPorts { .. } => CapType::IoPorts,
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
            KObject::Endpoint { id, .. } | KObject::Notification { id, .. } => u64::from(*id),
            KObject::IoPorts { base, count } => u64::from(*base) | (u64::from(*count) << 32),
            KObject::Irq { gsi } => u64::from(*gsi),
            KObject::Control => 0,
        }
    }
}

/// Device pages handed out as frames (each at most once).
pub static DEVICE_FRAMES: Mutex<alloc::collections::BTreeSet<u64>> =
    Mutex::new(alloc::collections::BTreeSet::new());

/// The capability system.
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
    items: [Option<Removed<KObject>>; 2 * BATCH_CAPS],
    len: usize,
}

impl Batch {
    pub const fn new() -> Batch {
        Batch {
            items: [const { None }; 2 * BATCH_CAPS],
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

impl Default for Batch {
    fn default() -> Batch {
        Batch::new()
    }
}

/// Removes every capability derived from `slot` (see `CapSystem::revoke`)
/// in steps of [`BATCH_CAPS`], settling each step; the count removed.
pub fn revoke(slot: SlotAddr) -> Result<usize, CapError> {
    let mut total = 0;
    loop {
        let mut batch = Batch::new();
        let step = CAPS
            .lock()
            .revoke_some(slot, BATCH_CAPS, |r| batch.push(r))?;
        total += step.deleted;
        settle_batch(batch);
        if step.done {
            return Ok(total);
        }
    }
}

/// Deletes every capability in `cspace` and then the space, in steps of
/// [`BATCH_CAPS`], settling each step. Allocates nothing.
pub fn destroy_cspace(cspace: captree::CSpaceId) {
    loop {
        let mut batch = Batch::new();
        let step = CAPS
            .lock()
            .destroy_cspace_some(cspace, BATCH_CAPS, |r| batch.push(r));
        settle_batch(batch);
        match step {
            Ok(p) if !p.done => {}
            _ => return,
        }
    }
}

/// [`settle`] for one step's reports.
pub fn settle_batch(mut batch: Batch) {
    let first = batch.items.iter().find_map(|r| match r {
        Some(Removed::Cap(d)) => Some(d.slot),
        _ => None,
    });
    let Some(first) = first else {
        batch
            .items
            .iter_mut()
            .filter_map(Option::take)
            .for_each(settle_one);
        return;
    };
    let mut slots = [first; 2 * BATCH_CAPS];
    let mut n = 0;
    for r in batch
        .items
        .iter_mut()
        .take(batch.len)
        .filter_map(Option::take)
    {
        if let Removed::Cap(d) = &r {
            slots[n] = d.slot;
            n += 1;
        }
        settle_one(r);
    }
    env::ports_caps_gone(&slots[..n]);
}

/// Undoes what the removed capabilities bound, after the capability system
/// is unlocked: mappings made through a deleted frame capability go; a
/// released frame is unmapped everywhere and freed. Allocates nothing.
pub fn settle(removed: impl IntoIterator<Item = Removed<KObject>>) {
    for r in removed {
        let slot = match &r {
            Removed::Cap(d) => Some(d.slot),
            Removed::Object(_) => None,
        };
        settle_one(r);
        if let Some(s) = slot {
            env::ports_caps_gone(&[s]);
        }
    }
}

/// Undoes one report: a deleted capability's mappings, or a released
/// object (its mappings, its frame, its quota charge, its binding).
fn settle_one(r: Removed<KObject>) {
    match r {
        Removed::Cap(d) => loop {
            // One mapping at a time: the record is taken under the lock
            // and the page table changed after it.
            let gone = match CAPS.lock().object_mut(d.object) {
                Ok(KObject::Frame { mappings, .. }) => mappings
                    .iter()
                    .position(|m| m.via == d.slot)
                    .map(|i| mappings.swap_remove(i)),
                _ => None,
            };
            match gone {
                Some(m) => env::forget_mapping(m.env, m.vaddr),
                None => break,
            }
        },
        Removed::Object(rel) => match rel.object {
            KObject::Frame {
                paddr,
                mappings,
                charged_to,
                device,
                ..
            } => {
                for m in &mappings {
                    env::forget_mapping(m.env, m.vaddr);
                }
                drop(mappings);
                if device {
                    DEVICE_FRAMES.lock().remove(&paddr);
                } else {
                    if let Err(e) = frames::free_frame(paddr) {
                        log::error!("cap: freeing frame {paddr:#x} failed: {e:?}");
                    }
                    env::uncharge(charged_to, 1);
                }
            }
            KObject::Endpoint { id, payer } => {
                env::uncharge(payer, 1);
                env::endpoint_gone(id);
            }
            KObject::Notification { id, payer } => {
                env::uncharge(payer, 1);
                crate::irq::unbind_notification(id);
                env::notification_gone(id);
            }
            KObject::Irq { gsi } => crate::irq::unbind(gsi),
            _ => {}
        },
    }
}
