//! [`Scheduler`]: the per-CPU state machine that walks the slot vector,
//! serves the real-time class first, and handles yield, donation and
//! environments that cannot run.
//!
//! # Time
//!
//! Time is counted in quanta; the kernel calls [`Scheduler::tick`] at the
//! start of each one (the timer interrupt). [`Scheduler::yield_now`] and
//! [`Scheduler::donate`] only change who runs for the *rest* of the current
//! quantum: they never move the vector position, never charge a
//! reservation, and never change which environment the next quanta belong
//! to. So slot ownership, and with it the window bound of
//! [`SlotVector`], is exactly as built, whatever environments yield or
//! donate.
//!
//! # Who runs at a tick
//!
//! 1. A real-time reservation, if one is runnable and has budget (see the
//!    `realtime` module rules: EDF, ties to the smaller id). The vector
//!    position does not move: real-time quanta are taken off the top and the
//!    proportional class shares the rest, in vector order.
//! 2. Otherwise the vector moves to the next slot. Its owner runs if it is
//!    runnable ([`Why::Owner`]).
//! 3. If not, the slot is **lent** ([`Why::Lent`]): a second cursor, the
//!    *spare cursor*, walks the same vector on its own and stops at the
//!    next runnable environment. Spare slots therefore go to the runnable
//!    environments in proportion to their weights (the spare cursor sees the
//!    vector restricted to them, which keeps a bounded lag). An environment
//!    that is not runnable banks nothing: its slots are lent, not saved up,
//!    and when it is runnable again it simply gets its own slots again.
//!    Runnable environments never lose a slot of their own because of
//!    others.
//!    If no environment owning a slot is runnable, an environment of the
//!    vector that owns no slot (its share is below one slot) gets it, taking
//!    turns in id order.
//! 4. If no environment of the vector is runnable: [`Dispatch::Idle`].
//!
//! # Rest of a quantum
//!
//! * `yield_now()`: the rest goes to the next owner in the vector after the
//!   current position that is runnable and is not the one yielding; further
//!   yields in the same quantum continue from there, and after one full
//!   turn of the vector an environment owning no slot is tried (as in 3),
//!   then the CPU idles until the next tick. Calling it while
//!   idle re-checks for a runnable environment ([`Why::Woken`]); the kernel
//!   calls it when the running environment blocks, or after waking one on
//!   an idle CPU. Real-time reservations are only considered at ticks.
//! * `donate(to)`: the rest runs `to` ([`Why::Donated`]). `to` need not
//!   have slots of its own (a server running on its client's time); if the
//!   scheduler knows it, it must be runnable.

use crate::envs::EnvTable;
use crate::realtime::{RealtimeClass, Reservation};
use crate::{Dispatch, EnvId, SlotError, SlotVector, Why};

/// One CPU's scheduler. See the module docs for the rules.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Scheduler {
    vector: SlotVector,
    envs: EnvTable,
    realtime: RealtimeClass,
    /// Quanta started so far; the next tick starts quantum `started`.
    started: u64,
    /// Vector slot of the latest proportional-share quantum.
    position: Option<usize>,
    /// The spare cursor: next vector index it looks at.
    spare: usize,
    /// Next entry index tried for environments owning no slot, at ticks
    /// and (separately, so yields never change the ticks) at yields.
    slotless: usize,
    yield_slotless: usize,
    current: Dispatch,
    /// Next vector index a yield looks at, and how many it may still look
    /// at in this quantum.
    yield_next: usize,
    yield_left: usize,
}

impl Scheduler {
    /// A scheduler walking `vector`, with every environment in it
    /// runnable, no reservations, nothing running yet.
    pub fn new(vector: SlotVector) -> Scheduler {
        let mut envs = EnvTable::default();
        for (env, _, _) in vector.entries() {
            envs.add(env);
        }
        Scheduler {
            vector,
            envs,
            realtime: RealtimeClass::new(),
            started: 0,
            position: None,
            spare: 0,
            slotless: 0,
            yield_slotless: 0,
            current: Dispatch::Idle,
            yield_next: 0,
            yield_left: 0,
        }
    }

