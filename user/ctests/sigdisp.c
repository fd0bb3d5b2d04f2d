/* sigdisp MODE: every signal number (1..31 and SIGRTMIN..SIGRTMAX) with
 * each disposition (default, ignore, handler), delivered in one way:
 *   self     the process sends it to itself (kill(getpid()))
 *   child    its parent sends it
 *   stopped  its parent stops it (SIGSTOP), sends it, then SIGCONT
 *   group    its parent sends it to a process group of two
 * For each case one line says what happened, as the parent saw it through
 * waitpid (WUNTRACED) and SIGCHLD (si_code/si_status): stopped and
 * continued, killed by which signal, or alive with how many times the
 * handler ran, its si_code and whether si_pid named the sender. SIGKILL
 * and SIGSTOP cannot be ignored or caught: sigaction says EINVAL.
 *
 * The processes: the test forks a session leader (setsid), which forks
 * the runner in a process group of its own (so stop signals stop: the
 * group is not orphaned), which runs every case. A case's child tells the
 * runner through a pipe when its disposition is set and, after the
 * signal, what it saw; it exits only when told to, so every stop and
 * continue is seen before the end. No core files (RLIMIT_CORE 0): a death
 * by a core-dumping signal is CLD_KILLED, as ExoV6 never dumps core. */
#include "ctest.h"
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>

enum { DFL, IGN, HDL };
enum { SELF, CHILD, STOPPED, GROUP };
static const char *const disp_names[] = { "default", "ignore", "handler" };
static const char *const mode_names[] = { "self", "child", "stopped", "group" };

static int chld_pipe[2];
static volatile sig_atomic_t chld_n;
static volatile int chld_code[8], chld_status[8];

static volatile sig_atomic_t got, got_code, got_pid;

/* What a case's child reports once the signal has been dealt with. */
struct report {
	int got, code, pid_ok;
};

/* One case's child and its pipes (runner side). */
struct kid {
	pid_t pid;
	int go;  /* runner -> child: "go", then "exit" */
	int ack; /* child -> runner: ready byte, then a report */
};

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	int n = chld_n;
	if (n < 8) {
		chld_code[n] = si->si_code;
		chld_status[n] = si->si_status;
	}
	chld_n = n + 1;
	int e = errno;
	char c = 1;
	if (write(chld_pipe[1], &c, 1) < 0)
		e = errno;
	errno = e;
}

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got++;
	got_code = si->si_code;
	got_pid = si->si_pid;
}

static const char *sig_name(int sig, char *buf, size_t len)
{
	static const char *const names[32] = {
		"0",	   "SIGHUP",  "SIGINT",	 "SIGQUIT",   "SIGILL",	   "SIGTRAP",
		"SIGABRT", "SIGBUS",  "SIGFPE",	 "SIGKILL",   "SIGUSR1",   "SIGSEGV",
		"SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",   "SIGSTKFLT", "SIGCHLD",
		"SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",   "SIGTTOU",   "SIGURG",
		"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",
		"SIGPWR",  "SIGSYS",
	};
	if (sig < 32)
		return names[sig];
	snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	return buf;
}

static int set_disp(int sig, int d)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	if (d == HDL) {
		sa.sa_sigaction = on_sig;
		sa.sa_flags = SA_SIGINFO;
	} else {
		sa.sa_handler = d == DFL ? SIG_DFL : SIG_IGN;
	}
	return sigaction(sig, &sa, NULL);
}

