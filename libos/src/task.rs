//! Threads of the process (Linux tasks), scheduled by the library OS
//! itself inside the one kernel thread of the environment: each task's
//! registers live in an upcall frame while it does not run; the kernel's
//! preemption upcalls and blocking calls switch between them. Also the
//! x87/SSE state of each task (`fxsave` areas), which the library OS (soft
//! float) never touches itself.

use abi::UpcallFrame;

/// The 512-byte `fxsave` area of a task.
#[repr(C, align(64))]
#[derive(Clone)]
pub struct Fx(pub [u8; 512]);

impl Fx {
    /// The state of a fresh task: FCW 0x37f, MXCSR 0x1f80.
    pub fn clean() -> Fx {
        let mut b = [0u8; 512];
        b[0..2].copy_from_slice(&0x37fu16.to_le_bytes());
        b[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        b[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
        Fx(b)
    }

    /// Saves the CPU's x87/SSE state here.
    pub fn save(&mut self) {
        // SAFETY: `fxsave64` writes exactly 512 bytes at a 16-byte aligned
        // address; `self.0` is such a buffer (align 64) owned by us.
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) self.0.as_mut_ptr(), options(nostack)) };
    }

    /// Loads the CPU's x87/SSE state from here.
    pub fn load(&self) {
        // SAFETY: `fxrstor64` reads 512 aligned bytes; the area holds a
        // state made by `fxsave64` or `clean` (reserved MXCSR bits clear),
        // so it cannot fault. The library OS itself uses no x87/SSE state.
        unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) self.0.as_ptr(), options(nostack)) };
    }
}

/// The progress a waiting call carries until it is made again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retry {
    /// When it gives up (nanoseconds since boot): it is made once more,
    /// told that the time is up.
    pub deadline: Option<u64>,
    /// Bytes a write has moved already.
    pub done: u64,
    /// A signal ends it with EINTR even after a `SA_RESTART` handler (the
    /// waits for readiness, which Linux never restarts).
    pub never_restarted: bool,
}

/// Why a task does not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// Make its system call again, with the progress so far, when
    /// something changes (or at the deadline).
    Retry(Retry),
    /// In `futex` wait on `addr` until woken or `deadline`.
    Futex {
        addr: u64,
        bitset: u32,
        deadline: Option<u64>,
    },
    /// Sleeping until `deadline`.
    Sleep { deadline: u64 },
    /// Waiting for any signal (`pause`, `sigsuspend`).
    Signal,
}

/// A task's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ready,
    Blocked(Block),
}

/// A thread.
pub struct Task {
    pub tid: u64,
    /// Its registers while it does not run.
    pub frame: UpcallFrame,
    pub fx: alloc::boxed::Box<Fx>,
    pub fs_base: u64,
    pub state: State,
    /// Blocked signals (bit `n - 1` for signal `n`).
    pub mask: u64,
    /// Signals sent to this thread alone.
    pub pending: u64,
    /// `set_tid_address` / `CLONE_CHILD_CLEARTID`: zeroed and woken at exit.
    pub clear_tid: u64,
    /// `sigaltstack`: (base, size, flags).
    pub altstack: (u64, u64, u32),
    /// A mask to restore after the next handler returns (`sigsuspend`).
    pub saved_mask: Option<u64>,
    /// Its `Retry` call was told to wait and no wake has come since:
    /// asking again now would get the same answer (the server's wake is a
    /// notification bit, kept until the process waits for it).
    pub asked: bool,
    /// Its scheduling policy, real-time priority and nice value.
    pub sched: Sched,
}

impl Task {
    pub fn new(tid: u64) -> Task {
        Task {
            tid,
            frame: UpcallFrame::default(),
            fx: alloc::boxed::Box::new(Fx::clean()),
            fs_base: 0,
            state: State::Ready,
            mask: 0,
            pending: 0,
            clear_tid: 0,
            altstack: (0, 0, 2),
            saved_mask: None,
            asked: false,
            sched: Sched::default(),
        }
    }
}

