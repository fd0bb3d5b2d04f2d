//! `sysd`, the system server, run by the root task when no test is asked
//! for. It holds what processes share (DESIGN.md section 4): the process
//! table (pids, parents, process groups, exit statuses, credentials), the
//! file service (the namespace, in-memory file systems whose root starts
//! as the boot ramdisk's tree, `/proc`, `/dev`), open files, pipes and
//! FIFOs, and the console. Each
//! process's library OS reaches it by IPC on a badged endpoint
//! (`sysproto`); bulk data goes through the process's mailbox pages,
//! which the server maps too. It creates every process environment (so
//! none dies with its parent) and gets their death notices.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod console;
mod fs;
mod image;
mod klog;
mod objects;
mod procs;
mod random;
mod rtc;
mod slots;

use alloc::vec::Vec;

use abi::root_slots;
use exo_rt::ipc::{endpoint_create, recv, reply_recv};
use exo_rt::memory::SCRATCH_BASE;
use exo_rt::{frame_alloc, map, println, Slot, StartArgs};

use procs::Server;

/// Where the ramdisk is mapped in the server.
const RAMDISK_AT: u64 = SCRATCH_BASE;
/// The server heap (`exo_rt::heap`): its address and slots.
const HEAP_BASE: u64 = 0x1_0000_0000;
pub(crate) const HEAP_SLOTS: Slot = 40_000;
pub(crate) const HEAP_PAGES: u64 = 16_384;

/// Runs the system server: starts `/sbin/init` with the program named by
/// `init=` (default `/bin/sh`) and serves until init ends.
pub fn run(args: &StartArgs) -> i32 {
    let Some(mem) = largest_memory(args) else {
        println!("sysd: no memory capability");
        return 1;
    };
    exo_rt::heap::init(exo_rt::heap::Config {
        memory: mem,
        first_slot: HEAP_SLOTS,
        base: HEAP_BASE,
        max_pages: HEAP_PAGES,
        refill: None,
    });
    let mut pool = slots::SlotPool::new(root_slots::FIRST_FREE, HEAP_SLOTS);
    let Some(ramdisk_len) = map_ramdisk(&mut pool) else {
        println!("sysd: cannot map the ramdisk");
        return 1;
    };
    let ramdisk_start = RAMDISK_AT + (ramdisk_phys() & 0xfff);
    let machine = exo_rt::info::quota_frames() * 4096;
    let files = fs::boot(
        fs::Frames::new(mem, procs::file_page_spare),
        ramdisk_start,
        ramdisk_len,
        machine,
    );
    let image = match image::load(&files, mem, &mut pool) {
        Ok(i) => i,
        Err(e) => {
            println!("sysd: cannot load the library OS: {e}");
            return 1;
        }
    };
    let Some(ep) = pool.alloc() else {
        return 1;
    };
    if endpoint_create(mem, ep).is_err() {
        println!("sysd: cannot create the endpoint");
        return 1;
    }
    // The console reader: its slots, then a badged endpoint for it.
    let reader = pool.alloc_range(exo_rt::ipc::spawn::slots_needed() + 1);
    let badged = pool.alloc();
    let console = match (reader, badged) {
        (Some(r), Some(b)) => console::start(mem, ep, r, b),
        _ => Err("out of slots"),
    };
    if let Err(e) = console {
        println!("sysd: no console input: {e}");
    }
    let mut server = Server::new(files, random::Random::new(), image, pool, mem, ep);
    server.tty.set_size_from(args.cmdline);
    let (argv, env) = init_argv_env(args.cmdline);
    if let Err(e) = server.start_init(&argv, &env) {
        println!("sysd: cannot start init: {e}");
        return 1;
    }
    serve(&mut server, ep)
}

/// Init's arguments and environment. The arguments: `/sbin/init` and then
/// the program and its arguments, `init=` and the words after it on the
/// command line (split and unquoted as the kernel does, by the `cmdline`
/// crate), or `/bin/sh`. The environment: `PATH`, `HOME`, `TERM`, and
/// `EXOV6_STRACE` when the line has `strace=`.
fn init_argv_env(line: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut argv: Vec<Vec<u8>> = alloc::vec![b"/sbin/init".to_vec()];
    let parsed = cmdline::parse(core::str::from_utf8(line).unwrap_or(""));
    let mut env = alloc::vec![
        b"PATH=/bin:/sbin:/usr/bin".to_vec(),
        b"HOME=/".to_vec(),
        b"TERM=vt100".to_vec(),
    ];
    if let Some(who) = parsed.options.strace {
        env.push([b"EXOV6_STRACE=", who.as_bytes()].concat());
    }
    match parsed.options.init {
        Some(path) => {
            argv.push(path.as_bytes().to_vec());
            argv.extend(parsed.options.init_args().map(|a| a.as_bytes().to_vec()));
        }
        None => argv.push(b"/bin/sh".to_vec()),
    }
    (argv, env)
}

/// The memory capability with the most frames.
fn largest_memory(args: &StartArgs) -> Option<Slot> {
    let probe = root_slots::FIRST_FREE - 1;
    args.memory.clone().max_by_key(|s| memory_frames(*s, probe))
}

/// Frames a memory capability covers: a binary search for its end, asking
/// for frames at given addresses (outside the range is `InvalidArgument`).
fn memory_frames(slot: Slot, probe: Slot) -> u64 {
    let Ok(info) = exo_rt::cap_identify(slot) else {
        return 0;
    };
    let inside = |page: u64| match frame_alloc(slot, probe, Some(info.phys + page * 4096)) {
        Ok(_) => {
            let _ = exo_rt::cap_delete(probe);
            true
        }
        Err(abi::Error::InvalidArgument) => false,
        Err(_) => true,
    };
    // Invariant: page `lo` is inside, page `hi` is not.
    let (mut lo, mut hi) = (0u64, 1u64 << 26);
    if !inside(0) {
        return 0;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if inside(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// The ramdisk's physical start.
fn ramdisk_phys() -> u64 {
    exo_rt::cap_identify(root_slots::RAMDISK).map_or(0, |i| i.phys)
}

/// Maps every page of the ramdisk read-only at `RAMDISK_AT`; its length.
fn map_ramdisk(pool: &mut slots::SlotPool) -> Option<u64> {
    let first = ramdisk_phys() & !0xfff;
    let mut pages = 0u64;
    loop {
        let slot = pool.alloc()?;
        match frame_alloc(root_slots::RAMDISK, slot, Some(first + pages * 4096)) {
            Ok(_) => {}
            Err(_) => {
                pool.free(slot);
                break;
            }
        }
        map(slot, RAMDISK_AT + pages * 4096, 0).ok()?;
        pages += 1;
    }
    (pages > 0).then(|| pages * 4096 - (ramdisk_phys() & 0xfff))
}

/// The loop: one request or notice at a time.
fn serve(server: &mut Server, ep: Slot) -> i32 {
    let mut next = recv(ep);
    loop {
        let Ok((badge, msg)) = next else {
            println!("sysd: receive failed");
            return 1;
        };
        let reply = if badge == abi::ipc::NOTICE_BADGE {
            if msg[0] == abi::ipc::NOTICE_CHILD_ENDED {
                if let Some(code) = server.ended(msg[1], msg[2], msg[3], (msg[4], msg[5])) {
                    return code;
                }
            }
            server.complete_deferred();
            // A notice needs no reply: wait for the next message.
            next = recv(ep);
            continue;
        } else if badge == console::BADGE {
            server.console_request(msg)
        } else {
            server.request(badge, msg)
        };
        server.complete_deferred();
        next = reply_recv(ep, reply);
    }
}
