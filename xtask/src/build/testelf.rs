//! Test support: writes minimal ELF32/ELF64 files with a `.text`, an
//! optional zero-filled `.ksyms` section and a `.symtab`, for exercising the
//! symbol-table patcher without a kernel build.

/// ELF class to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfClass {
    /// 32-bit, i386.
    Elf32,
    /// 64-bit, x86_64.
    Elf64,
}

/// Description of a test ELF.
pub struct TestElf {
    pub class: ElfClass,
    /// Size of `.ksyms`; 0 for no such section.
    pub ksyms_size: usize,
    /// FUNC symbols `(addr, size, mangled name)`.
    pub functions: Vec<(u64, u64, String)>,
    /// OBJECT symbols `(addr, size, name)`.
    pub objects: Vec<(u64, u64, String)>,
    /// NOTYPE symbols (assembly labels) in `.text`, `(addr, name)`.
    pub labels: Vec<(u64, String)>,
}

struct Out {
    buf: Vec<u8>,
    wide: bool,
}

impl Out {
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// An address-sized field.
    fn word(&mut self, v: u64) {
        if self.wide {
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else {
            self.u32(v as u32);
        }
    }
    fn align(&mut self, a: usize) {
        while !self.buf.len().is_multiple_of(a) {
            self.buf.push(0);
        }
    }
}

#[derive(Default)]
struct Section {
    name: u32,
    kind: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    entsize: u64,
}

impl TestElf {
    /// Lays out the file.
    pub fn build(&self) -> Vec<u8> {
        let wide = self.class == ElfClass::Elf64;
        let ehsize: u16 = if wide { 64 } else { 52 };
        let shentsize: u16 = if wide { 64 } else { 40 };
        let symsize: u64 = if wide { 24 } else { 16 };

        let mut shstrtab = vec![0u8];
        let mut add_name = |n: &str| {
            let off = shstrtab.len() as u32;
            shstrtab.extend_from_slice(n.as_bytes());
            shstrtab.push(0);
            off
        };
        let (n_text, n_ksyms, n_symtab, n_strtab, n_shstrtab) = (
            add_name(".text"),
            add_name(".ksyms"),
            add_name(".symtab"),
            add_name(".strtab"),
            add_name(".shstrtab"),
        );

        let mut out = Out {
            buf: vec![0; ehsize as usize],
            wide,
        };
        let mut sections = vec![];

        // .text (index 1): 16 bytes of int3.
        let text_off = out.buf.len() as u64;
        out.buf.extend_from_slice(&[0xcc; 16]);
        sections.push(Section {
            name: n_text,
            kind: 1,
            flags: 0x6,
            addr: 0x1000,
            offset: text_off,
            size: 16,
            link: 0,
            info: 0,
            entsize: 0,
        });

        if self.ksyms_size > 0 {
            out.align(8);
            let off = out.buf.len() as u64;
            out.buf.resize(out.buf.len() + self.ksyms_size, 0);
            sections.push(Section {
                name: n_ksyms,
                kind: 1,
                flags: 0x2,
                addr: 0x10_0000,
                offset: off,
                size: self.ksyms_size as u64,
                link: 0,
                info: 0,
                entsize: 0,
            });
        }

        // .strtab contents and .symtab entries.
        let mut strtab = vec![0u8];
        let mut syms = Out {
            buf: vec![0; symsize as usize],
            wide,
        };
        let labels: Vec<(u64, u64, String)> = self
            .labels
            .iter()
            .map(|(a, n)| (*a, 0, n.clone()))
            .collect();
        let all = self
            .functions
            .iter()
            .map(|f| (f, 2u8))
            .chain(self.objects.iter().map(|o| (o, 1u8)))
            .chain(labels.iter().map(|l| (l, 0u8)));
        for ((addr, size, name), kind) in all {
            let name_off = strtab.len() as u32;
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
            let info = (1 << 4) | kind; // STB_GLOBAL
            if wide {
                syms.u32(name_off);
                syms.u8(info);
                syms.u8(0);
                syms.u16(1);
                syms.word(*addr);
                syms.word(*size);
            } else {
                syms.u32(name_off);
                syms.word(*addr);
                syms.word(*size);
                syms.u8(info);
                syms.u8(0);
                syms.u16(1);
            }
        }
        let symtab_index = sections.len() as u32 + 1;
        out.align(8);
        let sym_off = out.buf.len() as u64;
        out.buf.extend_from_slice(&syms.buf);
        sections.push(Section {
            name: n_symtab,
            kind: 2,
            flags: 0,
            addr: 0,
            offset: sym_off,
            size: syms.buf.len() as u64,
            link: symtab_index + 1,
            info: 1,
            entsize: symsize,
        });
        // .strtab and .shstrtab (string tables, SHT_STRTAB).
        for (name, table) in [(n_strtab, &strtab), (n_shstrtab, &shstrtab)] {
            let offset = out.buf.len() as u64;
            out.buf.extend_from_slice(table);
            sections.push(Section {
                name,
                kind: 3,
                offset,
                size: table.len() as u64,
                ..Section::default()
            });
        }

        // Section headers: the null entry, then ours.
        out.align(8);
        let shoff = out.buf.len() as u64;
        out.buf.resize(out.buf.len() + shentsize as usize, 0);
        for s in &sections {
            out.u32(s.name);
            out.u32(s.kind);
            out.word(s.flags);
            out.word(s.addr);
            out.word(s.offset);
            out.word(s.size);
            out.u32(s.link);
            out.u32(s.info);
            out.word(8);
            out.word(s.entsize);
        }
        let shnum = sections.len() as u16 + 1;

        // The ELF header, written over the reserved space at the start.
        let mut hdr = Out {
            buf: Vec::new(),
            wide,
        };
        hdr.buf
            .extend_from_slice(&[0x7f, b'E', b'L', b'F', if wide { 2 } else { 1 }, 1, 1, 0]);
        hdr.buf.extend_from_slice(&[0; 8]);
        hdr.u16(2); // ET_EXEC
        hdr.u16(if wide { 62 } else { 3 });
        hdr.u32(1);
        hdr.word(0x1000); // entry
        hdr.word(0); // phoff
        hdr.word(shoff);
        hdr.u32(0);
        hdr.u16(ehsize);
        hdr.u16(if wide { 56 } else { 32 });
        hdr.u16(0);
        hdr.u16(shentsize);
        hdr.u16(shnum);
        hdr.u16(shnum - 1);
        assert_eq!(hdr.buf.len(), ehsize as usize);
        out.buf[..hdr.buf.len()].copy_from_slice(&hdr.buf);
        out.buf
    }
}
