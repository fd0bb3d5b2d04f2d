//! Device calls: I/O-port ranges and interrupt lines.

use super::lookup::{IoPorts, Irq, Notification};
use super::*;
use crate::object::irq_line;

pub(super) fn ports_mint(me: &Caller, a: args::PortsMint) -> Outcome {
    let (src, dst) = (slot(me, a.src)?, slot(me, a.dst)?);
    let (base, count) = (a.base, a.count);
    let mut caps = CAPS.lock();
    let found = lookup_in::<IoPorts>(&caps, src, Rights::DERIVE)?;
    let (IoPorts(range), rights) = (found.kind, found.rights);
    let object = KObject::IoPorts(range.sub_range(base, count).ok_or(Error::InvalidArgument)?);
    caps.derive_object(src, dst, object, rights)
        .map_err(|e| cap::error(e.error))?;
    done()
}

pub(super) fn ports_enable(me: &Caller, a: args::PortsEnable) -> Outcome {
    let via = slot(me, a.ports)?;
    let IoPorts(range) = lookup_in(&CAPS.lock(), via, Rights::READ.union(Rights::WRITE))?.kind;
    env::ports_enable(me.id, via, range);
    done()
}

pub(super) fn irq_bind(me: &Caller, a: args::IrqBind) -> Outcome {
    let Irq(gsi) = lookup(me, a.irq, Rights::READ)?;
    if a.bits == 0 {
        irq_line::unbind(gsi);
        return done();
    }
    let Notification(ntf) = lookup(me, a.ntf, Rights::WRITE)?;
    if !irq_line::bind(gsi, ntf, a.bits) {
        return Err(Error::InvalidArgument);
    }
    done()
}

pub(super) fn irq_ack(me: &Caller, a: args::IrqAck) -> Outcome {
    let Irq(gsi) = lookup(me, a.irq, Rights::READ)?;
    irq_line::ack(gsi);
    done()
}
