//! One test per rule of the lock manager.

use filelock::*;

const F: u64 = 1;
const G: u64 = 2;
const R: LockType = LockType::Read;
const W: LockType = LockType::Write;
const U: LockType = LockType::Unlock;
const P1: Owner = Owner::Process(101);
const P2: Owner = Owner::Process(102);
const P3: Owner = Owner::Process(103);

fn r(start: u64, end: u64) -> Range {
    Range::new(start, end).unwrap()
}

/// The record locks on `file` as (owner, type, start, end), in list order.
fn records(m: &LockManager, file: u64) -> Vec<(Owner, LockType, u64, u64)> {
    m.list()
        .into_iter()
        .filter(|l| l.file == file && l.waiter.is_none())
        .filter_map(|l| match l.holder {
            Holder::Record(o) => Some((o, l.ty, l.range.start(), l.range.end())),
            Holder::Flock(_) => None,
        })
        .collect()
}

fn flocks(m: &LockManager, file: u64) -> Vec<(OfdId, LockType)> {
    m.list()
        .into_iter()
        .filter(|l| l.file == file && l.waiter.is_none())
        .filter_map(|l| match l.holder {
            Holder::Flock(o) => Some((o, l.ty)),
            Holder::Record(_) => None,
        })
        .collect()
}

fn wait_id(o: Result<Outcome, Errno>) -> WaiterId {
    match o {
        Ok(Outcome::Wait(id)) => id,
        other => panic!("expected a wait, got {other:?}"),
    }
}

// ---- ranges ----

#[test]
fn range_from_flock_whence_start_len() {
    assert_eq!(Range::from_flock(SEEK_SET, 10, 5, 0, 0), Ok(r(10, 14)));
    assert_eq!(
        Range::from_flock(SEEK_SET, 10, 0, 0, 0),
        Ok(Range::to_eof(10))
    );
    assert_eq!(Range::from_flock(SEEK_CUR, 2, 3, 100, 0), Ok(r(102, 104)));
    assert_eq!(Range::from_flock(SEEK_CUR, -100, 1, 100, 0), Ok(r(0, 0)));
    assert_eq!(
        Range::from_flock(SEEK_END, -4, 0, 0, 50),
        Ok(Range::to_eof(46))
    );
    assert_eq!(Range::from_flock(SEEK_END, 0, 1, 0, 50), Ok(r(50, 50)));
}

