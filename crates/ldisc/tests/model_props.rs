//! The line discipline against a simple model of the edited line: random
//! typed bytes (letters, CR, LF, erase, backspace, kill, end of file and
//! the signal characters) under random settings (ICANON, ECHO, ECHOCTL,
//! ISIG, NOFLSH, ICRNL, IGNCR), then reads. The model keeps the line and
//! the ready bytes as strings and applies each key's meaning directly.
//! Also: the flag bits and control-character indices are Linux's (libc's).

use ldisc::*;
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Flags {
    canon: bool,
    echo: bool,
    echoctl: bool,
    isig: bool,
    noflsh: bool,
    icrnl: bool,
    igncr: bool,
}

fn termios(f: Flags) -> Termios {
    let mut t = Termios::sane();
    let mut i = 0u32;
    i |= if f.icrnl { ICRNL } else { 0 } | if f.igncr { IGNCR } else { 0 };
    let mut l = 0x8a3b & !(ICANON | ECHO | ECHOCTL | ISIG | NOFLSH);
    l |= if f.canon { ICANON } else { 0 };
    l |= if f.echo { ECHO } else { 0 };
    l |= if f.echoctl { ECHOCTL } else { 0 };
    l |= if f.isig { ISIG } else { 0 };
    l |= if f.noflsh { NOFLSH } else { 0 };
    t.0[0..4].copy_from_slice(&i.to_le_bytes());
    t.0[12..16].copy_from_slice(&l.to_le_bytes());
    t
}

#[derive(Default, Debug)]
struct Model {
    line: String,
    ready: String,
    eofs: usize,
    echo: Vec<u8>,
    signals: Vec<u64>,
}

impl Model {
    fn key(&mut self, f: Flags, b: u8) {
        let c = match b {
            b'\r' if f.igncr => return,
            b'\r' if f.icrnl => '\n',
            _ => b as char,
        };
        let sig = match c {
            '\x03' => Some(SIGINT),
            '\x1c' => Some(SIGQUIT),
            '\x1a' => Some(SIGTSTP),
            _ => None,
        };
        if let (true, Some(sig)) = (f.isig, sig) {
            if f.echo {
                if f.echoctl {
                    self.echo.extend([b'^', (c as u8) + b'@']);
                } else {
                    self.echo.push(c as u8);
                }
            }
            if !f.noflsh {
                self.line.clear();
                self.ready.clear();
            }
            self.signals.push(sig);
            return;
        }
        let echo = |m: &mut Model, s: &[u8]| {
            if f.echo {
                m.echo.extend_from_slice(s);
            }
        };
        if !f.canon {
            self.ready.push(c);
            echo(self, &[c as u8]);
            return;
        }
        match c {
            '\x7f' | '\x08' => {
                if self.line.pop().is_some() {
                    echo(self, b"\x08 \x08");
                }
            }
            '\x15' => {
                let n = self.line.len();
                echo(self, &b"\x08 \x08".repeat(n));
                self.line.clear();
            }
            '\x04' if self.line.is_empty() => self.eofs += 1,
            '\x04' => self.ready += &std::mem::take(&mut self.line),
            '\n' => {
                self.line.push('\n');
                echo(self, b"\n");
                self.ready += &std::mem::take(&mut self.line);
            }
            c => {
                self.line.push(c);
                echo(self, &[c as u8]);
            }
        }
    }
}

fn key() -> impl Strategy<Value = u8> {
    prop_oneof![
        8 => prop_oneof![Just(b'a'), Just(b'b'), Just(b' ')],
        2 => Just(b'\n'),
        1 => Just(b'\r'),
        2 => Just(0x7f),
        1 => Just(8),
        1 => Just(0x15),
        1 => Just(4),
        1 => prop_oneof![Just(3), Just(0x1c), Just(0x1a)],
    ]
}

