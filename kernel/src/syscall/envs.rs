//! Environment and IPC-object calls: creating environments, starting
//! their threads, quotas and scheduling parameters, endpoints and
//! notifications (each charged to a memory capability and a quota).

use super::*;
use crate::object::{Endpoint, Notification};
use alloc::sync::Arc;

/// The endpoint in `s`, checked for `needed`, and the capability's badge.
pub(super) fn endpoint(me: &Caller, s: u64, needed: Rights) -> Result<(Arc<Endpoint>, u64), Error> {
    let caps = CAPS.lock();
    let id = caps.lookup(slot(me, s)?, needed).map_err(cap::error)?;
    match id.kind {
        KObject::Endpoint(ep) => Ok((ep.clone(), id.badge)),
        _ => Err(Error::WrongType),
    }
}

/// A memory capability (DERIVE) that new kernel objects are charged to.
pub(super) fn charge(caps: &captree::CapSystem<KObject>, s: SlotAddr) -> Result<Rights, Error> {
    let id = caps.lookup(s, Rights::DERIVE).map_err(cap::error)?;
    if !matches!(id.kind, KObject::Memory { .. }) {
        return Err(Error::WrongType);
    }
    if frames::free() <= kernel_reserve_frames() {
        return Err(Error::OutOfMemory);
    }
    Ok(id.rights)
}

/// Frames of quota one endpoint or notification costs its creator.
pub(super) const OBJECT_COST_FRAMES: u64 = 1;

/// Runs `create` with `frames` charged to the caller's quota
/// (returned if it fails).
pub(super) fn charged(me: &Caller, frames: u64, create: impl FnOnce() -> Results) -> Results {
    env::charge(me.id, frames)?;
    let result = create();
    if result.is_err() {
        env::uncharge(me.id, frames);
    }
    result
}

/// An IPC object kind: how to make one paid for by an environment (its
/// id and its object).
pub(super) struct IpcKind {
    create: fn(u32) -> (u32, KObject),
}

pub(super) const ENDPOINT: IpcKind = IpcKind {
    create: |payer| {
        let ep = Endpoint::new(payer);
        (ep.id(), KObject::Endpoint(ep))
    },
};

pub(super) const NOTIFICATION: IpcKind = IpcKind {
    create: |payer| {
        let ntf = Notification::new(payer);
        (ntf.id(), KObject::Notification(ntf))
    },
};

pub(super) fn endpoint_create(me: &Caller, mem_slot: u64, dst: u64) -> Results {
    charged(me, OBJECT_COST_FRAMES, || {
        ipc_object_create(me, mem_slot, dst, &ENDPOINT)
    })
}

pub(super) fn notification_create(me: &Caller, mem_slot: u64, dst: u64) -> Results {
    charged(me, OBJECT_COST_FRAMES, || {
        ipc_object_create(me, mem_slot, dst, &NOTIFICATION)
    })
}

/// Makes an endpoint or notification from the memory capability in
/// `mem_slot` into empty slot `dst`. `r0` = its id.
pub(super) fn ipc_object_create(me: &Caller, mem_slot: u64, dst: u64, kind: &IpcKind) -> Results {
    let (mem_slot, dst) = (slot(me, mem_slot)?, slot(me, dst)?);
    let mut caps = CAPS.lock();
    let rights = charge(&caps, mem_slot)?;
    if caps.identify(dst).is_ok() {
        return Err(Error::SlotOccupied);
    }
    let (id, object) = (kind.create)(me.id);
    if let Err(e) = caps.derive_object(mem_slot, dst, object, rights) {
        return Err(cap::error(e.error));
    }
    Ok([u64::from(id), 0, 0, 0])
}

// The ABI's limit is the capability system's.
const _: () = assert!(abi::MAX_CSPACE_SLOTS == captree::MAX_CSPACE_SLOTS);

/// The size of a new environment's capability space from `EnvCreate`'s
/// `a4`: 0 for `abi::DEFAULT_CHILD_SLOTS`, else 4 (room for the slots
/// `EnvCreate` fills) to `abi::MAX_CSPACE_SLOTS`.
pub(super) fn child_slots(a4: u64) -> Result<u32, Error> {
    match a4 {
        0 => Ok(abi::DEFAULT_CHILD_SLOTS),
        4.. if a4 <= u64::from(abi::MAX_CSPACE_SLOTS) => Ok(a4 as u32),
        _ => Err(Error::InvalidArgument),
    }
}

/// Frames an environment's creation costs its creator's quota (its
/// top-level page table and its info page).
pub(super) const ENV_COST_FRAMES: u64 = 2;

pub(super) fn env_create(me: &Caller, a: [u64; 6]) -> Results {
    charged(me, ENV_COST_FRAMES, || env_create_charged(me, a))
}

pub(super) fn env_create_charged(me: &Caller, a: [u64; 6]) -> Results {
    let mem_slot = slot(me, a[0])?;
    let slots = child_slots(a[4])?;
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
    let cspace = match caps.create_cspace(slots) {
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
        env::settle(removed);
        free_table(info_frame);
        paging::destroy_address_space(aspace, &mut free_table);
        return Err(cap::error(e));
    }
    drop(caps);
    env::add(env::Env::child(
        id, me.id, aspace, cspace, info_frame, death,
    ));
    Ok([u64::from(id), 0, 0, 0])
}

pub(super) fn thread_start(me: &Caller, a: [u64; 6]) -> Results {
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

/// The notification in `s`, checked for `needed`.
pub(super) fn notification(
    me: &Caller,
    s: u64,
    needed: Rights,
) -> Result<Arc<Notification>, Error> {
    let caps = CAPS.lock();
    let id = caps.lookup(slot(me, s)?, needed).map_err(cap::error)?;
    match id.kind {
        KObject::Notification(ntf) => Ok(ntf.clone()),
        _ => Err(Error::WrongType),
    }
}

pub(super) fn quota_give(me: &Caller, thread: u64, frames: u64) -> Results {
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
pub(super) fn thread_env(me: &Caller, s: u64, needed: Rights) -> Result<u32, Error> {
    let caps = CAPS.lock();
    let id = caps.lookup(slot(me, s)?, needed).map_err(cap::error)?;
    match *id.kind {
        KObject::Thread { env } => Ok(env),
        _ => Err(Error::WrongType),
    }
}

pub(super) fn sched_set(me: &Caller, a: [u64; 6]) -> Results {
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
