//! [`Parsed`]: the result of parsing, with a fixed-capacity problem list so
//! that parsing needs no allocator.

use crate::{Options, Problem};

/// How many problems a [`Parsed`] keeps; later ones are only counted.
pub const MAX_PROBLEMS: usize = 8;

/// The options a line selects and the problems found on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The options, with every word that had a problem left unapplied.
    pub options: Options<'a>,
    /// The first `kept` entries are real; the rest are filler.
    problems: [Problem<'a>; MAX_PROBLEMS],
    kept: usize,
    dropped: usize,
}

impl<'a> Parsed<'a> {
    /// Default options and no problems.
    pub(crate) const fn new() -> Self {
        Self {
            options: Options::DEFAULT,
            problems: [Problem::UnterminatedQuote; MAX_PROBLEMS],
            kept: 0,
            dropped: 0,
        }
    }

    /// Records a problem, or counts it if the list is full.
    pub(crate) fn report(&mut self, problem: Problem<'a>) {
        match self.problems.get_mut(self.kept) {
            Some(slot) => {
                *slot = problem;
                self.kept += 1;
            }
            None => self.dropped = self.dropped.saturating_add(1),
        }
    }

    /// The problems found, in the order of the words that caused them (at
    /// most [`MAX_PROBLEMS`]).
    pub fn problems(&self) -> impl ExactSizeIterator<Item = &Problem<'a>> + '_ {
        self.problems[..self.kept].iter()
    }

    /// How many further problems were found after the list was full.
    pub fn dropped_problems(&self) -> usize {
        self.dropped
    }

    /// True when the line had no problem at all.
    pub fn is_clean(&self) -> bool {
        self.kept == 0 && self.dropped == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_problems_and_counts_the_rest() {
        let mut p = Parsed::new();
        assert!(p.is_clean());
        for _ in 0..MAX_PROBLEMS + 3 {
            p.report(Problem::Unknown { option: "x" });
        }
        assert_eq!(p.problems().len(), MAX_PROBLEMS);
        assert_eq!(p.dropped_problems(), 3);
        assert!(!p.is_clean());
    }
}
