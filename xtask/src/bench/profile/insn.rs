//! Which executed x86-64 instructions are costly, from their bytes (the
//! plugin records every instruction's bytes): system instructions
//! (privileged ones, and the state saves and base writes that go with
//! them), locked ones (a `lock` prefix, or `xchg` with memory, which
//! locks without one), `rep` string instructions (under TCG a `rep`
//! instruction executes once per iteration, so its count is the
//! iterations), kernel entries (`syscall`, `int`), and a few others
//! that stop a pipeline (`cpuid`, `rdtsc`). Only the prefixes and the
//! opcode are decoded; everything else is ordinary.

/// What makes an instruction costly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Privileged or system-state instructions (CR and MSR access, TLB
    /// flushes, descriptor tables, `iretq`, `sysretq`, `swapgs`, port
    /// I/O, `hlt`, `cli`/`sti`, `xsave`/`xrstor`, FS/GS base writes).
    System,
    /// Atomic read-modify-writes: a `lock` prefix, or `xchg` with memory.
    Locked,
    /// `rep`/`repne` string instructions, one count per iteration.
    Rep,
    /// Entries into the kernel by instruction: `syscall`, `int N`.
    Entry,
    /// Serialising or trapping under virtualisation: `cpuid`, `rdtsc`,
    /// `rdtscp`.
    Other,
}

impl Class {
    /// All, in report order.
    pub const ALL: [Class; 5] = [
        Class::System,
        Class::Locked,
        Class::Rep,
        Class::Entry,
        Class::Other,
    ];

    /// Short name for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Class::System => "system",
            Class::Locked => "locked",
            Class::Rep => "rep",
            Class::Entry => "entry",
            Class::Other => "other",
        }
    }
}

/// A costly instruction: its class and a mnemonic-like name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Costly {
    /// Why it is costly.
    pub class: Class,
    /// Its name (`mov cr3`, `lock cmpxchg`, `rep stosq`).
    pub name: String,
}

fn costly(class: Class, name: impl Into<String>) -> Option<Costly> {
    Some(Costly {
        class,
        name: name.into(),
    })
}

/// The `reg` field of a ModR/M byte.
fn reg(modrm: u8) -> u8 {
    (modrm >> 3) & 7
}

/// True if a ModR/M byte names a memory operand.
fn is_mem(modrm: u8) -> bool {
    modrm >> 6 != 3
}

/// The name of a string instruction, with its operand size.
fn string_op(op: u8, wide: bool, opsize: bool) -> Option<String> {
    let base = match op {
        0xa4 | 0xa5 => "movs",
        0xa6 | 0xa7 => "cmps",
        0xaa | 0xab => "stos",
        0xac | 0xad => "lods",
        0xae | 0xaf => "scas",
        0x6c | 0x6d => "ins",
        0x6e | 0x6f => "outs",
        _ => return None,
    };
    let size = if op & 1 == 0 {
        'b'
    } else if wide {
        'q'
    } else if opsize {
        'w'
    } else {
        'd'
    };
    Some(format!("{base}{size}"))
}

/// The operation a `lock` prefix applies to.
fn locked_name(op: u8, op2: Option<u8>, modrm: Option<u8>) -> &'static str {
    match (op, op2) {
        (0x0f, Some(0xb0 | 0xb1)) => "lock cmpxchg",
        (0x0f, Some(0xc0 | 0xc1)) => "lock xadd",
        (0x0f, Some(0xc7)) => "lock cmpxchg8b/16b",
        (0x0f, Some(0xab | 0xb3 | 0xbb | 0xba)) => "lock bts/btr/btc",
        (0x00..=0x05, _) => "lock add",
        (0x08..=0x0d, _) => "lock or",
        (0x20..=0x25, _) => "lock and",
        (0x28..=0x2d, _) => "lock sub",
        (0x30..=0x35, _) => "lock xor",
        (0x80 | 0x81 | 0x83, _) => match modrm.map(reg) {
            Some(0) => "lock add",
            Some(1) => "lock or",
            Some(4) => "lock and",
            Some(5) => "lock sub",
            Some(6) => "lock xor",
            _ => "lock (other)",
        },
        (0xfe | 0xff, _) => match modrm.map(reg) {
            Some(0) => "lock inc",
            Some(1) => "lock dec",
            _ => "lock (other)",
        },
        (0xf6 | 0xf7, _) => "lock not/neg",
        (0x86 | 0x87, _) => "xchg mem",
        _ => "lock (other)",
    }
}

