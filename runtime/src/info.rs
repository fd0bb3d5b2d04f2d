//! The read-only information page the kernel maps at
//! [`abi::info::INFO_PAGE`] in every environment ([`abi::info::InfoPage`]):
//! who the program is, the time without entering the kernel, its quota,
//! and pending revocations. The kernel updates it as it goes, so every
//! field is read with a volatile load, each time it is asked for.

use abi::info::{word, InfoPage, INFO_PAGE};

/// Word `i` of the page.
fn read(i: usize) -> u64 {
    assert!(i <= word::SYSTEM_TICKS);
    // The kernel maps the info page readable at `INFO_PAGE` in
    // every environment for its whole life, and no Rust object lives
    // there; `i` is inside the page's fields (checked above), so the
    // address is an aligned `u64` of a mapped page. The load is volatile
    // because the kernel changes the page behind the program's back.
    // SAFETY: sound for the reasons just given.
    unsafe { core::ptr::read_volatile((INFO_PAGE as *const u64).add(i)) }
}

/// The magic word (`abi::info::MAGIC` on a valid page).
pub fn magic() -> u64 {
    read(word::MAGIC)
}
/// This environment's id.
pub fn env_id() -> u64 {
    read(word::ENV_ID)
}
/// TSC ticks per second.
pub fn tsc_hz() -> u64 {
    read(word::TSC_HZ)
}
/// Timer interrupts per second (the unit of the CPU-time words).
pub fn timer_hz() -> u64 {
    read(word::TIMER_HZ)
}
/// Frames the quota allows.
pub fn quota_frames() -> u64 {
    read(word::QUOTA_FRAMES)
}
/// Frames charged now.
pub fn used_frames() -> u64 {
    read(word::USED_FRAMES)
}
/// Timer ticks of CPU time charged to this environment in user mode.
pub fn user_ticks() -> u64 {
    read(word::USER_TICKS)
}
/// Timer ticks of CPU time charged to it in the kernel.
pub fn system_ticks() -> u64 {
    read(word::SYSTEM_TICKS)
}
/// Frames a pending revocation asks back (0: none pending).
pub fn revoke_frames() -> u64 {
    read(word::REVOKE_FRAMES)
}
/// Frames the kernel has taken by force, in total.
pub fn repossessed_count() -> u64 {
    read(word::REPOSSESSED_COUNT)
}

/// A snapshot of the whole page (each word read once, volatile).
pub fn snapshot() -> InfoPage {
    InfoPage {
        magic: read(word::MAGIC),
        env_id: read(word::ENV_ID),
        cpu_id: read(word::CPU_ID),
        tsc_hz: read(word::TSC_HZ),
        boot_tsc: read(word::BOOT_TSC),
        timer_hz: read(word::TIMER_HZ),
        quota_frames: read(word::QUOTA_FRAMES),
        used_frames: read(word::USED_FRAMES),
        revoke_frames: read(word::REVOKE_FRAMES),
        revoke_deadline_us: read(word::REVOKE_DEADLINE_US),
        repossessed_count: read(word::REPOSSESSED_COUNT),
        repossessed: core::array::from_fn(|k| read(word::REPOSSESSED + k)),
        user_ticks: read(word::USER_TICKS),
        system_ticks: read(word::SYSTEM_TICKS),
    }
}

/// Nanoseconds since the kernel's first instruction, from the TSC and the
/// page's calibration (no kernel entry).
pub fn now_ns() -> u64 {
    let hz = tsc_hz().max(1);
    let ticks = crate::tsc::rdtsc().saturating_sub(read(word::BOOT_TSC));
    (u128::from(ticks) * 1_000_000_000 / u128::from(hz)) as u64
}

/// TSC ticks converted to nanoseconds with the page's `tsc_hz`.
pub fn ticks_to_ns(ticks: u64) -> u64 {
    let hz = tsc_hz().max(1);
    (u128::from(ticks) * 1_000_000_000 / u128::from(hz)) as u64
}

/// Tries to write `value` into word `i` of the info page. The page is
/// mapped read-only, so this faults (`#PF`): for tests of that mapping.
/// Should the kernel ever map it writable, the write lands in the page and
/// the kernel overwrites it at its next update; no Rust object lives there.
pub fn try_write(i: usize, value: u64) {
    assert!(i <= word::SYSTEM_TICKS);
    // The address is an aligned word of the info page (checked
    // above), which holds no Rust object and is only ever read with
    // volatile loads here, so a write (if it does not fault) aliases
    // nothing the compiler relies on. On a read-only page the CPU faults
    // and the kernel handles it (upcall or termination).
    // SAFETY: sound for the reasons just given.
    unsafe { core::ptr::write_volatile((INFO_PAGE as *mut u64).add(i), value) }
}
