//! The two kernel architectures: their names, Rust targets and QEMU binaries.

use std::fmt;

/// A kernel architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// 64-bit x86 (PVH direct boot, Multiboot2 from GRUB).
    X86_64,
    /// 32-bit x86 (Multiboot1 direct boot).
    I386,
}

impl Arch {
    /// Both architectures, x86_64 first.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::I386];

    /// Parses a user-supplied name (`x86_64`, `x86-64`, `amd64`, `i386`, `i686`, `x86`).
    pub fn parse(s: &str) -> Option<Arch> {
        match s {
            "x86_64" | "x86-64" | "amd64" | "x64" => Some(Arch::X86_64),
            "i386" | "i686" | "x86" | "ia32" => Some(Arch::I386),
            _ => None,
        }
    }

    /// A slice holding just this architecture.
    pub fn only(self) -> &'static [Arch] {
        match self {
            Arch::X86_64 => &[Arch::X86_64],
            Arch::I386 => &[Arch::I386],
        }
    }

    /// The short name used in paths and output (`x86_64`, `i386`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::I386 => "i386",
        }
    }

    /// The Rust target triple the kernel is built for.
    pub fn target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-none",
            Arch::I386 => "i686-unknown-linux-gnu",
        }
    }

    /// The QEMU system emulator for this architecture.
    pub fn qemu(self) -> &'static str {
        match self {
            Arch::X86_64 => "qemu-system-x86_64",
            Arch::I386 => "qemu-system-i386",
        }
    }

    /// Environment variable naming a prebuilt kernel ELF to use instead of
    /// building one (for working on the driver without a kernel build).
    pub fn prebuilt_env(self) -> &'static str {
        match self {
            Arch::X86_64 => "EXOV6_KERNEL_X86_64",
            Arch::I386 => "EXOV6_KERNEL_I386",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