/// Classifies one instruction by its bytes (64-bit mode); `None` for an
/// ordinary one.
pub fn classify(bytes: &[u8]) -> Option<Costly> {
    let mut i = 0;
    let (mut lock, mut rep, mut opsize) = (false, false, false);
    let mut f3 = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            0xf0 => lock = true,
            0xf2 => rep = true,
            0xf3 => {
                rep = true;
                f3 = true;
            }
            0x66 => opsize = true,
            0x67 | 0x2e | 0x36 | 0x3e | 0x26 | 0x64 | 0x65 => {}
            _ => break,
        }
        i += 1;
    }
    let mut rex = 0u8;
    if let Some(&b) = bytes.get(i) {
        if b & 0xf0 == 0x40 {
            rex = b;
            i += 1;
        }
    }
    let wide = rex & 8 != 0;
    let op = *bytes.get(i)?;
    let op2 = bytes.get(i + 1).copied();
    let modrm = if op == 0x0f {
        bytes.get(i + 2).copied()
    } else {
        op2
    };
    if lock {
        return costly(Class::Locked, locked_name(op, op2, modrm));
    }
    if op != 0x0f {
        if let Some(name) = string_op(op, wide, opsize) {
            if rep {
                return costly(Class::Rep, format!("rep {name}"));
            }
            if matches!(op, 0x6c..=0x6f) {
                return costly(Class::System, name);
            }
            return None;
        }
        return match op {
            0x86 | 0x87 if modrm.is_some_and(is_mem) => costly(Class::Locked, "xchg mem"),
            0xe4 | 0xe5 | 0xec | 0xed => costly(Class::System, "in"),
            0xe6 | 0xe7 | 0xee | 0xef => costly(Class::System, "out"),
            0xf4 => costly(Class::System, "hlt"),
            0xfa => costly(Class::System, "cli"),
            0xfb => costly(Class::System, "sti"),
            0xcf => costly(Class::System, if wide { "iretq" } else { "iret" }),
            0xcd => costly(Class::Entry, "int"),
            0xcc => costly(Class::Entry, "int3"),
            _ => None,
        };
    }
    let op2 = op2?;
    let rex_r = if rex & 4 != 0 { 8 } else { 0 };
    match op2 {
        0x00 => match modrm.map(reg) {
            Some(2) => costly(Class::System, "lldt"),
            Some(3) => costly(Class::System, "ltr"),
            _ => None,
        },
        0x01 => {
            let m = modrm?;
            match m {
                0xf8 => costly(Class::System, "swapgs"),
                0xf9 => costly(Class::Other, "rdtscp"),
                0xca => costly(Class::System, "clac"),
                0xcb => costly(Class::System, "stac"),
                0xd1 => costly(Class::System, "xsetbv"),
                _ if is_mem(m) => match reg(m) {
                    2 => costly(Class::System, "lgdt"),
                    3 => costly(Class::System, "lidt"),
                    7 => costly(Class::System, "invlpg"),
                    _ => None,
                },
                _ => None,
            }
        }
        0x05 => costly(Class::Entry, "syscall"),
        0x06 => costly(Class::System, "clts"),
        0x07 => costly(Class::System, if wide { "sysretq" } else { "sysret" }),
        0x08 => costly(Class::System, "invd"),
        0x09 => costly(Class::System, "wbinvd"),
        0x20 => costly(
            Class::System,
            format!("mov from cr{}", modrm.map_or(0, reg) + rex_r),
        ),
        0x22 => costly(
            Class::System,
            format!("mov to cr{}", modrm.map_or(0, reg) + rex_r),
        ),
        0x21 | 0x23 => costly(Class::System, "mov dr"),
        0x30 => costly(Class::System, "wrmsr"),
        0x31 => costly(Class::Other, "rdtsc"),
        0x32 => costly(Class::System, "rdmsr"),
        0x33 => costly(Class::System, "rdpmc"),
        0x34 => costly(Class::Entry, "sysenter"),
        0x35 => costly(Class::System, "sysexit"),
        0xa2 => costly(Class::Other, "cpuid"),
        0xae => {
            let m = modrm?;
            if is_mem(m) {
                let w = if wide { "64" } else { "" };
                match reg(m) {
                    0 => costly(Class::System, format!("fxsave{w}")),
                    1 => costly(Class::System, format!("fxrstor{w}")),
                    4 => costly(Class::System, format!("xsave{w}")),
                    5 => costly(Class::System, format!("xrstor{w}")),
                    6 => costly(Class::System, format!("xsaveopt{w}")),
                    _ => None,
                }
            } else if f3 {
                match reg(m) {
                    0 => costly(Class::System, "rdfsbase"),
                    1 => costly(Class::System, "rdgsbase"),
                    2 => costly(Class::System, "wrfsbase"),
                    3 => costly(Class::System, "wrgsbase"),
                    _ => None,
                }
            } else {
                None
            }
        }
        0xc7 => {
            let m = modrm?;
            if !is_mem(m) {
                return None;
            }
            match reg(m) {
                3 => costly(Class::System, "xrstors"),
                4 => costly(Class::System, "xsavec"),
                5 => costly(Class::System, "xsaves"),
                _ => None,
            }
        }
        0x38 if opsize && bytes.get(i + 2) == Some(&0x82) => costly(Class::System, "invpcid"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(bytes: &[u8]) -> Option<(Class, String)> {
        classify(bytes).map(|c| (c.class, c.name))
    }

    fn is(bytes: &[u8], class: Class, n: &str) {
        assert_eq!(name(bytes), Some((class, n.to_string())), "{bytes:02x?}");
    }

    #[test]
    fn system_instructions() {
        is(&[0x0f, 0x22, 0xd8], Class::System, "mov to cr3"); // mov cr3, rax
        is(&[0x44, 0x0f, 0x22, 0xc0], Class::System, "mov to cr8"); // mov cr8, rax
        is(&[0x0f, 0x20, 0xd0], Class::System, "mov from cr2");
        is(&[0x0f, 0x30], Class::System, "wrmsr");
        is(&[0x0f, 0x32], Class::System, "rdmsr");
        is(&[0x0f, 0x01, 0x3f], Class::System, "invlpg"); // invlpg [rdi]
        is(&[0x48, 0xcf], Class::System, "iretq");
        is(&[0x48, 0x0f, 0x07], Class::System, "sysretq");
        is(&[0x0f, 0x01, 0xf8], Class::System, "swapgs");
        is(&[0x0f, 0x01, 0x17], Class::System, "lgdt");
        is(&[0x0f, 0x00, 0xd8], Class::System, "ltr");
        is(&[0xee], Class::System, "out");
        is(&[0xec], Class::System, "in");
        is(&[0xf4], Class::System, "hlt");
        is(&[0xfa], Class::System, "cli");
        is(&[0xfb], Class::System, "sti");
        is(&[0x48, 0x0f, 0xae, 0x27], Class::System, "xsave64"); // xsave64 [rdi]
        is(&[0x0f, 0xae, 0x2f], Class::System, "xrstor");
        is(&[0xf3, 0x48, 0x0f, 0xae, 0xd7], Class::System, "wrfsbase");
        is(&[0x66, 0x0f, 0x38, 0x82, 0x07], Class::System, "invpcid");
        // sgdt and the fences are ordinary.
        assert_eq!(name(&[0x0f, 0x01, 0x07]), None);
        assert_eq!(name(&[0x0f, 0xae, 0xe8]), None); // lfence
    }

    #[test]
    fn locked_and_rep() {
        is(
            &[0xf0, 0x48, 0x0f, 0xb1, 0x0f],
            Class::Locked,
            "lock cmpxchg",
        );
        is(&[0xf0, 0x48, 0x0f, 0xc1, 0x07], Class::Locked, "lock xadd");
        is(&[0xf0, 0x48, 0x83, 0x07, 0x01], Class::Locked, "lock add");
        is(&[0xf0, 0xff, 0x0f], Class::Locked, "lock dec");
        is(&[0x48, 0x87, 0x07], Class::Locked, "xchg mem"); // xchg [rdi], rax
        assert_eq!(name(&[0x48, 0x87, 0xc8]), None, "xchg of registers");
        is(&[0xf3, 0xa4], Class::Rep, "rep movsb");
        is(&[0xf3, 0x48, 0xab], Class::Rep, "rep stosq");
        is(&[0xf3, 0xab], Class::Rep, "rep stosd");
        is(&[0xf3, 0x66, 0xa5], Class::Rep, "rep movsw");
        is(&[0xf2, 0xae], Class::Rep, "rep scasb");
        is(&[0xf3, 0x6e], Class::Rep, "rep outsb");
        is(&[0x6e], Class::System, "outsb");
        assert_eq!(name(&[0xa4]), None, "movsb without rep");
    }

    #[test]
    fn entries_others_and_ordinary() {
        is(&[0x0f, 0x05], Class::Entry, "syscall");
        is(&[0xcd, 0x80], Class::Entry, "int");
        is(&[0x0f, 0x31], Class::Other, "rdtsc");
        is(&[0x0f, 0xa2], Class::Other, "cpuid");
        is(&[0x0f, 0x01, 0xf9], Class::Other, "rdtscp");
        for ordinary in [
            &[0x48, 0x89, 0xe5][..],         // mov rbp, rsp
            &[0xc3],                         // ret
            &[0xf3, 0xc3],                   // rep ret
            &[0xf3, 0x0f, 0x1e, 0xfa],       // endbr64
            &[0x0f, 0x1f, 0x44, 0x00, 0x00], // nop
            &[0x0f],
            &[0xf0],
            &[],
        ] {
            assert_eq!(name(ordinary), None, "{ordinary:02x?}");
        }
    }
}
