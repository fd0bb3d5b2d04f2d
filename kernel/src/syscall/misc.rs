//! The remaining calls: the debug console, upcall registration, the
//! thread's FS base and the kernel's own controls (power-off).

use super::*;

/// Largest single `debug_write`.
pub(super) const DEBUG_WRITE_MAX: u64 = 1 << 20;

pub(super) fn debug_write(me: &Caller, ptr: u64, len: u64) -> Results {
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
    Ok([len, 0, 0, 0])
}

pub(super) fn set_upcall(me: &Caller, a: [u64; 6]) -> Results {
    let [entry, base, size, flags, ..] = a;
    if entry == 0 {
        env::set_upcall(me.id, None);
        return Ok([0; 4]);
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
    Ok([0; 4])
}

/// `FsBaseSet`: the calling thread's FS base, 0 or below `USER_END` (so
/// always canonical); the kernel keeps it with the thread's other state.
pub(super) fn fs_base_set(value: u64) -> Results {
    if value >= USER_END {
        return Err(Error::BadAddress);
    }
    crate::arch::set_fs_base(value);
    Ok([0; 4])
}

pub(super) fn power_off(me: &Caller, control: u64, status: u64) -> Results {
    {
        let caps = CAPS.lock();
        let id = caps
            .lookup(slot(me, control)?, Rights::WRITE)
            .map_err(cap::error)?;
        if !matches!(id.kind, KObject::Control) {
            return Err(Error::WrongType);
        }
    }
    let status = u8::try_from(status).map_err(|_| Error::InvalidArgument)?;
    crate::println!("kernel: powered off by {} with status {status}", me.name);
    crate::power::exit_program(u64::from(status))
}
