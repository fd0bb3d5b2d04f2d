//! `rust-std`: a Rust std program for `x86_64-unknown-linux-musl`, built
//! static (ET_EXEC) and static-PIE, run on the host and in ExoV6 with the
//! outputs compared (`xtask/src/test/ctests.rs`). Like the C tests it prints
//! deterministic lines, checks every result itself (`FAIL: ...` and exit
//! status 1 on a failure) and ends with `rust-std: ok`; then it exits with
//! the status named by its first argument, through `std::process::exit`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Prints `FAIL: what` and exits 1 unless `cond`.
fn check(cond: bool, what: &str) {
    if !cond {
        println!("FAIL: {what}");
        std::process::exit(1);
    }
}

/// Threads sending over a channel; the receiver sums what arrives.
fn channels() {
    let (tx, rx) = mpsc::channel::<u64>();
    let workers: Vec<_> = (0..4u64)
        .map(|id| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..1000u64 {
                    tx.send(id * 1000 + i).expect("send");
                }
                id
            })
        })
        .collect();
    drop(tx);
    let mut count = 0u64;
    let mut sum = 0u64;
    for v in rx {
        count += 1;
        sum += v;
    }
    let ids: u64 = workers.into_iter().map(|w| w.join().expect("join")).sum();
    println!("channel: {count} messages from 4 threads, sum {sum}, join values sum {ids}");
    check(
        count == 4000 && sum == (0..4000).sum::<u64>() && ids == 6,
        "channel",
    );

    // A synchronous channel (capacity 1) as a rendezvous, both directions.
    let (ping_tx, ping_rx) = mpsc::sync_channel::<u32>(1);
    let (pong_tx, pong_rx) = mpsc::sync_channel::<u32>(1);
    let echo = thread::spawn(move || {
        for v in ping_rx {
            pong_tx.send(v * 2).expect("pong");
        }
    });
    let mut ok = true;
    for i in 0..200 {
        ping_tx.send(i).expect("ping");
        ok &= pong_rx.recv() == Ok(i * 2);
    }
    drop(ping_tx);
    echo.join().expect("join echo");
    println!("sync_channel ping-pong: 200 round trips, all right: {ok}");
    check(ok, "sync_channel");
}

/// A mutex-protected counter and an atomic one under contention; a
/// condition variable.
fn shared_state() {
    let counter = Arc::new(Mutex::new(0u64));
    let atomic = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let counter = Arc::clone(&counter);
            let atomic = Arc::clone(&atomic);
            thread::spawn(move || {
                for i in 0..10_000 {
                    *counter.lock().expect("lock") += 1;
                    atomic.fetch_add(1, Ordering::Relaxed);
                    if i % 1000 == 0 {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("join");
    }
    let total = *counter.lock().expect("lock");
    let atomics = atomic.load(Ordering::Relaxed);
    println!("4 threads x 10000: mutex counter {total}, atomic counter {atomics}");
    check(total == 40_000 && atomics == 40_000, "counters");

    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let waiter = {
        let pair = Arc::clone(&pair);
        thread::spawn(move || {
            let (lock, cv) = &*pair;
            let mut ready = lock.lock().expect("lock");
            while !*ready {
                ready = cv.wait(ready).expect("wait");
            }
            true
        })
    };
    thread::sleep(Duration::from_millis(10));
    {
        let (lock, cv) = &*pair;
        *lock.lock().expect("lock") = true;
        cv.notify_all();
    }
    let woke = waiter.join().expect("join");
    println!("condvar: waiter woken: {woke}");
    check(woke, "condvar");

    // A thread that panics: join reports it, the process goes on.
    let r = thread::Builder::new()
        .name("panicker".into())
        .spawn(|| {
            std::panic::set_hook(Box::new(|_| {}));
            panic!("on purpose")
        })
        .expect("spawn")
        .join();
    let _ = std::panic::take_hook();
    println!("a panicking thread's join is an error: {}", r.is_err());
    check(r.is_err(), "panic in thread");
}

/// Vec, HashMap, BTreeMap, String.
fn collections() {
    let mut v: Vec<u32> = (0..10_000).rev().collect();
    v.sort_unstable();
    v.dedup();
    let sorted = v.windows(2).all(|w| w[0] < w[1]);
    let mut words: HashMap<String, usize> = HashMap::new();
    let text = "the quick brown fox jumps over the lazy dog the end";
    for w in text.split_whitespace() {
        *words.entry(w.to_string()).or_default() += 1;
    }
    let mut big: HashMap<u64, u64> = HashMap::new();
    for i in 0..20_000u64 {
        big.insert(i, i * i);
    }
    big.retain(|k, _| k % 2 == 0);
    let ordered: BTreeMap<_, _> = words.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let first = ordered.keys().next().cloned().unwrap_or_default();
    println!(
        "vec: {} sorted {sorted}; hashmap: {} words, \"the\" {} times; 20000 keys retained {}; first word {first}",
        v.len(),
        words.len(),
        words["the"],
        big.len()
    );
    check(
        v.len() == 10_000
            && sorted
            && words.len() == 9
            && words["the"] == 3
            && big.len() == 10_000
            && big[&9998] == 9998 * 9998
            && first == "brown",
        "collections",
    );
}

/// On ExoV6 the library OS's own getpid and clock_gettime, called as
/// functions (`libos-link`), must agree with the system calls; elsewhere
/// the crate must say it is not there. The printed line is the same on
/// both, so the host run checks the guest's.
fn linked_libos() {
    let pid = std::process::id() as i64;
    let agrees = match libos_link::getpid() {
        Some(p) => p == pid,
        None => !libos_link::on_exov6(),
    };
    check(agrees, "getpid through the linked library OS");
    let clock_ok = match libos_link::clock_gettime(1) {
        Some(Ok((s, ns))) => {
            s >= 0
                && (0..1_000_000_000).contains(&ns)
                && libos_link::clock_gettime(99) == Some(Err(22))
        }
        Some(Err(_)) => false,
        None => !libos_link::on_exov6(),
    };
    check(clock_ok, "clock_gettime through the linked library OS");
    println!("linked library OS calls agree with the system calls: {}", agrees && clock_ok);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!(
        "args: {} after the program name",
        args.len().saturating_sub(1)
    );
    for (i, a) in args.iter().enumerate().skip(1) {
        println!("arg {i}: {a:?}");
    }
    let code: i32 = match args.get(1).map(|s| s.parse()) {
        Some(Ok(c)) => c,
        _ => {
            println!("FAIL: usage: rust-std EXIT-CODE [ARGS...]");
            std::process::exit(1);
        }
    };
    let start = Instant::now();
    channels();
    shared_state();
    collections();
    // The environment differs between host and guest: only read it.
    let vars = std::env::vars_os().count();
    check(vars < 100_000, "environment");
    check(start.elapsed() < Duration::from_secs(60), "monotonic time");
    linked_libos();
    println!("rust-std: ok");
    std::process::exit(code);
}
