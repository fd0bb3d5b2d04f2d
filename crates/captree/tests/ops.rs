//! Unit tests of each capability operation: the happy path, each error,
//! the deletion rule, revocation through deep and wide trees, and object
//! release.

use captree::{
    CSpaceId, CapError, CapSystem, DeletedCap, ObjectId, Released, Removed, RevokeProgress, Rights,
    SlotAddr, MAX_CSPACE_SLOTS,
};

type Sys = CapSystem<u32>;

fn setup() -> (Sys, CSpaceId, CSpaceId) {
    let mut s = Sys::new();
    let a = s.create_cspace(16).unwrap();
    let b = s.create_cspace(16).unwrap();
    (s, a, b)
}

fn at(c: CSpaceId, i: u32) -> SlotAddr {
    SlotAddr::new(c, i)
}

fn ok(s: &Sys) {
    s.check_consistency().unwrap();
}

/// The released objects of a bulk removal's reports.
fn objects(removed: &[Removed<u32>]) -> Vec<Released<u32>> {
    removed
        .iter()
        .filter_map(|r| match r {
            Removed::Object(o) => Some(o.clone()),
            Removed::Cap(_) => None,
        })
        .collect()
}

/// The slots of the deleted capabilities of a bulk removal, sorted.
fn deleted_slots(removed: &[Removed<u32>]) -> Vec<SlotAddr> {
    let mut v: Vec<SlotAddr> = removed
        .iter()
        .filter_map(|r| match r {
            Removed::Cap(c) => Some(c.slot),
            Removed::Object(_) => None,
        })
        .collect();
    v.sort();
    v
}

#[test]
fn cspace_sizes() {
    let mut s = Sys::new();
    assert_eq!(s.create_cspace(0), Err(CapError::BadSize));
    assert_eq!(
        s.create_cspace(MAX_CSPACE_SLOTS + 1),
        Err(CapError::BadSize)
    );
    let c = s.create_cspace(MAX_CSPACE_SLOTS).unwrap();
    assert_eq!(s.cspace_size(c), Ok(MAX_CSPACE_SLOTS));
    assert_eq!(
        s.identify(at(c, MAX_CSPACE_SLOTS)).unwrap_err(),
        CapError::BadSlot
    );
    assert_eq!(s.identify(at(c, u32::MAX)).unwrap_err(), CapError::BadSlot);
    assert_eq!(s.identify(at(c, 0)).unwrap_err(), CapError::EmptySlot);
}

#[test]
fn spaces_are_backed_only_as_far_as_they_are_used() {
    let mut s = Sys::new();
    let c = s.create_cspace(MAX_CSPACE_SLOTS).unwrap();
    assert_eq!(s.cspace_backed(c), Ok(0));
    s.insert_root(at(c, 5), 1, Rights::ALL).unwrap();
    assert_eq!(s.cspace_backed(c), Ok(6));
    assert_eq!(s.identify(at(c, 6)).unwrap_err(), CapError::EmptySlot);
    assert_eq!(s.identify(at(c, 60_000)).unwrap_err(), CapError::EmptySlot);
    // A refusal or an empty slot written never grows it.
    assert_eq!(s.copy(at(c, 7), at(c, 60_000)), Err(CapError::EmptySlot));
    s.move_cap(at(c, 5), at(c, 3)).unwrap();
    assert_eq!(s.cspace_backed(c), Ok(6));
    s.copy(at(c, 3), at(c, MAX_CSPACE_SLOTS - 1)).unwrap();
    assert_eq!(s.cspace_backed(c), Ok(MAX_CSPACE_SLOTS));
    assert_eq!(
        s.occupied_slots(c).unwrap().collect::<Vec<_>>(),
        [3, MAX_CSPACE_SLOTS - 1]
    );
    assert_eq!(
        s.copy(at(c, 3), at(c, MAX_CSPACE_SLOTS)),
        Err(CapError::BadSlot)
    );
    ok(&s);
}

