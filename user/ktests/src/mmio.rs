//! `utest=mmio`: device memory. The `DeviceMemory` capability holding the
//! HPET (0xfed00000) is found among `FIRST_DEVICE_MEMORY..+64`; a frame is
//! made for that page, mapped read-only, and the HPET's GCAP_ID register
//! read: vendor 0x8086 in bits 16..31, a non-zero period in bits 32..63.
//! Negative cases: the same page again is `NotFree`; device memory without
//! naming a page (`u64::MAX`) is `InvalidArgument`; an address outside the
//! capability's range is `InvalidArgument`; a device frame costs no quota.

use abi::root_slots::FIRST_DEVICE_MEMORY;
use abi::{CapType, Error};
use exo_rt::memory::scratch_read;
use exo_rt::{cap_delete, cap_identify, frame_alloc, info, map, unmap, StartArgs};

use super::free;
use crate::check::{Ctx, Outcome};

/// The HPET's register page on QEMU's PC.
const HPET: u64 = 0xfed0_0000;
/// Where the test maps it.
const VADDR: u64 = 0x4000_0000;

pub fn run(t: Ctx, _args: &StartArgs) -> Outcome {
    let frame = free(0);
    let again = free(1);
    let mut found = None;
    for slot in FIRST_DEVICE_MEMORY..FIRST_DEVICE_MEMORY + 64 {
        let Ok(id) = cap_identify(slot) else {
            continue;
        };
        if id.cap_type != Some(CapType::DeviceMemory) {
            continue;
        }
        let used = info::used_frames();
        match frame_alloc(slot, frame, Some(HPET)) {
            Ok(phys) => {
                t.check(phys == HPET, format_args!("device frame at {phys:#x}"))?;
                t.check(
                    info::used_frames() == used,
                    format_args!("a device frame was charged to the quota"),
                )?;
                found = Some(slot);
                break;
            }
            Err(Error::InvalidArgument) => {
                // Not this range: naming a page outside it is refused.
            }
            Err(e) => return Err(t.fail(format_args!("frame_alloc({slot}, HPET): {e:?}"))),
        }
    }
    let Some(dev) = found else {
        return Err(t.fail(format_args!("no device-memory capability holds {HPET:#x}")));
    };
    t.note(format_args!("HPET page made from slot {dev}"));
    t.err(
        "frame_alloc of the HPET page again",
        frame_alloc(dev, again, Some(HPET)),
        Error::NotFree,
    )?;
    t.err(
        "frame_alloc from device memory without a page",
        frame_alloc(dev, again, None),
        Error::InvalidArgument,
    )?;
    t.err(
        "frame_alloc of an unaligned device address",
        frame_alloc(dev, again, Some(HPET + 8)),
        Error::InvalidArgument,
    )?;
    let id = t.ok("cap_identify (device frame)", cap_identify(frame))?;
    t.check(
        id.cap_type == Some(CapType::Frame) && id.phys == HPET,
        format_args!("device frame identifies as {id:?}"),
    )?;
    t.ok("map (read-only)", map(frame, VADDR, 0))?;
    let gcap = scratch_read(VADDR);
    let vendor = (gcap >> 16) & 0xffff;
    let period = gcap >> 32;
    t.check(
        vendor == 0x8086 && period != 0,
        format_args!("GCAP_ID {gcap:#x}: vendor {vendor:#x}, period {period}"),
    )?;
    t.note(format_args!(
        "HPET GCAP_ID {gcap:#x}: vendor {vendor:#x}, period {period} fs"
    ));
    t.ok("unmap", unmap(VADDR))?;
    t.ok("cap_delete (device frame)", cap_delete(frame))
}
