//! The ExoV6 root task: the first user program, started by the kernel
//! from `/sbin/root` in the boot ramdisk with every free memory range as a
//! capability. For now it is the kernel's user-space test program: with
//! `utest=NAME` on the command line it runs that test (see [`utest`]),
//! otherwise it greets and exits 0.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

mod check;
mod utest;

use exo_rt::{println, StartArgs};

exo_rt::entry!(main);

fn main(args: &StartArgs) -> i32 {
    match args.option("utest") {
        Some(name) => utest::run(name, args),
        None => {
            println!("root: hello from user space");
            0
        }
    }
}
