//! Keeps `docs/linux-abi.md` true: a host test derives from the library
//! OS's handlers (`libos/src/linux/*.rs`) which Linux calls it answers and
//! checks the document's table row by row against them and against the
//! full list of calls (`libos/src/linux/nr.rs`).

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::paths;

    /// Every call: upper-case constant name to number.
    fn calls() -> BTreeMap<String, u64> {
        let src = std::fs::read_to_string(paths::root().join("libos/src/linux/nr.rs")).unwrap();
        src.lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("pub const ")?;
                let (name, value) = rest.split_once(": u64 = ")?;
                Some((name.to_string(), value.trim_end_matches(';').parse().ok()?))
            })
            .collect()
    }

    /// The constants named as match patterns (`NAME =>`, `A | B =>`) in
    /// the handler files.
    fn handled(names: &BTreeMap<String, u64>) -> BTreeSet<String> {
        let dir = paths::root().join("libos/src/linux");
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            if ["nr.rs", "errno.rs", "mod.rs"].contains(&file.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Comments out (they may hold commas), then: each `=>` ends a pattern that starts after the previous
            // `,`, `{` or `}`; a pattern of call names only (`A | B`, on
            // one line or several) names handled calls.
            let src: String = text
                .lines()
                .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
                .collect::<Vec<_>>()
                .join("\n");
            let mut rest = src.as_str();
            while let Some(at) = rest.find("=>") {
                let before = &rest[..at];
                let start = before.rfind([',', '{', '}']).map_or(0, |i| i + 1);
                let words: Vec<&str> = before[start..]
                    .split('|')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .collect();
                if !words.is_empty() && words.iter().all(|w| names.contains_key(*w)) {
                    out.extend(words.iter().map(|w| w.to_string()));
                }
                rest = &rest[at + 2..];
            }
        }
        out
    }

    #[test]
    fn linux_abi_doc_matches_the_handlers() {
        let names = calls();
        assert!(names.len() > 300, "the call list looks truncated");
        let handled = handled(&names);
        assert!(handled.contains("READ") && handled.contains("FUTEX"));
        let doc = std::fs::read_to_string(paths::root().join("docs/linux-abi.md")).unwrap();
        let mut seen = BTreeSet::new();
        for line in doc
            .lines()
            .filter(|l| l.starts_with("| ") && l.contains('`'))
        {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (nr, name, state) = (cells[1], cells[2].trim_matches('`'), cells[3]);
            let upper = name.to_uppercase();
            let want_nr = names
                .get(&upper)
                .unwrap_or_else(|| panic!("unknown call {name}"));
            assert_eq!(nr.parse::<u64>().unwrap(), *want_nr, "number of {name}");
            let is_handled = handled.contains(&upper);
            match state {
                "full" | "partial" => {
                    assert!(is_handled, "{name} is {state} but no handler names it")
                }
                "ENOSYS" => assert!(
                    !is_handled,
                    "{name} has a handler but the table says ENOSYS"
                ),
                other => panic!("{name}: unknown state {other}"),
            }
            assert!(seen.insert(upper), "{name} listed twice");
        }
        let missing: Vec<_> = names.keys().filter(|n| !seen.contains(*n)).collect();
        assert!(
            missing.is_empty(),
            "calls missing from docs/linux-abi.md: {missing:?}"
        );
    }
}
