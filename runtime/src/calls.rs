//! One typed function per native system call of [`abi::Syscall`]. Each
//! turns the raw status into `Result<_, abi::Error>`; see
//! `docs/kernel-abi.md` for arguments, rights and errors.

use abi::{CapType, Error, Rights, Syscall};

use crate::syscall::raw;

/// A capability-space slot index.
pub type Slot = u32;

/// What [`cap_identify`] reports about a capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapInfo {
    /// The type, if the kernel's code is one [`abi::CapType`] knows.
    pub cap_type: Option<CapType>,
    /// The raw type code (`r0`).
    pub type_code: u64,
    /// The rights (`r1`).
    pub rights: Rights,
    /// The badge (`r2`).
    pub badge: u64,
    /// The physical address of a frame or memory range, else 0 (`r3`).
    pub phys: u64,
}

/// Calls `call` and maps its status to `Ok(results)` or the error. A
/// status that is not an [`abi::Error`] code breaks the contract with the
/// kernel, and panics with the call's name.
pub(crate) fn call(call: Syscall, a: [u64; 6]) -> Result<[u64; 4], Error> {
    let (status, r) = raw(call as u64, a);
    if status == 0 {
        return Ok(r);
    }
    match Error::from_code(status) {
        Some(e) => Err(e),
        None => panic!("exo-rt: {} returned unknown status {status}", call.name()),
    }
}

/// Writes `bytes` to the kernel console; returns the count written.
pub fn debug_write(bytes: &[u8]) -> Result<usize, Error> {
    debug_write_raw(bytes.as_ptr() as u64, bytes.len() as u64)
}

/// [`debug_write`] with any address and length (for tests of the kernel's
/// pointer checks; the kernel only reads, so no value is unsafe).
pub fn debug_write_raw(addr: u64, len: u64) -> Result<usize, Error> {
    call(Syscall::DebugWrite, [addr, len, 0, 0, 0, 0]).map(|r| r[0] as usize)
}

/// Ends the program with `code` (passed sign-extended to 64 bits).
pub fn exit(code: i32) -> ! {
    loop {
        // Exit does not return; should it, ask again.
        let _ = raw(Syscall::Exit as u64, [code as i64 as u64, 0, 0, 0, 0, 0]);
    }
}

/// Gives up the rest of the current time slot.
pub fn yield_now() -> Result<(), Error> {
    call(Syscall::Yield, [0; 6]).map(|_| ())
}

/// Describes the capability in `slot`.
pub fn cap_identify(slot: Slot) -> Result<CapInfo, Error> {
    let r = call(Syscall::CapIdentify, [slot.into(), 0, 0, 0, 0, 0])?;
    Ok(CapInfo {
        cap_type: CapType::from_code(r[0]),
        type_code: r[0],
        rights: Rights(r[1]),
        badge: r[2],
        phys: r[3],
    })
}

/// Copies `src` into the empty slot `dst` (same rights). Needs DERIVE.
pub fn cap_copy(src: Slot, dst: Slot) -> Result<(), Error> {
    call(Syscall::CapCopy, [src.into(), dst.into(), 0, 0, 0, 0]).map(|_| ())
}

/// Derives `src` into the empty slot `dst` with `rights` (a subset of
/// the source's) and `badge`. Needs DERIVE.
pub fn cap_mint(src: Slot, dst: Slot, rights: Rights, badge: u64) -> Result<(), Error> {
    call(
        Syscall::CapMint,
        [src.into(), dst.into(), rights.0, badge, 0, 0],
    )
    .map(|_| ())
}

/// Derives `src` (GRANT and DERIVE) into the empty slot `dst` of the
/// capability space in `cspace` (WRITE; usually a child's) with `rights`
/// (a subset of the source's) and `badge`, as [`cap_mint`] does within
/// this program's own space. The new capability is a child of `src`:
/// revoking `src` takes it back.
pub fn cap_mint_into(
    src: Slot,
    cspace: Slot,
    dst: Slot,
    rights: Rights,
    badge: u64,
) -> Result<(), Error> {
    call(
        Syscall::CapMintInto,
        [src.into(), cspace.into(), dst.into(), rights.0, badge, 0],
    )
    .map(|_| ())
}

/// Moves `src` into the empty slot `dst`.
pub fn cap_move(src: Slot, dst: Slot) -> Result<(), Error> {
    call(Syscall::CapMove, [src.into(), dst.into(), 0, 0, 0, 0]).map(|_| ())
}

