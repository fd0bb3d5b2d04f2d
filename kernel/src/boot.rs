//! The boot hand-off: which protocol started us, and the boot information
//! it passed, read through the direct map and normalised by `firmware`.

use firmware::{BootError, BootInfo, PhysMem};

pub use firmware::Protocol;

/// What the architecture's entry code passes to `kmain`.
pub struct Handoff {
    pub protocol: Protocol,
    /// The magic value the loader left (in a register, or in start_info).
    pub magic: u32,
    pub info_paddr: u64,
    /// TSC at the kernel's first instruction.
    pub boot_tsc: u64,
}

/// Physical memory as seen through the kernel's direct map.
pub struct DirectMap;

impl PhysMem for DirectMap {
    fn read(&self, paddr: u64, len: usize) -> Option<&[u8]> {
        crate::mem::phys_slice(paddr, len as u64)
    }
}

static DIRECT: DirectMap = DirectMap;

/// Checks the loader's magic and parses its boot information.
pub fn parse(h: &Handoff) -> Result<BootInfo<'static>, BootError> {
    match h.protocol {
        Protocol::Pvh => {
            if h.magic != firmware::PVH_MAGIC {
                return Err(BootError::BadMagic);
            }
            firmware::parse_pvh(&DIRECT, h.info_paddr)
        }
        Protocol::Multiboot2 => {
            if h.magic != firmware::MULTIBOOT2_BOOT_MAGIC {
                return Err(BootError::BadMagic);
            }
            firmware::parse_multiboot2(&DIRECT, h.info_paddr)
        }
        Protocol::Multiboot1 => {
            if h.magic != firmware::MULTIBOOT1_BOOT_MAGIC {
                return Err(BootError::BadMagic);
            }
            let mut info = firmware::parse_multiboot1(&DIRECT, h.info_paddr)?;
            info.cmdline = strip_image_path(info.cmdline);
            Ok(info)
        }
    }
}

/// Multiboot 1 loaders (QEMU's `-kernel`, GRUB's `multiboot`) put the kernel
/// image's path first on the command line. A first word that contains a `/`
/// and no `=` is that path, not an option.
fn strip_image_path(line: &str) -> &str {
    let trimmed = line.trim_start();
    let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let first = &trimmed[..end];
    if first.contains('/') && !first.contains('=') {
        trimmed[end..].trim_start()
    } else {
        line
    }
}
