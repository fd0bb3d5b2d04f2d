//! Command-line parsing for `cargo xtask` (hand-rolled, no dependencies):
//! the subcommands, their options, and the usage text.

use std::path::PathBuf;

use crate::arch::Arch;

/// Usage text printed by `cargo xtask help` and on argument errors.
pub const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  build   build the kernel, patch in its symbol table, build the user
          programs (x86_64: /sbin/root, the root task), make the initrd
  run     build and boot ExoV6 in QEMU, serial console on this terminal
          (raw: Ctrl-C, Ctrl-Z, Ctrl-\\ go to ExoV6; Ctrl-A X quits QEMU);
          exits with the program's status, or for a kernel status
          1 self-test failed, 2 panic, 3 CPU exception in the kernel,
          4 not enough memory, 5 root task killed by a CPU exception
          (the last line says which)
  gdb     build and boot paused with QEMU's gdb stub on :1234, and print
          the gdb command that attaches with symbols
  test    check host packages, run host tests, lints and every QEMU test;
          ends with `N passed, N failed`
  bench   boot the native benchmark program (user/bench) under each
          accelerator, print a table per accelerator, write
          target/bench/results.json (docs/benchmarks.md)
  profile BENCH
          run one benchmark row (a native one of user/bench or a C one
          of user/cbench) under TCG with -icount shift=0 and a QEMU
          plugin; print its instructions per operation by component
          (kernel, libos, servers, program) and symbol, and its costly
          instructions; write target/profile/BENCH.json
          (docs/benchmarks.md, `Profiling`)
  fuzz    boot the Linux-ABI fuzzer (user/ctests/fuzz.c): random system
          calls from forked children; passes if the system stays up and
          returns every frame
  linux-abi-doc
          write docs/linux-abi.md from the library OS's call table
          (libos/src/linux/table.rs)
  help    show this text

build options:
  --arch x86_64|i386     architecture (default x86_64)
  --iso                  also make target/exov6/x86_64/exov6.iso (empty cmdline)
  --add HOST[=/GUEST]    put a host file in the initrd (default /bin/<name>);
                         may be repeated; HOST=/sbin/root replaces the root task

run and gdb options (words after `--` are the kernel command line):
  --arch x86_64|i386     architecture (default x86_64; i386 boots Multiboot1)
  --tcg                  force software emulation
  --kvm                  force KVM (run default: what the KVM probe of
                         `cargo xtask test` picked, cached in
                         target/exov6/kvm-probe; gdb default: TCG)
  --iso                  boot through GRUB from an ISO on SeaBIOS (x86_64)
  --uefi                 boot the same ISO on OVMF (UEFI) (x86_64)
  --smp N                number of CPUs (default 1)
  --mem SIZE             guest memory, QEMU syntax: 512M, 1G (default 512M)
  --add HOST[=/GUEST]    put a host file in the initrd; may be repeated

test options:
  --filter SUBSTR        run only the steps whose name contains SUBSTR
                         (QEMU test names, `host`, `lint-...`, `build-...`)
  --no-deps              do not check or install host packages
  --jobs N               QEMU tests run in parallel (default 2)
  --tcg                  TCG only (the -kvm variants are skipped)
  --kvm                  automatic tests use KVM even where the probe finds
                         TCG faster (default: the faster one)

bench options:
  --quick                10 batches of 20 operations (default 100 x 100)
  --accel kvm|tcg|icount run under this accelerator; may be repeated
                         (default: kvm if usable, tcg, and icount =
                         `-accel tcg -icount shift=0`)
  --filter NAME          only benchmarks whose name contains NAME
  --record               rewrite the results section of docs/benchmarks.md
  --profile BENCH        instead: `cargo xtask profile BENCH`

profile options:
  --quick                the program's smaller amounts (5 or 10 batches)
  --top N                symbols shown per component (default 12)

fuzz options (docs/testing.md, `The Linux-ABI fuzzer`):
  --calls N              calls to make in all (default 1000000)
  --seed S               the run's seed, decimal or 0x hex (default: random;
                         printed, so the run can be made again)
  --child-calls K        calls per child process (default 1000)
  --only I               replay child I of the run alone
  --trace                print every call before it is made
  --tty                  the children get the console too (its settings
                         are put back after each child)
  --kvm                  run under KVM (default TCG)
  --mem SIZE             guest memory (default 512M)
  --timeout SECS         stop after SECS (default 120 + N / 200)

