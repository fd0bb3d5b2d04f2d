//! The native system calls, as one typed enum.

/// The first native call number. Lower numbers belong to the Linux ABI
/// served by the library OS.
pub const NATIVE_BASE: u64 = 0x4558_0000;

/// Every native system call. Arguments are `a0..a5` (`rdi, rsi, rdx, r10,
/// r8, r9`); results `r0..r3` (`rdi, rsi, rdx, r10`).
#[repr(u64)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syscall {
    /// Write `a1` bytes at user address `a0` to the kernel console.
    /// `r0` = bytes written.
    DebugWrite = NATIVE_BASE,
    /// End the calling environment with exit code `a0`. Does not return.
    Exit,
    /// Give up the rest of the current time slot.
    Yield,
    /// Describe the capability in slot `a0`: `r0` = [`crate::CapType`],
    /// `r1` = rights, `r2` = badge, `r3` = physical address (frames and
    /// memory) or environment id (address spaces, threads, capability
    /// spaces).
    CapIdentify,
    /// Copy slot `a0` to empty slot `a1` with the same rights (a derived
    /// capability). Needs DERIVE on the source.
    CapCopy,
    /// Derive slot `a0` into empty slot `a1` with rights `a2` (a subset)
    /// and badge `a3`. Needs DERIVE.
    CapMint,
    /// Move slot `a0` to empty slot `a1`.
    CapMove,
    /// Delete the capability in slot `a0`.
    CapDelete,
    /// Delete every capability derived from slot `a0`, recursively. Needs
    /// REVOKE. `r0` = number deleted.
    CapRevoke,
    /// Allocate a frame from the memory capability in slot `a0` into empty
    /// slot `a1`; `a2` = the physical address wanted, or `u64::MAX` for
    /// any. Needs DERIVE. `r0` = the frame's physical address. From a
    /// device-memory capability `a2` must name the page; device frames are
    /// not zeroed, not charged to the quota, and mapped uncached.
    FrameAlloc,
    /// Map the frame in slot `a0` at user virtual address `a1` in the
    /// caller's address space with [`crate::map_flags`] `a2`. Needs MAP
    /// (and WRITE / EXECUTE for those flags).
    Map,
    /// Unmap the page at user virtual address `a0` in the caller's
    /// address space. `r0` = the physical address that was mapped.
    Unmap,
    /// Register the calling thread's upcall handler: entry `a0`, upcall
    /// stack `[a1, a1 + a2)` (user memory the thread maps writable), flags
    /// `a3` ([`crate::upcall::flags`]). `a0 = 0` removes the handler. See
    /// [`crate::upcall`].
    SetUpcall,
    /// Create an environment (not started): `a0` = memory capability
    /// (DERIVE) its objects are charged to; `a1` = the first of three empty
    /// slots that receive its address space, capability space and thread
    /// capabilities; `a2` = a slot whose capability (GRANT) is copied into
    /// the child's slot 3, or `u64::MAX`; `a3` = an endpoint (EXECUTE) that
    /// receives a death notice when the child ends, or `u64::MAX`. The child
    /// holds capabilities to itself in slots 0, 1, 2. `a4` = the size of
    /// its capability space in slots (0 for [`crate::DEFAULT_CHILD_SLOTS`],
    /// else 4 to [`crate::MAX_CSPACE_SLOTS`]). `r0` = its id.
    EnvCreate,
    /// Map the frame in slot `a1` at `a2` in the address space in slot `a0`
    /// (MAP on both) with [`crate::map_flags`] `a3`. With
    /// [`crate::map_flags::TARGET_SLOT`] the frame slot is in the capability
    /// space of the environment that owns the address space, and the
    /// mapping belongs to that capability.
    MapInto,
    /// Start the thread in slot `a0` (WRITE) at `a1` with stack pointer
    /// `a2` and `a3` in `rdi`. A thread starts once.
    ThreadStart,
    /// Create an endpoint from the memory capability in `a0` (DERIVE) in
    /// empty slot `a1`.
    EndpointCreate,
    /// Call the endpoint in `a0` (EXECUTE) with the message in
    /// [`crate::ipc`] registers; blocks until a receiver replies; the reply
    /// comes back in the same registers.
    Call,
    /// Wait on the endpoint in `a0` (READ) for a call or a notice; `r0` =
    /// the caller's badge ([`crate::ipc::NOTICE_BADGE`] for a kernel
    /// notice), message in the [`crate::ipc`] registers.
    Recv,
    /// Reply to the last call received, with the message registers.
    Reply,
    /// Reply (if a call is pending) and wait on endpoint `a0` (READ), as
    /// one call.
    ReplyRecv,
    /// Create a notification (a word of bits) from the memory capability in
    /// `a0` (DERIVE) in empty slot `a1`. `r0` = its id.
    NotificationCreate,
    /// OR `a1` into the notification in slot `a0` (WRITE); wakes one waiter.
    Signal,
    /// Wait on the notification in slot `a0` (READ) until a bit is set, at
    /// most `a1` microseconds (0: poll, `u64::MAX`: no limit). `r0` = the
    /// bits, which are cleared. A timeout gives `TimedOut`; a poll of an
    /// empty word gives `r0` = 0.
    Wait,
    /// Derive from the I/O-port capability in `a0` (DERIVE) a capability
    /// for the sub-range of `a3` ports from port `a2`, in empty slot `a1`.
    PortsMint,
    /// Allow the calling environment's user code to use the ports of the
    /// capability in `a0` (READ and WRITE) with `in`/`out`. Deleting that
    /// capability (or revoking it) takes the permission back.
    PortsEnable,
    /// Bind the interrupt line in `a0` (READ) to the notification in `a1`
    /// (WRITE): each interrupt ORs `a2` into the word. `a2` = 0 unbinds.
    /// A level-triggered line is masked when it fires until `IrqAck`.
    IrqBind,
    /// Unmask the interrupt line in `a0` (READ) after handling it.
    IrqAck,
    /// Give the environment created by `EnvCreate` whose thread is in slot
    /// `a0` (WRITE) `a1` frames of the caller's quota, before it starts.
    /// The frames stop counting against the caller's limit.
    QuotaGive,
    /// Give the rest of the current time slot to the environment whose
    /// thread is in slot `a0` (READ), which must be ready to run (else
    /// `NoPartner`).
    YieldTo,
    /// Set the scheduling of the environment whose thread is in slot `a0`
    /// (WRITE): proportional-share weight `a1` (1 to 1000), and, if `a2`
    /// is not 0, a real-time reservation of `a3` timer quanta every `a2`
    /// quanta (`a3` = 0 removes it). `InvalidArgument` for a bad weight or
    /// a reservation the CPU cannot admit.
    SchedSet,
    /// Visible revocation: ask the environment whose thread is in slot `a0`
    /// (WRITE) to give back `a1` frames within `a2` microseconds. It learns
    /// of it through its info page and, if it has an upcall handler, a
    /// [`crate::upcall::kind::REVOKE`] upcall. At the deadline the kernel
    /// takes what was not given back (abort protocol) and lists those frames
    /// in the info page's repossession vector; the quota shrinks by `a1`.
    RevokeRequest,
    /// Change the rights of the caller's mapping at `a0` to
    /// [`crate::map_flags`] `a1`, checked against the capability the
    /// mapping was made through (MAP, plus WRITE / EXECUTE for those
    /// flags). `NotMapped` if no capability mapping is there.
    Protect,
    /// The kernel's own controls: power the machine off with exit status
    /// `a1` (0 to 255) through the control capability in `a0` (WRITE).
    PowerOff,
    /// Derive slot `a0` (GRANT and DERIVE) into empty slot `a2` of the
    /// capability space in slot `a1` (WRITE) with rights `a3` (a subset)
    /// and badge `a4`, as [`Syscall::CapMint`] does within one space.
    CapMintInto,
    /// End the environment whose thread is in slot `a0` (WRITE), as if it
    /// had faulted: its creator's endpoint gets a notice with `how` =
    /// [`crate::ipc::HOW_KILLED`] and `detail` = `a1`.
    EnvKill,
    /// Set the calling thread's `FS` base (thread-local storage) to `a0`,
    /// a canonical user address or 0. The kernel keeps it per thread.
    FsBaseSet,
}

