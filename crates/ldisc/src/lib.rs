//! The terminal line discipline, as the system server runs it on the
//! console's typed bytes: the kernel's `struct termios` ([`Termios`]),
//! input translation (IGNCR, ICRNL), the signal characters (VINTR,
//! VQUIT, VSUSP with ISIG: echoed as `^C` with ECHOCTL, the queued input
//! flushed unless NOFLSH), canonical editing (VERASE and backspace, VKILL,
//! VEOF, a line ready at its newline) or raw input, and echo. Output
//! translation (OPOST ONLCR) is left to whoever writes the device; echo
//! goes to a sink with [`Termios::onlcr`] saying whether to translate.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// `c_iflag` bits.
pub const IGNCR: u32 = 0o200;
pub const ICRNL: u32 = 0o400;
/// `c_oflag` bits.
pub const OPOST: u32 = 0o1;
pub const ONLCR: u32 = 0o4;
/// `c_lflag` bits.
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const NOFLSH: u32 = 0o200;
pub const TOSTOP: u32 = 0o400;
pub const ECHOCTL: u32 = 0o1000;
/// Indices of `c_cc`.
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VSUSP: usize = 10;

/// The signals the signal characters send.
pub const SIGINT: u64 = 2;
pub const SIGQUIT: u64 = 3;
pub const SIGTSTP: u64 = 20;

/// What an erase echoes: back, blank, back.
pub const ERASE_ECHO: &[u8] = b"\x08 \x08";

/// The kernel's `struct termios` (36 bytes: four flag words, `c_line`,
/// 19 control characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios(pub [u8; 36]);

impl Termios {
    /// A cooked terminal: ICRNL | OPOST ONLCR | B38400 CS8 CREAD |
    /// ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN (Linux's `stty
    /// sane`), the usual control characters.
    pub fn sane() -> Termios {
        let mut t = [0u8; 36];
        t[0..4].copy_from_slice(&0x100u32.to_le_bytes());
        t[4..8].copy_from_slice(&0x5u32.to_le_bytes());
        t[8..12].copy_from_slice(&0xbfu32.to_le_bytes());
        t[12..16].copy_from_slice(&0x8a3bu32.to_le_bytes());
        let cc = [3u8, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22];
        t[17..17 + cc.len()].copy_from_slice(&cc);
        Termios(t)
    }

    fn word(&self, i: usize) -> u32 {
        let t = &self.0;
        u32::from_le_bytes([t[i * 4], t[i * 4 + 1], t[i * 4 + 2], t[i * 4 + 3]])
    }

    pub fn iflag(&self) -> u32 {
        self.word(0)
    }
    pub fn oflag(&self) -> u32 {
        self.word(1)
    }
    pub fn lflag(&self) -> u32 {
        self.word(3)
    }
    /// Control character `i` (`VINTR`...).
    pub fn cc(&self, i: usize) -> u8 {
        self.0[17 + i]
    }
    /// Canonical mode (ICANON).
    pub fn canonical(&self) -> bool {
        self.lflag() & ICANON != 0
    }
    /// Whether output turns newline into carriage return + newline
    /// (OPOST and ONLCR).
    pub fn onlcr(&self) -> bool {
        self.oflag() & (OPOST | ONLCR) == OPOST | ONLCR
    }
    /// Whether background processes may not write (TOSTOP).
    pub fn tostop(&self) -> bool {
        self.lflag() & TOSTOP != 0
    }
}

/// The input side: the line being edited and the bytes ready for `read`.
#[derive(Clone, Debug, Default)]
pub struct Ldisc {
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// Bytes ready for `read`.
    ready: VecDeque<u8>,
    /// End-of-file marks (VEOF on an empty line) not yet read.
    eofs: usize,
}

impl Ldisc {
    pub const fn new() -> Ldisc {
        Ldisc {
            line: Vec::new(),
            ready: VecDeque::new(),
            eofs: 0,
        }
    }

