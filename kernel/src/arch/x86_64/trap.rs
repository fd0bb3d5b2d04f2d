//! x86_64 trap frames and the Rust side of trap dispatch: exceptions are
//! reported as kernel faults, the timer and device lines go to the generic
//! interrupt code, and every interrupt is acknowledged at the local APIC.

use core::fmt;

use crate::arch::x86::{cpu, lapic, IRQ_BASE_VECTOR, PIC_SPURIOUS, SPURIOUS_VECTOR, TIMER_VECTOR};

core::arch::global_asm!(include_str!("trap.s"), options(att_syntax));

/// Registers saved on trap entry, lowest address first.
#[repr(C)]
#[derive(Clone, Copy)]
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

/// The pseudo-vector `syscall_entry` stores in the frame.
pub const SYSCALL_VECTOR: u64 = 0x100;
/// User code and stack selectors (GDT entries 4 and 3, RPL 3).
const USER_CS: u64 = 0x23;
const USER_SS: u64 = 0x1b;
/// RFLAGS for user mode: interrupts on, IOPL 0.
const USER_RFLAGS: u64 = 0x202;

impl TrapFrame {
    /// An empty context (a thread that has not started).
    pub fn empty() -> TrapFrame {
        TrapFrame::new_user(0, 0, [0; 4])
    }

    /// A fresh user-mode context starting at `entry` with stack `rsp` and
    /// the first four integer arguments in `rdi, rsi, rdx, rcx`.
    pub fn new_user(entry: u64, rsp: u64, args: [u64; 4]) -> TrapFrame {
        TrapFrame {
            r15: 0,
            r14: 0,
            r13: 0,
            r12: 0,
            r11: 0,
            r10: 0,
            r9: 0,
            r8: 0,
            rbp: 0,
            rdi: args[0],
            rsi: args[1],
            rdx: args[2],
            rcx: args[3],
            rbx: 0,
            rax: 0,
            vector: 0,
            error_code: 0,
            rip: entry,
            cs: USER_CS,
            rflags: USER_RFLAGS,
            rsp,
            ss: USER_SS,
        }
    }

    /// True if the trap came from user mode.
    pub fn is_user_mode(&self) -> bool {
        self.cs & 3 == 3
    }

    /// The system-call number and its six arguments.
    pub fn syscall(&self) -> (u64, [u64; 6]) {
        (
            self.rax,
            [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9],
        )
    }

    /// The interrupted user state as an upcall frame.
    pub fn upcall_frame(&self, kind: u64, vector: u64, error: u64, addr: u64) -> abi::UpcallFrame {
        abi::UpcallFrame {
            kind,
            vector,
            error,
            addr,
            rax: self.rax,
            rbx: self.rbx,
            rcx: self.rcx,
            rdx: self.rdx,
            rsi: self.rsi,
            rdi: self.rdi,
            rbp: self.rbp,
            rsp: self.rsp,
            r8: self.r8,
            r9: self.r9,
            r10: self.r10,
            r11: self.r11,
            r12: self.r12,
            r13: self.r13,
            r14: self.r14,
            r15: self.r15,
            rip: self.rip,
            rflags: self.rflags,
            reserved: [0; 2],
        }
    }

    /// Redirects the user thread to its upcall `entry` with the frame at
    /// `frame_at` as its argument, on the stack just below the frame.
    pub fn enter_upcall(&mut self, entry: u64, frame_at: u64) {
        const TF: u64 = 1 << 8;
        const DF: u64 = 1 << 10;
        self.rip = entry;
        self.rsp = frame_at - 8;
        self.rdi = frame_at;
        self.rflags &= !(TF | DF);
    }

    /// The IPC message registers (`abi::ipc`): rsi, rdx, r10, r8, r9, r12.
    pub fn ipc_message(&self) -> [u64; 6] {
        [self.rsi, self.rdx, self.r10, self.r8, self.r9, self.r12]
    }

    /// Stores an IPC result: status in rax, badge in rdi, the message.
    pub fn set_ipc_result(&mut self, status: u64, badge: u64, msg: [u64; 6]) {
        self.rax = status;
        self.rdi = badge;
        [self.rsi, self.rdx, self.r10, self.r8, self.r9, self.r12] = msg;
    }

    /// The first four IPC message words, as system-call results (what
    /// `Reply` leaves in the replier's registers: its own message).
    pub fn ipc_message_results(&self) -> [u64; 4] {
        [self.rdi, self.rsi, self.rdx, self.r10]
    }

    /// The capability slot of an IPC transfer (`r13`).
    pub fn ipc_cap(&self) -> u64 {
        self.r13
    }

    /// Tells a receiver whether a capability arrived (`r13`).
    pub fn set_ipc_cap_received(&mut self, received: bool) {
        self.r13 = u64::from(received);
    }

    /// The user stack pointer.
    pub fn user_sp(&self) -> u64 {
        self.rsp
    }

    /// Stores a system call's status and results.
    pub fn set_syscall_result(&mut self, status: u64, results: [u64; 4]) {
        self.rax = status;
        self.rdi = results[0];
        self.rsi = results[1];
        self.rdx = results[2];
        self.r10 = results[3];
    }
}