/// Deletes the capability in `slot`.
pub fn cap_delete(slot: Slot) -> Result<(), Error> {
    call(Syscall::CapDelete, [slot.into(), 0, 0, 0, 0, 0]).map(|_| ())
}

/// Deletes every capability derived from `slot`, recursively; returns how
/// many. Needs REVOKE.
pub fn cap_revoke(slot: Slot) -> Result<u64, Error> {
    call(Syscall::CapRevoke, [slot.into(), 0, 0, 0, 0, 0]).map(|r| r[0])
}

/// Allocates a frame from the memory capability `mem` into the empty slot
/// `dst`, at physical address `phys` or anywhere; returns its physical
/// address. Needs DERIVE.
pub fn frame_alloc(mem: Slot, dst: Slot, phys: Option<u64>) -> Result<u64, Error> {
    let want = phys.unwrap_or(u64::MAX);
    call(Syscall::FrameAlloc, [mem.into(), dst.into(), want, 0, 0, 0]).map(|r| r[0])
}

/// Maps the frame in `frame` at `vaddr` with [`abi::map_flags`] `flags`.
/// Needs MAP (and WRITE / EXECUTE for those flags). Never replaces a
/// mapped page (that is [`Error::AlreadyMapped`]).
pub fn map(frame: Slot, vaddr: u64, flags: u64) -> Result<(), Error> {
    call(Syscall::Map, [frame.into(), vaddr, flags, 0, 0, 0]).map(|_| ())
}

/// Unmaps the page at `vaddr`; returns the physical address that was
/// mapped there. Panics (without calling the kernel) if `vaddr` is the
/// program's own memory (see [`crate::memory::is_program_memory`]).
pub fn unmap(vaddr: u64) -> Result<u64, Error> {
    if crate::memory::is_program_memory(vaddr) {
        panic!("exo-rt: refusing to unmap the program's own memory at {vaddr:#x}");
    }
    call(Syscall::Unmap, [vaddr, 0, 0, 0, 0, 0]).map(|r| r[0])
}

/// Changes the rights of the capability mapping at `vaddr` to
/// [`abi::map_flags`] `flags` (`WRITE`, `EXECUTE`; 0 = read-only), as far
/// as the capability it was made through allows.
pub fn protect(vaddr: u64, flags: u64) -> Result<(), Error> {
    call(Syscall::Protect, [vaddr, flags, 0, 0, 0, 0]).map(|_| ())
}

/// Creates a notification (a word of bits) charged to the memory
/// capability `mem` (DERIVE) in the empty slot `dst`; returns its id.
pub fn notification_create(mem: Slot, dst: Slot) -> Result<u32, Error> {
    call(
        Syscall::NotificationCreate,
        [mem.into(), dst.into(), 0, 0, 0, 0],
    )
    .map(|r| r[0] as u32)
}

/// ORs `bits` into the notification in `ntf` (WRITE) and wakes its first
/// waiter.
pub fn signal(ntf: Slot, bits: u64) -> Result<(), Error> {
    call(Syscall::Signal, [ntf.into(), bits, 0, 0, 0, 0]).map(|_| ())
}

/// A [`wait`] time limit: none (block until a signal).
pub const WAIT_FOREVER: u64 = u64::MAX;
/// A [`wait`] time limit: do not block (poll).
pub const WAIT_POLL: u64 = 0;

/// Waits on the notification in `ntf` (READ) until a bit is set, at most
/// `timeout_us` microseconds ([`WAIT_POLL`], [`WAIT_FOREVER`]); returns
/// the bits (and clears them). A poll of an empty word returns `Ok(0)`;
/// a timeout is [`Error::TimedOut`].
pub fn wait(ntf: Slot, timeout_us: u64) -> Result<u64, Error> {
    call(Syscall::Wait, [ntf.into(), timeout_us, 0, 0, 0, 0]).map(|r| r[0])
}