#[test]
fn range_negative_len_is_the_bytes_before() {
    assert_eq!(Range::from_flock(SEEK_SET, 10, -3, 0, 0), Ok(r(7, 9)));
    assert_eq!(Range::from_flock(SEEK_SET, 10, -10, 0, 0), Ok(r(0, 9)));
    assert_eq!(
        Range::from_flock(SEEK_SET, 10, -11, 0, 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(Range::from_flock(SEEK_SET, 0, -1, 0, 0), Err(Errno::EINVAL));
}

#[test]
fn range_errors() {
    assert_eq!(Range::from_flock(3, 0, 0, 0, 0), Err(Errno::EINVAL));
    assert_eq!(Range::from_flock(-1, 0, 0, 0, 0), Err(Errno::EINVAL));
    assert_eq!(Range::from_flock(SEEK_SET, -1, 1, 0, 0), Err(Errno::EINVAL));
    assert_eq!(
        Range::from_flock(SEEK_CUR, -11, 1, 10, 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        Range::from_flock(SEEK_END, i64::MAX, 1, 0, 1),
        Err(Errno::EOVERFLOW)
    );
    assert_eq!(
        Range::from_flock(SEEK_SET, i64::MIN, 1, 0, 0),
        Err(Errno::EINVAL)
    );
    // The last byte is OFFSET_MAX: a length reaching it is fine, one past is not.
    assert_eq!(
        Range::from_flock(SEEK_SET, 1, i64::MAX, 0, 0),
        Ok(r(1, OFFSET_MAX))
    );
    assert_eq!(
        Range::from_flock(SEEK_SET, 2, i64::MAX, 0, 0),
        Err(Errno::EOVERFLOW)
    );
    assert_eq!(
        Range::from_flock(SEEK_SET, i64::MAX, 1, 0, 0),
        Ok(r(OFFSET_MAX, OFFSET_MAX))
    );
    assert_eq!(
        Range::from_flock(SEEK_SET, i64::MAX, 2, 0, 0),
        Err(Errno::EOVERFLOW)
    );
}

#[test]
fn range_constructors_and_len() {
    assert_eq!(Range::new(5, u64::MAX), Some(Range::to_eof(5)));
    assert!(Range::new(5, 4).is_none());
    assert!(Range::new(u64::MAX, u64::MAX).is_none());
    assert_eq!(r(3, 7).l_len(), 5);
    assert_eq!(Range::to_eof(3).l_len(), 0);
    assert!(Range::to_eof(3).is_to_eof());
    assert!(r(0, 4).overlaps(&r(4, 9)) && !r(0, 3).overlaps(&r(4, 9)));
}

// ---- flock ----

#[test]
fn flock_shared_shares_exclusive_excludes() {
    let mut m = LockManager::new();
    assert_eq!(m.flock(F, 1, R, false), Ok(Outcome::Done));
    assert_eq!(m.flock(F, 2, R, false), Ok(Outcome::Done));
    assert_eq!(m.flock(F, 3, W, false), Err(Errno::EWOULDBLOCK));
    m.flock(F, 1, U, false).unwrap();
    m.flock(F, 2, U, false).unwrap();
    assert_eq!(m.flock(F, 3, W, false), Ok(Outcome::Done));
    assert_eq!(m.flock(F, 1, R, false), Err(Errno::EWOULDBLOCK));
    assert_eq!(m.flock(F, 1, W, false), Err(Errno::EWOULDBLOCK));
    // Another file is another lock.
    assert_eq!(m.flock(G, 1, W, false), Ok(Outcome::Done));
}

#[test]
fn flock_same_type_again_is_a_no_op() {
    let mut m = LockManager::new();
    m.flock(F, 1, W, false).unwrap();
    assert_eq!(m.flock(F, 1, W, false), Ok(Outcome::Done));
    assert_eq!(flocks(&m, F), vec![(1, W)]);
    // Unlocking what is not held is fine.
    assert_eq!(m.flock(F, 2, U, false), Ok(Outcome::Done));
}

#[test]
fn flock_conversion_drops_first() {
    let mut m = LockManager::new();
    m.flock(F, 1, R, false).unwrap();
    m.flock(F, 2, R, false).unwrap();
    // The upgrade fails, and the shared lock is gone too.
    assert_eq!(m.flock(F, 1, W, false), Err(Errno::EWOULDBLOCK));
    assert_eq!(flocks(&m, F), vec![(2, R)]);
    // Now the other one can upgrade, and a downgrade always works.
    assert_eq!(m.flock(F, 2, W, false), Ok(Outcome::Done));
    assert_eq!(flocks(&m, F), vec![(2, W)]);
    assert_eq!(m.flock(F, 2, R, false), Ok(Outcome::Done));
    assert_eq!(flocks(&m, F), vec![(2, R)]);
}

#[test]
fn flock_conversion_wakes_waiters_of_the_old_lock() {
    let mut m = LockManager::new();
    m.flock(F, 1, W, false).unwrap();
    let w = wait_id(m.flock(F, 2, R, true));
    assert!(m.take_woken().is_empty());
    m.flock(F, 1, R, false).unwrap();
    assert_eq!(m.take_woken(), vec![w]);
    assert_eq!(m.retry(w), Ok(Outcome::Done));
    assert_eq!(flocks(&m, F), vec![(1, R), (2, R)]);
}

#[test]
fn flock_blocking_waits_and_is_woken() {
    let mut m = LockManager::new();
    m.flock(F, 1, W, false).unwrap();
    let w = wait_id(m.flock(F, 2, W, true));
    assert_eq!(m.retry(w), Ok(Outcome::Wait(w)));
    assert_eq!(m.waiting(), 1);
    m.flock(F, 1, U, false).unwrap();
    assert_eq!(m.take_woken(), vec![w]);
    assert!(m.take_woken().is_empty());
    assert_eq!(m.retry(w), Ok(Outcome::Done));
    assert_eq!(m.waiting(), 0);
    assert_eq!(flocks(&m, F), vec![(2, W)]);
}

#[test]
fn flock_and_record_locks_are_independent() {
    let mut m = LockManager::new();
    m.flock(F, 1, W, false).unwrap();
    assert_eq!(m.setlk(F, P2, W, Range::ALL, false), Ok(Outcome::Done));
    assert_eq!(m.getlk(F, P3, R, Range::ALL).map(|c| c.owner), Some(P2));
    m.setlk(F, P2, U, Range::ALL, false).unwrap();
    assert_eq!(m.getlk(F, P3, W, Range::ALL), None);
    // Releasing a process's record locks leaves flock locks alone.
    m.setlk(F, Owner::Process(7), W, Range::ALL, false).unwrap();
    m.release_process(7);
    assert_eq!(flocks(&m, F), vec![(1, W)]);
}

#[test]
fn flock_released_with_the_description() {
    let mut m = LockManager::new();
    m.flock(F, 1, W, false).unwrap();
    let w = wait_id(m.flock(F, 2, R, true));
    m.release_description(F, 1);
    assert_eq!(m.take_woken(), vec![w]);
    assert_eq!(m.retry(w), Ok(Outcome::Done));
    m.release_description(F, 2);
    assert!(m.is_empty());
}

#[test]
fn flock_raw_operations() {
    let mut m = LockManager::new();
    assert_eq!(m.flock_raw(F, 1, LOCK_EX), Ok(Outcome::Done));
    assert_eq!(
        m.flock_raw(F, 2, LOCK_SH | LOCK_NB),
        Err(Errno::EWOULDBLOCK)
    );
    assert!(matches!(m.flock_raw(F, 2, LOCK_SH), Ok(Outcome::Wait(_))));
    assert_eq!(m.flock_raw(F, 3, LOCK_SH | LOCK_EX), Err(Errno::EINVAL));
    assert_eq!(m.flock_raw(F, 3, 0), Err(Errno::EINVAL));
    assert_eq!(m.flock_raw(F, 3, LOCK_NB), Err(Errno::EINVAL));
    assert_eq!(m.flock_raw(F, 3, 64), Err(Errno::EINVAL));
    assert_eq!(m.flock_raw(F, 3, LOCK_MAND | LOCK_EX), Ok(Outcome::Done));
    assert_eq!(flocks(&m, F), vec![(1, W)]);
    assert_eq!(m.flock_raw(F, 1, LOCK_UN | LOCK_NB), Ok(Outcome::Done));
    assert_eq!(flocks(&m, F), vec![]);
}

// ---- POSIX record locks ----

#[test]
fn record_adjacent_same_type_coalesce() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 9), false).unwrap();
    m.setlk(F, P1, W, r(10, 19), false).unwrap();
    assert_eq!(records(&m, F), vec![(P1, W, 0, 19)]);
    m.setlk(F, P1, W, r(30, 39), false).unwrap();
    assert_eq!(records(&m, F), vec![(P1, W, 0, 19), (P1, W, 30, 39)]);
    // Filling the gap joins all three; overlapping same-type joins too.
    m.setlk(F, P1, W, r(15, 34), false).unwrap();
    assert_eq!(records(&m, F), vec![(P1, W, 0, 39)]);
    // Different types side by side stay apart.
    m.setlk(F, P1, R, r(40, 49), false).unwrap();
    assert_eq!(records(&m, F), vec![(P1, W, 0, 39), (P1, R, 40, 49)]);
}

