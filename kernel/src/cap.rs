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
    u32::try_from(bits)
        .ok()
        .and_then(Rights::from_bits)
        .ok_or(Error::InvalidArgument)
}

/// Rights as a system-call result.
pub fn rights_to_abi(r: Rights) -> u64 {
    u64::from(r.bits())
}

/// Undoes what the removed capabilities bound, after the capability system
/// is unlocked: mappings made through a deleted frame capability go; a
/// released frame is unmapped everywhere and freed.
pub fn settle(removed: Vec<Removed<KObject>>) {
    let mut unmaps: Vec<Mapping> = Vec::new();
    let mut frees: Vec<(u64, u32)> = Vec::new();
    let mut endpoints: Vec<u32> = Vec::new();
    let mut notifications: Vec<u32> = Vec::new();
    // Kernel objects charged one frame of quota each, by payer.
    let mut frees_quota: Vec<u32> = Vec::new();
    let mut irqs: Vec<u32> = Vec::new();
    let mut port_caps: Vec<SlotAddr> = Vec::new();
    {
        let mut caps = CAPS.lock();
        for r in removed {
            match r {
                Removed::Cap(d) => {
                    port_caps.push(d.slot);
                    if let Ok(KObject::Frame { mappings, .. }) = caps.object_mut(d.object) {
                        mappings.retain(|m| {
                            let gone = m.via == d.slot;
                            if gone {
                                unmaps.push(*m);
                            }
                            !gone
                        });
                    }
                }
                Removed::Object(rel) => match rel.object {
                    KObject::Frame {
                        paddr,
                        mappings,
                        charged_to,
                        device,
                        ..
                    } => {
                        unmaps.extend(mappings);
                        if device {
                            DEVICE_FRAMES.lock().remove(&paddr);
                        } else {
                            frees.push((paddr, charged_to));
                        }
                    }
                    KObject::Endpoint { id, payer } => {
                        endpoints.push(id);
                        frees_quota.push(payer);
                    }
                    KObject::Notification { id, payer } => {
                        notifications.push(id);
                        frees_quota.push(payer);
                    }
                    KObject::Irq { gsi } => irqs.push(gsi),
                    _ => {}
                },
            }
        }
    }
    for m in unmaps {
        env::forget_mapping(m.env, m.vaddr);
    }
    for payer in frees_quota {
        env::uncharge(payer, 1);
    }
    for ep in endpoints {
        env::endpoint_gone(ep);
    }
    for n in notifications {
        crate::irq::unbind_notification(n);
        env::notification_gone(n);
    }
    for gsi in irqs {
        crate::irq::unbind(gsi);
    }
    env::ports_caps_gone(&port_caps);
    for (f, payer) in frees {
        if let Err(e) = frames::free_frame(f) {
            log::error!("cap: freeing frame {f:#x} failed: {e:?}");
        }
        env::uncharge(payer, 1);
    }
}
