//! From a guest instruction's virtual address to the image it belongs to
//! (the kernel, the library OS, a server, the program) and the symbol in
//! it, from the ELF files xtask built.
//!
//! An image is located by its executable `PT_LOAD` segments: every image
//! here is linked at a fixed address (the kernel in the higher half, the
//! library OS at `sysproto::layout::LIBOS_BASE` in every process, the
//! native programs at 0x400000) and runs there. Two images whose
//! executable ranges overlap cannot be told apart by address (the plugin
//! cannot read CR3 with QEMU 7.2's plugin API), so [`Map::new`] refuses
//! them; `cargo xtask profile` links the C programs of a profile run at
//! addresses of their own for that reason (`super::LINK_BASES`).

use std::fmt;
use std::path::{Path, PathBuf};

use object::{Object, ObjectSegment};

use crate::error::{bail, Context, Result};

/// The part of the system an image belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// The exokernel.
    Kernel,
    /// The library OS, in every Linux process.
    Libos,
    /// The system server (in the root task) and init.
    Servers,
    /// The benchmark program (and what it runs: its children, `tiny`).
    Program,
    /// Addresses in no image.
    Other,
}

impl Component {
    /// All, in report order.
    pub const ALL: [Component; 5] = [
        Component::Kernel,
        Component::Libos,
        Component::Servers,
        Component::Program,
        Component::Other,
    ];

    /// Name for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Component::Kernel => "kernel",
            Component::Libos => "libos",
            Component::Servers => "servers",
            Component::Program => "program",
            Component::Other => "other",
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A function symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Start address.
    pub addr: u64,
    /// Size in bytes (0: unknown, it runs to the next symbol).
    pub size: u64,
    /// Demangled name.
    pub name: String,
}

/// An image: where its code is and its symbols.
#[derive(Clone, Debug)]
pub struct Image {
    /// Its component.
    pub component: Component,
    /// Short name (`kernel`, `libos`, `sysd`, `init`, `cbench`).
    pub name: String,
    /// The ELF file.
    pub path: PathBuf,
    /// Executable ranges `[start, end)`.
    pub code: Vec<(u64, u64)>,
    /// The file's bytes of its executable segments: (address, bytes).
    pub text: Vec<(u64, Vec<u8>)>,
    /// Symbols sorted by address, one per address.
    pub symbols: Vec<Symbol>,
}

impl Image {
    /// An image from its parts (symbols in any order).
    pub fn from_parts(
        component: Component,
        name: &str,
        code: Vec<(u64, u64)>,
        mut symbols: Vec<Symbol>,
    ) -> Image {
        // One symbol per address: the one with a size, then the shortest
        // name (aliases of one function).
        symbols.sort_by(|a, b| {
            a.addr
                .cmp(&b.addr)
                .then((b.size > 0).cmp(&(a.size > 0)))
                .then(a.name.len().cmp(&b.name.len()))
        });
        symbols.dedup_by_key(|s| s.addr);
        Image {
            component,
            name: name.to_string(),
            path: PathBuf::new(),
            code,
            text: Vec::new(),
            symbols,
        }
    }

