//! The boot banner: version, boot path, command line, memory, CPU, image
//! size, interrupts, ramdisk, and the time from the first kernel instruction.

use firmware::acpi::AcpiInfo;
use firmware::BootInfo;

use crate::arch::{self, cpu::CpuInfo};
use crate::initrd::Ramdisk;
use crate::irq::InterruptSummary;
use crate::mem::MemorySummary;
use crate::{print, println, symbols, time};

const MIB: u64 = 1 << 20;

/// Everything the banner reports.
pub struct Facts<'a> {
    pub info: &'a BootInfo<'a>,
    pub memory: &'a MemorySummary,
    pub acpi: Option<&'a AcpiInfo>,
    pub interrupts: &'a InterruptSummary,
    pub initrd: Option<&'a Ramdisk>,
}

fn kib(r: &core::ops::Range<u64>) -> u64 {
    (r.end - r.start) / 1024
}

/// Prints the banner.
pub fn print(f: &Facts) {
    let boot_us = time::now_us();
    let cpu = CpuInfo::read();
    let image = arch::image::layout();
    let m = f.memory;

    println!(
        "ExoV6 v{} ({}) booted via {}",
        env!("CARGO_PKG_VERSION"),
        arch::NAME,
        f.info.protocol.name()
    );
    println!("  loader: {}", f.info.bootloader.unwrap_or("(not named)"));
    println!("  cmdline: \"{}\"", f.info.cmdline);
    println!(
        "  memory: {} MiB usable, RAM up to {} MiB, {} map regions; {} of {} frames free; heap {} KiB",
        m.usable_bytes / MIB,
        m.ram_top.div_ceil(MIB),
        m.regions,
        m.free_frames,
        m.managed_frames,
        m.heap_bytes / 1024
    );
    println!(
        "  paging: direct map {} MiB, {} page tables, NX {}",
        m.direct_map_bytes / MIB,
        m.page_tables,
        if m.nx { "on" } else { "unavailable" }
    );
    let hz = time::tsc_hz();
    print!(
        "  cpu: {} (family {:#x} model {:#x} stepping {}), TSC {}.{:03} MHz; features:",
        cpu.brand_str(),
        cpu.family,
        cpu.model,
        cpu.stepping,
        hz / 1_000_000,
        (hz / 1000) % 1000
    );
    for (name, present) in cpu.features.list() {
        if present {
            print!(" {name}");
        }
    }
    println!();
    println!(
        "  kernel: text {} KiB, rodata {} KiB, data+bss {} KiB, symbols {} ({} KiB reserved)",
        kib(&image.text),
        kib(&image.rodata) - kib(&image.ksyms),
        kib(&image.data),
        symbols::count(),
        kib(&image.ksyms)
    );
    let i = f.interrupts;
    print!(
        "  interrupts: {} timer {} Hz (counts at {} kHz)",
        i.lapic_mode,
        time::TIMER_HZ,
        i.lapic_timer_hz / 1000
    );
    if let Some((addr, lines)) = i.ioapic {
        print!(", I/O APIC at {addr:#x} with {lines} lines");
    }
    if let Some(gsi) = i.console_gsi {
        print!(", console on GSI {gsi}");
    }
    println!();
    match f.acpi {
        Some(a) => println!(
            "  acpi: revision {}, {} tables, {} CPUs in the MADT, S5 {}",
            a.revision,
            a.table_count,
            a.madt.as_ref().map_or(0, |m| m.cpus().len()),
            if a.s5.is_some() { "found" } else { "missing" }
        ),
        None => println!("  acpi: not found"),
    }
    match f.initrd {
        Some(r) => {
            print!(
                "  initrd: {:#x}-{:#x} ({} KiB), {} entries",
                r.start,
                r.end,
                (r.end - r.start) / 1024,
                r.entries
            );
            if let Some(e) = &r.error {
                print!(", damaged: {e}");
            }
            println!();
        }
        None => println!("  initrd: none"),
    }
    println!("  boot time: {boot_us} us (first kernel instruction to banner)");
}
