//! Property tests: several writers and a reader interleaved at random on
//! a [`PipeBuf`] and on a `VecDeque` model. Each writer writes numbered
//! messages, some short (at most `PIPE_BUF`: atomic), some long, resuming
//! a long one after a partial write as a blocking writer does. Checked:
//! the buffer holds exactly the model's bytes, never more than its
//! capacity; a short write goes in whole or waits; a long one takes all
//! the room there is; the bytes read are the bytes written in order; and
//! every short message appears contiguously in what was read.

use std::collections::VecDeque;

use pipebuf::{capacity, PipeBuf, PIPE_BUDGET, PIPE_BUF, PIPE_CAPACITY, PIPE_SMALL};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    /// Writer `w` tries to write (or continue) its message.
    Write(usize),
    /// The reader takes up to this many bytes.
    Read(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..3).prop_map(Step::Write),
        2 => prop_oneof![1usize..64, 1usize..PIPE_CAPACITY, Just(usize::MAX)].prop_map(Step::Read),
    ]
}

/// Message `i` of writer `w`: its length, and its bytes (all `w * 85 + i`,
/// unique to the message in a run of fewer than 85 steps, so a message is
/// recognisable in the stream).
fn message(w: usize, i: usize, lens: &[usize]) -> Vec<u8> {
    vec![(w * 85 + i) as u8; lens[(i + w) % lens.len()]]
}

fn length() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 1usize..=PIPE_BUF, 1 => Just(PIPE_BUF), 2 => PIPE_BUF + 1..3 * PIPE_CAPACITY / 2]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn pipe_matches_model(
        lens in proptest::collection::vec(length(), 1..6),
        small in any::<bool>(),
        steps in proptest::collection::vec(step(), 1..80),
    ) {
        let cap = if small { PIPE_SMALL } else { PIPE_CAPACITY };
        let mut pipe = PipeBuf::new();
        let mut model: VecDeque<u8> = VecDeque::new();
        // Per writer: message number, bytes of it written.
        let mut writers = [(0usize, 0usize); 3];
        let mut read: Vec<u8> = Vec::new();
        // Short messages written: (writer tag byte, length).
        let mut shorts: Vec<(u8, usize)> = Vec::new();
        for s in steps {
            match s {
                Step::Write(w) => {
                    let (i, done) = writers[w];
                    let msg = message(w, i, &lens);
                    let rest = &msg[done..];
                    let room = cap - model.len();
                    let got = pipe.write(rest, cap);
                    if rest.len() <= PIPE_BUF {
                        if room >= rest.len() {
                            prop_assert_eq!(got, Some(rest.len()));
                        } else {
                            prop_assert_eq!(got, None);
                        }
                    } else if room == 0 {
                        prop_assert_eq!(got, None);
                    } else {
                        prop_assert_eq!(got, Some(room.min(rest.len())));
                    }
                    if let Some(n) = got {
                        model.extend(&rest[..n]);
                        if done == 0 && msg.len() <= PIPE_BUF {
                            shorts.push((msg[0], msg.len()));
                        }
                        writers[w] = if done + n == msg.len() { (i + 1, 0) } else { (i, done + n) };
                    }
                }
                Step::Read(n) => {
                    let got = pipe.take(n);
                    let want: Vec<u8> = model.drain(..n.min(model.len())).collect();
                    prop_assert_eq!(&got, &want);
                    read.extend(got);
                }
            }
            prop_assert_eq!(pipe.len(), model.len());
            prop_assert!(pipe.len() <= cap);
            prop_assert_eq!(pipe.is_empty(), model.is_empty());
            prop_assert_eq!(pipe.room(cap), cap - model.len());
        }
        read.extend(pipe.take(usize::MAX));
        // Every short message is one run of its bytes in the stream: find
        // them in order per writer tag.
        let mut at = 0;
        let mut runs: Vec<(u8, usize)> = Vec::new();
        while at < read.len() {
            let b = read[at];
            let len = read[at..].iter().take_while(|&&c| c == b).count();
            runs.push((b, len));
            at += len;
        }
        for (tag, len) in shorts {
            let mine: Vec<usize> = runs.iter().filter(|r| r.0 == tag).map(|r| r.1).collect();
            prop_assert_eq!(mine, vec![len], "short message {} split", tag);
        }
    }
}

#[test]
fn small_writes_are_all_or_nothing() {
    let mut p = PipeBuf::new();
    assert_eq!(
        p.write(&[1; PIPE_CAPACITY - 100], PIPE_CAPACITY),
        Some(PIPE_CAPACITY - 100)
    );
    assert_eq!(p.write(&[2; 101], PIPE_CAPACITY), None);
    assert_eq!(p.write(&[2; 100], PIPE_CAPACITY), Some(100));
    assert_eq!(p.write(&[3; 1], PIPE_CAPACITY), None);
    assert_eq!(p.take(5000).len(), 5000);
    // A long write takes the room there is.
    assert_eq!(p.write(&[4; 8000], PIPE_CAPACITY), Some(5000));
    assert_eq!(capacity(0), PIPE_CAPACITY);
    assert_eq!(capacity(PIPE_BUDGET), PIPE_CAPACITY);
    assert_eq!(capacity(PIPE_BUDGET + 1), PIPE_SMALL);
    assert_eq!(p.room(PIPE_SMALL), 0);
}

#[test]
fn peek_leaves_the_bytes() {
    let mut p = PipeBuf::new();
    assert!(p.peek(10).is_empty());
    p.put(b"teeing");
    // Wrap the ring: take some, put more.
    assert_eq!(p.take(3), b"tee");
    p.put(b"-more");
    assert_eq!(p.peek(4), b"ing-");
    assert_eq!(p.peek(100), b"ing-more");
    assert_eq!(p.len(), 8);
    assert_eq!(p.take(100), b"ing-more");
}
