//! Host tests for the newc reader and writer: round trips, path lookup,
//! layout and padding, every error kind, and property tests (round trip of
//! random trees; random or corrupted bytes never panic).

use cpio::{Archive, Builder, CpioError, Entry, ErrorKind, Metadata, HEADER_LEN};
use proptest::prelude::*;

fn sample() -> Vec<u8> {
    let mut b = Builder::new().with_mtime(1_700_000_000);
    b.add_dir("/etc", 0o755).unwrap();
    b.add_file("/etc/motd", 0o644, b"Welcome to ExoV6\n")
        .unwrap();
    b.add_dir("bin", 0o755).unwrap();
    b.add_file("./bin/hello", 0o755, &[0x7f, b'E', b'L', b'F', 1, 2, 3])
        .unwrap();
    b.add_symlink("/bin/hi", "hello").unwrap();
    b.add_file("/empty", 0o600, b"").unwrap();
    b.finish()
}

fn collect(bytes: &[u8]) -> Result<Vec<Entry<'_>>, CpioError> {
    Archive::new(bytes).entries().collect()
}

#[test]
fn round_trip_names_modes_and_data() {
    let bytes = sample();
    let entries = collect(&bytes).unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        ["etc", "etc/motd", "bin", "bin/hello", "bin/hi", "empty"]
    );

    let etc = &entries[0];
    assert!(etc.is_dir() && !etc.is_file() && !etc.is_symlink());
    assert_eq!(etc.mode, 0o040_755);
    assert_eq!(etc.nlink, 2);

    let motd = &entries[1];
    assert!(motd.is_file());
    assert_eq!(motd.permissions(), 0o644);
    assert_eq!(motd.data, b"Welcome to ExoV6\n");
    assert_eq!(motd.mtime, 1_700_000_000);
    assert_eq!((motd.uid, motd.gid, motd.nlink), (0, 0, 1));

    let link = &entries[4];
    assert!(link.is_symlink());
    assert_eq!(link.symlink_target(), Some("hello"));
    assert_eq!(link.mode, 0o120_777);

    assert!(entries[5].data.is_empty());
    let inos: Vec<u32> = entries.iter().map(|e| e.ino).collect();
    assert_eq!(inos, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn find_ignores_leading_slash_and_dot() {
    let bytes = sample();
    let a = Archive::new(&bytes);
    for p in [
        "/etc/motd",
        "./etc/motd",
        "etc/motd",
        "//etc/motd",
        "etc/motd/",
    ] {
        assert_eq!(a.find(p).unwrap().data, b"Welcome to ExoV6\n", "{p}");
    }
    assert!(a.find("/etc").unwrap().is_dir());
    assert!(a.find("/etc/passwd").is_none());
    assert!(a.find("/TRAILER!!!").is_none());
}

#[test]
fn layout_is_padded_to_four_bytes() {
    let bytes = sample();
    assert_eq!(bytes.len() % 4, 0);
    for e in Archive::new(&bytes).entries() {
        let e = e.unwrap();
        assert_eq!(e.offset % 4, 0, "{}", e.name);
        assert_eq!(&bytes[e.offset..e.offset + 6], b"070701");
    }
    // The trailer is the last member: header, "TRAILER!!!\0", pad to 4.
    let trailer_len = (HEADER_LEN + 11 + 3) & !3;
    let tail = &bytes[bytes.len() - trailer_len..];
    assert!(tail.starts_with(b"070701"));
    assert_eq!(&tail[HEADER_LEN..HEADER_LEN + 11], b"TRAILER!!!\0");
}

#[test]
fn empty_archive_has_only_a_trailer() {
    let bytes = Builder::new().finish();
    assert_eq!(collect(&bytes).unwrap().len(), 0);
}

#[test]
fn nothing_after_the_trailer_is_read() {
    let mut bytes = sample();
    bytes.extend_from_slice(&[0u8; 512]);
    bytes.extend_from_slice(b"garbage after the trailer");
    assert_eq!(collect(&bytes).unwrap().len(), 6);
}

#[test]
fn accepts_crc_magic() {
    let mut bytes = sample();
    bytes[5] = b'2';
    let first = Archive::new(&bytes).entries().next().unwrap().unwrap();
    assert_eq!(first.name, "etc");
}

#[test]
fn lower_case_hex_is_accepted() {
    let mut b = Builder::new();
    b.add_file("f", 0o644, &[0u8; 0xab]).unwrap();
    let mut bytes = b.finish();
    for c in &mut bytes[6..HEADER_LEN] {
        c.make_ascii_lowercase();
    }
    assert_eq!(collect(&bytes).unwrap()[0].data.len(), 0xab);
}

#[test]
fn builder_rejects_bad_names() {
    let mut b = Builder::new();
    assert_eq!(b.add_file("/", 0o644, b""), Err(cpio::BuildError::BadName));
    assert_eq!(
        b.add_file("a\0b", 0o644, b""),
        Err(cpio::BuildError::BadName)
    );
    assert_eq!(
        b.add_file("TRAILER!!!", 0o644, b""),
        Err(cpio::BuildError::BadName)
    );
}

#[test]
fn add_writes_exact_fields() {
    let meta = Metadata {
        ino: 0x1234,
        mode: 0o020_600,
        uid: 1000,
        gid: 100,
        nlink: 3,
        mtime: 42,
        dev_major: 8,
        dev_minor: 1,
        rdev_major: 4,
        rdev_minor: 64,
        check: 0,
    };
    let mut b = Builder::new();
    b.add("dev/tty0", meta, b"").unwrap();
    let bytes = b.finish();
    let e = collect(&bytes).unwrap()[0];
    assert_eq!(e.metadata(), meta);
    assert!(!e.is_file() && !e.is_dir() && !e.is_symlink());
}

fn first_error(bytes: &[u8]) -> CpioError {
    Archive::new(bytes)
        .entries()
        .find_map(Result::err)
        .expect("expected an error")
}

#[test]
fn errors_carry_kind_and_offset() {
    let good = sample();
    let second = collect(&good).unwrap()[1].offset;

    // Bad magic in the second header.
    let mut bad = good.clone();
    bad[second] = b'1';
    assert_eq!(
        first_error(&bad),
        CpioError {
            offset: second,
            kind: ErrorKind::BadMagic
        }
    );

    // Bad hex in the mode field of the second header (field 1 at +14).
    let mut bad = good.clone();
    bad[second + 14] = b'g';
    assert_eq!(
        first_error(&bad),
        CpioError {
            offset: second + 14,
            kind: ErrorKind::BadHex
        }
    );

    // Truncated inside a header, and at a member boundary (no trailer).
    assert_eq!(first_error(&good[..second + 50]).kind, ErrorKind::Truncated);
    assert_eq!(first_error(&good[..second]).kind, ErrorKind::Truncated);
    assert_eq!(first_error(&[]).kind, ErrorKind::Truncated);

    // Data running past the end: cut inside /etc/motd's data.
    assert_eq!(
        first_error(&good[..second + HEADER_LEN + 12]),
        CpioError {
            offset: second,
            kind: ErrorKind::DataPastEnd
        }
    );

    // Name not NUL-terminated: overwrite the NUL after "etc/motd".
    let mut bad = good.clone();
    bad[second + HEADER_LEN + 8] = b'x';
    assert_eq!(first_error(&bad).kind, ErrorKind::NameNotTerminated);

    // namesize 0.
    let mut bad = good.clone();
    bad[second + 94..second + 102].copy_from_slice(b"00000000");
    assert_eq!(first_error(&bad).kind, ErrorKind::NameNotTerminated);

    // namesize beyond the end.
    let mut bad = good.clone();
    bad[second + 94..second + 102].copy_from_slice(b"FFFFFFFF");
    assert_eq!(first_error(&bad).kind, ErrorKind::NamePastEnd);

    // Non-UTF-8 name.
    let mut bad = good.clone();
    bad[second + HEADER_LEN] = 0xff;
    assert_eq!(first_error(&bad).kind, ErrorKind::NameNotUtf8);

    // The iterator is fused after an error.
    let mut it = Archive::new(&good[..second + 50]).entries();
    assert!(it.next().unwrap().is_ok());
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
}

#[test]
fn error_display_names_the_offset() {
    let e = CpioError {
        offset: 112,
        kind: ErrorKind::BadHex,
    };
    assert_eq!(
        e.to_string(),
        "cpio: header field is not 8 hex digits at offset 112"
    );
}

#[derive(Clone, Debug)]
enum Member {
    Dir(String),
    File(String, u32, Vec<u8>),
    Link(String, String),
}

fn member() -> impl Strategy<Value = Member> {
    let name = "[a-z][a-z0-9_.]{0,7}(/[a-z0-9_]{1,8}){0,3}";
    prop_oneof![
        name.prop_map(Member::Dir),
        (
            name,
            0u32..0o7777,
            prop::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(n, m, d)| Member::File(n, m, d)),
        (name, "[a-z/]{1,20}").prop_map(|(n, t)| Member::Link(n, t)),
    ]
}

proptest! {
    #[test]
    fn random_trees_round_trip(members in prop::collection::vec(member(), 0..20)) {
        let mut b = Builder::new();
        for m in &members {
            match m {
                Member::Dir(n) => b.add_dir(n, 0o755).unwrap(),
                Member::File(n, mode, d) => b.add_file(n, *mode, d).unwrap(),
                Member::Link(n, t) => b.add_symlink(n, t).unwrap(),
            }
        }
        let bytes = b.finish();
        let entries = collect(&bytes).unwrap();
        prop_assert_eq!(entries.len(), members.len());
        for (e, m) in entries.iter().zip(&members) {
            match m {
                Member::Dir(n) => { prop_assert!(e.is_dir()); prop_assert_eq!(e.name, n.as_str()); }
                Member::File(n, mode, d) => {
                    prop_assert!(e.is_file());
                    prop_assert_eq!(e.name, n.as_str());
                    prop_assert_eq!(e.permissions(), *mode);
                    prop_assert_eq!(e.data, d.as_slice());
                }
                Member::Link(n, t) => {
                    prop_assert_eq!(e.name, n.as_str());
                    prop_assert_eq!(e.symlink_target(), Some(t.as_str()));
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        for e in Archive::new(&bytes).entries() {
            let _ = e;
        }
        let _ = Archive::new(&bytes).find("/etc/motd");
    }

    #[test]
    fn corrupted_archives_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = sample();
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        let cut = cut.index(bytes.len() + 1);
        let n = Archive::new(&bytes[..cut]).entries().count();
        prop_assert!(n <= 7);
    }

    #[test]
    fn headers_with_random_hex_never_panic(
        fields in prop::collection::vec(any::<u32>(), 13),
        tail in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut bytes = b"070701".to_vec();
        for f in fields {
            bytes.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        bytes.extend_from_slice(&tail);
        for e in Archive::new(&bytes).entries() {
            let _ = e;
        }
    }
}