    /// Starts the next quantum and says who runs in it.
    pub fn tick(&mut self) -> Dispatch {
        let now = self.started;
        self.started = self.started.saturating_add(1);
        let envs = &self.envs;
        self.current = match self.realtime.pick(now, |e| envs.is_runnable(e)) {
            Some(env) => Dispatch::Run {
                env,
                why: Why::Realtime,
            },
            None => self.next_share_slot(),
        };
        let len = self.vector.len();
        self.yield_next = self.position.map_or(0, |p| (p + 1) % len);
        self.yield_left = len;
        self.yield_slotless = self.slotless;
        self.current
    }

    /// The running environment gives up the rest of the quantum (see the
    /// module docs for who gets it).
    pub fn yield_now(&mut self) -> Dispatch {
        let by = self.current.env();
        let why = match by {
            Some(by) => Why::Yielded { by },
            None => Why::Woken,
        };
        let len = self.vector.len();
        if by.is_none() {
            // An idle CPU may always look again (after a wake-up).
            self.yield_left = len;
        }
        while self.yield_left > 0 {
            let env = self.vector.owner(self.yield_next);
            self.yield_next = (self.yield_next + 1) % len;
            self.yield_left -= 1;
            if Some(env) != by && self.envs.is_runnable(env) {
                self.current = Dispatch::Run { env, why };
                return self.current;
            }
        }
        let picked = slotless_pick(&self.vector, &self.envs, &mut self.yield_slotless, by);
        self.current = picked.map_or(Dispatch::Idle, |env| Dispatch::Run { env, why });
        self.current
    }

    /// Directed yield: `to` runs the rest of the quantum. Refused with
    /// [`SlotError::NothingRunning`] when idle, and
    /// [`SlotError::NotRunnable`] if `to` is known and not runnable.
    /// Donating to the running environment changes nothing.
    pub fn donate(&mut self, to: EnvId) -> Result<Dispatch, SlotError> {
        let Dispatch::Run { env: by, .. } = self.current else {
            return Err(SlotError::NothingRunning);
        };
        if self.envs.runnable(to) == Some(false) {
            return Err(SlotError::NotRunnable(to));
        }
        if to != by {
            self.current = Dispatch::Run {
                env: to,
                why: Why::Donated { by },
            };
        }
        Ok(self.current)
    }

    /// Marks a known environment runnable or not. It takes effect at the
    /// next decision; if the running environment blocks, the kernel calls
    /// [`yield_now`](Self::yield_now).
    pub fn set_runnable(&mut self, env: EnvId, runnable: bool) -> Result<(), SlotError> {
        let old = self
            .envs
            .set(env, runnable)
            .ok_or(SlotError::UnknownEnv(env))?;
        if runnable && !old {
            self.realtime.wake(env, self.started);
        }
        Ok(())
    }

    /// Whether a known environment is runnable.
    pub fn is_runnable(&self, env: EnvId) -> Result<bool, SlotError> {
        self.envs.runnable(env).ok_or(SlotError::UnknownEnv(env))
    }

    /// Gives `env` a real-time reservation of `budget` quanta every
    /// `period` quanta, starting with the next quantum. An environment
    /// new to the scheduler starts out runnable. Refused with
    /// [`SlotError::AlreadyRealtime`], [`SlotError::BadReservation`]
    /// (`budget` is 0 or above `period`) or [`SlotError::Overload`].
    pub fn add_realtime(&mut self, env: EnvId, period: u32, budget: u32) -> Result<(), SlotError> {
        self.realtime.add(env, period, budget, self.started)?;
        self.envs.add(env);
        Ok(())
    }

