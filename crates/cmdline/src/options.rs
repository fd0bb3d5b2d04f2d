//! [`Options`]: what the kernel command line asks for, with its defaults, the
//! init program's arguments, and a canonical rendering back to a line.

use core::fmt;
use core::iter::FusedIterator;

use crate::words::{unquote, words, Words};
use crate::{LogLevel, SelfTest};

/// The settings a command line selects. [`Options::default`] is what an empty
/// line gives.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// `log=LEVEL`: how much the kernel logs. Default [`LogLevel::Info`].
    pub log: LogLevel,
    /// `shutdown`: power off when boot (or the init program) finishes.
    pub shutdown: bool,
    /// `panic`: test hook; the kernel panics deliberately after its banner.
    pub panic: bool,
    /// `ktest=NAME`: run one kernel self-test, report, power off.
    pub ktest: Option<SelfTest>,
    /// `utest=NAME`: a user-space test the root task runs (the kernel
    /// passes its whole command line to the root task).
    pub utest: Option<&'a str>,
    /// `winsize=COLSxROWS`: the console terminal's size, as the host's
    /// terminal has it (`cargo xtask run` passes it); `None`: unknown.
    pub winsize: Option<WinSize>,
    /// `strace=all|PID`: the library OS prints the Linux calls of every
    /// process, or of the process with that pid, as strace does (the
    /// system server hands it to init as `EXOV6_STRACE`, which children
    /// inherit).
    pub strace: Option<&'a str>,
    /// `init=PATH`: the first program to run. Every word after it on the
    /// line is one of its arguments (`argv[1..]`), see [`Options::init_args`].
    pub init: Option<&'a str>,
    /// The raw text after the `init=` word: the init program's arguments.
    init_rest: &'a str,
}

impl<'a> Options<'a> {
    /// The options of an empty command line.
    pub const DEFAULT: Self = Self {
        log: LogLevel::Info,
        shutdown: false,
        panic: false,
        ktest: None,
        utest: None,
        winsize: None,
        strace: None,
        init: None,
        init_rest: "",
    };

    /// The init program's arguments (its `argv[1..]`; `argv[0]` is
    /// [`Options::init`] itself), in order. Empty when `init` is `None`.
    ///
    /// An argument wholly enclosed in one pair of quotes comes without them;
    /// other quotes are kept as written. A word with an unterminated quote
    /// (already reported by [`crate::parse`]) is left out.
    pub fn init_args(&self) -> InitArgs<'a> {
        let rest = if self.init.is_some() {
            self.init_rest
        } else {
            ""
        };
        InitArgs { words: words(rest) }
    }

    /// Sets `init` and the raw text its arguments are taken from.
    pub(crate) fn set_init(&mut self, path: &'a str, rest: &'a str) {
        self.init = Some(path);
        self.init_rest = rest;
    }
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Two option sets are equal when every setting and every init argument is.
impl PartialEq for Options<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.log == other.log
            && self.shutdown == other.shutdown
            && self.panic == other.panic
            && self.ktest == other.ktest
            && self.utest == other.utest
            && self.winsize == other.winsize
            && self.strace == other.strace
            && self.init == other.init
            && self.init_args().eq(other.init_args())
    }
}

impl Eq for Options<'_> {}

/// Renders the options as a canonical command line that [`crate::parse`]
/// reads back to equal options: only settings that differ from the default,
/// in the order `log= shutdown panic ktest= utest= winsize= strace= init= args…`, separated by single
/// spaces. An init path that is empty or contains whitespace (and no `"`) is
/// quoted; init arguments are written exactly as they appeared on the line.
impl fmt::Display for Options<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut word = |f: &mut fmt::Formatter<'_>, args: fmt::Arguments<'_>| {
            let r = write!(f, "{sep}{args}");
            sep = " ";
            r
        };
        if self.log != LogLevel::default() {
            word(f, format_args!("log={}", self.log))?;
        }
        if self.shutdown {
            word(f, format_args!("shutdown"))?;
        }
        if self.panic {
            word(f, format_args!("panic"))?;
        }
        if let Some(test) = self.ktest {
            word(f, format_args!("ktest={test}"))?;
        }
        if let Some(test) = self.utest {
            word(f, format_args!("utest={test}"))?;
        }
        if let Some(size) = self.winsize {
            word(f, format_args!("winsize={size}"))?;
        }
        if let Some(who) = self.strace {
            word(f, format_args!("strace={who}"))?;
        }
        if let Some(path) = self.init {
            let needs_quotes = path.is_empty()
                || (path.contains(|c: char| c.is_ascii_whitespace()) && !path.contains('"'));
            if needs_quotes {
                word(f, format_args!("init=\"{path}\""))?;
            } else {
                word(f, format_args!("init={path}"))?;
            }
            for raw in words(self.init_rest).flatten() {
                word(f, format_args!("{raw}"))?;
            }
        }
        Ok(())
    }
}

