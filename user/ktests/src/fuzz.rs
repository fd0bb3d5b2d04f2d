//! `utest=fuzz`: 100,000 system calls with random numbers (mostly native,
//! some Linux-range and random) and random arguments from a fixed-seed
//! xorshift generator. The kernel must survive and answer every call with
//! 0 or a known error code; afterwards the basic calls still work.
//!
//! Arguments are drawn from pools that reach deep into the kernel's
//! checks: slot numbers around the capability space (root slots, memory
//! slots, a small dense range of free slots so copies and frames pile up),
//! addresses in the scratch window, at the edges of the user range and in
//! the kernel, small numbers, rights masks, and plain random words.
//!
//! Half the calls get arguments shaped for their number (slots where a
//! slot is wanted, scratch pages, valid flags), so they pass the first
//! checks and reach the deeper ones: frames are allocated, minted, mapped,
//! moved, revoked and deleted in every order.
//!
//! Call numbers cover every native call (`abi::Syscall::ALL`) and a few
//! past the last one, except those that would end or block the fuzzer:
//! `Exit`, `Call`, `Recv`, `ReplyRecv` (and `Wait`, where the ABI has it).
//! `Reply` is made (with nothing to reply to), and environment creation,
//! `MapInto` and `ThreadStart` with whatever the pools give: a child it
//! manages to start runs in an empty or random address space, faults and
//! is killed (`child: killed by ...`), and every child ends with the root
//! task.
//!
//! What the fuzzer must not do to itself is steered around (the kernel
//! still sees every kind of call but those): it never calls `Exit`, never unmaps its
//! own image, stack or command line, never moves or deletes its root or
//! memory capabilities, never registers an upcall entry (only removals and
//! refused ones), and never passes `debug_write` a pointer into memory it
//! may have mapped or a short length (which would print garbage).

use abi::root_slots::{COUNT, FIRST_FREE, THREAD};
use abi::{Error, Syscall, NATIVE_BASE, PAGE_SIZE, USER_END, USER_MIN};
use exo_rt::memory::{in_scratch, is_program_memory, SCRATCH_BASE};
use exo_rt::{cap_delete, cap_identify, debug_write, syscall6, unmap, StartArgs};

use crate::check::{Ctx, Outcome};
use crate::rng::Rng;

/// The generator's seed (printed).
pub const SEED: u64 = 0x00e4_0f6a_5eed_2026;
/// Number of system calls issued.
pub const CALLS: u32 = 100_000;
/// Scratch pages the fuzzer maps frames into.
const SCRATCH_PAGES: u64 = 64;

/// A scratch page the fuzzer may map.
fn scratch_page(rng: &mut Rng) -> u64 {
    SCRATCH_BASE + rng.below(SCRATCH_PAGES) * PAGE_SIZE
}

/// One argument from the pools.
fn arg(rng: &mut Rng, args: &StartArgs) -> u64 {
    let mem_count = u64::from(args.memory.len() as u32).max(1);
    match rng.below(16) {
        0..=2 => rng.below(u64::from(COUNT) + 64),
        3..=4 => u64::from(FIRST_FREE) + rng.below(64),
        5 => u64::from(args.memory.start) + rng.below(mem_count),
        6 => rng.below(3),
        7..=8 => {
            scratch_page(rng)
                + if rng.below(8) == 0 {
                    rng.below(PAGE_SIZE)
                } else {
                    0
                }
        }
        9 => {
            const EDGES: [u64; 10] = [
                0,
                USER_MIN,
                USER_END - PAGE_SIZE,
                USER_END,
                0x0000_9000_0000_0000,
                0xffff_8000_0000_0000,
                0xffff_ffff_8000_0000,
                0x40_0000,
                u64::MAX - PAGE_SIZE + 1,
                1 << 32,
            ];
            EDGES[rng.below(EDGES.len() as u64) as usize]
        }
        10 => rng.below(8),
        11 => rng.next() & 0xff,
        12 => u64::MAX - rng.below(4),
        _ => rng.next(),
    }
}

