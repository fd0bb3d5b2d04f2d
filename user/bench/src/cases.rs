//! The benchmarks: what one operation is, how it is set up, checked and
//! torn down.
//!
//! | name | one operation |
//! |---|---|
//! | `null-syscall` | `Yield` with no other environment to run (the cheapest native call: enter, dispatch, return) |
//! | `identify` | `cap_identify` of a frame capability |
//! | `map-unmap` | `map` of one frame at a scratch page, then `unmap` of it |
//! | `exception-upcall` | a divide error delivered to the handler, which skips the `div` and resumes (no system call) |
//! | `fault-upcall` | a write to an unmapped page: page fault, upcall, the handler maps a frame there and resumes, the write completes; then `unmap` so the next one faults again |
//! | `reflect-syscall` | `syscall` 39 (Linux getpid) reflected to the handler, which answers in `rax` and resumes |
//! | `ipc-call-reply` | `call` to a server child (another address space, spawned from this program's image) waiting in `reply_recv`; it answers, the reply comes back: one round trip, two address-space switches |
//! | `yield-to` | `yield_to` a child that increments a shared counter and `yield_to`s straight back: one directed-yield round trip, two address-space switches |
//!
//! Every operation checks its result, so a broken path cannot look fast.

use core::sync::atomic::{compiler_fence, AtomicU64, Ordering};

use abi::map_flags::WRITE;
use abi::root_slots::{FIRST_FREE, FIRST_MEMORY};
use abi::upcall::kind;
use abi::{CapType, UpcallFrame};
use exo_rt::ipc::spawn::slots_needed;
use exo_rt::ipc::{
    call, call_with_cap, endpoint_create, map_into, recv, recv_into, reply, reply_recv, spawn, Msg,
    Spawn,
};
use exo_rt::memory::{scratch_read, scratch_write};
use exo_rt::upcall::probe::{divide_error, DIVIDE_INSN_LEN};
use exo_rt::upcall::{clear_handler, set_handler};
use exo_rt::{cap_delete, cap_identify, frame_alloc, map, syscall6, unmap, yield_now, yield_to};

use crate::config::Config;
use crate::timing::{measure, Stats};

/// One benchmark.
pub struct Case {
    /// Its name in the output.
    pub name: &'static str,
    body: fn(&Config, u64) -> Result<Stats, &'static str>,
}

/// Every benchmark, in output order.
pub const ALL: &[Case] = &[
    Case {
        name: "null-syscall",
        body: null_syscall,
    },
    Case {
        name: "identify",
        body: identify,
    },
    Case {
        name: "map-unmap",
        body: map_unmap,
    },
    Case {
        name: "exception-upcall",
        body: exception_upcall,
    },
    Case {
        name: "fault-upcall",
        body: fault_upcall,
    },
    Case {
        name: "reflect-syscall",
        body: reflect_syscall,
    },
    Case {
        name: "ipc-call-reply",
        body: ipc_call_reply,
    },
    Case {
        name: "yield-to",
        body: yield_to_round_trip,
    },
];

/// The slot of the frame the benchmarks map.
const FRAME: u32 = FIRST_FREE;
/// The scratch page they map it at.
const PAGE: u64 = 0x6000_0000;
/// Linux getpid, and the handler's answer.
const GETPID: u64 = 39;
const PID: u64 = 4242;

/// Upcalls the handler has served.
static UPCALLS: AtomicU64 = AtomicU64::new(0);

/// Runs one benchmark with its frame allocated and the handler
/// registered; cleans up after it whatever happened.
pub fn run(case: &Case, cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    let phys = frame_alloc(FIRST_MEMORY, FRAME, None).map_err(|_| "frame_alloc failed")?;
    FRAME_PHYS.store(phys, Ordering::SeqCst);
    let result = match set_handler(handler, true) {
        Ok(()) => (case.body)(cfg, overhead),
        Err(_) => Err("set_handler failed"),
    };
    let _ = clear_handler();
    let _ = unmap(PAGE);
    let _ = cap_delete(FRAME);
    result
}

/// The frame's physical address (what `unmap` must return).
static FRAME_PHYS: AtomicU64 = AtomicU64::new(0);

/// The one handler: maps the frame at a fault on [`PAGE`], skips a divide
/// error, answers getpid. Anything else (or a failed map) ends the program
/// with a FAIL line: resuming would only fault again.
fn handler(frame: &mut UpcallFrame) {
    UPCALLS.fetch_add(1, Ordering::Relaxed);
    match (frame.kind, frame.vector) {
        (kind::EXCEPTION, 14) if frame.addr & !0xfff == PAGE => {
            if map(FRAME, PAGE, WRITE).is_err() {
                exo_rt::println!("bench: FAIL map in the page-fault handler");
                exo_rt::exit(1);
            }
        }
        (kind::EXCEPTION, 0) => frame.rip += DIVIDE_INSN_LEN,
        (kind::SYSCALL, _) if frame.rax == GETPID => frame.rax = PID,
        _ => {
            exo_rt::println!(
                "bench: FAIL unexpected upcall kind {} vector {} at {:#x}",
                frame.kind,
                frame.vector,
                frame.rip
            );
            exo_rt::exit(1);
        }
    }
}

