//! Host tests for the symbol table: build-then-parse round trips, lookup
//! edge cases, robustness against garbage, and a property test comparing
//! the binary-search lookup with a linear reference.

use ksyms::{build, strip_hash_suffix, Table, ENTRY_LEN, HEADER_LEN};
use proptest::prelude::*;

fn syms(list: &[(u64, u32, &str)]) -> Vec<(u64, u32, String)> {
    list.iter()
        .map(|&(a, s, n)| (a, s, n.to_string()))
        .collect()
}

#[test]
fn missing_magic_is_none() {
    assert!(Table::parse(&[]).is_none());
    assert!(Table::parse(&[0u8; 4096]).is_none());
    assert!(Table::parse(b"KSY").is_none());
}

#[test]
fn header_describing_too_much_is_none() {
    let mut bytes = build(&syms(&[(0x1000, 16, "a")]));
    bytes[4] = 2; // claim two entries
    assert!(Table::parse(&bytes).is_none());
    let mut bytes = build(&syms(&[(0x1000, 16, "a")]));
    bytes[8] = 200; // claim a longer strings blob
    assert!(Table::parse(&bytes).is_none());
}

#[test]
fn empty_table() {
    let bytes = build(&[]);
    assert_eq!(bytes.len(), HEADER_LEN);
    let t = Table::parse(&bytes).unwrap();
    assert!(t.is_empty());
    assert_eq!(t.lookup(0), None);
    assert_eq!(t.lookup(u64::MAX), None);
}

#[test]
fn trailing_zero_fill_is_ignored() {
    let mut bytes = build(&syms(&[(0x2000, 0x10, "kmain")]));
    bytes.resize(512 * 1024, 0);
    let t = Table::parse(&bytes).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t.lookup(0x2004), Some(("kmain", 4)));
}

#[test]
fn sized_lookup_respects_bounds() {
    let bytes = build(&syms(&[
        (0x3000, 0x20, "c"),
        (0x1000, 0x10, "a"),
        (0x2000, 0x100, "b"),
    ]));
    assert_eq!(bytes.len(), HEADER_LEN + 3 * ENTRY_LEN + 3);
    let t = Table::parse(&bytes).unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t.lookup(0xfff), None);
    assert_eq!(t.lookup(0x1000), Some(("a", 0)));
    assert_eq!(t.lookup(0x100f), Some(("a", 0xf)));
    assert_eq!(t.lookup(0x1010), None, "gap after a sized symbol");
    assert_eq!(t.lookup(0x20ff), Some(("b", 0xff)));
    assert_eq!(t.lookup(0x3020), None);
    let addrs: Vec<u64> = t.iter().map(|s| s.addr).collect();
    assert_eq!(addrs, [0x1000, 0x2000, 0x3000]);
}

#[test]
fn zero_size_extends_to_next_symbol() {
    let t_bytes = build(&syms(&[(0x1000, 0, "start"), (0x1800, 0, "end")]));
    let t = Table::parse(&t_bytes).unwrap();
    assert_eq!(t.lookup(0x17ff), Some(("start", 0x7ff)));
    assert_eq!(t.lookup(0x1800), Some(("end", 0)));
    assert_eq!(t.lookup(0xffff_ffff), Some(("end", 0xffff_ffff - 0x1800)));
}

#[test]
fn duplicate_addresses_keep_the_largest() {
    let bytes = build(&syms(&[
        (0x10, 0, "alias"),
        (0x10, 8, "real"),
        (0x10, 8, "late"),
    ]));
    let t = Table::parse(&bytes).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t.lookup(0x17), Some(("real", 7)));
}

#[test]
fn names_are_interned_and_hash_stripped() {
    let bytes = build(&syms(&[
        (0x10, 4, "kernel::arch::trap::h0123456789abcdef"),
        (0x20, 4, "core::fmt::write"),
        (0x30, 4, "core::fmt::write"),
    ]));
    let t = Table::parse(&bytes).unwrap();
    assert_eq!(t.lookup(0x11), Some(("kernel::arch::trap", 1)));
    let strings_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    assert_eq!(
        strings_len,
        "kernel::arch::trap".len() + "core::fmt::write".len()
    );
}

#[test]
fn strip_hash_suffix_only_strips_hashes() {
    assert_eq!(strip_hash_suffix("a::b::h0123456789abcdef"), "a::b");
    assert_eq!(strip_hash_suffix("a::b::hello"), "a::b::hello");
    assert_eq!(
        strip_hash_suffix("a::b::h0123456789abcdeg"),
        "a::b::h0123456789abcdeg"
    );
    assert_eq!(strip_hash_suffix("plain"), "plain");
}

#[test]
fn bad_name_offsets_give_none_not_panic() {
    let mut bytes = build(&syms(&[(0x10, 4, "abc")]));
    // name_off of entry 0 lives at HEADER_LEN + 12.
    bytes[HEADER_LEN + 12] = 0xff;
    let t = Table::parse(&bytes).unwrap();
    assert_eq!(t.lookup(0x10), None);
    assert_eq!(t.get(0).unwrap().name, None);
}

/// The reference semantics, written as plainly as possible.
fn linear_lookup(list: &[(u64, u32, String)], addr: u64) -> Option<(String, u64)> {
    // De-duplicate like the builder: per address the largest size, first wins.
    let mut dedup: Vec<(u64, u32, String)> = Vec::new();
    for (a, s, n) in list {
        match dedup.iter_mut().find(|e| e.0 == *a) {
            Some(e) if *s > e.1 => *e = (*a, *s, n.clone()),
            Some(_) => {}
            None => dedup.push((*a, *s, n.clone())),
        }
    }
    let best = dedup.iter().filter(|e| e.0 <= addr).max_by_key(|e| e.0)?;
    let next = dedup.iter().filter(|e| e.0 > best.0).map(|e| e.0).min();
    let inside = if best.1 == 0 {
        next.is_none_or(|n| addr < n)
    } else {
        addr - best.0 < u64::from(best.1)
    };
    inside.then(|| (best.2.clone(), addr - best.0))
}

proptest! {
    #[test]
    fn lookup_agrees_with_linear_reference(
        list in prop::collection::vec((0u64..0x4000, 0u32..0x200, "[a-z_:]{1,12}"), 0..40),
        probes in prop::collection::vec(0u64..0x4400, 1..64),
    ) {
        let bytes = build(&list);
        let table = Table::parse(&bytes).unwrap();
        for addr in probes.into_iter().chain(list.iter().map(|e| e.0)) {
            let got = table.lookup(addr).map(|(n, o)| (n.to_string(), o));
            prop_assert_eq!(got, linear_lookup(&list, addr), "addr {:#x}", addr);
        }
    }

    #[test]
    fn high_addresses_round_trip(
        list in prop::collection::vec((any::<u64>(), any::<u32>(), "[a-zA-Z0-9_:<>]{1,20}"), 0..30),
        probes in prop::collection::vec(any::<u64>(), 1..32),
    ) {
        let bytes = build(&list);
        let table = Table::parse(&bytes).unwrap();
        for addr in probes.into_iter().chain(list.iter().map(|e| e.0)) {
            let got = table.lookup(addr).map(|(n, o)| (n.to_string(), o));
            prop_assert_eq!(got, linear_lookup(&list, addr), "addr {:#x}", addr);
        }
    }

    #[test]
    fn garbage_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..512), addr in any::<u64>()) {
        if bytes.len() >= 4 {
            bytes[..4].copy_from_slice(b"KSYM");
        }
        if let Some(t) = Table::parse(&bytes) {
            let _ = t.lookup(addr);
            let _ = t.iter().count();
        }
    }
}
