//! Property tests: `elfload::parse` never panics on random bytes or on
//! random mutations of a valid file, and whatever it accepts satisfies
//! every promise of the crate documentation.

mod support;

use elfload::{parse, Program, MAX_SEGMENTS};
use proptest::prelude::*;
use support::*;

/// Checks every promise a parsed program makes.
fn check_invariants(p: &Program<'_>, user_min: u64, user_end: u64) {
    let segs = p.segments();
    assert!(!segs.is_empty() && segs.len() <= MAX_SEGMENTS);
    for (i, s) in segs.iter().enumerate() {
        assert!(s.mem_size > 0 && s.file_size <= s.mem_size);
        let end = s.vaddr.checked_add(s.mem_size).unwrap();
        assert!(s.vaddr >= user_min && end <= user_end);
        let file_end = s.file_offset.checked_add(s.file_size).unwrap();
        assert!(file_end <= p.data.len() as u64);
        assert_eq!(p.file_bytes(s).len() as u64, s.file_size);
        for t in &segs[i + 1..] {
            assert!(end <= t.vaddr || t.end() <= s.vaddr);
        }
    }
    assert!(segs.iter().any(|s| s.executable && s.contains(p.entry)));
}

/// One mutation of a file: overwrite bytes, truncate, or extend.
#[derive(Clone, Debug)]
enum Mutation {
    Write(usize, Vec<u8>),
    WriteU64(usize, u64),
    Truncate(usize),
    Extend(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Mostly inside the headers, where the interesting fields are.
    let at = prop_oneof![3 => 0usize..64 + 56 * 4, 1 => 0usize..0x3100];
    prop_oneof![
        (at.clone(), prop::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(a, v)| Mutation::Write(a, v)),
        (
            at,
            prop_oneof![
                any::<u64>(),
                Just(0u64),
                Just(u64::MAX),
                Just(USER_END),
                Just(USER_END - 1),
                0u64..0x5000,
                0x40_0000u64..0x40_6000,
            ]
        )
            .prop_map(|(a, v)| Mutation::WriteU64(a, v)),
        (0usize..0x3100).prop_map(Mutation::Truncate),
        (0usize..0x100).prop_map(Mutation::Extend),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Write(at, v) => {
            for (i, b) in v.iter().enumerate() {
                if let Some(x) = bytes.get_mut(at + i) {
                    *x = *b;
                }
            }
        }
        Mutation::WriteU64(at, v) => {
            for (i, b) in v.to_le_bytes().iter().enumerate() {
                if let Some(x) = bytes.get_mut(at + i) {
                    *x = *b;
                }
            }
        }
        Mutation::Truncate(len) => bytes.truncate(*len),
        Mutation::Extend(n) => bytes.extend(std::iter::repeat_n(0xa5, *n)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        min in any::<u64>(),
        end in any::<u64>(),
    ) {
        if let Ok(p) = parse(&bytes, min, end) {
            check_invariants(&p, min, end);
        }
    }

    #[test]
    fn random_bytes_behind_a_valid_ident_never_panic(
        tail in prop::collection::vec(any::<u8>(), 0..1024),
        phnum in 0u16..20,
    ) {
        // A correct identification and header, so parsing gets further.
        let mut bytes = elf(0, &[], 0);
        bytes[56..58].copy_from_slice(&phnum.to_le_bytes());
        bytes.extend_from_slice(&tail);
        if let Ok(p) = parse(&bytes, USER_MIN, USER_END) {
            check_invariants(&p, USER_MIN, USER_END);
        }
    }

    #[test]
    fn mutations_of_a_valid_file_never_panic(
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = typical();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if let Ok(p) = parse(&bytes, USER_MIN, USER_END) {
            check_invariants(&p, USER_MIN, USER_END);
        }
    }

    #[test]
    fn generated_layouts_parse_iff_they_are_valid(
        segs in prop::collection::vec(
            (0u64..0x20, 1u64..0x30, 0u64..0x30, any::<bool>(), any::<bool>()),
            1..6,
        ),
        entry_pick in any::<prop::sample::Index>(),
    ) {
        // Segments at page-ish positions (units of 0x100) with sizes that
        // may or may not overlap; compare against a direct model.
        let phdrs: Vec<Phdr> = segs
            .iter()
            .map(|&(page, mem, file, w, x)| {
                let file = file.min(mem);
                let flags = PF_R | if w { PF_W } else { 0 } | if x { PF_X } else { 0 };
                load(flags, 0x100, 0x40_0000 + page * 0x100, file * 8, mem * 8)
            })
            .collect();
        let entry_seg = &phdrs[entry_pick.index(phdrs.len())];
        let entry = entry_seg.vaddr;
        let bytes = elf(entry, &phdrs, 0x400);
        let overlap = phdrs.iter().enumerate().any(|(i, a)| {
            phdrs[i + 1..].iter().any(|b| a.vaddr < b.vaddr + b.memsz && b.vaddr < a.vaddr + a.memsz)
        });
        let entry_ok = phdrs
            .iter()
            .any(|p| p.flags & PF_X != 0 && p.vaddr <= entry && entry < p.vaddr + p.memsz);
        match parse(&bytes, USER_MIN, USER_END) {
            Ok(p) => {
                prop_assert!(!overlap && entry_ok);
                prop_assert_eq!(p.segments().len(), phdrs.len());
                check_invariants(&p, USER_MIN, USER_END);
            }
            Err(e) => prop_assert!(
                (overlap && e == elfload::ElfError::Overlap)
                    || (!overlap && !entry_ok && e == elfload::ElfError::EntryNotExecutable),
                "{e:?}"
            ),
        }
    }
}
