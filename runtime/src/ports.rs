//! Port I/O: `in` and `out` on the ports a program opened with
//! [`crate::ports_enable`].
//!
//! The kernel keeps a per-environment I/O permission bitmap; a port
//! outside every enabled range raises `#GP`, which the kernel turns into
//! an upcall or the program's death, as for any exception. So the
//! instructions themselves are sound on any port: before `ports_enable`
//! the worst outcome is a fault the kernel handles.
//!
//! What a port *does* is the device's business. Most devices only change
//! their own state, but a DMA-capable one (the ISA DMA controller's ports
//! are inside `abi::root_slots::PORTS_LOW`) can be told to write physical
//! memory, this program's included. Like writing to `/proc/self/mem` from
//! safe Rust, that is outside what the type system can rule out: a port
//! capability is authority over whatever the device can reach, and a
//! program that enables one is trusted with it.

/// Reads a byte from `port`. Only meaningful after [`crate::ports_enable`]
/// for a range holding `port`; otherwise the CPU faults (`#GP`).
pub fn inb(port: u16) -> u8 {
    let v: u8;
    // `in` reads a device register into `al`; it touches no memory
    // and no stack. With the port enabled by `ports_enable` it is allowed
    // at ring 3; without, the CPU raises #GP before anything happens and
    // the kernel handles the fault (upcall or termination), so no Rust
    // invariant can be broken either way.
    // SAFETY: sound for the reasons just given.
    unsafe {
        core::arch::asm!("in al, dx", in("dx") port, out("al") v, options(nomem, nostack, preserves_flags));
    }
    v
}

/// Writes the byte `value` to `port`. As [`inb`]: only after
/// [`crate::ports_enable`], else the CPU faults.
pub fn outb(port: u16, value: u8) {
    // SAFETY: as in `inb`: `out` writes a device register, touches no
    // memory of the program, and faults (#GP, handled by the kernel) on a
    // port that was not enabled.
    unsafe {
        core::arch::asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags));
    }
}

/// Writes `bytes` to the 16550 UART at ports `base..base + 8` (opened
/// with [`crate::ports_enable`]), each after a bounded wait for the
/// transmitter; with `onlcr` a newline goes out as carriage return and
/// newline (the terminal's `OPOST | ONLCR`).
pub fn uart_write(base: u16, bytes: &[u8], onlcr: bool) {
    const THR_EMPTY: u8 = 1 << 5;
    let put = |b: u8| {
        // The UART drains at line speed; do not wait forever on a dead one.
        for _ in 0..100_000 {
            if inb(base + 5) & THR_EMPTY != 0 {
                break;
            }
        }
        outb(base, b);
    };
    for &b in bytes {
        if b == b'\n' && onlcr {
            put(b'\r');
        }
        put(b);
    }
}
