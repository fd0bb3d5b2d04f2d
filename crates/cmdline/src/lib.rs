//! The ExoV6 kernel command line: splitting it into words and turning the
//! words into [`Options`], reporting every [`Problem`] instead of ignoring it.
//!
//! The crate is `no_std`, allocates nothing, and never panics on any input.
//! Everything it returns borrows from the line it was given.
//!
//! ```
//! let parsed = cmdline::parse("log=debug shutdown init=/bin/sh -c \"echo hi\"");
//! assert_eq!(parsed.options.log, cmdline::LogLevel::Debug);
//! assert!(parsed.options.shutdown);
//! assert_eq!(parsed.options.init, Some("/bin/sh"));
//! let args: Vec<&str> = parsed.options.init_args().collect();
//! assert_eq!(args, ["-c", "echo hi"]);
//! assert_eq!(parsed.problems().count(), 0);
//! ```
//!
//! # Syntax
//!
//! * Words are separated by runs of ASCII whitespace (space, tab, newline,
//!   carriage return, form feed).
//! * A `"` or `'` opens a quoted stretch that runs to the next quote of the
//!   same kind; whitespace inside it does not end the word, and the other
//!   kind of quote is an ordinary character there. A quote with no partner
//!   is [`Problem::UnterminatedQuote`] and the rest of the line is not
//!   applied.
//! * A word `name=value` splits at its first `=`. A value (and an argument of
//!   the init program) wholly enclosed in one pair of quotes loses them:
//!   `init="/bin/my prog"` names `/bin/my prog`. Quotes anywhere else are
//!   kept as written, because the parser never copies text.
//! * `init=PATH` ends option parsing: every later word is an argument of the
//!   init program (see [`Options::init_args`]).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

mod level;
mod named;
mod options;
mod parse;
mod parsed;
mod problem;
mod selftest;
mod words;

pub use level::LogLevel;
pub use options::{InitArgs, Options, WinSize};
pub use parse::parse;
pub use parsed::{Parsed, MAX_PROBLEMS};
pub use problem::Problem;
pub use selftest::SelfTest;
pub use words::{unquote, words, UnterminatedQuote, Words};
