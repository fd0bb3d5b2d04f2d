//! Calls into the ExoV6 library OS as functions. Every ExoV6 process has
//! the library OS mapped beside the program, and the library OS publishes
//! the addresses of some of its operations in the process's mailbox page
//! (`sysproto::control::LINKED_*`, in the page at
//! `sysproto::layout::MAILBOX`). A program linked with this crate calls
//! them directly: `getpid` and `clock_gettime` cost a function call, with
//! no system call and no upcall. Elsewhere ([`on_exov6`] false) every call
//! answers `None`, and the program uses the ordinary system call.

#![no_std]

/// The mailbox page (`sysproto::layout::MAILBOX`).
const MAILBOX: u64 = 0x7e80_0000_0000;
/// Its words holding the entry points (`sysproto::control::LINKED_*`).
const LINKED_GETPID: u64 = 100;
const LINKED_CLOCK_GETTIME: u64 = 101;

/// True if the program runs on ExoV6's library OS (its `uname` release
/// names it: `6.1.0-exov6`).
pub fn on_exov6() -> bool {
    let mut buf = [0u8; 65 * 6];
    let r: i64;
    // SAFETY: the Linux `uname` system call (63) writes one `struct
    // utsname` (6 x 65 bytes) at the address given, which is `buf`, and
    // clobbers only rax, rcx and r11.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") 63i64 => r,
            in("rdi") buf.as_mut_ptr(),
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        )
    };
    let release = &buf[130..195];
    r == 0 && release.windows(5).any(|w| w == b"exov6")
}

/// The entry point published in mailbox word `word`, if any.
fn entry(word: u64) -> Option<u64> {
    if !on_exov6() {
        return None;
    }
    // SAFETY: on ExoV6 the mailbox page is mapped readable in every
    // process for its whole life; the word is aligned and only ever
    // written (by the library OS) before the program starts.
    let v = unsafe { core::ptr::read_volatile((MAILBOX + word * 8) as *const u64) };
    (v != 0).then_some(v)
}

/// `getpid()` through the library OS, or `None` off ExoV6.
pub fn getpid() -> Option<i64> {
    let f = entry(LINKED_GETPID)?;
    // SAFETY: the library OS published this address as its
    // `extern "C" fn() -> i64` getpid; its code is mapped in every
    // process and it reads only the mailbox.
    let f: extern "C" fn() -> i64 = unsafe { core::mem::transmute(f as usize) };
    Some(f())
}

/// `clock_gettime(clock)` through the library OS as (seconds,
/// nanoseconds), `Some(Err(errno))` for an unknown clock, or `None` off
/// ExoV6.
pub fn clock_gettime(clock: i64) -> Option<Result<(i64, i64), i64>> {
    let f = entry(LINKED_CLOCK_GETTIME)?;
    // SAFETY: the library OS published this address as its
    // `extern "C" fn(i64, *mut [i64; 2]) -> i64` clock_gettime, which
    // writes the two words of `ts` and nothing else.
    let f: extern "C" fn(i64, *mut [i64; 2]) -> i64 = unsafe { core::mem::transmute(f as usize) };
    let mut ts = [0i64; 2];
    let r = f(clock, &mut ts);
    Some(if r == 0 { Ok((ts[0], ts[1])) } else { Err(-r) })
}
