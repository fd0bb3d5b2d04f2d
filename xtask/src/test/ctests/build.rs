//! Building the suite into `target/ctests/bin/`: the C programs with
//! `musl-gcc` (in parallel, each rebuilt only when its source, `ctest.h`
//! or its flags change), `rust-std` with cargo for
//! `x86_64-unknown-linux-musl`, each binary checked to be static (ET_EXEC,
//! or self-relocating ET_DYN for static-PIE, never an interpreter).
//!
//! `musl-gcc -static-pie` does not make a static PIE: Debian's
//! `musl-gcc.specs` links `Scrt1.o` and names the dynamic loader. So the
//! static-PIE variants are linked by hand with musl's `rcrt1.o` (which
//! applies its own relocations) and `-static -pie --no-dynamic-linker`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{bin_dir, out_dir, CTest, Link, Source, GUEST_DIR, TESTS};
use crate::build::Output;
use crate::cli::AddSpec;
use crate::error::{bail, Context, Error, Result};
use crate::{fsutil, paths, proc};

/// The C sources and the header they share.
const SRC_DIR: &str = "user/ctests";
const HEADER: &str = "ctest.h";
/// The Rust std program's cargo project.
const RUST_STD_DIR: &str = "user/ctests/rust-std";
/// Its target, and the variable that carries its flags.
const RUST_TARGET: &str = "x86_64-unknown-linux-musl";
const RUST_FLAGS_ENV: &str = "CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS";
/// Flags every C program is compiled with.
const CFLAGS: &[&str] = &["-O2", "-Wall", "-Werror"];

/// What a build did.
#[derive(Clone, Copy, Debug)]
pub struct Built {
    /// Programs in `target/ctests/bin`.
    pub programs: usize,
    /// C programs compiled this time (the rest were up to date).
    pub compiled: usize,
    /// Time taken.
    pub elapsed: Duration,
}

/// Builds every program once per xtask run (later calls return the first
/// result): the host step and the QEMU cases share one build.
pub fn build(output: Output) -> Result<Built> {
    static BUILT: OnceLock<std::result::Result<Built, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_all(output).map_err(|e| e.to_string()))
        .clone()
        .map_err(Error::msg)
}

/// The programs for the guest: host path in `target/ctests/bin`, guest
/// path `/ctests/NAME`. Call [`build`] first (or use [`guest_adds`]).
pub fn guest_files() -> Vec<(PathBuf, String)> {
    TESTS
        .iter()
        .map(|t| (binary(t), format!("{GUEST_DIR}/{}", t.name)))
        .collect()
}

/// Builds the suite and returns [`guest_files`] as initrd entries.
pub fn guest_adds(output: Output) -> Result<Vec<AddSpec>> {
    build(output)?;
    Ok(guest_files()
        .into_iter()
        .map(|(host, guest)| AddSpec { host, guest })
        .collect())
}

/// Where a program's binary is on the host.
pub fn binary(test: &CTest) -> PathBuf {
    bin_dir().join(test.name)
}

fn build_all(output: Output) -> Result<Built> {
    let start = Instant::now();
    if proc::which("musl-gcc").is_none() {
        bail!(
            "musl-gcc not found (Debian package musl-tools); install it:\n  {}",
            crate::build::deps::install_hint()
        );
    }
    let bin = bin_dir();
    let work = out_dir().join("build");
    for dir in [&bin, &work] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let compiled = build_c(&work)?;
    for link in [Link::Static, Link::StaticPie] {
        let wanted: Vec<&CTest> = TESTS
            .iter()
            .filter(|t| t.source == Source::RustStd && t.link == link)
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let built = build_rust(link, output)?;
        for t in wanted {
            install(&built, &binary(t), link)?;
        }
    }
    remove_strays(&bin)?;
    Ok(Built {
        programs: TESTS.len(),
        compiled,
        elapsed: start.elapsed(),
    })
}

