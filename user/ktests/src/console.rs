//! `utest=console`: the console UART in user space.
//!
//! The root task finds COM1's eight ports in `root_slots::CONSOLE_PORTS`
//! and the console's interrupt line in `FIRST_IRQ + CONSOLE_IRQ`. It binds
//! the line to a notification (from then on the kernel takes no serial
//! input), enables the ports, turns the UART's receive interrupt on, and
//! prints `utest console: waiting for
//! input`; the test harness then types `hello user` and a carriage
//! return. Each interrupt the root task reads every byte the UART holds
//! (line-status bit 0, receive buffer) and acknowledges the line, until
//! the carriage return; the line must read `hello user` (had the kernel
//! still taken input, nothing would arrive and the wait would time out).
//! Then it unbinds the line (input is the kernel's again). Refusals:
//! ports outside COM1 minted from `CONSOLE_PORTS`, and COM1 minted from
//! `PORTS_LOW`, are `InvalidArgument`.

use abi::root_slots::{CONSOLE_IRQ, CONSOLE_PORTS, FIRST_IRQ, PORTS_LOW};
use abi::{CapType, Error};
use exo_rt::ports::{inb, outb};
use exo_rt::{
    cap_delete, cap_identify, irq_ack, irq_bind, notification_create, ports_enable, ports_mint,
    wait, StartArgs,
};

use super::free;
use crate::check::{Ctx, Outcome};

/// COM1's receive buffer and line-status register.
const COM1: u16 = 0x3f8;
const LSR: u16 = COM1 + 5;
/// Interrupt enable register: bit 0, a byte was received.
const IER: u16 = COM1 + 1;
/// Line status: a received byte is waiting.
const DATA_READY: u8 = 1;
/// What the harness types (then a carriage return).
const EXPECTED: &[u8] = b"hello user";
/// The bit the interrupt sets.
const IRQ_BITS: u64 = 0x10;
/// How long to wait for each interrupt.
const WAIT_US: u64 = 20_000_000;

pub fn run(t: Ctx, args: &StartArgs) -> Outcome {
    let irq = FIRST_IRQ + CONSOLE_IRQ;
    let ntf = free(0);
    let scratch = free(1);

    let ports = t.ok("cap_identify(CONSOLE_PORTS)", cap_identify(CONSOLE_PORTS))?;
    t.check(
        ports.cap_type == Some(CapType::IoPorts) && ports.phys == u64::from(COM1) | 8 << 32,
        format_args!("CONSOLE_PORTS holds {ports:?}, expected ports 0x3f8 + 8"),
    )?;
    let line = t.ok("cap_identify(console IRQ)", cap_identify(irq))?;
    t.check(
        line.cap_type == Some(CapType::Irq) && line.phys == u64::from(CONSOLE_IRQ),
        format_args!("slot FIRST_IRQ + CONSOLE_IRQ holds {line:?}, expected line 4"),
    )?;
    t.err(
        "ports_mint outside COM1 from CONSOLE_PORTS",
        ports_mint(CONSOLE_PORTS, scratch, 0x3f0, 8),
        Error::InvalidArgument,
    )?;
    t.err(
        "ports_mint past COM1 from CONSOLE_PORTS",
        ports_mint(CONSOLE_PORTS, scratch, 0x3f8, 9),
        Error::InvalidArgument,
    )?;
    t.err(
        "ports_mint of COM1 from PORTS_LOW",
        ports_mint(PORTS_LOW, scratch, u64::from(COM1), 8),
        Error::InvalidArgument,
    )?;

    t.ok(
        "notification_create",
        notification_create(args.memory.start, ntf),
    )?;
    t.ok("irq_bind (console)", irq_bind(irq, ntf, IRQ_BITS))?;
    t.ok("ports_enable (CONSOLE_PORTS)", ports_enable(CONSOLE_PORTS))?;
    // The receive side is ours: we turn its interrupt on (the kernel
    // leaves it off until it reads input itself).
    outb(IER, 1);
    // Anything that arrived before the binding is not this test's.
    while inb(LSR) & DATA_READY != 0 {
        let _ = inb(COM1);
    }
    t.note(format_args!("waiting for input"));

    let mut got = [0u8; 64];
    let mut len = 0;
    let mut interrupts = 0u32;
    'lines: loop {
        let bits = match wait(ntf, WAIT_US) {
            Ok(b) => b,
            Err(Error::TimedOut) => {
                return Err(t.fail(format_args!(
                    "no serial interrupt within {} s ({len} bytes so far): does the kernel still take the input?",
                    WAIT_US / 1_000_000
                )))
            }
            Err(e) => return Err(t.fail(format_args!("wait: {e:?}"))),
        };
        t.check(
            bits == IRQ_BITS,
            format_args!("the notification carried {bits:#x}, expected {IRQ_BITS:#x}"),
        )?;
        interrupts += 1;
        while inb(LSR) & DATA_READY != 0 {
            let b = inb(COM1);
            if b == b'\r' || b == b'\n' {
                break 'lines;
            }
            if len < got.len() {
                got[len] = b;
                len += 1;
            }
        }
        t.ok("irq_ack", irq_ack(irq))?;
    }
    let text = core::str::from_utf8(&got[..len]).unwrap_or("(not UTF-8)");
    t.note(format_args!("got \"{text}\" in {interrupts} interrupts"));
    t.check(
        &got[..len] == EXPECTED,
        format_args!("read {:?}, expected \"hello user\"", &got[..len]),
    )?;
    t.ok("irq_ack", irq_ack(irq))?;
    t.ok("irq_bind (unbind)", irq_bind(irq, ntf, 0))?;
    t.ok("cap_delete", cap_delete(ntf))?;
    Ok(())
}