    /// Reads an ELF file.
    pub fn load(component: Component, name: &str, path: &Path) -> Result<Image> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let file =
            object::File::parse(&*bytes).with_context(|| format!("parsing {}", path.display()))?;
        let exec: Vec<_> = file
            .segments()
            .filter(|s| {
                matches!(s.flags(), object::SegmentFlags::Elf { p_flags, .. } if p_flags.0 & object::elf::PF_X.0 != 0)
            })
            .filter(|s| s.size() > 0)
            .collect();
        let code: Vec<(u64, u64)> = exec
            .iter()
            .map(|s| (s.address(), s.address() + s.size()))
            .collect();
        let mut text = Vec::new();
        for s in &exec {
            let data = s
                .data()
                .with_context(|| format!("reading a segment of {}", path.display()))?;
            text.push((s.address(), data.to_vec()));
        }
        if code.is_empty() {
            bail!("{} has no executable segment", path.display());
        }
        let symbols = crate::build::ksyms_patch::function_symbols(&file)
            .into_iter()
            .map(|(addr, size, name)| Symbol {
                addr,
                size: u64::from(size),
                name,
            })
            .collect();
        let mut image = Image::from_parts(component, name, code, symbols);
        image.path = path.to_path_buf();
        image.text = text;
        Ok(image)
    }

    /// True if `addr` is in its code.
    pub fn contains(&self, addr: u64) -> bool {
        self.code.iter().any(|&(a, b)| (a..b).contains(&addr))
    }

    /// Whether the file holds `bytes` at `addr`: `Some(true)` if it does,
    /// `Some(false)` if it holds others (the code that ran is not this
    /// file's), `None` if the file has no bytes there (a segment's
    /// zero-filled end, or an image made without its file).
    pub fn matches(&self, addr: u64, bytes: &[u8]) -> Option<bool> {
        let (start, data) = self
            .text
            .iter()
            .find(|(a, d)| (*a..*a + d.len() as u64).contains(&addr))?;
        let off = usize::try_from(addr - start).ok()?;
        let have = data.get(off..off.checked_add(bytes.len())?)?;
        Some(have == bytes)
    }

    /// The symbol `addr` falls in, if any.
    pub fn symbol(&self, addr: u64) -> Option<&Symbol> {
        let i = self.symbols.partition_point(|s| s.addr <= addr);
        let s = self.symbols.get(i.checked_sub(1)?)?;
        if s.size > 0 && addr >= s.addr + s.size {
            return None;
        }
        // A sizeless symbol ends at the next one (or the code's end).
        Some(s)
    }
}

/// Where an address was found.
#[derive(Clone, Copy, Debug)]
pub struct Place<'a> {
    /// Its component.
    pub component: Component,
    /// The image (none for [`Component::Other`]).
    pub image: Option<&'a Image>,
    /// The symbol, if one covers it.
    pub symbol: Option<&'a Symbol>,
}

impl Place<'_> {
    /// The name a profile shows: the symbol, or `IMAGE+0xOFFSET-page` for
    /// code outside every symbol (grouped by page), or `?` outside every
    /// image.
    pub fn label(&self, addr: u64) -> String {
        match (self.image, self.symbol) {
            (_, Some(s)) => s.name.clone(),
            (Some(i), None) => format!("({} code at {:#x}, no symbol)", i.name, addr & !0xfff),
            (None, None) => format!("(no image: page {:#x})", addr & !0xfff),
        }
    }
}

/// The images of one run.
#[derive(Clone, Debug, Default)]
pub struct Map {
    /// Non-overlapping images.
    pub images: Vec<Image>,
}

impl Map {
    /// A map of images whose code does not overlap.
    pub fn new(images: Vec<Image>) -> Result<Map> {
        for (i, a) in images.iter().enumerate() {
            for b in &images[i + 1..] {
                for &(s1, e1) in &a.code {
                    for &(s2, e2) in &b.code {
                        if s1 < e2 && s2 < e1 {
                            bail!(
                                "the code of {} ({s1:#x}..{e1:#x}) overlaps that of {} ({s2:#x}..{e2:#x}): \
                                 the profile could not tell them apart",
                                a.name,
                                b.name
                            );
                        }
                    }
                }
            }
        }
        Ok(Map { images })
    }