    /// Bytes ready for `read` (what FIONREAD says).
    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// The line being edited.
    pub fn line(&self) -> &[u8] {
        &self.line
    }

    /// Whether a read would return now: bytes or an end of file ready, or
    /// no reader of the device at all (`live` false: end of file).
    pub fn readable(&self, live: bool) -> bool {
        !self.ready.is_empty() || self.eofs > 0 || !live
    }

    /// New settings `t` took effect: leaving canonical mode makes a partly
    /// typed line readable at once, as Linux does.
    pub fn settings_changed(&mut self, t: &Termios) {
        if !t.canonical() && !self.line.is_empty() {
            self.ready.extend(self.line.drain(..));
        }
    }

    /// Runs typed `bytes` through the discipline under `t`, echoing to
    /// `echo`; the signals to send to the foreground group, in order.
    pub fn input(&mut self, t: &Termios, bytes: &[u8], echo: &mut dyn FnMut(&[u8])) -> Vec<u64> {
        let iflag = t.iflag();
        let lflag = t.lflag();
        let (isig, icanon, echo_on) = (lflag & ISIG != 0, lflag & ICANON != 0, lflag & ECHO != 0);
        let mut signals = Vec::new();
        for &b0 in bytes {
            let mut b = b0;
            if b == b'\r' && iflag & IGNCR != 0 {
                continue;
            }
            if b == b'\r' && iflag & ICRNL != 0 {
                b = b'\n';
            }
            if isig && b != 0 {
                let sig = if b == t.cc(VINTR) {
                    Some(SIGINT)
                } else if b == t.cc(VQUIT) {
                    Some(SIGQUIT)
                } else if b == t.cc(VSUSP) {
                    Some(SIGTSTP)
                } else {
                    None
                };
                if let Some(sig) = sig {
                    // As Linux: echoed as `^C` with ECHOCTL (no newline: the
                    // shell starts its own line), and the queued input is
                    // flushed unless NOFLSH.
                    if echo_on {
                        if lflag & ECHOCTL != 0 {
                            echo(&[b'^', b ^ 0x40]);
                        } else {
                            echo(&[b]);
                        }
                    }
                    if lflag & NOFLSH == 0 {
                        self.line.clear();
                        self.ready.clear();
                    }
                    signals.push(sig);
                    continue;
                }
            }
            if !icanon {
                self.ready.push_back(b);
                if echo_on {
                    echo(&[b]);
                }
                continue;
            }
            if b == t.cc(VERASE) || b == 8 {
                if self.line.pop().is_some() && echo_on {
                    echo(ERASE_ECHO);
                }
            } else if b == t.cc(VKILL) {
                if echo_on {
                    for _ in 0..self.line.len() {
                        echo(ERASE_ECHO);
                    }
                }
                self.line.clear();
            } else if b == t.cc(VEOF) {
                if self.line.is_empty() {
                    self.eofs += 1;
                } else {
                    self.ready.extend(self.line.drain(..));
                }
            } else {
                self.line.push(b);
                if echo_on {
                    echo(&[b]);
                }
                if b == b'\n' {
                    self.ready.extend(self.line.drain(..));
                }
            }
        }
        signals
    }

    /// Takes up to `len` bytes for a `read` (a canonical read stops after
    /// a newline). `None`: nothing to read yet; an empty read is an end
    /// of file (one VEOF mark used, or no reader: `live` false).
    pub fn take(&mut self, len: usize, canonical: bool, live: bool) -> Option<Vec<u8>> {
        if self.ready.is_empty() {
            if self.eofs > 0 || !live {
                self.eofs = self.eofs.saturating_sub(1);
                return Some(Vec::new());
            }
            return None;
        }
        let mut out = Vec::new();
        while out.len() < len {
            let Some(b) = self.ready.pop_front() else {
                break;
            };
            out.push(b);
            if canonical && b == b'\n' {
                break;
            }
        }
        Some(out)
    }
}
