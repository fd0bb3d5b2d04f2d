//! Upcalls: how the kernel hands an exception, or a reflected system call,
//! to the thread's own handler.
//!
//! A thread registers an entry point and an upcall stack with
//! [`crate::Syscall::SetUpcall`]. When it takes an exception (or, with
//! [`flags::REFLECT_SYSCALLS`], makes a `syscall` whose number is not a
//! native call), the kernel writes an [`UpcallFrame`] at the top of the
//! upcall stack and starts the entry with `rdi` = the frame's address and
//! `rsp` = that address - 8 (so the entry sees a normal call alignment).
//! The handler repairs what it must and resumes the interrupted code itself
//! by loading the frame's registers and jumping to its `rip`: no second
//! kernel entry. A reflected call resumes after the `syscall` instruction
//! with its result in `rax`.
//!
//! An exception taken while `rsp` is inside the upcall stack (a fault in the
//! handler itself), or an upcall stack that is not mapped writable,
//! terminates the environment.

/// What an upcall reports.
pub mod kind {
    /// A CPU exception: `vector`, `error`, and for page faults `addr`.
    pub const EXCEPTION: u64 = 1;
    /// A `syscall` with a non-native number (in `rax`); `rip` is after it.
    pub const SYSCALL: u64 = 2;
    /// A revocation request: give back `error` frames by `addr` (kernel
    /// microseconds since boot); see [`crate::Syscall::RevokeRequest`].
    pub const REVOKE: u64 = 3;
    /// The timer ended the thread's time slice while it ran user code
    /// outside its upcall handler; the frame is the interrupted state (see
    /// [`super::flags::PREEMPT`]).
    pub const PREEMPTED: u64 = 4;
}

/// Flags of [`crate::Syscall::SetUpcall`].
pub mod flags {
    /// Deliver non-native system calls as upcalls.
    pub const REFLECT_SYSCALLS: u64 = 1;
    /// When the timer takes the CPU from the thread while it runs user
    /// code outside its upcall stack, resume it through an upcall of kind
    /// [`super::kind::PREEMPTED`] (so a library OS can switch its own
    /// threads and look for signals).
    pub const PREEMPT: u64 = 2;
}

/// Number of 64-bit words in an [`UpcallFrame`].
pub const UPCALL_FRAME_WORDS: usize = 24;

/// The interrupted state, as the kernel writes it for the handler.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpcallFrame {
    pub kind: u64,
    pub vector: u64,
    pub error: u64,
    pub addr: u64,
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub rsp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
    pub reserved: [u64; 2],
}

impl UpcallFrame {
    /// The frame as words, in memory order.
    pub fn to_words(&self) -> [u64; UPCALL_FRAME_WORDS] {
        let r = &self.reserved;
        [
            self.kind,
            self.vector,
            self.error,
            self.addr,
            self.rax,
            self.rbx,
            self.rcx,
            self.rdx,
            self.rsi,
            self.rdi,
            self.rbp,
            self.rsp,
            self.r8,
            self.r9,
            self.r10,
            self.r11,
            self.r12,
            self.r13,
            self.r14,
            self.r15,
            self.rip,
            self.rflags,
            r[0],
            r[1],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_the_declared_layout() {
        assert_eq!(core::mem::size_of::<UpcallFrame>(), UPCALL_FRAME_WORDS * 8);
        let f = UpcallFrame {
            kind: 1,
            rip: 7,
            rflags: 9,
            reserved: [3, 4],
            ..Default::default()
        };
        let w = f.to_words();
        assert_eq!((w[0], w[20], w[21], w[22], w[23]), (1, 7, 9, 3, 4));
        assert_eq!(core::mem::offset_of!(UpcallFrame, rip), 20 * 8);
        assert_eq!(core::mem::offset_of!(UpcallFrame, rsp), 11 * 8);
    }
}
