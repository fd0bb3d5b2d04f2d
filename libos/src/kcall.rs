//! The kernel calls the library OS makes, over `exo-rt`'s typed wrappers,
//! with the slot and flag conventions of a process (`sysproto::slots`)
//! and its memory policy (more quota from the server when it runs out).

use abi::Error;
use sysproto::slots;

/// A fresh zeroed frame from the process's memory capability into `slot`;
/// when the quota is used up, the server is asked for more first.
pub fn frame_alloc(slot: u32) -> Result<(), Error> {
    let alloc = || exo_rt::frame_alloc(slots::MEMORY, slot, None).map(|_| ());
    match alloc() {
        Err(Error::QuotaExceeded | Error::OutOfMemory) if more_memory() => alloc(),
        r => r,
    }
}

/// After the kernel refused a frame: more quota from the server if the
/// quota is used up, else (the machine itself has no frame left) the
/// server's out-of-memory policy; true if trying again may work.
pub fn more_memory() -> bool {
    if exo_rt::info::used_frames() >= exo_rt::info::quota_frames() {
        return more_quota();
    }
    let quota = sysproto::sys::Quota {
        frames: 0,
        short: true,
    };
    crate::server::call(quota).is_ok()
}

/// Frames asked of the server at a time when the quota runs out.
const QUOTA_STEP: u64 = 1024;

/// Asks the server to raise the quota; true if it did.
pub fn more_quota() -> bool {
    let quota = sysproto::sys::Quota {
        frames: QUOTA_STEP,
        short: false,
    };
    crate::server::call(quota).is_ok_and(|r| r.granted > 0)
}

/// Maps the frame in `slot` at `vaddr` with `abi::map_flags`.
pub fn map(slot: u32, vaddr: u64, flags: u64) -> Result<(), Error> {
    exo_rt::map(slot, vaddr, flags)
}

/// Unmaps the page at `vaddr`.
pub fn unmap(vaddr: u64) -> Result<(), Error> {
    exo_rt::unmap(vaddr).map(|_| ())
}

/// Changes the rights of the mapping at `vaddr`.
pub fn protect(vaddr: u64, flags: u64) -> Result<(), Error> {
    exo_rt::protect(vaddr, flags)
}

/// Deletes the capability in `slot`.
pub fn cap_delete(slot: u32) -> Result<(), Error> {
    exo_rt::cap_delete(slot)
}

/// Derives `slot` (all its rights) into the same slot of the child's
/// capability space (`slots::CHILD_CSPACE`).
pub fn give_to_child(slot: u32, dst: u32) -> Result<(), Error> {
    exo_rt::cap_mint_into(slot, slots::CHILD_CSPACE, dst, abi::Rights::ALL, 0)
}

/// Maps the child's own capability `slot` at `vaddr` in the child.
pub fn map_in_child(slot: u32, vaddr: u64, flags: u64) -> Result<(), Error> {
    exo_rt::map_into(
        slots::CHILD_ASPACE,
        slot,
        vaddr,
        flags | abi::map_flags::TARGET_SLOT,
    )
}

/// Waits on the process's wake notification for at most `us`
/// microseconds (`u64::MAX`: no limit; 0: poll). The bits, or 0.
pub fn wait_wake(us: u64) -> u64 {
    exo_rt::wait(slots::WAKE, us).unwrap_or(0)
}

/// Sets the thread's FS base.
pub fn set_fs_base(value: u64) {
    let _ = exo_rt::fs_base_set(value);
}

/// Whether preemption upcalls are on for this process.
static PREEMPTING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Registers the library OS's upcall handler with syscall reflection, and
/// without preemption upcalls: the library OS's start code (and a forked
/// child's) runs off the upcall stack and resumes the program itself, and
/// a preemption there would land in the middle of that resume. The first
/// upcall turns preemption on ([`enable_preemption`]).
pub fn register_upcalls() -> Result<(), Error> {
    PREEMPTING.store(false, core::sync::atomic::Ordering::Relaxed);
    exo_rt::upcall::set_handler_on(
        crate::on_upcall,
        crate::upcall_stack(),
        abi::upcall::flags::REFLECT_SYSCALLS,
    )
}

/// Turns preemption upcalls on (once; from inside an upcall, where the
/// library OS runs on its upcall stack). Without kernel support it stays
/// off.
pub fn enable_preemption() {
    use abi::upcall::flags::{PREEMPT, REFLECT_SYSCALLS};
    if PREEMPTING.load(core::sync::atomic::Ordering::Relaxed) {
        return;
    }
    PREEMPTING.store(true, core::sync::atomic::Ordering::Relaxed);
    let _ = exo_rt::upcall::set_handler_on(
        crate::on_upcall,
        crate::upcall_stack(),
        REFLECT_SYSCALLS | PREEMPT,
    );
}

/// Ends the environment (the process) with `code`.
pub fn exit(code: i32) -> ! {
    exo_rt::exit(code)
}
