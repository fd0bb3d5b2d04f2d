//! Native system calls: decoding the typed `abi::Syscall` and its
//! arguments from the trap frame, checking every capability and user
//! pointer, and answering with a status and results. A refusal is logged
//! (at debug level: a fuzzer makes a great many) and returned as an
//! `abi::Error`; nothing a program passes can make the kernel fault or
//! panic.
//!
//! The dispatch is generated from the call table (`abi::native_calls!`):
//! each call has one handler here, named as in the table, taking the
//! caller and the call's `abi::args` struct and returning an [`Outcome`].
//! A handler either returns to the caller with results
//! ([`Next::Return`]) or asks for a control transfer ([`Next::Transfer`]:
//! block, wake, switch or end), which [`handle`] performs in one place
//! ([`transfer::perform`]); [`handle`] also writes the caller's status and
//! results, the one place that does at call time (`env::Resume` says
//! whether the caller continues and with what; a blocked caller's result
//! is written when it is woken, by `env::complete`).

use alloc::vec::Vec;

use abi::{args, map_flags, results, Error, Syscall, PAGE_SIZE, USER_END, USER_MIN};
use captree::{DeletedCap, Removed, Rights, SlotAddr};

use crate::arch::{paging, TrapFrame};
use crate::cap::{self, KObject, Mapping, CAPS};
use crate::env::{self, Caller, Done, Resume};
use crate::mem::{self, frames};
use crate::{print, uaccess};

mod caps;
mod devices;
mod envs;
mod lookup;
mod memory;
mod misc;
mod transfer;

use caps::*;
use devices::*;
use envs::*;
use lookup::{lookup, lookup_in};
use memory::*;
use misc::*;
use transfer::*;

use crate::mem::frames::kernel_reserve_frames;

/// What a call does next, when its handler has succeeded.
// Not Copy: a transfer may hold the endpoint or notification it is about.
enum Next {
    /// Return to the caller: status 0 and these results (`r0..r3`).
    Return([u64; 4]),
    /// Transfer control; [`transfer::perform`] does it.
    Transfer(Transfer),
}

/// What every handler returns.
type Outcome = Result<Next, Error>;

/// Results of the helpers that return to the caller.
type Results = Result<[u64; 4], Error>;

/// Return to the caller with no results.
fn done() -> Outcome {
    Ok(Next::Return([0; 4]))
}

/// Return to the caller with these results (an `abi::results` struct).
fn ret(r: impl Into<[u64; 4]>) -> Outcome {
    Ok(Next::Return(r.into()))
}

/// Generates [`dispatch`] from the call table.
macro_rules! dispatch_table {
    ($(
        $(#[$doc:meta])*
        $num:literal $Name:ident $kind:ident $fname:ident $(as $str:literal)?
            ( $($arg:ident : $aty:ty),* ) -> ( $($res:ident : $rty:ty),* );
    )*) => {
        /// Decodes the arguments of `call` from `a` and runs its handler.
        #[inline(always)]
        fn dispatch(me: &Caller, call: Syscall, a: [u64; 6]) -> Outcome {
            match call {
                $( Syscall::$Name => $fname(me, args::$Name::decode(a)), )*
            }
        }
    };
}

abi::native_calls!(dispatch_table);

/// Handles the system call in `frame` (the caller's saved registers).
pub fn handle(frame: &mut TrapFrame) {
    let (number, a) = frame.syscall();
    // A number that is no native call is reflected without looking the
    // caller up first (the upcall looks its environment up itself).
    let call = Syscall::from_number(number);
    let me = call.and_then(|_| env::caller());
    let (Some(call), Some(me)) = (call, me) else {
        // Not a native call: the thread's upcall handler may take it.
        if env::deliver_upcall(frame, abi::upcall::kind::SYSCALL, 0, 0, 0).is_err() {
            log::debug!("syscall {number:#x}: no such call");
            env::write_result(frame, Err(Error::NoSuchCall));
        }
        return;
    };
    if may_allocate(call) && !mem::heap::headroom(kernel_reserve_frames() / 2) {
        log::debug!("{}: {} refused: no kernel memory", me.name, call.name());
        env::write_result(frame, Err(Error::OutOfMemory));
        return;
    }
    let result = match dispatch(&me, call, a) {
        Ok(Next::Return(r)) => return env::write_result(frame, Ok(Done::Results(r))),
        Ok(Next::Transfer(t)) => match perform(frame, t) {
            Ok(Resume::Caller(done)) => Ok(done),
            // The transfer has set up whichever environment runs next.
            Ok(Resume::Loaded) => return,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        log::debug!("{}: {} refused: {e}", me.name, call.name());
    }
    env::write_result(frame, result);
}

/// Whether a call may take kernel heap memory. Those that only free,
/// read or switch never need any, so an environment can always give
/// memory back and end, whatever the state of the heap.
fn may_allocate(call: Syscall) -> bool {
    !matches!(
        call,
        Syscall::Exit
            | Syscall::Yield
            | Syscall::DebugWrite
            | Syscall::CapIdentify
            | Syscall::CapDelete
            | Syscall::CapRevoke
            | Syscall::Unmap
            | Syscall::Protect
            | Syscall::EnvKill
            | Syscall::PowerOff
            | Syscall::FsBaseSet
            | Syscall::YieldTo
            | Syscall::IrqAck
    )
}

fn slot(me: &Caller, index: u64) -> Result<SlotAddr, Error> {
    u32::try_from(index)
        .map(|i| SlotAddr::new(me.cspace, i))
        .map_err(|_| Error::BadSlot)
}
