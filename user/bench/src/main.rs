//! The ExoV6 native benchmark program. `cargo xtask bench` boots it as the
//! root task (`/sbin/root` of a separate initrd) and reads its lines.
//!
//! Arguments are the words after `init=PATH` on the kernel command line
//! (the kernel passes its whole line to the root task): `quick` (fewer
//! batches, for smoke tests), `batches=N`, `ops=N` (per batch),
//! `warmup=N` (batches run first and thrown away), `filter=SUBSTR`.
//!
//! Output, one line each (see `docs/benchmarks.md`):
//!
//! ```text
//! bench config batches=100 ops=100 warmup=10
//! bench-overhead rdtsc-pair median=N min=N unit=tsc-cycles per=batch
//! bench NAME median=N min=N iters=N batches=N unit=tsc-cycles
//! bench NAME: FAIL why
//! bench done failed=0
//! ```
//!
//! Figures are TSC cycles per operation: for each batch, the TSC ticks
//! around `ops` operations less the minimum cost of the two TSC reads,
//! divided by `ops`; the median and minimum are over the batches.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

mod cases;
mod config;
mod timing;

use exo_rt::{println, StartArgs};

use config::Config;

exo_rt::entry!(main);

fn main(args: &StartArgs) -> i32 {
    let cfg = match Config::from_cmdline(args.cmdline) {
        Ok(cfg) => cfg,
        Err(why) => {
            println!("bench: FAIL bad arguments: {why}");
            return 2;
        }
    };
    println!(
        "bench config batches={} ops={} warmup={}",
        cfg.batches, cfg.ops, cfg.warmup
    );
    let overhead = timing::overhead(&cfg);
    println!(
        "bench-overhead rdtsc-pair median={} min={} unit=tsc-cycles per=batch",
        overhead.median, overhead.min
    );
    let mut failed = 0;
    for case in cases::ALL {
        if !cfg.selects(case.name) {
            continue;
        }
        match cases::run(case, &cfg, overhead.min) {
            Ok(s) => println!(
                "bench {} median={} min={} iters={} batches={} unit=tsc-cycles",
                case.name,
                timing::Fixed1(s.median),
                timing::Fixed1(s.min),
                cfg.iterations(),
                cfg.batches
            ),
            Err(why) => {
                println!("bench {}: FAIL {why}", case.name);
                failed += 1;
            }
        }
    }
    println!("bench done failed={failed}");
    i32::from(failed > 0)
}
