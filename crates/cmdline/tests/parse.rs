//! Behaviour of `cmdline::parse` on hand-written lines: defaults, each
//! option, every problem kind, quoting, init arguments and whitespace.

use cmdline::{parse, LogLevel, Options, Problem, SelfTest, MAX_PROBLEMS};

fn problems(line: &str) -> Vec<Problem<'_>> {
    parse(line).problems().copied().collect()
}

fn args<'a>(options: &Options<'a>) -> Vec<&'a str> {
    options.init_args().collect()
}

#[test]
fn empty_and_blank_lines_give_defaults() {
    for line in ["", "   ", "\t\n\r\n "] {
        let p = parse(line);
        assert_eq!(p.options, Options::default(), "{line:?}");
        assert!(p.is_clean());
        assert_eq!(p.dropped_problems(), 0);
    }
}

#[test]
fn each_log_level() {
    for level in LogLevel::ALL {
        let line = format!("log={}", level.name());
        let p = parse(&line);
        assert_eq!(p.options.log, level);
        assert!(p.is_clean());
    }
    assert_eq!(parse("log=WARN").options.log, LogLevel::Warn);
    assert_eq!(parse("log=\"trace\"").options.log, LogLevel::Trace);
}

#[test]
fn flags() {
    let p = parse("shutdown panic");
    assert!(p.options.shutdown && p.options.panic);
    assert!(p.is_clean());
    let p = parse("panic");
    assert!(p.options.panic && !p.options.shutdown);
}

#[test]
fn each_self_test() {
    for test in SelfTest::ALL {
        let line = format!("ktest={test}");
        let p = parse(&line);
        assert_eq!(p.options.ktest, Some(test));
        assert!(p.is_clean());
    }
}

#[test]
fn init_without_arguments() {
    let p = parse("log=debug init=/sbin/init");
    assert_eq!(p.options.init, Some("/sbin/init"));
    assert!(args(&p.options).is_empty());
    assert!(p.is_clean());
}

#[test]
fn every_word_after_init_is_an_argument() {
    let p = parse("shutdown init=/bin/sh -c \"echo hi\" log=trace bogus panic");
    assert_eq!(p.options.init, Some("/bin/sh"));
    assert_eq!(
        args(&p.options),
        ["-c", "echo hi", "log=trace", "bogus", "panic"]
    );
    // Those words are not options: no effect and no problems.
    assert_eq!(p.options.log, LogLevel::Info);
    assert!(!p.options.panic);
    assert!(p.options.shutdown);
    assert!(p.is_clean());
}

#[test]
fn quoted_init_path() {
    let p = parse("init=\"/bin/my prog\" \"an arg\" x");
    assert_eq!(p.options.init, Some("/bin/my prog"));
    assert_eq!(args(&p.options), ["an arg", "x"]);
}

#[test]
fn quotes_inside_an_argument_group_but_stay() {
    let p = parse("init=/bin/echo --msg=\"a b\" \"\"");
    assert_eq!(args(&p.options), ["--msg=\"a b\"", ""]);
}

#[test]
fn tabs_newlines_and_runs_separate_words() {
    let p = parse("\tlog=warn\n\n shutdown\r\ninit=/x \t a\n\tb  ");
    assert_eq!(p.options.log, LogLevel::Warn);
    assert!(p.options.shutdown);
    assert_eq!(args(&p.options), ["a", "b"]);
    assert!(p.is_clean());
}

#[test]
fn unknown_words_are_reported_by_name_and_parsing_goes_on() {
    let p = parse("bogus quiet=1 log=debug =x");
    assert_eq!(
        p.problems().copied().collect::<Vec<_>>(),
        [
            Problem::Unknown { option: "bogus" },
            Problem::Unknown { option: "quiet" },
            Problem::Unknown { option: "" },
        ]
    );
    assert_eq!(p.options.log, LogLevel::Debug);
}

#[test]
fn option_names_are_case_sensitive() {
    assert_eq!(problems("LOG=debug"), [Problem::Unknown { option: "LOG" }]);
}

#[test]
fn bad_values() {
    assert_eq!(
        problems("log=loud"),
        [Problem::BadValue {
            option: "log",
            value: "loud",
            expected: LogLevel::EXPECTED
        }]
    );
    assert_eq!(
        problems("ktest=\"page fault\""),
        [Problem::BadValue {
            option: "ktest",
            value: "page fault",
            expected: SelfTest::EXPECTED
        }]
    );
    let p = parse("log=loud ktest=nope");
    assert_eq!(p.options, Options::default());
}

#[test]
fn missing_values() {
    for (line, option) in [
        ("log", "log"),
        ("log=", "log"),
        ("log=\"\"", "log"),
        ("ktest", "ktest"),
        ("ktest=", "ktest"),
        ("init", "init"),
        ("init=", "init"),
        ("init=\"\"", "init"),
    ] {
        assert_eq!(
            problems(line),
            [Problem::MissingValue { option }],
            "{line:?}"
        );
    }
}

#[test]
fn init_with_missing_value_still_swallows_the_rest() {
    let p = parse("init= panic log=trace");
    assert_eq!(p.options.init, None);
    assert!(!p.options.panic);
    assert_eq!(p.options.init_args().count(), 0);
    assert_eq!(
        problems("init= panic"),
        [Problem::MissingValue { option: "init" }]
    );
}