impl Syscall {
    /// Every call, in number order.
    pub const ALL: [Syscall; 37] = [
        Syscall::DebugWrite,
        Syscall::Exit,
        Syscall::Yield,
        Syscall::CapIdentify,
        Syscall::CapCopy,
        Syscall::CapMint,
        Syscall::CapMove,
        Syscall::CapDelete,
        Syscall::CapRevoke,
        Syscall::FrameAlloc,
        Syscall::Map,
        Syscall::Unmap,
        Syscall::SetUpcall,
        Syscall::EnvCreate,
        Syscall::MapInto,
        Syscall::ThreadStart,
        Syscall::EndpointCreate,
        Syscall::Call,
        Syscall::Recv,
        Syscall::Reply,
        Syscall::ReplyRecv,
        Syscall::NotificationCreate,
        Syscall::Signal,
        Syscall::Wait,
        Syscall::PortsMint,
        Syscall::PortsEnable,
        Syscall::IrqBind,
        Syscall::IrqAck,
        Syscall::QuotaGive,
        Syscall::YieldTo,
        Syscall::SchedSet,
        Syscall::RevokeRequest,
        Syscall::Protect,
        Syscall::PowerOff,
        Syscall::CapMintInto,
        Syscall::EnvKill,
        Syscall::FsBaseSet,
    ];

