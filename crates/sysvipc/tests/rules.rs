//! Linux's rules, case by case.

use linux_errno::Errno::*;
use sysvipc::msg::{Queue, MSG_EXCEPT, MSG_NOERROR};
use sysvipc::sem::{SemBuf, SemSet, SEMVMX, SEM_UNDO};
use sysvipc::shm::Segment;
use sysvipc::*;

const ROOT: Caller = Caller {
    uid: 0,
    gid: 0,
    groups: &[],
    caps: u64::MAX,
    pid: 1,
};
const ALICE: Caller = Caller {
    uid: 1000,
    gid: 100,
    groups: &[],
    caps: 0,
    pid: 2,
};
const BOB: Caller = Caller {
    uid: 1001,
    gid: 101,
    groups: &[100],
    caps: 0,
    pid: 3,
};
const EVE: Caller = Caller {
    uid: 1002,
    gid: 102,
    groups: &[],
    caps: 0,
    pid: 4,
};

fn op(num: u16, op: i16, flg: i16) -> SemBuf {
    SemBuf { num, op, flg }
}

#[test]
fn keys_and_flags() {
    let mut t: Table<u32> = Table::new(4);
    let mk = || Ok(7);
    assert_eq!(t.get(&ALICE, 5, 0o600, |_| Ok(()), mk), Err(ENOENT));
    let id = t.get(&ALICE, 5, IPC_CREAT | 0o640, |_| Ok(()), mk).unwrap();
    assert_eq!(t.get(&ALICE, 5, 0, |_| Ok(()), mk), Ok(id));
    assert_eq!(
        t.get(&ALICE, 5, IPC_CREAT | IPC_EXCL, |_| Ok(()), mk),
        Err(EEXIST)
    );
    assert_eq!(
        t.get(&ALICE, 5, IPC_CREAT, |_| Err(EINVAL), mk),
        Err(EINVAL)
    );
    // Bob is in the group (read only), Eve is not.
    assert_eq!(t.get(&BOB, 5, 0o400, |_| Ok(()), mk), Ok(id));
    assert_eq!(t.get(&BOB, 5, 0o200, |_| Ok(()), mk), Err(EACCES));
    assert_eq!(t.get(&EVE, 5, 0o004, |_| Ok(()), mk), Err(EACCES));
    // Permissions come before the size check, as in Linux.
    assert_eq!(t.get(&EVE, 5, 0o004, |_| Err(EINVAL), mk), Err(EACCES));
    assert_eq!(t.get(&ROOT, 5, 0o666, |_| Ok(()), mk), Ok(id));
    let p1 = t.get(&ALICE, IPC_PRIVATE, 0, |_| Ok(()), mk).unwrap();
    let p2 = t.get(&ALICE, IPC_PRIVATE, 0, |_| Ok(()), mk).unwrap();
    assert!(p1 != p2 && p1 != id);
    t.get(&ALICE, IPC_PRIVATE, 0, |_| Ok(()), mk).unwrap();
    assert_eq!(t.get(&ALICE, IPC_PRIVATE, 0, |_| Ok(()), mk), Err(ENOSPC));
    // A removed id never names the slot's next object.
    assert!(t.remove(p1).is_some());
    assert_eq!(t.lookup(p1).map(|_| ()), Err(EINVAL));
    let p3 = t.get(&ALICE, IPC_PRIVATE, 0, |_| Ok(()), mk).unwrap();
    assert_eq!(p3 % SEQ_MULTIPLIER, p1 % SEQ_MULTIPLIER);
    assert_ne!(p3, p1);
    assert_eq!(t.len(), 4);
}

#[test]
fn owner_rules() {
    let mut t: Table<()> = Table::new(4);
    let id = t
        .get(&ALICE, IPC_PRIVATE, 0o600, |_| Ok(()), || Ok(()))
        .unwrap();
    let (p, _) = t.lookup(id).unwrap();
    assert!(p.owned_by(&ALICE) && !p.owned_by(&BOB) && p.owned_by(&ROOT));
    assert_eq!(p.set(&BOB, 1001, 101, 0o666), Err(EPERM));
    p.set(&ALICE, 1001, 101, 0o1666).unwrap();
    assert_eq!((p.uid, p.gid, p.mode, p.cuid), (1001, 101, 0o666, 1000));
    // The creator stays an owner; the new owner is one too.
    assert!(p.owned_by(&ALICE) && p.owned_by(&BOB));
}

