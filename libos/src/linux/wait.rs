//! The system-call entry and the tasks waiting in a call: a call that
//! must wait parks its task with a [`Block`] that carries the call's
//! progress (a write's bytes moved, a poll's deadline); the scheduler
//! picks the next task to run, answers the waits that are over (a sleep's
//! deadline, a futex timeout, a signal) and makes `Retry` calls again with
//! their progress when the server wakes the process, sleeping in the
//! kernel when nothing can run.

use abi::UpcallFrame;
use linux_errno::Errno::{self, EAGAIN, EINTR, ETIMEDOUT};

use super::{dispatch, rax_of, strace, Ret};
use crate::proc::Proc;
use crate::task::{pick_order, rank_of, Block, State};
use crate::{kcall, signal, time};

/// A reflected Linux system call of the current task.
pub fn syscall(p: &mut Proc, frame: &mut UpcallFrame) {
    frame.rcx = frame.rip;
    frame.r11 = frame.rflags;
    let nr = frame.rax;
    match dispatch(p, frame, None, false) {
        Ret::Done(r) => {
            frame.rax = rax_of(r);
            super::threads::after_call(p, frame);
        }
        Ret::Block(b) => {
            // Keep the call in rax: it is made again or answered later.
            frame.rax = nr;
            block(p, frame, b);
        }
        Ret::Resumed => {}
    }
}

/// Parks the current task and switches to another.
pub fn block(p: &mut Proc, frame: &mut UpcallFrame, b: Block) {
    let cur = p.cur;
    p.tasks[cur].frame = *frame;
    p.tasks[cur].state = State::Blocked(b);
    p.tasks[cur].asked = true;
    schedule(p, frame);
}

/// Ends the current task; the process ends with the last one.
pub fn exit_task(p: &mut Proc, frame: &mut UpcallFrame, code: u64) {
    if p.tasks.len() == 1 {
        p.exit_process(sysproto::status::exited(code as u8));
    }
    // Nothing the server answers later is left for a task that is gone.
    crate::server::drop_request(p.tasks[p.cur].tid);
    let ctid = p.tasks[p.cur].clear_tid;
    if ctid != 0 && p.mm.write_u32(ctid, 0).is_ok() {
        p.futex_wake(ctid, 1, u32::MAX);
    }
    let gone = p.cur;
    p.tasks.remove(gone);
    if p.fpu_owner == gone {
        p.fpu_owner = usize::MAX;
    } else if p.fpu_owner > gone && p.fpu_owner != usize::MAX {
        p.fpu_owner -= 1;
    }
    // No task's registers are in `frame` now; every remaining task's
    // are saved, so `schedule` can pick any.
    p.cur = gone.saturating_sub(1).min(p.tasks.len() - 1);
    schedule(p, frame);
}

/// Finds a task to run and puts it in `frame`, sleeping in the kernel
/// while none can run.
pub fn schedule(p: &mut Proc, frame: &mut UpcallFrame) {
    pick(p, frame, false)
}

