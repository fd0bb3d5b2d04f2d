//! The wall clock at boot, read once from the CMOS real-time clock through
//! I/O ports 0x70 and 0x71 (a range derived from the root task's port
//! capability).

use abi::root_slots;
use exo_rt::ports::{inb, outb};
use exo_rt::{ports_enable, ports_mint, Slot};

/// Reads CMOS register `r`.
fn cmos(r: u8) -> u8 {
    outb(0x70, r);
    inb(0x71)
}

/// Days from 1970-01-01 to `y`-`m`-`d` (proleptic Gregorian).
fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the Unix epoch, or None if the clock cannot be read.
pub fn unix_seconds(slot: Slot) -> Option<u64> {
    ports_mint(root_slots::PORTS_LOW, slot, 0x70, 2).ok()?;
    ports_enable(slot).ok()?;
    // Wait out an update in progress.
    for _ in 0..100_000 {
        if cmos(0x0a) & 0x80 == 0 {
            break;
        }
    }
    let b = cmos(0x0b);
    let bcd = |v: u8| {
        if b & 4 == 0 {
            (v & 0x0f) + (v >> 4) * 10
        } else {
            v
        }
    };
    let sec = i64::from(bcd(cmos(0x00)));
    let min = i64::from(bcd(cmos(0x02)));
    let hour = i64::from(bcd(cmos(0x04) & 0x7f));
    let day = i64::from(bcd(cmos(0x07)));
    let mon = i64::from(bcd(cmos(0x08)));
    let year = 2000 + i64::from(bcd(cmos(0x09)));
    let t = days(year, mon, day) * 86_400 + hour * 3600 + min * 60 + sec;
    u64::try_from(t).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn epoch_days() {
        assert_eq!(super::days(1970, 1, 1), 0);
        assert_eq!(super::days(2026, 11, 24), 20_416);
    }
}
