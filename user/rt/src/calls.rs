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