/// User-settable RFLAGS bits (CF PF AF ZF SF TF DF OF AC ID).
const USER_FLAGS: u64 = 0x0024_0dd5;

/// Some nested hypervisors (seen: this project's development machines'
/// KVM) carry out `syscall` from ring 3 without switching to ring 0: `rcx`
/// and `r11` are loaded and RIP is set to the entry point, but CS stays the
/// user's, so fetching `syscall_entry` faults in user mode. The kernel
/// recognises exactly that fault and finishes the system call: resume
/// address from `rcx` (only a canonical user address is accepted), user
/// flags from `r11` (sanitised). A program could reach this path only by
/// jumping to the kernel entry with a user address in `rcx`, which gains it
/// nothing a real `syscall` would not.
fn finish_lost_syscall(frame: &mut TrapFrame, cr2: u64) -> bool {
    const FETCH_BY_USER: u64 = 0x14;
    let entry = syscall_entry as *const () as u64;
    let fits = frame.rip == entry
        && cr2 == entry
        && frame.error_code & FETCH_BY_USER == FETCH_BY_USER
        && (abi::USER_MIN..abi::USER_END).contains(&frame.rcx);
    if fits {
        static NOTED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        if !NOTED.swap(true, core::sync::atomic::Ordering::Relaxed) {
            log::warn!("cpu: syscall from ring 3 did not enter ring 0 (hypervisor quirk); completing system calls from the fault");
        }
        frame.rip = frame.rcx;
        frame.rflags = (frame.r11 & USER_FLAGS) | USER_RFLAGS;
        frame.vector = SYSCALL_VECTOR;
    }
    fits
}

#[no_mangle]
extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let from_user = frame.is_user_mode();
    // CR2 matters only for page faults; read it once, before anything else
    // can fault.
    let cr2 = if frame.vector == 14 {
        cpu::read_cr2() as u64
    } else {
        0
    };
    if frame.vector == SYSCALL_VECTOR
        || (frame.vector == 14 && from_user && finish_lost_syscall(frame, cr2))
    {
        crate::syscall::handle(frame);
        return;
    }
    let vector = frame.vector as u8;
    match vector {
        0..=31 => {
            if from_user {
                crate::env::on_user_exception(
                    vector,
                    frame.error_code,
                    (vector == 14).then_some(cr2),
                    frame,
                );
            } else {
                let extra = if vector == 14 {
                    Some(("cr2", cr2))
                } else {
                    None
                };
                crate::fault::kernel_fault(vector, frame.error_code, extra, frame);
            }
        }
        TIMER_VECTOR => {
            crate::time::on_tick();
            crate::env::account_tick(from_user);
            lapic::eoi();
            if from_user {
                crate::env::on_timer(frame);
            }
        }
        SPURIOUS_VECTOR => {}
        v if PIC_SPURIOUS.contains(&v) => {}
        v if v >= IRQ_BASE_VECTOR => {
            crate::env::on_irq(u32::from(v - IRQ_BASE_VECTOR));
            lapic::eoi();
        }
        _ => lapic::eoi(),
    }
}

extern "C" {
    static trap_stubs: u8;
    static trap_stack_top: u8;
    static trap_stack_guard: u8;
    fn trigger_double_fault() -> !;
    fn syscall_entry();
    fn enter_user(frame: *const TrapFrame) -> !;
}

/// Top of the boot CPU's trap stack (TSS.rsp0 and the syscall stack).
pub fn trap_stack_top_addr() -> u64 {
    core::ptr::addr_of!(trap_stack_top) as u64
}

/// The trap stack's guard page.
pub fn trap_stack_guard_addr() -> u64 {
    core::ptr::addr_of!(trap_stack_guard) as u64
}

/// Turns on `syscall`/`sysret` and points `syscall` at `syscall_entry`.
pub fn init_syscall() {
    use crate::arch::x86::msr::{EFER, EFER_SCE, LSTAR, SFMASK, STAR};
    cpu::wrmsr(EFER, cpu::rdmsr(EFER) | EFER_SCE);
    // Kernel CS 0x08 (SS 0x10); user base 0x10: SS = 0x18|3, CS = 0x20|3.
    cpu::wrmsr(STAR, (0x10u64 << 48) | (0x08u64 << 32));
    cpu::wrmsr(LSTAR, syscall_entry as *const () as u64);
    // Clear IF, TF, DF, AC and NT on entry.
    cpu::wrmsr(SFMASK, 0x0004_4700);
}

/// Leaves the kernel for user mode with `frame` as the user context. The
/// frame is copied to the top of the trap stack, where traps from user mode
/// build theirs, and the boot stack is abandoned.
pub fn enter_user_mode(frame: &TrapFrame) -> ! {
    let at = trap_stack_top_addr() - core::mem::size_of::<TrapFrame>() as u64;
    // SAFETY: `at` is the top of the trap stack, reserved for exactly this
    // frame; nothing else uses the trap stack while the kernel runs on the
    // boot stack, and `enter_user` never returns.
    unsafe {
        core::ptr::write(at as *mut TrapFrame, *frame);
        enter_user(at as *const TrapFrame)
    }
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
