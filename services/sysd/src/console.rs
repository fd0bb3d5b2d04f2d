//! The console terminal. A small reader environment (spawned from the
//! root task's own image) owns the UART's interrupt: it waits for it,
//! drains the receive buffer and hands the bytes to the server by IPC on
//! an endpoint badged [`BADGE`]. The server runs the line discipline
//! (`ldisc`) on them: canonical mode with erase, kill and end-of-file,
//! echo, carriage return to newline, and the signal characters (^C
//! SIGINT, ^\ SIGQUIT, ^Z SIGTSTP) sent to the foreground process group.
//! Programs write the console themselves (the library OS has the ports);
//! the server echoes.

use alloc::vec::Vec;

use ldisc::{Ldisc, Termios};

use abi::root_slots::{CONSOLE_IRQ, CONSOLE_PORTS, FIRST_IRQ};
use abi::Rights;
use exo_rt::ipc::{call, spawn, Spawn};
use exo_rt::ports::{inb, outb, uart_write};
use exo_rt::{irq_ack, irq_bind, ports_enable, wait, Slot};

/// The badge of the reader's calls.
pub const BADGE: u64 = 1 << 62;
/// Reader requests: ready for its capabilities; bytes typed.
pub const HELLO: u64 = 1;
pub const INPUT: u64 = 2;

const COM1: u16 = 0x3f8;
const LSR: u16 = COM1 + 5;
const IER: u16 = COM1 + 1;

/// The reader's slots: its endpoint (EnvCreate's slot 3), the line, the
/// ports, its notification.
const R_EP: Slot = 3;
const R_IRQ: Slot = 4;
const R_PORTS: Slot = 5;
const R_NTF: Slot = 6;

/// Starts the reader. `slots`: empty slots of the server for it.
pub fn start(
    mem: Slot,
    ep: Slot,
    slots: core::ops::Range<Slot>,
    badged: Slot,
) -> Result<(), &'static str> {
    exo_rt::cap_mint(
        ep,
        badged,
        Rights::EXECUTE | Rights::GRANT | Rights::DERIVE,
        BADGE,
    )
    .map_err(|_| "cannot mint the console endpoint")?;
    let child = spawn(&Spawn {
        mem,
        slots: slots.clone(),
        give: Some(badged),
        death: None,
        entry: reader,
        arg: 0,
    })
    .map_err(|e| e.step)?;
    let cspace = child.env.cspace;
    let ntf = slots.end - 1;
    exo_rt::notification_create(mem, ntf).map_err(|_| "no notification")?;
    for (src, dst) in [
        (FIRST_IRQ + CONSOLE_IRQ, R_IRQ),
        (CONSOLE_PORTS, R_PORTS),
        (ntf, R_NTF),
    ] {
        exo_rt::cap_mint_into(src, cspace, dst, Rights::ALL, 0)
            .map_err(|_| "cannot lend the console")?;
    }
    ports_enable(CONSOLE_PORTS).map_err(|_| "cannot open the console ports")?;
    Ok(())
}

/// The reader environment's body.
fn reader(_: u64) -> ! {
    // The server answers once it has lent the capabilities.
    let _ = call(R_EP, [HELLO, 0, 0, 0, 0, 0]);
    if irq_bind(R_IRQ, R_NTF, 1).is_err() || ports_enable(R_PORTS).is_err() {
        exo_rt::exit(1);
    }
    outb(IER, 1);
    loop {
        // Wait for the interrupt unless bytes are already waiting.
        if inb(LSR) & 1 == 0 {
            let _ = wait(R_NTF, u64::MAX);
        }
        // No heap here (the reader's copy of the server's heap has no
        // memory capability behind it): a fixed buffer. Bytes that arrive
        // after the drain but before the line is acknowledged raise no new
        // edge, so the receive buffer is checked again after the
        // acknowledgement.
        let mut bytes = [0u8; 256];
        let mut n = 0;
        loop {
            while inb(LSR) & 1 != 0 && n < bytes.len() {
                bytes[n] = inb(COM1);
                n += 1;
            }
            let _ = irq_ack(R_IRQ);
            if inb(LSR) & 1 == 0 || n == bytes.len() {
                break;
            }
        }
        for chunk in bytes[..n].chunks(32) {
            let mut w = [0u64; 4];
            for (i, b) in chunk.iter().enumerate() {
                w[i / 8] |= u64::from(*b) << ((i % 8) * 8);
            }
            let _ = call(R_EP, [INPUT, chunk.len() as u64, w[0], w[1], w[2], w[3]]);
        }
    }
}