/// As [`schedule`], trying tasks in the order of their scheduling
/// policies ([`pick_order`]); `keep`: the current task (saved, ready)
/// comes first among those of its priority.
pub fn pick(p: &mut Proc, frame: &mut UpcallFrame, keep: bool) {
    loop {
        crate::timers::fire(p);
        p.poll_signals();
        signal::act_on_defaults(p);
        let now = time::now_ns();
        let mut next_deadline = p.timers.next_deadline().unwrap_or(u64::MAX);
        let mut order = pick_order(&p.tasks, p.cur, keep);
        while let Some(i) = order.next(|i| rank_of(&p.tasks, i)) {
            let state = p.tasks[i].state;
            let prev = p.cur;
            if try_wake(p, i, state, now, frame) {
                if p.cur != prev {
                    p.tasks[p.cur].sched.slice_start = now;
                }
                return;
            }
            if let State::Blocked(b) = p.tasks[i].state {
                let d = match b {
                    Block::Retry(r) => r.deadline,
                    Block::Futex { deadline, .. } => deadline,
                    Block::Sleep { deadline } => Some(deadline),
                    Block::Signal => None,
                    Block::SigWait { deadline, .. } => deadline,
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
        // Something may have changed: every waiting call may ask again.
        for t in p.tasks.iter_mut() {
            t.asked = false;
        }
    }
}

/// Whether task `i`, waiting in a call that is made again on wakes and
/// about to take a signal, is in a read the server has answered
/// meanwhile: the read completes then (the signal comes after). A read
/// still waiting there is given up.
#[cold]
#[inline(never)]
fn answered(p: &Proc, i: usize) -> bool {
    !crate::server::abandon(p.tasks[i].tid)
}

/// Task `i` ends its wait with `r` and becomes current (in `frame`).
fn finish(p: &mut Proc, i: usize, frame: &mut UpcallFrame, r: Result<usize, Errno>) {
    p.tasks[i].state = State::Ready;
    p.switch_to(i, frame);
    if p.traced() {
        strace::resumed(p, frame.rax, Some(r));
    }
    frame.rax = rax_of(r);
}

/// Tries to make task `i` runnable; true if it is now current (in
/// `frame`), false if it stays blocked.
fn try_wake(p: &mut Proc, i: usize, state: State, now: u64, frame: &mut UpcallFrame) -> bool {
    let b = match state {
        State::Ready => {
            p.switch_to(i, frame);
            return true;
        }
        State::Blocked(b) => b,
    };
    if let Block::SigWait {
        set,
        mask,
        deadline,
    } = b
    {
        return sigwait_over(p, i, frame, set, mask, deadline, now);
    }
    let sig = signal::next_for(p, i).filter(|_| !matches!(b, Block::Retry(_)) || !answered(p, i));
    if let Some(sig) = sig {
        // A signal interrupts the call: a write that moved bytes returns
        // their count (as Linux's pipes do); any other fails with EINTR,
        // or is made again after a SA_RESTART handler (not the waits for
        // readiness, which Linux never restarts).
        if let Block::Retry(r) = b {
            if r.done > 0 {
                finish(p, i, frame, Ok(r.done as usize));
                return true;
            }
        }
        let restartable = match b {
            Block::Retry(r) => !r.never_restarted,
            Block::Futex { deadline, .. } => deadline.is_none(),
            Block::Sleep { .. } | Block::Signal | Block::SigWait { .. } => false,
        };
        if restartable && signal::restarts(p, sig) {
            // The call stays in rax; back to the `syscall` instruction.
            p.tasks[i].state = State::Ready;
            p.switch_to(i, frame);
            frame.rip -= 2;
            if p.traced() {
                strace::resumed(p, frame.rax, None);
            }
        } else {
            finish(p, i, frame, Err(EINTR));
        }
        return true;
    }
    match b {
        Block::Sleep { deadline } if now >= deadline => {
            finish(p, i, frame, Ok(0));
            true
        }
        Block::Futex {
            deadline: Some(d), ..
        } if now >= d => {
            finish(p, i, frame, Err(ETIMEDOUT));
            true
        }
        Block::Retry(again) if !p.tasks[i].asked || again.deadline.is_some_and(|d| now >= d) => {
            let prev = p.cur;
            p.switch_to(i, frame);
            let timed_out = again.deadline.is_some_and(|d| now >= d);
            match dispatch(p, frame, Some(again), timed_out) {
                Ret::Done(r) => {
                    p.tasks[i].state = State::Ready;
                    frame.rax = rax_of(r);
                    true
                }
                Ret::Resumed => {
                    p.tasks[i].state = State::Ready;
                    true
                }
                Ret::Block(b2) => {
                    p.tasks[i].frame = *frame;
                    p.tasks[i].state = State::Blocked(b2);
                    p.tasks[i].asked = true;
                    // Leave the previous registers in place.
                    if prev < p.tasks.len() {
                        p.cur = prev;
                        *frame = p.tasks[prev].frame;
                    }
                    false
                }
            }
        }
        _ => false,
    }
}

/// Task `i` in `rt_sigtimedwait` for `set`: it takes a signal of the set
/// that came, fails with EINTR for another it takes (its handler runs
/// next) or with EAGAIN at the deadline, its mask `mask` again; true if
/// it is now current (in `frame`).
fn sigwait_over(
    p: &mut Proc,
    i: usize,
    frame: &mut UpcallFrame,
    set: u64,
    mask: u64,
    deadline: Option<u64>,
    now: u64,
) -> bool {
    let r = if let Some(sig) = signal::waited(p, i, set) {
        p.tasks[i].mask = mask;
        let info = p.tasks[i].frame.rsi;
        super::signals::take_waited(p, i, sig, info)
    } else if signal::next_for(p, i).is_some() {
        Err(EINTR)
    } else if deadline.is_some_and(|d| now >= d) {
        Err(EAGAIN)
    } else {
        return false;
    };
    p.tasks[i].mask = mask;
    finish(p, i, frame, r);
    true
}
