//! Semaphore sets: `semop` applies all of its operations or none, in
//! order, and says which semaphore it waits for; `SEM_UNDO` keeps each
//! process's adjustments, applied when it ends.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use linux_errno::Errno::{self, E2BIG, EAGAIN, EFBIG, EINVAL, ERANGE};

/// Most semaphores in a set.
pub const SEMMSL: usize = 32000;
/// Most sets.
pub const SEMMNI: usize = 32000;
/// Most operations in one `semop`.
pub const SEMOPM: usize = 500;
/// The largest value of a semaphore.
pub const SEMVMX: i32 = 32767;
/// The largest adjustment `SEM_UNDO` keeps.
pub const SEMAEM: i32 = SEMVMX;
/// `sem_flg`: undo the operation when the process ends.
pub const SEM_UNDO: i16 = 0x1000;

/// `semctl` commands beyond the common ones.
pub const GETPID: u32 = 11;
pub const GETVAL: u32 = 12;
pub const GETALL: u32 = 13;
pub const GETNCNT: u32 = 14;
pub const GETZCNT: u32 = 15;
pub const SETVAL: u32 = 16;
pub const SETALL: u32 = 17;

/// One `struct sembuf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemBuf {
    pub num: u16,
    pub op: i16,
    pub flg: i16,
}

impl SemBuf {
    /// From its six bytes.
    pub fn from_bytes(b: &[u8]) -> SemBuf {
        let w = |i: usize| [b[i], b[i + 1]];
        SemBuf {
            num: u16::from_le_bytes(w(0)),
            op: i16::from_le_bytes(w(2)),
            flg: i16::from_le_bytes(w(4)),
        }
    }
}

/// One semaphore.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sem {
    pub val: u16,
    /// The last process to change it.
    pub pid: u32,
}

/// What a `semop` that must wait waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// The semaphore.
    pub num: u16,
    /// For it to be zero (else to grow).
    pub zero: bool,
}

/// A semaphore set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemSet {
    pub sems: Vec<Sem>,
    /// The last `semop` and the last change by `semctl` (seconds).
    pub otime: u64,
    pub ctime: u64,
    /// Each process's `SEM_UNDO` adjustments (one per semaphore).
    undo: BTreeMap<u32, Vec<i32>>,
}

/// The checks of a `semop` before the set is looked up: the count of
/// operations (`EINVAL`, `E2BIG`).
pub fn check_count(n: usize) -> Result<(), Errno> {
    if n == 0 {
        Err(EINVAL)
    } else if n > SEMOPM {
        Err(E2BIG)
    } else {
        Ok(())
    }
}

impl SemSet {
    /// `semget`'s new set of `n` semaphores, all 0 (`EINVAL` for none or
    /// more than [`SEMMSL`]).
    pub fn new(n: usize, now: u64) -> Result<SemSet, Errno> {
        if n == 0 || n > SEMMSL {
            return Err(EINVAL);
        }
        Ok(SemSet {
            sems: vec![Sem::default(); n],
            otime: 0,
            ctime: now,
            undo: BTreeMap::new(),
        })
    }

    /// `semget` of an existing set asking for `n` semaphores.
    pub fn check_get(&self, n: usize) -> Result<(), Errno> {
        if n > self.sems.len() {
            Err(EINVAL)
        } else {
            Ok(())
        }
    }

    /// Whether `ops` change values (needing write permission) rather
    /// than only wait for zero; `EFBIG` for a semaphore past the set.
    pub fn alters(&self, ops: &[SemBuf]) -> Result<bool, Errno> {
        if ops.iter().any(|o| usize::from(o.num) >= self.sems.len()) {
            return Err(EFBIG);
        }
        Ok(ops.iter().any(|o| o.op != 0))
    }

