//! x86_64 trap frames and the Rust side of trap dispatch: exceptions are
//! reported as kernel faults, the timer and device lines go to the generic
//! interrupt code, and every interrupt is acknowledged at the local APIC.

use core::fmt;

use crate::arch::x86::{cpu, lapic, IRQ_BASE_VECTOR, PIC_SPURIOUS, SPURIOUS_VECTOR, TIMER_VECTOR};

core::arch::global_asm!(include_str!("trap.s"), options(att_syntax));

/// Registers saved on trap entry, lowest address first.
#[repr(C)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// The interrupted instruction.
    pub fn pc(&self) -> u64 {
        self.rip
    }
    /// The interrupted code's frame pointer.
    pub fn fp(&self) -> u64 {
        self.rbp
    }
}

impl fmt::Display for TrapFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let regs = [
            ("rax", self.rax),
            ("rbx", self.rbx),
            ("rcx", self.rcx),
            ("rdx", self.rdx),
            ("rsi", self.rsi),
            ("rdi", self.rdi),
            ("rbp", self.rbp),
            ("rsp", self.rsp),
            ("r8", self.r8),
            ("r9", self.r9),
            ("r10", self.r10),
            ("r11", self.r11),
            ("r12", self.r12),
            ("r13", self.r13),
            ("r14", self.r14),
            ("r15", self.r15),
        ];
        writeln!(
            f,
            "  rip={:#018x} cs={:#x} rflags={:#x} ss={:#x}",
            self.rip, self.cs, self.rflags, self.ss
        )?;
        for row in regs.chunks(4) {
            write!(f, " ")?;
            for (name, v) in row {
                write!(f, " {name:>3}={v:#018x}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[no_mangle]
extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    match vector {
        0..=31 => {
            let extra = if vector == 14 {
                Some(("cr2", cpu::read_cr2() as u64))
            } else {
                None
            };
            crate::fault::kernel_fault(vector, frame.error_code, extra, frame);
        }
        TIMER_VECTOR => {
            crate::time::on_tick();
            lapic::eoi();
        }
        SPURIOUS_VECTOR => {}
        v if PIC_SPURIOUS.contains(&v) => {}
        v if v >= IRQ_BASE_VECTOR => {
            crate::irq::dispatch(u32::from(v - IRQ_BASE_VECTOR));
            lapic::eoi();
        }
        _ => lapic::eoi(),
    }
}

extern "C" {
    static trap_stubs: u8;
    fn trigger_double_fault() -> !;
}

/// Address of the entry stub for `vector`.
pub fn stub_address(vector: usize) -> u64 {
    let base = core::ptr::addr_of!(trap_stubs) as u64;
    base + 16 * vector as u64
}

/// Self-test: overflows the boot stack into its guard page.
pub fn overflow_stack() -> ! {
    // SAFETY: deliberately faults; the #DF handler reports and stops the machine.
    unsafe { trigger_double_fault() }
}

/// Self-test: writes to an address that is not mapped.
pub fn touch_unmapped() {
    let addr: u64 = 0x0000_0000_dead_b000;
    // SAFETY: deliberately faults; nothing is mapped in the lower half.
    unsafe { core::arch::asm!("mov qword ptr [{}], 1", in(reg) addr, options(nostack)) };
}
