//! The Linux system-call ABI. `table.rs` declares every call once (its
//! number, name, argument kinds, support state and handler); this module
//! expands it into [`run`], a `match` on the call number that the compiler
//! makes a jump table, and into [`row`], the names and argument kinds for
//! the ENOSYS log and for strace. Each handler gets the process and the
//! [`Call`] (its arguments, the caller's registers, and the progress it
//! made before it blocked) and answers a value or an [`Errno`], a reason
//! to block, or that it replaced the registers itself (`execve`,
//! `rt_sigreturn`, a task switch). Calls with no handler answer `ENOSYS`
//! and are logged once by name.

mod copy;
mod files;
mod ids;
mod klog;
pub mod locks;
mod memory;
mod mqueue;
mod paths;
mod poll;
mod process;
pub(crate) use process::{own_ticks, ticks_to_ns};
mod procmaps;
mod signals;
pub mod strace;
mod sysv;
pub mod threads;
mod time;
mod timers;
pub mod wait;

use abi::UpcallFrame;
use linux_errno::Errno::{self, E2BIG, EFAULT, EINVAL, ENAMETOOLONG, ENOSYS};
pub use linux_strace::Kind;

use crate::proc::Proc;
use crate::task::{Block, Retry};

/// A handler's answer.
pub enum Ret {
    /// The call's result.
    Done(Result<usize, Errno>),
    /// The task must wait; the call is answered or made again later,
    /// with the progress the block carries.
    Block(Block),
    /// The registers were replaced; resume them as they are.
    Resumed,
}

impl From<Result<usize, Errno>> for Ret {
    fn from(r: Result<usize, Errno>) -> Ret {
        Ret::Done(r)
    }
}

impl From<Errno> for Ret {
    fn from(e: Errno) -> Ret {
        Ret::Done(Err(e))
    }
}

/// The value a result leaves in `rax`.
pub fn rax_of(r: Result<usize, Errno>) -> u64 {
    match r {
        Ok(v) => v as u64,
        Err(e) => e.to_ret() as u64,
    }
}

/// One system call being made.
pub struct Call<'f> {
    /// The six arguments (`rdi, rsi, rdx, r10, r8, r9`).
    pub a: [u64; 6],
    /// The calling task's registers.
    pub frame: &'f mut UpcallFrame,
    /// What the call did before it blocked (a fresh call: nothing); a
    /// handler that blocks again returns its progress in the block.
    pub again: Retry,
    /// The blocked call's deadline has passed.
    pub timed_out: bool,
}

impl Call<'_> {
    /// A blocked call's answer that it must wait again with the progress
    /// in `again` (kept, so deadlines never move).
    pub fn wait(&self) -> Ret {
        Ret::Block(Block::Retry(self.again))
    }
}

/// The answer of a call that must wait and be made again, with no
/// progress to keep.
pub fn wait_again() -> Ret {
    Ret::Block(Block::Retry(Retry::default()))
}

/// What the table says of one call (for strace and the ENOSYS log).
#[derive(Clone, Copy)]
pub struct Row {
    pub name: &'static str,
    pub shape: Shape,
}

/// A call's argument kinds, in register order (their names are for the
/// document only), and its result's.
#[derive(Clone, Copy)]
pub struct Shape {
    kinds: [Kind; 6],
    count: u8,
    pub ret: Kind,
}

impl Shape {
    const fn new(args: &[Kind], ret: Kind) -> Shape {
        let mut kinds = [Kind::Hex; 6];
        let mut i = 0;
        while i < args.len() {
            kinds[i] = args[i];
            i += 1;
        }
        Shape {
            kinds,
            count: args.len() as u8,
            ret,
        }
    }

    /// The argument kinds.
    pub fn args(&self) -> &[Kind] {
        &self.kinds[..self.count as usize]
    }

    /// All six, those past the call's own as [`Kind::Hex`].
    pub fn kinds(&self) -> &[Kind; 6] {
        &self.kinds
    }
}

/// A row's handler, or ENOSYS for a row without one.
macro_rules! handler {
    ($p:ident, $c:ident, $nr:ident) => {
        unimplemented($p, $nr)
    };
    ($p:ident, $c:ident, $nr:ident, $h:path) => {
        Ret::from($h($p, $c))
    };
}

/// A row's result kind (a number unless it says otherwise).
macro_rules! ret_kind {
    () => {
        Kind::Int
    };
    ($k:ident) => {
        Kind::$k
    };
}

