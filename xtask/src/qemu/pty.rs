//! A pseudo-terminal owned by xtask (`posix_openpt`, `grantpt`,
//! `unlockpt`, `ptsname` through `rustix`): the session tests give its
//! terminal end to QEMU as stdin, as a person's terminal would be, and type
//! on its controlling end.

use std::fs::{File, OpenOptions};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;

use rustix::pty::{self, OpenptFlags};
use rustix::termios::{self, Winsize};

use crate::error::{Context, Result};
use crate::qemu::term::Size;

/// Both ends of a pseudo-terminal.
pub struct Pty {
    /// The controlling end: what is written here is typed on the terminal.
    pub master: File,
    /// The terminal end (a program's stdin).
    pub slave: File,
}

impl Pty {
    /// Opens a pseudo-terminal of `size`, in the default (cooked) mode.
    pub fn open(size: Size) -> Result<Pty> {
        let master: OwnedFd =
            pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
                .with_context(|| "opening a pseudo-terminal")?;
        pty::grantpt(&master).with_context(|| "grantpt")?;
        pty::unlockpt(&master).with_context(|| "unlockpt")?;
        let name = pty::ptsname(&master, Vec::new()).with_context(|| "ptsname")?;
        let path = std::path::PathBuf::from(name.to_string_lossy().into_owned());
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let pty = Pty {
            master: File::from(master),
            slave,
        };
        pty.set_size(size)?;
        Ok(pty)
    }

    /// Sets the terminal's size (TIOCSWINSZ).
    pub fn set_size(&self, size: Size) -> Result<()> {
        let w = Winsize {
            ws_row: size.rows,
            ws_col: size.cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        termios::tcsetwinsize(&self.master, w).with_context(|| "setting the terminal size")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn typed_bytes_reach_the_terminal_end_and_the_size_is_kept() {
        let size = Size { rows: 31, cols: 97 };
        let mut p = Pty::open(size).unwrap();
        assert_eq!(crate::qemu::term::size_of(&p.slave), Some(size));
        p.master.write_all(b"hello\n").unwrap();
        let mut buf = [0u8; 16];
        let n = p.slave.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello\n");
    }
}
