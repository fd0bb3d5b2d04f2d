//! The legacy 8259 PIC pair: remapped out of the exception range and masked,
//! since the kernel uses the local APIC and the IOAPIC.

use super::io::{inb, outb};

/// Remaps both PICs to vectors 0xe0..0xef and masks every line.
pub fn disable() {
    const ICW1_INIT_ICW4: u8 = 0x11;
    outb(0x20, ICW1_INIT_ICW4);
    outb(0xa0, ICW1_INIT_ICW4);
    outb(0x21, 0xe0);
    outb(0xa1, 0xe8);
    outb(0x21, 4);
    outb(0xa1, 2);
    outb(0x21, 1);
    outb(0xa1, 1);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    let _ = inb(0x21);
}