    /// `semop` by process `pid`: every operation in order, or none.
    /// `Ok(None)` when done; `Ok(Some(b))` when it must wait (for `b`);
    /// `EAGAIN` when it would wait and that operation has `IPC_NOWAIT`;
    /// `ERANGE` past [`SEMVMX`] or [`SEMAEM`].
    pub fn semop(&mut self, ops: &[SemBuf], pid: u32, now: u64) -> Result<Option<Blocked>, Errno> {
        self.alters(ops)?;
        let mut vals: Vec<i32> = self.sems.iter().map(|s| i32::from(s.val)).collect();
        let mut adj = self.undo.get(&pid).cloned();
        for o in ops {
            let n = usize::from(o.num);
            let op = i32::from(o.op);
            let blocked = if op == 0 {
                (vals[n] != 0).then_some(true)
            } else {
                (vals[n] + op < 0).then_some(false)
            };
            if let Some(zero) = blocked {
                if o.flg & super::IPC_NOWAIT as i16 != 0 {
                    return Err(EAGAIN);
                }
                return Ok(Some(Blocked { num: o.num, zero }));
            }
            vals[n] += op;
            if vals[n] > SEMVMX {
                return Err(ERANGE);
            }
            if o.flg & SEM_UNDO != 0 {
                let a = adj.get_or_insert_with(|| vec![0; self.sems.len()]);
                a[n] -= op;
                if a[n] < -SEMAEM - 1 || a[n] > SEMAEM {
                    return Err(ERANGE);
                }
            }
        }
        for (i, s) in self.sems.iter_mut().enumerate() {
            if vals[i] != i32::from(s.val) || ops.iter().any(|o| usize::from(o.num) == i) {
                s.val = vals[i] as u16;
                s.pid = pid;
            }
        }
        if let Some(a) = adj {
            self.undo.insert(pid, a);
        }
        self.otime = now;
        Ok(None)
    }

    /// What `ops` would wait for now, if anything (for `GETNCNT` and
    /// `GETZCNT`: the first operation that cannot go ahead).
    pub fn blocks(&self, ops: &[SemBuf]) -> Option<Blocked> {
        let mut vals: Vec<i32> = self.sems.iter().map(|s| i32::from(s.val)).collect();
        for o in ops {
            let v = vals.get_mut(usize::from(o.num))?;
            if o.op == 0 && *v != 0 {
                return Some(Blocked {
                    num: o.num,
                    zero: true,
                });
            }
            if *v + i32::from(o.op) < 0 {
                return Some(Blocked {
                    num: o.num,
                    zero: false,
                });
            }
            *v += i32::from(o.op);
        }
        None
    }

    /// `SETVAL` by `pid`: `ERANGE` outside 0..=[`SEMVMX`], `EINVAL` for a
    /// semaphore past the set; every process's adjustment of it goes.
    pub fn set_val(&mut self, num: usize, val: i32, pid: u32, now: u64) -> Result<(), Errno> {
        if num >= self.sems.len() {
            return Err(EINVAL);
        }
        if !(0..=SEMVMX).contains(&val) {
            return Err(ERANGE);
        }
        self.sems[num] = Sem {
            val: val as u16,
            pid,
        };
        for a in self.undo.values_mut() {
            a[num] = 0;
        }
        self.ctime = now;
        Ok(())
    }

    /// `SETALL` by `pid`: one value per semaphore (`ERANGE` past
    /// [`SEMVMX`]); every adjustment goes.
    pub fn set_all(&mut self, vals: &[u16], pid: u32, now: u64) -> Result<(), Errno> {
        if vals.len() != self.sems.len() {
            return Err(EINVAL);
        }
        if vals.iter().any(|&v| i32::from(v) > SEMVMX) {
            return Err(ERANGE);
        }
        for (s, &v) in self.sems.iter_mut().zip(vals) {
            *s = Sem { val: v, pid };
        }
        self.undo.clear();
        self.ctime = now;
        Ok(())
    }

    /// The value of semaphore `num` (`EINVAL` past the set).
    pub fn sem(&self, num: usize) -> Result<Sem, Errno> {
        self.sems.get(num).copied().ok_or(EINVAL)
    }

    /// Applies the adjustments of process `pid`, which ended (each value
    /// kept within 0..=[`SEMVMX`], as Linux does); whether any was kept.
    pub fn exit(&mut self, pid: u32, now: u64) -> bool {
        let Some(adj) = self.undo.remove(&pid) else {
            return false;
        };
        for (s, a) in self.sems.iter_mut().zip(adj) {
            if a != 0 {
                s.val = (i32::from(s.val) + a).clamp(0, SEMVMX) as u16;
                s.pid = pid;
            }
        }
        self.otime = now;
        true
    }

    /// The adjustment `pid` keeps for semaphore `num`.
    pub fn adjustment(&self, pid: u32, num: usize) -> i32 {
        self.undo.get(&pid).map_or(0, |a| a[num])
    }
}
