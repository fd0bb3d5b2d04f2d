//! A profile: the plugin's counts attributed to components and symbols,
//! the costly instructions among them, per operation; printed as a table
//! and written as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::insn::{self, Class};
use super::plugin::Counts;
use super::symbols::{Component, Map};

/// Instructions of one symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolRow {
    /// Its component.
    pub component: Component,
    /// Its image (`kernel`, `libos`, `sysd`, ...; `-` for none).
    pub image: String,
    /// Its name (see [`super::symbols::Place::label`]).
    pub name: String,
    /// Executions inside the windows, all operations together.
    pub count: u64,
}

/// Executions of one kind of costly instruction in one component.
#[derive(Clone, Debug, PartialEq)]
pub struct CostlyRow {
    /// Its component.
    pub component: Component,
    /// Its class.
    pub class: Class,
    /// Its name (`mov to cr3`).
    pub name: String,
    /// Executions, all operations together.
    pub count: u64,
}

/// A whole profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The benchmark.
    pub bench: String,
    /// What it is (`C benchmark on ExoV6`, `native benchmark`).
    pub kind: String,
    /// Operations inside the windows.
    pub ops: u64,
    /// Windows (timed batches) counted.
    pub windows: u64,
    /// The benchmark's own figure from the same boot (icount: TSC ticks
    /// per operation, median over batches), if it printed one.
    pub bench_figure: Option<f64>,
    /// Instructions per component, all operations together.
    pub components: BTreeMap<Component, u64>,
    /// Per symbol, most first.
    pub symbols: Vec<SymbolRow>,
    /// Costly instructions, most first within a component.
    pub costly: Vec<CostlyRow>,
    /// Executions of instructions whose bytes differ from their image
    /// file's at that address, per image (none expected: such code is
    /// not the image's, and its attribution is wrong).
    pub mismatched: BTreeMap<String, u64>,
}

impl Profile {
    /// Attributes `counts` over `ops` operations.
    pub fn build(bench: &str, kind: &str, counts: &Counts, map: &Map, ops: u64) -> Profile {
        let mut components: BTreeMap<Component, u64> = BTreeMap::new();
        let mut symbols: BTreeMap<(Component, String, String), u64> = BTreeMap::new();
        let mut costly: BTreeMap<(Component, Class, String), u64> = BTreeMap::new();
        let mut mismatched: BTreeMap<String, u64> = BTreeMap::new();
        for i in &counts.insns {
            let place = map.place(i.vaddr);
            if let Some(im) = place.image {
                if im.matches(i.vaddr, &i.bytes) == Some(false) {
                    *mismatched.entry(im.name.clone()).or_default() += i.count;
                }
            }
            *components.entry(place.component).or_default() += i.count;
            let image = place.image.map_or("-".to_string(), |im| im.name.clone());
            *symbols
                .entry((place.component, image, place.label(i.vaddr)))
                .or_default() += i.count;
            if let Some(c) = insn::classify(&i.bytes) {
                *costly
                    .entry((place.component, c.class, c.name))
                    .or_default() += i.count;
            }
        }
        let mut symbols: Vec<SymbolRow> = symbols
            .into_iter()
            .map(|((component, image, name), count)| SymbolRow {
                component,
                image,
                name,
                count,
            })
            .collect();
        symbols.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        let mut costly: Vec<CostlyRow> = costly
            .into_iter()
            .map(|((component, class, name), count)| CostlyRow {
                component,
                class,
                name,
                count,
            })
            .collect();
        costly.sort_by(|a, b| {
            (a.component, a.class)
                .cmp(&(b.component, b.class))
                .then(b.count.cmp(&a.count))
                .then(a.name.cmp(&b.name))
        });
        Profile {
            bench: bench.to_string(),
            kind: kind.to_string(),
            ops,
            windows: counts.windows,
            bench_figure: None,
            components,
            symbols,
            costly,
            mismatched,
        }
    }