fn flags() -> impl Strategy<Value = Flags> {
    (any::<[bool; 7]>(), any::<bool>()).prop_map(|(b, cooked)| {
        if cooked {
            Flags {
                canon: true,
                echo: true,
                echoctl: true,
                isig: true,
                noflsh: false,
                icrnl: true,
                igncr: false,
            }
        } else {
            Flags {
                canon: b[0],
                echo: b[1],
                echoctl: b[2],
                isig: b[3],
                noflsh: b[4],
                icrnl: b[5],
                igncr: b[6],
            }
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn discipline_matches_model(
        f in flags(),
        chunks in proptest::collection::vec(proptest::collection::vec(key(), 0..12), 1..6),
        reads in proptest::collection::vec(1usize..8, 0..6),
    ) {
        let t = termios(f);
        let mut ld = Ldisc::new();
        let mut m = Model::default();
        let mut echoed = Vec::new();
        let mut signals = Vec::new();
        for c in &chunks {
            signals.extend(ld.input(&t, c, &mut |b: &[u8]| echoed.extend_from_slice(b)));
            for &b in c {
                m.key(f, b);
            }
            prop_assert_eq!(ld.line(), m.line.as_bytes());
            prop_assert_eq!(ld.ready_len(), m.ready.len());
            prop_assert!(!ld.line().contains(&b'\n'));
        }
        prop_assert_eq!(&echoed, &m.echo);
        prop_assert_eq!(&signals, &m.signals);
        prop_assert_eq!(ld.readable(true), !m.ready.is_empty() || m.eofs > 0);
        // Reads: canonical ones stop after a newline; then the end-of-file
        // marks, one empty read each; then nothing (would block).
        let mut ready = m.ready.clone().into_bytes();
        for len in reads {
            let got = ld.take(len, f.canon, true);
            if ready.is_empty() {
                if m.eofs > 0 {
                    m.eofs -= 1;
                    prop_assert_eq!(got, Some(Vec::new()));
                } else {
                    prop_assert_eq!(got, None);
                }
                continue;
            }
            let mut n = len.min(ready.len());
            if f.canon {
                if let Some(nl) = ready[..n].iter().position(|&b| b == b'\n') {
                    n = nl + 1;
                }
            }
            let want: Vec<u8> = ready.drain(..n).collect();
            prop_assert_eq!(got, Some(want));
        }
        // Without a reader, a read is an end of file.
        let mut empty = Ldisc::new();
        prop_assert_eq!(empty.take(4, f.canon, false), Some(Vec::new()));
        prop_assert!(empty.readable(false));
    }

    #[test]
    fn leaving_canonical_mode_releases_the_line(keys in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b')], 0..10)) {
        let cooked = Termios::sane();
        let mut ld = Ldisc::new();
        ld.input(&cooked, &keys, &mut |_: &[u8]| {});
        prop_assert_eq!(ld.ready_len(), 0);
        let raw = termios(Flags { canon: false, echo: false, echoctl: false, isig: false, noflsh: false, icrnl: false, igncr: false });
        ld.settings_changed(&raw);
        prop_assert_eq!(ld.ready_len(), keys.len());
        prop_assert_eq!(ld.take(64, false, true).unwrap_or_default(), keys);
    }
}

#[test]
fn bits_and_indices_are_linux() {
    assert_eq!(IGNCR, libc::IGNCR);
    assert_eq!(ICRNL, libc::ICRNL);
    assert_eq!(OPOST, libc::OPOST);
    assert_eq!(ONLCR, libc::ONLCR);
    assert_eq!(ISIG, libc::ISIG);
    assert_eq!(ICANON, libc::ICANON);
    assert_eq!(ECHO, libc::ECHO);
    assert_eq!(NOFLSH, libc::NOFLSH);
    assert_eq!(TOSTOP, libc::TOSTOP);
    assert_eq!(ECHOCTL, libc::ECHOCTL);
    assert_eq!(VINTR, libc::VINTR);
    assert_eq!(VQUIT, libc::VQUIT);
    assert_eq!(VERASE, libc::VERASE);
    assert_eq!(VKILL, libc::VKILL);
    assert_eq!(VEOF, libc::VEOF);
    assert_eq!(VSUSP, libc::VSUSP);
    // The kernel's termios (asm-generic/termbits.h): four flag words,
    // c_line, 19 control characters.
    assert_eq!(std::mem::size_of::<Termios>(), 36);
    assert_eq!(libc::NCCS, 32); // glibc's is larger; the kernel's is 19
    let t = Termios::sane();
    assert!(t.canonical() && t.onlcr() && !t.tostop());
    assert_eq!(t.cc(VINTR), 3);
    assert_eq!(t.cc(VERASE), 0x7f);
    assert_eq!(t.cc(VSUSP), 0x1a);
    let wanted = libc::ICANON
        | libc::ECHO
        | libc::ECHOE
        | libc::ECHOK
        | libc::ECHOCTL
        | libc::ECHOKE
        | libc::ISIG
        | libc::IEXTEN;
    assert_eq!(t.lflag(), wanted);
    assert_eq!(t.iflag(), libc::ICRNL);
    assert_eq!(t.oflag(), libc::OPOST | libc::ONLCR);
}

#[test]
fn cooked_editing_echoes_like_linux() {
    let t = Termios::sane();
    let mut ld = Ldisc::new();
    let mut out = Vec::new();
    let sigs = ld.input(&t, b"ab\x7fc\rx\x15y\x03", &mut |b: &[u8]| {
        out.extend_from_slice(b)
    });
    assert_eq!(sigs, [SIGINT]);
    assert_eq!(out, b"ab\x08 \x08c\nx\x08 \x08y^C");
    // ^C flushed everything (no NOFLSH).
    assert_eq!(ld.ready_len(), 0);
    ld.input(&t, b"hi\n\x04", &mut |_: &[u8]| {});
    assert_eq!(ld.take(10, true, true), Some(b"hi\n".to_vec()));
    assert_eq!(ld.take(10, true, true), Some(Vec::new()));
    assert_eq!(ld.take(10, true, true), None);
}
