//! Symbolising kernel addresses with the table xtask patches into the
//! image's `.ksyms` section, and printing backtraces.

use core::fmt::{self, Write};

use crate::arch;

/// A code address that prints as `0x... name+0xoff`.
pub struct Symbol(pub u64);

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#018x}", self.0)?;
        // A return address may sit just past the end of its caller; look up the call.
        let probe = self.0.saturating_sub(1);
        match ksyms::Table::parse(arch::image::ksyms()).and_then(|t| t.lookup(probe)) {
            Some((name, off)) => write!(f, " {name}+{:#x}", off + 1),
            None => write!(f, " <unknown>"),
        }
    }
}

/// Number of symbols in the patched table (0 if none).
pub fn count() -> usize {
    ksyms::Table::parse(arch::image::ksyms()).map_or(0, |t| t.len())
}

/// Prints the frame-pointer chain starting at `fp`.
pub fn print_backtrace(w: &mut impl Write, fp: u64) {
    let _ = writeln!(w, "backtrace:");
    let mut n = 0;
    arch::backtrace(fp, |pc| {
        let _ = writeln!(w, "  #{n:<2} {}", Symbol(pc));
        n += 1;
    });
    if n == 0 {
        let _ = writeln!(w, "  (no frames)");
    }
}