static void read_byte(int fd)
{
	char c;
	ssize_t r;
	do
		r = read(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(3);
}

static void put_byte(int fd, char c)
{
	ssize_t r;
	do
		r = write(fd, &c, 1);
	while (r < 0 && errno == EINTR);
}

/* A case's child: sets the disposition, says so, takes the signal (from
 * itself in `self` mode), reports, and exits when told. */
static void child_body(int go, int ack, int sig, int d, int mode)
{
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	close(chld_pipe[0]);
	close(chld_pipe[1]);
	/* SIGKILL and SIGSTOP keep their default; sigaction refuses even that. */
	if (sig != SIGKILL && sig != SIGSTOP && set_disp(sig, d) != 0)
		_exit(2);
	put_byte(ack, 'R');
	read_byte(go);
	if (mode == SELF)
		kill(getpid(), sig);
	struct report rep = { got, got_code,
			      got_pid == (mode == SELF ? getpid() : getppid()) };
	if (write(ack, &rep, sizeof rep) != (ssize_t)sizeof rep)
		_exit(4);
	read_byte(go);
	_exit(0);
}

static struct kid spawn(int sig, int d, int mode, pid_t pgid)
{
	int go[2], ack[2];
	CHECK(pipe(go) == 0 && pipe(ack) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(go[1]);
		close(ack[0]);
		if (mode == GROUP && setpgid(0, pgid) != 0)
			_exit(5);
		child_body(go[0], ack[1], sig, d, mode);
	}
	if (mode == GROUP)
		CHECK(setpgid(pid, pgid ? pgid : pid) == 0, "setpgid of a child");
	close(go[0]);
	close(ack[1]);
	struct kid k = { pid, go[1], ack[0] };
	char c = 0;
	ssize_t r;
	do
		r = read(k.ack, &c, 1);
	while (r < 0 && errno == EINTR);
	CHECK(r == 1 && c == 'R', "the child is ready");
	return k;
}

enum ev { EV_ACK, EV_DIED, EV_STOPPED };

/* Waits until the child reports, ends or stops. */
static enum ev next_event(struct kid *k, struct report *rep, int *st)
{
	for (;;) {
		pid_t r = waitpid(k->pid, st, WNOHANG | WUNTRACED);
		CHECK(r >= 0 || errno == EINTR, "waitpid");
		if (r == k->pid)
			return WIFSTOPPED(*st) ? EV_STOPPED : EV_DIED;
		struct pollfd fds[2] = { { k->ack, POLLIN, 0 }, { chld_pipe[0], POLLIN, 0 } };
		int n = poll(fds, 2, 100);
		CHECK(n >= 0 || errno == EINTR, "poll");
		if (n > 0 && fds[1].revents) {
			char buf[16];
			if (read(chld_pipe[0], buf, sizeof buf) < 0)
				CHECK(errno == EINTR || errno == EAGAIN, "read the SIGCHLD pipe");
		}
		if (n > 0 && fds[0].revents) {
			ssize_t got_bytes = read(k->ack, rep, sizeof *rep);
			if (got_bytes < 0 && errno == EINTR)
				continue;
			if (got_bytes == (ssize_t)sizeof *rep)
				return EV_ACK;
			CHECK(got_bytes == 0, "a whole report");
			r = waitpid_eintr(k->pid, st, WUNTRACED);
			CHECK(r == k->pid, "waitpid for a dead child");
			return WIFSTOPPED(*st) ? EV_STOPPED : EV_DIED;
		}
	}
}

static void append(char *line, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *line, size_t len, const char *fmt, ...)
{
	size_t at = strlen(line);
	if (at >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + at, len - at, fmt, ap);
	va_end(ap);
}

static void describe_end(char *line, size_t len, int st)
{
	if (WIFEXITED(st))
		append(line, len, " exited(%d)", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		append(line, len, " killed(%d%s)", WTERMSIG(st), WCOREDUMP(st) ? ",core" : "");
	else
		append(line, len, " status(%#x)", st);
}

/* SIGCHLDs accounted for in the case so far (self and child modes, where
 * each event of the child brings exactly one). */
static int seen;

/* Waits until SIGCHLD has been taken once more than `seen`. */
static void next_chld(int track)
{
	if (!track)
		return;
	while (chld_n <= seen) {
		struct pollfd fd = { chld_pipe[0], POLLIN, 0 };
		if (poll(&fd, 1, 100) > 0) {
			char buf[16];
			if (read(chld_pipe[0], buf, sizeof buf) < 0)
				CHECK(errno == EINTR || errno == EAGAIN, "read the SIGCHLD pipe");
		}
	}
	seen++;
}

/* Follows one child until it ends (its pipes are closed then: returns 0)
 * or, without `resume`, until it stops (returns 1); with `resume` a stop
 * is answered with SIGCONT. `track`: count its SIGCHLDs. */
static int follow(struct kid *k, char *line, size_t len, int resume, int track)
{
	struct report rep;
	int st = 0;
	for (;;) {
		enum ev e = next_event(k, &rep, &st);
		if (e == EV_STOPPED) {
			append(line, len, " stopped(%d)", WSTOPSIG(st));
			next_chld(track);
			if (!resume)
				return 1;
			CHECK(kill(k->pid, SIGCONT) == 0, "SIGCONT");
			pid_t r = waitpid_eintr(k->pid, &st, WCONTINUED);
			CHECK(r == k->pid && WIFCONTINUED(st), "waitpid sees it continue");
			append(line, len, " continued");
			next_chld(track);
			continue;
		}
		if (e == EV_DIED) {
			describe_end(line, len, st);
			next_chld(track);
			break;
		}
		append(line, len, " got=%d", rep.got);
		if (rep.got)
			append(line, len, " code=%d pid=%s", rep.code, rep.pid_ok ? "ok" : "wrong");
		put_byte(k->go, 'X');
		st = wait_for(k->pid);
		describe_end(line, len, st);
		next_chld(track);
		break;
	}
	close(k->go);
	close(k->ack);
	return 0;
}

static void chld_codes(char *line, size_t len)
{
	append(line, len, " chld=");
	int n = chld_n < 8 ? chld_n : 8;
	for (int i = 0; i < n; i++)
		append(line, len, "%s%d/%d", i ? "," : "", chld_code[i], chld_status[i]);
}

/* The group case: two children in a group of their own. */
static void group_case(int sig, int d, char *line, size_t len)
{
	struct kid k[2];
	k[0] = spawn(sig, d, GROUP, 0);
	k[1] = spawn(sig, d, GROUP, k[0].pid);
	CHECK(kill(-k[0].pid, sig) == 0, "kill a process group");
	put_byte(k[0].go, 'G');
	put_byte(k[1].go, 'G');
	char l[2][160] = { "", "" };
	int stopped[2];
	for (int i = 0; i < 2; i++)
		stopped[i] = follow(&k[i], l[i], sizeof l[i], 0, 0);
	if (stopped[0] || stopped[1]) {
		CHECK(kill(-k[0].pid, SIGCONT) == 0, "SIGCONT to the group");
		for (int i = 0; i < 2; i++) {
			if (!stopped[i])
				continue;
			int st;
			pid_t r = waitpid_eintr(k[i].pid, &st, WCONTINUED);
			CHECK(r == k[i].pid && WIFCONTINUED(st), "waitpid sees it continue");
			append(l[i], sizeof l[i], " continued");
			follow(&k[i], l[i], sizeof l[i], 1, 0);
		}
	}
	append(line, len, " first:%s second:%s", l[0], l[1]);
}

static void one_case(int sig, int d, int mode)
{
	char name[32], line[400];
	snprintf(line, sizeof line, "%s %s %s:", sig_name(sig, name, sizeof name), disp_names[d],
		 mode_names[mode]);
	if (d != DFL && (sig == SIGKILL || sig == SIGSTOP)) {
		errno = 0;
		int r = set_disp(sig, d);
		append(line, sizeof line, " sigaction %s",
		       r == -1 && errno == EINVAL ? "EINVAL" : "accepted");
		say("%s", line);
		return;
	}
	chld_n = 0;
	seen = 0;
	if (mode == GROUP) {
		group_case(sig, d, line, sizeof line);
		say("%s", line);
		return;
	}
	struct kid k = spawn(sig, d, mode, 0);
	int track = mode != STOPPED;
	if (mode == STOPPED) {
		CHECK(kill(k.pid, SIGSTOP) == 0, "SIGSTOP");
		struct report rep;
		int st = 0;
		enum ev e = next_event(&k, &rep, &st);
		CHECK(e == EV_STOPPED && WSTOPSIG(st) == SIGSTOP, "the child stops");
		append(line, sizeof line, " stopped(%d)", WSTOPSIG(st));
		CHECK(kill(k.pid, sig) == 0, "kill a stopped child");
		/* SIGCONT itself continues it; a second could run a handler
		 * twice or once, as the child happens to run in between. */
		if (sig != SIGCONT)
			CHECK(kill(k.pid, SIGCONT) == 0, "SIGCONT");
	}
	if (mode == CHILD)
		CHECK(kill(k.pid, sig) == 0, "kill a child");
	put_byte(k.go, 'G');
	follow(&k, line, sizeof line, 1, track);
	if (track)
		chld_codes(line, sizeof line);
	say("%s", line);
}

static int runner(int mode)
{
	CHECK(pipe(chld_pipe) == 0, "pipe");
	fcntl(chld_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(chld_pipe[1], F_SETFL, O_NONBLOCK);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "SIGCHLD handler");
	signal(SIGPIPE, SIG_IGN);
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		if (sig > 31 && sig < SIGRTMIN)
			continue;
		for (int d = DFL; d <= HDL; d++)
			one_case(sig, d, mode);
	}
	return 0;
}

int main(int argc, char **argv)
{
	ctest_start("sigdisp");
	CHECK(argc == 2, "usage: sigdisp self|child|stopped|group");
	int mode = -1;
	for (int m = SELF; m <= GROUP; m++)
		if (strcmp(argv[1], mode_names[m]) == 0)
			mode = m;
	CHECK(mode >= 0, "a known mode");
	struct rlimit none = { 0, 0 };
	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0);
	say("mode: %s, signals 1..31 and SIGRTMIN..SIGRTMAX (%d of them)", argv[1],
	    31 + SIGRTMAX - SIGRTMIN + 1);
	pid_t leader = fork();
	CHECK(leader >= 0, "fork");
	if (leader == 0) {
		if (setsid() < 0)
			_exit(10);
		pid_t run = fork();
		if (run < 0)
			_exit(11);
		if (run == 0) {
			if (setpgid(0, 0) != 0)
				_exit(12);
			_exit(runner(mode));
		}
		int st = wait_for(run);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 13);
	}
	expect_exit(leader, 0, "the runner");
	return ctest_ok();
}
