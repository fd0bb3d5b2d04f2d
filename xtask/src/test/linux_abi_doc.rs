//! `docs/linux-abi.md` from the library OS's call table
//! (`libos/src/linux/table.rs`, included here with a `linux_calls!` of
//! our own): `cargo xtask linux-abi-doc` writes it, and the host test
//! `linux_abi_doc` fails when the file is not what the table gives.

use std::fmt::Write;

use crate::error::Result;
use crate::paths;

/// A call's support state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Full,
    Partial,
    Enosys,
}

/// One row of the table.
#[derive(Debug)]
pub struct Call {
    pub nr: u32,
    pub name: &'static str,
    /// Argument names.
    pub args: &'static [&'static str],
    pub state: State,
    /// What is missing (`partial`), or why not (`enosys`).
    pub note: Option<&'static str>,
}

/// The state named in a row.
macro_rules! state {
    (full) => {
        State::Full
    };
    (partial) => {
        State::Partial
    };
    (enosys) => {
        State::Enosys
    };
}

macro_rules! linux_calls {
    ($(
        $nr:literal $name:ident ($($an:ident: $ak:ident),*) $(-> $rk:ident)?
        $state:ident $(($note:expr))? $(=> $h:path)?;
    )*) => {
        /// Every row, in the table's order.
        pub const CALLS: &[Call] = &[$(Call {
            nr: $nr,
            name: stringify!($name),
            args: &[$(stringify!($an)),*],
            state: state!($state),
            note: {
                #[allow(unused_mut, unused_assignments)]
                let mut n = None;
                $(n = Some($note);)?
                n
            },
        },)*];

        /// The rows that name a handler.
        #[cfg_attr(not(test), allow(dead_code))]
        pub const HANDLED: &[&str] = &[$($(handled!($name, $h),)?)*];
    };
}

/// The name of a row with a handler (the handler itself is the library
/// OS's business).
macro_rules! handled {
    ($name:ident, $h:path) => {
        stringify!($name)
    };
}

include!("../../../libos/src/linux/table.rs");

/// The numbers Linux leaves unused on x86_64.
const GAP: std::ops::RangeInclusive<u32> = 335..=423;

/// The document: the prose head (`docs/tools/linux-abi-head.md`), then
/// one line per call and the totals.
pub fn generate() -> Result<String> {
    let head = std::fs::read_to_string(paths::root().join("docs/tools/linux-abi-head.md"))?;
    let mut out = String::new();
    out.push_str(head.trim_end());
    out.push_str("\n\n| nr | call | state | notes |\n|---:|---|---|---|\n");
    let mut counts = [0usize; 3];
    for c in CALLS {
        let state = match c.state {
            State::Full => "full",
            State::Partial => "partial",
            State::Enosys => "ENOSYS",
        };
        counts[c.state as usize] += 1;
        if c.nr == *GAP.end() + 1 {
            let _ = writeln!(
                out,
                "| {}–{} | (none on x86_64) | ENOSYS |  |",
                GAP.start(),
                GAP.end()
            );
        }
        let _ = writeln!(
            out,
            "| {} | `{}({})` | {} | {} |",
            c.nr,
            c.name,
            c.args.join(", "),
            state,
            c.note.unwrap_or("")
        );
    }
    let _ = writeln!(
        out,
        "\nIn all: {} full, {} partial, {} ENOSYS, of {} calls.",
        counts[0],
        counts[1],
        counts[2],
        CALLS.len()
    );
    Ok(out)
}

/// `cargo xtask linux-abi-doc`: writes `docs/linux-abi.md`.
pub fn write() -> Result<u8> {
    let path = paths::root().join("docs/linux-abi.md");
    std::fs::write(&path, generate()?)?;
    println!("wrote {}", paths::show(&path));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_abi_doc_is_generated_from_the_table() {
        let want = generate().unwrap();
        let have = std::fs::read_to_string(paths::root().join("docs/linux-abi.md")).unwrap();
        assert!(
            want == have,
            "docs/linux-abi.md is not what libos/src/linux/table.rs gives: \
             run `cargo xtask linux-abi-doc`"
        );
    }

    #[test]
    fn linux_abi_table_has_every_number_once_in_order() {
        let numbers: Vec<u32> = CALLS.iter().map(|c| c.nr).collect();
        let want: Vec<u32> = (0..=461).filter(|n| !GAP.contains(n)).collect();
        assert_eq!(numbers, want);
        let mut names: Vec<&str> = CALLS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CALLS.len(), "a name appears twice");
    }

    #[test]
    fn linux_abi_table_states_match_the_handlers() {
        for c in CALLS {
            let handled = HANDLED.contains(&c.name);
            assert_eq!(
                handled,
                c.state != State::Enosys,
                "{}: a handler exactly when implemented",
                c.name
            );
            if c.state == State::Partial {
                assert!(c.note.is_some(), "{}: partial without a note", c.name);
            }
            assert!(c.args.len() <= 6, "{}: more than six arguments", c.name);
        }
    }
}
