//! Property tests for `cmdline::parse`: it never panics, known options
//! round-trip through a rendered line, and unknown `name=value` words are
//! reported by name.

use cmdline::{parse, LogLevel, Problem, SelfTest};
use proptest::prelude::*;

/// Lines built from the characters the parser treats specially, so that
/// quotes, `=` and whitespace meet in every combination.
fn tricky_line() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\"".to_string()),
            Just("=".to_string()),
            Just(" ".to_string()),
            Just("\t".to_string()),
            Just("\n".to_string()),
            Just("init".to_string()),
            Just("log".to_string()),
            Just("shutdown".to_string()),
            Just("ktest".to_string()),
            "[a-z/é\u{a0}]{0,3}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn level() -> impl Strategy<Value = LogLevel> {
    proptest::sample::select(LogLevel::ALL.to_vec())
}

fn self_test() -> impl Strategy<Value = Option<SelfTest>> {
    proptest::option::of(proptest::sample::select(SelfTest::ALL.to_vec()))
}

/// An init argument as written on the line: plain, or quoted with spaces.
fn raw_arg() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_./=-]{1,8}",
        "[a-z ]{0,8}".prop_map(|s| format!("\"{s}\"")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_strings_never_panic(line in any::<String>()) {
        let p = parse(&line);
        let _ = p.options.to_string();
        for problem in p.problems() {
            let _ = problem.to_string();
        }
        let _ = p.options.init_args().count();
    }

    #[test]
    fn tricky_lines_never_panic_and_render_stably(line in tricky_line()) {
        let p = parse(&line);
        for problem in p.problems() {
            let _ = problem.to_string();
        }
        // Whatever was accepted renders to a line that reads back the same.
        let rendered = p.options.to_string();
        let again = parse(&rendered);
        prop_assert_eq!(again.options, p.options, "rendered as {:?}", rendered);
    }

    #[test]
    fn known_options_round_trip(
        log in level(),
        write_log in any::<bool>(),
        shutdown in any::<bool>(),
        panic in any::<bool>(),
        ktest in self_test(),
        init in proptest::option::of("/[a-z ]{0,10}"),
        raw_args in proptest::collection::vec(raw_arg(), 0..5),
        sep in "[ \t\n]{1,3}",
    ) {
        let mut words = Vec::new();
        if write_log || log != LogLevel::Info {
            words.push(format!("log={}", log.name()));
        }
        if shutdown { words.push("shutdown".into()); }
        if panic { words.push("panic".into()); }
        if let Some(t) = ktest { words.push(format!("ktest={}", t.name())); }
        if let Some(path) = &init {
            words.push(format!("init=\"{path}\""));
            words.extend(raw_args.iter().cloned());
        }
        let line = words.join(&sep);
        let p = parse(&line);
        prop_assert!(p.is_clean(), "{:?}: {:?}", line, p.problems().collect::<Vec<_>>());
        prop_assert_eq!(p.options.log, log);
        prop_assert_eq!(p.options.shutdown, shutdown);
        prop_assert_eq!(p.options.panic, panic);
        prop_assert_eq!(p.options.ktest, ktest);
        prop_assert_eq!(p.options.init, init.as_deref());
        let expected: Vec<&str> = if init.is_some() {
            raw_args.iter().map(|a| a.trim_matches('"')).collect()
        } else {
            Vec::new()
        };
        prop_assert_eq!(p.options.init_args().collect::<Vec<_>>(), expected);
        // And the canonical rendering reads back to the same options.
        let rendered = p.options.to_string();
        prop_assert_eq!(parse(&rendered).options, p.options);
    }

    #[test]
    fn unknown_name_value_words_are_reported_by_name(
        name in "[a-z_.-]{1,12}",
        value in "[a-zA-Z0-9=]{0,8}",
        before in proptest::option::of(level()),
    ) {
        prop_assume!(!["log", "shutdown", "panic", "ktest", "init"].contains(&name.as_str()));
        let line = match before {
            Some(l) => format!("log={} {name}={value} shutdown", l.name()),
            None => format!("{name}={value}"),
        };
        let p = parse(&line);
        let problems: Vec<Problem<'_>> = p.problems().copied().collect();
        prop_assert_eq!(problems, vec![Problem::Unknown { option: name.as_str() }]);
        if let Some(l) = before {
            prop_assert_eq!(p.options.log, l);
            prop_assert!(p.options.shutdown);
        }
    }
}