environment:
  EXOV6_KERNEL_X86_64, EXOV6_KERNEL_I386   boot this prebuilt ELF instead
                                           of building the kernel

examples:
  cargo xtask run -- log=debug shutdown
  cargo xtask run --uefi --smp 2 --mem 1G
  cargo xtask test --filter fault
  cargo xtask bench --quick --accel tcg
  cargo xtask profile getpid
  cargo xtask fuzz --calls 1000000 --seed 0x5eed";

/// A file to put into the initrd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddSpec {
    /// Path on the host.
    pub host: PathBuf,
    /// Absolute path in the guest.
    pub guest: String,
}

/// How the kernel is booted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Boot {
    /// QEMU `-kernel` (PVH on x86_64, Multiboot1 on i386).
    Direct,
    /// GRUB Multiboot2 from an ISO, SeaBIOS.
    Iso,
    /// GRUB Multiboot2 from the same ISO, OVMF.
    Uefi,
}

impl Boot {
    /// Short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Boot::Direct => "direct",
            Boot::Iso => "iso-bios",
            Boot::Uefi => "iso-uefi",
        }
    }
}

/// Options of `build`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildOpts {
    /// Architecture.
    pub arch: Arch,
    /// Also make the ISO.
    pub iso: bool,
    /// Extra initrd files.
    pub adds: Vec<AddSpec>,
}

/// Options of `run` and `gdb`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOpts {
    /// Architecture.
    pub arch: Arch,
    /// Boot path.
    pub boot: Boot,
    /// Force TCG.
    pub tcg: bool,
    /// Force KVM (gdb).
    pub kvm: bool,
    /// Number of CPUs.
    pub smp: u32,
    /// Memory size in QEMU syntax.
    pub mem: String,
    /// Extra initrd files.
    pub adds: Vec<AddSpec>,
    /// Kernel command line words.
    pub cmdline: Vec<String>,
}

/// Options of `test`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOpts {
    /// Name filter.
    pub filter: Option<String>,
    /// Skip the host package check.
    pub no_deps: bool,
    /// Parallel QEMU tests.
    pub jobs: usize,
    /// Force an accelerator: TCG only (KVM cases skipped), or KVM for the
    /// automatic cases even where TCG is faster.
    pub accel: Option<crate::qemu::accel::Accel>,
}

/// Options of `bench`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchOpts {
    /// Fewer batches (smoke runs).
    pub quick: bool,
    /// Accelerators asked for (empty: every available one).
    pub accels: Vec<crate::bench::BenchAccel>,
    /// Benchmark name filter.
    pub filter: Option<String>,
    /// Rewrite the results in `docs/benchmarks.md`.
    pub record: bool,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `build`
    Build(BuildOpts),
    /// `run`
    Run(RunOpts),
    /// `gdb`
    Gdb(RunOpts),
    /// `test`
    Test(TestOpts),
    /// `bench`
    Bench(BenchOpts),
    /// `profile` (or `bench --profile`)
    Profile(crate::bench::profile::ProfileOpts),
    /// `fuzz`
    Fuzz(crate::test::fuzz::FuzzOpts),
    /// `linux-abi-doc`
    LinuxAbiDoc,
    /// `help`
    Help,
}

/// Walks the arguments, handing out option values (`--opt V` or `--opt=V`).
struct Args<'a> {
    rest: std::slice::Iter<'a, String>,
}

impl<'a> Args<'a> {
    /// The value of option `name` whose flag was `flag` (maybe `--x=v`).
    fn value(&mut self, name: &str, inline: Option<&'a str>) -> Result<&'a str, String> {
        match inline {
            Some(v) => Ok(v),
            None => self
                .rest
                .next()
                .map(String::as_str)
                .ok_or_else(|| format!("option {name} needs a value")),
        }
    }
}

/// Parses `cargo xtask` arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    match cmd.as_str() {
        "build" => parse_build(rest).map(Command::Build),
        "run" => parse_run(rest, false).map(Command::Run),
        "gdb" => parse_run(rest, true).map(Command::Gdb),
        "test" => parse_test(rest).map(Command::Test),
        "bench"
            if rest
                .iter()
                .any(|a| a == "--profile" || a.starts_with("--profile=")) =>
        {
            parse_profile(rest, true).map(Command::Profile)
        }
        "bench" => parse_bench(rest).map(Command::Bench),
        "profile" => parse_profile(rest, false).map(Command::Profile),
        "fuzz" => crate::test::fuzz::parse(rest).map(Command::Fuzz),
        "linux-abi-doc" if rest.is_empty() => Ok(Command::LinuxAbiDoc),
        "help" | "-h" | "--help" => Ok(Command::Help),
        other => Err(format!("unknown command `{other}`")),
    }
}