#[test]
fn semop_all_or_nothing() {
    let mut s = SemSet::new(2, 0).unwrap();
    assert_eq!(SemSet::new(0, 0), Err(EINVAL));
    s.set_val(0, 3, 1, 0).unwrap();
    assert_eq!(s.semop(&[op(0, -1, 0)], 5, 1), Ok(None));
    assert_eq!(s.sem(0).unwrap().val, 2);
    assert_eq!(s.semop(&[op(0, -5, IPC_NOWAIT as i16)], 5, 1), Err(EAGAIN));
    assert_eq!(s.semop(&[op(0, 0, IPC_NOWAIT as i16)], 5, 1), Err(EAGAIN));
    let nw = IPC_NOWAIT as i16;
    assert_eq!(s.semop(&[op(0, -1, nw), op(1, -1, nw)], 5, 1), Err(EAGAIN));
    assert_eq!(s.sem(0).unwrap().val, 2);
    let b = s
        .semop(&[op(0, -1, 0), op(1, -1, 0)], 5, 1)
        .unwrap()
        .unwrap();
    assert_eq!((b.num, b.zero), (1, false));
    assert_eq!(s.semop(&[op(1, 0, 0)], 5, 1), Ok(None));
    assert!(s.semop(&[op(0, 0, 0)], 5, 1).unwrap().unwrap().zero);
    assert_eq!(s.semop(&[op(5, 1, 0)], 5, 1), Err(EFBIG));
    assert_eq!(s.semop(&[op(0, 32767, 0)], 5, 1), Err(ERANGE));
    assert_eq!(s.set_val(0, 40000, 1, 0), Err(ERANGE));
    assert_eq!(s.set_val(0, -1, 1, 0), Err(ERANGE));
    assert_eq!(s.set_val(2, 1, 1, 0), Err(EINVAL));
    // A decrement then an increment of the same semaphore in one call.
    s.set_all(&[0, 0], 1, 0).unwrap();
    assert_eq!(s.semop(&[op(0, 1, 0), op(0, -1, 0)], 6, 1), Ok(None));
    assert_eq!(s.sem(0).unwrap(), sysvipc::sem::Sem { val: 0, pid: 6 });
    assert_eq!(s.set_all(&[SEMVMX as u16 + 1, 0], 1, 0), Err(ERANGE));
}

#[test]
fn undo() {
    let mut s = SemSet::new(2, 0).unwrap();
    s.set_all(&[0, 7], 1, 0).unwrap();
    assert_eq!(s.semop(&[op(1, 5, SEM_UNDO)], 9, 1), Ok(None));
    assert_eq!(s.semop(&[op(1, -2, SEM_UNDO)], 9, 1), Ok(None));
    assert_eq!(s.adjustment(9, 1), -3);
    assert!(s.exit(9, 2));
    assert_eq!(s.sem(1).unwrap().val, 7);
    assert!(!s.exit(9, 2));
    // Clamped at 0; SETVAL drops the adjustment.
    s.semop(&[op(0, 2, SEM_UNDO)], 9, 1).unwrap();
    s.set_val(0, 1, 1, 0).unwrap();
    assert_eq!(s.adjustment(9, 0), 0);
    s.semop(&[op(0, 1, SEM_UNDO)], 9, 1).unwrap();
    s.set_val(0, 0, 1, 0).unwrap();
    s.semop(&[op(1, 3, SEM_UNDO)], 9, 1).unwrap();
    s.set_val(1, 0, 1, 0).unwrap();
    s.semop(&[op(1, 3, SEM_UNDO)], 9, 1).unwrap();
    s.set_val(1, 1, 1, 0).unwrap();
    s.exit(9, 3);
    assert_eq!(s.sem(1).unwrap().val, 1);
    // An operation that fails keeps no adjustment.
    assert_eq!(
        s.semop(&[op(0, 1, SEM_UNDO), op(1, -9, IPC_NOWAIT as i16)], 9, 1),
        Err(EAGAIN)
    );
    assert_eq!(s.adjustment(9, 0), 0);
}

#[test]
fn messages() {
    let mut q = Queue::new(0);
    for (t, m) in [(2, "two"), (1, "one"), (3, "three"), (1, "uno")] {
        q.send(t, m.as_bytes(), 7, 1).unwrap();
    }
    assert_eq!((q.qnum(), q.cbytes, q.lspid), (4, 14, 7));
    assert_eq!(q.receive(3, 32, 0, 8, 2).unwrap(), (3, b"three".to_vec()));
    assert_eq!(q.receive(0, 32, 0, 8, 2).unwrap().1, b"two");
    q.send(2, b"deux", 7, 1).unwrap();
    assert_eq!(q.receive(-2, 32, 0, 8, 2).unwrap().1, b"one");
    assert_eq!(q.receive(1, 32, MSG_EXCEPT, 8, 2).unwrap().1, b"deux");
    assert_eq!(q.receive(7, 32, 0, 8, 2), Err(ENOMSG));
    assert_eq!(q.receive(1, 2, 0, 8, 2), Err(E2BIG));
    assert_eq!(q.receive(1, 2, MSG_NOERROR, 8, 2).unwrap().1, b"un");
    assert_eq!((q.qnum(), q.cbytes, q.lrpid), (0, 0, 8));
    assert_eq!(q.send(0, b"x", 7, 1), Err(EINVAL));
    assert_eq!(q.send(1, &[0; 8193], 7, 1), Err(EINVAL));
    q.send(1, &[0; 8192], 7, 1).unwrap();
    q.send(1, &[0; 8192], 7, 1).unwrap();
    assert_eq!(q.send(1, b"x", 7, 1), Err(EAGAIN));
    assert_eq!(q.receive(i64::MIN, 8192, 0, 8, 2).unwrap().0, 1);
}

#[test]
fn segments() {
    assert_eq!(Segment::new(0, 1, 0), Err(EINVAL));
    let mut s = Segment::new(10000, 1, 0).unwrap();
    assert_eq!(s.check_get(10001), Err(EINVAL));
    s.attach(1, 1);
    s.attach(2, 1);
    assert!(!s.detach(2, 2));
    assert!(s.detach(1, 2));
    assert_eq!(s.lpid, 1);
}
