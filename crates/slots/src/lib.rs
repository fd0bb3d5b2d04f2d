//! CPU time as a vector of time slots, for the ExoV6 kernel.
//!
//! * [`SlotVector`] fills a cyclic vector of slots by weight with a
//!   deterministic proportional-share sequence: each environment's slot
//!   count is its exact share rounded (largest remainder), and its slots
//!   are placed earliest-deadline-first in windows given by Beatty
//!   sequences. **Bound:** in every cyclic window of length `L`, an
//!   environment owns its share at its vector rate to within **< 2**
//!   slots, and its exact weight share `L * w_i / W` to within
//!   **< 2 + L/len (< 3 for `L <= len`; < 2 when `len * w_i` is a multiple
//!   of `W`)**. The statement is on [`SlotVector`], the proof in the
//!   `pfair` module source.
//! * [`Scheduler`] is one CPU's state machine: [`tick`](Scheduler::tick)
//!   starts the next quantum, a real-time class
//!   ([`add_realtime`](Scheduler::add_realtime), EDF with a
//!   constant-bandwidth wake-up rule) is served first, slots of
//!   environments that cannot run are lent to runnable ones, and
//!   [`yield_now`](Scheduler::yield_now) / [`donate`](Scheduler::donate)
//!   hand over the rest of a quantum.
//!
//! Every error is a [`SlotError`] value; no input panics.
//!
//! ```
//! use slots::{Dispatch, EnvId, Scheduler, SlotVector, Why};
//!
//! let (a, b) = (EnvId(1), EnvId(2));
//! let v = SlotVector::build(&[(a, 2), (b, 1)], 6).unwrap();
//! assert_eq!(v.as_slice(), &[a, a, b, a, a, b]);
//!
//! let mut s = Scheduler::new(v);
//! assert_eq!(s.tick(), Dispatch::Run { env: a, why: Why::Owner { slot: 0 } });
//! // A hands the rest of its quantum to B.
//! assert_eq!(s.donate(b).unwrap().env(), Some(b));
//! // B cannot run: its slot is lent to A.
//! s.set_runnable(b, false).unwrap();
//! s.tick(); // slot 1: A again
//! assert_eq!(s.tick(), Dispatch::Run { env: a, why: Why::Lent { slot: 2, owner: b } });
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod apportion;
mod dispatch;
mod env;
mod envs;
mod error;
pub mod load;
mod pfair;
mod realtime;
mod scheduler;
mod vector;

pub use dispatch::{Dispatch, Why};
pub use env::EnvId;
pub use error::SlotError;
pub use realtime::{Reservation, FULL_CPU_PPM};
pub use scheduler::Scheduler;
pub use vector::{SlotVector, MAX_SLOTS};
