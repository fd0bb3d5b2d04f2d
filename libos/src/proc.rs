//! The process: its memory, descriptors, tasks and signal dispositions,
//! and the loop that picks the task to run next (re-running the system
//! calls of blocked tasks when the server wakes the process, and sleeping
//! in the kernel when nothing can run).

use alloc::vec::Vec;

use abi::UpcallFrame;

use crate::fd::FdTable;
use crate::linux::{self, errno, Ret};
use crate::mm::Mm;
use crate::signal::{self, Action};
use crate::task::{Block, State, Task};
use crate::{kcall, server, time};

/// The process.
pub struct Proc {
    pub mm: Mm,
    pub fds: FdTable,
    pub tasks: Vec<Task>,
    /// The task whose registers are in the live frame.
    pub cur: usize,
    /// The task whose x87/SSE state is in the CPU.
    pub fpu_owner: usize,
    pub actions: [Action; 64],
    /// Signals sent to the process, not yet delivered.
    pub pending: u64,
    /// The running program's path.
    pub exe: Vec<u8>,
    pub umask: u32,
    pub next_thread: u64,
    /// The FS base the kernel holds for the thread now.
    pub live_fs: u64,
    /// Names of unimplemented calls already logged (bit per number).
    pub logged: [u64; 8],
    /// During a fork: the forking task and the state its child starts in.
    pub fork_point: Option<(usize, UpcallFrame)>,
    /// The name `prctl(PR_SET_NAME)` gave.
    pub comm: [u8; 16],
    /// Who sent each pending signal and how (`si_pid`, `si_code`,
    /// `si_status`).
    pub origins: [signal::Origin; 64],
    /// A SIGCONT arrived (what a stopped process waits for).
    pub continued: bool,
}

impl Proc {
    pub fn new(pid: u64) -> Proc {
        Proc {
            mm: Mm::new(),
            fds: FdTable::default(),
            tasks: alloc::vec![Task::new(pid)],
            cur: 0,
            fpu_owner: 0,
            actions: [Action::default(); 64],
            pending: 0,
            exe: Vec::new(),
            umask: 0o022,
            next_thread: 1,
            live_fs: 0,
            logged: [0; 8],
            fork_point: None,
            comm: [0; 16],
            origins: [signal::Origin::default(); 64],
            continued: false,
        }
    }

    pub fn task(&mut self) -> &mut Task {
        &mut self.tasks[self.cur]
    }

    /// A reflected Linux system call of the current task.
    pub fn on_syscall(&mut self, frame: &mut UpcallFrame) {
        frame.rcx = frame.rip;
        frame.r11 = frame.rflags;
        let nr = frame.rax;
        match linux::dispatch(self, frame) {
            Ret::Val(v) => frame.rax = v as u64,
            Ret::Block(b) => {
                // Keep the call in rax: it is re-run or answered later.
                frame.rax = nr;
                self.block_current(frame, b);
            }
            Ret::Resumed => {}
        }
    }

    /// Parks the current task and switches to another.
    pub fn block_current(&mut self, frame: &mut UpcallFrame, b: Block) {
        let cur = self.cur;
        self.tasks[cur].frame = *frame;
        self.tasks[cur].state = State::Blocked(b);
        self.schedule(frame);
    }

    /// The current task gives up the CPU to the next ready one (if any).
    pub fn yield_current(&mut self, frame: &mut UpcallFrame) {
        let cur = self.cur;
        self.tasks[cur].frame = *frame;
        let n = self.tasks.len();
        for step in 1..=n {
            let i = (cur + step) % n;
            if self.tasks[i].state == State::Ready && i != cur {
                self.switch_to(i, frame);
                return;
            }
        }
    }

    /// Makes task `i` current, its registers in `frame`.
    pub fn switch_to(&mut self, i: usize, frame: &mut UpcallFrame) {
        if i != self.fpu_owner {
            if self.fpu_owner < self.tasks.len() {
                let o = self.fpu_owner;
                self.tasks[o].fx.save();
            }
            self.tasks[i].fx.load();
            self.fpu_owner = i;
        }
        if self.live_fs != self.tasks[i].fs_base {
            self.live_fs = self.tasks[i].fs_base;
            kcall::set_fs_base(self.live_fs);
        }
        self.cur = i;
        *frame = self.tasks[i].frame;
    }

