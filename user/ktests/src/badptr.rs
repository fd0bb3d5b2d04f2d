//! `utest=badptr`: `debug_write` with pointers the kernel must refuse
//! with `BadAddress` (kernel, unmapped, non-canonical, overflowing, and a
//! range that starts mapped and runs into unmapped memory); the kernel
//! stays up and a range that ends exactly at the mapped edge works.

use abi::map_flags::WRITE;
use abi::root_slots::FIRST_MEMORY;
use abi::{Error, PAGE_SIZE, USER_END};
use exo_rt::memory::scratch_write;
use exo_rt::{cap_delete, debug_write_raw, frame_alloc, map, unmap, StartArgs};

use super::free;
use crate::check::{Ctx, Outcome};

/// A mapped page; the page after it stays unmapped.
const PAGE: u64 = 0x4000_0000;

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    let frame = free(1);
    t.ok("frame_alloc", frame_alloc(FIRST_MEMORY, frame, None))?;
    t.ok("map", map(frame, PAGE, WRITE))?;
    // The last 8 bytes of the page say "edge ok\n".
    let edge = PAGE + PAGE_SIZE - 8;
    scratch_write(edge, u64::from_le_bytes(*b"edge ok\n"));

    let valid = b"valid".as_ptr() as u64;
    let cases: [(u64, u64, &str); 12] = [
        (0xffff_8000_0000_0000, 16, "a kernel pointer"),
        (0xffff_ffff_8000_0000, 16, "the kernel image"),
        (0x1234_5000, 8, "an unmapped user pointer"),
        (0, 1, "a null pointer"),
        (USER_END - 8, 8, "the last bytes below USER_END (unmapped)"),
        (USER_END, 1, "USER_END"),
        (0x0000_9000_0000_0000, 8, "a non-canonical pointer"),
        (valid, u64::MAX, "a length of u64::MAX"),
        (valid, u64::MAX - valid + 2, "a length that wraps around"),
        (valid, USER_END, "a length running past USER_END"),
        (edge, 16, "a range running off a mapped page"),
        (
            PAGE + 16,
            PAGE_SIZE,
            "a page-long range running off a mapped page",
        ),
    ];
    for (addr, len, what) in cases {
        let r = debug_write_raw(addr, len);
        if let Err(e) = t.err(what, r, Error::BadAddress) {
            t.note(format_args!("(debug_write({addr:#x}, {len:#x}))"));
            return Err(e);
        }
    }
    let n = t.ok("debug_write up to the edge", debug_write_raw(edge, 8))?;
    t.check(
        n == 8,
        format_args!("debug_write up to the edge returned {n}"),
    )?;
    t.ok("unmap", unmap(PAGE).map(|_| ()))?;
    t.err(
        "debug_write from an unmapped page",
        debug_write_raw(edge, 8),
        Error::BadAddress,
    )?;
    t.ok("cap_delete", cap_delete(frame))?;
    t.note(format_args!("the kernel is still up"));
    Ok(())
}