/// Compiles the C programs that are out of date, two at a time; returns
/// how many were compiled.
fn build_c(work: &Path) -> Result<usize> {
    let src = paths::root().join(SRC_DIR);
    let header = std::fs::read(src.join(HEADER)).with_context(|| format!("reading {HEADER}"))?;
    let pie = if TESTS.iter().any(|t| t.link == Link::StaticPie) {
        Some(PieFiles::find()?)
    } else {
        None
    };
    let jobs: Vec<&CTest> = TESTS
        .iter()
        .filter(|t| matches!(t.source, Source::C(_)))
        .collect();
    let next = Mutex::new(jobs.into_iter());
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..workers {
            // (The guard is dropped inside `map`, not held by the loop.)
            s.spawn(|| {
                while let Some(t) = next.lock().map(|mut it| it.next()).ok().flatten() {
                    let r = compile(t, &src, &header, pie.as_ref(), work);
                    if let Ok(mut all) = results.lock() {
                        all.push(r);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let mut compiled = 0;
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(true) => compiled += 1,
            Ok(false) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        errors.sort();
        bail!("{}", errors.join("\n"));
    }
    Ok(compiled)
}

/// musl's start files for a static PIE.
struct PieFiles {
    before: Vec<PathBuf>,
    after: Vec<PathBuf>,
}

impl PieFiles {
    fn find() -> Result<PieFiles> {
        let wrapper = proc::which("musl-gcc").unwrap_or_else(|| "musl-gcc".into());
        let text = std::fs::read_to_string(&wrapper)
            .with_context(|| format!("reading {}", wrapper.display()))?;
        let specs = specs_path(&text).ok_or_else(|| {
            Error::msg(format!(
                "{}: no -specs file named; cannot find musl's rcrt1.o",
                wrapper.display()
            ))
        })?;
        let lib = specs.parent().unwrap_or(Path::new("/")).to_path_buf();
        let gcc = |name: &str| -> Result<PathBuf> {
            let out = Command::new("musl-gcc")
                .arg(format!("-print-file-name={name}"))
                .output()
                .with_context(|| "running musl-gcc")?;
            Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        };
        let files = PieFiles {
            before: vec![lib.join("rcrt1.o"), lib.join("crti.o"), gcc("crtbeginS.o")?],
            after: vec![gcc("crtendS.o")?, lib.join("crtn.o")],
        };
        if let Some(missing) = files
            .before
            .iter()
            .chain(&files.after)
            .find(|f| !f.is_file())
        {
            bail!("static-PIE start file {} not found", missing.display());
        }
        Ok(files)
    }
}

/// The `-specs` file a `musl-gcc` wrapper script passes to gcc (musl
/// installs it next to its `crt1.o` and `libc.a`).
pub fn specs_path(wrapper: &str) -> Option<PathBuf> {
    let at = wrapper.find("-specs")?;
    let rest = wrapper[at + "-specs".len()..].trim_start_matches(['=', ' ', '\t']);
    let path: String = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?.to_string(),
        None => rest.split_whitespace().next()?.to_string(),
    };
    (path.starts_with('/') && path.ends_with(".specs")).then(|| PathBuf::from(path))
}

/// The musl-gcc arguments for `test` (source and output paths included).
fn cc_args(test: &CTest, source: &Path, pie: Option<&PieFiles>, out: &Path) -> Vec<String> {
    let show = |p: &Path| p.display().to_string();
    let mut args: Vec<String> = CFLAGS.iter().map(|s| s.to_string()).collect();
    match (test.link, pie) {
        (Link::StaticPie, Some(pie)) => {
            args.extend(
                [
                    "-fPIE",
                    "-pie",
                    "-nostartfiles",
                    "-Wl,-static,--no-dynamic-linker,-z,text",
                ]
                .map(String::from),
            );
            args.extend(pie.before.iter().map(|p| show(p)));
            args.push(show(source));
            args.extend(pie.after.iter().map(|p| show(p)));
        }
        _ => {
            args.push("-static".into());
            args.push(show(source));
        }
    }
    args.extend(["-o".into(), show(out)]);
    args
}

/// Compiles one program unless its cache key matches; returns whether it
/// compiled.
fn compile(
    test: &CTest,
    src: &Path,
    header: &[u8],
    pie: Option<&PieFiles>,
    work: &Path,
) -> Result<bool> {
    let Source::C(file) = test.source else {
        return Ok(false);
    };
    let source = src.join(file);
    let text = std::fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
    let out = binary(test);
    let key_file = work.join(format!("{}.key", test.name));
    let args = cc_args(test, &source, pie, &out);
    let key = format!(
        "{:016x}\n",
        fsutil::fnv64(&[&text, header, args.join("\0").as_bytes()])
    );
    if out.is_file() && std::fs::read_to_string(&key_file).is_ok_and(|k| k == key) {
        return Ok(false);
    }
    let tmp = work.join(format!("{}.tmp{}", test.name, std::process::id()));
    let mut cmd = Command::new("musl-gcc");
    cmd.args(cc_args(test, &source, pie, &tmp));
    let (status, log) = proc::run_captured(cmd)?;
    if !status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!("musl-gcc for {file} ({}) failed:\n{log}", test.link.name());
    }
    check_link(&tmp, test.link).with_context(|| test.name)?;
    std::fs::rename(&tmp, &out).with_context(|| format!("renaming to {}", out.display()))?;
    fsutil::write_if_changed(&key_file, key.as_bytes())?;
    Ok(true)
}

/// Builds rust-std with the flags for `link` in its own target directory;
/// returns the binary.
fn build_rust(link: Link, output: Output) -> Result<PathBuf> {
    let dir = out_dir().join("rust").join(link.name());
    let relocation = match link {
        Link::Static => "static",
        Link::StaticPie => "pie",
    };
    let mut cmd = proc::cargo();
    cmd.args(["build", "--release", "--manifest-path"])
        .arg(paths::root().join(RUST_STD_DIR).join("Cargo.toml"))
        .args(["--target", RUST_TARGET, "--target-dir"])
        .arg(&dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env(
            RUST_FLAGS_ENV,
            format!("-C relocation-model={relocation} -C target-feature=+crt-static -D warnings"),
        );
    crate::build::run_cargo(
        cmd,
        output,
        &format!("the rust-std build ({})", link.name()),
    )?;
    Ok(dir.join(RUST_TARGET).join("release").join("rust-std"))
}

/// Checks `built` and copies it to `dest` (mode kept) if it differs.
fn install(built: &Path, dest: &Path, link: Link) -> Result<()> {
    check_link(built, link).with_context(|| paths::show(built))?;
    let same = std::fs::read(built)
        .ok()
        .is_some_and(|a| std::fs::read(dest).is_ok_and(|b| a == b));
    if !same {
        let tmp = dest.with_extension(format!("tmp{}", std::process::id()));
        std::fs::copy(built, &tmp).with_context(|| format!("copying {}", built.display()))?;
        std::fs::rename(&tmp, dest).with_context(|| format!("renaming to {}", dest.display()))?;
    }
    Ok(())
}

/// Removes anything in `target/ctests/bin` that is not a program of the
/// suite, so it holds what the guest's `/ctests` holds.
fn remove_strays(bin: &Path) -> Result<()> {
    for entry in std::fs::read_dir(bin)? {
        let entry = entry?;
        let name = entry.file_name();
        if !TESTS.iter().any(|t| name.to_str() == Some(t.name)) {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
    Ok(())
}

fn check_link(path: &Path, want: Link) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    match elf_kind(&bytes) {
        Ok(kind) if kind == want => Ok(()),
        Ok(kind) => bail!("linked {}, wanted {}", kind.name(), want.name()),
        Err(e) => bail!("{e}"),
    }
}

/// What kind of static x86_64 executable `elf` is: ET_EXEC, or ET_DYN
/// with a dynamic section (self-relocating); anything with an interpreter
/// (`PT_INTERP`) or for another machine is an error.
pub fn elf_kind(elf: &[u8]) -> std::result::Result<Link, String> {
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| {
        elf.get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    if u16_at(18) != Some(62) {
        return Err("not an x86_64 ELF file".into());
    }
    let phoff = u64_at(32).unwrap_or(0) as usize;
    let phentsize = u16_at(54).unwrap_or(0) as usize;
    let phnum = u16_at(56).unwrap_or(0) as usize;
    if phentsize < 56 {
        return Err("bad program header size".into());
    }
    let mut dynamic = false;
    for i in 0..phnum {
        match u32_at(phoff + i * phentsize) {
            Some(2) => dynamic = true,
            Some(3) => return Err("dynamically linked (it names an interpreter)".into()),
            Some(_) => {}
            None => return Err("program headers past the end of the file".into()),
        }
    }
    match u16_at(16) {
        Some(2) => Ok(Link::Static),
        Some(3) if dynamic => Ok(Link::StaticPie),
        Some(3) => Err("ET_DYN without a dynamic section".into()),
        _ => Err("neither ET_EXEC nor ET_DYN".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF header with the given type and program header types.
    fn elf(e_type: u16, phdrs: &[u32]) -> Vec<u8> {
        let mut e = vec![0u8; 64 + 56 * phdrs.len()];
        e[..4].copy_from_slice(b"\x7fELF");
        e[4] = 2;
        e[5] = 1;
        e[16..18].copy_from_slice(&e_type.to_le_bytes());
        e[18..20].copy_from_slice(&62u16.to_le_bytes());
        e[32..40].copy_from_slice(&64u64.to_le_bytes());
        e[54..56].copy_from_slice(&56u16.to_le_bytes());
        e[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for (i, t) in phdrs.iter().enumerate() {
            e[64 + 56 * i..68 + 56 * i].copy_from_slice(&t.to_le_bytes());
        }
        e
    }

    #[test]
    fn elf_kinds() {
        assert_eq!(elf_kind(&elf(2, &[1, 1])), Ok(Link::Static));
        assert_eq!(elf_kind(&elf(3, &[1, 2])), Ok(Link::StaticPie));
        assert!(elf_kind(&elf(3, &[6, 3, 1, 2]))
            .unwrap_err()
            .contains("interpreter"));
        assert!(elf_kind(&elf(3, &[1])).is_err());
        assert!(elf_kind(&elf(1, &[])).is_err());
        assert!(elf_kind(b"\x7fELF").is_err());
        let mut arm = elf(2, &[]);
        arm[18] = 183;
        assert!(elf_kind(&arm).unwrap_err().contains("x86_64"));
        // Program headers that run off the end.
        let mut short = elf(2, &[1]);
        short[56] = 9;
        assert!(elf_kind(&short).is_err());
    }

    #[test]
    fn specs_from_wrappers() {
        let debian = "#!/bin/sh\nexec \"${REALGCC:-x86_64-linux-gnu-gcc}\" \"$@\" -specs \"/usr/lib/x86_64-linux-musl/musl-gcc.specs\"\n";
        assert_eq!(
            specs_path(debian),
            Some(PathBuf::from("/usr/lib/x86_64-linux-musl/musl-gcc.specs"))
        );
        let upstream = "#!/bin/sh\nexec \"${REALGCC:-gcc}\" \"$@\" -specs /usr/local/musl/lib/musl-gcc.specs\n";
        assert_eq!(
            specs_path(upstream),
            Some(PathBuf::from("/usr/local/musl/lib/musl-gcc.specs"))
        );
        assert_eq!(specs_path("#!/bin/sh\nexec gcc \"$@\"\n"), None);
        assert_eq!(specs_path("-specs relative.specs"), None);
    }

    #[test]
    fn pie_arguments_bracket_the_source() {
        let pie = PieFiles {
            before: vec![
                "/m/rcrt1.o".into(),
                "/m/crti.o".into(),
                "/g/crtbeginS.o".into(),
            ],
            after: vec!["/g/crtendS.o".into(), "/m/crtn.o".into()],
        };
        let t = super::super::find("fork-pie").unwrap();
        let args = cc_args(t, Path::new("/s/fork.c"), Some(&pie), Path::new("/o/x"));
        let pos = |a: &str| args.iter().position(|x| x == a).unwrap();
        assert!(pos("/m/rcrt1.o") < pos("/s/fork.c") && pos("/s/fork.c") < pos("/m/crtn.o"));
        assert!(args.iter().any(|a| a.contains("--no-dynamic-linker")));
        assert!(!args.iter().any(|a| a == "-static"));
        let t = super::super::find("fork").unwrap();
        let args = cc_args(t, Path::new("/s/fork.c"), Some(&pie), Path::new("/o/x"));
        assert!(args.iter().any(|a| a == "-static"));
        assert!(!args.iter().any(|a| a.contains("rcrt1")));
        assert_eq!(args[args.len() - 2..], ["-o", "/o/x"]);
    }
}