/// Expands `table.rs` into the dispatch and the rows.
macro_rules! linux_calls {
    ($(
        $nr:literal $name:ident ($($an:ident: $ak:ident),*) $(-> $rk:ident)?
        $state:ident $(($note:expr))? $(=> $h:path)?;
    )*) => {
        /// Runs call `nr`.
        fn run(p: &mut Proc, c: &mut Call, nr: u64) -> Ret {
            match nr {
                $($nr => handler!(p, c, nr $(, $h)?),)*
                _ => unimplemented(p, nr),
            }
        }

        /// Every row's number, in order.
        const NRS: &[u16] = &[$($nr),*];
        /// Every row's name, each ended by a NUL (one string, not a
        /// pointer per row: the image stays small).
        const NAMES: &str = concat!($(stringify!($name), "\0"),*);
        /// Every row's argument and result kinds.
        const SHAPES: &[Shape] = &[$(Shape::new(&[$(Kind::$ak),*], ret_kind!($($rk)?))),*];
    };
}

/// The row of call `nr`, if Linux has a call with that number.
pub fn row(nr: u64) -> Option<Row> {
    let i = NRS.binary_search(&u16::try_from(nr).ok()?).ok()?;
    Some(Row {
        name: NAMES.split('\0').nth(i)?,
        shape: SHAPES[i],
    })
}

include!("table.rs");

/// A call with no handler: ENOSYS, logged once by name.
fn unimplemented(p: &mut Proc, nr: u64) -> Ret {
    p.log_once(nr, row(nr).map_or("unknown", |r| r.name));
    Ret::Done(Err(ENOSYS))
}

/// The call's six arguments.
pub fn args(f: &UpcallFrame) -> [u64; 6] {
    [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9]
}

/// Runs call `nr` (traced if the process is): a fresh call, or one made
/// again with the progress `again` it blocked with.
#[inline(always)]
fn dispatch(p: &mut Proc, frame: &mut UpcallFrame, again: Option<Retry>, timed_out: bool) -> Ret {
    let nr = frame.rax;
    let mut c = Call {
        a: args(frame),
        frame,
        again: again.unwrap_or_default(),
        timed_out,
    };
    if p.traced() {
        strace::run(p, &mut c, nr, again.is_some())
    } else {
        run(p, &mut c, nr)
    }
}

/// One past the highest user address Linux accepts (`TASK_SIZE_MAX` of
/// x86_64 with 4-level paging).
pub const TASK_SIZE_MAX: u64 = (1 << 47) - 4096;

/// Linux's `access_ok`: `[addr, addr + len)` lies below
/// [`TASK_SIZE_MAX`] (whether it is mapped is checked at the copy).
pub fn access_ok(addr: u64, len: u64) -> Result<(), Errno> {
    match addr.checked_add(len) {
        Some(end) if end <= TASK_SIZE_MAX => Ok(()),
        _ => Err(EFAULT),
    }
}

/// The most bytes of argument and environment strings (each with its
/// pointer) an `execve` accepts; `exec::execve` refuses more with E2BIG.
pub const ARG_BYTES: usize = 256 * 1024;

/// Linux's `MAX_ARG_STRLEN`: the longest single argument.
const MAX_ARG_STRLEN: usize = 32 * 4096;

/// Reads a user array of string pointers (argv, envp), NULL-terminated,
/// taking each string and its pointer from `budget`: past it, or for a
/// string longer than `MAX_ARG_STRLEN`, the call is E2BIG, so a huge
/// array is never copied whole.
pub fn read_strv(
    p: &mut Proc,
    addr: u64,
    budget: &mut usize,
) -> Result<alloc::vec::Vec<alloc::vec::Vec<u8>>, Errno> {
    let mut v = alloc::vec::Vec::new();
    if addr == 0 {
        return Ok(v);
    }
    for i in 0u64.. {
        let ptr = p.mm.read_u64(addr.checked_add(i * 8).ok_or(EFAULT)?)?;
        if ptr == 0 {
            break;
        }
        *budget = budget.checked_sub(8).ok_or(E2BIG)?;
        let max = MAX_ARG_STRLEN.min(*budget);
        let s =
            p.mm.read_cstr(ptr, max)
                .map_err(|e| if e == ENAMETOOLONG { E2BIG } else { e })?;
        *budget = budget.checked_sub(s.len() + 1).ok_or(E2BIG)?;
        v.push(s);
    }
    Ok(v)
}

/// A relative timeout `struct timespec` at `addr` as nanoseconds.
pub fn read_timespec(p: &mut Proc, addr: u64) -> Result<u64, Errno> {
    let sec = p.mm.read_u64(addr)? as i64;
    let nsec = p.mm.read_u64(addr + 8)? as i64;
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

/// Writes nanoseconds as a `struct timespec` at `addr`.
pub fn write_timespec(p: &mut Proc, addr: u64, ns: u64) -> Result<(), Errno> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..].copy_from_slice(&(ns % 1_000_000_000).to_le_bytes());
    p.mm.write(addr, &b)
}