/// Splits `--name=value` into (`--name`, Some(value)).
fn split_flag(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
        _ => (arg, None),
    }
}

fn parse_arch(v: &str) -> Result<Arch, String> {
    Arch::parse(v).ok_or_else(|| format!("unknown architecture `{v}` (x86_64 or i386)"))
}

/// Parses `HOST[=/GUEST]`; the guest path defaults to `/bin/<basename>`.
pub fn parse_add(spec: &str) -> Result<AddSpec, String> {
    let (host, guest) = match spec.rfind("=/") {
        Some(i) => (&spec[..i], Some(&spec[i + 1..])),
        None => (spec, None),
    };
    if host.is_empty() {
        return Err(format!("--add `{spec}`: empty host path"));
    }
    let host = PathBuf::from(host);
    let guest = match guest {
        Some(g) => g.to_string(),
        None => {
            let base = host
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| format!("--add `{spec}`: host path has no file name"))?;
            format!("/bin/{base}")
        }
    };
    if guest.ends_with('/') || guest.split('/').any(|c| c == "..") {
        return Err(format!("--add `{spec}`: bad guest path `{guest}`"));
    }
    Ok(AddSpec { host, guest })
}

/// Accepts QEMU memory sizes: digits with an optional K/M/G/T suffix.
fn parse_mem(v: &str) -> Result<String, String> {
    let digits = v.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
    let suffix_len = v.len() - digits.len();
    if digits.is_empty() || suffix_len > 1 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("--mem `{v}`: expected a size like 512M or 1G"));
    }
    Ok(v.to_ascii_uppercase())
}

fn parse_count(name: &str, v: &str, max: u32) -> Result<u32, String> {
    match v.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("{name} `{v}`: expected a number from 1 to {max}")),
    }
}

fn parse_build(rest: &[String]) -> Result<BuildOpts, String> {
    let mut opts = BuildOpts {
        arch: Arch::X86_64,
        iso: false,
        adds: Vec::new(),
    };
    let mut args = Args { rest: rest.iter() };
    while let Some(arg) = args.rest.next() {
        let (flag, inline) = split_flag(arg);
        match flag {
            "--arch" => opts.arch = parse_arch(args.value(flag, inline)?)?,
            "--add" => opts.adds.push(parse_add(args.value(flag, inline)?)?),
            "--iso" => opts.iso = true,
            _ => return Err(format!("build: unknown option `{arg}`")),
        }
    }
    if opts.iso && opts.arch != Arch::X86_64 {
        return Err("--iso is for x86_64 only (i386 boots Multiboot1 directly)".into());
    }
    Ok(opts)
}

fn parse_run(rest: &[String], gdb: bool) -> Result<RunOpts, String> {
    let mut opts = RunOpts {
        arch: Arch::X86_64,
        boot: Boot::Direct,
        tcg: false,
        kvm: false,
        smp: 1,
        mem: "512M".into(),
        adds: Vec::new(),
        cmdline: Vec::new(),
    };
    let (mut iso, mut uefi) = (false, false);
    let mut args = Args { rest: rest.iter() };
    while let Some(arg) = args.rest.next() {
        let (flag, inline) = split_flag(arg);
        match flag {
            "--" => {
                opts.cmdline = args.rest.by_ref().cloned().collect();
            }
            "--arch" => opts.arch = parse_arch(args.value(flag, inline)?)?,
            "--add" => opts.adds.push(parse_add(args.value(flag, inline)?)?),
            "--smp" => opts.smp = parse_count(flag, args.value(flag, inline)?, 255)?,
            "--mem" => opts.mem = parse_mem(args.value(flag, inline)?)?,
            "--tcg" => opts.tcg = true,
            "--kvm" => opts.kvm = true,
            "--iso" => iso = true,
            "--uefi" => uefi = true,
            _ => {
                let cmd = if gdb { "gdb" } else { "run" };
                return Err(format!(
                    "{cmd}: unknown option `{arg}` (kernel command line words go after `--`)"
                ));
            }
        }
    }
    if opts.tcg && opts.kvm {
        return Err("--tcg and --kvm exclude each other".into());
    }
    opts.boot = match (iso, uefi) {
        (_, true) => Boot::Uefi,
        (true, false) => Boot::Iso,
        (false, false) => Boot::Direct,
    };
    if opts.boot != Boot::Direct && opts.arch != Arch::X86_64 {
        return Err("--iso/--uefi are for x86_64 only (i386 boots Multiboot1 directly)".into());
    }
    Ok(opts)
}

