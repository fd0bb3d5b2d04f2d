//! One typed function per native system call of [`abi::Syscall`],
//! generated from the call table (`abi::native_calls!`): each passes its
//! arguments in their registers and turns the raw status into
//! `Result<_, abi::Error>`. Calls of kind `call` are exported as they are;
//! those of kind `adapt` get a function here (or in [`crate::upcall`],
//! [`crate::ipc`]) with richer types over the generated one; the IPC calls
//! are in [`crate::ipc`]. See `docs/kernel-abi.md` for arguments, rights
//! and errors.

use abi::{CapType, Error, Rights, Syscall};

use crate::syscall::raw;

pub use abi::Slot;

/// What [`cap_identify`] reports about a capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapInfo {
    /// The type, if the kernel's code is one [`abi::CapType`] knows.
    pub cap_type: Option<CapType>,
    /// The raw type code (`r0`).
    pub type_code: u64,
    /// The rights (`r1`).
    pub rights: Rights,
    /// The badge (`r2`).
    pub badge: u64,
    /// The physical address of a frame or memory range, else 0 (`r3`).
    pub phys: u64,
}

/// Maps the raw status of `call` to `Ok` or the error. A status that is
/// not an [`abi::Error`] code breaks the contract with the kernel, and
/// panics with the call's name.
#[inline(always)]
pub(crate) fn status(call: Syscall, status: u64) -> Result<(), Error> {
    if status == 0 {
        return Ok(());
    }
    Err(error(call, status))
}

/// The error of a failed `call` (the slow path of [`status`]).
#[cold]
#[inline(never)]
fn error(call: Syscall, status: u64) -> Error {
    match Error::from_code(status) {
        Some(e) => e,
        None => panic!("exo-rt: {} returned unknown status {status}", call.name()),
    }
}

/// Calls `call` with the argument registers `a`; `Ok(results)` or the
/// error (see [`status`]).
#[inline(always)]
pub(crate) fn call(call: Syscall, a: [u64; 6]) -> Result<[u64; 4], Error> {
    let (st, r) = raw(call as u64, a);
    status(call, st).map(|()| r)
}

/// Generates one wrapper per call from the table: all of them in [`sys`],
/// and the plain ones (kind `call`) re-exported here.
macro_rules! wrappers {
    ($(
        $(#[$doc:meta])*
        $num:literal $Name:ident $kind:ident $fname:ident $(as $str:literal)?
            ( $($arg:ident : $aty:ty),* ) -> ( $($res:ident : $rty:ty),* );
    )*) => {
        /// The generated wrappers, one per call (but the IPC calls, which
        /// pass their message in more registers: see [`crate::ipc`]).
        pub(crate) mod sys {
            use abi::syscall::{FromWord, ToWord};
            use abi::{args, Error, Slot, Syscall};

            $( wrappers!(@wrapper $kind $(#[$doc])* $Name $fname ($($arg : $aty),*) -> ($($rty),*)); )*
        }

        $( wrappers!(@export $kind $fname); )*
    };
    (@wrapper ipc $($rest:tt)*) => {};
    (@wrapper $kind:ident $(#[$doc:meta])* $Name:ident $fname:ident
        ( $($arg:ident : $aty:ty),* ) -> ( $($rty:ty),* )) => {
        $(#[$doc])*
        ///
        #[doc = concat!("The [`", stringify!($Name), "`](abi::Syscall::", stringify!($Name),
            ") call, its arguments in register order from `a0`.")]
        #[allow(unused_parens, unused_variables, unused_mut, unused_assignments, clippy::double_parens)]
        #[inline]
        pub fn $fname($($arg: $aty),*) -> Result<($($rty),*), Error> {
            let r = super::call(
                Syscall::$Name,
                args::$Name { $($arg: ToWord::to_word($arg)),* }.encode(),
            )?;
            let mut i = 0;
            Ok(($({
                let v: $rty = FromWord::from_word(r[i]);
                i += 1;
                v
            }),*))
        }
    };
    (@export call $fname:ident) => {
        pub use sys::$fname;
    };
    (@export $kind:ident $fname:ident) => {};
}

abi::native_calls!(wrappers);

/// Writes `bytes` to the kernel console; returns the count written.
pub fn debug_write(bytes: &[u8]) -> Result<usize, Error> {
    debug_write_raw(bytes.as_ptr() as u64, bytes.len() as u64)
}

/// [`debug_write`] with any address and length (for tests of the kernel's
/// pointer checks; the kernel only reads, so no value is unsafe).
pub fn debug_write_raw(addr: u64, len: u64) -> Result<usize, Error> {
    sys::debug_write(addr, len).map(|n| n as usize)
}

/// Ends the program with `code` (passed sign-extended to 64 bits).
pub fn exit(code: i32) -> ! {
    loop {
        // Exit does not return; should it, ask again.
        let _ = sys::exit(code as i64 as u64);
    }
}

/// Describes the capability in `slot`.
pub fn cap_identify(slot: Slot) -> Result<CapInfo, Error> {
    let (type_code, rights, badge, phys) = sys::cap_identify(slot)?;
    Ok(CapInfo {
        cap_type: CapType::from_code(type_code),
        type_code,
        rights,
        badge,
        phys,
    })
}

/// Allocates a frame from the memory capability `mem` into the empty slot
/// `dst`, at physical address `phys` or anywhere; returns its physical
/// address. Needs DERIVE.
pub fn frame_alloc(mem: Slot, dst: Slot, phys: Option<u64>) -> Result<u64, Error> {
    sys::frame_alloc(mem, dst, phys.unwrap_or(u64::MAX))
}

/// Unmaps the page at `vaddr`; returns the physical address that was
/// mapped there. Panics (without calling the kernel) if `vaddr` is the
/// program's own memory (see [`crate::memory::is_program_memory`]).
pub fn unmap(vaddr: u64) -> Result<u64, Error> {
    if crate::memory::is_program_memory(vaddr) {
        panic!("exo-rt: refusing to unmap the program's own memory at {vaddr:#x}");
    }
    sys::unmap(vaddr)
}

/// A [`wait`] time limit: none (block until a signal).
pub const WAIT_FOREVER: u64 = u64::MAX;
/// A [`wait`] time limit: do not block (poll).
pub const WAIT_POLL: u64 = 0;

/// Sleeps about `us` microseconds by waiting with that limit on the
/// notification in `ntf`, which nothing should signal (a signal ends the
/// sleep early, and its bits are consumed). `Ok` once the time is up.
pub fn sleep_on(ntf: Slot, us: u64) -> Result<(), Error> {
    match wait(ntf, us) {
        Ok(_) | Err(Error::TimedOut) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A real-time reservation for [`sched_set`]: `budget` timer quanta every
/// `period` quanta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The period, in timer quanta (not 0).
    pub period: u32,
    /// The quanta reserved per period (0 removes the reservation).
    pub budget: u32,
}

/// Sets the scheduling of the environment whose thread is in `thread`
/// (WRITE): proportional-share `weight` (1 to 1000) and, if given, a
/// real-time reservation. [`Error::InvalidArgument`] for a bad weight or
/// a reservation the CPU cannot admit.
pub fn sched_set(thread: Slot, weight: u32, rt: Option<Reservation>) -> Result<(), Error> {
    let (period, budget) = rt.map_or((0, 0), |r| (r.period, r.budget));
    sys::sched_set(thread, weight.into(), period.into(), budget.into())
}