#[test]
fn record_other_type_splits() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 19), false).unwrap();
    m.setlk(F, P1, R, r(5, 9), false).unwrap();
    assert_eq!(
        records(&m, F),
        vec![(P1, W, 0, 4), (P1, R, 5, 9), (P1, W, 10, 19)]
    );
    // Back to write: one lock again.
    m.setlk(F, P1, W, r(5, 9), false).unwrap();
    assert_eq!(records(&m, F), vec![(P1, W, 0, 19)]);
    // A lock over the end of another replaces that part.
    m.setlk(F, P1, R, Range::to_eof(15), false).unwrap();
    assert_eq!(
        records(&m, F),
        vec![(P1, W, 0, 14), (P1, R, 15, OFFSET_MAX)]
    );
}

#[test]
fn record_unlock_splits_and_removes() {
    let mut m = LockManager::new();
    m.setlk(F, P1, R, r(0, 99), false).unwrap();
    m.setlk(F, P1, U, r(10, 19), false).unwrap();
    assert_eq!(records(&m, F), vec![(P1, R, 0, 9), (P1, R, 20, 99)]);
    // Unlocking what is not locked is fine, also for an owner with nothing.
    assert_eq!(m.setlk(F, P1, U, r(10, 19), false), Ok(Outcome::Done));
    assert_eq!(m.setlk(F, P2, U, Range::ALL, false), Ok(Outcome::Done));
    assert_eq!(m.setlk(G, P2, U, Range::ALL, false), Ok(Outcome::Done));
    m.setlk(F, P1, U, Range::ALL, false).unwrap();
    assert!(m.is_empty());
}

