//! The C benchmark program (`user/cbench/bench.c`) and the tiny program
//! its fork-exec benchmark runs (`user/cbench/tiny.c`): building both
//! static with `musl-gcc`, their places in a guest, the benchmarks the
//! program runs, and each one's native ExoV6 counterpart.

use std::path::PathBuf;
use std::process::Command;

use crate::error::{bail, Context, Result};
use crate::{fsutil, paths, proc};

/// The benchmarks of `bench.c`, in its order, with what one operation is.
pub const BENCHMARKS: &[(&str, &str)] = &[
    ("getpid", "`syscall(SYS_getpid)`"),
    (
        "clock-gettime",
        "`clock_gettime(CLOCK_MONOTONIC)` (through the vDSO where there is one)",
    ),
    (
        "pipe",
        "one byte to a child process through a pipe and a changed byte back through another (round trip)",
    ),
    (
        "futex",
        "futex ping-pong between two threads: wake the other, wait in `FUTEX_WAIT` until it answers (round trip)",
    ),
    (
        "sched-yield",
        "`sched_yield` until a second process, yielding in a loop on the same CPU, has had a turn (round trip)",
    ),
    (
        "signal",
        "`kill` of itself with SIGUSR2; the handler runs and returns",
    ),
    (
        "sigsegv",
        "`mprotect` a page read-only, write to it: SIGSEGV, the handler `mprotect`s it writable, the write is retried",
    ),
    (
        "mmap-1m",
        "`mmap` 1 MiB anonymous, write every page (256), `munmap`",
    ),
    ("thread", "`pthread_create` + `pthread_join`"),
    (
        "fork-exit-wait",
        "`fork`, the child `_exit`s, `waitpid` checks its status",
    ),
    (
        "fork-exec-wait",
        "`fork`, the child `execve`s the static `tiny` (exits 0), `waitpid`",
    ),
    (
        "file-write-4k",
        "`pwrite` of 4 KiB at the next offset of a 16 MiB file on a tmpfs (wrapping)",
    ),
    (
        "file-read-4k",
        "`pread` of 4 KiB at the next offset of a written 16 MiB file on a tmpfs",
    ),
    (
        "file-write-1m",
        "`pwrite` of 1 MiB at the next offset of a 16 MiB file on a tmpfs",
    ),
    (
        "file-read-1m",
        "`pread` of 1 MiB at the next offset of a written 16 MiB file on a tmpfs",
    ),
    (
        "file-mmap-read",
        "`mmap` 1 MiB of that file (`MAP_SHARED`, read-only), read every page (256), `munmap`",
    ),
    (
        "file-reread-64k",
        "`pread` of the first 64 KiB of that file, again and again (a cached read)",
    ),
    ("open-close", "`open` + `close` of a file on a tmpfs"),
    ("stat", "`stat` of a file on a tmpfs"),
    (
        "create-unlink",
        "`open(O_CREAT | O_EXCL)` + `close` + `unlink` of an empty file on a tmpfs",
    ),
];

/// The native ExoV6 benchmark (of `user/bench`) that does the same work
/// on the exokernel's own interface, for the benchmarks that have one.
/// `libos-getpid` (getpid called as a function of the library OS) is
/// measured by the C program itself when it runs on ExoV6; a counterpart
/// without a figure shows as `—`.
pub const NATIVE_COUNTERPARTS: &[(&str, &str)] = &[
    ("getpid", "libos-getpid"),
    ("pipe", "ipc-call-reply"),
    ("sched-yield", "yield-to"),
    ("sigsegv", "fault-upcall"),
    ("mmap-1m", "map-unmap"),
];

/// The native counterpart of a C benchmark.
pub fn counterpart(name: &str) -> Option<&'static str> {
    NATIVE_COUNTERPARTS
        .iter()
        .find(|(c, _)| *c == name)
        .map(|(_, n)| *n)
}

/// Where the built programs go.
pub fn out_dir() -> PathBuf {
    paths::target_dir().join("cbench")
}

/// The static benchmark binary.
pub fn bench_binary() -> PathBuf {
    out_dir().join("bench")
}

/// The static tiny binary.
pub fn tiny_binary() -> PathBuf {
    out_dir().join("tiny")
}

/// The built binaries with their paths in the ExoV6 ramdisk: `bench` as
/// `/bin/cbench`, `tiny` as `/bin/tiny` (where `bench` looks for it by
/// default: beside itself). Call [`build`] first (or use
/// [`build_guest_files`]).
pub fn guest_files() -> Vec<(PathBuf, String)> {
    vec![
        (bench_binary(), "/bin/cbench".to_string()),
        (tiny_binary(), "/bin/tiny".to_string()),
    ]
}

/// Builds both programs and returns [`guest_files`].
pub fn build_guest_files() -> Result<Vec<(PathBuf, String)>> {
    build()?;
    Ok(guest_files())
}

/// `musl-gcc -static -O2` with warnings as errors, `src` to `out`; the
/// output is only replaced when it changed.
fn compile(src: &str, out: &PathBuf) -> Result<()> {
    let Some(cc) = proc::which("musl-gcc") else {
        bail!("musl-gcc not found: install the `musl-tools` package (`cargo xtask test` does, as root)");
    };
    let src = paths::root().join(src);
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    std::fs::create_dir_all(out_dir())?;
    let mut cmd = Command::new(cc);
    cmd.args(["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&tmp)
        .arg(&src);
    let (status, text) = proc::run_captured(cmd).with_context(|| "running musl-gcc")?;
    if !status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!(
            "musl-gcc {} failed ({status}):\n{}",
            paths::show(&src),
            proc::tail(&text, 30).join("\n")
        );
    }
    let bytes = std::fs::read(&tmp)?;
    let _ = std::fs::remove_file(&tmp);
    fsutil::write_if_changed(out, &bytes)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// Builds `target/cbench/bench` and `target/cbench/tiny`.
pub fn build() -> Result<()> {
    compile("user/cbench/bench.c", &bench_binary())?;
    compile("user/cbench/tiny.c", &tiny_binary())
}

/// The benchmark names a filter selects.
pub fn selected(filter: Option<&str>) -> Vec<&'static str> {
    BENCHMARKS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| filter.is_none_or(|f| n.contains(f)))
        .collect()
}

/// The program's arguments for a run.
pub fn args(quick: bool, filter: Option<&str>) -> Vec<String> {
    let mut a = Vec::new();
    if quick {
        a.push("--quick".to_string());
    }
    if let Some(f) = filter {
        a.extend(["--filter".to_string(), f.to_string()]);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_counterparts() {
        let names = selected(None);
        assert_eq!(names.len(), 20);
        assert_eq!(selected(Some("fork")), ["fork-exit-wait", "fork-exec-wait"]);
        for (c, n) in NATIVE_COUNTERPARTS {
            assert!(names.contains(c), "{c}");
            assert!(!n.is_empty());
        }
        assert_eq!(counterpart("pipe"), Some("ipc-call-reply"));
        assert_eq!(counterpart("thread"), None);
        assert_eq!(args(true, Some("pipe")), ["--quick", "--filter", "pipe"]);
        let g = guest_files();
        assert_eq!(g[0].1, "/bin/cbench");
        assert_eq!(g[1].1, "/bin/tiny");
    }
}
