//! `cargo xtask`: the ExoV6 build, image, run, test, bench and gdb driver. This
//! file parses the command line and dispatches to the subcommands.

mod accel;
mod accel_cache;
mod arch;
mod bench;
mod build;
mod cli;
mod ctests;
mod ctests_guest;
mod deps;
mod error;
mod fsutil;
mod fuzz;
mod gdb;
mod guest;
mod host_checks;
mod image;
mod initrd;
mod ksyms_patch;
mod kvm_probe;
mod libos_tests;
mod linux_abi_doc;
mod paths;
mod proc;
mod pty;
mod qemu;
mod qemu_runner;
mod qemu_tests;
mod report;
mod run;
mod screen;
mod session;
mod session_shell;
mod session_tests;
mod status;
mod term;
mod test;
#[cfg(test)]
mod testelf;
mod typist;
mod user;

use std::process::ExitCode;

use cli::Command;
use error::Result;

fn build(opts: &cli::BuildOpts) -> Result<u8> {
    let art = build::all(opts.arch, &opts.adds, build::Output::Show)?;
    println!("built {}", art.describe());
    if opts.iso {
        let deps = deps::ensure(&[deps::Need::IsoTools])?;
        if deps.starts_with("installed") {
            eprintln!("xtask: {deps}");
        }
        let iso = image::named_iso(&art, "")?;
        println!("iso   {}", paths::show(&iso));
    }
    Ok(0)
}

fn dispatch(cmd: Command) -> Result<u8> {
    match cmd {
        Command::Build(opts) => build(&opts),
        Command::Run(opts) => run::run(&opts),
        Command::Gdb(opts) => gdb::gdb(&opts),
        Command::Test(opts) => test::test(&opts),
        Command::Bench(opts) => bench::bench(&opts),
        Command::Fuzz(opts) => fuzz::fuzz(&opts),
        Command::LinuxAbiDoc => linux_abi_doc::write(),
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match cli::parse(&args) {
        Ok(cmd) => cmd,
        Err(e) => {
            eprintln!("xtask: {e}\n(`cargo xtask help` lists the commands and options)");
            return ExitCode::from(2);
        }
    };
    match dispatch(cmd) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::from(1)
        }
    }
}
