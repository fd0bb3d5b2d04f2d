//! The state the kernel's objects keep, without locks, ids or threads:
//!
//! * [`Queues`]: an IPC endpoint's queues of waiting callers, waiting
//!   receivers and kernel notices, and whether it is still open.
//! * [`Word`]: a notification's word of bits and its waiters.
//! * [`PortRange`], [`allow_ports`] and [`switch_ports`]: an I/O-port
//!   range, the part of it a capability may be narrowed to, and the TSS
//!   permission bitmap a set of ranges gives (built whole, or switched
//!   from another set touching only the bytes either set opens).
//!
//! Waiters are named by environment id (`u32`). The kernel wraps each in
//! its object (`kernel/src/object/`) with the object's id, its payer and a
//! lock, and moves threads between the queues and the CPU itself.
//!
//! Invariant (kept by the kernel, checked by the property tests for what
//! these types do): an id is on a queue at most once, and comes off it
//! when it is handed out, forgotten or the object is closed.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod ports;
mod queues;
mod word;

pub use ports::{allow_ports, switch_ports, OpenBytes, PortRange};
pub use queues::{Pending, Queues};
pub use word::Word;

/// The object's last capability is gone: nobody can use it any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closed;
