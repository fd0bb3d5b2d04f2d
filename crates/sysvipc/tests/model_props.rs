//! Semaphore sets and message queues against plain models.

use proptest::prelude::*;
use sysvipc::msg::{Queue, MSG_EXCEPT};
use sysvipc::sem::{SemBuf, SemSet, SEM_UNDO};

fn sembuf() -> impl Strategy<Value = SemBuf> {
    (0u16..3, -3i16..4, any::<bool>()).prop_map(|(num, op, undo)| SemBuf {
        num,
        op,
        flg: if undo { SEM_UNDO } else { 0 },
    })
}

proptest! {
    /// A semop either applies every operation (each value as the model
    /// adds them, none ever negative) or leaves the set as it was; the
    /// undo of every process's operations brings the values back.
    #[test]
    fn semop_matches_model(calls in prop::collection::vec((1u32..4, prop::collection::vec(sembuf(), 1..4)), 0..40)) {
        let mut s = SemSet::new(3, 0).unwrap();
        s.set_all(&[5, 5, 5], 1, 0).unwrap();
        let mut model = [5i32; 3];
        let mut adj = [[0i32; 3]; 4];
        for (pid, ops) in &calls {
            let before = s.clone();
            let mut v = model;
            let mut blocks = false;
            for o in ops {
                let n = o.num as usize;
                if (o.op == 0 && v[n] != 0) || v[n] + i32::from(o.op) < 0 {
                    blocks = true;
                    break;
                }
                v[n] += i32::from(o.op);
            }
            let r = s.semop(ops, *pid, 1).unwrap();
            prop_assert_eq!(r.is_some(), blocks);
            if blocks {
                prop_assert_eq!(&s, &before);
            } else {
                model = v;
                for o in ops.iter().filter(|o| o.flg & SEM_UNDO != 0) {
                    adj[*pid as usize][o.num as usize] -= i32::from(o.op);
                }
            }
            for (i, m) in model.iter().enumerate() {
                prop_assert_eq!(i32::from(s.sem(i).unwrap().val), *m);
            }
        }
        // Each process's adjustments at its end, every value kept at 0
        // or more.
        for pid in 1..4 {
            s.exit(pid, 2);
            for i in 0..3 {
                model[i] = (model[i] + adj[pid as usize][i]).max(0);
                prop_assert_eq!(i32::from(s.sem(i).unwrap().val), model[i]);
            }
        }
    }

    /// Receiving takes the message the model selects, and the byte count
    /// follows.
    #[test]
    fn queue_matches_model(ops in prop::collection::vec((any::<bool>(), -4i64..5, any::<bool>()), 0..60)) {
        let mut q = Queue::new(0);
        let mut model: Vec<(i64, Vec<u8>)> = Vec::new();
        let mut n = 0u8;
        for (send, t, except) in ops {
            if send {
                let t = t.abs().max(1);
                n = n.wrapping_add(1);
                let text = vec![n; usize::from(n % 7)];
                q.send(t, &text, 1, 1).unwrap();
                model.push((t, text));
            } else {
                let flags = if except { MSG_EXCEPT } else { 0 };
                let pick = if t == 0 {
                    (!model.is_empty()).then_some(0)
                } else if t > 0 {
                    model.iter().position(|m| (m.0 == t) != except)
                } else {
                    let low = model.iter().filter(|m| m.0 <= -t).map(|m| m.0).min();
                    low.and_then(|l| model.iter().position(|m| m.0 == l))
                };
                let got = q.receive(t, 64, flags, 2, 1);
                match pick {
                    Some(i) => prop_assert_eq!(got.unwrap(), model.remove(i)),
                    None => prop_assert!(got.is_err()),
                }
            }
            prop_assert_eq!(q.qnum(), model.len());
            prop_assert_eq!(q.cbytes, model.iter().map(|m| m.1.len()).sum::<usize>());
        }
    }
}