    /// All instructions counted.
    pub fn total(&self) -> u64 {
        self.components.values().sum()
    }

    /// A count per operation.
    pub fn per_op(&self, count: u64) -> f64 {
        count as f64 / self.ops.max(1) as f64
    }

    /// A component's instructions per operation.
    pub fn component_per_op(&self, c: Component) -> f64 {
        self.per_op(self.components.get(&c).copied().unwrap_or(0))
    }
}

/// Cuts a long name to `width` characters, keeping its end (the
/// function's own name).
fn fit(name: &str, width: usize) -> String {
    let n = name.chars().count();
    if n <= width {
        return name.to_string();
    }
    let tail: String = name.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

/// The table: the totals by component, the top `top` symbols of each
/// component, and the costly instructions.
pub fn table(p: &Profile, top: usize) -> String {
    let mut s = String::new();
    let total = p.total();
    let share = |c: u64| {
        if total == 0 {
            0.0
        } else {
            c as f64 * 100.0 / total as f64
        }
    };
    let _ = writeln!(
        s,
        "profile {} ({}): {} operations in {} timed batches",
        p.bench, p.kind, p.ops, p.windows
    );
    let _ = write!(
        s,
        "instructions per operation: {:.1} counted",
        p.per_op(total)
    );
    match p.bench_figure {
        Some(f) => {
            let _ = writeln!(
                s,
                "; the benchmark's own icount figure {f:.1} (median over batches)"
            );
        }
        None => s.push('\n'),
    }
    for (image, n) in &p.mismatched {
        let _ = writeln!(
            s,
            "warning: {:.1} instructions per operation ran at {image}'s addresses with \
             other bytes than its file's (stale build? code written at run time?)",
            p.per_op(*n)
        );
    }
    let _ = writeln!(s, "\n{:<12} {:>12} {:>7}", "component", "instr/op", "share");
    for c in Component::ALL {
        let n = p.components.get(&c).copied().unwrap_or(0);
        if n == 0 && c == Component::Other {
            continue;
        }
        let _ = writeln!(
            s,
            "{:<12} {:>12.1} {:>6.1}%",
            c.name(),
            p.per_op(n),
            share(n)
        );
    }
    let _ = writeln!(
        s,
        "{:<12} {:>12.1} {:>6.1}%",
        "total",
        p.per_op(total),
        100.0
    );
    for c in Component::ALL {
        // Symbols under 0.05 per operation (a timer tick now and then)
        // are left out of the table; the JSON has them.
        let rows: Vec<_> = p
            .symbols
            .iter()
            .filter(|r| r.component == c && p.per_op(r.count) >= 0.05)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let all = p.symbols.iter().filter(|r| r.component == c).count();
        let title = format!(
            "{} (top {} of {all} symbols)",
            c.name(),
            top.min(rows.len())
        );
        let _ = writeln!(s, "\n{title:<60} {:>10} {:>7}", "instr/op", "share");
        for r in rows.iter().take(top) {
            let _ = writeln!(
                s,
                "  {:<58} {:>10.1} {:>6.1}%",
                fit(&r.name, 58),
                p.per_op(r.count),
                share(r.count)
            );
        }
    }
    let _ = writeln!(
        s,
        "\ncostly instructions per operation (rep: one per iteration; under 0.01 left out)"
    );
    let shown: Vec<&CostlyRow> = p
        .costly
        .iter()
        .filter(|r| p.per_op(r.count) >= 0.005)
        .collect();
    if shown.is_empty() {
        let _ = writeln!(s, "  none");
    } else {
        let _ = writeln!(
            s,
            "  {:<10} {:<8} {:<22} {:>10}",
            "component", "class", "instruction", "per op"
        );
    }
    for r in shown {
        let _ = writeln!(
            s,
            "  {:<10} {:<8} {:<22} {:>10.2}",
            r.component.name(),
            r.class.name(),
            r.name,
            p.per_op(r.count)
        );
    }
    // Class totals per component, one line each.
    let mut sums: BTreeMap<(Component, Class), u64> = BTreeMap::new();
    for r in &p.costly {
        *sums.entry((r.component, r.class)).or_default() += r.count;
    }
    for c in Component::ALL {
        let parts: Vec<String> = Class::ALL
            .iter()
            .filter_map(|k| {
                sums.get(&(c, *k))
                    .map(|n| format!("{} {:.2}", k.name(), p.per_op(*n)))
            })
            .collect();
        if !parts.is_empty() {
            let _ = writeln!(s, "  {} total: {}", c.name(), parts.join(", "));
        }
    }
    s
}

/// A JSON string literal.
fn jstr(t: &str) -> String {
    let mut out = String::from("\"");
    for c in t.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The profile as JSON (every symbol, not only the top ones).
pub fn json(p: &Profile) -> String {
    let mut s = String::from("{\n");
    let _ = writeln!(s, "  \"bench\": {},", jstr(&p.bench));
    let _ = writeln!(s, "  \"kind\": {},", jstr(&p.kind));
    let _ = writeln!(s, "  \"operations\": {},", p.ops);
    let _ = writeln!(s, "  \"batches\": {},", p.windows);
    let _ = writeln!(
        s,
        "  \"bench_figure\": {},",
        p.bench_figure.map_or("null".into(), |f| format!("{f:.1}"))
    );
    let _ = writeln!(s, "  \"instructions_per_op\": {:.2},", p.per_op(p.total()));
    let mism: Vec<String> = p
        .mismatched
        .iter()
        .map(|(i, n)| format!("{}: {n}", jstr(i)))
        .collect();
    let _ = writeln!(s, "  \"mismatched_bytes\": {{{}}},", mism.join(", "));
    s.push_str("  \"components\": {");
    let comps: Vec<String> = Component::ALL
        .iter()
        .map(|c| format!("\"{}\": {:.2}", c.name(), p.component_per_op(*c)))
        .collect();
    let _ = writeln!(s, "{}}},", comps.join(", "));
    s.push_str("  \"symbols\": [");
    for (i, r) in p.symbols.iter().enumerate() {
        s.push_str(if i == 0 { "\n" } else { ",\n" });
        let _ = write!(
            s,
            "    {{\"component\": \"{}\", \"image\": {}, \"name\": {}, \"per_op\": {:.3}, \"count\": {}}}",
            r.component.name(),
            jstr(&r.image),
            jstr(&r.name),
            p.per_op(r.count),
            r.count
        );
    }
    s.push_str("\n  ],\n  \"costly\": [");
    for (i, r) in p.costly.iter().enumerate() {
        s.push_str(if i == 0 { "\n" } else { ",\n" });
        let _ = write!(
            s,
            "    {{\"component\": \"{}\", \"class\": \"{}\", \"name\": {}, \"per_op\": {:.3}, \"count\": {}}}",
            r.component.name(),
            r.class.name(),
            jstr(&r.name),
            p.per_op(r.count),
            r.count
        );
    }
    s.push_str("\n  ]\n}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::super::plugin::Insn;
    use super::super::symbols::{Image, Symbol};
    use super::*;

    fn sample() -> Profile {
        let k = 0xffff_ffff_8010_0000u64;
        let map = Map::new(vec![
            Image::from_parts(
                Component::Kernel,
                "kernel",
                vec![(k, k + 0x1000)],
                vec![
                    Symbol {
                        addr: k,
                        size: 0x100,
                        name: "kernel::syscall::entry".into(),
                    },
                    Symbol {
                        addr: k + 0x100,
                        size: 0x100,
                        name: "kernel::switch".into(),
                    },
                ],
            ),
            Image::from_parts(
                Component::Libos,
                "libos",
                vec![(0x7e00_0000_0000, 0x7e00_0001_0000)],
                vec![Symbol {
                    addr: 0x7e00_0000_0000,
                    size: 0x1000,
                    name: "libos::dispatch".into(),
                }],
            ),
        ])
        .unwrap();
        let counts = Counts {
            markers: 12,
            windows: 5,
            open: false,
            insns: vec![
                Insn {
                    vaddr: k,
                    bytes: vec![0x0f, 0x01, 0xf8], // swapgs
                    count: 20,
                },
                Insn {
                    vaddr: k + 3,
                    bytes: vec![0x48, 0x89, 0xe5],
                    count: 300,
                },
                Insn {
                    vaddr: k + 0x100,
                    bytes: vec![0x0f, 0x22, 0xd8], // mov cr3, rax
                    count: 10,
                },
                Insn {
                    vaddr: k + 0x104,
                    bytes: vec![0xf3, 0x48, 0xa5], // rep movsq
                    count: 600,
                },
                Insn {
                    vaddr: 0x7e00_0000_0010,
                    bytes: vec![0xf0, 0x48, 0x0f, 0xb1, 0x0f],
                    count: 10,
                },
                Insn {
                    vaddr: 0x7e00_0000_0020,
                    bytes: vec![0xc3],
                    count: 50,
                },
                Insn {
                    vaddr: 0x1234,
                    bytes: vec![0x90],
                    count: 10,
                },
            ],
        };
        Profile::build("getpid", "C benchmark on ExoV6", &counts, &map, 10)
    }

    #[test]
    fn attributes_and_divides() {
        let p = sample();
        assert_eq!(p.total(), 1000);
        assert!(p.mismatched.is_empty(), "images without file bytes");
        assert_eq!(p.component_per_op(Component::Kernel), 93.0);
        assert_eq!(p.component_per_op(Component::Libos), 6.0);
        assert_eq!(p.component_per_op(Component::Other), 1.0);
        assert_eq!(p.component_per_op(Component::Program), 0.0);
        assert_eq!(p.symbols[0].name, "kernel::switch");
        assert_eq!(p.symbols[0].count, 610);
        assert_eq!(p.symbols[1].name, "kernel::syscall::entry");
        let costly: Vec<(&str, &str, u64)> = p
            .costly
            .iter()
            .map(|r| (r.component.name(), r.name.as_str(), r.count))
            .collect();
        assert_eq!(
            costly,
            [
                ("kernel", "swapgs", 20),
                ("kernel", "mov to cr3", 10),
                ("kernel", "rep movsq", 600),
                ("libos", "lock cmpxchg", 10),
            ]
        );
    }

    #[test]
    fn table_and_json() {
        let mut p = sample();
        p.bench_figure = Some(99.5);
        let t = table(&p, 1);
        assert!(
            t.contains(
                "instructions per operation: 100.0 counted; the benchmark's own icount figure 99.5"
            ),
            "{t}"
        );
        assert!(t.contains("kernel (top 1 of 2 symbols)"), "{t}");
        assert!(t.contains("kernel::switch"), "{t}");
        assert!(
            !t.contains("kernel::syscall::entry"),
            "only the top one: {t}"
        );
        assert!(t.contains("kernel     system   mov to cr3"), "{t}");
        assert!(t.contains("kernel total: system 3.00, rep 60.00"), "{t}");
        assert!(!t.contains("warning"), "{t}");
        p.mismatched.insert("libos".into(), 25);
        let t = table(&p, 1);
        assert!(
            t.contains("warning: 2.5 instructions per operation ran at libos's addresses"),
            "{t}"
        );
        let j = json(&p);
        assert!(j.contains("\"kernel\": 93.00"), "{j}");
        assert!(
            j.contains("\"name\": \"kernel::syscall::entry\", \"per_op\": 32.000"),
            "{j}"
        );
        assert!(
            j.contains("\"class\": \"locked\", \"name\": \"lock cmpxchg\""),
            "{j}"
        );
        assert_eq!(fit("abcdef", 4), "…def");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(jstr("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }
}
