//! [`parse`]: applies each word of a command line to [`Options`], reporting
//! unknown, malformed and repeated options as [`Problem`]s.

use crate::words::{unquote, words};
use crate::{LogLevel, Parsed, Problem, SelfTest, WinSize};

/// Which options have been set so far, to catch repeats.
#[derive(Default)]
struct Seen {
    log: bool,
    shutdown: bool,
    panic: bool,
    ktest: bool,
    utest: bool,
    winsize: bool,
    strace: bool,
}

/// Parses a kernel command line. Never panics, whatever `line` holds.
///
/// Recognised words (option names are case-sensitive, values are not):
///
/// | word | effect |
/// |---|---|
/// | `log=LEVEL` | [`crate::Options::log`]: `error`, `warn`, `info`, `debug` or `trace` |
/// | `shutdown` | [`crate::Options::shutdown`] |
/// | `panic` | [`crate::Options::panic`] |
/// | `ktest=NAME` | [`crate::Options::ktest`], see [`SelfTest`] |
/// | `utest=NAME` | [`crate::Options::utest`]: a test for the root task |
/// | `winsize=COLSxROWS` | [`crate::Options::winsize`]: the console's size |
/// | `strace=all\|PID` | [`crate::Options::strace`]: Linux calls to show |
/// | `init=PATH ARGS…` | [`crate::Options::init`]; ends option parsing |
///
/// Every other word is a [`Problem::Unknown`]. A word with a problem is not
/// applied and parsing goes on with the next one. When an option is repeated
/// the first valid setting counts. The `init` word ends option parsing even
/// if its value is missing: the words after it are meant for the program.
pub fn parse(line: &str) -> Parsed<'_> {
    let mut parsed = Parsed::new();
    let mut seen = Seen::default();
    let mut iter = words(line);
    while let Some(word) = iter.next() {
        let Ok(word) = word else {
            parsed.report(Problem::UnterminatedQuote);
            break;
        };
        let (name, value) = match word.split_once('=') {
            Some((name, value)) => (name, Some(unquote(value))),
            None => (word, None),
        };
        let options = &mut parsed.options;
        let outcome = match name {
            "init" => {
                let rest = iter.rest();
                let outcome = match value {
                    Some(path) if !path.is_empty() => {
                        options.set_init(path, rest);
                        Ok(())
                    }
                    _ => Err(Problem::MissingValue { option: name }),
                };
                if let Err(problem) = outcome {
                    parsed.report(problem);
                }
                // The arguments are not options, but a broken quote among
                // them is still worth reporting.
                if iter.any(|w| w.is_err()) {
                    parsed.report(Problem::UnterminatedQuote);
                }
                break;
            }
            "log" => set_value(&mut seen.log, name, value, LogLevel::EXPECTED, |v| {
                LogLevel::from_name(v).map(|level| options.log = level)
            }),
            "ktest" => set_value(&mut seen.ktest, name, value, SelfTest::EXPECTED, |v| {
                SelfTest::from_name(v).map(|test| options.ktest = Some(test))
            }),
            "utest" => set_value(&mut seen.utest, name, value, "a test name", |v| {
                options.utest = Some(v);
                Some(())
            }),
            "winsize" => set_value(&mut seen.winsize, name, value, WinSize::EXPECTED, |v| {
                WinSize::from_value(v).map(|size| options.winsize = Some(size))
            }),
            "strace" => set_value(&mut seen.strace, name, value, STRACE_EXPECTED, |v| {
                let pid = !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit());
                (v == "all" || pid).then(|| options.strace = Some(v))
            }),
            "shutdown" => set_flag(&mut seen.shutdown, name, value, &mut options.shutdown),
            "panic" => set_flag(&mut seen.panic, name, value, &mut options.panic),
            _ => Err(Problem::Unknown { option: name }),
        };
        if let Err(problem) = outcome {
            parsed.report(problem);
        }
    }
    parsed
}

/// What a `strace=` value must be.
const STRACE_EXPECTED: &str = "all or a process id";

/// Applies `name=value` through `apply`, which returns `None` for a value it
/// does not accept.
fn set_value<'a>(
    seen: &mut bool,
    name: &'a str,
    value: Option<&'a str>,
    expected: &'static str,
    apply: impl FnOnce(&'a str) -> Option<()>,
) -> Result<(), Problem<'a>> {
    if *seen {
        return Err(Problem::Duplicate { option: name });
    }
    let value = match value {
        Some(value) if !value.is_empty() => value,
        _ => return Err(Problem::MissingValue { option: name }),
    };
    apply(value).ok_or(Problem::BadValue {
        option: name,
        value,
        expected,
    })?;
    *seen = true;
    Ok(())
}

/// Applies a flag, which must come without `=`.
fn set_flag<'a>(
    seen: &mut bool,
    name: &'a str,
    value: Option<&'a str>,
    flag: &mut bool,
) -> Result<(), Problem<'a>> {
    if *seen {
        return Err(Problem::Duplicate { option: name });
    }
    if value.is_some() {
        return Err(Problem::UnexpectedValue { option: name });
    }
    *seen = true;
    *flag = true;
    Ok(())
}
