//! [`LogLevel`]: the value of `log=`, ordered from least to most verbose.

crate::named::named_values! {
    /// How much the kernel logs. Ordered: `Error < Warn < Info < Debug < Trace`,
    /// so "should this message print" is `message_level <= options.log`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
    pub enum LogLevel {
        /// Only errors.
        Error = "error",
        /// Errors and warnings.
        Warn = "warn",
        /// Normal boot chatter (the default).
        #[default]
        Info = "info",
        /// Information useful when debugging the kernel.
        Debug = "debug",
        /// Everything.
        Trace = "trace",
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
