use super::*;
use alloc::vec;
use proptest::prelude::*;

fn root() -> Caller<'static> {
    Caller {
        uid: 0,
        gid: 0,
        groups: &[],
        resource: true,
        dac_override: true,
        fowner: true,
    }
}

fn user(uid: u32) -> Caller<'static> {
    Caller {
        uid,
        gid: uid,
        groups: &[],
        resource: false,
        dac_override: false,
        fowner: false,
    }
}

#[test]
fn names_as_linux_checks_them() {
    assert_eq!(check_name(b"q"), Ok(()));
    assert_eq!(check_name(b""), Err(EACCES));
    assert_eq!(check_name(b"a/b"), Err(EACCES));
    assert_eq!(check_name(b".."), Err(EACCES));
    assert_eq!(check_name(&[b'x'; 256]), Err(ENAMETOOLONG));
    assert_eq!(check_name(&[b'x'; 255]), Ok(()));
}

#[test]
fn open_create_exclusive_and_limits() {
    let mut t = Queues::default();
    assert_eq!(t.open(&root(), b"q", 0, 0o600, None), Err(ENOENT));
    let (id, made) = t
        .open(&root(), b"q", O_CREAT | O_RDWR, 0o600, None)
        .unwrap();
    assert!(made);
    let q = t.get(id).unwrap();
    assert_eq!((q.maxmsg, q.msgsize), (MSG_DEFAULT, MSGSIZE_DEFAULT));
    assert_eq!(
        t.open(&root(), b"q", O_CREAT | O_EXCL, 0o600, None),
        Err(EEXIST)
    );
    assert_eq!(t.open(&root(), b"q", O_CREAT, 0o600, None), Ok((id, false)));
    let big = Attr {
        maxmsg: 11,
        msgsize: 8,
    };
    assert_eq!(
        t.open(&user(5), b"u", O_CREAT, 0o600, Some(big)),
        Err(EINVAL)
    );
    assert!(t.open(&root(), b"r", O_CREAT, 0o600, Some(big)).is_ok());
    let zero = Attr {
        maxmsg: 0,
        msgsize: 8,
    };
    assert_eq!(
        t.open(&root(), b"z", O_CREAT, 0o600, Some(zero)),
        Err(EINVAL)
    );
    assert_eq!(t.open(&root(), b"q", 3, 0, None), Err(EINVAL));
}

#[test]
fn permissions_and_unlink_rules() {
    let mut t = Queues::default();
    let (id, _) = t
        .open(&user(5), b"q", O_CREAT | O_RDWR, 0o640, None)
        .unwrap();
    assert_eq!(t.open(&user(6), b"q", 0, 0, None), Err(EACCES));
    let mut g = user(6);
    g.groups = &[5];
    assert!(t.open(&g, b"q", 0, 0, None).is_ok());
    assert_eq!(t.open(&g, b"q", O_WRONLY, 0, None), Err(EACCES));
    assert_eq!(t.unlink(&user(6), b"q"), Err(EACCES));
    t.unlink(&user(5), b"q").unwrap();
    assert_eq!(t.open(&user(5), b"q", 0, 0, None), Err(ENOENT));
    // Still open (two descriptions): the queue lives until the last.
    t.send(id, 1, b"x", false).unwrap();
    t.close(id);
    assert!(t.get(id).is_ok());
    t.close(id);
    assert_eq!(t.get(id).map(|_| ()), Err(EBADF));
    assert_eq!(t.bytes, 0);
}

