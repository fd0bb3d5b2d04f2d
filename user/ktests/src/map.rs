//! `utest=map`: frames and mappings against the abi: frame_alloc exposes
//! the physical address (and can ask for a specific one), a new frame
//! reads as zeros, a writable mapping keeps what is written, mapping is
//! checked against the frame capability's rights and the target address,
//! and unmap reports the physical address.

use abi::map_flags::{EXECUTE, WRITE};
use abi::root_slots::{CSPACE, FIRST_MEMORY};
use abi::{CapType, Error, Rights, PAGE_SIZE, USER_END};
use exo_rt::memory::{image, scratch_read, scratch_write};
use exo_rt::{cap_delete, cap_identify, cap_mint, frame_alloc, map, unmap, StartArgs};

use super::free;
use crate::check::{Ctx, Outcome};

/// Where the test maps its frame.
pub const VADDR: u64 = 0x4000_0000;

/// The word written at offset `i` of the page.
fn pattern(i: u64) -> u64 {
    0x5eed_0000_0000_0000 ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn check_page(t: Ctx, vaddr: u64, want: impl Fn(u64) -> u64, what: &str) -> Outcome {
    for i in 0..PAGE_SIZE / 8 {
        let got = scratch_read(vaddr + 8 * i);
        t.check(
            got == want(i),
            format_args!("{what}: word {i} reads {got:#x}, expected {:#x}", want(i)),
        )?;
    }
    Ok(())
}

fn alloc_and_map(t: Ctx, frame: u32) -> Result<u64, crate::check::Failed> {
    let phys = t.ok("frame_alloc", frame_alloc(FIRST_MEMORY, frame, None))?;
    t.check(
        phys != 0 && phys.is_multiple_of(PAGE_SIZE),
        format_args!("frame_alloc returned physical address {phys:#x}"),
    )?;
    let info = t.ok("cap_identify(frame)", cap_identify(frame))?;
    t.check(
        info.cap_type == Some(CapType::Frame) && info.phys == phys,
        format_args!("frame identifies as {info:?}, expected Frame at {phys:#x}"),
    )?;
    t.note(format_args!("frame at physical {phys:#x}"));

    t.ok("map(WRITE)", map(frame, VADDR, WRITE))?;
    check_page(t, VADDR, |_| 0, "a new frame")?;
    for i in 0..PAGE_SIZE / 8 {
        scratch_write(VADDR + 8 * i, pattern(i));
    }
    check_page(t, VADDR, pattern, "after writing")?;
    t.err(
        "map again at the same address",
        map(frame, VADDR, WRITE),
        Error::AlreadyMapped,
    )?;
    t.err(
        "map over the program image",
        map(frame, image().start, 0),
        Error::AlreadyMapped,
    )?;
    let got = t.ok("unmap", unmap(VADDR))?;
    t.check(
        got == phys,
        format_args!("unmap returned {got:#x}, expected {phys:#x}"),
    )?;
    t.err("unmap again", unmap(VADDR), Error::NotMapped)?;
    Ok(phys)
}

fn rights(t: Ctx, frame: u32) -> Outcome {
    let read_map = free(2);
    t.ok(
        "cap_mint(READ|MAP)",
        cap_mint(frame, read_map, Rights::READ | Rights::MAP, 0),
    )?;
    t.err(
        "map(WRITE) without WRITE",
        map(read_map, VADDR, WRITE),
        Error::NoRights,
    )?;
    t.err(
        "map(EXECUTE) without EXECUTE",
        map(read_map, VADDR, EXECUTE),
        Error::NoRights,
    )?;
    // Read-only: the same frame, still holding the pattern.
    t.ok("map read-only", map(read_map, VADDR, 0))?;
    check_page(t, VADDR, pattern, "the frame mapped again read-only")?;
    t.ok("unmap", unmap(VADDR).map(|_| ()))?;

    let no_map = free(3);
    t.ok(
        "cap_mint(READ|WRITE)",
        cap_mint(frame, no_map, Rights::READ | Rights::WRITE, 0),
    )?;
    t.err("map without MAP", map(no_map, VADDR, 0), Error::NoRights)?;
    t.ok("cap_delete", cap_delete(read_map))?;
    t.ok("cap_delete", cap_delete(no_map))
}

fn bad_targets(t: Ctx, frame: u32) -> Outcome {
    let targets = [
        (0xffff_8000_0000_0000, "a kernel address"),
        (0xffff_ffff_8000_0000, "the kernel image"),
        (USER_END, "USER_END"),
        (0x0000_9000_0000_0000, "a non-canonical address"),
        (0, "page zero"),
        (VADDR + 8, "an unaligned address"),
        (0u64.wrapping_sub(PAGE_SIZE), "the last page"),
    ];
    for (vaddr, what) in targets {
        let r = map(frame, vaddr, WRITE);
        if let Err(e) = t.err(what, r, Error::BadAddress) {
            t.note(format_args!("(map at {vaddr:#x})"));
            return Err(e);
        }
    }
    t.err(
        "map a Memory capability",
        map(FIRST_MEMORY, VADDR, 0),
        Error::WrongType,
    )?;
    t.err(
        "map a CSpace capability",
        map(CSPACE, VADDR, 0),
        Error::WrongType,
    )?;
    t.err(
        "map an empty slot",
        map(free(100), VADDR, 0),
        Error::EmptySlot,
    )?;
    t.err("unmap of page zero", unmap(0), Error::BadAddress)?;
    t.err_any(
        "unmap of a kernel address",
        unmap(0xffff_8000_0000_0000),
        &[Error::BadAddress, Error::NotMapped],
    )
}

fn alloc_errors(t: Ctx, frame: u32, phys: u64) -> Outcome {
    t.err(
        "frame_alloc of a taken physical address",
        frame_alloc(FIRST_MEMORY, free(4), Some(phys)),
        Error::NotFree,
    )?;
    t.err(
        "frame_alloc into an occupied slot",
        frame_alloc(FIRST_MEMORY, frame, None),
        Error::SlotOccupied,
    )?;
    t.err(
        "frame_alloc from a Frame capability",
        frame_alloc(frame, free(4), None),
        Error::WrongType,
    )?;
    let no_derive = free(5);
    t.ok(
        "cap_mint(memory, READ|MAP)",
        cap_mint(FIRST_MEMORY, no_derive, Rights::READ | Rights::MAP, 0),
    )?;
    t.err(
        "frame_alloc without DERIVE",
        frame_alloc(no_derive, free(4), None),
        Error::NoRights,
    )?;
    t.ok("cap_delete", cap_delete(no_derive))?;
    // Deleting the only capability frees the frame: it can be asked for by address.
    t.ok("cap_delete(frame)", cap_delete(frame))?;
    t.err(
        "map a deleted frame",
        map(frame, VADDR, 0),
        Error::EmptySlot,
    )?;
    let again = t.ok(
        "frame_alloc of the freed physical address",
        frame_alloc(FIRST_MEMORY, free(4), Some(phys)),
    )?;
    t.check(
        again == phys,
        format_args!("got {again:#x}, asked for {phys:#x}"),
    )?;
    t.ok("cap_delete", cap_delete(free(4)))
}

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    let frame = free(1);
    let phys = alloc_and_map(t, frame)?;
    rights(t, frame)?;
    bad_targets(t, frame)?;
    alloc_errors(t, frame, phys)
}
