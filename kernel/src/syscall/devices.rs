//! Device calls: I/O-port ranges and interrupt lines.

use super::*;
use crate::object::irq_line;

pub(super) fn ports_mint(me: &Caller, a: [u64; 6]) -> Results {
    let (src, dst) = (slot(me, a[0])?, slot(me, a[1])?);
    let (base, count) = (a[2], a[3]);
    let mut caps = CAPS.lock();
    let id = caps.lookup(src, Rights::DERIVE).map_err(cap::error)?;
    let KObject::IoPorts(range) = *id.kind else {
        return Err(Error::WrongType);
    };
    let rights = id.rights;
    let object = KObject::IoPorts(range.sub_range(base, count).ok_or(Error::InvalidArgument)?);
    caps.derive_object(src, dst, object, rights)
        .map_err(|e| cap::error(e.error))?;
    Ok([0; 4])
}

pub(super) fn ports_enable(me: &Caller, s: u64) -> Results {
    let via = slot(me, s)?;
    let range = {
        let caps = CAPS.lock();
        let id = caps
            .lookup(via, Rights::READ.union(Rights::WRITE))
            .map_err(cap::error)?;
        match *id.kind {
            KObject::IoPorts(range) => range,
            _ => return Err(Error::WrongType),
        }
    };
    env::ports_enable(me.id, via, range);
    Ok([0; 4])
}

/// The interrupt line in `s` (READ).
pub(super) fn irq_line(me: &Caller, s: u64) -> Result<u32, Error> {
    let caps = CAPS.lock();
    let id = caps
        .lookup(slot(me, s)?, Rights::READ)
        .map_err(cap::error)?;
    match *id.kind {
        KObject::Irq { gsi } => Ok(gsi),
        _ => Err(Error::WrongType),
    }
}

pub(super) fn irq_bind(me: &Caller, a: [u64; 6]) -> Results {
    let gsi = irq_line(me, a[0])?;
    if a[2] == 0 {
        irq_line::unbind(gsi);
        return Ok([0; 4]);
    }
    let ntf = notification(me, a[1], Rights::WRITE)?;
    if !irq_line::bind(gsi, ntf, a[2]) {
        return Err(Error::InvalidArgument);
    }
    Ok([0; 4])
}