#[test]
fn priority_order_and_sizes() {
    let mut t = Queues::default();
    let a = Attr {
        maxmsg: 4,
        msgsize: 16,
    };
    let (id, _) = t
        .open(&root(), b"q", O_CREAT | O_RDWR, 0o600, Some(a))
        .unwrap();
    assert_eq!(t.send(id, 0, &[0; 17], false), Err(EMSGSIZE));
    assert_eq!(t.send(id, MQ_PRIO_MAX, b"x", false), Err(EINVAL));
    for (p, m) in [(1, b"a1"), (5, b"b5"), (1, b"c1"), (5, b"d5")] {
        t.send(id, p, m, false).unwrap();
    }
    assert_eq!(t.send(id, 9, b"e", false), Err(EAGAIN));
    assert_eq!(t.receive(id, 15), Err(EMSGSIZE));
    let got: Vec<(Vec<u8>, u32)> = (0..4).map(|_| t.receive(id, 16).unwrap()).collect();
    assert_eq!(
        got,
        vec![
            (b"b5".to_vec(), 5),
            (b"d5".to_vec(), 5),
            (b"a1".to_vec(), 1),
            (b"c1".to_vec(), 1)
        ]
    );
    assert_eq!(t.receive(id, 16), Err(EAGAIN));
}

#[test]
fn notification_rules() {
    let mut t = Queues::default();
    let (id, _) = t
        .open(&root(), b"q", O_CREAT | O_RDWR, 0o600, None)
        .unwrap();
    let n = Notify {
        pid: 7,
        signo: 10,
        value: 99,
    };
    t.set_notify(id, 7, Some(n)).unwrap();
    assert_eq!(
        t.set_notify(id, 8, Some(Notify { pid: 8, ..n })),
        Err(EBUSY)
    );
    // Another's removal does nothing; a waiting receiver keeps it.
    t.set_notify(id, 8, None).unwrap();
    assert_eq!(t.send(id, 0, b"x", true), Ok(None));
    t.receive(id, 8192).unwrap();
    assert_eq!(
        t.get(id).unwrap().status_text(),
        "QSIZE:0          NOTIFY:0     SIGNO:10    NOTIFY_PID:7     \n"
    );
    // On an empty queue with nobody waiting: notified once, then gone.
    assert_eq!(t.send(id, 0, b"x", false), Ok(Some(n)));
    t.receive(id, 8192).unwrap();
    assert_eq!(t.send(id, 0, b"x", false), Ok(None));
    // Not empty: no notification.
    t.set_notify(id, 7, Some(n)).unwrap();
    assert_eq!(t.send(id, 0, b"y", false), Ok(None));
    // Closed by the registering process: gone.
    t.flush(id, 8);
    assert!(t.get(id).unwrap().notify.is_some());
    t.flush(id, 7);
    assert!(t.get(id).unwrap().notify.is_none());
}

proptest! {
    /// Any sequence of sends and receives gives the messages back as a
    /// model does: by priority, then in order; counts and bytes agree.
    #[test]
    fn matches_a_model(ops in proptest::collection::vec((any::<bool>(), 0u32..4, 0usize..20), 1..200)) {
        let mut t = Queues::default();
        let a = Attr { maxmsg: 8, msgsize: 16 };
        let (id, _) = t.open(&root(), b"m", O_CREAT | O_RDWR, 0o600, Some(a)).unwrap();
        let mut model: Vec<(u32, u64, Vec<u8>)> = Vec::new();
        let mut seq = 0u64;
        for (send, prio, len) in ops {
            if send {
                let data = vec![seq as u8; len];
                let want = if len > 16 { Err(EMSGSIZE) } else if model.len() >= 8 { Err(EAGAIN) } else { Ok(()) };
                let got = t.send(id, prio, &data, false).map(|_| ());
                prop_assert_eq!(got, want);
                if want.is_ok() {
                    model.push((prio, seq, data));
                }
                seq += 1;
            } else {
                let best = model.iter().enumerate().max_by_key(|(_, (p, s, _))| (*p, core::cmp::Reverse(*s))).map(|(i, _)| i);
                match best {
                    None => prop_assert_eq!(t.receive(id, 16), Err(EAGAIN)),
                    Some(i) => {
                        let (p, _, d) = model.remove(i);
                        prop_assert_eq!(t.receive(id, 16), Ok((d, p)));
                    }
                }
            }
            let q = t.get(id).unwrap();
            prop_assert_eq!(q.curmsgs(), model.len() as u64);
            prop_assert_eq!(q.qsize(), model.iter().map(|m| m.2.len() as u64).sum::<u64>());
        }
    }
}
