//! Device calls: I/O-port ranges and interrupt lines.

use super::lookup::{IoPorts, Irq, Notification};
use super::*;

pub(super) fn ports_mint(me: &Caller, a: args::PortsMint) -> Outcome {
    let (src, dst) = (slot(me, a.src)?, slot(me, a.dst)?);
    let (base, count) = (a.base, a.count);
    let mut caps = CAPS.lock();
    let found = lookup_in::<IoPorts>(&caps, src, Rights::DERIVE)?;
    let (b, c, rights) = (found.kind.base, found.kind.count, found.rights);
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
    done()
}

pub(super) fn ports_enable(me: &Caller, a: args::PortsEnable) -> Outcome {
    let via = slot(me, a.ports)?;
    let IoPorts { base, count } =
        lookup_in(&CAPS.lock(), via, Rights::READ.union(Rights::WRITE))?.kind;
    env::ports_enable(me.id, via, base, count);
    done()
}

pub(super) fn irq_bind(me: &Caller, a: args::IrqBind) -> Outcome {
    let Irq(gsi) = lookup(me, a.irq, Rights::READ)?;
    if a.bits == 0 {
        crate::irq::unbind(gsi);
        return done();
    }
    let Notification(ntf) = lookup(me, a.ntf, Rights::WRITE)?;
    if !crate::irq::bind(gsi, ntf, a.bits) {
        return Err(Error::InvalidArgument);
    }
    done()
}

pub(super) fn irq_ack(me: &Caller, a: args::IrqAck) -> Outcome {
    let Irq(gsi) = lookup(me, a.irq, Rights::READ)?;
    crate::irq::ack(gsi);
    done()
}