/// Linux's scheduling policies (`SCHED_*`).
pub const SCHED_OTHER: u32 = 0;
pub const SCHED_FIFO: u32 = 1;
pub const SCHED_RR: u32 = 2;
pub const SCHED_BATCH: u32 = 3;
pub const SCHED_IDLE: u32 = 5;
/// Linux's default `sched_rr_timeslice_ms`.
pub const RR_INTERVAL_NS: u64 = 100_000_000;

/// A thread's scheduling attributes, as `sched_setattr` sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Sched {
    /// One of the `SCHED_*` policies.
    pub policy: u32,
    /// 1..=99 for FIFO and RR, 0 for the others.
    pub priority: u32,
    /// -20..=19.
    pub nice: i32,
    /// `SCHED_RESET_ON_FORK`: a fork child starts with the default policy.
    pub reset_on_fork: bool,
    /// When an RR thread's current time slice began (ns since boot).
    pub slice_start: u64,
}

impl Sched {
    /// The order ready threads run in: a real-time thread of priority `n`
    /// is `n`, the others 0 (they share what is left, in turn).
    pub fn rank(&self) -> u32 {
        match self.policy {
            SCHED_FIFO | SCHED_RR => self.priority,
            _ => 0,
        }
    }

    /// What a fork child starts with: the same, or with
    /// `SCHED_RESET_ON_FORK` the default policy and a nice of at least 0
    /// (the flag itself is cleared).
    pub fn for_fork_child(&self) -> Sched {
        if !self.reset_on_fork {
            return *self;
        }
        let rt = matches!(self.policy, SCHED_FIFO | SCHED_RR);
        Sched {
            policy: if rt { SCHED_OTHER } else { self.policy },
            priority: 0,
            nice: self.nice.max(0),
            reset_on_fork: false,
            slice_start: 0,
        }
    }
}

/// Whether any thread of the process was ever given a real-time policy:
/// until then every pick is plain round robin and no call checks for a
/// thread of higher priority.
pub static RT_USED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// The order in which the scheduler tries tasks: higher rank first; within
/// a rank round robin starting after `cur` (`keep`: starting at `cur`, so
/// a FIFO thread, or an RR thread within its slice, goes on running).
/// Walked with [`PickOrder::next`], which takes the tasks anew each time
/// (the scheduler changes them between steps); nothing is allocated.
pub struct PickOrder {
    start: usize,
    n: usize,
    /// The ranks not yet walked (bit `r` for rank `r`, 0..=99).
    ranks: u128,
    rank: u32,
    step: usize,
}

impl PickOrder {
    pub fn new(tasks: &[Task], cur: usize, keep: bool) -> PickOrder {
        let n = tasks.len();
        let ranks = if RT_USED.load(core::sync::atomic::Ordering::Relaxed) {
            tasks
                .iter()
                .fold(0u128, |m, t| m | 1 << t.sched.rank().min(127))
        } else {
            1
        };
        PickOrder {
            start: if keep { cur } else { cur + 1 } % n.max(1),
            n,
            ranks,
            rank: 127 - ranks.leading_zeros().min(127),
            step: 0,
        }
    }

    /// The next task to try, if any is left.
    pub fn next(&mut self, tasks: &[Task]) -> Option<usize> {
        while self.ranks != 0 {
            while self.step < self.n {
                let i = (self.start + self.step) % self.n;
                self.step += 1;
                if tasks.get(i).is_some_and(|t| t.sched.rank() == self.rank) {
                    return Some(i);
                }
            }
            self.ranks &= !(1u128 << self.rank);
            self.step = 0;
            self.rank = 127 - self.ranks.leading_zeros().min(127);
        }
        None
    }
}

/// The highest rank of a ready task other than `cur`.
pub fn best_ready_rank(tasks: &[Task], cur: usize) -> Option<u32> {
    tasks
        .iter()
        .enumerate()
        .filter(|&(i, t)| i != cur && t.state == State::Ready)
        .map(|(_, t)| t.sched.rank())
        .max()
}