#[test]
fn insert_root_and_identify() {
    let (mut s, a, _) = setup();
    let id = s.insert_root(at(a, 1), 77, Rights::ALL).unwrap();
    let who = s.identify(at(a, 1)).unwrap();
    assert_eq!(
        (who.object, *who.kind, who.rights, who.badge),
        (id, 77, Rights::ALL, 0)
    );
    assert_eq!(s.parent_of(at(a, 1)), Ok(None));
    assert_eq!(s.object(id), Ok(&77));
    *s.object_mut(id).unwrap() = 78;
    assert_eq!(s.object(id), Ok(&78));
    assert_eq!(s.cap_count_of(id), Ok(1));
    let err = s.insert_root(at(a, 1), 5, Rights::READ).unwrap_err();
    assert_eq!((err.error, err.object), (CapError::SlotOccupied, 5));
    let err = s.insert_root(at(a, 99), 6, Rights::READ).unwrap_err();
    assert_eq!((err.error, err.object), (CapError::BadSlot, 6));
    assert_eq!(s.object_count(), 1);
    ok(&s);
}

#[test]
fn copy_keeps_rights_and_badge_and_is_a_child() {
    let (mut s, a, b) = setup();
    s.insert_root(at(a, 0), 1, Rights::ALL).unwrap();
    s.mint(at(a, 0), at(a, 1), Rights::READ | Rights::DERIVE, 9)
        .unwrap();
    s.copy(at(a, 1), at(b, 2)).unwrap();
    let c = s.identify(at(b, 2)).unwrap();
    assert_eq!((c.rights, c.badge), (Rights::READ | Rights::DERIVE, 9));
    assert_eq!(s.parent_of(at(b, 2)), Ok(Some(at(a, 1))));
    assert_eq!(
        s.children_of(at(a, 1)).unwrap().collect::<Vec<_>>(),
        vec![at(b, 2)]
    );
    ok(&s);
}

#[test]
fn derivation_needs_the_derive_right() {
    let (mut s, a, _) = setup();
    s.insert_root(at(a, 0), 1, Rights::READ | Rights::WRITE)
        .unwrap();
    assert_eq!(
        s.copy(at(a, 0), at(a, 1)),
        Err(CapError::NoRight(Rights::DERIVE))
    );
    assert_eq!(
        s.mint(at(a, 0), at(a, 1), Rights::READ, 0),
        Err(CapError::NoRight(Rights::DERIVE))
    );
    let err = s
        .derive_object(at(a, 0), at(a, 1), 2, Rights::READ)
        .unwrap_err();
    assert_eq!(err.error, CapError::NoRight(Rights::DERIVE));
    assert_eq!(s.cap_count(), 1);
}

#[test]
fn mint_cannot_escalate_or_rebadge() {
    let (mut s, a, _) = setup();
    s.insert_root(at(a, 0), 1, Rights::READ | Rights::DERIVE)
        .unwrap();
    assert_eq!(
        s.mint(at(a, 0), at(a, 1), Rights::READ | Rights::WRITE, 0),
        Err(CapError::RightsEscalation)
    );
    s.mint(at(a, 0), at(a, 1), Rights::READ | Rights::DERIVE, 5)
        .unwrap();
    assert_eq!(
        s.mint(at(a, 1), at(a, 2), Rights::READ, 6),
        Err(CapError::BadgeLocked)
    );
    assert_eq!(
        s.mint(at(a, 1), at(a, 2), Rights::READ, 0),
        Err(CapError::BadgeLocked)
    );
    s.mint(at(a, 1), at(a, 2), Rights::READ, 5).unwrap();
    assert_eq!(s.identify(at(a, 2)).unwrap().badge, 5);
    ok(&s);
}

