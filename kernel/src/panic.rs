//! The kernel panic handler: the message, where, and a backtrace; then the
//! machine stops with the panic exit status. User space can never cause one.

use core::fmt::Write;
use core::panic::PanicInfo;

use crate::arch;
use crate::console::Emergency;
use crate::power;
use crate::symbols::print_backtrace;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    arch::cpu::disable_interrupts();
    let mut w = Emergency;
    let _ = writeln!(w, "\nPANIC: {}", info.message());
    if let Some(loc) = info.location() {
        let _ = writeln!(w, "  at {}:{}:{}", loc.file(), loc.line(), loc.column());
    }
    print_backtrace(&mut w, arch::current_fp());
    power::exit(power::Status::Panic)
}
