//! What an environment holds besides its capabilities: its quota, its
//! read-only info page, pending revocation requests (with the abort
//! protocol) and its I/O-port permissions (`object::ports`).

use super::*;
use crate::object::PortRange;

/// A request to give frames back by a deadline.
#[derive(Clone, Copy, Debug)]
pub struct Revocation {
    pub frames: u64,
    pub deadline_us: u64,
    pub used_at_request: u64,
}

/// Writes an environment's info page from its current figures.
pub(super) fn write_info(e: &Env) {
    use abi::info::word;
    let mut words = [0u64; word::SYSTEM_TICKS + 1];
    words[word::MAGIC] = abi::info::MAGIC;
    words[word::ENV_ID] = u64::from(e.id);
    words[word::CPU_ID] = u64::from(percpu::this().index);
    words[word::TSC_HZ] = crate::time::tsc_hz();
    words[word::BOOT_TSC] = crate::time::boot_tsc();
    words[word::TIMER_HZ] = u64::from(crate::time::TIMER_HZ);
    words[word::QUOTA_FRAMES] = e.quota_frames;
    words[word::USED_FRAMES] = e.used_frames;
    words[word::REVOKE_FRAMES] = e.revoke.map_or(0, |r| r.frames);
    words[word::REVOKE_DEADLINE_US] = e.revoke.map_or(0, |r| r.deadline_us);
    words[word::REPOSSESSED_COUNT] = e.repossessed_count;
    words[word::REPOSSESSED..word::USER_TICKS].copy_from_slice(&e.repossessed);
    words[word::USER_TICKS] = e.user_ticks;
    words[word::SYSTEM_TICKS] = e.system_ticks;
    crate::mem::write_phys_words(e.info_frame, &words);
}

/// `RevokeRequest`: asks `target` for `frames` frames within `grace_us`.
/// `frame` already holds the caller's result: a caller asking itself has
/// its handler entered with it.
pub fn revoke_request(
    frame: &mut TrapFrame,
    target: u32,
    frames: u64,
    grace_us: u64,
) -> Result<(), Error> {
    let deadline_us = crate::time::now_us().saturating_add(grace_us);
    let has_handler = {
        let mut envs = ENVS.lock();
        let e = envs.get_mut(&target).ok_or(Error::NoPartner)?;
        if e.revoke.is_some() || frames == 0 || frames > e.quota_frames {
            return Err(Error::InvalidArgument);
        }
        e.revoke = Some(Revocation {
            frames,
            deadline_us,
            used_at_request: e.used_frames,
        });
        write_info(e);
        let has = e.upcall.is_some();
        if has && target != current() {
            e.pending_upcall
                .set(Some([abi::upcall::kind::REVOKE, 0, frames, deadline_us]));
        }
        has
    };
    if has_handler && target == current() {
        let _ = deliver_upcall(frame, abi::upcall::kind::REVOKE, 0, frames, deadline_us);
    }
    Ok(())
}

/// Enforces revocations whose deadline has passed: the quota shrinks (back
/// to the creator), and frames not given back are taken (abort protocol).
pub(super) fn expire_revocations() {
    let now = crate::time::now_us();
    let due: Vec<u32> = ENVS
        .lock()
        .values()
        .filter(|e| e.revoke.is_some_and(|r| now >= r.deadline_us))
        .map(|e| e.id)
        .collect();
    for id in due {
        enforce_revocation(id);
    }
}

pub(super) fn enforce_revocation(id: u32) {
    let (shortfall, cspace) = {
        let mut envs = ENVS.lock();
        let Some(e) = envs.get_mut(&id) else { return };
        let Some(r) = e.revoke.take() else { return };
        let given = r.used_at_request.saturating_sub(e.used_frames);
        e.quota_frames = e.quota_frames.saturating_sub(r.frames);
        write_info(e);
        let (shortfall, cspace, parent) = (r.frames.saturating_sub(given), e.cspace, e.parent);
        if let Some(p) = parent.and_then(|p| envs.get_mut(&p)) {
            p.quota_frames += r.frames;
            write_info(p);
        }
        (shortfall, cspace)
    };
    if shortfall == 0 {
        return;
    }
    // In steps: a few occupied slots at a time are looked at under the
    // lock, and what was taken is settled after it (nothing collected).
    let mut taken = 0u64;
    let mut next = 0u32;
    while taken < shortfall {
        let mut batch = cap::Batch::new();
        let mut found = 0;
        let mut paddrs = [0u64; cap::BATCH_CAPS];
        {
            let mut caps = CAPS.lock();
            let mut at = [0u32; cap::BATCH_CAPS];
            let mut n = 0;
            if let Ok(it) = caps.occupied_slots(cspace) {
                for i in it.skip_while(|&i| i < next).take(cap::BATCH_CAPS) {
                    at[n] = i;
                    n += 1;
                }
            }
            if n == 0 {
                break;
            }
            next = at[n - 1] + 1;
            for &i in &at[..n] {
                if taken + found == shortfall {
                    break;
                }
                let slot = captree::SlotAddr::new(cspace, i);
                let Ok(idn) = caps.identify(slot) else {
                    continue;
                };
                let KObject::Frame {
                    paddr, charged_to, ..
                } = *idn.kind
                else {
                    continue;
                };
                if charged_to != id {
                    continue;
                }
                let gone = captree::DeletedCap {
                    slot,
                    object: idn.object,
                    rights: idn.rights,
                    badge: idn.badge,
                };
                if let Ok(released) = caps.delete(slot) {
                    batch.push(captree::Removed::Cap(gone));
                    if let Some(r) = released {
                        batch.push(captree::Removed::Object(r));
                    }
                    paddrs[found as usize] = paddr;
                    found += 1;
                }
            }
        }
        settle_batch(batch);
        for &paddr in &paddrs[..found as usize] {
            note_repossessed(id, paddr);
        }
        taken += found;
    }
    log::info!("env {id}: revocation deadline passed; {taken} frames repossessed");
}