#[test]
fn mint_granting_needs_grant_and_derive_and_is_a_child() {
    let (mut s, a, b) = setup();
    s.insert_root(at(a, 0), 1, Rights::READ | Rights::DERIVE)
        .unwrap();
    s.insert_root(at(a, 1), 2, Rights::READ | Rights::GRANT)
        .unwrap();
    s.insert_root(
        at(a, 2),
        3,
        Rights::READ | Rights::GRANT | Rights::DERIVE | Rights::REVOKE,
    )
    .unwrap();
    let before = s.clone();
    assert_eq!(
        s.mint_granting(at(a, 0), at(b, 0), Rights::READ, 0),
        Err(CapError::NoRight(Rights::GRANT))
    );
    assert_eq!(
        s.mint_granting(at(a, 1), at(b, 0), Rights::READ, 0),
        Err(CapError::NoRight(Rights::DERIVE))
    );
    assert_eq!(
        s.mint_granting(at(a, 2), at(b, 0), Rights::READ | Rights::WRITE, 0),
        Err(CapError::RightsEscalation)
    );
    // Slot checks come first.
    assert_eq!(
        s.mint_granting(at(a, 9), at(b, 0), Rights::READ, 0),
        Err(CapError::EmptySlot)
    );
    assert_eq!(
        s.mint_granting(at(a, 0), at(a, 1), Rights::READ, 0),
        Err(CapError::SlotOccupied)
    );
    assert_eq!(
        s.mint_granting(at(a, 0), at(b, 16), Rights::READ, 0),
        Err(CapError::BadSlot)
    );
    assert!(s == before, "refusals changed the state");
    s.mint_granting(at(a, 2), at(b, 3), Rights::READ | Rights::GRANT, 7)
        .unwrap();
    let id = s.identify(at(b, 3)).unwrap();
    assert_eq!(
        (*id.kind, id.rights, id.badge),
        (3, Rights::READ | Rights::GRANT, 7)
    );
    assert_eq!(s.parent_of(at(b, 3)), Ok(Some(at(a, 2))));
    // The badge is fixed like any mint's; without DERIVE it goes no further.
    assert_eq!(
        s.mint_granting(at(b, 3), at(b, 4), Rights::READ, 7),
        Err(CapError::NoRight(Rights::DERIVE))
    );
    // Revoking the source takes it back.
    let mut removed = Vec::new();
    assert_eq!(s.revoke(at(a, 2), |r| removed.push(r)), Ok(1));
    assert_eq!(s.identify(at(b, 3)).unwrap_err(), CapError::EmptySlot);
    ok(&s);
}

#[test]
fn error_precedence_source_then_destination_then_rights() {
    let (mut s, a, _) = setup();
    s.insert_root(at(a, 0), 1, Rights::READ).unwrap();
    s.insert_root(at(a, 1), 2, Rights::READ).unwrap();
    // Empty source wins over occupied destination.
    assert_eq!(s.copy(at(a, 5), at(a, 1)), Err(CapError::EmptySlot));
    // Occupied destination wins over missing right.
    assert_eq!(s.copy(at(a, 0), at(a, 1)), Err(CapError::SlotOccupied));
    assert_eq!(
        s.copy(at(a, 0), at(a, 2)),
        Err(CapError::NoRight(Rights::DERIVE))
    );
}

#[test]
fn move_keeps_the_place_in_the_tree() {
    let (mut s, a, b) = setup();
    s.insert_root(at(a, 0), 1, Rights::ALL).unwrap();
    s.copy(at(a, 0), at(a, 1)).unwrap();
    s.copy(at(a, 1), at(a, 2)).unwrap();
    s.move_cap(at(a, 1), at(b, 7)).unwrap();
    assert_eq!(s.identify(at(a, 1)).unwrap_err(), CapError::EmptySlot);
    assert_eq!(s.parent_of(at(b, 7)), Ok(Some(at(a, 0))));
    assert_eq!(s.parent_of(at(a, 2)), Ok(Some(at(b, 7))));
    assert_eq!(s.move_cap(at(b, 7), at(b, 7)), Err(CapError::SlotOccupied));
    assert_eq!(s.move_cap(at(a, 1), at(b, 8)), Err(CapError::EmptySlot));
    ok(&s);
}

#[test]
fn delete_reattaches_children_to_the_parent() {
    let (mut s, a, _) = setup();
    s.insert_root(at(a, 0), 1, Rights::ALL).unwrap();
    s.copy(at(a, 0), at(a, 1)).unwrap();
    s.copy(at(a, 1), at(a, 2)).unwrap();
    s.copy(at(a, 1), at(a, 3)).unwrap();
    s.copy(at(a, 0), at(a, 4)).unwrap();
    assert_eq!(s.delete(at(a, 1)), Ok(None));
    assert_eq!(s.parent_of(at(a, 2)), Ok(Some(at(a, 0))));
    assert_eq!(s.parent_of(at(a, 3)), Ok(Some(at(a, 0))));
    let mut kids: Vec<_> = s.children_of(at(a, 0)).unwrap().collect();
    kids.sort();
    assert_eq!(kids, vec![at(a, 2), at(a, 3), at(a, 4)]);
    ok(&s);
    // Deleting a root makes its children roots.
    assert_eq!(s.delete(at(a, 0)), Ok(None));
    for i in [2, 3, 4] {
        assert_eq!(s.parent_of(at(a, i)), Ok(None));
    }
    ok(&s);
}

