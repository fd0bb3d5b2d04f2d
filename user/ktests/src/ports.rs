//! Device access from user space: I/O ports and interrupt lines.
//!
//! - `utest=ports-irq`: `ports_enable(PORTS_LOW)`; the CMOS RTC (ports
//!   0x70/0x71) is programmed for its periodic interrupt (1024 Hz), GSI 8
//!   is bound to a notification, and five interrupts arrive, each
//!   acknowledged at the RTC (register C) and with `irq_ack`; then the
//!   periodic interrupt is turned off and the line unbound. Negative
//!   cases: `ports_mint` of a range outside the source, or wrapping past
//!   port 0xffff, is `InvalidArgument`; `irq_bind` to an endpoint is
//!   `WrongType`; `irq_bind` through a non-IRQ capability is `WrongType`;
//!   a sub-range minted without WRITE cannot be enabled (`NoRights`).
//! - `utest=ports-denied`: `in` from COM1's line-status port (0x3fd),
//!   which `PORTS_LOW` does not cover (only `CONSOLE_PORTS`, never enabled
//!   here, does): the CPU raises `#GP` and the kernel kills the task
//!   (`root: killed by #GP general protection fault`).
//! - `utest=ports-deleted` and `utest=ports-revoked`: the CMOS ports
//!   (0x70/0x71) minted from `PORTS_LOW` (and, for `ports-revoked`,
//!   minted again from that), enabled and read; then the enabled
//!   capability is deleted (or revoked away through the one it came
//!   from) and the same port is read again: the permission went with the
//!   capability, so the CPU raises `#GP` and the kernel kills the task.

use abi::root_slots::{FIRST_IRQ, PORTS_LOW};
use abi::{Error, Rights};
use exo_rt::ports::{inb, outb};
use exo_rt::{
    cap_delete, cap_mint, cap_revoke, irq_ack, irq_bind, ports_enable, ports_mint, wait, StartArgs,
};

use super::{child, free};
use crate::check::{Ctx, Outcome};

/// CMOS index and data ports.
const CMOS_INDEX: u16 = 0x70;
const CMOS_DATA: u16 = 0x71;
/// RTC registers A, B, C, with NMI disabled (bit 7).
const REG_A: u8 = 0x8a;
const REG_B: u8 = 0x8b;
const REG_C: u8 = 0x0c;
/// Register B: periodic interrupt enable.
const PIE: u8 = 0x40;
/// The RTC's interrupt line.
const RTC_GSI: u32 = 8;
/// Bits the interrupt ORs into the notification.
const IRQ_BITS: u64 = 0x100;
/// Interrupts to receive.
const WANT: u32 = 5;

fn cmos_read(reg: u8) -> u8 {
    outb(CMOS_INDEX, reg);
    inb(CMOS_DATA)
}

fn cmos_write(reg: u8, value: u8) {
    outb(CMOS_INDEX, reg);
    outb(CMOS_DATA, value);
}

