//! Starting the root task: the one user environment the kernel creates
//! itself. Its program (`/sbin/root`) comes from the boot ramdisk; the
//! kernel loads it into a fresh address space, gives it a stack holding the
//! kernel command line, and a capability space with its own address space,
//! thread and capability space and a memory capability for every usable
//! physical range (`abi::root_slots`). Everything else is made from user
//! space.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::{root_slots, PAGE_SIZE, USER_END, USER_MIN};
use captree::{Rights, SlotAddr};

use crate::arch::{paging, TrapFrame};
use crate::cap::{KObject, CAPS};
use crate::env::{self, Env};
use crate::initrd::Ramdisk;
use crate::mem::{self, frames};
use crate::object::PortRange;

/// Where the root task's program lives in the ramdisk.
pub const PATH: &str = "/sbin/root";
/// Top of the root task's stack, and its size.
const STACK_TOP: u64 = 0x7fff_ffff_0000;
const STACK_PAGES: u64 = 16;

fn frame() -> Result<u64, &'static str> {
    let f = frames::alloc().map_err(|_| "out of memory")?;
    mem::write_phys(f, &[0u8; PAGE_SIZE as usize]);
    Ok(f)
}

/// Loads and enters the root task. Returns only if it cannot be started.
pub fn start(ramdisk: &Ramdisk, cmdline: &str, shutdown: bool) -> Result<(), &'static str> {
    env::note_frames_before_start();
    let file = cpio::Archive::new(ramdisk.bytes)
        .find(PATH)
        .ok_or("no /sbin/root in the ramdisk")?;
    let program = elfload::parse(file.data, USER_MIN, USER_END).map_err(|e| e.describe())?;

    // Every page the image touches, with the union of its segments' rights.
    let mut pages: BTreeMap<u64, (u64, bool, bool)> = BTreeMap::new();
    let mut owned = Vec::new();
    for seg in program.segments() {
        let mut page = seg.vaddr & !(PAGE_SIZE - 1);
        while page < seg.end() {
            let entry = match pages.get_mut(&page) {
                Some(e) => e,
                None => {
                    let f = frame()?;
                    owned.push(f);
                    pages.entry(page).or_insert((f, false, false))
                }
            };
            entry.1 |= seg.writable;
            entry.2 |= seg.executable;
            page += PAGE_SIZE;
        }
        let bytes = program.file_bytes(seg);
        let mut done = 0u64;
        while done < bytes.len() as u64 {
            let va = seg.vaddr + done;
            let off = va & (PAGE_SIZE - 1);
            let n = (PAGE_SIZE - off).min(bytes.len() as u64 - done);
            let (pa, ..) = pages[&(va - off)];
            mem::write_phys(pa + off, &bytes[done as usize..(done + n) as usize]);
            done += n;
        }
    }
    for page in (1..=STACK_PAGES).map(|i| STACK_TOP - i * PAGE_SIZE) {
        let f = frame()?;
        owned.push(f);
        pages.insert(page, (f, true, false));
    }

    // The command line sits at the top of the stack.
    let line = &cmdline.as_bytes()[..cmdline.len().min(PAGE_SIZE as usize - 64)];
    let line_at = STACK_TOP - (line.len() as u64).div_ceil(16) * 16;
    let (top_frame, ..) = pages[&(STACK_TOP - PAGE_SIZE)];
    mem::write_phys(top_frame + (line_at & (PAGE_SIZE - 1)), line);
    let rsp = line_at - 16;

    let aspace =
        paging::new_address_space(&mut || frames::alloc().ok()).map_err(|_| "out of memory")?;
    let info_frame = env::make_info_page(aspace).map_err(|_| "out of memory")?;
    for (va, (pa, w, x)) in &pages {
        paging::map_user(aspace, *va, *pa, *w, *x, false, &mut || {
            frames::alloc().ok()
        })
        .map_err(|_| "cannot map")?;
    }

    let id = env::next_id();
    let mut caps = CAPS.lock();
    let cspace = caps
        .create_cspace(root_slots::COUNT)
        .map_err(|_| "cannot create the capability space")?;
    let at = |i: u32| SlotAddr::new(cspace, i);
    let own = [
        (root_slots::CSPACE, KObject::CSpace { env: id }),
        (root_slots::ASPACE, KObject::AddressSpace { env: id }),
        (root_slots::THREAD, KObject::Thread { env: id }),
        (root_slots::CONTROL, KObject::Control),
    ];
    for (slot, object) in own {
        caps.insert_root(at(slot), object, Rights::ALL)
            .map_err(|_| "cannot fill the capability space")?;
    }
    let mut memory_caps = 0u32;
    for (base, end) in mem::usable_ranges() {
        let slot = root_slots::FIRST_MEMORY + memory_caps;
        if slot >= root_slots::FIRST_FREE {
            break;
        }
        caps.insert_root(at(slot), KObject::memory(base, end), Rights::ALL)
            .map_err(|_| "cannot fill the capability space")?;
        memory_caps += 1;
    }
    let devices = [
        (
            root_slots::PORTS_LOW,
            KObject::IoPorts(PortRange::new(0, 0x3f8)),
        ),
        (
            root_slots::PORTS_HIGH,
            KObject::IoPorts(PortRange::new(0x400, 0x1_0000 - 0x400)),
        ),
        (
            root_slots::CONSOLE_PORTS,
            KObject::IoPorts(PortRange::new(crate::console::COM1.into(), 8)),
        ),
    ];
    for (slot, object) in devices {
        caps.insert_root(at(slot), object, Rights::ALL)
            .map_err(|_| "cannot fill the capability space")?;
    }
    for (i, (base, end)) in mem::device_ranges(&crate::irq::kernel_mmio())
        .into_iter()
        .take(64)
        .enumerate()
    {
        let slot = root_slots::FIRST_DEVICE_MEMORY + i as u32;
        caps.insert_root(
            at(slot),
            KObject::device_memory(base, end, false),
            Rights::ALL,
        )
        .map_err(|_| "cannot fill the capability space")?;
    }
    // The boot ramdisk, lent read-only: user space reads the files itself.
    let ramdisk_rights = Rights::READ
        .union(Rights::MAP)
        .union(Rights::DERIVE)
        .union(Rights::GRANT);
    let ramdisk = KObject::device_memory(ramdisk.start, ramdisk.end, true);
    caps.insert_root(at(root_slots::RAMDISK), ramdisk, ramdisk_rights)
        .map_err(|_| "cannot fill the capability space")?;
    // Line n in FIRST_IRQ + n; the console's line in FIRST_IRQ +
    // CONSOLE_IRQ (the same slot unless the MADT moved ISA IRQ 4).
    let console = crate::irq::console_gsi();
    for gsi in crate::irq::user_lines() {
        let slot = if Some(gsi) == console {
            root_slots::FIRST_IRQ + root_slots::CONSOLE_IRQ
        } else if gsi == root_slots::CONSOLE_IRQ && console.is_some() {
            continue;
        } else {
            root_slots::FIRST_IRQ + gsi
        };
        caps.insert_root(at(slot), KObject::Irq { gsi }, Rights::ALL)
            .map_err(|_| "cannot fill the capability space")?;
    }
    drop(caps);

    let context = TrapFrame::new_user(
        program.entry,
        rsp,
        [
            line_at,
            line.len() as u64,
            u64::from(root_slots::FIRST_MEMORY),
            u64::from(memory_caps),
        ],
    );
    log::info!(
        "root: {} loaded, {} pages, entry {:#x}, {} memory capabilities",
        PATH,
        pages.len(),
        program.entry,
        memory_caps
    );
    let quota = (frames::free() as u64).saturating_sub(frames::kernel_reserve_frames() as u64);
    env::start(
        Env::root(id, aspace, cspace, info_frame, context, owned, quota),
        shutdown,
    )
}