#[test]
fn deleting_the_last_capability_releases_the_object() {
    let (mut s, a, b) = setup();
    let id = s.insert_root(at(a, 0), 42, Rights::ALL).unwrap();
    s.copy(at(a, 0), at(b, 0)).unwrap();
    assert_eq!(s.delete(at(a, 0)), Ok(None));
    assert_eq!(s.object(id), Ok(&42));
    assert_eq!(s.delete(at(b, 0)), Ok(Some(Released { id, object: 42 })));
    assert_eq!(s.object(id), Err(CapError::StaleObject));
    assert_eq!(s.object_count(), 0);
    // The index is reused with a new generation; the old id stays stale.
    let id2 = s.insert_root(at(a, 0), 43, Rights::ALL).unwrap();
    assert_eq!(id2.index(), id.index());
    assert_ne!(id2, id);
    assert_eq!(s.object(id), Err(CapError::StaleObject));
    assert_eq!(ObjectId::from_raw(id2.to_raw()), id2);
    ok(&s);
}

#[test]
fn revoke_removes_all_descendants_and_keeps_the_capability() {
    let (mut s, a, b) = setup();
    let id = s.insert_root(at(a, 0), 1, Rights::ALL).unwrap();
    s.copy(at(a, 0), at(a, 1)).unwrap();
    s.mint(at(a, 1), at(b, 1), Rights::READ | Rights::DERIVE, 3)
        .unwrap();
    s.copy(at(b, 1), at(b, 2)).unwrap();
    s.copy(at(a, 0), at(a, 2)).unwrap();
    let mut removed = Vec::new();
    assert_eq!(s.revoke(at(a, 0), |r| removed.push(r)), Ok(4));
    assert!(objects(&removed).is_empty());
    assert_eq!(
        deleted_slots(&removed),
        vec![at(a, 1), at(a, 2), at(b, 1), at(b, 2)]
    );
    assert!(removed.contains(&Removed::Cap(DeletedCap {
        slot: at(b, 1),
        object: id,
        rights: Rights::READ | Rights::DERIVE,
        badge: 3
    })));
    assert_eq!(s.cap_count(), 1);
    assert_eq!(s.cap_count_of(id), Ok(1));
    assert_eq!(s.revoke(at(a, 0), |_| {}), Ok(0));
    ok(&s);
}

#[test]
fn revoke_needs_the_revoke_right() {
    let (mut s, a, _) = setup();
    s.insert_root(at(a, 0), 1, Rights::ALL).unwrap();
    s.mint(at(a, 0), at(a, 1), Rights::ALL - Rights::REVOKE, 0)
        .unwrap();
    s.copy(at(a, 1), at(a, 2)).unwrap();
    assert_eq!(
        s.revoke(at(a, 1), |_| {}),
        Err(CapError::NoRight(Rights::REVOKE))
    );
    assert_eq!(s.cap_count(), 3);
}

#[test]
fn revoke_releases_derived_objects() {
    let (mut s, a, b) = setup();
    s.insert_root(at(a, 0), 100, Rights::ALL).unwrap();
    let f1 = s
        .derive_object(at(a, 0), at(a, 1), 1, Rights::READ | Rights::DERIVE)
        .unwrap();
    let f2 = s.derive_object(at(a, 0), at(a, 2), 2, Rights::ALL).unwrap();
    s.copy(at(a, 1), at(b, 1)).unwrap();
    s.copy(at(a, 2), at(b, 2)).unwrap();
    assert_eq!(
        s.derive_object(at(a, 1), at(a, 3), 3, Rights::WRITE)
            .unwrap_err()
            .error,
        CapError::RightsEscalation
    );
    assert_eq!(s.object_count(), 3);
    let mut removed = Vec::new();
    assert_eq!(s.revoke(at(a, 0), |r| removed.push(r)), Ok(4));
    // Each release comes right after the deletion of its last capability.
    for (i, r) in removed.iter().enumerate() {
        if let Removed::Object(o) = r {
            assert!(matches!(&removed[i - 1], Removed::Cap(c) if c.object == o.id));
        }
    }
    let mut released = objects(&removed);
    released.sort_by_key(|r| r.object);
    assert_eq!(
        released,
        vec![
            Released { id: f1, object: 1 },
            Released { id: f2, object: 2 }
        ]
    );
    assert_eq!(s.object_count(), 1);
    ok(&s);
}

