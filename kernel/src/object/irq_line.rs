//! Interrupt lines lent to user space (`KObject::Irq` names a line by its
//! GSI): each line's binding to the notification it signals, with the
//! bits and whether the line is level-triggered. The binding holds the
//! notification itself, so an interrupt reaches the word without a table
//! lookup; the table here is indexed by the line's number, as the
//! hardware names it. Routing and masking are `crate::irq`'s.
//!
//! Lock: `BINDINGS` is taken after every object lock and never held
//! while taking another but the I/O APIC's (see `crate::object`).

use alloc::sync::Arc;

use spin::Mutex;

use super::notification::Notification;
use crate::irq;

/// A line bound to a notification.
struct Binding {
    ntf: Arc<Notification>,
    bits: u64,
    level: bool,
}

/// Each line's binding, by GSI (lock order: see `crate::object`).
static BINDINGS: Mutex<[Option<Binding>; irq::USER_LINES]> =
    Mutex::new([const { None }; irq::USER_LINES]);

/// Routes `gsi` to the boot CPU and ORs `bits` into `ntf` on each
/// interrupt. False if the line cannot be given out.
pub fn bind(gsi: u32, ntf: Arc<Notification>, bits: u64) -> bool {
    let Some(level) = irq::line_level(gsi) else {
        return false;
    };
    BINDINGS.lock()[gsi as usize] = Some(Binding { ntf, bits, level });
    irq::lend(gsi)
}

/// Masks `gsi` and forgets its binding (the console's line goes back to
/// the kernel).
pub fn unbind(gsi: u32) {
    let was = BINDINGS.lock().get_mut(gsi as usize).and_then(Option::take);
    if was.is_some() {
        irq::reclaim(gsi);
    }
}

/// Unbinds every line bound to `ntf`.
pub fn unbind_notification(ntf: &Notification) {
    for gsi in 0..irq::USER_LINES as u32 {
        let bound =
            matches!(&BINDINGS.lock()[gsi as usize], Some(b) if core::ptr::eq(&*b.ntf, ntf));
        if bound {
            unbind(gsi);
        }
    }
}

/// True if some line is bound to `ntf` (an interrupt can still signal it).
pub fn bound(ntf: &Notification) -> bool {
    BINDINGS
        .lock()
        .iter()
        .flatten()
        .any(|b| core::ptr::eq(&*b.ntf, ntf))
}

/// An interrupt on `gsi`: the notification to signal and the bits, if the
/// line is bound (a level-triggered line stays masked until `ack`).
pub fn fire(gsi: u32) -> Option<(Arc<Notification>, u64)> {
    let bindings = BINDINGS.lock();
    let b = bindings.get(gsi as usize)?.as_ref()?;
    if b.level {
        irq::set_masked(gsi, true);
    }
    Some((b.ntf.clone(), b.bits))
}

/// Unmasks `gsi` after its handler ran, if it is bound.
pub fn ack(gsi: u32) {
    let bound = BINDINGS
        .lock()
        .get(gsi as usize)
        .is_some_and(Option::is_some);
    if bound {
        irq::set_masked(gsi, false);
    }
}
