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
    /// In `rt_sigtimedwait` for a signal of `set` until `deadline`, with
    /// those signals unblocked; `mask` is the signal mask to restore.
    SigWait {
        set: u64,
        mask: u64,
        deadline: Option<u64>,
    },
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
    /// Queued instances of real-time signals sent to it alone, in the
    /// order they came.
    pub queue: alloc::vec::Vec<crate::signal::Queued>,
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
            queue: alloc::vec::Vec::new(),
            clear_tid: 0,
            altstack: (0, 0, 2),
            saved_mask: None,
            asked: false,
            sched: Sched::default(),
        }
    }
}

pub use linux_sched::{PickOrder, Sched, RR_INTERVAL_NS, SCHED_DEADLINE, SCHED_FIFO, SCHED_RR};

/// Whether any thread of the process was ever given a real-time policy:
/// until then every pick is plain round robin and no call checks for a
/// thread of higher priority.
pub static RT_USED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// The order in which the scheduler tries the tasks ([`PickOrder`]):
/// plain round robin until some thread has a real-time policy.
pub fn pick_order(tasks: &[Task], cur: usize, keep: bool) -> PickOrder {
    let ranks = if RT_USED.load(core::sync::atomic::Ordering::Relaxed) {
        PickOrder::ranks_of(tasks.iter().map(|t| t.sched.rank()))
    } else {
        1
    };
    PickOrder::new(tasks.len(), cur, keep, ranks)
}

/// Task `i`'s rank, for [`PickOrder::next`].
pub fn rank_of(tasks: &[Task], i: usize) -> Option<u32> {
    tasks.get(i).map(|t| t.sched.rank())
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
