//! [`LogLevel`]: the value of `log=`, ordered from least to most verbose.

use core::fmt;

/// How much the kernel logs. Ordered: `Error < Warn < Info < Debug < Trace`,
/// so "should this message print" is `message_level <= options.log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum LogLevel {
    /// Only errors.
    Error,
    /// Errors and warnings.
    Warn,
    /// Normal boot chatter (the default).
    #[default]
    Info,
    /// Information useful when debugging the kernel.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// Every level, least verbose first.
    pub const ALL: [Self; 5] = [
        Self::Error,
        Self::Warn,
        Self::Info,
        Self::Debug,
        Self::Trace,
    ];

    /// What a `log=` value must be; used in [`crate::Problem::BadValue`].
    pub const EXPECTED: &'static str = "one of error, warn, info, debug, trace";

    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }

    /// The level called `name`, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|level| level.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{string::String, vec::Vec};

    #[test]
    fn names_round_trip() {
        for level in LogLevel::ALL {
            assert_eq!(LogLevel::from_name(level.name()), Some(level));
        }
    }

    #[test]
    fn from_name_ignores_case_and_rejects_others() {
        assert_eq!(LogLevel::from_name("DeBuG"), Some(LogLevel::Debug));
        assert_eq!(LogLevel::from_name("loud"), None);
        assert_eq!(LogLevel::from_name(""), None);
        assert_eq!(LogLevel::from_name("info "), None);
    }

    #[test]
    fn expected_lists_every_name() {
        let names: Vec<&str> = LogLevel::ALL.iter().map(|l| l.name()).collect();
        assert_eq!(
            LogLevel::EXPECTED,
            String::from("one of ") + &names.join(", ")
        );
    }

    #[test]
    fn ordered_by_verbosity_and_defaults_to_info() {
        assert!(LogLevel::Error < LogLevel::Warn && LogLevel::Debug < LogLevel::Trace);
        assert_eq!(LogLevel::default(), LogLevel::Info);
    }
}