#[test]
fn destroy_cspace_deletes_everything_in_it() {
    let (mut s, a, b) = setup();
    let x = s.insert_root(at(b, 0), 1, Rights::ALL).unwrap();
    let y = s.insert_root(at(a, 0), 2, Rights::ALL).unwrap();
    s.copy(at(a, 0), at(b, 1)).unwrap();
    s.copy(at(b, 1), at(a, 1)).unwrap();
    let mut removed = Vec::new();
    assert_eq!(s.destroy_cspace(b, |r| removed.push(r)), Ok(2));
    assert_eq!(objects(&removed), vec![Released { id: x, object: 1 }]);
    assert_eq!(deleted_slots(&removed), vec![at(b, 0), at(b, 1)]);
    assert_eq!(s.parent_of(at(a, 1)), Ok(Some(at(a, 0))));
    assert_eq!(s.cap_count_of(y), Ok(2));
    assert_eq!(s.identify(at(b, 0)).unwrap_err(), CapError::BadCSpace);
    assert_eq!(s.destroy_cspace(b, |_| {}), Err(CapError::BadCSpace));
    assert_eq!(s.cspace_count(), 1);
    // A new space does not answer to the old id.
    let c = s.create_cspace(4).unwrap();
    assert_eq!(c.index(), b.index());
    assert_eq!(s.cspace_size(b), Err(CapError::BadCSpace));
    ok(&s);
}

#[test]
fn destroy_cspace_in_steps_closes_the_space_first() {
    let (mut s, a, b) = setup();
    for i in 0..5 {
        s.insert_root(at(b, i * 3), i, Rights::ALL).unwrap();
    }
    s.insert_root(at(a, 0), 9, Rights::ALL).unwrap();
    let mut removed = Vec::new();
    let step = s.destroy_cspace_some(b, 2, |r| removed.push(r)).unwrap();
    assert_eq!(
        step,
        RevokeProgress {
            deleted: 2,
            done: false
        }
    );
    // Highest slots first; each deleted capability reports the cap and
    // its released object.
    assert_eq!(deleted_slots(&removed), vec![at(b, 9), at(b, 12)]);
    assert_eq!(removed.len(), 4);
    ok(&s);
    // A closed space takes nothing new, from inside or out.
    assert_eq!(
        s.insert_root(at(b, 1), 7, Rights::ALL).unwrap_err().error,
        CapError::BadCSpace
    );
    assert_eq!(s.copy(at(a, 0), at(b, 1)), Err(CapError::BadCSpace));
    assert_eq!(s.move_cap(at(a, 0), at(b, 1)), Err(CapError::BadCSpace));
    assert!(s.identify(at(b, 0)).is_ok());
    let step = s.destroy_cspace_some(b, 10, |_| {}).unwrap();
    assert_eq!(
        step,
        RevokeProgress {
            deleted: 3,
            done: true
        }
    );
    assert_eq!(s.cspace_size(b), Err(CapError::BadCSpace));
    assert_eq!(s.cspace_count(), 1);
    ok(&s);
}

#[test]
fn big_spaces_fill_far_slots() {
    let mut s = Sys::new();
    let c = s.create_cspace(MAX_CSPACE_SLOTS).unwrap();
    for i in [0, 1023, 1024, 500_000, MAX_CSPACE_SLOTS - 1] {
        s.insert_root(at(c, i), i, Rights::ALL).unwrap();
    }
    assert_eq!(s.cspace_used(c), Ok(5));
    assert_eq!(s.cspace_backed(c), Ok(MAX_CSPACE_SLOTS));
    assert_eq!(
        s.occupied_slots(c).unwrap().collect::<Vec<_>>(),
        [0, 1023, 1024, 500_000, MAX_CSPACE_SLOTS - 1]
    );
    ok(&s);
    assert_eq!(s.destroy_cspace(c, |_| {}), Ok(5));
    assert_eq!(s.object_count(), 0);
}

#[test]
fn lookup_reports_missing_rights() {
    let (mut s, a, _) = setup();
    s.insert_root(at(a, 0), 1, Rights::READ | Rights::MAP)
        .unwrap();
    assert!(s.lookup(at(a, 0), Rights::READ).is_ok());
    assert_eq!(
        s.lookup(at(a, 0), Rights::READ | Rights::WRITE | Rights::EXECUTE)
            .unwrap_err(),
        CapError::NoRight(Rights::WRITE | Rights::EXECUTE)
    );
}

