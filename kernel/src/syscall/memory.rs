//! Memory calls: frames from memory and device-memory capabilities, and
//! mapping, unmapping and protecting them in address spaces.

use super::lookup::{AddressSpace, Memory};
use super::*;

/// Takes a free frame in `[base, end)`: `want` exactly, or the first free
/// one from `cursor` on (wrapping).
pub(super) fn take_frame(base: u64, end: u64, cursor: u64, want: u64) -> Result<u64, Error> {
    if want != u64::MAX {
        if !want.is_multiple_of(PAGE_SIZE) || want < base || want >= end {
            return Err(Error::InvalidArgument);
        }
        return frames::alloc_at(want)
            .map(|()| want)
            .map_err(|_| Error::NotFree);
    }
    let start = cursor.clamp(base, end);
    let mut p = start;
    loop {
        if p >= end {
            p = base;
        }
        if frames::alloc_at(p).is_ok() {
            return Ok(p);
        }
        p += PAGE_SIZE;
        if p == start || (start == end && p >= end) {
            return Err(Error::OutOfMemory);
        }
    }
}

pub(super) fn frame_alloc(me: &Caller, a: args::FrameAlloc) -> Outcome {
    let (mem_slot, dst, want) = (slot(me, a.mem)?, slot(me, a.dst)?, a.want);
    if let Some(range) = device_range(mem_slot) {
        return device_frame(mem_slot, dst, want, range).map(Next::Return);
    }
    env::charge(me.id, 1)?;
    let result = frame_alloc_charged(me, mem_slot, dst, want);
    if result.is_err() {
        env::uncharge(me.id, 1);
    }
    result.map(Next::Return)
}

/// `FrameAlloc` once the frame is charged to the caller's quota.
pub(super) fn frame_alloc_charged(
    me: &Caller,
    mem_slot: SlotAddr,
    dst: SlotAddr,
    want: u64,
) -> Results {
    let mut caps = CAPS.lock();
    let found = lookup_in::<Memory>(&caps, mem_slot, Rights::DERIVE)?;
    let (object, rights) = (found.object, found.rights);
    let Memory { base, end, cursor } = found.kind;
    if caps.identify(dst).is_ok() {
        return Err(Error::SlotOccupied);
    }
    if frames::free() <= kernel_reserve_frames() {
        return Err(Error::OutOfMemory);
    }
    let paddr = take_frame(base, end, cursor, want)?;
    mem::write_phys(paddr, &[0u8; PAGE_SIZE as usize]);
    let frame = KObject::ram_frame(paddr, me.id);
    if let Err(e) = caps.derive_object(mem_slot, dst, frame, rights) {
        let _ = frames::free_frame(paddr);
        return Err(cap::error(e.error));
    }
    if let Ok(KObject::Memory { cursor, .. }) = caps.object_mut(object) {
        *cursor = paddr + PAGE_SIZE;
    }
    Ok(results::FrameAlloc { paddr }.into())
}

/// A frame for a user page table. Page tables are not charged to quotas,
/// so they may not eat into the second half of the kernel's reserve: the
/// kernel heap can always grow.
pub(super) fn user_page_table() -> Option<u64> {
    if frames::free() <= kernel_reserve_frames() / 2 {
        return None;
    }
    frames::alloc().ok()
}

/// The range of a device-memory capability (None for anything else).
pub(super) fn device_range(s: SlotAddr) -> Option<(u64, u64, bool)> {
    match CAPS.lock().identify(s).ok()?.kind {
        KObject::DeviceMemory { base, end, cached } => Some((*base, *end, *cached)),
        _ => None,
    }
}

/// `FrameAlloc` from device memory: the page `want`, once.
pub(super) fn device_frame(
    src: SlotAddr,
    dst: SlotAddr,
    want: u64,
    (base, end, cached): (u64, u64, bool),
) -> Results {
    if !want.is_multiple_of(PAGE_SIZE) || want < base & !(PAGE_SIZE - 1) || want >= end {
        return Err(Error::InvalidArgument);
    }
    let mut caps = CAPS.lock();
    let rights = caps.lookup(src, Rights::DERIVE).map_err(cap::error)?.rights;
    if caps.identify(dst).is_ok() {
        return Err(Error::SlotOccupied);
    }
    if !cap::DEVICE_FRAMES.lock().insert(want) {
        return Err(Error::NotFree);
    }
    let frame = KObject::device_frame(want, cached);
    if let Err(e) = caps.derive_object(src, dst, frame, rights) {
        cap::DEVICE_FRAMES.lock().remove(&want);
        return Err(cap::error(e.error));
    }
    Ok(results::FrameAlloc { paddr: want }.into())
}

pub(super) fn user_page(vaddr: u64) -> Result<u64, Error> {
    if !vaddr.is_multiple_of(PAGE_SIZE) || !(USER_MIN..USER_END).contains(&vaddr) {
        return Err(Error::BadAddress);
    }
    Ok(vaddr)
}

pub(super) fn map(me: &Caller, a: args::Map) -> Outcome {
    map_frame(me.id, me.aspace, me.cspace, a.frame, a.vaddr, a.flags)
}

