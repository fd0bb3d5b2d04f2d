//! i386 trap frames and the Rust side of trap dispatch: exceptions are
//! reported as kernel faults, the timer and device lines go to the generic
//! interrupt code, and every interrupt is acknowledged at the local APIC.
//! Also the double-fault task's report, built from the registers the
//! hardware task switch saved in the main TSS, and the fault self-tests.

use core::fmt;

use super::tables;
use crate::arch::x86::{cpu, lapic, IRQ_BASE_VECTOR, PIC_SPURIOUS, SPURIOUS_VECTOR, TIMER_VECTOR};

core::arch::global_asm!(include_str!("trap.s"), options(att_syntax));

/// Registers saved on trap entry, lowest address first. `trap.s` always
/// fills `esp` and `ss`: for a trap from ring 0 (where the CPU pushes
/// neither) they are the interrupted stack pointer and the current SS.
/// Segment fields hold a selector in their low 16 bits.
#[repr(C)]
pub struct TrapFrame {
    pub gs: u32,
    pub fs: u32,
    pub es: u32,
    pub ds: u32,
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    /// The `esp` slot of `pushal`; ignored (see `esp`).
    pub pushal_esp: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub vector: u32,
    pub error_code: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
    pub esp: u32,
    pub ss: u32,
}

impl TrapFrame {
    /// The interrupted instruction.
    pub fn pc(&self) -> u64 {
        u64::from(self.eip)
    }
    /// The interrupted code's frame pointer.
    pub fn fp(&self) -> u64 {
        u64::from(self.ebp)
    }
}

impl fmt::Display for TrapFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let regs = [
            ("eax", self.eax),
            ("ebx", self.ebx),
            ("ecx", self.ecx),
            ("edx", self.edx),
            ("esi", self.esi),
            ("edi", self.edi),
            ("ebp", self.ebp),
            ("esp", self.esp),
        ];
        writeln!(
            f,
            "  eip={:#010x} cs={:#x} eflags={:#x} ss={:#x}",
            self.eip,
            self.cs & 0xffff,
            self.eflags,
            self.ss & 0xffff
        )?;
        for row in regs.chunks(4) {
            write!(f, " ")?;
            for (name, v) in row {
                write!(f, " {name}={v:#010x}")?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "  ds={:#x} es={:#x} fs={:#x} gs={:#x}",
            self.ds & 0xffff,
            self.es & 0xffff,
            self.fs & 0xffff,
            self.gs & 0xffff
        )
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
            crate::fault::kernel_fault(vector, u64::from(frame.error_code), extra, frame);
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

/// Runs on the double-fault task (see `df_task_entry` in trap.s): rebuilds
/// the interrupted context from the main TSS and reports it. CR2 is shown
/// too: when a stack overflow caused the #DF it names the guard-page address.
#[no_mangle]
extern "C" fn double_fault_task(error: u32) -> ! {
    let t = tables::interrupted_task(&tables::BSP_TABLES);
    let frame = TrapFrame {
        gs: t.gs,
        fs: t.fs,
        es: t.es,
        ds: t.ds,
        edi: t.edi,
        esi: t.esi,
        ebp: t.ebp,
        pushal_esp: t.esp,
        ebx: t.ebx,
        edx: t.edx,
        ecx: t.ecx,
        eax: t.eax,
        vector: 8,
        error_code: error,
        eip: t.eip,
        cs: t.cs,
        eflags: t.eflags,
        esp: t.esp,
        ss: t.ss,
    };
    let extra = Some(("cr2", cpu::read_cr2() as u64));
    crate::fault::kernel_fault(8, u64::from(error), extra, &frame)
}

extern "C" {
    static trap_stubs: u8;
    fn trigger_double_fault() -> !;
}

/// Address of the entry stub for `vector`.
pub fn stub_address(vector: usize) -> u32 {
    let base = core::ptr::addr_of!(trap_stubs) as usize;
    (base + 16 * vector) as u32
}

/// Self-test: overflows the boot stack into its guard page.
pub fn overflow_stack() -> ! {
    // SAFETY: deliberately faults; the #DF task reports and stops the machine.
    unsafe { trigger_double_fault() }
}

/// Self-test: writes to an address that is not mapped (the identity map is
/// gone once `paging::init` has run; nothing else lives below 0xC0000000).
pub fn touch_unmapped() {
    let addr: usize = 0x0dea_d000;
    // SAFETY: deliberately faults; nothing is mapped in the lower 3 GiB.
    unsafe { core::arch::asm!("mov dword ptr [{}], 1", in(reg) addr, options(nostack)) };
}
