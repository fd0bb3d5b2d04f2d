//! `cargo xtask run`: build, boot in QEMU with the serial console on the
//! terminal (raw, the terminal's size on the kernel command line), on the
//! accelerator the KVM probe picked, falling back from KVM to TCG if the
//! banner does not appear, and exit with the guest's status.

use std::path::PathBuf;

use crate::build::deps::{self, Need};
use crate::build::image;
use crate::build::{self, Artifacts, Output};
use crate::cli::{Boot, RunOpts};
use crate::error::Result;
use crate::qemu::accel::{self, Accel};
use crate::qemu::accel_cache;
use crate::qemu::session::{self, Input, Watch};
use crate::qemu::term::{self, TermGuard};
use crate::qemu::{Console, Exit, Machine};

/// Exit code of `cargo xtask run` when QEMU itself failed.
pub const QEMU_ERROR_EXIT: u8 = 125;

/// The host pieces a boot with these options needs.
pub fn needs(opts: &RunOpts) -> Vec<Need> {
    let mut needs = vec![Need::Qemu(opts.arch)];
    if opts.boot != Boot::Direct {
        needs.push(Need::IsoTools);
    }
    if opts.boot == Boot::Uefi {
        needs.push(Need::Ovmf);
    }
    needs
}

/// Checks host packages, builds, and makes the ISO (with `cmdline` in its
/// GRUB menu) if the boot needs one.
pub fn prepare(opts: &RunOpts, cmdline: &str) -> Result<(Artifacts, Option<PathBuf>)> {
    let report = deps::ensure(&needs(opts))?;
    if report.starts_with("installed") {
        eprintln!("xtask: {report}");
    }
    let art = build::all(opts.arch, &opts.adds, Output::Show)?;
    eprintln!("xtask: built {}", art.describe());
    let iso = match opts.boot {
        Boot::Direct => None,
        Boot::Iso | Boot::Uefi => Some(image::iso(&art, cmdline)?),
    };
    Ok((art, iso))
}

/// The serial console's connection for our stdin: a terminal gets
/// [`Console::Terminal`] (raw, Ctrl-A X quits), anything else the plain
/// byte stream.
pub fn console_for_stdin() -> Console {
    if term::stdin_is_terminal() {
        Console::Terminal
    } else {
        Console::Plain
    }
}

/// The kernel command line of a boot: the user's words, after the
/// terminal's size (`winsize=COLSxROWS`) when it is known and the words
/// set none before `init=` (whose words are the program's).
/// The words of the init program (after `init=`) are quoted where they
/// need it, so each reaches the program as the one word it was here
/// (`cargo xtask run -- init=/bin/sh -c 'a; b'`).
pub fn cmdline_with_size(words: &[String], size: Option<term::Size>) -> String {
    let options = words.iter().take_while(|w| !w.starts_with("init="));
    let given = options.clone().any(|w| w.starts_with("winsize="));
    let n = options.count();
    let mut all: Vec<String> = match size {
        Some(size) if !given => vec![size.cmdline_word()],
        _ => Vec::new(),
    };
    all.extend(words[..n].iter().cloned());
    if let Some((init, args)) = words[n..].split_first() {
        all.push(init.clone());
        all.extend(args.iter().map(|w| quote_init_word(w)));
    }
    all.join(" ")
}

/// One argument of the init program as the system server splits them
/// (blanks separate words; `'...'` and `"..."` keep them together): as
/// it is when it needs no quotes, else in single quotes, or in double
/// quotes when it holds a single quote. (A word with both kinds cannot
/// be written; it goes in single quotes and splits at them.)
fn quote_init_word(w: &str) -> String {
    let plain = !w.is_empty()
        && !w
            .chars()
            .any(|c| c.is_ascii_whitespace() || c == '\'' || c == '"');
    if plain {
        w.to_string()
    } else if w.contains('\'') && !w.contains('"') {
        format!("\"{w}\"")
    } else {
        format!("'{w}'")
    }
}

/// The machine for these options.
pub fn machine<'a>(
    opts: &'a RunOpts,
    art: &'a Artifacts,
    iso: Option<&'a PathBuf>,
    cmdline: &'a str,
    accel: Accel,
    gdb: bool,
    console: Console,
) -> Machine<'a> {
    Machine {
        arch: opts.arch,
        boot: opts.boot,
        accel,
        smp: opts.smp,
        mem: &opts.mem,
        kernel: &art.kernel,
        initrd: &art.initrd,
        iso: iso.map(PathBuf::as_path),
        cmdline,
        gdb,
        console,
    }
}

