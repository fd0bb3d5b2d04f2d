//! The read-only information page the kernel maps into every environment
//! at [`INFO_PAGE`]: who it is, how to tell the time without entering the
//! kernel, and its quota. The kernel updates the usage fields as it goes.
//!
//! Time: `ns = (rdtsc() - boot_tsc) * 1_000_000_000 / tsc_hz` is the time
//! since the kernel's first instruction.

/// Where the info page is mapped (read-only, no execute).
pub const INFO_PAGE: u64 = crate::USER_END - 2 * crate::PAGE_SIZE;

/// `magic` of a valid page: "EXOINFO1".
pub const MAGIC: u64 = u64::from_le_bytes(*b"EXOINFO1");

/// The page's layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfoPage {
    pub magic: u64,
    /// This environment's id.
    pub env_id: u64,
    /// The CPU it runs on.
    pub cpu_id: u64,
    /// TSC ticks per second (calibrated at boot).
    pub tsc_hz: u64,
    /// TSC at the kernel's first instruction.
    pub boot_tsc: u64,
    /// Timer interrupts per second.
    pub timer_hz: u64,
    /// Frames this environment's quota allows.
    pub quota_frames: u64,
    /// Frames charged to the quota now.
    pub used_frames: u64,
    /// Frames a pending revocation asks back (0: none pending).
    pub revoke_frames: u64,
    /// Its deadline, in microseconds since boot.
    pub revoke_deadline_us: u64,
    /// Frames the kernel has taken by force (abort protocol), in total.
    pub repossessed_count: u64,
    /// The physical addresses of the last [`REPOSSESSED_SLOTS`] taken
    /// (entry `i % REPOSSESSED_SLOTS` for the `i`th).
    pub repossessed: [u64; REPOSSESSED_SLOTS],
    /// Timer ticks ([`timer_hz`](InfoPage::timer_hz) a second) charged to
    /// this environment in user mode (its library OS's work included) and
    /// in the kernel, counted by the tick.
    pub user_ticks: u64,
    pub system_ticks: u64,
}

/// Entries of the repossession vector.
pub const REPOSSESSED_SLOTS: usize = 32;

/// Word offsets of the fields, for code that reads the page word by word.
pub mod word {
    pub const MAGIC: usize = 0;
    pub const ENV_ID: usize = 1;
    pub const CPU_ID: usize = 2;
    pub const TSC_HZ: usize = 3;
    pub const BOOT_TSC: usize = 4;
    pub const TIMER_HZ: usize = 5;
    pub const QUOTA_FRAMES: usize = 6;
    pub const USED_FRAMES: usize = 7;
    pub const REVOKE_FRAMES: usize = 8;
    pub const REVOKE_DEADLINE_US: usize = 9;
    pub const REPOSSESSED_COUNT: usize = 10;
    pub const REPOSSESSED: usize = 11;
    pub const USER_TICKS: usize = REPOSSESSED + super::REPOSSESSED_SLOTS;
    pub const SYSTEM_TICKS: usize = USER_TICKS + 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_word_offsets() {
        assert_eq!(
            core::mem::offset_of!(InfoPage, used_frames),
            word::USED_FRAMES * 8
        );
        assert_eq!(core::mem::offset_of!(InfoPage, tsc_hz), word::TSC_HZ * 8);
        assert_eq!(
            core::mem::offset_of!(InfoPage, repossessed),
            word::REPOSSESSED * 8
        );
        assert_eq!(
            core::mem::offset_of!(InfoPage, user_ticks),
            word::USER_TICKS * 8
        );
        assert_eq!(
            core::mem::offset_of!(InfoPage, system_ticks),
            word::SYSTEM_TICKS * 8
        );
        assert!(core::mem::size_of::<InfoPage>() <= 4096);
        assert_eq!(INFO_PAGE % crate::PAGE_SIZE, 0);
    }
}
