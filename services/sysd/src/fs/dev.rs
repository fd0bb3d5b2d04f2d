//! Device nodes: the character devices every Linux system has in `/dev`,
//! their numbers, and which kind of handle opening one gives.

use sysproto::kind;

/// `makedev` as Linux encodes a device number in `st_rdev`.
pub const fn makedev(major: u64, minor: u64) -> u64 {
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

/// The major and minor of a device number.
pub const fn split(dev: u64) -> (u64, u64) {
    (
        ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff),
        (dev & 0xff) | ((dev >> 12) & !0xff),
    )
}

/// The nodes made in `/dev` at boot: name, major, minor, permissions.
pub const NODES: &[(&str, u64, u64, u32)] = &[
    ("null", 1, 3, 0o666),
    ("zero", 1, 5, 0o666),
    ("full", 1, 7, 0o666),
    ("random", 1, 8, 0o666),
    ("urandom", 1, 9, 0o666),
    ("kmsg", 1, 11, 0o644),
    ("tty", 5, 0, 0o666),
    ("console", 5, 1, 0o600),
];

/// The links made in `/dev` at boot: name and target.
pub const LINKS: &[(&str, &str)] = &[
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
];

/// The handle kind of the character device `rdev` (`None`: no such
/// device, `ENXIO` on open).
pub fn kind_of(rdev: u64) -> Option<u64> {
    Some(match split(rdev) {
        (1, 3) => kind::NULL,
        (1, 5) => kind::ZERO,
        (1, 7) => kind::FULL,
        (1, 8 | 9) => kind::RANDOM,
        (1, 11) => kind::KMSG,
        (5, 0 | 1) | (4, 0..=63) => kind::CONSOLE,
        _ => return None,
    })
}
