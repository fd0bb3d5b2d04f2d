//! Capability-space calls: identify, copy, mint (also into another
//! environment's space), move, delete, revoke.

use super::*;

pub(super) fn identify(me: &Caller, s: u64) -> Results {
    let caps = CAPS.lock();
    let id = caps.identify(slot(me, s)?).map_err(cap::error)?;
    Ok([
        id.kind.cap_type() as u64,
        cap::rights_to_abi(id.rights),
        id.badge,
        id.kind.detail(),
    ])
}

pub(super) fn copy(me: &Caller, a: u64, b: u64) -> Results {
    let (src, dst) = (slot(me, a)?, slot(me, b)?);
    CAPS.lock()
        .copy(src, dst)
        .map(|()| [0; 4])
        .map_err(cap::error)
}

pub(super) fn mint(me: &Caller, a: [u64; 6]) -> Results {
    let (src, dst) = (slot(me, a[0])?, slot(me, a[1])?);
    let rights = cap::rights_from_abi(a[2])?;
    CAPS.lock()
        .mint(src, dst, rights, a[3])
        .map(|()| [0; 4])
        .map_err(cap::error)
}

/// `CapMintInto`: `mint` from the caller's slot `a0` (GRANT and DERIVE)
/// into slot `a2` of the capability space named by the capability in `a1`
/// (WRITE).
pub(super) fn mint_into(me: &Caller, a: [u64; 6]) -> Results {
    let src = slot(me, a[0])?;
    let space = slot(me, a[1])?;
    let index = u32::try_from(a[2]).map_err(|_| Error::BadSlot)?;
    let rights = cap::rights_from_abi(a[3])?;
    let env = {
        let caps = CAPS.lock();
        let id = caps.lookup(space, Rights::WRITE).map_err(cap::error)?;
        match *id.kind {
            KObject::CSpace { env } => env,
            _ => return Err(Error::WrongType),
        }
    };
    let cspace = env::cspace_of(env).ok_or(Error::NoPartner)?;
    CAPS.lock()
        .mint_granting(src, SlotAddr::new(cspace, index), rights, a[4])
        .map(|()| [0; 4])
        .map_err(cap::error)
}

pub(super) fn move_cap(me: &Caller, a: u64, b: u64) -> Results {
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

pub(super) fn delete(me: &Caller, s: u64) -> Results {
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
        let mut removed = cap::Batch::new();
        removed.push(Removed::Cap(gone));
        if let Some(r) = released {
            removed.push(Removed::Object(r));
        }
        removed
    };
    env::settle_batch(removed);
    Ok([0; 4])
}

pub(super) fn revoke(me: &Caller, s: u64) -> Results {
    let s = slot(me, s)?;
    let n = env::revoke_caps(s).map_err(cap::error)?;
    Ok([n as u64, 0, 0, 0])
}
