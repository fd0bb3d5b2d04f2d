//! Capability-space calls: identify, copy, mint (also into another
//! environment's space), move, delete, revoke.

use super::lookup::CSpace;
use super::*;

pub(super) fn cap_identify(me: &Caller, a: args::CapIdentify) -> Outcome {
    let caps = CAPS.lock();
    let id = caps.identify(slot(me, a.slot)?).map_err(cap::error)?;
    ret(results::CapIdentify {
        kind: id.kind.cap_type() as u64,
        rights: cap::rights_to_abi(id.rights),
        badge: id.badge,
        detail: id.kind.detail(),
    })
}

pub(super) fn cap_copy(me: &Caller, a: args::CapCopy) -> Outcome {
    let (src, dst) = (slot(me, a.src)?, slot(me, a.dst)?);
    CAPS.lock().copy(src, dst).map_err(cap::error)?;
    done()
}

pub(super) fn cap_mint(me: &Caller, a: args::CapMint) -> Outcome {
    let (src, dst) = (slot(me, a.src)?, slot(me, a.dst)?);
    let rights = cap::rights_from_abi(a.rights)?;
    CAPS.lock()
        .mint(src, dst, rights, a.badge)
        .map_err(cap::error)?;
    done()
}

/// `CapMintInto`: `mint` from the caller's slot `src` (GRANT and DERIVE)
/// into slot `dst` of the capability space named by the capability in
/// `cspace` (WRITE).
pub(super) fn cap_mint_into(me: &Caller, a: args::CapMintInto) -> Outcome {
    let src = slot(me, a.src)?;
    let space = slot(me, a.cspace)?;
    let index = u32::try_from(a.dst).map_err(|_| Error::BadSlot)?;
    let rights = cap::rights_from_abi(a.rights)?;
    let CSpace(env) = lookup_in(&CAPS.lock(), space, Rights::WRITE)?.kind;
    let cspace = env::cspace_of(env).ok_or(Error::NoPartner)?;
    CAPS.lock()
        .mint_granting(src, SlotAddr::new(cspace, index), rights, a.badge)
        .map_err(cap::error)?;
    done()
}

pub(super) fn cap_move(me: &Caller, a: args::CapMove) -> Outcome {
    let (src, dst) = (slot(me, a.src)?, slot(me, a.dst)?);
    let mut caps = CAPS.lock();
    caps.move_cap(src, dst).map_err(cap::error)?;
    // Mappings made through the capability follow it to its new slot.
    let obj = caps.identify(dst).map_err(cap::error)?.object;
    if let Ok(KObject::Frame { mappings, .. }) = caps.object_mut(obj) {
        for m in mappings.iter_mut().filter(|m| m.via == src) {
            m.via = dst;
        }
    }
    done()
}

pub(super) fn cap_delete(me: &Caller, a: args::CapDelete) -> Outcome {
    delete_at(slot(me, a.slot)?)
}

pub(super) fn cap_delete_in(me: &Caller, a: args::CapDeleteIn) -> Outcome {
    let space = slot(me, a.cspace)?;
    let index = u32::try_from(a.slot).map_err(|_| Error::BadSlot)?;
    let CSpace(env) = lookup_in(&CAPS.lock(), space, Rights::WRITE)?.kind;
    let cspace = env::cspace_of(env).ok_or(Error::NoPartner)?;
    delete_at(SlotAddr::new(cspace, index))
}

/// Deletes the capability at `s` and settles what went with it.
fn delete_at(s: SlotAddr) -> Outcome {
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
        let mut removed = cap::Batch::new();
        removed.push(Removed::Cap(gone));
        if let Some(r) = released {
            removed.push(Removed::Object(r));
        }
        removed
    };
    env::settle_batch(removed);
    done()
}

pub(super) fn cap_revoke(me: &Caller, a: args::CapRevoke) -> Outcome {
    let s = slot(me, a.slot)?;
    let n = env::revoke_caps(s).map_err(cap::error)?;
    ret(results::CapRevoke { deleted: n as u64 })
}
