//! The legacy 8254 programmable interval timer, used only as a known clock
//! to calibrate the TSC at boot (channel 2, gated through port 0x61).

use super::cpu::rdtsc;
use super::io::{inb, outb};

const PIT_HZ: u64 = 1_193_182;
const CHANNEL2: u16 = 0x42;
const COMMAND: u16 = 0x43;
const GATE_PORT: u16 = 0x61;

/// Measures TSC ticks over `pit_ticks` PIT periods; returns (tsc delta, seconds as PIT ticks).
fn one_window(pit_ticks: u16) -> u64 {
    let gate = inb(GATE_PORT);
    // Gate on, speaker off.
    outb(GATE_PORT, (gate & !0x02) | 0x01);
    // Channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count), binary.
    outb(COMMAND, 0b1011_0000);
    outb(CHANNEL2, pit_ticks as u8);
    let t0 = rdtsc();
    // Counting starts once the high byte is written.
    outb(CHANNEL2, (pit_ticks >> 8) as u8);
    let mut spins = 0u64;
    while inb(GATE_PORT) & 0x20 == 0 {
        spins += 1;
        if spins > 50_000_000 {
            break;
        }
    }
    let t1 = rdtsc();
    outb(GATE_PORT, gate);
    t1.wrapping_sub(t0)
}

/// Returns the TSC frequency in Hz: the median of three 10 ms windows.
pub fn tsc_hz() -> u64 {
    const TICKS: u16 = 11_932; // 10 ms
    let mut runs = [one_window(TICKS), one_window(TICKS), one_window(TICKS)];
    runs.sort_unstable();
    runs[1] * PIT_HZ / u64::from(TICKS)
}
