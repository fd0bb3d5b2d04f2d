//! Unit tests of the objects' state: an endpoint's queues, a
//! notification's word, port ranges and the bitmap.

use kobjects::{allow_ports, Closed, Pending, PortRange, Queues, Word};

#[test]
fn a_call_meets_a_waiting_receiver_or_queues() {
    let mut q = Queues::new();
    assert_eq!(q.call(1), Ok(None));
    assert_eq!(q.call(2), Ok(None));
    assert_eq!(q.receive(), Ok(Pending::Caller(1)));
    assert_eq!(q.receive(), Ok(Pending::Caller(2)));
    assert_eq!(q.receive(), Ok(Pending::Nothing));
    q.wait_for_caller(7);
    q.wait_for_caller(8);
    assert_eq!(q.call(3), Ok(Some(7)));
    assert_eq!(q.call(4), Ok(Some(8)));
    assert_eq!(q.lens(), (0, 0, 0));
}

#[test]
fn notices_come_before_callers_and_go_to_a_waiting_receiver() {
    let mut q = Queues::new();
    q.wait_for_caller(5);
    assert_eq!(q.notice([1; 6]), Some(5));
    assert_eq!(q.call(1), Ok(None));
    assert_eq!(q.notice([2; 6]), None);
    assert_eq!(q.notice([3; 6]), None);
    assert_eq!(q.receive(), Ok(Pending::Notice([2; 6])));
    assert_eq!(q.receive(), Ok(Pending::Notice([3; 6])));
    assert_eq!(q.receive(), Ok(Pending::Caller(1)));
}

#[test]
fn forget_takes_an_environment_off_both_queues() {
    let mut q = Queues::new();
    q.call(1).unwrap();
    q.call(2).unwrap();
    q.forget(1);
    assert_eq!(q.receive(), Ok(Pending::Caller(2)));
    q.wait_for_caller(3);
    q.forget(3);
    assert_eq!(q.call(4), Ok(None));
}

#[test]
fn a_closed_endpoint_hands_back_its_waiters_and_refuses() {
    let mut q = Queues::new();
    q.call(1).unwrap();
    q.call(2).unwrap();
    let (senders, receivers) = q.close();
    assert_eq!(Vec::from(senders), vec![1, 2]);
    assert!(receivers.is_empty());
    assert!(!q.is_open());
    assert_eq!(q.call(3), Err(Closed));
    assert_eq!(q.receive(), Err(Closed));
    assert_eq!(q.notice([0; 6]), None);
    q.wait_for_caller(4);
    assert_eq!(q.lens(), (0, 0, 0));

    let mut q = Queues::new();
    q.wait_for_caller(9);
    let (senders, receivers) = q.close();
    assert!(senders.is_empty());
    assert_eq!(Vec::from(receivers), vec![9]);
}

#[test]
fn a_signal_wakes_the_first_waiter_with_the_word() {
    let mut w = Word::new();
    assert_eq!(w.wait(1, false), Ok(None));
    assert_eq!(w.wait(2, false), Ok(None));
    let mut woken = Vec::new();
    w.signal(0x5, |id, word| {
        woken.push((id, word));
        true
    });
    assert_eq!(woken, vec![(1, 0x5)]);
    assert_eq!(w.bits(), 0);
    assert_eq!(w.waiting(), 1);
}

#[test]
fn bits_accumulate_until_a_wait_takes_them() {
    let mut w = Word::new();
    w.signal(0x5, |_, _| unreachable!());
    w.signal(0x10, |_, _| unreachable!());
    assert_eq!(w.wait(1, false), Ok(Some(0x15)));
    assert_eq!(w.wait(1, true), Ok(Some(0)));
    assert_eq!(w.waiting(), 0);
}

#[test]
fn a_signal_of_no_bits_wakes_nobody() {
    let mut w = Word::new();
    w.wait(1, false).unwrap();
    w.signal(0, |_, _| unreachable!());
    assert_eq!(w.waiting(), 1);
}

#[test]
fn a_waiter_that_declines_leaves_the_bits() {
    let mut w = Word::new();
    w.wait(1, false).unwrap();
    w.signal(0x3, |_, _| false);
    assert_eq!(w.bits(), 0x3);
    assert_eq!(w.wait(2, false), Ok(Some(0x3)));
}

#[test]
fn a_closed_word_refuses_and_hands_back_its_waiters() {
    let mut w = Word::new();
    w.wait(1, false).unwrap();
    w.wait(2, false).unwrap();
    w.forget(1);
    assert_eq!(Vec::from(w.close()), vec![2]);
    assert_eq!(w.wait(3, true), Err(Closed));
    w.signal(1, |_, _| unreachable!());
    assert_eq!(w.bits(), 0);
}

#[test]
fn sub_ranges_lie_inside() {
    let r = PortRange::new(0x3f8, 8);
    assert_eq!(r.sub_range(0x3f8, 8), Some(r));
    assert_eq!(r.sub_range(0x3f9, 2), Some(PortRange::new(0x3f9, 2)));
    assert_eq!(r.sub_range(0x3f8, 0), None);
    assert_eq!(r.sub_range(0x3f7, 2), None);
    assert_eq!(r.sub_range(0x3ff, 2), None);
    assert_eq!(r.sub_range(u64::MAX, 2), None);
    assert_eq!(r.end(), 0x400);
    assert_eq!(r.detail(), 0x3f8 | 8 << 32);
}

#[test]
fn the_bitmap_allows_exactly_the_ranges() {
    let mut map = [0u8; 8192];
    allow_ports(
        &mut map,
        &[PortRange::new(0x60, 1), PortRange::new(0x3f8, 8)],
    );
    assert_eq!(map[0x60 / 8], !1);
    assert_eq!(map[0x3f8 / 8], 0);
    assert_eq!(map.iter().filter(|b| **b != 0xff).count(), 2);
    allow_ports(&mut map, &[PortRange::new(0xfff0, 0x100)]);
    assert!(map[..0xfff0 / 8].iter().all(|b| *b == 0xff));
    assert!(map[0xfff0 / 8..].iter().all(|b| *b == 0));
    allow_ports(&mut map, &[]);
    assert!(map.iter().all(|b| *b == 0xff));
}
