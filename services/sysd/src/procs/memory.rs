//! The machine's memory as the server shares it out: every frame not used
//! by the server itself is quota it can give, and a process asks for more
//! (`sys::Quota`) when the kernel refuses it a frame, with no cap but the
//! machine's memory. When nothing is left the out-of-memory policy picks
//! the process holding the most (as Linux's badness does, roughly: its
//! quota is what it took) and kills it with SIGKILL, naming it in the log,
//! so that the others go on. Also what `sysinfo` and `/proc/meminfo`
//! report: the machine's total and free memory.

use core::sync::atomic::{AtomicU64, Ordering};

use exo_rt::println;
use sysproto::status;

use super::{Errno, Server, ENOMEM};

/// Most frames one `sys::Quota` grants.
const QUOTA_STEP_MAX: u64 = 4096;

/// Frames the kernel gave user space (the server's quota before it gave
/// any away): the machine's memory as programs see it.
static TOTAL: AtomicU64 = AtomicU64::new(0);

/// The server's quota not given to anyone, in frames.
fn unassigned() -> u64 {
    exo_rt::info::quota_frames().saturating_sub(exo_rt::info::used_frames())
}

/// Frames the server keeps for itself (an eighth of the machine, at most
/// 4 MiB): a process's demand never stops the server from serving.
fn server_reserve() -> u64 {
    (TOTAL.load(Ordering::Relaxed) / 8).min(1024)
}

/// Whether a file page may be made now: never from the server's reserve.
pub fn file_page_spare() -> bool {
    unassigned() > server_reserve()
}

/// Notes the machine's memory, before the first process is made.
pub(super) fn note_total() {
    TOTAL.store(exo_rt::info::quota_frames(), Ordering::Relaxed);
}

/// The frames a new process may be given now (for fork and init).
pub(super) fn can_give(frames: u64) -> bool {
    unassigned() >= frames + server_reserve()
}

/// The last word of a path (the command name Linux shows).
fn command(exe: &[u8]) -> &str {
    let name = exe.rsplit(|&b| b == b'/').next().unwrap_or(exe);
    core::str::from_utf8(name).unwrap_or("?")
}

impl Server {
    /// `sys::Quota`: up to `want` more frames for `pid`; when the machine
    /// has none left, the out-of-memory policy kills the biggest process
    /// (maybe the asker) and the request is tried again. With `short`
    /// the asker had quota but the kernel had no frame left for it: the
    /// policy runs at once (0 frames granted, the asker tries again).
    pub(super) fn quota(&mut self, pid: u64, want: u64, short: bool) -> Result<u64, Errno> {
        if short {
            return match self.oom_kill() {
                Some(v) if v != pid => Ok(0),
                _ => Err(ENOMEM),
            };
        }
        let want = want.clamp(1, QUOTA_STEP_MAX);
        loop {
            let give = want.min(unassigned().saturating_sub(server_reserve()));
            let p = self.procs.get(&pid).ok_or(ENOMEM)?;
            if give > 0 && exo_rt::quota_give(p.env + 2, give).is_ok() {
                if let Some(p) = self.procs.get_mut(&pid) {
                    p.quota += give;
                }
                return Ok(give);
            }
            match self.oom_kill() {
                Some(v) if v != pid => {}
                _ => return Err(ENOMEM),
            }
        }
    }

    /// Settles the file pages made and freed while serving `pid`: it pays
    /// a frame of its quota for each page made (given more first, as for
    /// its own memory, if it has too few unused; if even that fails the
    /// server keeps paying), and each payer still running gets a frame
    /// back for each of its pages freed.
    pub(super) fn settle_charges(&mut self, pid: u64) {
        let (made, refunds) = {
            let mut f = self.fs.frames.borrow_mut();
            f.charge_to = None;
            (
                core::mem::take(&mut f.charged),
                core::mem::take(&mut f.refunds),
            )
        };
        if !made.is_empty() {
            let n = made.len() as u64;
            let mut paid = false;
            if let Some(env) = self.procs.get(&pid).map(|p| p.env) {
                // Given more in steps, as its library OS would ask.
                for _ in 0..n / QUOTA_STEP_MAX + 2 {
                    if exo_rt::quota_take(env + 2, n).is_ok() {
                        paid = true;
                        break;
                    }
                    if !matches!(self.quota(pid, n, false), Ok(g) if g > 0) {
                        break;
                    }
                }
            }
            match self.procs.get_mut(&pid) {
                Some(p) if paid => p.quota = p.quota.saturating_sub(n),
                _ => self.fs.frames.borrow_mut().unpaid(&made),
            }
        }
        for r in refunds {
            let Some(p) = self.procs.get_mut(&r.pid).filter(|p| {
                p.start_ns == r.start_ns && p.zombie.is_none() && p.mailbox_at.is_some()
            }) else {
                continue;
            };
            if exo_rt::quota_give(p.env + 2, 1).is_ok() {
                p.quota += 1;
            }
        }
    }

    /// The out-of-memory policy: kills the biggest process with SIGKILL
    /// and says so; the victim, if there was one.
    fn oom_kill(&mut self) -> Option<u64> {
        let victim = self.oom_victim()?;
        let v = &self.procs[&victim];
        println!(
            "sysd: out of memory: killed process {victim} ({}) holding {} MiB",
            command(&v.exe),
            v.quota / 256
        );
        self.signal(victim, super::SIGKILL, 0, sysproto::si::KERNEL);
        if let Some(v) = self.procs.get_mut(&victim) {
            v.quota = 0;
        }
        Some(victim)
    }

    /// The running process holding the most memory, never init.
    fn oom_victim(&self) -> Option<u64> {
        self.procs
            .iter()
            .filter(|(&pid, p)| {
                pid != 1
                    && p.zombie.is_none()
                    && p.started
                    && p.exit_status != Some(status::signaled(9, false))
                    && p.quota > 0
            })
            .max_by_key(|(&pid, p)| (p.quota, pid))
            .map(|(&pid, _)| pid)
    }

    /// The machine's memory for processes, in frames: (total, free).
    pub(super) fn memory(&self) -> (u64, u64) {
        let total = TOTAL.load(Ordering::Relaxed);
        (total, unassigned().min(total))
    }
}
