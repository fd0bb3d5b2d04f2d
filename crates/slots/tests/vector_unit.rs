//! Unit tests of `SlotVector::build`: every refusal, small known vectors,
//! accessors, and the golden-ratio two-weight case.

use slots::{EnvId, SlotError, SlotVector, MAX_SLOTS};

const A: EnvId = EnvId(1);
const B: EnvId = EnvId(2);
const C: EnvId = EnvId(3);

#[test]
fn refusals_in_order() {
    assert_eq!(SlotVector::build(&[], 0), Err(SlotError::Empty));
    assert_eq!(SlotVector::build(&[(A, 1)], 0), Err(SlotError::ZeroLength));
    assert_eq!(
        SlotVector::build(&[(A, 1)], MAX_SLOTS + 1),
        Err(SlotError::TooLong)
    );
    assert_eq!(
        SlotVector::build(&[(A, 1), (B, 0)], 4),
        Err(SlotError::ZeroWeight(B))
    );
    assert_eq!(
        SlotVector::build(&[(A, 1), (B, 2), (A, 3)], 4),
        Err(SlotError::DuplicateEnv(A))
    );
    assert_eq!(
        SlotVector::build(&[(A, u32::MAX), (B, 1)], 4),
        Err(SlotError::WeightOverflow)
    );
    // The largest total that fits is fine.
    let v = SlotVector::build(&[(A, u32::MAX - 1), (B, 1)], 4).unwrap();
    assert_eq!(v.as_slice(), &[A, A, A, A]);
    assert_eq!(v.count_of(B), 0);
    assert!(v.contains(B));
}

#[test]
fn single_environment_owns_everything() {
    let v = SlotVector::build(&[(C, 7)], 5).unwrap();
    assert_eq!(v.as_slice(), &[C; 5]);
    assert_eq!((v.len(), v.total_weight(), v.count_of(C)), (5, 7, 5));
}

#[test]
fn equal_weights_round_robin() {
    let v = SlotVector::build(&[(C, 5), (A, 5), (B, 5)], 9).unwrap();
    assert_eq!(v.as_slice(), &[A, B, C, A, B, C, A, B, C]);
}

#[test]
fn accessors() {
    let v = SlotVector::build(&[(B, 3), (A, 1)], 8).unwrap();
    assert_eq!(v.len(), 8);
    assert!(!v.is_empty());
    assert_eq!(v.get(8), None);
    assert_eq!(v.owner(8), v.owner(0));
    assert_eq!(v.weight_of(A), Some(1));
    assert_eq!(v.weight_of(C), None);
    assert_eq!((v.count_of(A), v.count_of(B), v.count_of(C)), (2, 6, 0));
    let e: Vec<_> = v.entries().collect();
    assert_eq!(e, vec![(A, 1, 2), (B, 3, 6)]);
}

#[test]
fn golden_ratio_weights_interleave_as_a_balanced_word() {
    // Weights 1000 : 618 approximate phi : 1.
    let len = 1618;
    let v = SlotVector::build(&[(A, 1000), (B, 618)], len).unwrap();
    assert_eq!((v.count_of(A), v.count_of(B)), (1000, 618));
    // No two B slots are adjacent (B's share is below 1/2) and A never
    // gets three in a row (its share is below 2/3).
    let s = v.as_slice();
    for t in 0..len {
        let w = [s[t], s[(t + 1) % len], s[(t + 2) % len]];
        assert!(!(w[0] == B && w[1] == B), "BB at {t}");
        assert!(w != [A, A, A], "AAA at {t}");
    }
}
