//! Property tests: random opens, dups, dup3s, closes, close-on-exec
//! changes and execs on [`FdTable`] and on a model map from number to
//! (file, close-on-exec) whose allocation is "the lowest number not in
//! the map". After every step both give the same result and hold the same
//! descriptors.

use std::collections::BTreeMap;

use fdtable::{Errno, Fd, FdTable, MAX_FDS};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Open { min: usize, cloexec: bool },
    Dup { fd: i64, min: usize, cloexec: bool },
    Dup3 { fd: i64, to: i64, cloexec: bool },
    Close(i64),
    SetCloexec(i64, bool),
    Exec,
}

fn fd() -> impl Strategy<Value = i64> {
    prop_oneof![8 => 0i64..24, 1 => -3i64..0, 1 => 1020i64..1030]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..20, any::<bool>()).prop_map(|(min, cloexec)| Op::Open { min, cloexec }),
        2 => (fd(), 0usize..20, any::<bool>()).prop_map(|(fd, min, cloexec)| Op::Dup { fd, min, cloexec }),
        2 => (fd(), fd(), any::<bool>()).prop_map(|(fd, to, cloexec)| Op::Dup3 { fd, to, cloexec }),
        3 => fd().prop_map(Op::Close),
        1 => (fd(), any::<bool>()).prop_map(|(fd, on)| Op::SetCloexec(fd, on)),
        1 => Just(Op::Exec),
    ]
}

struct Model {
    fds: BTreeMap<i64, (u32, bool)>,
    max: usize,
}

impl Model {
    fn lowest_free(&self, min: usize) -> Result<i64, Errno> {
        let i = (min as i64..).find(|i| !self.fds.contains_key(i)).unwrap();
        if i as usize >= self.max {
            Err(Errno::EMFILE)
        } else {
            Ok(i)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn table_matches_model(max in 4usize..=20, ops in proptest::collection::vec(op(), 1..60)) {
        let mut t: FdTable<u32> = FdTable::new();
        let mut m = Model { fds: BTreeMap::new(), max };
        let mut next_file = 0u32;
        for op in ops {
            match op {
                Op::Open { min, cloexec } => {
                    next_file += 1;
                    let got = t.install(Fd { file: next_file, cloexec }, min, max);
                    let want = m.lowest_free(min);
                    if let Ok(i) = want {
                        m.fds.insert(i, (next_file, cloexec));
                    }
                    prop_assert_eq!(got, want);
                }
                Op::Dup { fd, min, cloexec } => {
                    let got = t.dup(fd, min, cloexec, max);
                    let want = match m.fds.get(&fd) {
                        None => Err(Errno::EBADF),
                        Some(&(file, _)) => m.lowest_free(min).inspect(|&i| {
                            m.fds.insert(i, (file, cloexec));
                        }),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Dup3 { fd, to, cloexec } => {
                    let got = t.dup3(fd, to, cloexec, max);
                    let want = match m.fds.get(&fd) {
                        None => Err(Errno::EBADF),
                        Some(_) if fd == to => Err(Errno::EINVAL),
                        Some(_) if to < 0 || to as usize >= max => Err(Errno::EBADF),
                        Some(&(file, _)) => {
                            m.fds.insert(to, (file, cloexec));
                            Ok(to)
                        }
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Close(fd) => {
                    let got = t.close(fd).map(|f| f.file);
                    let want = m.fds.remove(&fd).map(|(f, _)| f).ok_or(Errno::EBADF);
                    prop_assert_eq!(got, want);
                }
                Op::SetCloexec(fd, on) => {
                    let got = t.set_cloexec(fd, on);
                    let want = match m.fds.get_mut(&fd) {
                        Some(e) => {
                            e.1 = on;
                            Ok(())
                        }
                        None => Err(Errno::EBADF),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Exec => {
                    t.close_on_exec();
                    m.fds.retain(|_, e| !e.1);
                }
            }
            let got: BTreeMap<i64, (u32, bool)> =
                t.open_fds().map(|(i, f)| (i as i64, (f.file, f.cloexec))).collect();
            prop_assert_eq!(&got, &m.fds);
            for fd in -1..(max as i64 + 2) {
                prop_assert_eq!(
                    t.get(fd).map(|f| (f.file, f.cloexec)).ok(),
                    m.fds.get(&fd).copied()
                );
            }
        }
    }
}

/// A descriptor without close-on-exec.
fn open<F>(file: F) -> Fd<F> {
    Fd {
        file,
        cloexec: false,
    }
}

#[test]
fn lowest_free_and_limits() {
    let mut t = FdTable::new();
    for i in 0..3 {
        assert_eq!(t.install(open(i), 0, 10), Ok(i64::from(i)));
    }
    t.close(1).unwrap();
    assert_eq!(t.install(open(9), 0, 10), Ok(1));
    assert_eq!(t.install(open(9), 5, 10), Ok(5));
    assert_eq!(t.install(open(9), 10, 10), Err(Errno::EMFILE));
    assert_eq!(t.install_at(10, open(9), 10), Err(Errno::EBADF));
    assert_eq!(t.close(7).map(|f| f.file), Err(Errno::EBADF));
    assert_eq!(t.dup3(0, 0, false, 10), Err(Errno::EINVAL));
}

#[test]
fn max_fds_follows_linux_growth() {
    let mut t = FdTable::new();
    assert_eq!(t.max_fds(), 64);
    t.install_at(64, open(()), MAX_FDS).unwrap();
    assert_eq!(t.max_fds(), 128);
    t.install_at(200, open(()), MAX_FDS).unwrap();
    assert_eq!(t.max_fds(), 256);
    t.install_at(1023, open(()), MAX_FDS).unwrap();
    assert_eq!(t.max_fds(), MAX_FDS);
    assert_eq!(fdtable::open_max(u64::MAX), MAX_FDS);
    assert_eq!(fdtable::open_max(3), 3);
}
