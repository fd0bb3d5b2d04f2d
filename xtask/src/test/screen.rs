//! What a person sees on a terminal, for the session tests: output bytes
//! rendered into lines as a terminal would (carriage return, backspace,
//! erase-in-line, cursor moves within the line, auto-wrap), and the answers
//! a terminal gives to the cursor-position query `ESC[6n` (`ESC[row;colR`).

/// The escape-sequence parser's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Esc {
    /// Plain text.
    None,
    /// After ESC.
    Escape,
    /// Inside a CSI sequence (`ESC [` parameters, final byte).
    Csi,
}

/// A terminal of `rows` by `cols` characters, rendered into lines.
#[derive(Clone, Debug)]
pub struct Screen {
    rows: u16,
    cols: u16,
    /// Lines ended by a newline (or by wrapping).
    done: Vec<String>,
    /// The line the cursor is on.
    line: Vec<char>,
    /// The cursor's column (0-based).
    col: usize,
    esc: Esc,
    params: String,
    /// Bytes of an incomplete UTF-8 character.
    partial: Vec<u8>,
    /// How many cursor-position queries were answered.
    pub queries: usize,
}

impl Screen {
    /// An empty screen of `rows` by `cols`.
    pub fn new(rows: u16, cols: u16) -> Screen {
        Screen {
            rows,
            cols,
            done: Vec::new(),
            line: Vec::new(),
            col: 0,
            esc: Esc::None,
            params: String::new(),
            partial: Vec::new(),
            queries: 0,
        }
    }

    /// Renders `bytes`; returns what the terminal answers (cursor
    /// positions), to be typed back.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut answer = Vec::new();
        for &b in bytes {
            match self.esc {
                Esc::None => self.plain(b),
                Esc::Escape => {
                    self.esc = if b == b'[' { Esc::Csi } else { Esc::None };
                    self.params.clear();
                }
                Esc::Csi if (0x30..=0x3f).contains(&b) || (0x20..=0x2f).contains(&b) => {
                    self.params.push(b as char);
                }
                Esc::Csi => {
                    self.esc = Esc::None;
                    self.csi(b, &mut answer);
                }
            }
        }
        answer
    }

    fn plain(&mut self, b: u8) {
        match b {
            0x1b => self.esc = Esc::Escape,
            b'\r' => self.col = 0,
            b'\n' => self.newline(),
            0x08 => self.col = self.col.saturating_sub(1),
            b'\t' => self.col = (self.col / 8 + 1) * 8,
            0x07 | 0x00 => {}
            b if b < 0x20 || b == 0x7f => {}
            b => {
                self.partial.push(b);
                match std::str::from_utf8(&self.partial) {
                    Ok(s) => {
                        let c = s.chars().next().unwrap_or('?');
                        self.partial.clear();
                        self.put(c);
                    }
                    Err(e) if e.error_len().is_some() || self.partial.len() >= 4 => {
                        self.partial.clear();
                        self.put('\u{fffd}');
                    }
                    Err(_) => {}
                }
            }
        }
    }

    fn put(&mut self, c: char) {
        if self.col >= usize::from(self.cols) {
            self.newline();
            self.col = 0;
        }
        while self.line.len() < self.col {
            self.line.push(' ');
        }
        if self.col < self.line.len() {
            self.line[self.col] = c;
        } else {
            self.line.push(c);
        }
        self.col += 1;
    }

    fn newline(&mut self) {
        let text: String = self.line.drain(..).collect();
        self.done.push(text.trim_end().to_string());
        // A terminal's line feed keeps the column; output here always
        // comes with carriage returns, and a new line starts empty.
        self.col = 0;
    }

    fn csi(&mut self, fin: u8, answer: &mut Vec<u8>) {
        let n = |p: &str| p.parse::<usize>().unwrap_or(1).max(1);
        let first = self.params.split(';').next().unwrap_or("").to_string();
        match fin {
            b'n' if self.params == "6" => {
                self.queries += 1;
                let (row, col) = self.cursor();
                answer.extend_from_slice(format!("\x1b[{row};{col}R").as_bytes());
            }
            b'K' => match first.as_str() {
                "" | "0" => self.line.truncate(self.col),
                "1" => {
                    for c in self.line.iter_mut().take(self.col + 1) {
                        *c = ' ';
                    }
                }
                _ => self.line.clear(),
            },
            b'C' => self.col = (self.col + n(&first)).min(usize::from(self.cols) - 1),
            b'D' => self.col = self.col.saturating_sub(n(&first)),
            b'G' => self.col = n(&first) - 1,
            b'J' if first == "2" => self.line.clear(),
            _ => {}
        }
    }

    /// The cursor's position as a terminal reports it (1-based row and
    /// column; the row is the bottom one once the screen has scrolled).
    pub fn cursor(&self) -> (usize, usize) {
        let row = (self.done.len() + 1).min(usize::from(self.rows.max(1)));
        (row, self.col + 1)
    }

    /// Lines ended so far.
    pub fn lines(&self) -> &[String] {
        &self.done
    }

    /// The line the cursor is on, as shown.
    pub fn current(&self) -> String {
        let s: String = self.line.iter().collect();
        s.trim_end_matches(' ').to_string()
    }

    /// The line the cursor is on, with trailing blanks kept.
    pub fn current_raw(&self) -> String {
        self.line.iter().collect()
    }

    /// Every line, the current one last.
    pub fn all_lines(&self) -> Vec<String> {
        let mut v = self.done.clone();
        v.push(self.current());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_render_as_a_terminal_shows_them() {
        let mut s = Screen::new(24, 80);
        assert!(s.feed(b"hello\r\nwor").is_empty());
        assert_eq!(s.lines(), ["hello"]);
        assert_eq!(s.current(), "wor");
        s.feed(b"\x08\x08X\x1b[K\r\n");
        assert_eq!(s.lines(), ["hello", "wX"]);
        s.feed(b"/ # ech\x1b[1;32mo\x1b[0m hi\r/ # echo hi!\r\n");
        assert_eq!(s.lines()[2], "/ # echo hi!");
        s.feed(b"abc\x1b[2Dz\x1b[1Cq");
        assert_eq!(s.current(), "azcq");
        s.feed("é\r\n".as_bytes());
        assert_eq!(s.lines()[3], "azcqé");
    }

    #[test]
    fn cursor_queries_get_the_position() {
        let mut s = Screen::new(3, 80);
        let a = s.feed(b"x\r\n/ # \x1b[6n");
        assert_eq!(a, b"\x1b[2;5R");
        assert_eq!(s.queries, 1);
        s.feed(b"\r\n\r\n\r\n");
        assert_eq!(
            s.feed(b"\x1b[6n"),
            b"\x1b[3;1R",
            "the bottom row once scrolled"
        );
        // A query split across reads.
        assert!(s.feed(b"ab\x1b[").is_empty());
        assert_eq!(s.feed(b"6n"), b"\x1b[3;3R");
    }

    #[test]
    fn long_lines_wrap() {
        let mut s = Screen::new(24, 4);
        s.feed(b"abcdef");
        assert_eq!(s.lines(), ["abcd"]);
        assert_eq!(s.current(), "ef");
    }
}