#[test]
fn record_conflicts_only_with_other_owners() {
    let mut m = LockManager::new();
    m.setlk(F, P1, R, r(0, 9), false).unwrap();
    assert_eq!(m.setlk(F, P2, R, r(5, 14), false), Ok(Outcome::Done));
    assert_eq!(m.setlk(F, P3, W, r(9, 9), false), Err(Errno::EAGAIN));
    assert_eq!(m.setlk(F, P3, W, r(15, 20), false), Ok(Outcome::Done));
    assert_eq!(m.setlk(F, P1, R, r(20, 20), false), Err(Errno::EAGAIN));
    // An owner's own locks never conflict: P1 turns its read lock into a
    // write lock where P2 holds nothing.
    assert_eq!(m.setlk(F, P1, W, r(0, 4), false), Ok(Outcome::Done));
    assert_eq!(m.setlk(F, P1, W, r(0, 5), false), Err(Errno::EAGAIN));
    // A refused request changes nothing.
    assert_eq!(
        records(&m, F),
        vec![
            (P1, W, 0, 4),
            (P1, R, 5, 9),
            (P2, R, 5, 14),
            (P3, W, 15, 20)
        ]
    );
}

#[test]
fn getlk_reports_the_first_conflict() {
    let mut m = LockManager::new();
    m.setlk(F, P1, R, r(10, 19), false).unwrap();
    m.setlk(F, P2, W, r(0, 4), false).unwrap();
    m.setlk(F, P2, W, r(30, 39), false).unwrap();
    // In list order: P1's group first (it locked first), then P2's by start.
    let c = m.getlk(F, P3, W, Range::ALL).unwrap();
    assert_eq!(
        c,
        Conflict {
            ty: R,
            range: r(10, 19),
            owner: P1
        }
    );
    let c = m.getlk(F, P3, R, Range::ALL).unwrap();
    assert_eq!(
        c,
        Conflict {
            ty: W,
            range: r(0, 4),
            owner: P2
        }
    );
    let c = m.getlk(F, P3, R, r(25, 35)).unwrap();
    assert_eq!(c.range, r(30, 39));
    assert_eq!(m.getlk(F, P3, R, r(5, 29)), None);
    // Its own locks are not reported.
    assert_eq!(m.getlk(F, P2, W, r(0, 4)), None);
    assert_eq!(m.getlk(F, P2, W, Range::ALL).map(|c| c.owner), Some(P1));
    assert_eq!(m.getlk(G, P3, W, Range::ALL), None);
    assert_eq!(P2.l_pid(), 102);
}

#[test]
fn record_locks_dropped_on_close_of_any_descriptor() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 9), false).unwrap();
    m.setlk(F, P1, R, r(20, 29), false).unwrap();
    m.setlk(G, P1, W, r(0, 9), false).unwrap();
    m.setlk(F, P2, R, r(40, 49), false).unwrap();
    m.release_owner(F, P1);
    assert_eq!(records(&m, F), vec![(P2, R, 40, 49)]);
    assert_eq!(records(&m, G), vec![(P1, W, 0, 9)]);
}

#[test]
fn record_locks_dropped_on_exit() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 9), false).unwrap();
    m.setlk(G, P1, W, r(0, 9), false).unwrap();
    m.setlk(G, P2, W, r(10, 19), false).unwrap();
    let w = wait_id(m.setlk(G, P1, W, r(10, 19), true));
    let v = wait_id(m.setlk(F, P3, R, r(5, 5), true));
    m.release_process(101);
    assert_eq!(m.waiter(w), None);
    assert_eq!(m.take_woken(), vec![v]);
    assert_eq!(m.retry(v), Ok(Outcome::Done));
    assert_eq!(records(&m, F), vec![(P3, R, 5, 5)]);
    assert_eq!(records(&m, G), vec![(P2, W, 10, 19)]);
}

// ---- OFD locks ----

