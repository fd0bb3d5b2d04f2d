//! ExoV6 kernel entry: brings up the console, CPU tables, time, memory,
//! ACPI and interrupts in that order, prints the banner, then runs what
//! the command line asks for (a self-test, a panic hook, or power-off).

#![no_std]
#![no_main]
// Unsafe code lives in the arch and memory modules only, behind safe
// functions; everywhere else the compiler refuses it.
#![deny(unsafe_code)]

extern crate alloc;

mod acpi;
#[allow(unsafe_code)]
mod arch;
mod banner;
mod boot;
#[cfg(target_arch = "x86_64")]
mod cap;
mod console;
#[cfg(target_arch = "x86_64")]
mod env;
mod fault;
mod initrd;
mod irq;
mod klog;
mod ktest;
mod logger;
#[allow(unsafe_code)]
mod mem;
#[cfg(target_arch = "x86_64")]
mod object;
mod panic;
mod percpu;
mod power;
#[cfg(target_arch = "x86_64")]
mod roottask;
mod symbols;
#[cfg(target_arch = "x86_64")]
mod syscall;
mod time;
#[cfg(target_arch = "x86_64")]
mod uaccess;

use boot::Handoff;

/// The generic kernel entry, called by the architecture's boot code on the
/// boot CPU with interrupts off.
pub fn kmain(handoff: Handoff) -> ! {
    console::init();
    arch::early_init(percpu::bsp());
    time::set_boot_tsc(handoff.boot_tsc);

    let info = match boot::parse(&handoff) {
        Ok(info) => info,
        Err(e) => {
            println!("boot: cannot read the boot information: {e}");
            power::exit(power::Status::Panic);
        }
    };
    let parsed = cmdline::parse(info.cmdline);
    let opts = &parsed.options;
    logger::init(opts.log);
    for problem in parsed.problems() {
        println!("cmdline: {problem}");
    }
    if parsed.dropped_problems() > 0 {
        println!(
            "cmdline: {} more problems not shown",
            parsed.dropped_problems()
        );
    }

    time::calibrate();
    log::debug!("boot: tsc calibrated at {} us", time::now_us());
    let memory = match mem::init(&info) {
        Ok(m) => m,
        Err(mem::InitError::TooSmall {
            ram_bytes,
            free_bytes,
            module_bytes,
        }) => {
            println!(
                "kernel: not enough memory: {} MiB free of {} MiB after the kernel and {} MiB of ramdisk; ExoV6 needs {} MiB free (give QEMU more with --mem)",
                free_bytes >> 20,
                ram_bytes >> 20,
                module_bytes >> 20,
                mem::MIN_FREE_BYTES >> 20
            );
            power::exit(power::Status::NoMemory);
        }
        Err(mem::InitError::Broken(e)) => panic!("memory initialisation failed: {e}"),
    };
    log::debug!("boot: memory ready at {} us", time::now_us());
    let acpi = acpi::init(info.rsdp);
    log::debug!("boot: acpi read at {} us", time::now_us());
    let interrupts = irq::init(acpi.as_ref());
    log::debug!("boot: interrupts on at {} us", time::now_us());
    let ramdisk = initrd::find(&info);

    banner::print(&banner::Facts {
        info: &info,
        memory: &memory,
        acpi: acpi.as_ref(),
        interrupts: &interrupts,
        initrd: ramdisk.as_ref(),
    });
    println!("kernel: boot complete");

    if opts.panic {
        panic!("panic requested on the command line");
    }
    if let Some(test) = opts.ktest {
        ktest::run(test);
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(r) = ramdisk.as_ref() {
        if let Err(e) = roottask::start(r, info.cmdline, opts.shutdown) {
            println!("root: cannot start {}: {e}", roottask::PATH);
        }
    }
    if opts.shutdown {
        power::exit(power::Status::Ok);
    }
    log::info!("no root task: idling; serial input is echoed");
    console::echo_forever()
}
