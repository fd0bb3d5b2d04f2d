//! The console terminal's requests: ioctl, typed input from the reader,
//! and readiness for poll (shared with pipes).

use super::*;

/// The signal a window-size change sends to the foreground group.
const SIGWINCH: u64 = 28;

impl Server {
    /// A terminal request on the console; the argument's bytes in the
    /// data area both ways.
    pub(super) fn ioctl(
        &mut self,
        pid: u64,
        r: sys::Ioctl,
        data: &mut Data<'_, sys::Ioctl>,
    ) -> Result<(), Errno> {
        let o = self.obj_of(pid, r.handle)?;
        if self.objs.get(o).map(|o| o.kind) != Some(Kind::Console) {
            return Err(ENOTTY);
        }
        // A background process that changes the terminal: SIGTTOU first
        // (unless the caller ignores or blocks it).
        if matches!(r.request, 0x5402..=0x5404 | 0x5410) {
            if r.request == 0x5410 && !self.controls(pid) {
                return Err(ENOTTY);
            }
            match self.job_check(pid, true, r.ttou_ignored) {
                Ok(()) => {}
                // TIOCSPGRP from an orphaned group: ENOTTY (Linux).
                Err(EIO) if r.request == 0x5410 => return Err(ENOTTY),
                Err(e) => return Err(e),
            }
        }
        // The argument's bytes (zeros past what the caller sent).
        let arg = |n: usize| {
            let mut v = data.input(n);
            v.resize(n, 0);
            v
        };
        match r.request {
            0x5401 => {
                let t = self.tty.termios.0;
                data.put(&t);
                Ok(())
            }
            0x5402..=0x5404 => {
                let d = arg(36);
                self.tty.set_termios(&d[..36]);
                let oflag = self.tty.oflag();
                for p in self.procs.values() {
                    set_word(p, control::CONSOLE_OFLAG, oflag);
                }
                self.publish_job_words();
                Ok(())
            }
            0x5413 => {
                let w = self.tty.winsize;
                data.put(&w);
                Ok(())
            }
            0x5414 => {
                // TIOCSWINSZ: a new size is kept and the foreground group
                // gets SIGWINCH, as on Linux; the same size changes nothing.
                let d = arg(8);
                if d[..8] != self.tty.winsize {
                    self.tty.winsize.copy_from_slice(&d[..8]);
                    if self.tty.pgrp != 0 {
                        self.signal_group(self.tty.pgrp, SIGWINCH);
                    }
                }
                Ok(())
            }
            0x540e => self.take_terminal(pid, r.arg == 1),
            0x540f | 0x5429 => {
                // TIOCGPGRP, TIOCGSID: of the caller's controlling terminal.
                if !self.controls(pid) {
                    return Err(ENOTTY);
                }
                let v = if r.request == 0x540f {
                    self.tty.pgrp
                } else {
                    self.tty.session
                };
                data.put(&(v as u32).to_le_bytes());
                Ok(())
            }
            0x5410 => {
                let d = arg(4);
                self.set_foreground(pid, i32::from_le_bytes([d[0], d[1], d[2], d[3]]))
            }
            0x541b => {
                let n = (self.tty.ldisc.ready_len() as u32).to_le_bytes();
                data.put(&n);
                Ok(())
            }
            // Linux's answer to a request the terminal does not know.
            _ => Err(ENOTTY),
        }
    }

    /// A message from the console reader.
    pub fn console_request(&mut self, msg: Msg) -> Msg {
        if msg[0] == crate::console::HELLO {
            self.tty.live = true;
            return [0; 6];
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
        [0; 6]
    }

    /// The readiness bits of handle `h` and the bytes queued to read.
    pub(super) fn poll(&mut self, pid: u64, h: u64, register: bool) -> Result<(u64, u64), Errno> {
        let o = self.obj_of(pid, h)?;
        let kind = self.objs.get(o).map(|o| o.kind).ok_or(EBADF)?;
        let (r, n) = match kind {
            Kind::PipeRead(p) | Kind::PipeWrite(p) => {
                let room = self.objs.pipe_room(p);
                let Some(pipe) = self.objs.pipe_mut(p) else {
                    return Ok((0, 0));
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
        Ok((r, n as u64))
    }
}
