#!/bin/sh
# busybox's own test suite (the testsuite/ directory of Debian's busybox
# source package) run against one busybox binary, in the same way on the
# host and in ExoV6: the busybox-suite step of `cargo xtask test`
# (xtask/src/test/busybox_suite.rs) runs it in both and compares.
#
# usage: run.sh SUITE CONFIG BUSYBOX WORK [TEST...]
#   SUITE    the source's testsuite/ directory (only read)
#   CONFIG   the .config the binary was built from (the suite's `optional`
#            and `# CONFIG_X is not set` checks read it)
#   BUSYBOX  the binary under test
#   WORK     a scratch directory, made afresh (the suite writes its files
#            next to the tests, so it runs on a copy there)
#   TEST     what to run: `sed` for sed.tests, `cp/` for the scripts in
#            cp/; by default every *.tests file and every applet directory
#
# It must run under BUSYBOX's own shell. The tests see only BUSYBOX's
# applets on PATH, stdin from /dev/null, a fixed environment, and each
# test file gets BBSUITE_TIMEOUT seconds (default 300) before it is killed.
#
# Output: `bbsuite: begin FILE` and `bbsuite: end FILE STATUS` around each
# test file's `PASS: name` / `FAIL: name` / `SKIPPED: name` / `UNTESTED:
# name` lines, `bbsuite: done` last; `bbsuite: setup failed: WHY` (then
# nothing runs) or `bbsuite: setup warning: WHAT` before. The tests' stderr goes to
# WORK/stderr.log, so the console carries only these lines.

suite=$1 config=$2 busybox=$3 work=$4
shift 4
limit=${BBSUITE_TIMEOUT:-300}

setup_failed() {
	echo "bbsuite: setup failed: $1"
	echo "bbsuite: done"
	exit 2
}

warn() {
	echo "bbsuite: setup warning: $1"
}

rm -rf "$work"
mkdir -p "$work" || setup_failed "mkdir $work"
cp -R "$suite" "$work/testsuite" || warn "copying $suite failed in part"
[ -f "$work/testsuite/testing.sh" ] || setup_failed "copying $suite"
cp "$config" "$work/.config" || setup_failed "copying $config"
ln -s "$busybox" "$work/busybox" || setup_failed "linking $busybox"
links=$work/links
mkdir "$links" || setup_failed "mkdir $links"
for applet in busybox $("$busybox" --list); do
	[ -e "$links/$applet" ] || ln -s "$busybox" "$links/$applet" ||
		setup_failed "linking $applet"
done

# What runtest sets up, and what Debian's package build adds to it.
tsdir=$work/testsuite
export bindir="$work"
export PATH="$links:$tsdir:$work"
export OPTIONFLAGS=:$(sed -n 's/^CONFIG_\([^=]*\)=.*/\1/p' "$work/.config" | xargs | sed 's/ /:/g'):
export VERBOSE=
export ECHO=echo
export SKIP_KNOWN_BUGS=y SKIP_INTERNET_TESTS=y
export LANG=C.UTF-8 LC_ALL=C.UTF-8
export SHELL="$links/sh" HOME="$work" TZ=UTC
umask 022

cd "$tsdir" || setup_failed "cd $tsdir"
# The test files run as programs (pidof.tests looks for itself by name),
# under BUSYBOX's shell rather than whatever /bin/sh is; where a script
# cannot start by its #! line, as `sh FILE`.
runner=
printf '#!%s\nexit 0\n' "$links/sh" >"$work/probe" && chmod +x "$work/probe" &&
	"$work/probe" || {
	warn "scripts do not start by their #! line; running test files with sh"
	runner=sh
}
for f in *.tests; do
	sed -i "1s|^#!/bin/sh|#!$links/sh|" "$f" || warn "editing $f failed"
done
if [ $# -eq 0 ]; then
	# Applet directories (old-style tests), then *.tests (not the
	# all_*.tests, which check the source tree).
	for f in *; do
		[ -d "$f" ] && [ -e "$links/$f" ] && set -- "$@" "$f/"
	done
	for f in *.tests; do
		case $f in all_*) continue ;; esac
		set -- "$@" "${f%.tests}"
	done
fi

# One old-style test: a script run with `sh -x -e` in a scratch directory.
old_style() {
	applet=$1 script=$2
	name=${script##*/}
	uc=$(echo "$applet" | tr a-z A-Z)
	if grep "^# CONFIG_$uc is not set$" "$bindir/.config" >/dev/null; then
		echo "UNTESTED: $name"
		return
	fi
	for f in $(sed -n 's/^# FEATURE: //p' "$script"); do
		if grep "^# $f is not set$" "$bindir/.config" >/dev/null; then
			echo "UNTESTED: $name"
			return
		fi
	done
	rm -rf ".tmpdir.$applet"
	mkdir ".tmpdir.$applet" && cd ".tmpdir.$applet" || {
		echo "FAIL: $name"
		return
	}
	if d="$tsdir" timeout -s KILL "$limit" sh -x -e "$script" >"$name.out" 2>&1 </dev/null; then
		echo "PASS: $name"
	else
		echo "FAIL: $name"
	fi
	cd "$tsdir"
	rm -rf ".tmpdir.$applet"
}

for t in "$@"; do
	case $t in
	*/)
		applet=${t%/}
		echo "bbsuite: begin $t"
		for script in "$tsdir/$applet"/*; do
			old_style "$applet" "$script"
		done
		echo "bbsuite: end $t 0"
		;;
	*)
		echo "bbsuite: begin $t.tests"
		if [ ! -e "$links/$t" ]; then
			echo "SKIPPED: $t (not built)"
			status=0
		else
			timeout -s KILL "$limit" $runner "./$t.tests" </dev/null 2>>"$work/stderr.log"
			status=$?
		fi
		echo "bbsuite: end $t.tests $status"
		;;
	esac
done
echo "bbsuite: done"