    /// Takes the signals the server posted; interrupts blocked tasks that
    /// now have a signal to take.
    pub fn poll_signals(&mut self) {
        let s = server::take_signals();
        if s == 0 {
            return;
        }
        let mut left = s;
        while left != 0 {
            let sig = u64::from(left.trailing_zeros()) + 1;
            self.origins[(sig - 1) as usize] = server::origin_of(sig);
            left &= left - 1;
        }
        signal::arrive(self, s);
    }

    /// Finds a task to run and puts it in `frame`, sleeping in the kernel
    /// while none can run.
    pub fn schedule(&mut self, frame: &mut UpcallFrame) {
        loop {
            self.poll_signals();
            signal::act_on_defaults(self);
            let now = time::now_ns();
            let mut next_deadline = u64::MAX;
            let n = self.tasks.len();
            let start = (self.cur + 1) % n.max(1);
            for step in 0..n {
                let i = (start + step) % n;
                let state = self.tasks[i].state;
                let Some(ready) = self.try_wake(i, state, now, frame) else {
                    continue;
                };
                if ready {
                    return;
                }
                if let State::Blocked(b) = self.tasks[i].state {
                    let d = match b {
                        Block::Retry { deadline } | Block::Futex { deadline, .. } => deadline,
                        Block::Sleep { deadline } => Some(deadline),
                        Block::Signal => None,
                    };
                    if let Some(d) = d {
                        next_deadline = next_deadline.min(d);
                    }
                }
            }
            let us = if next_deadline == u64::MAX {
                u64::MAX
            } else {
                next_deadline
                    .saturating_sub(time::now_ns())
                    .div_ceil(1000)
                    .max(1)
            };
            kcall::wait_wake(us);
        }
    }

    /// Tries to make task `i` runnable; `Some(true)` if it is now current
    /// (in `frame`), `Some(false)` if it stays blocked, `None` if it is
    /// not blocked and not ready (never) — ready tasks are switched to.
    fn try_wake(
        &mut self,
        i: usize,
        state: State,
        now: u64,
        frame: &mut UpcallFrame,
    ) -> Option<bool> {
        match state {
            State::Ready => {
                self.switch_to(i, frame);
                Some(true)
            }
            State::Blocked(b) => {
                let sig = signal::next_for(self, i)
                    .filter(|_| !matches!(b, Block::Retry { .. }) || !self.answered(i));
                if let Some(sig) = sig {
                    // A signal interrupts the call: it fails with EINTR,
                    // or is made again after a SA_RESTART handler.
                    self.tasks[i].state = State::Ready;
                    self.switch_to(i, frame);
                    let restart =
                        matches!(b, Block::Retry { .. } | Block::Futex { deadline: None, .. })
                            && signal::restarts(self, sig)
                            && !linux::nr::never_restarted(frame.rax);
                    if restart {
                        frame.rip -= 2;
                    } else {
                        frame.rax = (-errno::EINTR) as u64;
                    }
                    return Some(true);
                }
                match b {
                    Block::Sleep { deadline } if now >= deadline => {
                        self.tasks[i].state = State::Ready;
                        self.switch_to(i, frame);
                        frame.rax = 0;
                        Some(true)
                    }
                    Block::Futex {
                        deadline: Some(d), ..
                    } if now >= d => {
                        self.tasks[i].state = State::Ready;
                        self.switch_to(i, frame);
                        frame.rax = (-errno::ETIMEDOUT) as u64;
                        Some(true)
                    }
                    Block::Retry { deadline } => {
                        let prev = self.cur;
                        self.switch_to(i, frame);
                        let timed_out = deadline.is_some_and(|d| now >= d);
                        match linux::dispatch_retry(self, frame, timed_out) {
                            Ret::Val(v) => {
                                self.tasks[i].state = State::Ready;
                                frame.rax = v as u64;
                                Some(true)
                            }
                            Ret::Resumed => {
                                self.tasks[i].state = State::Ready;
                                Some(true)
                            }
                            Ret::Block(b2) => {
                                self.tasks[i].frame = *frame;
                                self.tasks[i].state = State::Blocked(b2);
                                // Leave the previous registers in place.
                                if prev < self.tasks.len() {
                                    self.cur = prev;
                                    *frame = self.tasks[prev].frame;
                                }
                                Some(false)
                            }
                        }
                    }
                    _ => Some(false),
                }
            }
        }
    }

