//! [`Problem`]: one thing wrong with a command line, and its message.

use core::fmt;

/// Something on the command line the parser could not apply. Parsing goes on
/// after a problem; the word at fault is not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem<'a> {
    /// A word that names no option. For `name=value` words, `option` is
    /// `name`; otherwise it is the whole word.
    Unknown {
        /// The unrecognised name, as written.
        option: &'a str,
    },
    /// A known option whose value is not one it accepts.
    BadValue {
        /// The option's name (without `=`).
        option: &'a str,
        /// The value given, quotes removed as for any value.
        value: &'a str,
        /// What the value should have been, e.g. `one of error, warn, …`.
        expected: &'static str,
    },
    /// An option that takes a value was given none (`log`, `log=`, `log=""`).
    MissingValue {
        /// The option's name.
        option: &'a str,
    },
    /// A flag that takes no value was given one (`shutdown=yes`).
    UnexpectedValue {
        /// The option's name.
        option: &'a str,
    },
    /// An option given again after it was already set; the first setting
    /// stays in force.
    Duplicate {
        /// The option's name.
        option: &'a str,
    },
    /// A `"` with no closing partner; the rest of the line was not applied.
    UnterminatedQuote,
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` on a `str` quotes it and escapes control characters, so odd
        // bytes on the line cannot garble the console.
        match self {
            Self::Unknown { option } => write!(f, "unknown option {option:?}"),
            Self::BadValue {
                option,
                value,
                expected,
            } => write!(f, "bad value {value:?} for {option}= (expected {expected})"),
            Self::MissingValue { option } => write!(f, "missing value for {option}="),
            Self::UnexpectedValue { option } => {
                write!(f, "option {option:?} takes no value")
            }
            Self::Duplicate { option } => {
                write!(f, "option {option:?} given twice (the first one counts)")
            }
            Self::UnterminatedQuote => {
                f.write_str("unterminated quote (the rest of the line was ignored)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogLevel;
    use std::format;

    #[test]
    fn messages_are_clear() {
        let cases = [
            (
                Problem::Unknown { option: "bogus" },
                "unknown option \"bogus\"",
            ),
            (
                Problem::BadValue {
                    option: "log",
                    value: "loud",
                    expected: LogLevel::EXPECTED,
                },
                "bad value \"loud\" for log= (expected one of error, warn, info, debug, trace)",
            ),
            (
                Problem::MissingValue { option: "init" },
                "missing value for init=",
            ),
            (
                Problem::UnexpectedValue { option: "shutdown" },
                "option \"shutdown\" takes no value",
            ),
            (
                Problem::Duplicate { option: "log" },
                "option \"log\" given twice (the first one counts)",
            ),
            (
                Problem::UnterminatedQuote,
                "unterminated quote (the rest of the line was ignored)",
            ),
        ];
        for (problem, message) in cases {
            assert_eq!(format!("{problem}"), message);
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        let p = Problem::Unknown {
            option: "a\u{1b}[2J",
        };
        assert_eq!(format!("{p}"), "unknown option \"a\\u{1b}[2J\"");
    }
}
