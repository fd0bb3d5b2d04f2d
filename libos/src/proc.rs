//! The process: its memory, descriptors, tasks and signal dispositions,
//! and switching between its tasks. (Waiting in system calls, and picking
//! the task to run next, is `linux::wait`.)

use alloc::vec::Vec;

use abi::UpcallFrame;

use crate::fd::FdTable;
use crate::mm::Mm;
use crate::signal::{self, Action};
use crate::task::{Block, State, Task};
use crate::{kcall, server};

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
    /// Who sent each pending standard signal and how (`si_pid`,
    /// `si_uid`, `si_code`, `si_status` or `si_value`).
    pub origins: [signal::Origin; 64],
    /// Queued instances of real-time signals sent to the process, in the
    /// order they came.
    pub queue: Vec<signal::Queued>,
    /// A SIGCONT arrived (what a stopped process waits for).
    pub continued: bool,
    /// Whose calls strace shows.
    pub trace: Trace,
    /// Interval and POSIX timers.
    pub timers: crate::timers::Timers,
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
            queue: Vec::new(),
            continued: false,
            trace: Trace::Off,
            timers: crate::timers::Timers::default(),
        }
    }

    pub fn task(&mut self) -> &mut Task {
        &mut self.tasks[self.cur]
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
    #[inline]
    pub fn poll_signals(&mut self) {
        let taken = server::take_signals();
        if taken != 0 {
            self.signals_came(taken);
        }
    }

    /// The signals in `taken` came from the server.
    fn signals_came(&mut self, taken: u64) {
        // A real-time signal's bit: the server queued instances of it.
        let s = taken & signal::STANDARD;
        if s != taken {
            self.take_queued();
        }
        if s == 0 {
            return;
        }
        let mut left = s;
        while left != 0 {
            let sig = u64::from(left.trailing_zeros()) + 1;
            // A standard signal already pending keeps its first sender.
            if self.pending & signal::bit(sig) == 0 {
                self.origins[(sig - 1) as usize] = server::origin_of(sig);
            }
            left &= left - 1;
        }
        signal::arrive(self, s);
    }

    /// Takes the signal instances the server queued for the process.
    #[cold]
    fn take_queued(&mut self) {
        loop {
            let Ok(answer) = server::call_with(sysproto::sys::SigTake {}, &()) else {
                return;
            };
            let more = answer.reply.more;
            let recs: Vec<sysproto::SigRecord> = answer
                .bytes()
                .chunks_exact(core::mem::size_of::<sysproto::SigRecord>())
                .filter_map(|c| {
                    <sysproto::SigRecord as sysproto::zerocopy::FromBytes>::read_from_bytes(c).ok()
                })
                .collect();
            for r in recs {
                let origin = signal::Origin {
                    pid: r.pid,
                    uid: r.uid,
                    code: r.code,
                    value: r.value,
                };
                let _ =
                    signal::enqueue(self, None, u64::from(r.sig), origin, signal::Room::Counted);
            }
            if !more {
                return;
            }
        }
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
    pub fn log_once(&mut self, nr: u64, name: &str) {
        let i = (nr / 64) as usize;
        if i >= self.logged.len() || self.logged[i] & (1 << (nr % 64)) != 0 {
            return;
        }
        self.logged[i] |= 1 << (nr % 64);
        exo_rt::println!("libos: {} ({}) is not implemented: ENOSYS", name, nr);
    }

    /// Whether strace shows this process's calls.
    pub fn traced(&self) -> bool {
        match self.trace {
            Trace::Off => false,
            Trace::All => true,
            Trace::Pid(pid) => pid == server::pid(),
        }
    }
}

/// Which processes strace shows (`EXOV6_STRACE`, read at `exec` and
/// inherited by children).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trace {
    Off,
    All,
    /// The process with this pid only.
    Pid(u64),
}

impl Trace {
    /// The setting `EXOV6_STRACE=value` asks for (`all` or a pid).
    pub fn parse(value: &[u8]) -> Trace {
        if value == b"all" {
            return Trace::All;
        }
        match core::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse().ok())
        {
            Some(pid) if pid > 0 => Trace::Pid(pid),
            _ => Trace::Off,
        }
    }
}