    /// The call for a number in `rax` (None if not a native call).
    pub fn from_number(n: u64) -> Option<Syscall> {
        let i = n.checked_sub(NATIVE_BASE)?;
        Self::ALL.get(usize::try_from(i).ok()?).copied()
    }

    /// The call's name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            Syscall::DebugWrite => "debug_write",
            Syscall::Exit => "exit",
            Syscall::Yield => "yield",
            Syscall::CapIdentify => "cap_identify",
            Syscall::CapCopy => "cap_copy",
            Syscall::CapMint => "cap_mint",
            Syscall::CapMove => "cap_move",
            Syscall::CapDelete => "cap_delete",
            Syscall::CapRevoke => "cap_revoke",
            Syscall::FrameAlloc => "frame_alloc",
            Syscall::Map => "map",
            Syscall::Unmap => "unmap",
            Syscall::SetUpcall => "set_upcall",
            Syscall::EnvCreate => "env_create",
            Syscall::MapInto => "map_into",
            Syscall::ThreadStart => "thread_start",
            Syscall::EndpointCreate => "endpoint_create",
            Syscall::Call => "call",
            Syscall::Recv => "recv",
            Syscall::Reply => "reply",
            Syscall::ReplyRecv => "reply_recv",
            Syscall::NotificationCreate => "notification_create",
            Syscall::Signal => "signal",
            Syscall::Wait => "wait",
            Syscall::PortsMint => "ports_mint",
            Syscall::PortsEnable => "ports_enable",
            Syscall::IrqBind => "irq_bind",
            Syscall::IrqAck => "irq_ack",
            Syscall::QuotaGive => "quota_give",
            Syscall::YieldTo => "yield_to",
            Syscall::SchedSet => "sched_set",
            Syscall::RevokeRequest => "revoke_request",
            Syscall::Protect => "protect",
            Syscall::PowerOff => "power_off",
            Syscall::CapMintInto => "cap_mint_into",
            Syscall::EnvKill => "env_kill",
            Syscall::FsBaseSet => "fs_base_set",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dense_from_the_base() {
        for (i, s) in Syscall::ALL.iter().enumerate() {
            assert_eq!(*s as u64, NATIVE_BASE + i as u64);
            assert_eq!(Syscall::from_number(*s as u64), Some(*s));
        }
        assert_eq!(Syscall::from_number(39), None, "Linux getpid is not native");
        assert_eq!(
            Syscall::from_number(NATIVE_BASE + Syscall::ALL.len() as u64),
            None
        );
        assert_eq!(Syscall::from_number(u64::MAX), None);
        // user/ctests/rawreq.c makes this call by number.
        assert_eq!(Syscall::Call as u64, 0x4558_0011);
    }
}
