//! The serial console on COM1 (16550 UART): line output under a lock, a
//! lock-free emergency path for fault and panic reports, and interrupt-driven
//! input into a ring buffer. Receive interrupts stay off until the kernel
//! itself reads input ([`read_line`]): until then typed bytes wait in the
//! UART (and QEMU's queue behind it) for whoever reads them first, the
//! system server's console reader as a rule, so type-ahead during boot
//! is never lost. Output is polled (transmit-holding-register
//! empty), so it keeps working when user space owns the UART's receive
//! side (it has the ports and has bound the line: `object::irq_line::bind`).

use core::fmt::{self, Write};

use spin::Mutex;

use crate::arch::{cpu, io};

/// The UART's first port (it has eight).
pub const COM1: u16 = 0x3f8;
const LSR_DATA_READY: u8 = 1;
const LSR_THR_EMPTY: u8 = 1 << 5;

static OUTPUT: Mutex<()> = Mutex::new(());
static INPUT: Mutex<Ring> = Mutex::new(Ring {
    buf: [0; 256],
    head: 0,
    len: 0,
});

struct Ring {
    buf: [u8; 256],
    head: usize,
    len: usize,
}

impl Ring {
    fn push(&mut self, b: u8) {
        if self.len < self.buf.len() {
            let at = (self.head + self.len) % self.buf.len();
            self.buf[at] = b;
            self.len += 1;
        }
    }
    fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let b = self.buf[self.head];
        self.head = (self.head + 1) % self.buf.len();
        self.len -= 1;
        Some(b)
    }
}

/// Programs COM1 for 115200 8N1, receive interrupts off. The FIFOs stay
/// off (16450 mode): turning them on empties the receive side, and a byte
/// typed (or piped in) before the boot got here would be lost.
pub fn init() {
    io::outb(COM1 + 1, 0x00);
    io::outb(COM1 + 3, 0x80);
    io::outb(COM1, 0x01);
    io::outb(COM1 + 1, 0x00);
    io::outb(COM1 + 3, 0x03);
    io::outb(COM1 + 4, 0x0b);
}

/// Lets the UART raise IRQ 4 when bytes arrive.
pub fn enable_rx_interrupts() {
    io::outb(COM1 + 1, 0x01);
}

/// Drains what arrived before the interrupt was enabled, with interrupts
/// off (the lock is also taken by the interrupt handler), as `try_read`.
fn on_irq_masked() {
    cpu::disable_interrupts();
    on_irq();
    cpu::enable_interrupts();
}

/// The serial interrupt: drains the receive FIFO into the input ring.
pub fn on_irq() {
    let mut ring = INPUT.lock();
    while io::inb(COM1 + 5) & LSR_DATA_READY != 0 {
        ring.push(io::inb(COM1));
    }
}

fn put(b: u8) {
    let mut spins = 0u32;
    while io::inb(COM1 + 5) & LSR_THR_EMPTY == 0 && spins < 100_000 {
        cpu::pause();
        spins += 1;
    }
    io::outb(COM1, b);
}

/// A writer straight to the UART, with no lock: for fault and panic reports.
pub struct Emergency;

impl Write for Emergency {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                put(b'\r');
            }
            put(b);
        }
        Ok(())
    }
}

/// The console and the kernel's log ring ([`crate::klog`]).
struct Logged;

impl Write for Logged {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        crate::klog::record(s.as_bytes());
        Emergency.write_str(s)
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    let _guard = OUTPUT.lock();
    let _ = Logged.write_fmt(args);
}

/// Prints to the serial console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::_print(format_args!($($arg)*)) };
}

/// Prints a line to the serial console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::console::_print(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Takes one received byte, if any.
pub fn try_read() -> Option<u8> {
    cpu::disable_interrupts();
    let b = INPUT.lock().pop();
    cpu::enable_interrupts();
    b
}

/// Reads one line (up to CR or LF) into `buf`, echoing printable bytes and
/// handling backspace, waiting for
/// interrupts in between. Gives up after `timeout_us`. Returns the length.
pub fn read_line(buf: &mut [u8], timeout_us: u64) -> Option<usize> {
    enable_rx_interrupts();
    on_irq_masked();
    let deadline = crate::time::now_us() + timeout_us;
    let mut len = 0;
    loop {
        match try_read() {
            Some(b'\r' | b'\n') => {
                print!("\n");
                return Some(len);
            }
            Some(0x08 | 0x7f) => {
                if len > 0 {
                    len -= 1;
                    print!("\x08 \x08");
                }
            }
            Some(b) => {
                if len < buf.len() && (0x20..0x7f).contains(&b) {
                    buf[len] = b;
                    len += 1;
                    print!("{}", b as char);
                }
            }
            None => {
                if crate::time::now_us() > deadline {
                    return None;
                }
                cpu::wait_for_interrupt();
            }
        }
    }
}

/// Echoes every received line back, forever (the kernel's idle loop until
/// there is an init program).
pub fn echo_forever() -> ! {
    let mut buf = [0u8; 128];
    loop {
        if let Some(n) = read_line(&mut buf, u64::MAX / 4) {
            let line = core::str::from_utf8(&buf[..n]).unwrap_or("<not utf-8>");
            println!("serial: got \"{line}\"");
        }
    }
}
