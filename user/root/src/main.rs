//! The ExoV6 root task: the first user program, started by the kernel
//! from `/sbin/root` in the boot ramdisk with every free memory range as a
//! capability. With `utest=NAME` on the command line it runs that test of
//! the kernel (`ktests`); otherwise it is the system server (`sysd`),
//! which starts `/sbin/init` and the program `init=` names.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use exo_rt::StartArgs;

exo_rt::entry!(main);

fn main(args: &StartArgs) -> i32 {
    match args.option("utest") {
        Some(name) => ktests::run(name, args),
        None => sysd::run(args),
    }
}
