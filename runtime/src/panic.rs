//! The panic handler: prints `panic: MESSAGE at FILE:LINE` and exits with
//! code 101.

use core::panic::PanicInfo;

/// Exit code of a panicked program.
pub const PANIC_EXIT_CODE: i32 = 101;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    match info.location() {
        Some(at) => crate::println!("panic: {} at {}:{}", info.message(), at.file(), at.line()),
        None => crate::println!("panic: {}", info.message()),
    }
    crate::calls::exit(PANIC_EXIT_CODE)
}
