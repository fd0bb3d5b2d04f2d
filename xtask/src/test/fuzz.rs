//! The Linux-ABI fuzzer (`user/ctests/fuzz.c`, in the ramdisk as
//! `/ctests/fuzz`) booted in ExoV6: the `linux-fuzz` QEMU test of `cargo
//! xtask test` (50,000 calls with a fixed seed, so every run makes the
//! same calls) and `cargo xtask fuzz`, a run of any length and seed for
//! people hunting bugs. Both pass only when the fuzzer prints its summary
//! and the check that the system still works, init reports its exit with
//! status 0, the machine powers off with status 0, nothing on the console
//! reports a panic, a kernel fault or a killed root task, and the kernel
//! gets every frame back.

use std::time::Duration;

use crate::build::{self, Output};
use crate::cli::Boot;
use crate::error::Result;
use crate::qemu::accel::Accel;
use crate::qemu::session::{self, Input, Watch};
use crate::qemu::status::Status;
use crate::qemu::{Console, Machine};
use crate::test::qemu_runner::{judge, Verdict};
use crate::test::qemu_tests::{QemuTest, FRAMES_RETURNED, X86_64};

/// The lines every passing run prints.
const EXPECT: &[&str] = &[
    "fuzz: seed *",
    "fuzz: results: *",
    "fuzz: the system still works (fork, pipe, file)",
    "fuzz: done: * calls in * children *",
    "fuzz: ok",
    "init: /ctests/fuzz exited with status 0",
    "sysd: init ended with status 0",
    "root: exited with code 0",
    FRAMES_RETURNED,
];

/// What no run may print: a panic (kernel, server or library OS), a
/// kernel fault, the root task's death, lost frames, the fuzzer's own
/// failure (`FAIL:`, e.g. fork failing for good).
const REJECT: &[&str] = &[
    "PANIC:",
    "FAULT:",
    "panic: ",
    "root: killed by",
    "root: cannot start",
    "kernel: frames not returned",
    "kernel: deadlock:",
    "FAIL:",
];

/// The QEMU test `linux-fuzz`.
pub const TESTS: &[QemuTest] = &[QemuTest {
    name: "linux-fuzz",
    // At least 50,000 calls per run, with a fixed seed, so a failure repeats.
    cmdline: "shutdown init=/ctests/fuzz --calls 50000 --seed 0x5eed",
    expect: EXPECT,
    reject: REJECT,
    status: Status::Program(0),
    ..X86_64
}];

/// Options of `cargo xtask fuzz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuzzOpts {
    /// Calls to make in all.
    pub calls: u64,
    /// The seed (random when not given).
    pub seed: Option<u64>,
    /// Calls per child.
    pub child_calls: Option<u64>,
    /// Replay only this child.
    pub only: Option<u64>,
    /// Print every call.
    pub trace: bool,
    /// Give the children the console too.
    pub tty: bool,
    /// Use KVM instead of TCG.
    pub kvm: bool,
    /// Guest memory (QEMU syntax).
    pub mem: String,
    /// Stop after this long (default: from the number of calls).
    pub timeout: Option<Duration>,
}

fn number(flag: &str, v: &str) -> std::result::Result<u64, String> {
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    parsed.map_err(|_| format!("{flag} `{v}`: expected a number (decimal or 0x hex)"))
}

/// Parses the options of `cargo xtask fuzz`.
pub fn parse(rest: &[String]) -> std::result::Result<FuzzOpts, String> {
    let mut o = FuzzOpts {
        calls: 1_000_000,
        seed: None,
        child_calls: None,
        only: None,
        trace: false,
        tty: false,
        kvm: false,
        mem: "512M".into(),
        timeout: None,
    };
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("option {flag} needs a value"))
        };
        match flag {
            "--calls" => o.calls = number(flag, &value()?)?,
            "--seed" => o.seed = Some(number(flag, &value()?)?),
            "--child-calls" => o.child_calls = Some(number(flag, &value()?)?),
            "--only" => o.only = Some(number(flag, &value()?)?),
            "--timeout" => o.timeout = Some(Duration::from_secs(number(flag, &value()?)?)),
            "--mem" => o.mem = value()?,
            "--trace" => o.trace = true,
            "--tty" => o.tty = true,
            "--kvm" => o.kvm = true,
            _ => return Err(format!("fuzz: unknown option `{arg}`")),
        }
    }
    if o.calls == 0 || o.child_calls == Some(0) {
        return Err("fuzz: --calls and --child-calls must be at least 1".into());
    }
    Ok(o)
}