    /// Where `addr` is.
    pub fn place(&self, addr: u64) -> Place<'_> {
        match self.images.iter().find(|i| i.contains(addr)) {
            Some(image) => Place {
                component: image.component,
                image: Some(image),
                symbol: image.symbol(addr),
            },
            None => Place {
                component: Component::Other,
                image: None,
                symbol: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(addr: u64, size: u64, name: &str) -> Symbol {
        Symbol {
            addr,
            size,
            name: name.into(),
        }
    }

    fn sample() -> Map {
        Map::new(vec![
            Image::from_parts(
                Component::Kernel,
                "kernel",
                vec![(0xffff_ffff_8010_0000, 0xffff_ffff_8020_0000)],
                vec![
                    sym(0xffff_ffff_8010_0000, 0x100, "kernel::entry"),
                    sym(0xffff_ffff_8010_0100, 0, "trap_stub"),
                    sym(0xffff_ffff_8010_0100, 0x40, "alias_with_size"),
                    sym(0xffff_ffff_8010_0200, 0x10, "kernel::small"),
                ],
            ),
            Image::from_parts(
                Component::Program,
                "cbench",
                vec![(0x1000_1000, 0x1000_5000)],
                vec![sym(0x1000_1000, 0x20, "main")],
            ),
        ])
        .unwrap()
    }

    #[test]
    fn lookup_by_address() {
        let m = sample();
        let p = m.place(0xffff_ffff_8010_0010);
        assert_eq!(p.component, Component::Kernel);
        assert_eq!(p.symbol.unwrap().name, "kernel::entry");
        // Of two symbols at one address the one with a size wins.
        let p = m.place(0xffff_ffff_8010_0120);
        assert_eq!(p.symbol.unwrap().name, "alias_with_size");
        // Past a sized symbol's end: no symbol, but still the kernel.
        let p = m.place(0xffff_ffff_8010_0150);
        assert_eq!((p.component, p.symbol), (Component::Kernel, None));
        assert_eq!(
            p.label(0xffff_ffff_8010_0150),
            "(kernel code at 0xffffffff80100000, no symbol)"
        );
        assert_eq!(
            m.place(0x1000_1004).symbol.unwrap().name,
            "main",
            "first byte range"
        );
        let p = m.place(0x400000);
        assert_eq!(p.component, Component::Other);
        assert_eq!(p.label(0x400123), "(no image: page 0x400000)");
        // Before the first symbol of an image.
        assert!(m.images[0].symbol(0xffff_ffff_800f_ffff).is_none());
    }

    #[test]
    fn overlapping_images_are_refused() {
        let a = Image::from_parts(
            Component::Servers,
            "sysd",
            vec![(0x400000, 0x500000)],
            vec![],
        );
        let b = Image::from_parts(
            Component::Program,
            "cbench",
            vec![(0x401000, 0x406000)],
            vec![],
        );
        let e = Map::new(vec![a.clone(), b]).unwrap_err().to_string();
        assert!(e.contains("overlaps"), "{e}");
        let c = Image::from_parts(
            Component::Program,
            "cbench",
            vec![(0x500000, 0x506000)],
            vec![],
        );
        assert!(Map::new(vec![a, c]).is_ok(), "touching is not overlapping");
    }

    #[test]
    fn bytes_are_compared_with_the_file() {
        let mut img = Image::from_parts(Component::Kernel, "k", vec![(0x1000, 0x1010)], vec![]);
        assert_eq!(img.matches(0x1000, &[0x90]), None, "no file bytes");
        img.text = vec![(0x1000, vec![0x0f, 0x31, 0xc3])];
        assert_eq!(img.matches(0x1000, &[0x0f, 0x31]), Some(true));
        assert_eq!(img.matches(0x1002, &[0xc3]), Some(true));
        assert_eq!(img.matches(0x1001, &[0x0f]), Some(false));
        assert_eq!(img.matches(0x1002, &[0xc3, 0x00]), None, "past the bytes");
    }

    #[test]
    fn reads_a_real_elf() {
        // The xtask binary itself is an ELF with symbols.
        let exe = std::env::current_exe().unwrap();
        let img = Image::load(Component::Program, "self", &exe).unwrap();
        assert!(!img.code.is_empty());
        assert!(img.symbols.len() > 100);
        assert!(img.symbols.windows(2).all(|w| w[0].addr < w[1].addr));
        let (addr, data) = &img.text[0];
        assert_eq!(img.matches(*addr, &data[..4]), Some(true));
    }
}
