//! The tokenizer: splits a line into words at ASCII whitespace, keeping
//! quoted stretches (`"…"` or `'…'`) together, and strips one enclosing
//! pair of quotes. It is the one tokenizer of the command line: the
//! kernel, the runtime's `StartArgs` and the system server (for the init
//! program's words) all use it.

use core::iter::FusedIterator;

/// A word whose opening quote is never closed. Such a word runs to the end of
/// the line, so it is always the last item [`Words`] yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnterminatedQuote<'a> {
    /// The raw text of the word, from its first byte to the end of the line.
    pub text: &'a str,
}

/// Splits `line` into raw words (quotes still in them).
///
/// ```
/// let w: Vec<_> = cmdline::words(" a\t\"b c\"  d=\"e\"\n").collect();
/// assert_eq!(w, [Ok("a"), Ok("\"b c\""), Ok("d=\"e\"")]);
/// ```
pub fn words(line: &str) -> Words<'_> {
    Words { rest: line }
}

/// Iterator returned by [`words`].
#[derive(Debug, Clone)]
pub struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    /// The part of the line not yet split, starting right after the last word
    /// returned (leading whitespace included).
    pub fn rest(&self) -> &'a str {
        self.rest
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = Result<&'a str, UnterminatedQuote<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.rest.as_bytes();
        let Some(start) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
            self.rest = "";
            return None;
        };
        // The quote character of the stretch we are in, if any: a `"`
        // inside `'…'` is an ordinary byte, and the reverse.
        let mut quote: Option<u8> = None;
        let mut end = bytes.len();
        for (i, &b) in bytes.iter().enumerate().skip(start) {
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'"' || b == b'\'' => quote = Some(b),
                None if b.is_ascii_whitespace() => {
                    end = i;
                    break;
                }
                None => {}
            }
        }
        let in_quote = quote.is_some();
        // `start` and `end` sit on ASCII bytes (or the end), which are always
        // char boundaries in UTF-8, so these slices cannot fail.
        let word = &self.rest[start..end];
        self.rest = &self.rest[end..];
        Some(if in_quote {
            Err(UnterminatedQuote { text: word })
        } else {
            Ok(word)
        })
    }
}

impl FusedIterator for Words<'_> {}

/// Removes one pair of quotes (`"` or `'`) enclosing the whole of `text`,
/// if that quote character appears nowhere else in it; otherwise returns
/// `text` unchanged.
///
/// ```
/// assert_eq!(cmdline::unquote("\"a b\""), "a b");
/// assert_eq!(cmdline::unquote("'echo \"hi\"; exit 3'"), "echo \"hi\"; exit 3");
/// assert_eq!(cmdline::unquote("\"\""), "");
/// assert_eq!(cmdline::unquote("x=\"a b\""), "x=\"a b\"");
/// assert_eq!(cmdline::unquote("plain"), "plain");
/// ```
pub fn unquote(text: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            if !inner.contains(q) {
                return inner;
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn all(line: &str) -> Vec<Result<&str, UnterminatedQuote<'_>>> {
        words(line).collect()
    }

    #[test]
    fn empty_and_blank_lines_have_no_words() {
        assert!(all("").is_empty());
        assert!(all(" \t\r\n\x0c ").is_empty());
    }

    #[test]
    fn whitespace_runs_of_every_kind_separate_words() {
        assert_eq!(
            all("a  b\t\tc\r\nd\x0ce"),
            [Ok("a"), Ok("b"), Ok("c"), Ok("d"), Ok("e")]
        );
    }

    #[test]
    fn quotes_keep_whitespace_inside_a_word() {
        assert_eq!(
            all("x=\"a b\" \"c\td\"e"),
            [Ok("x=\"a b\""), Ok("\"c\td\"e")]
        );
    }

    #[test]
    fn single_quotes_group_too_and_each_kind_hides_the_other() {
        assert_eq!(
            all("init=/bin/sh -c 'echo a; exit 3' x"),
            [
                Ok("init=/bin/sh"),
                Ok("-c"),
                Ok("'echo a; exit 3'"),
                Ok("x")
            ]
        );
        assert_eq!(all("'a \"b' c"), [Ok("'a \"b'"), Ok("c")]);
        assert_eq!(all("\"it's here\" d"), [Ok("\"it's here\""), Ok("d")]);
        assert_eq!(unquote("'a \"b'"), "a \"b");
        assert_eq!(unquote("'a'b'"), "'a'b'");
        assert_eq!(
            all("x 'open"),
            [Ok("x"), Err(UnterminatedQuote { text: "'open" })]
        );
    }

    #[test]
    fn unterminated_quote_takes_the_rest_of_the_line() {
        assert_eq!(
            all("a \"b c d"),
            [Ok("a"), Err(UnterminatedQuote { text: "\"b c d" })]
        );
    }

    #[test]
    fn rest_is_what_follows_the_last_word() {
        let mut w = words("a b  c");
        assert_eq!(w.next(), Some(Ok("a")));
        assert_eq!(w.rest(), " b  c");
        w.by_ref().count();
        assert_eq!(w.rest(), "");
        assert_eq!(w.next(), None);
    }

    #[test]
    fn non_ascii_text_is_kept_whole() {
        assert_eq!(all("é\u{a0}x ü"), [Ok("é\u{a0}x"), Ok("ü")]);
    }

    #[test]
    fn unquote_only_strips_a_single_enclosing_pair() {
        assert_eq!(unquote("\"a\""), "a");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote("\"a\"b\""), "\"a\"b\"");
        assert_eq!(unquote("a\"b\""), "a\"b\"");
    }
}
