//! The program entry: `_start` (assembly) receives the registers the
//! kernel set, `rust_start` turns them into [`StartArgs`], calls the
//! program's main (named by [`entry!`](crate::entry)) and exits with its
//! result.
//!
//! At entry `rsp` is the 16-byte-aligned top of a mapped stack, `rdi` the
//! user address of the kernel command line, `rsi` its length (bytes, no
//! NUL), `rdx` the first memory-capability slot and `rcx` the number of
//! memory-capability slots.

use core::ops::Range;

use abi::{USER_END, USER_MIN};

use crate::calls::{exit, Slot};

/// What the kernel handed the program at entry.
#[derive(Clone, Debug)]
pub struct StartArgs {
    /// The kernel command line (not NUL-terminated; empty if the kernel
    /// passed an impossible range).
    pub cmdline: &'static [u8],
    /// The slots holding memory capabilities.
    pub memory: Range<Slot>,
    /// The stack top (`rsp` at entry).
    pub stack_top: u64,
}

impl StartArgs {
    /// The command line's words, split as the kernel splits them (the
    /// `cmdline` crate's one rule); a line that is not UTF-8 has none.
    fn words(&self) -> impl Iterator<Item = &'static str> {
        let line = core::str::from_utf8(self.cmdline).unwrap_or("");
        cmdline::words(line).filter_map(Result::ok)
    }

    /// The value of the first `name=VALUE` word on the command line (one
    /// enclosing pair of quotes removed).
    pub fn option(&self, name: &str) -> Option<&'static [u8]> {
        self.words().find_map(|word| {
            let value = word.strip_prefix(name)?.strip_prefix('=')?;
            Some(cmdline::unquote(value).as_bytes())
        })
    }

    /// True if the bare word `name` is on the command line.
    pub fn flag(&self, name: &str) -> bool {
        self.words().any(|word| word == name)
    }
}

/// Names the program's main function, `fn(&StartArgs) -> i32`; its result
/// is the exit code.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The program's main, called by `exo_rt`'s `_start`.
        #[no_mangle]
        pub fn __exo_rt_main(args: &$crate::StartArgs) -> i32 {
            let main: fn(&$crate::StartArgs) -> i32 = $main;
            main(args)
        }
    };
}

extern "Rust" {
    /// Defined by [`entry!`] in the program.
    fn __exo_rt_main(args: &StartArgs) -> i32;
}

core::arch::global_asm!(
    ".pushsection .text._start, \"ax\", @progbits",
    ".globl _start",
    ".type _start, @function",
    "_start:",
    // End of the frame-pointer chain; stack top as the fifth argument.
    "    xor ebp, ebp",
    "    mov r8, rsp",
    "    and rsp, -16",
    "    call {rust_start}",
    "    ud2",
    ".size _start, . - _start",
    ".popsection",
    rust_start = sym rust_start,
);

/// The command line as a slice, if the range the kernel gave is a
/// plausible user range.
fn cmdline(addr: u64, len: u64) -> &'static [u8] {
    let plausible = addr >= USER_MIN && addr.checked_add(len).is_some_and(|end| end <= USER_END);
    if len == 0 || !plausible {
        return &[];
    }
    // The kernel's entry contract: `addr` points to `len` readable
    // bytes of command line in user memory that stay mapped and unchanged
    // for the life of the program (the range was checked to be a user
    // range; the runtime never unmaps it, see `memory::is_program_memory`).
    // SAFETY: sound for the reasons just given.
    unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) }
}

/// Called by `_start` with the entry registers.
extern "C" fn rust_start(
    cmdline_addr: u64,
    cmdline_len: u64,
    first_memory: u64,
    memory_count: u64,
    stack_top: u64,
) -> ! {
    let cmdline = cmdline(cmdline_addr, cmdline_len);
    crate::memory::record(stack_top, cmdline);
    if let Some(problem) = crate::memory::layout_problem() {
        panic!("exo-rt: {problem}");
    }
    let first = Slot::try_from(first_memory).unwrap_or(0);
    let count = Slot::try_from(memory_count).unwrap_or(0);
    let args = StartArgs {
        cmdline,
        memory: first..first.saturating_add(count),
        stack_top,
    };
    // SAFETY: `__exo_rt_main` is defined by `entry!`, which gives it
    // exactly this signature (it checks the program's function against
    // `fn(&StartArgs) -> i32`).
    let code = unsafe { __exo_rt_main(&args) };
    exit(code)
}