/// A seed from the clock and the process id.
fn random_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut z = t ^ (u64::from(std::process::id()) << 32);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The fuzzer's arguments for these options and seed.
pub fn fuzz_args(o: &FuzzOpts, seed: u64) -> String {
    let mut a = format!("--calls {} --seed {seed:#x}", o.calls);
    if let Some(k) = o.child_calls {
        a += &format!(" --child-calls {k}");
    }
    if let Some(i) = o.only {
        a += &format!(" --only {i}");
    }
    if o.trace {
        a += " --trace";
    }
    if o.tty {
        a += " --tty";
    }
    a
}

/// `cargo xtask fuzz`: boots the fuzzer with the console on this
/// terminal, then judges the run as `linux-fuzz` does; exit code 0 if it
/// passed, 1 if not.
pub fn fuzz(o: &FuzzOpts) -> Result<u8> {
    let seed = o.seed.unwrap_or_else(random_seed);
    let args = fuzz_args(o, seed);
    let art = build::all(crate::arch::Arch::X86_64, &[], Output::Show)?;
    eprintln!("xtask: built {}", art.describe());
    let cmdline = format!("shutdown init=/ctests/fuzz {args}");
    let accel = if o.kvm { Accel::Kvm } else { Accel::Tcg };
    let m = Machine {
        arch: crate::arch::Arch::X86_64,
        boot: Boot::Direct,
        accel,
        smp: 1,
        mem: &o.mem,
        kernel: &art.kernel,
        initrd: &art.initrd,
        iso: None,
        cmdline: &cmdline,
        gdb: false,
        console: Console::Plain,
    };
    let timeout = o
        .timeout
        .unwrap_or(Duration::from_secs(120 + o.calls / 200));
    eprintln!(
        "xtask: fuzzing under {} with {cmdline:?} (stops after {} s)",
        accel.name(),
        timeout.as_secs()
    );
    let watch = Watch {
        echo: true,
        input: Input::Script(Vec::new()),
        timeout: Some(timeout),
        banner_timeout: None,
        capture_stderr: true,
    };
    let outcome = session::run(m.command()?, &watch)?;
    let test = QemuTest {
        name: "fuzz",
        cmdline: "",
        ..TESTS[0]
    };
    let replay = format!("cargo xtask fuzz {args}");
    match judge(&test, &outcome, accel) {
        Verdict::Pass => {
            let done = outcome
                .lines
                .iter()
                .find(|l| l.starts_with("fuzz: done:"))
                .cloned()
                .unwrap_or_default();
            println!("xtask: fuzz PASS: {done}");
            Ok(0)
        }
        Verdict::Fail(why) | Verdict::Skip(why) => {
            println!("xtask: fuzz FAIL: {why}");
            println!("xtask: replay with: {replay}");
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options_parse() {
        let o = parse(&args("--calls 2000 --seed 0x10 --only 3 --trace")).unwrap();
        assert_eq!(o.calls, 2000);
        assert_eq!(o.seed, Some(16));
        assert_eq!(o.only, Some(3));
        assert!(o.trace && !o.kvm);
        assert_eq!(
            fuzz_args(&o, 16),
            "--calls 2000 --seed 0x10 --only 3 --trace"
        );
        let d = parse(&[]).unwrap();
        assert_eq!(d.calls, 1_000_000);
        assert_eq!(d.seed, None);
        assert_eq!(
            parse(&args("--calls=5 --child-calls=7"))
                .unwrap()
                .child_calls,
            Some(7)
        );
        assert!(parse(&args("--calls 0")).is_err());
        assert!(parse(&args("--seed")).is_err());
        assert!(parse(&args("--bogus")).is_err());
        assert!(parse(&args("--calls x")).is_err());
    }

    #[test]
    fn the_test_makes_enough_calls() {
        let t = &TESTS[0];
        let words: Vec<&str> = t.cmdline.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "--calls").unwrap();
        assert!(words[at + 1].parse::<u64>().unwrap() >= 50_000);
        assert!(words.contains(&"--seed"));
        assert!(t.expect.contains(&FRAMES_RETURNED));
        assert!(t.reject.contains(&"FAIL:"));
    }
}