    /// Whether task `i`, blocked in a call made again on wakes and about
    /// to take a signal, is in a read the server has answered meanwhile:
    /// the read completes then (the signal comes after). One still waiting
    /// there is given up.
    #[cold]
    #[inline(never)]
    fn answered(&self, i: usize) -> bool {
        !server::abandon(self.tasks[i].tid)
    }

    /// Wakes up to `n` tasks waiting on the futex at `addr` (matching
    /// `bitset`); how many.
    pub fn futex_wake(&mut self, addr: u64, n: u64, bitset: u32) -> u64 {
        let mut woken = 0;
        for t in self.tasks.iter_mut() {
            if woken >= n {
                break;
            }
            if let State::Blocked(Block::Futex {
                addr: a, bitset: b, ..
            }) = t.state
            {
                if a == addr && b & bitset != 0 {
                    t.state = State::Ready;
                    t.frame.rax = 0;
                    woken += 1;
                }
            }
        }
        woken
    }

    /// Moves up to `n` waiters from `from` to `to`; how many.
    pub fn futex_requeue(&mut self, from: u64, to: u64, n: u64) -> u64 {
        let mut moved = 0;
        for t in self.tasks.iter_mut() {
            if moved >= n {
                break;
            }
            if let State::Blocked(Block::Futex {
                addr,
                bitset,
                deadline,
            }) = t.state
            {
                if addr == from {
                    t.state = State::Blocked(Block::Futex {
                        addr: to,
                        bitset,
                        deadline,
                    });
                    moved += 1;
                }
            }
        }
        moved
    }

    /// Before resuming the current task: take posted signals and deliver
    /// one if it may take it.
    pub fn before_resume(&mut self, frame: &mut UpcallFrame) {
        self.poll_signals();
        signal::deliver_pending(self, frame);
    }

    /// Ends the whole process with the wait status `status`.
    pub fn exit_process(&mut self, status: u64) -> ! {
        let _ = server::call(sysproto::sys::Exit { status });
        kcall::exit(i32::from(sysproto::status::shell_code(status)))
    }

    /// Ends the current task; the process ends with the last one.
    pub fn exit_task(&mut self, frame: &mut UpcallFrame, code: u64) {
        if self.tasks.len() == 1 {
            self.exit_process(sysproto::status::exited(code as u8));
        }
        let ctid = self.tasks[self.cur].clear_tid;
        if ctid != 0 && self.mm.write_u32(ctid, 0).is_ok() {
            self.futex_wake(ctid, 1, u32::MAX);
        }
        let gone = self.cur;
        self.tasks.remove(gone);
        if self.fpu_owner == gone {
            self.fpu_owner = usize::MAX;
        } else if self.fpu_owner > gone && self.fpu_owner != usize::MAX {
            self.fpu_owner -= 1;
        }
        // No task's registers are in `frame` now; every remaining task's
        // are saved, so `schedule` can pick any.
        self.cur = gone.saturating_sub(1).min(self.tasks.len() - 1);
        self.schedule(frame);
    }

    /// A new thread's id: the pid plus a thread number << 16, numbers
    /// 1..2^14 taken in turn and skipping those of live threads (so ids
    /// fit the futex word's 30 bits and recycle, as Linux's pids do, only
    /// after a whole round; `threads_max` leaves a number free).
    pub fn new_tid(&mut self) -> u64 {
        const NUMBERS: u64 = 1 << 14;
        let pid = server::pid();
        loop {
            let n = self.next_thread.clamp(1, NUMBERS - 1);
            self.next_thread = if n + 1 >= NUMBERS { 1 } else { n + 1 };
            let t = pid + (n << 16);
            if !self.tasks.iter().any(|k| k.tid == t) {
                return t;
            }
        }
    }

    /// Logs an unimplemented call once by name.
    pub fn log_enosys(&mut self, nr: u64) {
        let i = (nr / 64) as usize;
        if i >= self.logged.len() || self.logged[i] & (1 << (nr % 64)) != 0 {
            return;
        }
        self.logged[i] |= 1 << (nr % 64);
        let name = linux::nr::name(nr).unwrap_or("unknown");
        exo_rt::println!("libos: {} ({}) is not implemented: ENOSYS", name, nr);
    }
}
