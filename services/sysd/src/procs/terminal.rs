//! The console terminal's requests: ioctl, typed input from the reader,
//! and readiness for poll (shared with pipes).

use super::*;

/// The signal a window-size change sends to the foreground group.
const SIGWINCH: u64 = 28;

impl Server {
    pub(super) fn ioctl(&mut self, pid: u64, a: [u64; 5]) -> Msg {
        let o = match self.obj_of(pid, a[0]) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        if self.objs.get(o).map(|o| o.kind) != Some(Kind::Console) {
            return err(ENOTTY);
        }
        // A background process that changes the terminal: SIGTTOU first
        // (`a[3]`: the caller ignores or blocks it).
        let ttou_ignored = a[3] != 0;
        if matches!(a[1], 0x5402..=0x5404 | 0x5410) {
            if a[1] == 0x5410 && !self.controls(pid) {
                return err(ENOTTY);
            }
            match self.job_check(pid, true, ttou_ignored) {
                Ok(()) => {}
                // TIOCSPGRP from an orphaned group: ENOTTY (Linux).
                Err(e) if e == -EIO && a[1] == 0x5410 => return err(ENOTTY),
                Err(e) => return ok(e),
            }
        }
        match a[1] {
            0x5401 => {
                let t = self.tty.termios.0;
                self.put_data(pid, &t);
                ok(0)
            }
            0x5402..=0x5404 => {
                let d = self.get_data(pid, 36);
                self.tty.set_termios(&d[..36]);
                let oflag = self.tty.oflag();
                for p in self.procs.values() {
                    set_word(p, control::CONSOLE_OFLAG, oflag);
                }
                self.publish_job_words();
                ok(0)
            }
            0x5413 => {
                let w = self.tty.winsize;
                self.put_data(pid, &w);
                ok(0)
            }
            0x5414 => {
                // TIOCSWINSZ: a new size is kept and the foreground group
                // gets SIGWINCH, as on Linux; the same size changes nothing.
                let d = self.get_data(pid, 8);
                if d[..8] != self.tty.winsize {
                    self.tty.winsize.copy_from_slice(&d[..8]);
                    if self.tty.pgrp != 0 {
                        self.signal_group(self.tty.pgrp, SIGWINCH);
                    }
                }
                ok(0)
            }
            0x540e => self.take_terminal(pid, a[2] == 1),
            0x540f | 0x5429 => {
                // TIOCGPGRP, TIOCGSID: of the caller's controlling terminal.
                if !self.controls(pid) {
                    return err(ENOTTY);
                }
                let v = if a[1] == 0x540f {
                    self.tty.pgrp
                } else {
                    self.tty.session
                };
                self.put_data(pid, &(v as u32).to_le_bytes());
                ok(0)
            }
            0x5410 => {
                let d = self.get_data(pid, 4);
                self.set_foreground(pid, i32::from_le_bytes([d[0], d[1], d[2], d[3]]))
            }
            0x541b => {
                let n = (self.tty.ldisc.ready_len() as u32).to_le_bytes();
                self.put_data(pid, &n);
                ok(0)
            }
            // Linux's answer to a request the terminal does not know.
            _ => err(ENOTTY),
        }
    }

    /// A message from the console reader.
    pub fn console_request(&mut self, msg: Msg) -> Msg {
        if msg[0] == crate::console::HELLO {
            self.tty.live = true;
            return ok(0);
        }
        let n = (msg[1] as usize).min(32);
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate().take(n) {
            *b = (msg[2 + i / 8] >> ((i % 8) * 8)) as u8;
        }
        let signals = self.tty.input(&bytes[..n]);
        let fg = self.tty.pgrp;
        if fg != 0 {
            for sig in signals {
                self.signal_group(fg, sig);
            }
        }
        let w = core::mem::take(&mut self.tty.waiters);
        self.wake_all(&w);
        ok(0)
    }

    pub(super) fn poll(&mut self, pid: u64, h: u64, register: bool) -> Msg {
        let o = match self.obj_of(pid, h) {
            Ok(o) => o,
            Err(e) => return err(e),
        };
        let Some(kind) = self.objs.get(o).map(|o| o.kind) else {
            return err(EBADF);
        };
        let (r, n) = match kind {
            Kind::PipeRead(p) | Kind::PipeWrite(p) => {
                let room = self.objs.pipe_room(p);
                let Some(pipe) = self.objs.pipe_mut(p) else {
                    return ok(0);
                };
                let mut r = 0;
                if let Kind::PipeRead(_) = kind {
                    if !pipe.buf.is_empty() {
                        r |= ready::IN;
                    }
                    if pipe.writers == 0 {
                        r |= ready::HUP;
                    }
                } else {
                    if room > 0 {
                        r |= ready::OUT;
                    }
                    if pipe.readers == 0 {
                        r |= ready::ERR;
                    }
                }
                let n = pipe.buf.len();
                if register && !pipe.waiters.contains(&pid) {
                    pipe.waiters.push(pid);
                }
                (r, n)
            }
            Kind::Console => {
                let r = if self.tty.readable() {
                    ready::IN | ready::OUT
                } else {
                    ready::OUT
                };
                if register && r & ready::IN == 0 && !self.tty.waiters.contains(&pid) {
                    self.tty.waiters.push(pid);
                }
                (r, self.tty.ldisc.ready_len())
            }
            _ => (ready::IN | ready::OUT, 0),
        };
        [r, n as u64, 0, 0, 0, 0]
    }
}