#[test]
fn ofd_locks_conflict_with_posix_and_other_descriptions() {
    let mut m = LockManager::new();
    let d1 = Owner::Description(1);
    let d2 = Owner::Description(2);
    m.setlk(F, d1, W, r(0, 9), false).unwrap();
    // Another description of the same process conflicts.
    assert_eq!(m.setlk(F, d2, W, r(5, 5), false), Err(Errno::EAGAIN));
    // So does a POSIX lock, even of the process that owns the description.
    assert_eq!(m.setlk(F, P1, R, r(5, 5), false), Err(Errno::EAGAIN));
    let c = m.getlk(F, P1, R, Range::ALL).unwrap();
    assert_eq!((c.owner, c.owner.l_pid()), (d1, -1));
    // And the description's own locks merge like a process's.
    m.setlk(F, d1, W, r(10, 19), false).unwrap();
    assert_eq!(records(&m, F), vec![(d1, W, 0, 19)]);
    // POSIX locks block OFD requests too.
    m.setlk(F, P2, R, r(30, 39), false).unwrap();
    assert_eq!(m.setlk(F, d2, W, r(35, 35), false), Err(Errno::EAGAIN));
    assert_eq!(
        m.getlk(F, d2, W, r(20, 39)).map(|c| c.owner.l_pid()),
        Some(102)
    );
}

#[test]
fn ofd_locks_go_with_the_description_not_the_process() {
    let mut m = LockManager::new();
    let d1 = Owner::Description(1);
    m.setlk(F, d1, W, r(0, 9), false).unwrap();
    m.release_owner(F, P1);
    m.release_process(101);
    assert_eq!(records(&m, F), vec![(d1, W, 0, 9)]);
    let w = wait_id(m.setlk(F, P2, W, r(0, 0), true));
    m.release_description(F, 1);
    assert_eq!(m.take_woken(), vec![w]);
    assert_eq!(m.retry(w), Ok(Outcome::Done));
}

// ---- waiting ----

#[test]
fn setlkw_waits_and_is_woken_by_unlock() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 99), false).unwrap();
    let w = wait_id(m.setlk(F, P2, W, r(50, 59), true));
    let info = m.waiter(w).unwrap();
    assert_eq!(
        (info.holder, info.ty, info.range, info.waiter),
        (Holder::Record(P2), W, r(50, 59), Some(w))
    );
    // Unlocking bytes it does not need wakes nothing.
    m.setlk(F, P1, U, r(0, 9), false).unwrap();
    m.setlk(F, P1, U, r(55, 55), false).unwrap();
    assert!(m.take_woken().is_empty());
    m.setlk(F, P1, U, r(50, 59), false).unwrap();
    assert_eq!(m.take_woken(), vec![w]);
    assert_eq!(m.retry(w), Ok(Outcome::Done));
    assert_eq!(m.waiting(), 0);
}

#[test]
fn downgrade_wakes_readers() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 9), false).unwrap();
    let rd = wait_id(m.setlk(F, P2, R, r(0, 9), true));
    let wr = wait_id(m.setlk(F, P3, W, r(0, 9), true));
    m.setlk(F, P1, R, r(0, 9), false).unwrap();
    assert_eq!(m.take_woken(), vec![rd]);
    assert_eq!(m.retry(rd), Ok(Outcome::Done));
    assert_eq!(m.retry(wr), Ok(Outcome::Wait(wr)));
}

#[test]
fn two_woken_writers_one_wins() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 9), false).unwrap();
    let a = wait_id(m.setlk(F, P2, W, r(0, 9), true));
    let b = wait_id(m.setlk(F, P3, W, r(5, 5), true));
    m.release_owner(F, P1);
    assert_eq!(m.take_woken(), vec![a, b]);
    assert_eq!(m.retry(a), Ok(Outcome::Done));
    assert_eq!(m.retry(b), Ok(Outcome::Wait(b)));
    m.setlk(F, P2, U, r(0, 9), false).unwrap();
    assert_eq!(m.take_woken(), vec![b]);
    assert_eq!(m.retry(b), Ok(Outcome::Done));
}

#[test]
fn woken_once_until_retried() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 0), false).unwrap();
    m.setlk(F, P1, W, r(2, 2), false).unwrap();
    let w = wait_id(m.setlk(F, P2, R, r(0, 0), true));
    m.setlk(F, P1, U, r(0, 0), false).unwrap();
    m.setlk(F, P1, U, r(2, 2), false).unwrap();
    assert_eq!(m.take_woken(), vec![w]);
}