/// Records a frame the abort protocol took from `id` in its
/// repossession vector.
fn note_repossessed(id: u32, paddr: u64) {
    if let Some(e) = ENVS.lock().get_mut(&id) {
        e.repossessed[(e.repossessed_count % abi::info::REPOSSESSED_SLOTS as u64) as usize] = paddr;
        e.repossessed_count += 1;
        write_info(e);
    }
}

/// Maps a fresh info page into `aspace`; returns its frame.
pub fn make_info_page(aspace: u64) -> Result<u64, Error> {
    let f = frames::alloc().map_err(|_| Error::OutOfMemory)?;
    crate::mem::write_phys(f, &[0u8; 4096]);
    if paging::map_user(
        aspace,
        abi::info::INFO_PAGE,
        f,
        false,
        false,
        false,
        &mut || frames::alloc().ok(),
    )
    .is_err()
    {
        let _ = frames::free_frame(f);
        return Err(Error::OutOfMemory);
    }
    Ok(f)
}

/// Charges `n` frames to environment `id`'s quota.
pub fn charge(id: u32, n: u64) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let e = envs.get_mut(&id).ok_or(Error::NoPartner)?;
    if e.used_frames + n > e.quota_frames {
        return Err(Error::QuotaExceeded);
    }
    e.used_frames += n;
    write_info(e);
    Ok(())
}

/// Returns `n` frames to environment `id`'s quota (if it still exists).
pub fn uncharge(id: u32, n: u64) {
    if let Some(e) = ENVS.lock().get_mut(&id) {
        e.used_frames = e.used_frames.saturating_sub(n);
        write_info(e);
    }
}

/// Moves `n` frames of quota from `from` to its child `to`.
pub fn quota_give(from: u32, to: u32, n: u64) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let child = envs.get(&to).ok_or(Error::NoPartner)?;
    if child.parent != Some(from) {
        return Err(Error::NoRights);
    }
    let giver = envs.get_mut(&from).ok_or(Error::NoPartner)?;
    if giver.quota_frames - giver.used_frames < n {
        return Err(Error::QuotaExceeded);
    }
    giver.quota_frames -= n;
    write_info(giver);
    let child = envs.get_mut(&to).ok_or(Error::NoPartner)?;
    child.quota_frames += n;
    write_info(child);
    Ok(())
}

/// Moves `n` frames of unused quota from `from`'s child `to` back to it.
pub fn quota_take(from: u32, to: u32, n: u64) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let child = envs.get_mut(&to).ok_or(Error::NoPartner)?;
    if child.parent != Some(from) {
        return Err(Error::NoRights);
    }
    if child.quota_frames - child.used_frames < n {
        return Err(Error::QuotaExceeded);
    }
    child.quota_frames -= n;
    write_info(child);
    let giver = envs.get_mut(&from).ok_or(Error::NoPartner)?;
    giver.quota_frames += n;
    write_info(giver);
    Ok(())
}

/// The capability spaces of the environments that hold port grants, each
/// with its environment. An environment enables ports only through a slot
/// of its own space (`PortsEnable`), so a deleted capability can take
/// ports only from the environment its space names here: a removal looks
/// up the spaces it deleted from instead of every environment's grants
/// (and a teardown, whose environment has left, finds none). Lock order:
/// `ENVS`, then this.
static PORT_SPACES: Mutex<BTreeMap<CSpaceId, u32>> = Mutex::new(BTreeMap::new());

/// Lets environment `id` use the ports in `range`, through `via`.
pub fn ports_enable(id: u32, via: captree::SlotAddr, range: PortRange) {
    let mut envs = ENVS.lock();
    let Some(e) = envs.get_mut(&id) else { return };
    e.io.grant(via, range);
    PORT_SPACES.lock().insert(e.cspace, id);
    if current() == id {
        arch::load_io_ports(e.io.ranges());
    }
}

/// Port permissions granted through deleted capabilities (those whose
/// slot `gone` says) are withdrawn. `spaces` are the capability spaces
/// the capabilities were deleted from (`None`: any).
pub fn ports_caps_gone(
    spaces: Option<impl Iterator<Item = CSpaceId>>,
    gone: impl Fn(captree::SlotAddr) -> bool,
) {
    let cur = current();
    let mut envs = ENVS.lock();
    let mut holders = PORT_SPACES.lock();
    // Withdraws from environment `id`; false once it holds no ports.
    let mut withdraw = |id: u32| {
        let Some(e) = envs.get_mut(&id) else {
            return false;
        };
        if e.io.withdraw(&gone) && id == cur {
            arch::load_io_ports(e.io.ranges());
        }
        !e.io.is_empty()
    };
    match spaces {
        Some(spaces) => {
            for c in spaces {
                if let Some(&id) = holders.get(&c) {
                    if !withdraw(id) {
                        holders.remove(&c);
                    }
                }
            }
        }
        None => holders.retain(|_, id| withdraw(*id)),
    }
}

/// Environment `id`, whose capability space was `cspace`, is gone: its
/// port grants went with it.
pub(super) fn ports_holder_gone(cspace: CSpaceId) {
    PORT_SPACES.lock().remove(&cspace);
}
