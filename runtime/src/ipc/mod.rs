//! Protected control transfer and environment creation: typed wrappers of
//! `EndpointCreate`, `Call`, `Recv`, `Reply`, `ReplyRecv`, `EnvCreate`,
//! `MapInto` and `ThreadStart` (see `abi::ipc` and `docs/kernel-abi.md`),
//! and [`spawn`](spawn::spawn), which starts a child environment running a
//! function of this same program.
//!
//! A message is six words ([`Msg`]) in `rsi, rdx, r10, r8, r9, r12`, both
//! ways, with the endpoint slot in `rdi`. The IPC calls have their own
//! inline-assembly helper ([`ipc_raw`]), because the generic one
//! (`crate::syscall`) neither passes `r12` nor reads back `r8`, `r9`,
//! `r12`. `Recv` and `ReplyRecv` give the sender's badge (from the
//! capability it called through, [`abi::ipc::NOTICE_BADGE`] for a kernel
//! notice).
//!
//! Capability transfer (`r13`, see `abi::ipc::NO_CAP`): [`call`],
//! [`recv`], [`reply`] and [`reply_recv`] pass [`abi::ipc::NO_CAP`], so
//! they send no capability and accept none. [`call_with_cap`] sends one
//! (GRANT and DERIVE on it; a frame capability grants the page), and
//! [`recv_into`] / [`reply_recv_into`] accept one into an empty slot and
//! say whether it arrived.

pub mod spawn;

use abi::{Error, Syscall};

use crate::calls::{status, sys, Slot};

pub use crate::calls::{endpoint_create, map_into, thread_start};

pub use spawn::{spawn, Child, Spawn, SpawnError};

/// One IPC message: [`abi::ipc::MSG_WORDS`] words.
pub type Msg = [u64; abi::ipc::MSG_WORDS];

/// What [`recv`] and [`reply_recv`] return: the sender's badge and its
/// message.
pub type Received = (u64, Msg);

/// Issues one of the IPC calls: `rdi` = `rdi`, the message in `rsi, rdx,
/// r10, r8, r9, r12`, `cap` in `r13` (a slot to send or to receive into,
/// or [`abi::ipc::NO_CAP`]). Returns the status, `rdi` (the badge for
/// `Recv` and `ReplyRecv`), the message registers as the kernel left them
/// and `r13` (for a receive: 1 if a capability arrived).
fn ipc_raw(call: Syscall, rdi: u64, msg: Msg, cap: u64) -> (u64, u64, Msg, u64) {
    let st: u64;
    let out_rdi: u64;
    let out_r13: u64;
    let mut m = msg;
    // `syscall` enters the kernel, which returns (possibly after
    // running other environments, in their own address spaces, while this
    // one is blocked) with only the registers named here changed: rax,
    // rdi, the six message registers and r13 (the transfer slot; the
    // kernel writes whether a capability arrived), plus rcx and r11 (the
    // instruction's own). Every other register is saved in the
    // environment's context while it is blocked and restored. The kernel
    // does not touch the user stack or any memory of this program during
    // an IPC call (messages travel in registers only; a transferred
    // capability lands in a capability slot, not in memory), and memory
    // shared with other environments (a granted page) can only be mapped
    // in the scratch window, which holds no Rust object.
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") call as u64 => st,
            inlateout("rdi") rdi => out_rdi,
            inlateout("rsi") m[0],
            inlateout("rdx") m[1],
            inlateout("r10") m[2],
            inlateout("r8") m[3],
            inlateout("r9") m[4],
            inlateout("r12") m[5],
            inlateout("r13") cap => out_r13,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    (st, out_rdi, m, out_r13)
}

/// Calls the endpoint in `ep` (EXECUTE) with `msg` and blocks for the
/// reply. [`Error::NoPartner`] if the receiver ends before replying or the
/// endpoint goes away.
pub fn call(ep: Slot, msg: Msg) -> Result<Msg, Error> {
    let (st, _, reply, _) = ipc_raw(Syscall::Call, ep.into(), msg, abi::ipc::NO_CAP);
    status(Syscall::Call, st).map(|()| reply)
}

/// [`call`], sending the capability in `cap` (GRANT and DERIVE) with the
/// message: the receiver gets a capability derived from it if it accepts
/// one. Sending a frame capability grants the page.
pub fn call_with_cap(ep: Slot, msg: Msg, cap: Slot) -> Result<Msg, Error> {
    let (st, _, reply, _) = ipc_raw(Syscall::Call, ep.into(), msg, cap.into());
    status(Syscall::Call, st).map(|()| reply)
}

/// Waits on the endpoint in `ep` (READ) for a call or a kernel notice;
/// returns the badge and the message.
pub fn recv(ep: Slot) -> Result<Received, Error> {
    let (st, badge, msg, _) = ipc_raw(Syscall::Recv, ep.into(), [0; 6], abi::ipc::NO_CAP);
    status(Syscall::Recv, st).map(|()| (badge, msg))
}

/// [`recv`], accepting a capability into the empty slot `slot`; returns
/// the badge, the message and whether a capability arrived (false if none
/// was sent, or the sender's capability could not be passed, or the slot
/// was taken).
pub fn recv_into(ep: Slot, slot: Slot) -> Result<(u64, Msg, bool), Error> {
    let (st, badge, msg, got) = ipc_raw(Syscall::Recv, ep.into(), [0; 6], slot.into());
    status(Syscall::Recv, st).map(|()| (badge, msg, got == 1))
}

