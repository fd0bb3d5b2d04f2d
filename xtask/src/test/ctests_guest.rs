//! The guest half of the C test suite: every program of `ctests` that
//! runs on the host also runs in ExoV6 as a QEMU case `linux-ctest-NAME`,
//! booted with `shutdown init=/ctests/NAME ARGS`. The case expects every
//! line the same binary printed on the host Linux (so the tests check
//! Linux behaviour, not ours), no `FAIL` line, init's report of the same
//! exit status, and every frame back.

use crate::qemu::status::Status;
use crate::test::ctests::{self, CTest};
use crate::test::qemu_tests::{QemuTest, FRAMES_RETURNED, USER_CLEAN, X86_64};

/// Makes a string live for the rest of the run (the QEMU table wants
/// `&'static` text; these cases are built once per `cargo xtask test`).
fn keep(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The case for `test`, from its host run's output and status.
pub fn case(test: &CTest, host_stdout: &str, status: i32) -> QemuTest {
    let mut expect: Vec<&'static str> = ctests::normalise(host_stdout)
        .into_iter()
        .map(keep)
        .collect();
    let how = if status >= 128 {
        format!(
            "init: /ctests/{} killed by signal {}",
            test.name,
            status - 128
        )
    } else {
        format!("init: /ctests/{} exited with status {status}", test.name)
    };
    expect.push(keep(how));
    expect.push(FRAMES_RETURNED);
    let mut reject = USER_CLEAN.to_vec();
    reject.push("FAIL");
    QemuTest {
        name: keep(format!("linux-{}", test.step())),
        cmdline: keep(format!("shutdown {}", ctests::guest_cmdline(test))),
        expect: Vec::leak(expect),
        reject: Vec::leak(reject),
        status: Status::Program(status as u8),
        ..X86_64
    }
}

/// Whether `selected` accepts any `linux-ctest-NAME` case.
pub fn any_selected(selected: impl Fn(&str) -> bool) -> bool {
    ctests::TESTS
        .iter()
        .any(|t| t.run && selected(&format!("linux-{}", t.step())))
}

/// The cases for the programs `selected` accepts (by `linux-ctest-NAME`),
/// each from its host run; a program whose host run failed gets no case
/// (its `ctest-NAME` step already failed).
pub fn cases(selected: impl Fn(&str) -> bool) -> &'static [QemuTest] {
    let tests: Vec<QemuTest> = ctests::TESTS
        .iter()
        .filter(|t| t.run && selected(&format!("linux-{}", t.step())))
        .filter_map(|t| {
            let (out, status) = ctests::host_output(t.name).ok()?;
            (status == t.status).then(|| case(t, &out, status))
        })
        .collect();
    Vec::leak(tests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_expects_the_host_lines_and_the_status() {
        let t = ctests::find("fork").unwrap();
        let c = case(t, "line one\n\nfork: ok\n", 0);
        assert_eq!(c.name, "linux-ctest-fork");
        assert!(c.cmdline.starts_with("shutdown init=/ctests/fork"));
        assert_eq!(c.expect[0], "line one");
        assert_eq!(c.expect[1], "fork: ok");
        assert!(c
            .expect
            .contains(&"init: /ctests/fork exited with status 0"));
        assert!(c.reject.contains(&"FAIL"));
        let k = case(t, "x\n", 131);
        assert!(k.expect.contains(&"init: /ctests/fork killed by signal 3"));
        assert_eq!(k.status, Status::Program(131));
    }
}