#[test]
fn deep_chain_revoke_is_iterative() {
    const DEPTH: u32 = 60_000;
    let mut s = Sys::new();
    let c = s.create_cspace(DEPTH + 1).unwrap();
    s.insert_root(at(c, 0), 1, Rights::ALL).unwrap();
    for i in 1..=DEPTH {
        s.copy(at(c, i - 1), at(c, i)).unwrap();
    }
    // Deleting in the middle of a long chain is O(1).
    s.delete(at(c, DEPTH / 2)).unwrap();
    assert_eq!(
        s.parent_of(at(c, DEPTH / 2 + 1)),
        Ok(Some(at(c, DEPTH / 2 - 1)))
    );
    assert_eq!(s.revoke(at(c, 0), |_| {}), Ok(DEPTH as usize - 1));
    assert_eq!(s.cap_count(), 1);
    ok(&s);
}

#[test]
fn wide_and_deep_tree_revoke_counts_every_descendant() {
    // A complete ternary tree of depth 8 below one root.
    let mut s = Sys::new();
    let c = s.create_cspace(10_000).unwrap();
    s.insert_root(at(c, 0), 1, Rights::ALL).unwrap();
    let mut next = 1u32;
    let mut level = vec![0u32];
    for _ in 0..8 {
        let mut new_level = Vec::new();
        for &p in &level {
            for _ in 0..3 {
                s.copy(at(c, p), at(c, next)).unwrap();
                new_level.push(next);
                next += 1;
            }
        }
        level = new_level;
    }
    ok(&s);
    let below_first = s.revoke(at(c, 1), |_| {}).unwrap();
    assert_eq!(below_first, (3usize.pow(8) - 1) / 2 - 1);
    let rest = s.revoke(at(c, 0), |_| {}).unwrap();
    assert_eq!(rest + below_first, next as usize - 1);
    assert_eq!(s.cap_count(), 1);
    ok(&s);
}

#[test]
fn made_up_ids_are_refused() {
    let (mut s, a, _) = setup();
    let bogus = CSpaceId::from_raw(0xdead_beef_0000_0007);
    assert_eq!(s.identify(at(bogus, 0)).unwrap_err(), CapError::BadCSpace);
    assert_eq!(s.copy(at(a, 0), at(bogus, 0)), Err(CapError::EmptySlot));
    s.insert_root(at(a, 0), 1, Rights::ALL).unwrap();
    assert_eq!(s.copy(at(a, 0), at(bogus, 0)), Err(CapError::BadCSpace));
    assert_eq!(
        s.object(ObjectId::from_raw(u64::MAX)),
        Err(CapError::StaleObject)
    );
    assert_eq!(s.delete(at(a, u32::MAX)), Err(CapError::BadSlot));
}

#[test]
fn rights_bits_round_trip() {
    assert_eq!(Rights::from_bits(Rights::ALL.bits()), Some(Rights::ALL));
    assert_eq!(Rights::from_bits(1 << 7), None);
    assert_eq!(Rights::from_bits_truncate(u32::MAX), Rights::ALL);
    assert!(Rights::READ.is_subset_of(Rights::READ | Rights::WRITE));
    assert!(!(Rights::READ | Rights::GRANT).is_subset_of(Rights::READ));
    assert_eq!(format!("{:?}", Rights::READ | Rights::MAP), "READ|MAP");
    assert_eq!(format!("{:?}", Rights::NONE), "NONE");
}

#[test]
fn bounded_revoke_makes_progress_in_consistent_steps() {
    let mut s = Sys::new();
    let c = s.create_cspace(200).unwrap();
    s.insert_root(at(c, 0), 1, Rights::ALL).unwrap();
    for i in 1..200 {
        // A mix of chains and fans.
        s.copy(at(c, i / 3), at(c, i)).unwrap();
    }
    let mut total = 0;
    loop {
        let p = s.revoke_some(at(c, 0), 16, |_| {}).unwrap();
        assert!(p.deleted <= 16);
        total += p.deleted;
        ok(&s);
        if p.done {
            break;
        }
    }
    assert_eq!(total, 199);
    assert_eq!(
        s.revoke_some(at(c, 0), 0, |_| {}),
        Ok(RevokeProgress {
            deleted: 0,
            done: true
        })
    );
    assert_eq!(s.cap_count(), 1);
}