/// What the keyboard does in a terminal boot, printed before it.
pub const KEYS_NOTE: &str =
    "Ctrl-C, Ctrl-Z and Ctrl-\\ go to ExoV6; Ctrl-A X quits QEMU, Ctrl-A C toggles the QEMU monitor";

/// Maps QEMU's end to `cargo xtask run`'s exit code, with a closing note
/// that says whether the status is a program's or the kernel's.
pub fn exit_code(exit: Exit) -> u8 {
    match exit {
        Exit::Guest(s) => {
            eprintln!(
                "xtask: guest ended: {} (exit code {})",
                s.describe(),
                s.exit_code()
            );
            s.exit_code()
        }
        Exit::QemuError(c) => {
            eprintln!("xtask: QEMU failed (exit code {c})");
            QEMU_ERROR_EXIT
        }
        Exit::Signal => {
            eprintln!("xtask: QEMU was stopped by a signal");
            130
        }
        Exit::Quit => {
            eprintln!("\nxtask: QEMU quit from the keyboard (Ctrl-A X)");
            0
        }
    }
}

/// The accelerator `--kvm`/`--tcg` force, if either.
pub fn forced_accel(opts: &RunOpts) -> Option<Accel> {
    match (opts.kvm, opts.tcg) {
        (true, _) => Some(Accel::Kvm),
        (_, true) => Some(Accel::Tcg),
        _ => None,
    }
}

/// `cargo xtask run`.
pub fn run(opts: &RunOpts) -> Result<u8> {
    let cmdline = cmdline_with_size(&opts.cmdline, term::host_size());
    let (art, iso) = prepare(opts, &cmdline)?;
    let choice = accel_cache::choose(forced_accel(opts), &art)?;
    let mut accel = choice.accel;
    eprintln!(
        "xtask: accelerator {} ({}; --kvm or --tcg force one)",
        accel.name(),
        choice.why
    );
    let console = console_for_stdin();
    loop {
        let m = machine(opts, &art, iso.as_ref(), &cmdline, accel, false, console);
        eprintln!(
            "xtask: booting {} via {} under {} with cmdline \"{cmdline}\"",
            opts.arch,
            opts.boot.name(),
            accel.name()
        );
        eprintln!("xtask: {}", m.shell_line()?);
        if console == Console::Terminal {
            eprintln!("xtask: {KEYS_NOTE}");
        }
        let fallback = choice.fallback && accel == Accel::Kvm;
        let watch = Watch {
            echo: true,
            input: Input::Inherit,
            timeout: None,
            banner_timeout: fallback.then_some(accel::KVM_BANNER_TIMEOUT),
            capture_stderr: false,
        };
        let outcome = {
            let _term = TermGuard::save();
            session::run(m.command()?, &watch)?
        };
        let guest_reported = matches!(outcome.exit, Exit::Guest(s) if !s.is_ok());
        if fallback && outcome.banner_after.is_none() && !guest_reported {
            eprintln!(
                "\nxtask: no ExoV6 banner within {} s under KVM (nested KVM hangs on some boot paths); rerunning under TCG",
                accel::KVM_BANNER_TIMEOUT.as_secs()
            );
            accel = Accel::Tcg;
            continue;
        }
        return Ok(exit_code(outcome.exit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_terminal_size_goes_before_init() {
        let size = Some(term::Size {
            rows: 40,
            cols: 120,
        });
        assert_eq!(
            cmdline_with_size(&words("shutdown init=/bin/sh -c x"), size),
            "winsize=120x40 shutdown init=/bin/sh -c x"
        );
        assert_eq!(cmdline_with_size(&[], size), "winsize=120x40");
        assert_eq!(
            cmdline_with_size(&words("winsize=90x20 shutdown"), size),
            "winsize=90x20 shutdown"
        );
        // After init= the word is the program's, not an option.
        assert_eq!(
            cmdline_with_size(&words("init=/bin/echo winsize=1x1"), size),
            "winsize=120x40 init=/bin/echo winsize=1x1"
        );
        assert_eq!(cmdline_with_size(&words("shutdown"), None), "shutdown");
        let argv: Vec<String> = ["shutdown", "init=/bin/sh", "-c", "echo a; echo 'b'", ""]
            .iter()
            .map(|w| w.to_string())
            .collect();
        assert_eq!(
            cmdline_with_size(&argv, None),
            "shutdown init=/bin/sh -c \"echo a; echo 'b'\" ''"
        );
        let argv: Vec<String> = ["init=/bin/echo", "x y", "z"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        assert_eq!(cmdline_with_size(&argv, None), "init=/bin/echo 'x y' z");
    }
}
