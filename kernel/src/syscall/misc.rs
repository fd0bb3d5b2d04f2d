//! The remaining calls: the debug console, upcall registration, the
//! thread's FS base and the kernel's own controls (power-off, its log).

use super::lookup::{Control, Thread};
use super::*;

/// Largest single `debug_write`.
pub(super) const DEBUG_WRITE_MAX: u64 = 1 << 20;

pub(super) fn debug_write(me: &Caller, a: args::DebugWrite) -> Outcome {
    let (ptr, len) = (a.ptr, a.len);
    // Range first (so an overflowing length is a bad address), then size.
    ptr.checked_add(len)
        .filter(|&end| ptr >= USER_MIN && end <= USER_END)
        .ok_or(Error::BadAddress)?;
    if len > DEBUG_WRITE_MAX {
        return Err(Error::InvalidArgument);
    }
    // Check the whole range before printing any of it.
    uaccess::read_user(me.aspace, ptr, len, |_| {})?;
    uaccess::read_user(me.aspace, ptr, len, |bytes| {
        for &b in bytes {
            let c = if b == b'\n' || b == b'\t' || (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            };
            print!("{c}");
        }
    })?;
    ret(results::DebugWrite { written: len })
}

pub(super) fn set_upcall(me: &Caller, a: args::SetUpcall) -> Outcome {
    let (entry, base, size, flags) = (a.entry, a.stack, a.size, a.flags);
    if entry == 0 {
        env::set_upcall(me.id, None);
        return done();
    }
    use abi::upcall::flags::{PREEMPT, REFLECT_SYSCALLS};
    if flags & !(REFLECT_SYSCALLS | PREEMPT) != 0 {
        return Err(Error::InvalidArgument);
    }
    let end = base.checked_add(size).ok_or(Error::BadAddress)?;
    if !(USER_MIN..USER_END).contains(&entry) || base < USER_MIN || end > USER_END {
        return Err(Error::BadAddress);
    }
    if size < 2 * core::mem::size_of::<abi::UpcallFrame>() as u64 {
        return Err(Error::InvalidArgument);
    }
    env::set_upcall(
        me.id,
        Some(env::Upcall {
            entry,
            stack: base..end,
            reflect_syscalls: flags & REFLECT_SYSCALLS != 0,
            preempt: flags & PREEMPT != 0,
        }),
    );
    done()
}

/// `FsBaseSet`: the calling thread's FS base, 0 or below `USER_END` (so
/// always canonical); the kernel keeps it with the thread's other state.
pub(super) fn fs_base_set(_: &Caller, a: args::FsBaseSet) -> Outcome {
    if a.value >= USER_END {
        return Err(Error::BadAddress);
    }
    crate::arch::set_fs_base(a.value);
    done()
}

/// `KlogRead`: a part of the kernel's log ring, copied out of the lock
/// before it goes to user memory.
pub(super) fn klog_read(me: &Caller, a: args::KlogRead) -> Outcome {
    let Control = lookup(me, a.control, Rights::READ)?;
    a.ptr
        .checked_add(a.len)
        .filter(|&end| a.ptr >= USER_MIN && end <= USER_END)
        .ok_or(Error::BadAddress)?;
    let mut buf = alloc::vec![0u8; (a.len as usize).min(crate::klog::KLOG_BYTES)];
    let (start, n) = crate::klog::read(a.from, &mut buf);
    uaccess::write_user(me.aspace, a.ptr, &buf[..n])?;
    ret(results::KlogRead {
        start,
        copied: n as u64,
    })
}

pub(super) fn env_times(me: &Caller, a: args::EnvTimes) -> Outcome {
    let Thread(target) = lookup(me, a.thread, Rights::READ)?;
    let (user, system) = crate::env::env_times(target)?;
    ret(results::EnvTimes { user, system })
}

pub(super) fn cpu_times(_me: &Caller, _a: args::CpuTimes) -> Outcome {
    let (user, system, idle) = crate::env::cpu_times();
    let (_, ready) = crate::env::load_avg();
    ret(results::CpuTimes {
        user,
        system,
        idle,
        ready,
    })
}

pub(super) fn load_avg(_me: &Caller, _a: args::LoadAvg) -> Outcome {
    let ([one, five, fifteen], _) = crate::env::load_avg();
    ret(results::LoadAvg { one, five, fifteen })
}

pub(super) fn power_off(me: &Caller, a: args::PowerOff) -> Outcome {
    let Control = lookup(me, a.control, Rights::WRITE)?;
    let status = u8::try_from(a.status).map_err(|_| Error::InvalidArgument)?;
    crate::println!("kernel: powered off by {} with status {status}", me.name);
    crate::power::exit_program(u64::from(status))
}
