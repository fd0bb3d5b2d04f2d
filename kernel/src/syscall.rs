//! Native system calls: decoding the typed `abi::Syscall` from the trap
//! frame, checking every capability and user pointer, and answering with a
//! status and results. A refusal is logged (at debug level: a fuzzer makes
//! a great many) and returned as an `abi::Error`; nothing a program passes
//! can make the kernel fault or panic.

use alloc::vec;
use alloc::vec::Vec;

use abi::{map_flags, Error, Syscall, PAGE_SIZE, USER_END, USER_MIN};
use captree::{DeletedCap, Removed, Rights, SlotAddr};

use crate::arch::{paging, TrapFrame};
use crate::cap::{self, KObject, Mapping, CAPS};
use crate::env::{self, Caller};
use crate::mem::{self, frames};
use crate::{print, uaccess};

/// Frames the kernel keeps back from user allocation, so its own heap and
/// page tables can always grow.
pub const KERNEL_RESERVE_FRAMES: usize = 2048;
/// Largest single `debug_write`.
const DEBUG_WRITE_MAX: u64 = 1 << 20;

type Results = Result<[u64; 4], Error>;

/// Handles the system call in `frame` (the caller's saved registers).
pub fn handle(frame: &mut TrapFrame) {
    let (number, a) = frame.syscall();
    let (Some(call), Some(me)) = (Syscall::from_number(number), env::caller()) else {
        // Not a native call: the thread's upcall handler may take it.
        if env::deliver_upcall(frame, abi::upcall::kind::SYSCALL, 0, 0, 0).is_err() {
            log::debug!("syscall {number:#x}: no such call");
            frame.set_syscall_result(Error::NoSuchCall as u64, [0; 4]);
        }
        return;
    };
    let result = match call {
        Syscall::Exit => return env::exit_current(a[0], frame),
        Syscall::Yield => {
            frame.set_syscall_result(0, [0; 4]);
            return env::yield_current(frame);
        }
        Syscall::DebugWrite => debug_write(&me, a[0], a[1]),
        Syscall::CapIdentify => identify(&me, a[0]),
        Syscall::CapCopy => copy(&me, a[0], a[1]),
        Syscall::CapMint => mint(&me, a),
        Syscall::CapMove => move_cap(&me, a[0], a[1]),
        Syscall::CapDelete => delete(&me, a[0]),
        Syscall::CapRevoke => revoke(&me, a[0]),
        Syscall::FrameAlloc => frame_alloc(&me, a[0], a[1], a[2]),
        Syscall::Map => map(&me, a[0], a[1], a[2]),
        Syscall::Unmap => unmap(&me, a[0]),
        Syscall::SetUpcall => set_upcall(&me, a),
        Syscall::EnvCreate => env_create(&me, a),
        Syscall::MapInto => map_into_slot(&me, a),
        Syscall::ThreadStart => thread_start(&me, a),
        Syscall::EndpointCreate => endpoint_create(&me, a[0], a[1]),
        Syscall::Call => match endpoint(&me, a[0], Rights::EXECUTE) {
            Ok((ep, badge)) => return env::ipc_call(frame, ep, badge),
            Err(e) => Err(e),
        },
        Syscall::Recv => match endpoint(&me, a[0], Rights::READ) {
            Ok((ep, _)) => return env::ipc_recv(frame, ep),
            Err(e) => Err(e),
        },
        Syscall::Reply => env::ipc_reply(frame).map(|()| frame.ipc_message_results()),
        Syscall::ReplyRecv => match endpoint(&me, a[0], Rights::READ) {
            Ok((ep, _)) => return env::ipc_reply_recv(frame, ep),
            Err(e) => Err(e),
        },
        Syscall::NotificationCreate => notification_create(&me, a[0], a[1]),
        Syscall::Signal => notification(&me, a[0], Rights::WRITE).map(|n| {
            env::signal(n, a[1]);
            [0; 4]
        }),
        Syscall::Wait => match notification(&me, a[0], Rights::READ) {
            Ok(n) => return env::wait(frame, n, a[1]),
            Err(e) => Err(e),
        },
        Syscall::PortsMint => ports_mint(&me, a),
        Syscall::PortsEnable => ports_enable(&me, a[0]),
        Syscall::IrqBind => irq_bind(&me, a),
        Syscall::QuotaGive => quota_give(&me, a[0], a[1]),
        // Switching calls write the caller's result themselves and return:
        // afterwards `frame` holds another environment's registers.
        Syscall::YieldTo => {
            match thread_env(&me, a[0], Rights::READ).and_then(|to| env::yield_to(frame, to)) {
                Ok(()) => return,
                Err(e) => Err(e),
            }
        }
        Syscall::SchedSet => sched_set(&me, a),
        Syscall::Protect => protect(&me, a[0], a[1]),
        Syscall::PowerOff => power_off(&me, a[0], a[1]),
        Syscall::RevokeRequest => match thread_env(&me, a[0], Rights::WRITE) {
            Ok(target) => match env::revoke_request(frame, target, a[1], a[2]) {
                Ok(()) => return,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
        Syscall::IrqAck => irq_line(&me, a[0]).map(|gsi| {
            crate::irq::ack(gsi);
            [0; 4]
        }),
    };
    match result {
        Ok(r) => frame.set_syscall_result(0, r),
        Err(e) => {
            log::debug!("{}: {} refused: {e}", me.name, call.name());
            frame.set_syscall_result(e as u64, [0; 4]);
        }
    }
}

fn slot(me: &Caller, index: u64) -> Result<SlotAddr, Error> {
    u32::try_from(index)
        .map(|i| SlotAddr::new(me.cspace, i))
        .map_err(|_| Error::BadSlot)
}

fn debug_write(me: &Caller, ptr: u64, len: u64) -> Results {
    // Range first (so an overflowing length is a bad address), then size.
    ptr.checked_add(len)
        .filter(|&end| ptr >= USER_MIN && end <= USER_END)
        .ok_or(Error::BadAddress)?;
    if len > DEBUG_WRITE_MAX {
        return Err(Error::InvalidArgument);
    }
    // Check the whole range before printing any of it.
    uaccess::read_user(me.aspace, ptr, len, |_| {})?;
    uaccess::read_user(me.aspace, ptr, len, |bytes| {
        for &b in bytes {
            let c = if b == b'\n' || b == b'\t' || (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            };
            print!("{c}");
        }
    })?;
    Ok([len, 0, 0, 0])
}

fn identify(me: &Caller, s: u64) -> Results {
    let caps = CAPS.lock();
    let id = caps.identify(slot(me, s)?).map_err(cap::error)?;
    Ok([
        id.kind.cap_type() as u64,
        cap::rights_to_abi(id.rights),
        id.badge,
        id.kind.detail(),
    ])
}

fn copy(me: &Caller, a: u64, b: u64) -> Results {
    let (src, dst) = (slot(me, a)?, slot(me, b)?);
    CAPS.lock()
        .copy(src, dst)
        .map(|()| [0; 4])
        .map_err(cap::error)
}

fn mint(me: &Caller, a: [u64; 6]) -> Results {
    let (src, dst) = (slot(me, a[0])?, slot(me, a[1])?);
    let rights = cap::rights_from_abi(a[2])?;
    CAPS.lock()
        .mint(src, dst, rights, a[3])
        .map(|()| [0; 4])
        .map_err(cap::error)
}

fn move_cap(me: &Caller, a: u64, b: u64) -> Results {
    let (src, dst) = (slot(me, a)?, slot(me, b)?);
    let mut caps = CAPS.lock();
    caps.move_cap(src, dst).map_err(cap::error)?;
    // Mappings made through the capability follow it to its new slot.
    let obj = caps.identify(dst).map_err(cap::error)?.object;
    if let Ok(KObject::Frame { mappings, .. }) = caps.object_mut(obj) {
        for m in mappings.iter_mut().filter(|m| m.via == src) {
            m.via = dst;
        }
    }
    Ok([0; 4])
}

fn delete(me: &Caller, s: u64) -> Results {
    let s = slot(me, s)?;
    let removed = {
        let mut caps = CAPS.lock();
        let id = caps.identify(s).map_err(cap::error)?;
        let gone = DeletedCap {
            slot: s,
            object: id.object,
            rights: id.rights,
            badge: id.badge,
        };
        let released = caps.delete(s).map_err(cap::error)?;
        let mut removed = vec![Removed::Cap(gone)];
        removed.extend(released.map(Removed::Object));
        removed
    };
    cap::settle(removed);
    Ok([0; 4])
}

fn revoke(me: &Caller, s: u64) -> Results {
    let s = slot(me, s)?;
    let mut removed = Vec::new();
    let n = CAPS
        .lock()
        .revoke(s, |r| removed.push(r))
        .map_err(cap::error)?;
    cap::settle(removed);
    Ok([n as u64, 0, 0, 0])
}

/// Takes a free frame in `[base, end)`: `want` exactly, or the first free
/// one from `cursor` on (wrapping).
fn take_frame(base: u64, end: u64, cursor: u64, want: u64) -> Result<u64, Error> {
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

fn frame_alloc(me: &Caller, mem_slot: u64, dst: u64, want: u64) -> Results {
    let (mem_slot, dst) = (slot(me, mem_slot)?, slot(me, dst)?);
    if let Some(range) = device_range(mem_slot) {
        return device_frame(mem_slot, dst, want, range);
    }
    env::charge(me.id, 1)?;
    let result = frame_alloc_charged(me, mem_slot, dst, want);
    if result.is_err() {
        env::uncharge(me.id, 1);
    }
    result
}

/// `FrameAlloc` once the frame is charged to the caller's quota.
fn frame_alloc_charged(me: &Caller, mem_slot: SlotAddr, dst: SlotAddr, want: u64) -> Results {
    let mut caps = CAPS.lock();
    let id = caps.lookup(mem_slot, Rights::DERIVE).map_err(cap::error)?;
    let (object, rights) = (id.object, id.rights);
    let KObject::Memory { base, end, cursor } = *id.kind else {
        return Err(Error::WrongType);
    };
    if caps.identify(dst).is_ok() {
        return Err(Error::SlotOccupied);
    }
    if frames::free() <= KERNEL_RESERVE_FRAMES {
        return Err(Error::OutOfMemory);
    }
    let paddr = take_frame(base, end, cursor, want)?;
    mem::write_phys(paddr, &[0u8; PAGE_SIZE as usize]);
    let frame = KObject::Frame {
        paddr,
        mappings: Vec::new(),
        charged_to: me.id,
        device: false,
        cached: true,
    };
    if let Err(e) = caps.derive_object(mem_slot, dst, frame, rights) {
        let _ = frames::free_frame(paddr);
        return Err(cap::error(e.error));
    }
    if let Ok(KObject::Memory { cursor, .. }) = caps.object_mut(object) {
        *cursor = paddr + PAGE_SIZE;
    }
    Ok([paddr, 0, 0, 0])
}

/// A frame for a user page table. Page tables are not charged to quotas,
/// so they may not eat into the second half of the kernel's reserve: the
/// kernel heap can always grow.
fn user_page_table() -> Option<u64> {
    if frames::free() <= KERNEL_RESERVE_FRAMES / 2 {
        return None;
    }
    frames::alloc().ok()
}

/// The range of a device-memory capability (None for anything else).
fn device_range(s: SlotAddr) -> Option<(u64, u64, bool)> {
    match CAPS.lock().identify(s).ok()?.kind {
        KObject::DeviceMemory { base, end, cached } => Some((*base, *end, *cached)),
        _ => None,
    }
}

/// `FrameAlloc` from device memory: the page `want`, once.
fn device_frame(
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
    let frame = KObject::Frame {
        paddr: want,
        mappings: Vec::new(),
        charged_to: u32::MAX,
        device: true,
        cached,
    };
    if let Err(e) = caps.derive_object(src, dst, frame, rights) {
        cap::DEVICE_FRAMES.lock().remove(&want);
        return Err(cap::error(e.error));
    }
    Ok([want, 0, 0, 0])
}

fn user_page(vaddr: u64) -> Result<u64, Error> {
    if !vaddr.is_multiple_of(PAGE_SIZE) || !(USER_MIN..USER_END).contains(&vaddr) {
        return Err(Error::BadAddress);
    }
    Ok(vaddr)
}

fn map(me: &Caller, frame_slot: u64, vaddr: u64, flags: u64) -> Results {
    map_into(me, me.id, me.aspace, frame_slot, vaddr, flags)
}

/// `MapInto`: the address-space capability names where.
fn map_into_slot(me: &Caller, a: [u64; 6]) -> Results {
    let target = {
        let caps = CAPS.lock();
        let id = caps
            .lookup(slot(me, a[0])?, Rights::MAP)
            .map_err(cap::error)?;
        match *id.kind {
            KObject::AddressSpace { env } => env,
            _ => return Err(Error::WrongType),
        }
    };
    let aspace = env::aspace_of(target).ok_or(Error::NoPartner)?;
    map_into(me, target, aspace, a[1], a[2], a[3])
}

fn map_into(
    me: &Caller,
    target: u32,
    aspace: u64,
    frame_slot: u64,
    vaddr: u64,
    flags: u64,
) -> Results {
    if flags & !(map_flags::WRITE | map_flags::EXECUTE) != 0 {
        return Err(Error::InvalidArgument);
    }
    let vaddr = user_page(vaddr)?;
    let via = slot(me, frame_slot)?;
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
    Ok([0; 4])
}

fn unmap(me: &Caller, vaddr: u64) -> Results {
    let vaddr = user_page(vaddr)?;
    let object = env::take_mapping(me.id, vaddr).ok_or(Error::NotMapped)?;
    let paddr = paging::unmap_user(me.aspace, vaddr).map_err(|_| Error::NotMapped)?;
    if let Ok(KObject::Frame { mappings, .. }) = CAPS.lock().object_mut(object) {
        mappings.retain(|m| !(m.env == me.id && m.vaddr == vaddr));
    }
    Ok([paddr, 0, 0, 0])
}

fn set_upcall(me: &Caller, a: [u64; 6]) -> Results {
    let [entry, base, size, flags, ..] = a;
    if entry == 0 {
        env::set_upcall(me.id, None);
        return Ok([0; 4]);
    }
    if flags & !abi::upcall::flags::REFLECT_SYSCALLS != 0 {
        return Err(Error::InvalidArgument);
    }
    let end = base.checked_add(size).ok_or(Error::BadAddress)?;
    if !(USER_MIN..USER_END).contains(&entry) || base < USER_MIN || end > USER_END {
        return Err(Error::BadAddress);
    }
    if size < 2 * core::mem::size_of::<abi::UpcallFrame>() as u64 {
        return Err(Error::InvalidArgument);
    }
    let reflect_syscalls = flags & abi::upcall::flags::REFLECT_SYSCALLS != 0;
    env::set_upcall(
        me.id,
        Some(env::Upcall {
            entry,
            stack: base..end,
            reflect_syscalls,
        }),
    );
    Ok([0; 4])
}

/// The endpoint in `s`, checked for `needed`, and the capability's badge.
fn endpoint(me: &Caller, s: u64, needed: Rights) -> Result<(u32, u64), Error> {
    let caps = CAPS.lock();
    let id = caps.lookup(slot(me, s)?, needed).map_err(cap::error)?;
    match *id.kind {
        KObject::Endpoint { id: ep, .. } => Ok((ep, id.badge)),
        _ => Err(Error::WrongType),
    }
}

/// A memory capability (DERIVE) that new kernel objects are charged to.
fn charge(caps: &captree::CapSystem<KObject>, s: SlotAddr) -> Result<Rights, Error> {
    let id = caps.lookup(s, Rights::DERIVE).map_err(cap::error)?;
    if !matches!(id.kind, KObject::Memory { .. }) {
        return Err(Error::WrongType);
    }
    if frames::free() <= KERNEL_RESERVE_FRAMES {
        return Err(Error::OutOfMemory);
    }
    Ok(id.rights)
}

/// Frames of quota one endpoint or notification costs its creator.
const OBJECT_COST_FRAMES: u64 = 1;

/// Runs `create` with `frames` charged to the caller's quota
/// (returned if it fails).
fn charged(me: &Caller, frames: u64, create: impl FnOnce() -> Results) -> Results {
    env::charge(me.id, frames)?;
    let result = create();
    if result.is_err() {
        env::uncharge(me.id, frames);
    }
    result
}

/// An IPC object kind: how to make its id, its object, and undo the id.
struct IpcKind {
    create: fn() -> u32,
    object: fn(u32, u32) -> KObject,
    gone: fn(u32),
}

const ENDPOINT: IpcKind = IpcKind {
    create: env::endpoint_create,
    object: |id, payer| KObject::Endpoint { id, payer },
    gone: env::endpoint_gone,
};

const NOTIFICATION: IpcKind = IpcKind {
    create: env::notification_create,
    object: |id, payer| KObject::Notification { id, payer },
    gone: env::notification_gone,
};

fn endpoint_create(me: &Caller, mem_slot: u64, dst: u64) -> Results {
    charged(me, OBJECT_COST_FRAMES, || {
        ipc_object_create(me, mem_slot, dst, &ENDPOINT)
    })
}

fn notification_create(me: &Caller, mem_slot: u64, dst: u64) -> Results {
    charged(me, OBJECT_COST_FRAMES, || {
        ipc_object_create(me, mem_slot, dst, &NOTIFICATION)
    })
}

/// Makes an endpoint or notification from the memory capability in
/// `mem_slot` into empty slot `dst`. `r0` = its id.
fn ipc_object_create(me: &Caller, mem_slot: u64, dst: u64, kind: &IpcKind) -> Results {
    let (mem_slot, dst) = (slot(me, mem_slot)?, slot(me, dst)?);
    let mut caps = CAPS.lock();
    let rights = charge(&caps, mem_slot)?;
    if caps.identify(dst).is_ok() {
        return Err(Error::SlotOccupied);
    }
    let id = (kind.create)();
    if let Err(e) = caps.derive_object(mem_slot, dst, (kind.object)(id, me.id), rights) {
        drop(caps);
        (kind.gone)(id);
        return Err(cap::error(e.error));
    }
    Ok([u64::from(id), 0, 0, 0])
}

/// Slots in a new environment's capability space.
const CHILD_SLOTS: u32 = 1024;

/// Frames an environment's creation costs its creator's quota (its
/// top-level page table and its info page).
const ENV_COST_FRAMES: u64 = 2;

fn env_create(me: &Caller, a: [u64; 6]) -> Results {
    charged(me, ENV_COST_FRAMES, || env_create_charged(me, a))
}

fn env_create_charged(me: &Caller, a: [u64; 6]) -> Results {
    let mem_slot = slot(me, a[0])?;
    let first = u32::try_from(a[1])
        .ok()
        .filter(|f| f.checked_add(2).is_some())
        .ok_or(Error::BadSlot)?;
    let dst = [0, 1, 2].map(|i| SlotAddr::new(me.cspace, first + i));
    let give = (a[2] != u64::MAX).then(|| slot(me, a[2])).transpose()?;
    let death = (a[3] != u64::MAX)
        .then(|| endpoint(me, a[3], Rights::EXECUTE))
        .transpose()?
        .map(|(ep, _)| ep);
    let mut caps = CAPS.lock();
    let rights = charge(&caps, mem_slot)?;
    for d in dst {
        match caps.identify(d) {
            Ok(_) => return Err(Error::SlotOccupied),
            Err(captree::CapError::EmptySlot) => {}
            Err(e) => return Err(cap::error(e)),
        }
    }
    if let Some(g) = give {
        caps.lookup(g, Rights::GRANT.union(Rights::DERIVE))
            .map_err(cap::error)?;
    }
    let aspace =
        paging::new_address_space(&mut || frames::alloc().ok()).map_err(|_| Error::OutOfMemory)?;
    let info_frame = match env::make_info_page(aspace) {
        Ok(f) => f,
        Err(e) => {
            paging::destroy_address_space(aspace, &mut free_table);
            return Err(e);
        }
    };
    let cspace = match caps.create_cspace(CHILD_SLOTS) {
        Ok(c) => c,
        Err(e) => {
            free_table(info_frame);
            paging::destroy_address_space(aspace, &mut free_table);
            return Err(cap::error(e));
        }
    };
    let id = env::next_id();
    let objects = [
        KObject::AddressSpace { env: id },
        KObject::CSpace { env: id },
        KObject::Thread { env: id },
    ];
    let child_slots = [
        abi::root_slots::ASPACE,
        abi::root_slots::CSPACE,
        abi::root_slots::THREAD,
    ];
    let mut built = Ok(());
    for ((d, object), own) in dst.into_iter().zip(objects).zip(child_slots) {
        built = caps
            .derive_object(mem_slot, d, object, rights)
            .map(|_| ())
            .map_err(|e| e.error)
            .and_then(|()| caps.copy(d, SlotAddr::new(cspace, own)));
        if built.is_err() {
            break;
        }
    }
    if let (Ok(()), Some(g)) = (built, give) {
        built = caps.copy(g, SlotAddr::new(cspace, 3));
    }
    if let Err(e) = built {
        let mut removed = Vec::new();
        for d in dst {
            if let Ok(Some(r)) = caps.delete(d) {
                removed.push(Removed::Object(r));
            }
        }
        let _ = caps.destroy_cspace(cspace, |r| removed.push(r));
        drop(caps);
        cap::settle(removed);
        free_table(info_frame);
        paging::destroy_address_space(aspace, &mut free_table);
        return Err(cap::error(e));
    }
    drop(caps);
    env::add(env::Env {
        id,
        name: "child",
        aspace,
        cspace,
        context: TrapFrame::empty(),
        mappings: alloc::collections::BTreeMap::new(),
        owned_frames: Vec::new(),
        upcall: None,
        state: env::State::NotStarted,
        reply_to: None,
        parent: Some(me.id),
        death_ep: death,
        io: None,
        io_grants: Vec::new(),
        quota_frames: 0,
        used_frames: 0,
        info_frame,
        weight: 1,
        revoke: None,
        repossessed_count: 0,
        repossessed: [0; abi::info::REPOSSESSED_SLOTS],
        pending_upcall: core::cell::Cell::new(None),
    });
    Ok([u64::from(id), 0, 0, 0])
}

fn thread_start(me: &Caller, a: [u64; 6]) -> Results {
    let [thread, rip, rsp, arg, ..] = a;
    let target = {
        let caps = CAPS.lock();
        let id = caps
            .lookup(slot(me, thread)?, Rights::WRITE)
            .map_err(cap::error)?;
        match *id.kind {
            KObject::Thread { env } => env,
            _ => return Err(Error::WrongType),
        }
    };
    if !(USER_MIN..USER_END).contains(&rip) || !(USER_MIN..=USER_END).contains(&rsp) {
        return Err(Error::BadAddress);
    }
    env::start_thread(target, TrapFrame::new_user(rip, rsp, [arg, 0, 0, 0]))?;
    Ok([0; 4])
}

fn free_table(t: u64) {
    if let Err(e) = frames::free_frame(t) {
        log::error!("freeing page table {t:#x}: {e:?}");
    }
}

/// The notification in `s`, checked for `needed`.
fn notification(me: &Caller, s: u64, needed: Rights) -> Result<u32, Error> {
    let caps = CAPS.lock();
    let id = caps.lookup(slot(me, s)?, needed).map_err(cap::error)?;
    match *id.kind {
        KObject::Notification { id, .. } => Ok(id),
        _ => Err(Error::WrongType),
    }
}

fn ports_mint(me: &Caller, a: [u64; 6]) -> Results {
    let (src, dst) = (slot(me, a[0])?, slot(me, a[1])?);
    let (base, count) = (a[2], a[3]);
    let mut caps = CAPS.lock();
    let id = caps.lookup(src, Rights::DERIVE).map_err(cap::error)?;
    let KObject::IoPorts { base: b, count: c } = *id.kind else {
        return Err(Error::WrongType);
    };
    let rights = id.rights;
    let end = base.checked_add(count).ok_or(Error::InvalidArgument)?;
    if count == 0 || base < u64::from(b) || end > u64::from(b) + u64::from(c) {
        return Err(Error::InvalidArgument);
    }
    let object = KObject::IoPorts {
        base: base as u32,
        count: count as u32,
    };
    caps.derive_object(src, dst, object, rights)
        .map_err(|e| cap::error(e.error))?;
    Ok([0; 4])
}

fn ports_enable(me: &Caller, s: u64) -> Results {
    let via = slot(me, s)?;
    let (base, count) = {
        let caps = CAPS.lock();
        let id = caps
            .lookup(via, Rights::READ.union(Rights::WRITE))
            .map_err(cap::error)?;
        match *id.kind {
            KObject::IoPorts { base, count } => (base, count),
            _ => return Err(Error::WrongType),
        }
    };
    env::ports_enable(me.id, via, base, count);
    Ok([0; 4])
}

/// The interrupt line in `s` (READ).
fn irq_line(me: &Caller, s: u64) -> Result<u32, Error> {
    let caps = CAPS.lock();
    let id = caps
        .lookup(slot(me, s)?, Rights::READ)
        .map_err(cap::error)?;
    match *id.kind {
        KObject::Irq { gsi } => Ok(gsi),
        _ => Err(Error::WrongType),
    }
}

fn irq_bind(me: &Caller, a: [u64; 6]) -> Results {
    let gsi = irq_line(me, a[0])?;
    if a[2] == 0 {
        crate::irq::unbind(gsi);
        return Ok([0; 4]);
    }
    let ntf = notification(me, a[1], Rights::WRITE)?;
    if !crate::irq::bind(gsi, ntf, a[2]) {
        return Err(Error::InvalidArgument);
    }
    Ok([0; 4])
}

fn quota_give(me: &Caller, thread: u64, frames: u64) -> Results {
    let target = {
        let caps = CAPS.lock();
        let id = caps
            .lookup(slot(me, thread)?, Rights::WRITE)
            .map_err(cap::error)?;
        match *id.kind {
            KObject::Thread { env } => env,
            _ => return Err(Error::WrongType),
        }
    };
    env::quota_give(me.id, target, frames)?;
    Ok([0; 4])
}

/// The environment whose thread capability is in `s`, checked for `needed`.
fn thread_env(me: &Caller, s: u64, needed: Rights) -> Result<u32, Error> {
    let caps = CAPS.lock();
    let id = caps.lookup(slot(me, s)?, needed).map_err(cap::error)?;
    match *id.kind {
        KObject::Thread { env } => Ok(env),
        _ => Err(Error::WrongType),
    }
}

fn sched_set(me: &Caller, a: [u64; 6]) -> Results {
    let target = thread_env(me, a[0], Rights::WRITE)?;
    let weight = u32::try_from(a[1])
        .ok()
        .filter(|w| (1..=1000).contains(w))
        .ok_or(Error::InvalidArgument)?;
    let period = u32::try_from(a[2]).map_err(|_| Error::InvalidArgument)?;
    let budget = u32::try_from(a[3]).map_err(|_| Error::InvalidArgument)?;
    env::set_schedule(target, weight, period, budget)?;
    Ok([0; 4])
}

fn protect(me: &Caller, vaddr: u64, flags: u64) -> Results {
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
    Ok([0; 4])
}

fn power_off(me: &Caller, control: u64, status: u64) -> Results {
    {
        let caps = CAPS.lock();
        let id = caps
            .lookup(slot(me, control)?, Rights::WRITE)
            .map_err(cap::error)?;
        if !matches!(id.kind, KObject::Control) {
            return Err(Error::WrongType);
        }
    }
    let status = u8::try_from(status).map_err(|_| Error::InvalidArgument)?;
    crate::println!("kernel: powered off by {} with status {status}", me.name);
    crate::power::exit_with(status)
}
