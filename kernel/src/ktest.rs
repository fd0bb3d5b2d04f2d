//! Kernel self-tests chosen with `ktest=NAME`: each exercises one boot-time
//! mechanism end to end, prints `ktest NAME: pass` or `ktest NAME: FAIL ...`
//! and powers off with the matching status. The fault tests instead end in
//! the fault reporter.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use cmdline::SelfTest;
use physmem::FrameError;

use crate::arch::{self, cpu};
use crate::mem::{frames, heap};
use crate::power::{self, Status};
use crate::{console, println, time};

/// Runs `test` and powers off.
pub fn run(test: SelfTest) -> ! {
    let name = test.name();
    let result = match test {
        SelfTest::PageFault => {
            println!("ktest {name}: writing to an unmapped address");
            arch::touch_unmapped();
            Err(String::from("the write did not fault"))
        }
        SelfTest::DoubleFault => {
            println!("ktest {name}: overflowing the kernel stack into its guard page");
            arch::overflow_stack()
        }
        SelfTest::Timer => timer(),
        SelfTest::Heap => heap_stress(),
        SelfTest::Frames => frame_exhaustion(),
        SelfTest::Serial => serial_echo(),
    };
    match result {
        Ok(()) => {
            println!("ktest {name}: pass");
            power::exit(Status::Ok)
        }
        Err(why) => {
            println!("ktest {name}: FAIL {why}");
            power::exit(Status::TestFailed)
        }
    }
}

/// Timer interrupts over one second of TSC time must match the programmed
/// rate within a factor of two (generous: a busy host delays ticks).
fn timer() -> Result<(), String> {
    let t0 = cpu::rdtsc();
    let k0 = time::ticks();
    let window = time::tsc_hz();
    while cpu::rdtsc().wrapping_sub(t0) < window {
        cpu::wait_for_interrupt();
    }
    let ticks = time::ticks() - k0;
    let elapsed_us = time::tsc_to_us(cpu::rdtsc().wrapping_sub(t0));
    let expected = u64::from(time::TIMER_HZ) * elapsed_us / 1_000_000;
    println!("ktest timer: {ticks} ticks in {elapsed_us} us of TSC time (expected {expected})");
    if ticks * 2 < expected || ticks > expected * 2 + 2 {
        return Err(format!(
            "{ticks} ticks is outside [{}, {}]",
            expected / 2,
            expected * 2 + 2
        ));
    }
    Ok(())
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Many allocations and frees of varied sizes with their contents checked;
/// afterwards the allocator's live counts return to the starting figures.
fn heap_stress() -> Result<(), String> {
    let mut live: Vec<(Vec<u8>, u8)> = Vec::with_capacity(512);
    let before = heap::usage();
    let heap_before = heap::size();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    const OPS: usize = 40_000;
    for i in 0..OPS {
        let r = rng.next();
        if live.len() < 500 && (r & 3 != 0 || live.is_empty()) {
            let size = match r >> 60 {
                0 => (r >> 20) as usize % (2 << 20) + 1,
                1..=4 => (r >> 20) as usize % 65536 + 1,
                _ => (r >> 20) as usize % 512 + 1,
            };
            let tag = (i % 251) as u8;
            let mut v = Vec::new();
            v.try_reserve_exact(size)
                .map_err(|_| format!("allocation of {size} bytes failed at op {i}"))?;
            v.resize(size, tag);
            live.push((v, tag));
        } else {
            let at = (r >> 8) as usize % live.len();
            let (v, tag) = live.swap_remove(at);
            if v.iter().any(|&b| b != tag) {
                return Err(format!("heap block of {} bytes was corrupted", v.len()));
            }
        }
    }
    let peak = heap::size();
    for (v, tag) in live.drain(..) {
        if v.iter().any(|&b| b != tag) {
            return Err(String::from("heap block corrupted"));
        }
    }
    drop(live);
    let after = heap::usage();
    println!(
        "ktest heap: {OPS} operations; live allocations {} -> {}, live bytes {} -> {}; heap grew {} KiB -> {} KiB",
        before.0,
        after.0,
        before.1,
        after.1,
        heap_before / 1024,
        peak / 1024
    );
    // `live` itself was allocated before the first reading and freed after the last.
    if after.0 + 1 != before.0 || after.1 + 512 * core::mem::size_of::<(Vec<u8>, u8)>() != before.1
    {
        return Err(String::from(
            "heap usage did not return to its starting figure",
        ));
    }
    Ok(())
}

/// Takes every free frame until the allocator says it has none, checks the
/// error paths, then returns them all: the free count must come back.
fn frame_exhaustion() -> Result<(), String> {
    let start = frames::free();
    // Chain the frames through their own first word, so the test needs no heap.
    let mut head: u64 = 0;
    let mut taken = 0usize;
    let err = loop {
        match frames::alloc() {
            Ok(f) => {
                write_phys_u64(f, head);
                head = f;
                taken += 1;
            }
            Err(e) => break e,
        }
    };
    println!("ktest frames: took {taken} of {start} free frames, then: {err:?}");
    if err != FrameError::OutOfFrames {
        return Err(format!("exhaustion gave {err:?}, not OutOfFrames"));
    }
    if taken != start {
        return Err(format!("took {taken} frames but {start} were free"));
    }
    if frames::alloc_at(head).is_ok() {
        return Err(String::from("alloc_at of a taken frame succeeded"));
    }
    let mut f = head;
    while f != 0 {
        let next = read_phys_u64(f);
        frames::free_frame(f).map_err(|e| format!("free of {f:#x} failed: {e:?}"))?;
        f = next;
    }
    if frames::free_frame(head).is_ok() {
        return Err(String::from("double free was accepted"));
    }
    let end = frames::free();
    println!("ktest frames: all returned, {end} free (was {start})");
    if end != start {
        return Err(format!("free count {end} != {start}"));
    }
    Ok(())
}

fn write_phys_u64(paddr: u64, v: u64) {
    crate::mem::write_phys(paddr, &v.to_le_bytes());
}

fn read_phys_u64(paddr: u64) -> u64 {
    crate::mem::phys_slice(paddr, 8)
        .map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])))
}

/// Reads a line typed on the serial port (by interrupt) and echoes it.
fn serial_echo() -> Result<(), String> {
    println!("ktest serial: waiting for input");
    let mut buf = [0u8; 64];
    let n = console::read_line(&mut buf, 30_000_000).ok_or("no line arrived within 30 s")?;
    let line = core::str::from_utf8(&buf[..n]).map_err(|_| "input was not UTF-8")?;
    println!("serial: got \"{line}\"");
    if line != "hello exo" {
        return Err(format!("expected \"hello exo\", got \"{line}\""));
    }
    Ok(())
}