#[test]
fn cancel_wait_drops_the_waiter() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 9), false).unwrap();
    let w = wait_id(m.setlk(F, P2, W, r(0, 9), true));
    let v = wait_id(m.flock(F, 5, W, true).and(m.flock(F, 6, W, true)));
    assert!(m.cancel_wait(w));
    assert!(!m.cancel_wait(w));
    assert_eq!(m.retry(w), Err(Errno::ESRCH));
    m.release_owner(F, P1);
    assert!(m.take_woken().is_empty());
    // Cancelled after being woken: no longer named.
    m.flock(F, 5, U, false).unwrap();
    assert!(m.cancel_wait(v));
    assert!(m.take_woken().is_empty());
    assert!(m.is_empty());
}

// ---- deadlock ----

#[test]
fn two_process_deadlock() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 0), false).unwrap();
    m.setlk(F, P2, W, r(1, 1), false).unwrap();
    let w = wait_id(m.setlk(F, P1, W, r(1, 1), true));
    assert_eq!(m.setlk(F, P2, W, r(0, 0), true), Err(Errno::EDEADLK));
    // Without waiting it is a plain conflict.
    assert_eq!(m.setlk(F, P2, W, r(0, 0), false), Err(Errno::EAGAIN));
    // A read lock would wait on P1's write lock just the same.
    assert_eq!(m.setlk(F, P2, R, r(0, 0), true), Err(Errno::EDEADLK));
    assert_eq!(m.waiting(), 1);
    m.setlk(F, P2, U, r(1, 1), false).unwrap();
    assert_eq!(m.take_woken(), vec![w]);
    assert_eq!(m.retry(w), Ok(Outcome::Done));
}

#[test]
fn deadlock_across_files_and_three_processes() {
    let mut m = LockManager::new();
    m.setlk(F, P1, W, r(0, 0), false).unwrap();
    m.setlk(G, P2, W, r(0, 0), false).unwrap();
    m.setlk(F, P3, R, r(5, 5), false).unwrap();
    wait_id(m.setlk(G, P1, W, r(0, 0), true)); // P1 -> P2
    wait_id(m.setlk(F, P2, W, r(5, 5), true)); // P2 -> P3
    assert_eq!(m.setlk(F, P3, R, r(0, 0), true), Err(Errno::EDEADLK)); // P3 -> P1
                                                                       // Waiting on a process outside the cycle is fine.
    let p4 = Owner::Process(104);
    m.setlk(G, p4, W, r(9, 9), false).unwrap();
    wait_id(m.setlk(G, P3, W, r(9, 9), true));
}

#[test]
fn no_deadlock_check_for_ofd_locks() {
    let mut m = LockManager::new();
    let (d1, d2) = (Owner::Description(1), Owner::Description(2));
    m.setlk(F, d1, W, r(0, 0), false).unwrap();
    m.setlk(F, d2, W, r(1, 1), false).unwrap();
    wait_id(m.setlk(F, d1, W, r(1, 1), true));
    wait_id(m.setlk(F, d2, W, r(0, 0), true));
    // A POSIX owner waiting on an OFD lock is not followed either.
    m.setlk(F, P1, W, r(5, 5), false).unwrap();
    wait_id(m.setlk(F, d1, W, r(5, 5), true));
    wait_id(m.setlk(F, P1, W, r(1, 1), true));
}

#[test]
fn retry_finds_a_cycle_formed_meanwhile() {
    // P1 waits on P2's read lock; P3 (one thread) waits on P1, and
    // (another thread) takes a read lock P1 also needs: a cycle the
    // grant did not check. P2's unlock leaves P1 blocked by P3, and its
    // retry is refused.
    let mut m = LockManager::new();
    m.setlk(F, P2, R, r(0, 0), false).unwrap();
    m.setlk(F, P1, W, r(9, 9), false).unwrap();
    let w = wait_id(m.setlk(F, P1, W, r(0, 0), true));
    wait_id(m.setlk(F, P3, W, r(9, 9), true));
    m.setlk(F, P3, R, r(0, 0), false).unwrap();
    m.setlk(F, P2, U, r(0, 0), false).unwrap();
    assert!(m.take_woken().is_empty());
    assert_eq!(m.retry(w), Err(Errno::EDEADLK));
    assert_eq!(m.waiter(w), None);
}

