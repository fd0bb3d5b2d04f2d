//! The one `syscall` instruction of user space, with the register
//! convention of [`abi`]: number in `rax`, arguments in `rdi, rsi, rdx,
//! r10, r8, r9`; status in `rax`, results in `rdi, rsi, rdx, r10`; `rcx`
//! and `r11` clobbered.

use abi::Syscall;

/// Issues system call `n` with arguments `a` and returns the raw status
/// (`rax`: 0 or an [`abi::Error`] code) and the four result registers.
///
/// Any number and any arguments may be passed (tests send garbage). The
/// one thing refused is unmapping the program's own memory (its image, its
/// stack, its command line): that would pull memory out from under Rust
/// code, so it panics instead of reaching the kernel (see
/// [`crate::memory::is_program_memory`]).
pub fn syscall6(n: u64, a: [u64; 6]) -> (u64, [u64; 4]) {
    if n == Syscall::Unmap as u64 && crate::memory::is_program_memory(a[0]) {
        panic!(
            "exo-rt: refusing to unmap the program's own memory at {:#x}",
            a[0]
        );
    }
    raw(n, a)
}

/// [`syscall6`] without the guard, for the runtime's own calls.
pub(crate) fn raw(n: u64, a: [u64; 6]) -> (u64, [u64; 4]) {
    let status: u64;
    let (r0, r1, r2, r3): (u64, u64, u64, u64);
    // `syscall` enters the kernel, which checks every argument and
    // returns with only the registers named here changed (rcx and r11 by
    // the instruction itself; r8 and r9 are marked clobbered too, to be safe
    // against a kernel that does not preserve them). The kernel does not
    // touch the user stack. Calls that change memory the compiler knows
    // about cannot happen: mapping never replaces a mapped page, and
    // `syscall6` refuses to unmap the program's own memory. No `nomem`: the
    // kernel reads user buffers (debug_write).
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") n => status,
            inlateout("rdi") a[0] => r0,
            inlateout("rsi") a[1] => r1,
            inlateout("rdx") a[2] => r2,
            inlateout("r10") a[3] => r3,
            inlateout("r8") a[4] => _,
            inlateout("r9") a[5] => _,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    (status, [r0, r1, r2, r3])
}
