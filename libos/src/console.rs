//! Console output: the library OS writes the console UART (COM1) itself,
//! through the port capability the server gave the process
//! (`sysproto::slots::CONSOLE`), with the terminal's output processing
//! (`OPOST | ONLCR`: newline as carriage return and newline). Input stays
//! with the server, which owns the line discipline.

use exo_rt::ports::uart_write;
use sysproto::{control, slots};

const COM1: u16 = 0x3f8;
const OPOST: u64 = 1;
const ONLCR: u64 = 4;

/// Opens the console's ports to this environment (at start and in a
/// forked child: the I/O permission bitmap is per environment). False if
/// the process has no console capability.
pub fn enable() -> bool {
    exo_rt::ports_enable(slots::CONSOLE).is_ok()
}

/// Writes `bytes` to the console.
pub fn write(bytes: &[u8]) {
    let oflag = crate::server::control(control::CONSOLE_OFLAG);
    uart_write(COM1, bytes, oflag & (OPOST | ONLCR) == OPOST | ONLCR);
}