/// Writes bytes to the UART (echo).
fn put(bytes: &[u8], onlcr: bool) {
    uart_write(COM1, bytes, onlcr);
}

/// The terminal: settings and the input queues.
pub struct Tty {
    /// The kernel's `struct termios`.
    pub termios: Termios,
    /// The line discipline: the line being edited, the bytes ready.
    pub ldisc: Ldisc,
    /// Whether a reader exists (else reads see end of file).
    pub live: bool,
    /// Pids waiting for input.
    pub waiters: Vec<u64>,
    /// The foreground process group (0: none).
    pub pgrp: u64,
    /// The session whose controlling terminal the console is (0: none).
    /// At boot init's, session 1.
    pub session: u64,
    /// The window size (`struct winsize`: rows, columns, pixel width and
    /// height), for TIOCGWINSZ and TIOCSWINSZ.
    pub winsize: [u8; 8],
}

/// A `struct winsize` of `rows` by `cols` characters.
fn winsize(rows: u16, cols: u16) -> [u8; 8] {
    let mut w = [0u8; 8];
    w[0..2].copy_from_slice(&rows.to_le_bytes());
    w[2..4].copy_from_slice(&cols.to_le_bytes());
    w
}

impl Tty {
    pub fn new() -> Tty {
        Tty {
            // A cooked terminal (Linux's `stty sane`).
            termios: Termios::sane(),
            ldisc: Ldisc::new(),
            live: false,
            waiters: Vec::new(),
            pgrp: 1,
            session: 1,
            winsize: winsize(24, 80),
        }
    }

    /// The size `winsize=COLSxROWS` on the command line gives (what the
    /// host's terminal has), or 80x24 as a serial console has on Linux.
    pub fn set_size_from(&mut self, cmdline: &[u8]) {
        let line = core::str::from_utf8(cmdline).unwrap_or("");
        if let Some(size) = cmdline::parse(line).options.winsize {
            self.winsize = winsize(size.rows, size.cols);
        }
    }

    /// New settings (TCSETS*). Leaving canonical mode makes a partly
    /// typed line readable at once, as Linux does.
    pub fn set_termios(&mut self, t: &[u8]) {
        self.termios.0.copy_from_slice(t);
        self.ldisc.settings_changed(&self.termios);
    }

    pub fn oflag(&self) -> u64 {
        u64::from(self.termios.oflag())
    }

    /// Whether `TOSTOP` is set: background processes may not write.
    pub fn tostop(&self) -> bool {
        self.termios.tostop()
    }

    /// Runs the line discipline on typed bytes, echoing to the UART; the
    /// signals to send to the foreground group.
    pub fn input(&mut self, bytes: &[u8]) -> Vec<u64> {
        let onlcr = self.termios.onlcr();
        self.ldisc
            .input(&self.termios, bytes, &mut |b: &[u8]| put(b, onlcr))
    }

    /// Takes up to `len` bytes for a `read` (a canonical read stops after
    /// a newline). `None`: nothing to read yet.
    pub fn take(&mut self, len: usize) -> Option<Vec<u8>> {
        self.ldisc.take(len, self.termios.canonical(), self.live)
    }

    /// Whether a read would return now.
    pub fn readable(&self) -> bool {
        self.ldisc.readable(self.live)
    }
}