// ---- fcntl with struct flock ----

fn caller() -> Caller {
    Caller {
        pid: 101,
        ofd: 1,
        pos: 0,
        size: 100,
        readable: true,
        writable: true,
    }
}

fn fl(l_type: i16, l_whence: i16, l_start: i64, l_len: i64) -> Flock {
    Flock {
        l_type,
        l_whence,
        l_start,
        l_len,
        l_pid: 0,
    }
}

#[test]
fn fcntl_set_and_get() {
    let mut m = LockManager::new();
    let a = caller();
    let b = Caller {
        pid: 102,
        ofd: 2,
        ..a
    };
    assert_eq!(
        m.fcntl(F, Cmd::SetLk, &mut fl(F_WRLCK, SEEK_END, -10, 0), &a),
        Ok(Outcome::Done)
    );
    let mut q = fl(F_RDLCK, SEEK_SET, 0, 0);
    m.fcntl(F, Cmd::GetLk, &mut q, &b).unwrap();
    assert_eq!(
        q,
        Flock {
            l_type: F_WRLCK,
            l_whence: SEEK_SET,
            l_start: 90,
            l_len: 0,
            l_pid: 101
        }
    );
    // No conflict: only l_type changes.
    let mut q = fl(F_WRLCK, SEEK_CUR, 5, -5);
    m.fcntl(F, Cmd::GetLk, &mut q, &b).unwrap();
    assert_eq!(
        q,
        Flock {
            l_type: F_UNLCK,
            ..fl(F_WRLCK, SEEK_CUR, 5, -5)
        }
    );
    assert_eq!(
        m.fcntl(F, Cmd::SetLk, &mut fl(F_RDLCK, SEEK_SET, 95, 1), &b),
        Err(Errno::EAGAIN)
    );
    assert!(matches!(
        m.fcntl(F, Cmd::SetLkW, &mut fl(F_RDLCK, SEEK_SET, 95, 1), &b),
        Ok(Outcome::Wait(_))
    ));
    // OFD: pid -1.
    let mut q = fl(F_WRLCK, SEEK_SET, 0, 0);
    m.fcntl(F, Cmd::SetLk, &mut fl(F_UNLCK, SEEK_SET, 0, 0), &a)
        .unwrap();
    m.take_woken();
    m.fcntl(F, Cmd::OfdSetLk, &mut fl(F_RDLCK, SEEK_SET, 3, 4), &a)
        .unwrap();
    m.fcntl(F, Cmd::OfdGetLk, &mut q, &b).unwrap();
    assert_eq!(
        q,
        Flock {
            l_type: F_RDLCK,
            l_whence: SEEK_SET,
            l_start: 3,
            l_len: 4,
            l_pid: -1
        }
    );
}

#[test]
fn fcntl_argument_errors_in_linux_order() {
    let mut m = LockManager::new();
    let a = caller();
    let ro = Caller {
        writable: false,
        ..a
    };
    let wo = Caller {
        readable: false,
        ..a
    };
    // Getting: the type first, then the range, then l_pid.
    assert_eq!(
        m.fcntl(F, Cmd::GetLk, &mut fl(F_UNLCK, SEEK_SET, 0, 0), &a),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        m.fcntl(F, Cmd::GetLk, &mut fl(7, SEEK_END, i64::MAX, 0), &a),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        m.fcntl(F, Cmd::GetLk, &mut fl(F_RDLCK, SEEK_END, i64::MAX, 0), &a),
        Err(Errno::EOVERFLOW)
    );
    let mut q = Flock {
        l_pid: 5,
        ..fl(F_RDLCK, SEEK_SET, 0, 0)
    };
    assert_eq!(m.fcntl(F, Cmd::OfdGetLk, &mut q, &a), Err(Errno::EINVAL));
    assert_eq!(m.fcntl(F, Cmd::GetLk, &mut q, &a), Ok(Outcome::Done));
    // Setting: the range first, then the type, then the mode, then l_pid.
    assert_eq!(
        m.fcntl(F, Cmd::SetLk, &mut fl(9, SEEK_END, i64::MAX, 0), &a),
        Err(Errno::EOVERFLOW)
    );
    assert_eq!(
        m.fcntl(F, Cmd::SetLk, &mut fl(9, SEEK_SET, 0, 0), &ro),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        m.fcntl(F, Cmd::SetLk, &mut fl(F_WRLCK, SEEK_SET, 0, 0), &ro),
        Err(Errno::EBADF)
    );
    assert_eq!(
        m.fcntl(F, Cmd::SetLk, &mut fl(F_RDLCK, SEEK_SET, 0, 0), &wo),
        Err(Errno::EBADF)
    );
    assert_eq!(
        m.fcntl(
            F,
            Cmd::SetLk,
            &mut fl(F_UNLCK, SEEK_SET, 0, 0),
            &Caller {
                readable: false,
                ..ro
            }
        ),
        Ok(Outcome::Done)
    );
    let mut s = Flock {
        l_pid: 1,
        ..fl(F_WRLCK, SEEK_SET, 0, 0)
    };
    assert_eq!(m.fcntl(F, Cmd::OfdSetLk, &mut s, &ro), Err(Errno::EBADF));
    assert_eq!(m.fcntl(F, Cmd::OfdSetLk, &mut s, &a), Err(Errno::EINVAL));
    // A POSIX request ignores l_pid.
    assert_eq!(m.fcntl(F, Cmd::SetLk, &mut s, &a), Ok(Outcome::Done));
    assert_eq!(records(&m, F), vec![(P1, W, 0, OFFSET_MAX)]);
}