/// Numbers past the last native call the fuzzer also tries.
const PAST_THE_END: u64 = 4;

/// True for the calls the fuzzer never makes: `Exit` and `PowerOff` (they
/// end the run), and the ones that can block it for good (there is nobody
/// to answer a call, send to a receive or signal a wait).
fn never(s: Syscall) -> bool {
    matches!(
        s,
        Syscall::Exit
            | Syscall::PowerOff
            | Syscall::Call
            | Syscall::Recv
            | Syscall::ReplyRecv
            | Syscall::Wait
    )
}

/// A call number: mostly native, drawn over all of `Syscall::ALL` and a
/// few numbers past the last one, never one of [`never`].
fn number(rng: &mut Rng) -> u64 {
    let natives = Syscall::ALL.len() as u64 + PAST_THE_END;
    loop {
        let n = match rng.below(16) {
            0 => rng.below(512),
            1 => rng.next(),
            _ => NATIVE_BASE + rng.below(natives),
        };
        if !Syscall::from_number(n).is_some_and(never) {
            return n;
        }
    }
}

/// True for slots the fuzzer must keep: the root capabilities (its own
/// capability space, address space and thread) and the memory capabilities.
fn protected(slot: u64, args: &StartArgs) -> bool {
    slot <= u64::from(THREAD)
        || (u64::from(args.memory.start)..u64::from(args.memory.end)).contains(&slot)
}

/// A slot where the fuzzer's own capabilities pile up.
fn busy_slot(rng: &mut Rng) -> u64 {
    u64::from(FIRST_FREE) + rng.below(64)
}

/// Gives the arguments the shape the call expects (a slot where it wants
/// a slot, a page where it wants an address, valid flags), so that half
/// the calls get past the first checks and into the deeper ones.
fn shape(n: u64, a: &mut [u64; 6], rng: &mut Rng, args: &StartArgs) {
    let mem = u64::from(args.memory.start) + rng.below(u64::from(args.memory.len() as u32).max(1));
    match Syscall::from_number(n) {
        Some(Syscall::CapIdentify | Syscall::CapDelete | Syscall::CapRevoke) => {
            a[0] = busy_slot(rng);
        }
        Some(Syscall::CapCopy | Syscall::CapMove) => {
            a[0] = if rng.below(4) == 0 {
                mem
            } else {
                busy_slot(rng)
            };
            a[1] = busy_slot(rng);
        }
        Some(Syscall::CapMint) => {
            a[0] = if rng.below(4) == 0 {
                mem
            } else {
                busy_slot(rng)
            };
            a[1] = busy_slot(rng);
            a[2] = rng.next() & 0x7f;
            a[3] = rng.below(4);
        }
        Some(Syscall::FrameAlloc) => {
            a[0] = if rng.below(8) == 0 {
                busy_slot(rng)
            } else {
                mem
            };
            a[1] = busy_slot(rng);
            a[2] = if rng.below(4) == 0 {
                rng.below(1 << 30) & !(PAGE_SIZE - 1)
            } else {
                u64::MAX
            };
        }
        Some(Syscall::Map) => {
            a[0] = busy_slot(rng);
            a[1] = scratch_page(rng);
            a[2] = rng.below(4);
        }
        Some(Syscall::Unmap) => a[0] = scratch_page(rng),
        _ => {}
    }
}