fn parse_test(rest: &[String]) -> Result<TestOpts, String> {
    let mut opts = TestOpts {
        filter: None,
        no_deps: false,
        jobs: 2,
        accel: None,
    };
    let mut args = Args { rest: rest.iter() };
    while let Some(arg) = args.rest.next() {
        let (flag, inline) = split_flag(arg);
        match flag {
            "--filter" => opts.filter = Some(args.value(flag, inline)?.to_string()),
            "--no-deps" => opts.no_deps = true,
            "--tcg" => opts.accel = Some(crate::qemu::accel::Accel::Tcg),
            "--kvm" => opts.accel = Some(crate::qemu::accel::Accel::Kvm),
            "--jobs" | "-j" => {
                opts.jobs = parse_count(flag, args.value(flag, inline)?, 64)? as usize
            }
            _ => return Err(format!("test: unknown option `{arg}`")),
        }
    }
    Ok(opts)
}

fn parse_bench(rest: &[String]) -> Result<BenchOpts, String> {
    let mut opts = BenchOpts {
        quick: false,
        accels: Vec::new(),
        filter: None,
        record: false,
    };
    let mut args = Args { rest: rest.iter() };
    while let Some(arg) = args.rest.next() {
        let (flag, inline) = split_flag(arg);
        match flag {
            "--quick" => opts.quick = true,
            "--record" => opts.record = true,
            "--filter" => opts.filter = Some(args.value(flag, inline)?.to_string()),
            "--accel" => {
                let v = args.value(flag, inline)?;
                let a = crate::bench::BenchAccel::parse(v)
                    .ok_or_else(|| format!("--accel `{v}`: expected kvm, tcg or icount"))?;
                if !opts.accels.contains(&a) {
                    opts.accels.push(a);
                }
            }
            _ => return Err(format!("bench: unknown option `{arg}`")),
        }
    }
    if let Some(f) = &opts.filter {
        if f.is_empty() || f.contains(char::is_whitespace) {
            return Err(format!("--filter `{f}`: expected one word"));
        }
    }
    Ok(opts)
}