#[test]
fn unexpected_values() {
    assert_eq!(
        problems("shutdown=yes panic="),
        [
            Problem::UnexpectedValue { option: "shutdown" },
            Problem::UnexpectedValue { option: "panic" },
        ]
    );
    let p = parse("shutdown=1");
    assert!(!p.options.shutdown);
}

#[test]
fn duplicates_keep_the_first_setting() {
    let p = parse("log=debug log=error shutdown shutdown ktest=heap ktest=timer panic panic");
    assert_eq!(p.options.log, LogLevel::Debug);
    assert_eq!(p.options.ktest, Some(SelfTest::Heap));
    assert!(p.options.shutdown && p.options.panic);
    assert_eq!(
        p.problems().copied().collect::<Vec<_>>(),
        [
            Problem::Duplicate { option: "log" },
            Problem::Duplicate { option: "shutdown" },
            Problem::Duplicate { option: "ktest" },
            Problem::Duplicate { option: "panic" },
        ]
    );
}

#[test]
fn a_bad_first_setting_does_not_block_a_good_second() {
    let p = parse("log=loud log=trace");
    assert_eq!(p.options.log, LogLevel::Trace);
    assert_eq!(p.problems().count(), 1);
}

#[test]
fn unterminated_quote_stops_parsing() {
    let p = parse("log=debug init=\"/bin/x shutdown");
    assert_eq!(
        problems("log=debug init=\"/bin/x shutdown"),
        [Problem::UnterminatedQuote]
    );
    assert_eq!(p.options.log, LogLevel::Debug);
    assert_eq!(p.options.init, None);
    assert!(!p.options.shutdown);
}

#[test]
fn unterminated_quote_among_init_args_is_reported_and_skipped() {
    let p = parse("init=/bin/sh ok \"broken arg");
    assert_eq!(p.options.init, Some("/bin/sh"));
    assert_eq!(args(&p.options), ["ok"]);
    assert_eq!(
        problems("init=/bin/sh ok \"broken"),
        [Problem::UnterminatedQuote]
    );
}

#[test]
fn too_many_problems_are_counted() {
    let line = "a b c d e f g h i j k log=trace";
    let p = parse(line);
    assert_eq!(p.problems().count(), MAX_PROBLEMS);
    assert_eq!(p.dropped_problems(), 11 - MAX_PROBLEMS);
    assert_eq!(p.problems().next(), Some(&Problem::Unknown { option: "a" }));
    assert_eq!(p.options.log, LogLevel::Trace);
}

#[test]
fn display_reads_back_to_the_same_options() {
    let line = "panic log=debug ktest=frames init=\"/bin/my prog\" -x \"a b\" c=\"d e\"";
    let first = parse(line);
    let rendered = first.options.to_string();
    assert_eq!(
        rendered,
        "log=debug panic ktest=frames init=\"/bin/my prog\" -x \"a b\" c=\"d e\""
    );
    let second = parse(&rendered);
    assert_eq!(first.options, second.options);
    assert!(second.is_clean());
}

#[test]
fn utest_names_a_root_task_test() {
    let p = cmdline::parse("shutdown utest=caps");
    assert!(p.is_clean());
    assert_eq!(p.options.utest, Some("caps"));
    let p = cmdline::parse("utest= utest=a utest=b");
    let problems: Vec<String> = p.problems().map(|x| x.to_string()).collect();
    assert_eq!(p.options.utest, Some("a"));
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn winsize_gives_the_console_size() {
    let p = cmdline::parse("winsize=132x43 shutdown init=/bin/sh");
    assert!(p.is_clean());
    assert_eq!(
        p.options.winsize,
        Some(cmdline::WinSize {
            cols: 132,
            rows: 43
        })
    );
    assert_eq!(parse("shutdown").options.winsize, None);
    let p = parse("winsize=80 winsize=0x24 winsize=");
    let problems: Vec<String> = p.problems().map(|x| x.to_string()).collect();
    assert_eq!(p.options.winsize, None);
    assert_eq!(
        problems,
        [
            "bad value \"80\" for winsize= (expected COLSxROWS, each 1 to 9999, e.g. 80x24)",
            "bad value \"0x24\" for winsize= (expected COLSxROWS, each 1 to 9999, e.g. 80x24)",
            "missing value for winsize=",
        ]
    );
    let p = parse("winsize=100x30 winsize=90x20");
    assert_eq!(p.options.winsize.map(|w| w.cols), Some(100));
    assert_eq!(p.options.to_string(), "winsize=100x30");
}

#[test]
fn strace_names_all_or_a_pid() {
    assert_eq!(parse("strace=all shutdown").options.strace, Some("all"));
    assert_eq!(parse("strace=42").options.strace, Some("42"));
    assert_eq!(parse("shutdown").options.strace, None);
    let p = parse("strace=everyone strace= strace=12x");
    assert_eq!(p.options.strace, None);
    let problems: Vec<String> = p.problems().map(|q| q.to_string()).collect();
    assert_eq!(
        problems,
        [
            "bad value \"everyone\" for strace= (expected all or a process id)",
            "missing value for strace=",
            "bad value \"12x\" for strace= (expected all or a process id)",
        ]
    );
    let p = parse("strace=1 strace=all");
    assert_eq!(p.options.strace, Some("1"));
    assert_eq!(p.options.to_string(), "strace=1");
}
