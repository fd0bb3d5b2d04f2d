//! Test support: writes ELF64 files from a list of program headers, and a
//! typical static executable (text R+X, rodata R, data+bss R+W, plus a
//! non-loadable `PT_GNU_STACK`) like the user linker script produces.

#![allow(dead_code)]

/// One program header to write.
#[derive(Clone, Copy, Debug)]
pub struct Phdr {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

pub const PT_LOAD: u32 = 1;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// The user range the tests load into (what the kernel uses).
pub const USER_MIN: u64 = 0x1000;
pub const USER_END: u64 = 0x0000_8000_0000_0000;

/// A loadable header.
pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Phdr {
    Phdr {
        p_type: PT_LOAD,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
    }
}

/// Writes an x86_64 `ET_EXEC` file of `len` bytes (at least the headers)
/// with the program-header table at offset 64. Bytes after the table are
/// filled with a position-dependent pattern, so file slices are checkable.
pub fn elf(entry: u64, phdrs: &[Phdr], len: usize) -> Vec<u8> {
    let table_end = 64 + 56 * phdrs.len();
    let mut b: Vec<u8> = (0..len.max(table_end)).map(|i| (i * 7 + 3) as u8).collect();
    b[..64].fill(0);
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // ELFCLASS64
    b[5] = 1; // little endian
    b[6] = 1; // EV_CURRENT
    b[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    b[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    b[20..24].copy_from_slice(&1u32.to_le_bytes());
    b[24..32].copy_from_slice(&entry.to_le_bytes());
    b[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    b[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    b[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    b[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
    for (i, p) in phdrs.iter().enumerate() {
        let h = &mut b[64 + 56 * i..64 + 56 * (i + 1)];
        h[0..4].copy_from_slice(&p.p_type.to_le_bytes());
        h[4..8].copy_from_slice(&p.flags.to_le_bytes());
        h[8..16].copy_from_slice(&p.offset.to_le_bytes());
        h[16..24].copy_from_slice(&p.vaddr.to_le_bytes());
        h[24..32].copy_from_slice(&p.vaddr.to_le_bytes()); // p_paddr
        h[32..40].copy_from_slice(&p.filesz.to_le_bytes());
        h[40..48].copy_from_slice(&p.memsz.to_le_bytes());
        h[48..56].copy_from_slice(&0x1000u64.to_le_bytes()); // p_align
    }
    b
}

/// The headers of [`typical`].
pub fn typical_phdrs() -> [Phdr; 4] {
    [
        load(PF_R | PF_X, 0x1000, 0x40_1000, 0x234, 0x234),
        load(PF_R, 0x2000, 0x40_2000, 0x80, 0x80),
        Phdr {
            p_type: PT_GNU_STACK,
            flags: PF_R | PF_W,
            offset: 0,
            vaddr: 0,
            filesz: 0,
            memsz: 0,
        },
        load(PF_R | PF_W, 0x3000, 0x40_3000, 0x10, 0x2345),
    ]
}

/// Entry point of [`typical`].
pub const TYPICAL_ENTRY: u64 = 0x40_1010;

/// A typical static executable, 0x3010 bytes long.
pub fn typical() -> Vec<u8> {
    elf(TYPICAL_ENTRY, &typical_phdrs(), 0x3010)
}