/// Steers `a` away from what would harm the fuzzer itself.
fn steer(n: u64, a: &mut [u64; 6], rng: &mut Rng, args: &StartArgs) {
    match Syscall::from_number(n) {
        Some(Syscall::Unmap) if is_program_memory(a[0]) => a[0] = scratch_page(rng),
        Some(Syscall::CapMove | Syscall::CapDelete) if protected(a[0], args) => {
            a[0] = busy_slot(rng);
        }
        // (Its only capability space is its own.)
        Some(Syscall::CapDeleteIn) if protected(a[1], args) => a[1] = busy_slot(rng),
        // An upcall entry would send the fuzzer's next fault or Linux
        // number to a random address: only removals and refusals.
        Some(Syscall::SetUpcall) if a[0] != 0 && a[0] < USER_END => a[0] |= 1 << 63,
        Some(Syscall::DebugWrite) => {
            while is_program_memory(a[0]) || in_scratch(a[0], 1) || (1..PAGE_SIZE).contains(&a[1]) {
                // Only pointers the fuzzer never maps, and lengths that
                // are 0 or large, so nothing is ever printed.
                a[0] = rng.next();
                a[1] = if rng.below(2) == 0 { 0 } else { rng.next() };
            }
        }
        _ => {}
    }
}

/// Addresses the fuzzer can map frames at: the scratch pages and the
/// page-aligned user addresses among the edges.
fn mappable() -> impl Iterator<Item = u64> {
    let scratch = (0..SCRATCH_PAGES).map(|page| SCRATCH_BASE + page * PAGE_SIZE);
    scratch.chain([USER_MIN, USER_END - PAGE_SIZE, 1 << 32])
}

/// Unmaps what the fuzzer mapped and deletes every capability it left,
/// keeping the root and memory capabilities.
fn clean_up(t: Ctx, args: &StartArgs) -> Outcome {
    for vaddr in mappable().filter(|v| !is_program_memory(*v)) {
        match unmap(vaddr) {
            Ok(_) | Err(Error::NotMapped) => {}
            Err(e) => return Err(t.fail(format_args!("unmap({vaddr:#x}) in clean-up: {e:?}"))),
        }
    }
    for slot in 0..COUNT {
        if protected(u64::from(slot), args) {
            continue;
        }
        match cap_delete(slot) {
            Ok(()) | Err(Error::EmptySlot) => {}
            Err(e) => return Err(t.fail(format_args!("cap_delete({slot}) in clean-up: {e:?}"))),
        }
    }
    Ok(())
}

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    t.note(format_args!("seed {SEED:#x}, {CALLS} calls"));
    let mut rng = Rng(SEED);
    let mut ok = 0u32;
    let mut by_error = [0u32; Error::ALL.len() + 1];
    for i in 0..CALLS {
        if i > 0 && i % 25_000 == 0 {
            t.note(format_args!("{i} calls"));
        }
        let n = number(&mut rng);
        let mut a = [0u64; 6];
        for x in &mut a {
            *x = arg(&mut rng, args);
        }
        if rng.below(2) == 0 {
            shape(n, &mut a, &mut rng, args);
        }
        steer(n, &mut a, &mut rng, args);
        let (status, _) = syscall6(n, a);
        if status == 0 {
            ok += 1;
            if Syscall::from_number(n).is_none() {
                return Err(t.fail(format_args!(
                    "call #{i}: number {n:#x} is not a native call but succeeded"
                )));
            }
            continue;
        }
        match Error::from_code(status) {
            Some(e) => by_error[e as usize] += 1,
            None => {
                return Err(t.fail(format_args!(
                    "call #{i}: number {n:#x} args {a:#x?} returned unknown status {status}"
                )))
            }
        }
    }
    t.note(format_args!("{CALLS} calls, seed {SEED:#x}"));
    t.note(format_args!(
        "{ok} succeeded; errors by code: {:?}",
        &by_error[1..]
    ));

    // The kernel still answers sensibly.
    let info = t.ok("cap_identify(CSPACE) after fuzzing", cap_identify(0))?;
    t.check(
        info.cap_type == Some(abi::CapType::CSpace),
        format_args!("slot 0 is now {info:?}"),
    )?;
    let line = b"utest fuzz: debug_write still works\n";
    let n = t.ok("debug_write after fuzzing", debug_write(line))?;
    t.check(n == line.len(), format_args!("debug_write returned {n}"))?;
    clean_up(t, args)
}