/// Sleeps about `us` microseconds by waiting with that limit on the
/// notification in `ntf`, which nothing should signal (a signal ends the
/// sleep early, and its bits are consumed). `Ok` once the time is up.
pub fn sleep_on(ntf: Slot, us: u64) -> Result<(), Error> {
    match wait(ntf, us) {
        Ok(_) | Err(Error::TimedOut) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Derives from the I/O-port capability `src` (DERIVE) one for the ports
/// `base..base + count` in the empty slot `dst`.
pub fn ports_mint(src: Slot, dst: Slot, base: u64, count: u64) -> Result<(), Error> {
    call(
        Syscall::PortsMint,
        [src.into(), dst.into(), base, count, 0, 0],
    )
    .map(|_| ())
}

/// Opens the ports of the capability in `ports` (READ and WRITE) to this
/// environment's `in` / `out` ([`crate::ports`]). Deleting or revoking
/// the capability closes them again.
pub fn ports_enable(ports: Slot) -> Result<(), Error> {
    call(Syscall::PortsEnable, [ports.into(), 0, 0, 0, 0, 0]).map(|_| ())
}

/// Binds the interrupt line in `irq` (READ) to the notification in `ntf`
/// (WRITE): each interrupt ORs `bits` into it. `bits` = 0 unbinds.
pub fn irq_bind(irq: Slot, ntf: Slot, bits: u64) -> Result<(), Error> {
    call(Syscall::IrqBind, [irq.into(), ntf.into(), bits, 0, 0, 0]).map(|_| ())
}

/// Unmasks the interrupt line in `irq` (READ) after handling it.
pub fn irq_ack(irq: Slot) -> Result<(), Error> {
    call(Syscall::IrqAck, [irq.into(), 0, 0, 0, 0, 0]).map(|_| ())
}

/// Moves `frames` frames of this environment's unused quota to the child
/// whose thread is in `thread` (WRITE).
pub fn quota_give(thread: Slot, frames: u64) -> Result<(), Error> {
    call(Syscall::QuotaGive, [thread.into(), frames, 0, 0, 0, 0]).map(|_| ())
}

/// Gives the rest of the time slot to the environment whose thread is in
/// `thread` (READ); [`Error::NoPartner`] unless it is ready to run.
pub fn yield_to(thread: Slot) -> Result<(), Error> {
    call(Syscall::YieldTo, [thread.into(), 0, 0, 0, 0, 0]).map(|_| ())
}

/// A real-time reservation for [`sched_set`]: `budget` timer quanta every
/// `period` quanta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The period, in timer quanta (not 0).
    pub period: u32,
    /// The quanta reserved per period (0 removes the reservation).
    pub budget: u32,
}

/// Sets the scheduling of the environment whose thread is in `thread`
/// (WRITE): proportional-share `weight` (1 to 1000) and, if given, a
/// real-time reservation. [`Error::InvalidArgument`] for a bad weight or
/// a reservation the CPU cannot admit.
pub fn sched_set(thread: Slot, weight: u32, rt: Option<Reservation>) -> Result<(), Error> {
    let (period, budget) = rt.map_or((0, 0), |r| (r.period, r.budget));
    call(
        Syscall::SchedSet,
        [
            thread.into(),
            weight.into(),
            period.into(),
            budget.into(),
            0,
            0,
        ],
    )
    .map(|_| ())
}

/// Ends the environment whose thread is in `thread` (WRITE), whatever it
/// is doing, as a fatal fault would: its creator's death endpoint gets a
/// notice with `how` = [`abi::ipc::HOW_KILLED`] and `detail` = `code`.
/// [`Error::InvalidArgument`] for this program's own thread (use
/// [`exit`]), [`Error::NoPartner`] if it has already ended. Killing an
/// ancestor ends this program too (an environment ends with its creator),
/// so that call does not return.
pub fn env_kill(thread: Slot, code: u64) -> Result<(), Error> {
    call(Syscall::EnvKill, [thread.into(), code, 0, 0, 0, 0]).map(|_| ())
}

/// Asks the environment whose thread is in `thread` (WRITE) to give back
/// `frames` frames within `grace_us` microseconds (visible revocation; at
/// the deadline the kernel takes what was not given back).
pub fn revoke_request(thread: Slot, frames: u64, grace_us: u64) -> Result<(), Error> {
    call(
        Syscall::RevokeRequest,
        [thread.into(), frames, grace_us, 0, 0, 0],
    )
    .map(|_| ())
}

/// Sets this thread's FS base (the thread-local-storage pointer `%fs`
/// addresses) to `value`: 0 or a user address below [`abi::USER_END`]
/// (else [`Error::BadAddress`]). The kernel keeps it per thread; a new
/// thread starts with 0. [`crate::tls::fs_read`] reads through it.
pub fn fs_base_set(value: u64) -> Result<(), Error> {
    call(Syscall::FsBaseSet, [value, 0, 0, 0, 0, 0]).map(|_| ())
}
