//! Model-specific register numbers and bits, shared by the x86_64 and i386
//! kernels (read and written with [`super::cpu::rdmsr`] and
//! [`super::cpu::wrmsr`]). The boot code's assembly names EFER by number.

/// `IA32_EFER`: extended features.
pub const EFER: u32 = 0xc000_0080;
/// EFER.NXE: the no-execute page bit enabled.
pub const EFER_NXE: u64 = 1 << 11;

/// EFER.SCE: `syscall`/`sysret` enabled.
#[cfg(target_arch = "x86_64")]
pub const EFER_SCE: u64 = 1;
/// `IA32_STAR`: `syscall`/`sysret` segment selectors.
#[cfg(target_arch = "x86_64")]
pub const STAR: u32 = 0xc000_0081;
/// `IA32_LSTAR`: the 64-bit `syscall` entry point.
#[cfg(target_arch = "x86_64")]
pub const LSTAR: u32 = 0xc000_0082;
/// `IA32_FMASK`: RFLAGS bits `syscall` clears.
#[cfg(target_arch = "x86_64")]
pub const SFMASK: u32 = 0xc000_0084;
/// `IA32_FS_BASE`.
#[cfg(target_arch = "x86_64")]
pub const FS_BASE: u32 = 0xc000_0100;
/// `IA32_GS_BASE`.
#[cfg(target_arch = "x86_64")]
pub const GS_BASE: u32 = 0xc000_0101;
