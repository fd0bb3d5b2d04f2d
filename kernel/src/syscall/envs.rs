//! Environment and IPC-object calls: creating environments, starting
//! their threads, quotas and scheduling parameters, endpoints and
//! notifications (each charged to a memory capability and a quota).

use super::lookup::{Endpoint, Memory, Notification, Thread};
use super::*;
use crate::object;

/// A memory capability (DERIVE) that new kernel objects are charged to.
pub(super) fn charge(caps: &captree::CapSystem<KObject>, s: SlotAddr) -> Result<Rights, Error> {
    let rights = lookup_in::<Memory>(caps, s, Rights::DERIVE)?.rights;
    if frames::free() <= kernel_reserve_frames() {
        return Err(Error::OutOfMemory);
    }
    Ok(rights)
}

/// Frames of quota one endpoint or notification costs its creator.
pub(super) const OBJECT_COST_FRAMES: u64 = 1;

/// Runs `create` with `frames` charged to the caller's quota
/// (returned if it fails).
pub(super) fn charged<T>(
    me: &Caller,
    frames: u64,
    create: impl FnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
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
        let ep = object::Endpoint::new(payer);
        (ep.id(), KObject::Endpoint(ep))
    },
};

pub(super) const NOTIFICATION: IpcKind = IpcKind {
    create: |payer| {
        let ntf = object::Notification::new(payer);
        (ntf.id(), KObject::Notification(ntf))
    },
};

pub(super) fn endpoint_create(me: &Caller, a: args::EndpointCreate) -> Outcome {
    let id = charged(me, OBJECT_COST_FRAMES, || {
        ipc_object_create(me, a.mem, a.dst, &ENDPOINT)
    })?;
    ret(results::EndpointCreate { id: id.into() })
}

pub(super) fn notification_create(me: &Caller, a: args::NotificationCreate) -> Outcome {
    let id = charged(me, OBJECT_COST_FRAMES, || {
        ipc_object_create(me, a.mem, a.dst, &NOTIFICATION)
    })?;
    ret(results::NotificationCreate { id: id.into() })
}

pub(super) fn signal(me: &Caller, a: args::Signal) -> Outcome {
    let Notification(ntf) = lookup(me, a.ntf, Rights::WRITE)?;
    env::signal(&ntf, a.bits);
    done()
}

/// Makes an endpoint or notification from the memory capability in
/// `mem_slot` into empty slot `dst`; returns its id.
pub(super) fn ipc_object_create(
    me: &Caller,
    mem_slot: u64,
    dst: u64,
    kind: &IpcKind,
) -> Result<u32, Error> {
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
    Ok(id)
}

// The ABI's limit is the capability system's.
const _: () = assert!(abi::MAX_CSPACE_SLOTS == captree::MAX_CSPACE_SLOTS);

/// The size of a new environment's capability space from `EnvCreate`'s
/// `slots` (`a4`): 0 for `abi::DEFAULT_CHILD_SLOTS`, else 4 (room for the
/// slots `EnvCreate` fills) to `abi::MAX_CSPACE_SLOTS`.
pub(super) fn child_slots(slots: u64) -> Result<u32, Error> {
    match slots {
        0 => Ok(abi::DEFAULT_CHILD_SLOTS),
        4.. if slots <= u64::from(abi::MAX_CSPACE_SLOTS) => Ok(slots as u32),
        _ => Err(Error::InvalidArgument),
    }
}

/// Frames an environment's creation costs its creator's quota (its
/// top-level page table and its info page).
pub(super) const ENV_COST_FRAMES: u64 = 2;

pub(super) fn env_create(me: &Caller, a: args::EnvCreate) -> Outcome {
    let id = charged(me, ENV_COST_FRAMES, || env_create_charged(me, a))?;
    ret(results::EnvCreate { id: id.into() })
}

/// `EnvCreate` once its cost is charged to the caller's quota; returns
/// the new environment's id.
pub(super) fn env_create_charged(me: &Caller, a: args::EnvCreate) -> Result<u32, Error> {
    let mem_slot = slot(me, a.mem)?;
    let slots = child_slots(a.slots)?;
    let first = u32::try_from(a.dst)
        .ok()
        .filter(|f| f.checked_add(2).is_some())
        .ok_or(Error::BadSlot)?;
    let dst = [0, 1, 2].map(|i| SlotAddr::new(me.cspace, first + i));
    let give = (a.give != u64::MAX).then(|| slot(me, a.give)).transpose()?;
    let death = (a.death != u64::MAX)
        .then(|| lookup::<Endpoint>(me, a.death, Rights::EXECUTE))
        .transpose()?
        .map(|e| e.ep);
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
    Ok(id)
}

pub(super) fn thread_start(me: &Caller, a: args::ThreadStart) -> Outcome {
    let Thread(target) = lookup(me, a.thread, Rights::WRITE)?;
    let (rip, rsp) = (a.rip, a.rsp);
    if !(USER_MIN..USER_END).contains(&rip) || !(USER_MIN..=USER_END).contains(&rsp) {
        return Err(Error::BadAddress);
    }
    env::start_thread(target, TrapFrame::new_user(rip, rsp, [a.arg, 0, 0, 0]))?;
    done()
}

pub(super) fn quota_give(me: &Caller, a: args::QuotaGive) -> Outcome {
    let Thread(target) = lookup(me, a.thread, Rights::WRITE)?;
    env::quota_give(me.id, target, a.frames)?;
    done()
}

pub(super) fn quota_take(me: &Caller, a: args::QuotaTake) -> Outcome {
    let Thread(target) = lookup(me, a.thread, Rights::WRITE)?;
    env::quota_take(me.id, target, a.frames)?;
    done()
}

pub(super) fn sched_set(me: &Caller, a: args::SchedSet) -> Outcome {
    let Thread(target) = lookup(me, a.thread, Rights::WRITE)?;
    let weight = u32::try_from(a.weight)
        .ok()
        .filter(|w| (1..=1000).contains(w))
        .ok_or(Error::InvalidArgument)?;
    let period = u32::try_from(a.period).map_err(|_| Error::InvalidArgument)?;
    let budget = u32::try_from(a.budget).map_err(|_| Error::InvalidArgument)?;
    env::set_schedule(target, weight, period, budget)?;
    done()
}
