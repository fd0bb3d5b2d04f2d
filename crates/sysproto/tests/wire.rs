//! The message encoding of the system server's interface, both ways.

use proptest::prelude::*;
use sysproto::wire::{self, Data, Request};
use sysproto::{dirent, sys, Errno, Stat, DATA_BYTES};

proptest! {
    #[test]
    fn requests_round_trip(h in any::<u64>(), len in any::<u64>(), off in any::<u64>(), t in any::<bool>(), n in 0usize..2 * DATA_BYTES, tag in any::<u32>()) {
        let r = sys::Read { handle: h, len, offset: off, ttin_ignored: t };
        let m = wire::request_msg(&r, n, tag);
        prop_assert_eq!(m[0], sys::Read::OP);
        let (back, in_len, back_tag) = wire::decode_request::<sys::Read>(&m);
        prop_assert_eq!(back, r);
        prop_assert_eq!(in_len, n.min(DATA_BYTES));
        prop_assert_eq!(back_tag, tag);
    }

    #[test]
    fn replies_round_trip(pid in 0u64..i64::MAX as u64, status in any::<u64>(), out in 0usize..DATA_BYTES) {
        let m = wire::reply_msg(Ok(sys::WaitReply { pid, status }), out);
        let (r, n) = wire::decode_reply::<sys::WaitReply>(&m).unwrap();
        prop_assert_eq!(r, sys::WaitReply { pid, status });
        prop_assert_eq!(n, out);
    }

    #[test]
    fn errors_round_trip(i in 0usize..Errno::ALL.len()) {
        let e = Errno::ALL[i];
        let m = wire::reply_msg::<sys::PipeReply>(Err(e), 0);
        // The first word is Linux's `-errno`, as a raw client sees it.
        prop_assert_eq!(m[0] as i64, -i64::from(e.raw()));
        prop_assert_eq!(wire::decode_reply::<sys::PipeReply>(&m), Err(e));
    }

    #[test]
    fn any_message_decodes(w in any::<[u64; 6]>()) {
        // Nothing a client sends fails to decode (or panics).
        let _ = wire::decode_request::<sys::Ioctl>(&w);
        let _ = wire::decode_reply::<sys::PollReply>(&w);
    }

    #[test]
    fn dirents_round_trip(names in proptest::collection::vec("[a-z.]{1,40}", 0..40)) {
        let mut buf = vec![0u8; 4096];
        let mut at = 0;
        let mut put = Vec::new();
        for (i, n) in names.iter().enumerate() {
            match dirent::put(&mut buf[at..], i as u64 + 1, i as u64 + 2, 8, n.as_bytes()) {
                Some(len) => {
                    prop_assert_eq!(len % 8, 0);
                    at += len;
                    put.push(n.clone());
                }
                None => break,
            }
        }
        let got: Vec<String> = dirent::records(&buf[..at])
            .map(|(_, n)| String::from_utf8(n.to_vec()).unwrap())
            .collect();
        prop_assert_eq!(got, put);
    }
}

#[test]
fn unknown_numbers_are_eio_and_enosys() {
    // An error number Linux lacks reads as EIO.
    let m = [(-4000i64) as u64, 0, 0, 0, 0, 0];
    assert_eq!(wire::decode_reply::<sys::CloseReply>(&m), Err(Errno::EIO));
    assert_eq!(sys::Op::from_word(10), None, "Dup is gone");
    assert_eq!(sys::Op::from_word(0), None);
    for op in sys::Op::ALL {
        assert_eq!(sys::Op::from_word(*op as u64), Some(*op));
    }
}

#[test]
fn data_area_is_typed() {
    let mut area = vec![0u8; DATA_BYTES];
    area[..5].copy_from_slice(b"/etc/");
    let s = Stat {
        dev: 1,
        ino: 2,
        mode: 0o100644,
        nlink: 1,
        size: 99,
        rdev: 0,
        mtime_sec: 5,
        ..Stat::default()
    };
    let req = sys::Stat {
        dir: 3,
        flags: sysproto::at::SYMLINK_NOFOLLOW,
    };
    let m = wire::request_msg(&req, 5, 0);
    let reply = wire::serve::<sys::Stat>(&m, &mut area, |r, d: &mut Data<'_, sys::Stat>| {
        assert_eq!((r.dir, r.flags), (3, sysproto::at::SYMLINK_NOFOLLOW));
        assert_eq!(d.input(4096), b"/etc/");
        d.put(&s);
        Ok(sys::StatReply {})
    });
    let (_, n) = wire::decode_reply::<sys::StatReply>(&reply).unwrap();
    assert_eq!(n, core::mem::size_of::<Stat>());
    assert_eq!(wire::read_out::<Stat>(&area[..n]), s);
    assert_eq!(core::mem::size_of::<Stat>(), 144);
    assert_eq!(core::mem::size_of::<dirent::Header>(), 19);
}

#[test]
fn parts_go_one_after_the_other_and_tags_travel() {
    let mut area = vec![0u8; DATA_BYTES];
    let m = wire::request_msg(
        &sys::Read {
            handle: 3,
            len: 10,
            offset: u64::MAX,
            ttin_ignored: false,
        },
        0,
        77,
    );
    let reply = wire::serve::<sys::Read>(&m, &mut area, |_, d: &mut Data<'_, sys::Read>| {
        assert_eq!(d.tag(), 77);
        d.put_parts(&[b"abc", b"de"]);
        Ok(sys::ReadReply {})
    });
    let Ok(wire::Answered::Now(_, n)) = wire::decode_tagged::<sys::ReadReply>(&reply) else {
        panic!("answered now");
    };
    assert_eq!(&area[..n], b"abcde");
}

#[test]
fn deferred_replies_and_records() {
    let mut area = vec![0u8; DATA_BYTES];
    let req = sys::Wait {
        pid: -1,
        options: 0,
    };
    let m = wire::request_msg(&req, 0, 9);
    let reply = wire::serve::<sys::Wait>(&m, &mut area, |_, d: &mut Data<'_, sys::Wait>| {
        d.defer();
        Ok(sys::WaitReply::default())
    });
    assert!(matches!(
        wire::decode_tagged::<sys::WaitReply>(&reply),
        Ok(wire::Answered::Later)
    ));
    // Untagged, a handler's `defer` is not honoured: the reply goes now.
    let m = wire::request_msg(&req, 0, 0);
    let reply = wire::serve::<sys::Wait>(&m, &mut area, |_, _| {
        Ok(sys::WaitReply { pid: 5, status: 0 })
    });
    assert!(matches!(
        wire::decode_tagged::<sys::WaitReply>(&reply),
        Ok(wire::Answered::Now(sys::WaitReply { pid: 5, .. }, 0))
    ));
    let rec = sysproto::completion::Record {
        tag: 9,
        words: [7, 0x300, 0, 0],
        ..Default::default()
    };
    let r = wire::decode_record::<sys::WaitReply>(&rec).unwrap();
    assert_eq!((r.pid, r.status), (7, 0x300));
    let failed = sysproto::completion::Record {
        tag: 9,
        result: 4,
        ..Default::default()
    };
    assert_eq!(
        wire::decode_record::<sys::WaitReply>(&failed),
        Err(sysproto::Errno::EINTR)
    );
}