/// A terminal's size in characters (`winsize=COLSxROWS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WinSize {
    /// Columns, 1 to 9999.
    pub cols: u16,
    /// Rows, 1 to 9999.
    pub rows: u16,
}

impl WinSize {
    /// What a `winsize=` value should look like.
    pub const EXPECTED: &'static str = "COLSxROWS, each 1 to 9999, e.g. 80x24";

    /// Parses `COLSxROWS`.
    pub fn from_value(v: &str) -> Option<WinSize> {
        let (cols, rows) = v.split_once(['x', 'X'])?;
        let number = |s: &str| {
            let n: u16 = s.parse().ok()?;
            (s.bytes().all(|b| b.is_ascii_digit()) && (1..=9999).contains(&n)).then_some(n)
        };
        Some(WinSize {
            cols: number(cols)?,
            rows: number(rows)?,
        })
    }
}

impl fmt::Display for WinSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.cols, self.rows)
    }
}

/// Iterator over the init program's arguments, from [`Options::init_args`].
#[derive(Debug, Clone)]
pub struct InitArgs<'a> {
    words: Words<'a>,
}

impl<'a> Iterator for InitArgs<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.words.by_ref().flatten().next().map(unquote)
    }
}

impl FusedIterator for InitArgs<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{format, vec::Vec};

    #[test]
    fn default_is_an_empty_line() {
        let o = Options::default();
        assert_eq!(o.log, LogLevel::Info);
        assert!(!o.shutdown && !o.panic);
        assert_eq!((o.ktest, o.init), (None, None));
        assert_eq!(o.init_args().count(), 0);
        assert_eq!(format!("{o}"), "");
    }

    #[test]
    fn init_args_unquote_and_skip_broken_words() {
        let mut o = Options::default();
        o.set_init("/bin/sh", " -c \"echo hi\" x=\"y z\" \"oops");
        let args: Vec<&str> = o.init_args().collect();
        assert_eq!(args, ["-c", "echo hi", "x=\"y z\""]);
    }

    #[test]
    fn no_init_means_no_args() {
        let mut o = Options::default();
        o.set_init("/bin/sh", "a b");
        o.init = None;
        assert_eq!(o.init_args().count(), 0);
    }

    #[test]
    fn display_renders_non_defaults_in_order() {
        let mut o = Options {
            log: LogLevel::Trace,
            shutdown: true,
            panic: true,
            ktest: Some(SelfTest::Heap),
            ..Options::DEFAULT
        };
        o.set_init("/bin/my prog", "  a\t\"b c\"  ");
        assert_eq!(
            format!("{o}"),
            "log=trace shutdown panic ktest=heap init=\"/bin/my prog\" a \"b c\""
        );
    }

    #[test]
    fn winsize_values() {
        assert_eq!(
            WinSize::from_value("120x40"),
            Some(WinSize {
                cols: 120,
                rows: 40
            })
        );
        assert_eq!(WinSize::from_value("80X24").map(|w| w.rows), Some(24));
        for bad in [
            "", "80", "x24", "80x", "0x24", "80x0", "+80x24", "10000x1", "80x24x1",
        ] {
            assert_eq!(WinSize::from_value(bad), None, "{bad}");
        }
        let o = Options {
            winsize: WinSize::from_value("100x30"),
            shutdown: true,
            ..Options::DEFAULT
        };
        assert_eq!(format!("{o}"), "shutdown winsize=100x30");
    }

    #[test]
    fn equality_compares_arguments_not_spacing() {
        let mut a = Options::default();
        let mut b = Options::default();
        a.set_init("/x", " 1  2");
        b.set_init("/x", "1 \"2\"");
        assert_eq!(a, b);
        b.set_init("/x", "1");
        assert_ne!(a, b);
    }
}
