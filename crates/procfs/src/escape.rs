//! Escapes and bitmap formats shared by several files.

use alloc::string::String;
use core::fmt::Write;

/// Appends `s` to `out`, writing every byte found in `set` as a backslash
/// and three octal digits (Linux's `mangle_path`/`seq_escape`).
pub(crate) fn push_octal_escaped(out: &mut String, s: &str, set: &[u8]) {
    for c in s.chars() {
        if c.is_ascii() && set.contains(&(c as u8)) {
            let _ = write!(out, "\\{:03o}", c as u32);
        } else {
            out.push(c);
        }
    }
}

/// A path or device name as `/proc/mounts` and `mountinfo` print it:
/// space, tab, newline and backslash become `\040`, `\011`, `\012`,
/// `\134`.
pub fn mangle(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_octal_escaped(&mut out, s, b" \t\n\\");
    out
}

/// A bitmap of `nbits` bits (at most 64) as Linux's `%*pb` prints it:
/// hexadecimal, most significant first, in 32-bit groups separated by
/// commas; each group has as many digits as its bits need (`3` for two
/// CPUs, `ff` for eight, `ffffffff,ffffffff` for 64).
pub fn hex_bitmap(mask: u64, nbits: u32) -> String {
    let nbits = nbits.clamp(1, 64);
    let mask = if nbits == 64 {
        mask
    } else {
        mask & ((1u64 << nbits) - 1)
    };
    let mut out = String::new();
    let groups = nbits.div_ceil(32);
    for g in (0..groups).rev() {
        let bits = core::cmp::min(32, nbits - g * 32);
        let digits = bits.div_ceil(4) as usize;
        let chunk = (mask >> (g * 32)) & 0xffff_ffff;
        if !out.is_empty() {
            out.push(',');
        }
        let _ = write!(out, "{chunk:0digits$x}");
    }
    out
}

/// A bitmap as Linux's `%*pbl` prints it: ascending ranges `0-1,3,5-7`
/// (empty for an empty mask).
pub fn cpu_list(mask: u64, nbits: u32) -> String {
    let nbits = nbits.min(64);
    let mut out = String::new();
    let mut bit = 0;
    while bit < nbits {
        if mask & (1u64 << bit) == 0 {
            bit += 1;
            continue;
        }
        let start = bit;
        while bit + 1 < nbits && mask & (1u64 << (bit + 1)) != 0 {
            bit += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == bit {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{bit}");
        }
        bit += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangle_escapes_the_four() {
        assert_eq!(mangle("a b\tc\nd\\e"), "a\\040b\\011c\\012d\\134e");
        assert_eq!(mangle("/plain/path"), "/plain/path");
    }

    #[test]
    fn bitmaps() {
        assert_eq!(hex_bitmap(3, 2), "3");
        assert_eq!(hex_bitmap(1, 8), "01");
        assert_eq!(hex_bitmap(0xff, 8), "ff");
        assert_eq!(hex_bitmap(1, 33), "0,00000001");
        assert_eq!(hex_bitmap(u64::MAX, 64), "ffffffff,ffffffff");
        assert_eq!(hex_bitmap(0xf, 2), "3");
    }

    #[test]
    fn lists() {
        assert_eq!(cpu_list(3, 2), "0-1");
        assert_eq!(cpu_list(0b1110_1011, 8), "0-1,3,5-7");
        assert_eq!(cpu_list(1, 1), "0");
        assert_eq!(cpu_list(0, 4), "");
        assert_eq!(cpu_list(u64::MAX, 64), "0-63");
    }
}
