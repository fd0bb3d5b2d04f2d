//! The numbers and names agree with Linux's, and the conversions are
//! inverse to each other.

use linux_errno::{to_ret, Errno};
use proptest::prelude::*;

#[test]
fn numbers_are_linux_x86() {
    assert_eq!(Errno::EPERM.raw(), 1);
    assert_eq!(Errno::ENOENT.raw(), 2);
    assert_eq!(Errno::EAGAIN.raw(), 11);
    assert_eq!(Errno::EWOULDBLOCK, Errno::EAGAIN);
    assert_eq!(Errno::ENOSYS.raw(), 38);
    assert_eq!(Errno::ELOOP.raw(), 40);
    assert_eq!(Errno::EDEADLOCK, Errno::EDEADLK);
    assert_eq!(Errno::ETIMEDOUT.raw(), 110);
    assert_eq!(Errno::EHWPOISON.raw(), 133);
    assert_eq!(Errno::ERESTARTSYS.raw(), 512);
    assert_eq!(Errno::ENOTSUP.name(), "EOPNOTSUPP");
    assert_eq!(Errno::ENOENT.to_string(), "ENOENT");
}

#[test]
fn all_is_sorted_and_complete() {
    assert!(Errno::ALL.windows(2).all(|w| w[0] < w[1]));
    // 1..=133 without the two aliases' numbers (41 and 58 are unused).
    assert_eq!(Errno::ALL.iter().filter(|e| !e.is_restart()).count(), 131);
    for e in Errno::ALL {
        assert_eq!(Errno::from_raw(e.raw()), Some(*e));
        assert_eq!(Errno::from_ret(e.to_ret()), Some(*e));
        assert!(e.name().starts_with('E'));
    }
}

proptest! {
    #[test]
    fn from_raw_is_the_inverse_of_raw(n in 0u16..1024) {
        match Errno::from_raw(n) {
            Some(e) => prop_assert_eq!(e.raw(), n),
            None => prop_assert!(Errno::ALL.iter().all(|e| e.raw() != n)),
        }
    }

    #[test]
    fn returns_round_trip(v in 0i64..i64::MAX, n in 1u16..600) {
        prop_assert_eq!(to_ret(Ok(v as u64)), v);
        if let Some(e) = Errno::from_raw(n) {
            prop_assert_eq!(to_ret(Err(e)), -(n as i64));
            prop_assert_eq!(Errno::from_ret(-(n as i64)), Some(e));
        }
        prop_assert_eq!(Errno::from_ret(v), None);
    }
}