fn upcalls() -> u64 {
    compiler_fence(Ordering::SeqCst);
    UPCALLS.load(Ordering::Relaxed)
}

fn null_syscall(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    measure(cfg, overhead, |ops| {
        for _ in 0..ops {
            yield_now().map_err(|_| "yield failed")?;
        }
        Ok(())
    })
}

fn identify(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    let phys = FRAME_PHYS.load(Ordering::SeqCst);
    measure(cfg, overhead, |ops| {
        for _ in 0..ops {
            let info = cap_identify(FRAME).map_err(|_| "cap_identify failed")?;
            if info.cap_type != Some(CapType::Frame) || info.phys != phys {
                return Err("cap_identify described another capability");
            }
        }
        Ok(())
    })
}

fn map_unmap(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    let phys = FRAME_PHYS.load(Ordering::SeqCst);
    measure(cfg, overhead, |ops| {
        for _ in 0..ops {
            map(FRAME, PAGE, WRITE).map_err(|_| "map failed")?;
            if unmap(PAGE).map_err(|_| "unmap failed")? != phys {
                return Err("unmap returned another frame");
            }
        }
        Ok(())
    })
}

fn exception_upcall(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    let before = upcalls();
    let stats = measure(cfg, overhead, |ops| {
        for i in 0..u64::from(ops) {
            if divide_error(i) != i {
                return Err("the divide error did not resume with rax intact");
            }
        }
        Ok(())
    })?;
    expect_upcalls(cfg, before)?;
    Ok(stats)
}

fn fault_upcall(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    let phys = FRAME_PHYS.load(Ordering::SeqCst);
    let before = upcalls();
    let stats = measure(cfg, overhead, |ops| {
        for i in 0..u64::from(ops) {
            scratch_write(PAGE + 8, i);
            if unmap(PAGE).map_err(|_| "unmap after the fault failed")? != phys {
                return Err("the fault mapped another frame");
            }
        }
        Ok(())
    })?;
    expect_upcalls(cfg, before)?;
    Ok(stats)
}

fn reflect_syscall(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    let before = upcalls();
    let stats = measure(cfg, overhead, |ops| {
        for _ in 0..ops {
            if syscall6(GETPID, [0; 6]).0 != PID {
                return Err("reflected getpid did not return the handler's answer");
            }
        }
        Ok(())
    })?;
    expect_upcalls(cfg, before)?;
    Ok(stats)
}

/// Checks that exactly one upcall was served per operation (warm-up
/// included) since `before`.
fn expect_upcalls(cfg: &Config, before: u64) -> Result<(), &'static str> {
    let want = u64::from(cfg.warmup + cfg.batches) * u64::from(cfg.ops);
    if upcalls() - before == want {
        Ok(())
    } else {
        Err("the handler did not run exactly once per operation")
    }
}

/// The endpoint of `ipc-call-reply`.
const EP: u32 = FIRST_FREE + 1;
/// Where the server child's capabilities go in the parent.
const CHILD_SLOTS: u32 = FIRST_FREE + 16;
/// The server's endpoint in its own capability space (what it was given).
const SERVER_EP: u32 = 3;
/// Word 0 of the message that makes the server reply and exit.
const QUIT: u64 = u64::MAX;

/// The server's answer: every word complemented and rotated.
fn answer(msg: &Msg) -> Msg {
    core::array::from_fn(|k| (!msg[k]).rotate_left(k as u32 + 1))
}

/// The server child: answers every call in a `reply_recv` loop; `QUIT`
/// ends it (after its reply). Any failure ends it with code 1.
fn server(_arg: u64) -> ! {
    let mut next = recv(SERVER_EP);
    loop {
        match next {
            Ok((_, msg)) if msg[0] == QUIT => {
                let code = if reply([0; 6]).is_ok() { 0 } else { 1 };
                exo_rt::exit(code)
            }
            Ok((_, msg)) => next = reply_recv(SERVER_EP, answer(&msg)),
            Err(_) => exo_rt::exit(1),
        }
    }
}

fn ipc_call_reply(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    endpoint_create(FIRST_MEMORY, EP).map_err(|_| "endpoint_create failed")?;
    let spec = Spawn {
        mem: FIRST_MEMORY,
        slots: CHILD_SLOTS..CHILD_SLOTS + slots_needed(),
        give: Some(EP),
        death: Some(EP),
        entry: server,
        arg: 0,
    };
    let result = match spawn(&spec) {
        Ok(child) => {
            let stats = measure(cfg, overhead, |ops| {
                for i in 0..u64::from(ops) {
                    let msg = [i, i + 1, i + 2, i + 3, i + 4, i + 5];
                    if call(EP, msg).map_err(|_| "call failed")? != answer(&msg) {
                        return Err("the server's reply is wrong");
                    }
                }
                Ok(())
            });
            let ended = call(EP, [QUIT, 0, 0, 0, 0, 0])
                .map_err(|_| "the quit call failed")
                .and_then(|_| recv(EP).map_err(|_| "no death notice"))
                .and_then(|(badge, msg)| {
                    let want = [abi::ipc::NOTICE_CHILD_ENDED, u64::from(child.env.id), 0, 0];
                    if badge == abi::ipc::NOTICE_BADGE && msg[..4] == want {
                        Ok(())
                    } else {
                        Err("the server did not exit cleanly")
                    }
                });
            let _ = child.release();
            stats.and_then(|s| ended.map(|()| s))
        }
        Err(_) => Err("spawning the server failed"),
    };
    let _ = cap_delete(EP);
    result
}

