//! Patching the kernel symbol table into a copy of the kernel ELF: collect
//! the `.symtab` FUNC symbols, demangle them, build the `ksyms` table and
//! write it over the zero-filled `.ksyms` section.

use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};

use crate::error::{bail, Context, Result};

/// Name of the section the kernel's linker script reserves for the table.
pub const SECTION: &str = ".ksyms";

/// What a patch did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchReport {
    /// Number of symbols written (after de-duplication).
    pub symbols: usize,
    /// Size of the table in bytes.
    pub table_bytes: usize,
    /// Size of the `.ksyms` section (the capacity); 0 if there is none.
    pub capacity: usize,
}

impl PatchReport {
    /// One-line description for the build log.
    pub fn describe(&self) -> String {
        if self.capacity == 0 {
            return format!("no {SECTION} section: backtraces will not be symbolised");
        }
        format!(
            "{} symbols, {} KiB of {} KiB",
            self.symbols,
            self.table_bytes.div_ceil(1024),
            self.capacity / 1024
        )
    }
}

/// True for an untyped symbol (an assembly label such as a trap stub)
/// that lies inside an executable section. Boundary markers placed at a
/// section's end (`__text_end`) fall outside it and are left out.
fn is_code_label(file: &object::File<'_>, sym: &object::Symbol<'_, '_>) -> bool {
    if sym.kind() != SymbolKind::Unknown {
        return false;
    }
    let Some(index) = sym.section_index() else {
        return false;
    };
    file.section_by_index(index).is_ok_and(|sec| {
        sec.kind() == SectionKind::Text
            && sym.address() >= sec.address()
            && sym.address() - sec.address() < sec.size()
    })
}

/// The demangled code symbols of an ELF file, `(addr, size, name)`: every
/// FUNC symbol, plus assembly labels inside executable sections.
pub fn function_symbols(file: &object::File<'_>) -> Vec<(u64, u32, String)> {
    file.symbols()
        .filter(|s| s.is_definition() && s.address() != 0)
        .filter(|s| s.kind() == SymbolKind::Text || is_code_label(file, s))
        .filter_map(|s| {
            let name = s.name().ok()?;
            if name.is_empty() || name.starts_with(".L") || name.starts_with('$') {
                return None;
            }
            let size = u32::try_from(s.size()).unwrap_or(u32::MAX);
            let demangled = format!("{:#}", rustc_demangle::demangle(name));
            Some((s.address(), size, demangled))
        })
        .collect()
}

/// Patches the table into `elf` in place.
///
/// Without a `.ksyms` section the bytes are left alone (the report's
/// capacity is 0). A section that is not file-backed, or too small for the
/// table, is an error.
pub fn patch_bytes(elf: &mut [u8]) -> Result<PatchReport> {
    let (range, table, symbols) = {
        let file = object::File::parse(&*elf)?;
        let symbols = function_symbols(&file);
        let table = ksyms::build(&symbols);
        let count = ksyms::Table::parse(&table).map_or(0, |t| t.len());
        let Some(section) = file.section_by_name(SECTION) else {
            return Ok(PatchReport {
                symbols: count,
                table_bytes: table.len(),
                capacity: 0,
            });
        };
        if section.kind() == SectionKind::UninitializedData {
            bail!("the {SECTION} section is NOBITS; the linker script must make it PROGBITS (file-backed, zero-filled)");
        }
        let Some((offset, size)) = section.file_range() else {
            bail!("the {SECTION} section has no file contents");
        };
        (offset..offset + size, table, count)
    };
    let start = usize::try_from(range.start).map_err(|_| crate::error::Error::msg("bad offset"))?;
    let capacity = usize::try_from(range.end - range.start).unwrap_or(usize::MAX);
    if table.len() > capacity {
        bail!(
            "the kernel symbol table needs {} bytes ({symbols} symbols) but the {SECTION} section \
             holds only {capacity}; enlarge .ksyms in the kernel's linker script",
            table.len()
        );
    }
    let Some(section) = elf.get_mut(start..start + capacity) else {
        bail!("the {SECTION} section lies outside the file");
    };
    section.fill(0);
    section[..table.len()].copy_from_slice(&table);
    Ok(PatchReport {
        symbols,
        table_bytes: table.len(),
        capacity,
    })
}

/// Reads `src`, patches the table in, and writes the result to `dst`.
pub fn patch_file(src: &Path, dst: &Path) -> Result<PatchReport> {
    let mut bytes = std::fs::read(src).with_context(|| format!("reading {}", src.display()))?;
    let report = patch_bytes(&mut bytes).with_context(|| format!("patching {}", src.display()))?;
    if let Some(dir) = dst.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::fsutil::write_if_changed(dst, &bytes)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::testelf::{ElfClass, TestElf};

    fn sample(class: ElfClass, ksyms_size: usize) -> Vec<u8> {
        TestElf {
            class,
            ksyms_size,
            functions: vec![
                (0x1000, 0x40, "_ZN6kernel4main17h0123456789abcdefE".into()),
                (
                    0x1040,
                    0x10,
                    "_ZN4core9panicking5panic17hfedcba9876543210E".into(),
                ),
                (0x2000, 0, "_start".into()),
            ],
            objects: vec![(0x3000, 8, "DATA".into())],
            // .text is [0x1000, 0x1010): one label inside, one at its end.
            labels: vec![(0x1008, "trap_stub".into()), (0x1010, "__text_end".into())],
        }
        .build()
    }

    #[test]
    fn patches_elf64_and_elf32() {
        for class in [ElfClass::Elf64, ElfClass::Elf32] {
            let mut elf = sample(class, 4096);
            let report = patch_bytes(&mut elf).unwrap();
            assert_eq!(report.symbols, 4, "{class:?}");
            assert_eq!(report.capacity, 4096);

            let file = object::File::parse(&*elf).unwrap();
            let data = file.section_by_name(SECTION).unwrap().data().unwrap();
            let table = ksyms::Table::parse(data).unwrap();
            assert_eq!(table.len(), 4);
            assert_eq!(table.lookup(0x1005), Some(("kernel::main", 5)));
            assert_eq!(
                table.lookup(0x100a),
                Some(("trap_stub", 2)),
                "labels inside .text count"
            );
            assert_eq!(table.lookup(0x104f), Some(("core::panicking::panic", 0xf)));
            assert_eq!(table.lookup(0x2345), Some(("_start", 0x345)));
            assert_eq!(
                table.lookup(0x3000).map(|s| s.0),
                Some("_start"),
                "objects are not listed"
            );
        }
    }

    #[test]
    fn too_small_section_is_a_clear_error() {
        let mut elf = sample(ElfClass::Elf64, 32);
        let err = patch_bytes(&mut elf).unwrap_err().to_string();
        assert!(err.contains("holds only 32"), "{err}");
    }

    #[test]
    fn missing_section_leaves_the_file_alone() {
        let mut elf = sample(ElfClass::Elf64, 0);
        let before = elf.clone();
        let report = patch_bytes(&mut elf).unwrap();
        assert_eq!(report.capacity, 0);
        assert_eq!(elf, before);
    }

    #[test]
    fn repatching_is_idempotent() {
        let mut elf = sample(ElfClass::Elf32, 1024);
        patch_bytes(&mut elf).unwrap();
        let once = elf.clone();
        patch_bytes(&mut elf).unwrap();
        assert_eq!(elf, once);
    }
}
