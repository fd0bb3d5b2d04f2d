//! Reports a CPU exception taken in kernel mode: the vector and its name,
//! the error code (decoded for page faults), the registers and a symbolised
//! backtrace; then stops the machine with the fault exit status.

use core::fmt::Write;

use crate::arch::{cpu, TrapFrame};
use crate::console::Emergency;
use crate::power;
use crate::symbols::{print_backtrace, Symbol};

/// (mnemonic, name) of each architectural exception vector.
pub fn exception_name(vector: u8) -> (&'static str, &'static str) {
    match vector {
        0 => ("#DE", "divide error"),
        1 => ("#DB", "debug"),
        2 => ("NMI", "non-maskable interrupt"),
        3 => ("#BP", "breakpoint"),
        4 => ("#OF", "overflow"),
        5 => ("#BR", "bound range exceeded"),
        6 => ("#UD", "invalid opcode"),
        7 => ("#NM", "device not available"),
        8 => ("#DF", "double fault"),
        9 => ("#CSO", "coprocessor segment overrun"),
        10 => ("#TS", "invalid TSS"),
        11 => ("#NP", "segment not present"),
        12 => ("#SS", "stack-segment fault"),
        13 => ("#GP", "general protection fault"),
        14 => ("#PF", "page fault"),
        16 => ("#MF", "x87 floating-point error"),
        17 => ("#AC", "alignment check"),
        18 => ("#MC", "machine check"),
        19 => ("#XM", "SIMD floating-point error"),
        20 => ("#VE", "virtualization exception"),
        21 => ("#CP", "control protection"),
        28 => ("#HV", "hypervisor injection"),
        29 => ("#VC", "VMM communication"),
        30 => ("#SX", "security exception"),
        _ => ("#??", "reserved exception"),
    }
}

fn page_fault_cause(error: u64) -> (&'static str, &'static str, &'static str) {
    (
        if error & 1 != 0 {
            "protection violation"
        } else {
            "not present"
        },
        if error & 2 != 0 {
            "write"
        } else if error & 16 != 0 {
            "instruction fetch"
        } else {
            "read"
        },
        if error & 4 != 0 { "user" } else { "kernel" },
    )
}

/// Reports an exception the kernel cannot handle and stops.
pub fn kernel_fault(vector: u8, error: u64, extra: Option<(&str, u64)>, frame: &TrapFrame) -> ! {
    cpu::disable_interrupts();
    let (mnemonic, name) = exception_name(vector);
    let mut w = Emergency;
    let _ = writeln!(
        w,
        "\nFAULT: {mnemonic} {name} (vector {vector}) error={error:#x}"
    );
    if vector == 14 {
        let (what, access, mode) = page_fault_cause(error);
        let _ = writeln!(w, "  cause: {access} in {mode} mode, {what}");
    }
    if let Some((reg, v)) = extra {
        let _ = writeln!(w, "  {reg}={v:#018x}");
    }
    let _ = write!(w, "{frame}");
    let _ = writeln!(w, "  at {}", Symbol(frame.pc()));
    print_backtrace(&mut w, frame.fp());
    power::exit(power::Status::Fault)
}