    /// Ends `env`'s reservation, returning its last state.
    pub fn remove_realtime(&mut self, env: EnvId) -> Result<Reservation, SlotError> {
        let r = self
            .realtime
            .remove(env)
            .ok_or(SlotError::UnknownEnv(env))?;
        if !self.vector.contains(env) {
            self.envs.retain(|e| e != env);
        }
        Ok(r)
    }

    /// `env`'s reservation, if it has one.
    pub fn reservation(&self, env: EnvId) -> Option<Reservation> {
        self.realtime.get(env)
    }

    /// Sets the real-time admission limit in parts per million of the CPU
    /// (capped at [`FULL_CPU_PPM`](crate::FULL_CPU_PPM)); refused with
    /// [`SlotError::Overload`] if the admitted reservations already exceed
    /// it.
    pub fn set_realtime_limit(&mut self, ppm: u32) -> Result<(), SlotError> {
        self.realtime.set_limit(ppm)
    }

    /// The admitted real-time load and the limit, in ppm.
    pub fn realtime_load(&self) -> (u32, u32) {
        (self.realtime.used_ppm(), self.realtime.limit_ppm())
    }

    /// Switches to a new vector (new weights). It is walked from its
    /// first slot at the next proportional-share quantum. Environments of
    /// the new vector keep their runnable flag if known, else start
    /// runnable; environments in neither the new vector nor the real-time
    /// class are forgotten.
    pub fn replace_vector(&mut self, vector: SlotVector) {
        for (env, _, _) in vector.entries() {
            self.envs.add(env);
        }
        let rt = &self.realtime;
        self.envs
            .retain(|e| vector.contains(e) || rt.envs().any(|r| r == e));
        self.vector = vector;
        self.position = None;
        self.spare = 0;
        self.slotless = 0;
        self.yield_slotless = 0;
        self.yield_next = 0;
        self.yield_left = self.vector.len();
    }

    /// Who runs now.
    pub fn current(&self) -> Dispatch {
        self.current
    }

    /// The vector slot of the latest proportional-share quantum (`None`
    /// before the first).
    pub fn position(&self) -> Option<usize> {
        self.position
    }

    /// How many quanta have been started.
    pub fn elapsed(&self) -> u64 {
        self.started
    }

    /// The vector being walked.
    pub fn vector(&self) -> &SlotVector {
        &self.vector
    }

    /// Moves to the next vector slot and decides who runs in it.
    fn next_share_slot(&mut self) -> Dispatch {
        let len = self.vector.len();
        let slot = self.position.map_or(0, |p| (p + 1) % len);
        self.position = Some(slot);
        let owner = self.vector.owner(slot);
        if self.envs.is_runnable(owner) {
            return Dispatch::Run {
                env: owner,
                why: Why::Owner { slot },
            };
        }
        if !self.envs.any_runnable() {
            return Dispatch::Idle;
        }
        for _ in 0..len {
            let env = self.vector.owner(self.spare);
            self.spare = (self.spare + 1) % len;
            if self.envs.is_runnable(env) {
                return Dispatch::Run {
                    env,
                    why: Why::Lent { slot, owner },
                };
            }
        }
        match slotless_pick(&self.vector, &self.envs, &mut self.slotless, None) {
            Some(env) => Dispatch::Run {
                env,
                why: Why::Lent { slot, owner },
            },
            None => Dispatch::Idle,
        }
    }
}

/// The next runnable environment of the vector that owns no slot, other
/// than `exclude`, taking turns in id order from `cursor`.
fn slotless_pick(
    vector: &SlotVector,
    envs: &EnvTable,
    cursor: &mut usize,
    exclude: Option<EnvId>,
) -> Option<EnvId> {
    let entries = vector.entry_slice();
    let n = entries.len();
    for k in 0..n {
        let i = (*cursor + k) % n;
        let (env, _, count) = entries[i];
        if count == 0 && Some(env) != exclude && envs.is_runnable(env) {
            *cursor = (i + 1) % n;
            return Some(env);
        }
    }
    None
}
