//! Property tests: random sequences of operations on an endpoint's queues
//! and a notification's word, against plain models. After every step the
//! state matches the model: arrival order is kept, an environment is
//! handed out once, a caller and a receiver never both wait, bits and
//! waiters never both wait, and a closed object gives nothing more. The
//! I/O permission bitmap switched from one set of port ranges to the next
//! is the bitmap built whole for the last set.

use std::collections::VecDeque;

use kobjects::{allow_ports, switch_ports, Closed, OpenBytes, Pending, PortRange, Queues, Word};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum EpOp {
    Call(u32),
    Receive,
    /// What a receiver does: receive, and wait if nothing was queued.
    ReceiveOrWait(u32),
    Notice(u64),
    Forget(u32),
    Close,
}

fn ep_op() -> impl Strategy<Value = EpOp> {
    prop_oneof![
        4 => (0u32..8).prop_map(EpOp::Call),
        4 => Just(EpOp::Receive),
        4 => (0u32..8).prop_map(EpOp::ReceiveOrWait),
        2 => any::<u64>().prop_map(EpOp::Notice),
        2 => (0u32..8).prop_map(EpOp::Forget),
        1 => Just(EpOp::Close),
    ]
}

#[derive(Default)]
struct EpModel {
    closed: bool,
    senders: VecDeque<u32>,
    receivers: VecDeque<u32>,
    notices: VecDeque<u64>,
}

impl EpModel {
    fn receive(&mut self) -> Result<Pending, Closed> {
        if self.closed {
            Err(Closed)
        } else if let Some(n) = self.notices.pop_front() {
            Ok(Pending::Notice([n; 6]))
        } else {
            Ok(self
                .senders
                .pop_front()
                .map_or(Pending::Nothing, Pending::Caller))
        }
    }
}

proptest! {
    #[test]
    fn endpoint_queues_match_the_model(ops in proptest::collection::vec(ep_op(), 0..64)) {
        let mut q = Queues::new();
        let mut m = EpModel::default();
        for op in ops {
            match op {
                EpOp::Call(id) => {
                    let want = if m.closed {
                        Err(Closed)
                    } else {
                        let r = m.receivers.pop_front();
                        if r.is_none() {
                            m.senders.push_back(id);
                        }
                        Ok(r)
                    };
                    prop_assert_eq!(q.call(id), want);
                }
                EpOp::Receive => {
                    let want = m.receive();
                    prop_assert_eq!(q.receive(), want);
                }
                EpOp::ReceiveOrWait(id) => {
                    let want = m.receive();
                    let got = q.receive();
                    prop_assert_eq!(got, want);
                    if got == Ok(Pending::Nothing) {
                        m.receivers.push_back(id);
                        q.wait_for_caller(id);
                    }
                }
                EpOp::Notice(n) => {
                    let want = if m.closed {
                        None
                    } else {
                        let r = m.receivers.pop_front();
                        if r.is_none() {
                            m.notices.push_back(n);
                        }
                        r
                    };
                    prop_assert_eq!(q.notice([n; 6]), want);
                }
                EpOp::Forget(id) => {
                    m.senders.retain(|s| *s != id);
                    m.receivers.retain(|r| *r != id);
                    q.forget(id);
                }
                EpOp::Close => {
                    let (s, r) = q.close();
                    prop_assert_eq!(s, core::mem::take(&mut m.senders));
                    prop_assert_eq!(r, core::mem::take(&mut m.receivers));
                    m.notices.clear();
                    m.closed = true;
                }
            }
            prop_assert_eq!(q.is_open(), !m.closed);
            prop_assert_eq!(q.lens(), (m.senders.len(), m.receivers.len(), m.notices.len()));
            // Whoever arrives second is served at once (a receiver waits
            // only when it found nothing).
            prop_assert!(m.senders.is_empty() || m.receivers.is_empty());
            prop_assert!(m.notices.is_empty() || m.receivers.is_empty());
        }
    }
}

#[derive(Clone, Debug)]
enum NtfOp {
    Signal(u64, bool),
    Wait(u32, bool),
    Forget(u32),
    Close,
}

