//! Native system calls: decoding the typed `abi::Syscall` from the trap
//! frame, checking every capability and user pointer, and answering with a
//! status and results. A refusal is logged (at debug level: a fuzzer makes
//! a great many) and returned as an `abi::Error`; nothing a program passes
//! can make the kernel fault or panic.

use alloc::vec::Vec;

use abi::{map_flags, Error, Syscall, PAGE_SIZE, USER_END, USER_MIN};
use captree::{DeletedCap, Removed, Rights, SlotAddr};

use crate::arch::{paging, TrapFrame};
use crate::cap::{self, KObject, Mapping, CAPS};
use crate::env::{self, Caller};
use crate::mem::{self, frames};
use crate::{print, uaccess};

mod caps;
mod devices;
mod envs;
mod memory;
mod misc;

use caps::*;
use devices::*;
use envs::*;
use memory::*;
use misc::*;

use crate::mem::frames::kernel_reserve_frames;

type Results = Result<[u64; 4], Error>;

/// Handles the system call in `frame` (the caller's saved registers).
pub fn handle(frame: &mut TrapFrame) {
    let (number, a) = frame.syscall();
    let (Some(call), Some(me)) = (Syscall::from_number(number), env::caller()) else {
        // Not a native call: the thread's upcall handler may take it.
        if env::deliver_upcall(frame, abi::upcall::kind::SYSCALL, 0, 0, 0).is_err() {
            log::debug!("syscall {number:#x}: no such call");
            frame.set_syscall_result(Error::NoSuchCall as u64, [0; 4]);
        }
        return;
    };
    if may_allocate(call) && !mem::heap::headroom(kernel_reserve_frames() / 2) {
        log::debug!("{}: {} refused: no kernel memory", me.name, call.name());
        frame.set_syscall_result(Error::OutOfMemory as u64, [0; 4]);
        return;
    }
    let result = match call {
        Syscall::Exit => return env::exit_current(a[0], frame),
        Syscall::Yield => {
            frame.set_syscall_result(0, [0; 4]);
            return env::yield_current(frame);
        }
        Syscall::DebugWrite => debug_write(&me, a[0], a[1]),
        Syscall::CapIdentify => identify(&me, a[0]),
        Syscall::CapCopy => copy(&me, a[0], a[1]),
        Syscall::CapMint => mint(&me, a),
        Syscall::CapMove => move_cap(&me, a[0], a[1]),
        Syscall::CapDelete => delete(&me, a[0]),
        Syscall::CapRevoke => revoke(&me, a[0]),
        Syscall::FrameAlloc => frame_alloc(&me, a[0], a[1], a[2]),
        Syscall::Map => map(&me, a[0], a[1], a[2]),
        Syscall::Unmap => unmap(&me, a[0]),
        Syscall::SetUpcall => set_upcall(&me, a),
        Syscall::EnvCreate => env_create(&me, a),
        Syscall::MapInto => map_into_slot(&me, a),
        Syscall::ThreadStart => thread_start(&me, a),
        Syscall::EndpointCreate => endpoint_create(&me, a[0], a[1]),
        Syscall::Call => match endpoint(&me, a[0], Rights::EXECUTE) {
            Ok((ep, badge)) => return env::ipc_call(frame, &ep, badge),
            Err(e) => Err(e),
        },
        Syscall::Recv => match endpoint(&me, a[0], Rights::READ) {
            Ok((ep, _)) => return env::ipc_recv(frame, &ep),
            Err(e) => Err(e),
        },
        Syscall::Reply => env::ipc_reply(frame).map(|()| frame.ipc_message_results()),
        Syscall::ReplyRecv => match endpoint(&me, a[0], Rights::READ) {
            Ok((ep, _)) => return env::ipc_reply_recv(frame, &ep),
            Err(e) => Err(e),
        },
        Syscall::NotificationCreate => notification_create(&me, a[0], a[1]),
        Syscall::Signal => notification(&me, a[0], Rights::WRITE).map(|n| {
            env::signal(&n, a[1]);
            [0; 4]
        }),
        Syscall::Wait => match notification(&me, a[0], Rights::READ) {
            Ok(n) => return env::wait(frame, &n, a[1]),
            Err(e) => Err(e),
        },
        Syscall::PortsMint => ports_mint(&me, a),
        Syscall::PortsEnable => ports_enable(&me, a[0]),
        Syscall::IrqBind => irq_bind(&me, a),
        Syscall::QuotaGive => quota_give(&me, a[0], a[1]),
        // Switching calls write the caller's result themselves and return:
        // afterwards `frame` holds another environment's registers.
        Syscall::YieldTo => {
            match thread_env(&me, a[0], Rights::READ).and_then(|to| env::yield_to(frame, to)) {
                Ok(()) => return,
                Err(e) => Err(e),
            }
        }
        Syscall::SchedSet => sched_set(&me, a),
        Syscall::Protect => protect(&me, a[0], a[1]),
        Syscall::PowerOff => power_off(&me, a[0], a[1]),
        Syscall::RevokeRequest => match thread_env(&me, a[0], Rights::WRITE) {
            Ok(target) => match env::revoke_request(frame, target, a[1], a[2]) {
                Ok(()) => return,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
        Syscall::FsBaseSet => fs_base_set(a[0]),
        Syscall::CapMintInto => mint_into(&me, a),
        Syscall::EnvKill => match thread_env(&me, a[0], Rights::WRITE) {
            Ok(target) => match env::kill(frame, target, a[1]) {
                Ok(()) => return,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
        Syscall::IrqAck => irq_line(&me, a[0]).map(|gsi| {
            crate::object::irq_line::ack(gsi);
            [0; 4]
        }),
    };
    match result {
        Ok(r) => frame.set_syscall_result(0, r),
        Err(e) => {
            log::debug!("{}: {} refused: {e}", me.name, call.name());
            frame.set_syscall_result(e as u64, [0; 4]);
        }
    }
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