#[test]
fn cmd_numbers() {
    assert_eq!(Cmd::from_raw(F_GETLK), Some(Cmd::GetLk));
    assert_eq!(Cmd::from_raw(13), None);
    assert_eq!(Cmd::from_raw_i386(13), Some(Cmd::SetLk));
    assert_eq!(Cmd::from_raw_i386(F_OFD_GETLK), Some(Cmd::OfdGetLk));
    assert_eq!(Cmd::from_raw(F_OFD_SETLKW), Some(Cmd::OfdSetLkW));
    assert_eq!(Cmd::from_raw(1), None);
    assert!(Cmd::OfdGetLk.is_ofd() && !Cmd::SetLkW.is_ofd());
}

#[test]
fn off32_check() {
    assert_eq!(fl(F_WRLCK, 0, 0, 0).check_off32(), Ok(()));
    assert_eq!(fl(F_WRLCK, 0, i32::MAX as i64, 1).check_off32(), Ok(()));
    assert_eq!(
        fl(F_WRLCK, 0, i32::MAX as i64, 2).check_off32(),
        Err(Errno::EOVERFLOW)
    );
    assert_eq!(
        fl(F_WRLCK, 0, 1 << 31, 0).check_off32(),
        Err(Errno::EOVERFLOW)
    );
}

// ---- listing ----

#[test]
fn listing_for_proc_locks() {
    let mut m = LockManager::new();
    m.flock(G, 9, R, false).unwrap();
    m.setlk(F, P1, W, r(0, 9), false).unwrap();
    m.setlk(F, Owner::Description(4), R, Range::to_eof(20), false)
        .unwrap();
    let w = wait_id(m.setlk(F, P2, R, r(5, 5), true));
    let l = m.list();
    let short: Vec<_> = l
        .iter()
        .map(|i| (i.file, i.holder.kind(), i.ty, i.range, i.waiter))
        .collect();
    assert_eq!(
        short,
        vec![
            (F, Kind::Posix, W, r(0, 9), None),
            (F, Kind::Ofd, R, Range::to_eof(20), None),
            (G, Kind::Flock, R, Range::ALL, None),
            (F, Kind::Posix, R, r(5, 5), Some(w)),
        ]
    );
}

#[test]
fn holds_follows_record_locks_only() {
    let mut m = LockManager::new();
    let p = Owner::Process(7);
    assert!(!m.holds(p));
    m.flock(1, 10, LockType::Write, false).unwrap();
    assert!(!m.holds(p));
    m.setlk(1, p, LockType::Read, r(0, 4), false).unwrap();
    m.setlk(2, p, LockType::Write, r(0, 0), false).unwrap();
    assert!(m.holds(p));
    assert!(!m.holds(Owner::Process(8)));
    m.release_owner(1, p);
    assert!(m.holds(p));
    m.setlk(2, p, LockType::Unlock, Range::ALL, false).unwrap();
    assert!(!m.holds(p));
}
