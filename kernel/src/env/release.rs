//! What happens when capabilities go: mappings made through a deleted
//! frame capability are removed, port permissions granted through it are
//! withdrawn, and a released object gives back what it held (a frame is
//! unmapped everywhere and freed, an endpoint's or notification's waiters
//! fail and its payer's quota is refunded, an interrupt line is masked).
//! Every removal goes in bounded steps with its reports on the stack, so
//! tearing things down never needs fresh memory.
//!
//! Lock: `CAPS` is held only to take a step's reports; everything here is
//! settled after it is released (see `crate::object`).

use super::*;
use captree::{CapError, Removed, SlotAddr};

use crate::cap::{Batch, BATCH_CAPS};
use crate::object::irq_line;

/// Removes every capability derived from `slot` (see `CapSystem::revoke`)
/// in steps of [`BATCH_CAPS`], settling each step; the count removed.
pub fn revoke_caps(slot: SlotAddr) -> Result<usize, CapError> {
    let mut total = 0;
    loop {
        let mut batch = Batch::new();
        let step = CAPS
            .lock()
            .revoke_some(slot, BATCH_CAPS, |r| batch.push(r))?;
        total += step.deleted;
        settle_batch(batch);
        if step.done {
            return Ok(total);
        }
    }
}

/// Deletes every capability in `cspace` and then the space, in steps of
/// [`BATCH_CAPS`], settling each step. Allocates nothing.
pub(super) fn destroy_cspace(cspace: CSpaceId) {
    loop {
        let mut batch = Batch::new();
        let step = CAPS
            .lock()
            .destroy_cspace_some(cspace, BATCH_CAPS, |r| batch.push(r));
        settle_batch(batch);
        match step {
            Ok(p) if !p.done => {}
            _ => return,
        }
    }
}

/// [`settle`] for one step's reports.
pub fn settle_batch(mut batch: Batch) {
    let spaces = batch.spaces();
    if !spaces.is_empty() {
        ports_caps_gone(spaces.each(), |via| batch.deletes(via));
    }
    batch.settle_each(settle_one);
}

/// Undoes what the removed capabilities bound, after the capability system
/// is unlocked: port permissions granted through a deleted capability and
/// the mappings made through a deleted frame capability go; a released
/// frame is unmapped everywhere and freed. Allocates nothing.
pub fn settle(removed: impl IntoIterator<Item = Removed<KObject>>) {
    for r in removed {
        if let Removed::Cap(d) = &r {
            ports_caps_gone(Some([d.slot.cspace].into_iter()), |via| via == d.slot);
        }
        settle_one(r);
    }
}

/// Undoes one report: a deleted capability's mappings, or a released
/// object (its mappings, its frame, its quota charge, its waiters, its
/// binding).
fn settle_one(r: Removed<KObject>) {
    match r {
        Removed::Cap(d) => loop {
            // One mapping at a time: the record is taken under the lock
            // and the page table changed after it.
            let gone = match CAPS.lock().object_mut(d.object) {
                Ok(KObject::Frame { mappings, .. }) => mappings
                    .iter()
                    .position(|m| m.via == d.slot)
                    .map(|i| mappings.swap_remove(i)),
                _ => None,
            };
            match gone {
                Some(m) => forget_mapping(m.env, m.vaddr),
                None => break,
            }
        },
        Removed::Object(rel) => match rel.object {
            KObject::Frame {
                paddr,
                mappings,
                charged_to,
                device,
                ..
            } => {
                for m in &mappings {
                    forget_mapping(m.env, m.vaddr);
                }
                drop(mappings);
                if device {
                    cap::DEVICE_FRAMES.lock().remove(&paddr);
                } else {
                    if let Err(e) = frames::free_frame(paddr) {
                        log::error!("cap: freeing frame {paddr:#x} failed: {e:?}");
                    }
                    uncharge(charged_to, 1);
                }
            }
            KObject::Endpoint(ep) => {
                uncharge(ep.payer(), 1);
                endpoint_gone(&ep);
            }
            KObject::Notification(ntf) => {
                uncharge(ntf.payer(), 1);
                irq_line::unbind_notification(&ntf);
                notification_gone(&ntf);
            }
            KObject::Irq { gsi } => irq_line::unbind(gsi),
            _ => {}
        },
    }
}