/// Parses `profile BENCH [options]`, or `bench --profile BENCH [options]`
/// (`flagged`).
fn parse_profile(
    rest: &[String],
    flagged: bool,
) -> Result<crate::bench::profile::ProfileOpts, String> {
    let mut opts = crate::bench::profile::ProfileOpts {
        bench: String::new(),
        quick: false,
        top: crate::bench::profile::DEFAULT_TOP,
    };
    let mut args = Args { rest: rest.iter() };
    while let Some(arg) = args.rest.next() {
        let (flag, inline) = split_flag(arg);
        match flag {
            "--quick" => opts.quick = true,
            "--top" => opts.top = parse_count(flag, args.value(flag, inline)?, 1000)? as usize,
            "--profile" if flagged => opts.bench = args.value(flag, inline)?.to_string(),
            _ if !flagged && !arg.starts_with('-') && opts.bench.is_empty() => {
                opts.bench = arg.clone()
            }
            _ => return Err(format!("profile: unknown option `{arg}`")),
        }
    }
    if opts.bench.is_empty() {
        return Err("profile: name a benchmark row (`cargo xtask profile getpid`)".into());
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn run(s: &str) -> RunOpts {
        match parse(&args(s)).unwrap() {
            Command::Run(o) | Command::Gdb(o) => o,
            other => panic!("not run: {other:?}"),
        }
    }

    #[test]
    fn no_arguments_is_help() {
        assert_eq!(parse(&[]), Ok(Command::Help));
        assert_eq!(parse(&args("--help")), Ok(Command::Help));
    }

    #[test]
    fn run_defaults() {
        let o = run("run");
        assert_eq!(
            (o.arch, o.boot, o.tcg, o.smp),
            (Arch::X86_64, Boot::Direct, false, 1)
        );
        assert_eq!(o.mem, "512M");
        assert!(o.cmdline.is_empty());
    }

    #[test]
    fn run_options_and_cmdline() {
        let o = run("run --tcg --smp 2 --mem=1g --uefi -- log=debug shutdown --tcg");
        assert!(o.tcg);
        assert_eq!(o.smp, 2);
        assert_eq!(o.mem, "1G");
        assert_eq!(o.boot, Boot::Uefi);
        assert_eq!(o.cmdline.join(" "), "log=debug shutdown --tcg");
        assert_eq!(run("run --iso").boot, Boot::Iso);
        assert_eq!(run("run --arch=i386").arch, Arch::I386);
        assert!(run("gdb --kvm").kvm);
        assert!(run("run --kvm").kvm);
    }

    #[test]
    fn run_rejects_bad_input() {
        for bad in [
            "run --smp 0",
            "run --smp x",
            "run --mem 12Q",
            "run --mem M",
            "run --arch arm",
            "run --arch",
            "run --arch i386 --iso",
            "run --kvm --tcg",
            "run shutdown",
            "frobnicate",
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn add_specs() {
        let a = parse_add("target/hello").unwrap();
        assert_eq!(a.guest, "/bin/hello");
        assert_eq!(a.host, PathBuf::from("target/hello"));
        let a = parse_add("x=y/file=/usr/share/file").unwrap();
        assert_eq!(a.host, PathBuf::from("x=y/file"));
        assert_eq!(a.guest, "/usr/share/file");
        assert!(parse_add("=/x").is_err());
        assert!(parse_add("f=/etc/").is_err());
        assert!(parse_add("f=/../x").is_err());
    }

    #[test]
    fn test_options() {
        let Command::Test(o) = parse(&args("test --filter timer --no-deps -j 3")).unwrap() else {
            panic!()
        };
        assert_eq!(o.filter.as_deref(), Some("timer"));
        assert!(o.no_deps);
        assert_eq!(o.jobs, 3);
        assert_eq!(o.accel, None);
        let Command::Test(o) = parse(&args("test --tcg")).unwrap() else {
            panic!()
        };
        assert_eq!(o.accel, Some(crate::qemu::accel::Accel::Tcg));
    }

    #[test]
    fn profile_options() {
        let Command::Profile(o) = parse(&args("profile pipe --quick --top 5")).unwrap() else {
            panic!()
        };
        assert_eq!((o.bench.as_str(), o.quick, o.top), ("pipe", true, 5));
        let Command::Profile(o) = parse(&args("bench --profile=getpid")).unwrap() else {
            panic!()
        };
        assert_eq!((o.bench.as_str(), o.quick, o.top), ("getpid", false, 12));
        for bad in [
            "profile",
            "profile a b",
            "profile --top 0 x",
            "bench --profile x --record",
            "bench --profile",
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn bench_options() {
        use crate::bench::BenchAccel;
        let Command::Bench(o) = parse(&args("bench")).unwrap() else {
            panic!()
        };
        assert!(!o.quick && !o.record && o.accels.is_empty() && o.filter.is_none());
        let Command::Bench(o) = parse(&args(
            "bench --quick --accel tcg --accel=icount --accel tcg --filter map --record",
        ))
        .unwrap() else {
            panic!()
        };
        assert!(o.quick && o.record);
        assert_eq!(o.accels, [BenchAccel::Tcg, BenchAccel::Icount]);
        assert_eq!(o.filter.as_deref(), Some("map"));
        for bad in [
            "bench --accel hvf",
            "bench --accel",
            "bench --fast",
            "bench --filter=",
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn build_options() {
        let Command::Build(o) = parse(&args("build --arch i386 --add a/b")).unwrap() else {
            panic!()
        };
        assert_eq!(o.arch, Arch::I386);
        assert_eq!(o.adds.len(), 1);
        assert!(parse(&args("build --arch i386 --iso")).is_err());
    }
}
