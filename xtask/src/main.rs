//! `cargo xtask`: the ExoV6 build, image, run, test, bench and gdb driver. This
//! file parses the command line and dispatches to the subcommands.

#![forbid(unsafe_code)]

mod arch;
mod bench;
mod build;
mod cli;
mod error;
mod fsutil;
mod gdb;
mod paths;
mod proc;
mod qemu;
mod run;
mod test;

use std::process::ExitCode;

use cli::Command;
use error::Result;

fn build(opts: &cli::BuildOpts) -> Result<u8> {
    let art = build::all(opts.arch, &opts.adds, build::Output::Show)?;
    println!("built {}", art.describe());
    if opts.iso {
        let deps = build::deps::ensure(&[build::deps::Need::IsoTools])?;
        if deps.starts_with("installed") {
            eprintln!("xtask: {deps}");
        }
        let iso = build::image::named_iso(&art, "")?;
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
        Command::Profile(opts) => bench::profile::profile(&opts),
        Command::Fuzz(opts) => test::fuzz::fuzz(&opts),
        Command::LinuxAbiDoc => test::linux_abi_doc::write(),
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