/// `MapInto`: the address-space capability names where; with
/// `map_flags::TARGET_SLOT` the frame slot is in the target's own
/// capability space, and the mapping belongs to that capability.
pub(super) fn map_into(me: &Caller, a: args::MapInto) -> Outcome {
    let AddressSpace(target) = lookup(me, a.aspace, Rights::MAP)?;
    let flags = a.flags;
    if flags & !(map_flags::WRITE | map_flags::EXECUTE | map_flags::TARGET_SLOT) != 0 {
        return Err(Error::InvalidArgument);
    }
    let aspace = env::aspace_of(target).ok_or(Error::NoPartner)?;
    let cspace = if flags & map_flags::TARGET_SLOT != 0 {
        env::cspace_of(target).ok_or(Error::NoPartner)?
    } else {
        me.cspace
    };
    map_frame(
        target,
        aspace,
        cspace,
        a.frame,
        a.vaddr,
        flags & !map_flags::TARGET_SLOT,
    )
}

/// Maps the frame in slot `frame_slot` of `cspace` at `vaddr` in `target`'s
/// address space `aspace`; the mapping is tied to that capability. The
/// type is checked before the rights here (a frame capability without MAP
/// is `NoRights`, anything else `WrongType`).
pub(super) fn map_frame(
    target: u32,
    aspace: u64,
    cspace: captree::CSpaceId,
    frame_slot: u64,
    vaddr: u64,
    flags: u64,
) -> Outcome {
    if flags & !(map_flags::WRITE | map_flags::EXECUTE) != 0 {
        return Err(Error::InvalidArgument);
    }
    let vaddr = user_page(vaddr)?;
    let via = u32::try_from(frame_slot)
        .map(|i| SlotAddr::new(cspace, i))
        .map_err(|_| Error::BadSlot)?;
    let (write, exec) = (
        flags & map_flags::WRITE != 0,
        flags & map_flags::EXECUTE != 0,
    );
    let mut needed = Rights::MAP;
    if write {
        needed = needed.union(Rights::WRITE);
    }
    if exec {
        needed = needed.union(Rights::EXECUTE);
    }
    let mut caps = CAPS.lock();
    let id = caps.identify(via).map_err(cap::error)?;
    let KObject::Frame {
        paddr,
        device,
        cached,
        ..
    } = *id.kind
    else {
        return Err(Error::WrongType);
    };
    if !id.rights.contains(needed) {
        return Err(Error::NoRights);
    }
    let object = id.object;
    // Room for the mapping's record first, so that a refusal changes
    // nothing.
    match caps.object_mut(object) {
        Ok(KObject::Frame { mappings, .. }) => {
            mappings.try_reserve(1).map_err(|_| Error::OutOfMemory)?
        }
        _ => return Err(Error::WrongType),
    }
    paging::map_user(
        aspace,
        vaddr,
        paddr,
        write,
        exec,
        device && !cached,
        &mut user_page_table,
    )
    .map_err(|e| match e {
        paging::MapError::AlreadyMapped => Error::AlreadyMapped,
        paging::MapError::NotMapped => Error::NotMapped,
        paging::MapError::OutOfMemory => Error::OutOfMemory,
    })?;
    if let Ok(KObject::Frame { mappings, .. }) = caps.object_mut(object) {
        mappings.push(Mapping {
            env: target,
            vaddr,
            via,
        });
    }
    drop(caps);
    env::note_mapping(target, vaddr, object);
    done()
}

pub(super) fn unmap(me: &Caller, a: args::Unmap) -> Outcome {
    let vaddr = user_page(a.vaddr)?;
    let object = env::take_mapping(me.id, vaddr).ok_or(Error::NotMapped)?;
    let paddr = paging::unmap_user(me.aspace, vaddr).map_err(|_| Error::NotMapped)?;
    if let Ok(KObject::Frame { mappings, .. }) = CAPS.lock().object_mut(object) {
        mappings.retain(|m| !(m.env == me.id && m.vaddr == vaddr));
    }
    ret(results::Unmap { paddr })
}

pub(super) fn free_table(t: u64) {
    if let Err(e) = frames::free_frame(t) {
        log::error!("freeing page table {t:#x}: {e:?}");
    }
}

pub(super) fn protect(me: &Caller, a: args::Protect) -> Outcome {
    let (vaddr, flags) = (a.vaddr, a.flags);
    if flags & !(map_flags::WRITE | map_flags::EXECUTE) != 0 {
        return Err(Error::InvalidArgument);
    }
    let vaddr = user_page(vaddr)?;
    let object = env::mapping_at(me.id, vaddr).ok_or(Error::NotMapped)?;
    let (write, exec) = (
        flags & map_flags::WRITE != 0,
        flags & map_flags::EXECUTE != 0,
    );
    {
        let caps = CAPS.lock();
        let Ok(KObject::Frame { mappings, .. }) = caps.object(object) else {
            return Err(Error::NotMapped);
        };
        let via = mappings
            .iter()
            .find(|m| m.env == me.id && m.vaddr == vaddr)
            .map(|m| m.via)
            .ok_or(Error::NotMapped)?;
        let rights = caps.identify(via).map_err(cap::error)?.rights;
        let mut needed = Rights::MAP;
        if write {
            needed = needed.union(Rights::WRITE);
        }
        if exec {
            needed = needed.union(Rights::EXECUTE);
        }
        if !rights.contains(needed) {
            return Err(Error::NoRights);
        }
    }
    paging::protect_user(me.aspace, vaddr, write, exec).map_err(|_| Error::NotMapped)?;
    done()
}
