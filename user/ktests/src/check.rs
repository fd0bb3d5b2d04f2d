//! Checks for the user-space tests: each failed check prints
//! `utest NAME: FAIL <why>` once and returns [`Failed`], which the test
//! passes up with `?`.

use core::fmt::{self, Debug};

use abi::Error;
use exo_rt::println;

/// A check failed (and said so).
#[derive(Debug)]
pub struct Failed;

/// The outcome of a test.
pub type Outcome = Result<(), Failed>;

/// The running test.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// Its name, as in `utest=NAME`.
    pub name: &'static str,
}

impl Ctx {
    /// Prints an informational line `utest NAME: ...`.
    pub fn note(&self, what: fmt::Arguments<'_>) {
        println!("utest {}: {}", self.name, what);
    }

    /// Prints `utest NAME: FAIL <why>`.
    pub fn fail(&self, why: fmt::Arguments<'_>) -> Failed {
        println!("utest {}: FAIL {}", self.name, why);
        Failed
    }

    /// Fails with `what` unless `cond`.
    pub fn check(&self, cond: bool, what: fmt::Arguments<'_>) -> Outcome {
        if cond {
            Ok(())
        } else {
            Err(self.fail(what))
        }
    }

    /// The value of `r`, or a failure naming `what` and the error.
    pub fn ok<T>(&self, what: &str, r: Result<T, Error>) -> Result<T, Failed> {
        r.map_err(|e| self.fail(format_args!("{what}: error {e:?} ({e})")))
    }

    /// Fails unless `r` is exactly the error `want`.
    pub fn err<T: Debug>(&self, what: &str, r: Result<T, Error>, want: Error) -> Outcome {
        match r {
            Err(e) if e == want => Ok(()),
            Err(e) => Err(self.fail(format_args!("{what}: got {e:?}, expected {want:?}"))),
            Ok(v) => Err(self.fail(format_args!("{what}: succeeded ({v:?}), expected {want:?}"))),
        }
    }

    /// Fails unless `r` is one of the errors in `want`.
    pub fn err_any<T: Debug>(&self, what: &str, r: Result<T, Error>, want: &[Error]) -> Outcome {
        match r {
            Err(e) if want.contains(&e) => Ok(()),
            Err(e) => Err(self.fail(format_args!("{what}: got {e:?}, expected one of {want:?}"))),
            Ok(v) => Err(self.fail(format_args!(
                "{what}: succeeded ({v:?}), expected one of {want:?}"
            ))),
        }
    }
}
