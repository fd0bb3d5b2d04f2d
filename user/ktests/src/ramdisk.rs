//! `utest=ramdisk`: the root task reads the boot ramdisk itself, through
//! the read-only capability the kernel lends it (`root_slots::RAMDISK`):
//! it makes frames of the module's pages, maps them read-only in the
//! scratch window, walks the cpio "newc" headers and finds `/etc/motd`.
//! Mapping the ramdisk writable is refused, and there are no frames past
//! its end.

use abi::{map_flags, CapType, Error, Rights, PAGE_SIZE};
use exo_rt::memory::{scratch_read, SCRATCH_BASE};
use exo_rt::{cap_identify, frame_alloc, map, StartArgs};

use super::free;
use crate::check::{Ctx, Outcome};

/// What the build puts in `/etc/motd` (`xtask/src/build/initrd.rs`).
const MOTD: &[u8] = b"Welcome to ExoV6, an exokernel in Rust.\n";
/// Pages the test maps at most (the ramdisk holds the test programs,
/// the library OS and busybox).
const MAX_PAGES: u32 = 16384;
/// Slots for the ramdisk's frames.
const FIRST_SLOT: u32 = 100;

/// One byte of the mapped ramdisk, `at` bytes from its start.
fn byte(start: u64, at: u64) -> u8 {
    let addr = start + at;
    (scratch_read(addr & !7) >> ((addr & 7) * 8)) as u8
}

/// `len` hex digits at `at`, as newc headers store their numbers.
fn hex(start: u64, at: u64, len: u64) -> Option<u64> {
    (0..len).try_fold(0u64, |v, i| {
        Some(v * 16 + u64::from((byte(start, at + i) as char).to_digit(16)?))
    })
}

/// True if the name at `at` (`len` bytes with the NUL) is `want`.
fn name_is(start: u64, at: u64, len: u64, want: &[u8]) -> bool {
    len == want.len() as u64 + 1
        && want
            .iter()
            .enumerate()
            .all(|(i, &b)| byte(start, at + i as u64) == b)
}

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    let slot = abi::root_slots::RAMDISK;
    let info = t.ok("cap_identify", cap_identify(slot))?;
    t.check(
        info.cap_type == Some(CapType::DeviceMemory),
        format_args!("ramdisk type {:?}", info.cap_type),
    )?;
    t.check(
        !info.rights.contains(Rights::WRITE),
        format_args!("the ramdisk is lent writable"),
    )?;
    let first_page = info.phys & !(PAGE_SIZE - 1);
    // Map page after page until the kernel says the ramdisk has ended.
    let mut pages = 0;
    while pages < MAX_PAGES {
        match frame_alloc(
            slot,
            free(FIRST_SLOT + pages),
            Some(first_page + u64::from(pages) * PAGE_SIZE),
        ) {
            Ok(_) => {}
            Err(Error::InvalidArgument) => break,
            Err(e) => {
                return Err(t.fail(format_args!("frame_alloc of ramdisk page {pages}: {e:?}")))
            }
        }
        let vaddr = SCRATCH_BASE + u64::from(pages) * PAGE_SIZE;
        if pages == 0 {
            t.err(
                "map writable",
                map(free(FIRST_SLOT), vaddr, map_flags::WRITE),
                Error::NoRights,
            )?;
        }
        t.ok("map", map(free(FIRST_SLOT + pages), vaddr, 0))?;
        pages += 1;
    }
    t.check(
        pages > 0 && pages < MAX_PAGES,
        format_args!("{pages} ramdisk pages"),
    )?;
    let start = SCRATCH_BASE + (info.phys & (PAGE_SIZE - 1));
    let end = u64::from(pages) * PAGE_SIZE - (info.phys & (PAGE_SIZE - 1));
    // Walk the newc entries: 110-byte header, name (padded to 4), data (padded to 4).
    let mut at = 0u64;
    let mut entries = 0;
    while at + 110 <= end {
        let magic_ok = (0..6).all(|i| byte(start, at + i) == b"070701"[i as usize]);
        t.check(magic_ok, format_args!("no newc magic at offset {at}"))?;
        let size =
            hex(start, at + 54, 8).ok_or_else(|| t.fail(format_args!("bad file size at {at}")))?;
        let name_len =
            hex(start, at + 94, 8).ok_or_else(|| t.fail(format_args!("bad name size at {at}")))?;
        let name_at = at + 110;
        let data_at = (name_at + name_len).div_ceil(4) * 4;
        if name_is(start, name_at, name_len, b"TRAILER!!!") {
            t.note(format_args!(
                "{entries} entries in {pages} pages; no /etc/motd"
            ));
            return Err(t.fail(format_args!("/etc/motd is missing")));
        }
        if name_is(start, name_at, name_len, b"etc/motd") {
            let same = size == MOTD.len() as u64
                && MOTD
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| byte(start, data_at + i as u64) == b);
            t.note(format_args!(
                "/etc/motd found after {entries} entries, {size} bytes, in {pages} mapped pages"
            ));
            return t.check(same, format_args!("/etc/motd does not hold the greeting"));
        }
        entries += 1;
        at = (data_at + size).div_ceil(4) * 4;
    }
    Err(t.fail(format_args!(
        "ran off the mapped ramdisk after {entries} entries"
    )))
}