/// The frame shared with the yielding child, and where both map it.
const SHARED: u32 = FIRST_FREE + 2;
const SHARED_PAGE: u64 = 0x6100_0000;
/// Words of the shared page: the child's counter, its failed
/// `yield_to`s, the stop word.
const COUNTER: u64 = SHARED_PAGE;
const ERRORS: u64 = SHARED_PAGE + 8;
const STOP: u64 = SHARED_PAGE + 16;
/// Where the child receives the parent's thread capability.
const PARENT_THREAD: u32 = 10;

/// The yielding child: receives the parent's thread capability in a
/// call (and answers it), then, until the stop word is set, increments
/// the counter and yields straight back to the parent.
fn yielder(_arg: u64) -> ! {
    match recv_into(SERVER_EP, PARENT_THREAD) {
        Ok((_, _, true)) => {}
        _ => exo_rt::exit(1),
    }
    if reply([0; 6]).is_err() {
        exo_rt::exit(1);
    }
    while scratch_read(STOP) == 0 {
        scratch_write(COUNTER, scratch_read(COUNTER) + 1);
        if yield_to(PARENT_THREAD).is_err() {
            scratch_write(ERRORS, scratch_read(ERRORS) + 1);
        }
    }
    exo_rt::exit(0)
}

fn yield_to_round_trip(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    frame_alloc(FIRST_MEMORY, SHARED, None).map_err(|_| "frame_alloc failed")?;
    let result = map(SHARED, SHARED_PAGE, WRITE)
        .map_err(|_| "map failed")
        .and_then(|()| endpoint_create(FIRST_MEMORY, EP).map_err(|_| "endpoint_create failed"))
        .and_then(|_| yield_to_with_child(cfg, overhead));
    let _ = cap_delete(EP);
    let _ = unmap(SHARED_PAGE);
    let _ = cap_delete(SHARED);
    result
}

fn yield_to_with_child(cfg: &Config, overhead: u64) -> Result<Stats, &'static str> {
    let spec = Spawn {
        mem: FIRST_MEMORY,
        slots: CHILD_SLOTS..CHILD_SLOTS + slots_needed(),
        give: Some(EP),
        death: Some(EP),
        entry: yielder,
        arg: 0,
    };
    let child = spawn(&spec).map_err(|_| "spawning the child failed")?;
    let thread = child.env.thread;
    let stats = map_into(child.env.aspace, SHARED, SHARED_PAGE, WRITE)
        .map_err(|_| "map_into failed")
        .and_then(|()| {
            call_with_cap(EP, [0; 6], abi::root_slots::THREAD)
                .map_err(|_| "handing the child the parent's thread failed")
        })
        .and_then(|_| {
            measure(cfg, overhead, |ops| {
                let before = scratch_read(COUNTER);
                let started = exo_rt::tsc::rdtsc();
                for _ in 0..ops {
                    yield_to(thread).map_err(|_| "yield_to failed")?;
                }
                // Each round trip ran the child once. A timer tick may run
                // it more, or catch it between its increment and its yield
                // and so cost one count: allow one per tick that can have
                // fallen in this batch (many under a slow accelerator).
                let elapsed = exo_rt::tsc::rdtsc().wrapping_sub(started);
                let info = exo_rt::info::snapshot();
                let ticks = elapsed.saturating_mul(info.timer_hz) / info.tsc_hz.max(1);
                let done = scratch_read(COUNTER).wrapping_sub(before);
                if done + 2 + ticks < u64::from(ops) {
                    return Err("the child did not run once per yield_to");
                }
                Ok(())
            })
        });
    scratch_write(STOP, 1);
    let ended = loop {
        // Run the child until it sees the stop word and exits.
        if yield_to(thread).is_err() {
            break recv(EP)
                .map_err(|_| "no death notice")
                .and_then(|(badge, msg)| {
                    let want = [abi::ipc::NOTICE_CHILD_ENDED, u64::from(child.env.id), 0, 0];
                    if badge == abi::ipc::NOTICE_BADGE && msg[..4] == want {
                        Ok(())
                    } else {
                        Err("the child did not exit cleanly")
                    }
                });
        }
    };
    let errors = scratch_read(ERRORS);
    let _ = child.release();
    let stats = stats?;
    ended?;
    if errors != 0 {
        return Err("the child's yield_to failed");
    }
    Ok(stats)
}
