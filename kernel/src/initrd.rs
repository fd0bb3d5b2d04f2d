//! The boot ramdisk: the first boot module, a cpio "newc" archive. This
//! issue only locates and validates it; later ones load programs from it.

use firmware::BootInfo;

/// The ramdisk as found.
pub struct Ramdisk {
    pub start: u64,
    pub end: u64,
    pub entries: usize,
    pub error: Option<cpio::CpioError>,
    /// The archive's bytes (through the direct map).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub bytes: &'static [u8],
}

/// Finds and checks the ramdisk among the boot modules.
pub fn find(info: &BootInfo) -> Option<Ramdisk> {
    let m = info.modules().first()?;
    let bytes = crate::mem::phys_slice(m.start, m.end.saturating_sub(m.start))?;
    let mut entries = 0;
    let mut error = None;
    for e in cpio::Archive::new(bytes).entries() {
        match e {
            Ok(_) => entries += 1,
            Err(err) => {
                error = Some(err);
                break;
            }
        }
    }
    Some(Ramdisk {
        start: m.start,
        end: m.end,
        entries,
        error,
        bytes,
    })
}