fn ntf_op() -> impl Strategy<Value = NtfOp> {
    prop_oneof![
        4 => (prop_oneof![Just(0u64), 1u64..16, any::<u64>()], any::<bool>())
            .prop_map(|(b, take)| NtfOp::Signal(b, take)),
        4 => (0u32..8, any::<bool>()).prop_map(|(id, poll)| NtfOp::Wait(id, poll)),
        2 => (0u32..8).prop_map(NtfOp::Forget),
        1 => Just(NtfOp::Close),
    ]
}

proptest! {
    #[test]
    fn notification_word_matches_the_model(ops in proptest::collection::vec(ntf_op(), 0..64)) {
        let mut w = Word::new();
        let (mut closed, mut bits, mut waiters) = (false, 0u64, VecDeque::<u32>::new());
        for op in ops {
            match op {
                NtfOp::Signal(b, take) => {
                    let mut want = None;
                    if !closed {
                        bits |= b;
                        if bits != 0 {
                            if let Some(first) = waiters.pop_front() {
                                want = Some((first, bits));
                                if take {
                                    bits = 0;
                                }
                            }
                        }
                    }
                    let mut got = None;
                    w.signal(b, |id, word| {
                        got = Some((id, word));
                        take
                    });
                    prop_assert_eq!(got, want);
                }
                NtfOp::Wait(id, poll) => {
                    let want = if closed {
                        Err(Closed)
                    } else if bits != 0 || poll {
                        Ok(Some(core::mem::take(&mut bits)))
                    } else {
                        waiters.push_back(id);
                        Ok(None)
                    };
                    prop_assert_eq!(w.wait(id, poll), want);
                }
                NtfOp::Forget(id) => {
                    waiters.retain(|x| *x != id);
                    w.forget(id);
                }
                NtfOp::Close => {
                    prop_assert_eq!(w.close(), core::mem::take(&mut waiters));
                    closed = true;
                }
            }
            prop_assert_eq!(w.bits(), bits);
            prop_assert_eq!(w.waiting(), waiters.len());
        }
    }

    #[test]
    fn a_sub_range_lies_inside_or_is_refused(
        base in 0u32..0x1_0000, count in 0u32..0x1_0000, b in 0u64..0x2_0000, c in 0u64..0x2_0000,
    ) {
        let r = PortRange::new(base, count);
        match r.sub_range(b, c) {
            Some(s) => {
                prop_assert!(s.count > 0);
                prop_assert!(u64::from(s.base) == b && u64::from(s.count) == c);
                prop_assert!(u64::from(s.base) >= u64::from(r.base) && s.end() <= r.end());
            }
            None => prop_assert!(c == 0 || b < u64::from(base) || b + c > r.end()),
        }
    }

    #[test]
    fn the_bitmap_allows_a_port_iff_a_range_holds_it(
        ranges in proptest::collection::vec((0u32..0x1_0000, 0u32..0x200), 0..4),
        probes in proptest::collection::vec(0u32..0x1_0000, 16),
    ) {
        let ranges: Vec<PortRange> = ranges.into_iter().map(|(b, c)| PortRange::new(b, c)).collect();
        let mut map = vec![0u8; 8192];
        allow_ports(&mut map, &ranges);
        for p in probes {
            let allowed = map[(p / 8) as usize] & (1 << (p % 8)) == 0;
            let inside = ranges.iter().any(|r| u64::from(p) >= u64::from(r.base) && u64::from(p) < r.end());
            prop_assert_eq!(allowed, inside);
        }
    }

    #[test]
    fn a_switched_bitmap_is_the_bitmap_built_whole(
        sets in proptest::collection::vec(
            proptest::collection::vec((0u32..0x1_0000, 0u32..0x400), 0..4),
            1..8,
        ),
        small in any::<bool>(),
    ) {
        // A bitmap shorter than the port space too (ports past it denied).
        let len = if small { 0x100 } else { 8192 };
        let mut map = vec![0xffu8; len];
        let mut open = OpenBytes::NONE;
        for set in sets {
            let ranges: Vec<PortRange> =
                set.into_iter().map(|(b, c)| PortRange::new(b, c)).collect();
            open = switch_ports(&mut map, open, &ranges);
            let mut whole = vec![0u8; len];
            allow_ports(&mut whole, &ranges);
            prop_assert_eq!(&map, &whole);
            for (i, b) in map.iter().enumerate() {
                let inside = (i as u32) >= open.lo && (i as u32) < open.hi;
                prop_assert!(inside || *b == 0xff, "byte {} open outside {:?}", i, open);
            }
        }
    }
}
