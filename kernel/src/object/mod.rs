//! The kernel objects a capability can name, one file each for those that
//! keep state of their own. A capability holds its object (`cap::KObject`):
//! an endpoint or a notification behind an `Arc`, so the call that names
//! it reaches its queues with no table lookup; an I/O-port range or an
//! interrupt line by value. Environments are objects too; they live in
//! `crate::env` with the operations that move their threads between
//! objects (IPC, waits, the scheduler).
//!
//! | object | file | state it owns |
//! |---|---|---|
//! | endpoint | `endpoint.rs` | id, payer, queues of callers, receivers and notices |
//! | notification | `notification.rs` | id, payer, the word, its waiters |
//! | I/O-port range | `ports.rs` | the range; an environment's enabled ranges and bitmap |
//! | interrupt line | `irq_line.rs` | the notification each lent line signals |
//! | environment | `crate::env` | address space, capability space, thread, quota, ... |
//! | memory, frame, device memory | `crate::cap` | ranges; a frame's address and mappings |
//!
//! # Lock order
//!
//! The one place the kernel's lock order is written down; every lock site
//! refers here. A lock may be taken only while holding locks above it in
//! this list (none of them is ever taken twice):
//!
//! 1. `env::ENVS`, the environment table (every environment's state).
//! 2. `cap::CAPS`, the capability system (every capability space, the
//!    derivation tree and the objects' `KObject`s).
//! 3. One endpoint's queues or one notification's word (their own locks,
//!    never two at once).
//! 4. `env::sched`'s slot scheduler, `irq_line::BINDINGS`,
//!    `cap::DEVICE_FRAMES`.
//! 5. The hardware and memory leaves: the I/O APIC, the MADT overrides,
//!    the kernel heap, the frame allocator (which the heap takes when it
//!    grows), the console and the log.
//!
//! The kernel handles traps with interrupts off, so on one CPU the only
//! way to deadlock is taking a lock the same path already holds; the
//! order keeps paths that need several (an IPC call: `ENVS`, then the
//! endpoint, then `CAPS` for a capability transfer once the endpoint is
//! released) from ever meeting in reverse.

pub mod endpoint;
pub mod irq_line;
pub mod notification;
pub mod ports;

pub use endpoint::Endpoint;
pub use notification::Notification;
pub use ports::{IoPermissions, PortRange};
