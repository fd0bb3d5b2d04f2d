//! The host terminal of `cargo xtask run`: whether stdin is one, its size
//! (TIOCGWINSZ), and saving and restoring its settings around QEMU, which
//! puts it in raw mode and cannot restore it if it has to be killed.

use std::io::IsTerminal;
use std::os::fd::AsFd;

use rustix::termios::{self, OptionalActions, Termios};

/// A terminal's size in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Rows (lines).
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

impl Size {
    /// The kernel command-line word that passes it to the guest's
    /// terminal (`winsize=COLSxROWS`, `crates/cmdline`).
    pub fn cmdline_word(self) -> String {
        format!("winsize={}x{}", self.cols, self.rows)
    }
}

/// True if stdin is a terminal.
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// The size of the terminal on `fd`, if it is one and knows its size.
pub fn size_of(fd: impl AsFd) -> Option<Size> {
    let w = termios::tcgetwinsize(fd).ok()?;
    (w.ws_row > 0 && w.ws_col > 0).then_some(Size {
        rows: w.ws_row,
        cols: w.ws_col,
    })
}

/// The host terminal's size: stdin's, else stdout's.
pub fn host_size() -> Option<Size> {
    size_of(std::io::stdin()).or_else(|| size_of(std::io::stdout()))
}

/// Saves stdin's terminal settings and restores them on drop.
pub struct TermGuard(Option<Termios>);

impl TermGuard {
    /// Saves the settings if stdin is a terminal.
    pub fn save() -> TermGuard {
        TermGuard(termios::tcgetattr(std::io::stdin()).ok())
    }
}

impl Drop for TermGuard {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_word_is_columns_by_rows() {
        let s = Size { rows: 24, cols: 80 };
        assert_eq!(s.cmdline_word(), "winsize=80x24");
    }

    #[test]
    fn a_pipe_has_no_size() {
        let (r, _w) = std::io::pipe().unwrap();
        assert_eq!(size_of(&r), None);
    }
}
