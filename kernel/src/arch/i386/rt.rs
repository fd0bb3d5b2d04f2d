//! Runtime symbols the prebuilt i686 Linux `core`/`alloc` need from libc and
//! the unwinder (memcpy and friends; never-called unwinding stubs). See rt.s.

core::arch::global_asm!(include_str!("rt.s"), options(att_syntax));
