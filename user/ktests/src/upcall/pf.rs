//! `utest=upcall-pf`: page faults served by a handler. Each of 64 writes
//! to an unmapped page of the scratch window faults; the handler allocates
//! a frame, maps it at the faulting page, and returns; the write then
//! completes. Checks: every value reads back, the handler ran exactly 64
//! times (no more faults once mapped), it saw the right address and error
//! code each time, and it ran on the runtime's upcall stack.

use core::sync::atomic::{compiler_fence, AtomicU32, AtomicU64, Ordering};

use abi::map_flags::WRITE;
use abi::root_slots::FIRST_MEMORY;
use abi::upcall::kind;
use abi::{UpcallFrame, PAGE_SIZE};
use exo_rt::memory::{scratch_read, scratch_write};
use exo_rt::upcall::{clear_handler, set_handler};
use exo_rt::{cap_delete, frame_alloc, map, unmap, StartArgs};

use super::{handler_fail, on_upcall_stack};
use crate::check::{Ctx, Outcome};
use crate::free;

const NAME: &str = "upcall-pf";
/// The pages the test faults on.
const BASE: u64 = 0x5000_0000;
/// How many.
const PAGES: u32 = 64;
/// Page-fault error code bits: write access, from user mode.
const PF_WRITE: u64 = 1 << 1;
const PF_USER: u64 = 1 << 2;

/// Faults handled so far.
static FAULTS: AtomicU32 = AtomicU32::new(0);
/// The address the main code is about to write (what the fault must name).
static EXPECTED: AtomicU64 = AtomicU64::new(0);

fn handler(frame: &mut UpcallFrame) {
    let n = FAULTS.fetch_add(1, Ordering::SeqCst);
    let want = EXPECTED.load(Ordering::SeqCst);
    if frame.kind != kind::EXCEPTION || frame.vector != 14 {
        handler_fail(
            NAME,
            format_args!(
                "kind {} vector {}, expected a page fault",
                frame.kind, frame.vector
            ),
        );
    }
    if frame.addr != want || n >= PAGES {
        handler_fail(
            NAME,
            format_args!("fault #{n} at {:#x}, expected {want:#x}", frame.addr),
        );
    }
    if frame.error & (PF_WRITE | PF_USER) != PF_WRITE | PF_USER || frame.error & 1 != 0 {
        handler_fail(
            NAME,
            format_args!(
                "error code {:#x}: expected a user write to a missing page",
                frame.error
            ),
        );
    }
    if !on_upcall_stack(frame) {
        handler_fail(NAME, format_args!("not running on the upcall stack"));
    }
    let slot = free(n);
    if let Err(e) = frame_alloc(FIRST_MEMORY, slot, None) {
        handler_fail(NAME, format_args!("frame_alloc: {e:?}"));
    }
    if let Err(e) = map(slot, frame.addr & !(PAGE_SIZE - 1), WRITE) {
        handler_fail(NAME, format_args!("map at {:#x}: {e:?}", frame.addr));
    }
}

/// The word written on page `i`, and where on the page.
fn value(i: u32) -> u64 {
    0xfa17_0000_0000_0000 | (u64::from(i) * 0x1_0001)
}

fn addr(i: u32) -> u64 {
    BASE + u64::from(i) * PAGE_SIZE + (u64::from(i) * 24) % PAGE_SIZE
}

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    t.ok("set_handler", set_handler(handler, false))?;
    for i in 0..PAGES {
        EXPECTED.store(addr(i), Ordering::SeqCst);
        compiler_fence(Ordering::SeqCst);
        scratch_write(addr(i), value(i));
        compiler_fence(Ordering::SeqCst);
        let faults = FAULTS.load(Ordering::SeqCst);
        t.check(
            faults == i + 1,
            format_args!("after write #{i} the handler ran {faults} times"),
        )?;
        let got = scratch_read(addr(i));
        t.check(
            got == value(i),
            format_args!("page {i} reads {got:#x}, expected {:#x}", value(i)),
        )?;
    }
    for i in 0..PAGES {
        let got = scratch_read(addr(i));
        t.check(
            got == value(i),
            format_args!("page {i} reads {got:#x} on the second pass"),
        )?;
    }
    compiler_fence(Ordering::SeqCst);
    let faults = FAULTS.load(Ordering::SeqCst);
    t.check(
        faults == PAGES,
        format_args!("the handler ran {faults} times, expected exactly {PAGES}"),
    )?;
    t.note(format_args!(
        "{PAGES} faults served; the runtime dispatched {} upcalls",
        exo_rt::upcall::delivered()
    ));
    t.ok("clear_handler", clear_handler())?;
    for i in 0..PAGES {
        t.ok("unmap", unmap(BASE + u64::from(i) * PAGE_SIZE))?;
        t.ok("cap_delete", cap_delete(free(i)))?;
    }
    Ok(())
}