/// `utest=ports-irq`.
pub fn run_irq(t: Ctx, args: &StartArgs) -> Outcome {
    let (ntf, ep) = child::notification_and_endpoint(t, args)?;
    let sub = free(2);
    let ro = free(3);
    let irq = FIRST_IRQ + RTC_GSI;

    // Minting sub-ranges.
    t.err(
        "ports_mint outside the source (0x3f0, 16 ports)",
        ports_mint(PORTS_LOW, sub, 0x3f0, 16),
        Error::InvalidArgument,
    )?;
    t.err(
        "ports_mint past 0xffff",
        ports_mint(PORTS_LOW, sub, 0xfff0, 0x20),
        Error::InvalidArgument,
    )?;
    t.ok("ports_mint (0x70, 2)", ports_mint(PORTS_LOW, sub, 0x70, 2))?;
    let id = t.ok("cap_identify (sub-range)", exo_rt::cap_identify(sub))?;
    t.check(
        id.phys == 0x70 | 2 << 32,
        format_args!(
            "sub-range identifies as {:#x}, expected base 0x70 count 2",
            id.phys
        ),
    )?;
    t.ok(
        "cap_mint (ports, READ only)",
        cap_mint(sub, ro, Rights::READ, 0),
    )?;
    t.err(
        "ports_enable without WRITE",
        ports_enable(ro),
        Error::NoRights,
    )?;
    t.ok("cap_delete (READ-only ports)", cap_delete(ro))?;

    // Binding errors.
    t.err(
        "irq_bind to an endpoint",
        irq_bind(irq, ep, IRQ_BITS),
        Error::WrongType,
    )?;
    t.err(
        "irq_bind through a notification",
        irq_bind(ntf, ntf, IRQ_BITS),
        Error::WrongType,
    )?;

    // The RTC's periodic interrupt through the minted sub-range.
    t.ok("ports_enable (0x70, 2)", ports_enable(sub))?;
    t.ok("irq_bind (GSI 8)", irq_bind(irq, ntf, IRQ_BITS))?;
    let a = cmos_read(REG_A);
    cmos_write(REG_A, (a & 0xf0) | 0x06); // rate 6: 1024 Hz
    let b = cmos_read(REG_B);
    cmos_write(REG_B, b | PIE);
    let _ = cmos_read(REG_C);
    let mut got = 0;
    let mut result = Ok(());
    while got < WANT {
        match wait(ntf, 1_000_000) {
            Ok(bits) if bits == IRQ_BITS => {
                got += 1;
                let _ = cmos_read(REG_C); // acknowledge at the RTC
                if let Err(e) = irq_ack(irq) {
                    result = Err(t.fail(format_args!("irq_ack: {e:?}")));
                    break;
                }
            }
            Ok(bits) => {
                result = Err(t.fail(format_args!(
                    "interrupt bits {bits:#x}, expected {IRQ_BITS:#x}"
                )));
                break;
            }
            Err(e) => {
                result = Err(t.fail(format_args!("wait for interrupt {got}: {e:?}")));
                break;
            }
        }
    }
    // Always turn the interrupt off again.
    let b = cmos_read(REG_B);
    cmos_write(REG_B, b & !PIE);
    let _ = cmos_read(REG_C);
    result?;
    t.note(format_args!(
        "{got} RTC interrupts received and acknowledged"
    ));
    t.ok("irq_bind 0 (unbind)", irq_bind(irq, ntf, 0))?;
    t.ok("cap_delete (sub-range)", cap_delete(sub))?;
    t.ok("cap_delete (notification)", cap_delete(ntf))?;
    t.ok("cap_delete (endpoint)", cap_delete(ep))
}

/// `utest=ports-denied`.
pub fn run_denied(t: Ctx, _args: &StartArgs) -> Outcome {
    t.ok("ports_enable (PORTS_LOW)", ports_enable(PORTS_LOW))?;
    t.note(format_args!("touching port 0x3fd now"));
    let v = inb(0x3fd);
    Err(t.fail(format_args!(
        "still alive after reading port 0x3fd ({v:#x})"
    )))
}

/// `utest=ports-deleted`.
pub fn run_deleted(t: Ctx, _args: &StartArgs) -> Outcome {
    run_gone(t, false)
}

/// `utest=ports-revoked`.
pub fn run_revoked(t: Ctx, _args: &StartArgs) -> Outcome {
    run_gone(t, true)
}

fn run_gone(t: Ctx, revoke: bool) -> Outcome {
    let (sub, derived) = (free(2), free(3));
    t.ok("ports_mint (0x70, 2)", ports_mint(PORTS_LOW, sub, 0x70, 2))?;
    let enabled = if revoke {
        t.ok(
            "cap_mint (ports, all rights)",
            cap_mint(
                sub,
                derived,
                Rights::READ | Rights::WRITE | Rights::DERIVE,
                0,
            ),
        )?;
        derived
    } else {
        sub
    };
    t.ok("ports_enable (0x70, 2)", ports_enable(enabled))?;
    let a = cmos_read(REG_A);
    t.note(format_args!("CMOS register A reads {a:#x}"));
    if revoke {
        t.ok(
            "cap_revoke (the source of the enabled range)",
            cap_revoke(sub),
        )?;
    } else {
        t.ok("cap_delete (the enabled range)", cap_delete(sub))?;
    }
    t.note(format_args!("touching port 0x71 now"));
    let v = cmos_read(REG_A);
    Err(t.fail(format_args!("still alive after reading port 0x71 ({v:#x})")))
}