/// Replies `msg` to the last call received. [`Error::NoPartner`] if there
/// is none, or its caller is gone.
pub fn reply(msg: Msg) -> Result<(), Error> {
    let (st, _, _, _) = ipc_raw(Syscall::Reply, 0, msg, abi::ipc::NO_CAP);
    status(Syscall::Reply, st)
}

/// Replies `msg` to the pending call (if any) and waits on `ep` (READ), as
/// one call; returns the next badge and message.
pub fn reply_recv(ep: Slot, msg: Msg) -> Result<Received, Error> {
    let (st, badge, next, _) = ipc_raw(Syscall::ReplyRecv, ep.into(), msg, abi::ipc::NO_CAP);
    status(Syscall::ReplyRecv, st).map(|()| (badge, next))
}

/// [`reply_recv`], accepting a capability with the next message into the
/// empty slot `slot`; returns the badge, the message and whether a
/// capability arrived.
pub fn reply_recv_into(ep: Slot, msg: Msg, slot: Slot) -> Result<(u64, Msg, bool), Error> {
    let (st, badge, next, got) = ipc_raw(Syscall::ReplyRecv, ep.into(), msg, slot.into());
    status(Syscall::ReplyRecv, st).map(|()| (badge, next, got == 1))
}

/// The capabilities [`env_create`] puts into the creator's capability
/// space, and the new environment's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvSlots {
    /// The child's id.
    pub id: u32,
    /// Its address space (`dst`).
    pub aspace: Slot,
    /// Its capability space (`dst + 1`).
    pub cspace: Slot,
    /// Its thread (`dst + 2`).
    pub thread: Slot,
}

/// Creates an environment (not started) charged to `mem` (DERIVE): its
/// address space, capability space and thread go into the empty slots
/// `dst`, `dst + 1`, `dst + 2`; `give` (GRANT and DERIVE) is copied into
/// its slot 3; `death` (an endpoint, EXECUTE) gets a notice when it ends.
/// Its capability space has [`abi::DEFAULT_CHILD_SLOTS`] slots.
pub fn env_create(
    mem: Slot,
    dst: Slot,
    give: Option<Slot>,
    death: Option<Slot>,
) -> Result<EnvSlots, Error> {
    env_create_sized(mem, dst, give, death, 0)
}

/// [`env_create`] with a capability space of `slots` slots (0 for
/// [`abi::DEFAULT_CHILD_SLOTS`], else 4 to [`abi::MAX_CSPACE_SLOTS`];
/// anything else is [`Error::InvalidArgument`]). The kernel backs only
/// the slots in use, so a large space costs nothing until it is filled.
pub fn env_create_sized(
    mem: Slot,
    dst: Slot,
    give: Option<Slot>,
    death: Option<Slot>,
    slots: u32,
) -> Result<EnvSlots, Error> {
    let opt = |s: Option<Slot>| s.map_or(u64::MAX, u64::from);
    let id = sys::env_create(mem, dst, opt(give), opt(death), slots.into())?;
    Ok(EnvSlots {
        id,
        aspace: dst,
        cspace: dst + 1,
        thread: dst + 2,
    })
}

/// The word of the program image at `addr` (8-aligned, inside the image;
/// panics otherwise), for [`spawn`] to copy.
fn image_word(addr: u64) -> u64 {
    let img = crate::memory::image();
    if !(img.start..img.end).contains(&addr) || !addr.is_multiple_of(8) {
        panic!("exo-rt: {addr:#x} is not an aligned word of the program image");
    }
    // `addr` is an aligned word inside the program image, which the
    // kernel mapped readable for the whole life of the program (the runtime
    // refuses to unmap it). The read is volatile and produces a plain `u64`,
    // valid for any bits; the program has one thread, so no write to a
    // static races with it.
    // SAFETY: sound for the reasons just given.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

core::arch::global_asm!(
    ".pushsection .text.exo_rt_child_entry, \"ax\", @progbits",
    ".globl exo_rt_child_entry",
    ".type exo_rt_child_entry, @function",
    // A spawned thread starts here with rdi = its argument and rsp 16 bytes
    // below its stack top, where `spawn` wrote the entry function and the
    // argument. End the frame-pointer chain, fetch the entry into rsi and
    // call `child_main` with rsp 16-byte aligned, as the C ABI wants.
    "exo_rt_child_entry:",
    "    xor ebp, ebp",
    "    mov rsi, [rsp]",
    "    call {child_main}",
    "    ud2",
    ".size exo_rt_child_entry, . - exo_rt_child_entry",
    ".popsection",
    child_main = sym child_main,
);

extern "C" {
    /// The stub above; never called from Rust, only its address is used.
    fn exo_rt_child_entry();
}

/// The trampoline's address (where [`spawn`] starts the child's thread).
fn child_entry_address() -> u64 {
    exo_rt_child_entry as *const () as u64
}

/// Called by the trampoline in the child with the argument and the entry.
extern "C" fn child_main(arg: u64, entry: u64) -> ! {
    // `spawn` wrote `entry` from a value of type `fn(u64) -> !`
    // into the child's stack, and the child runs an exact copy of the
    // parent's image at the same addresses, so the word is that function
    // pointer, valid here (function and data pointers are 64-bit words on
    // x86_64).
    // SAFETY: sound for the reasons just given.
    let f = unsafe { core::mem::transmute::<usize, fn(u64) -> !>(entry as usize) };
    f(arg)
}
