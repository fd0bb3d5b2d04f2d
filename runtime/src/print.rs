//! Console output: [`print!`](crate::print) and
//! [`println!`](crate::println) format into a small buffer and send it
//! with `debug_write`, so a line up to 256 bytes reaches the console in
//! one call.

use core::fmt::{self, Write};

use crate::calls::debug_write;

/// A 256-byte buffer that flushes to the console when full.
struct Console {
    buf: [u8; 256],
    len: usize,
}

impl Console {
    fn flush(&mut self) {
        let mut rest = &self.buf[..self.len];
        while !rest.is_empty() {
            match debug_write(rest) {
                Ok(n) if n > 0 && n <= rest.len() => rest = &rest[n..],
                _ => break,
            }
        }
        self.len = 0;
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

/// Formats `args` (plus a newline if `newline`) to the console.
#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>, newline: bool) {
    let mut c = Console {
        buf: [0; 256],
        len: 0,
    };
    let _ = c.write_fmt(args);
    if newline {
        let _ = c.write_str("\n");
    }
    c.flush();
}

/// Prints to the kernel console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::print::_print(format_args!($($arg)*), false) };
}

/// Prints a line to the kernel console.
#[macro_export]
macro_rules! println {
    () => { $crate::print::_print(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::print::_print(format_args!($($arg)*), true) };
}
