/* wait: status words for normal exits (0, 1, 42, 255, return from a
 * function via exit), deaths by signal (SIGKILL, SIGTERM, SIGABRT from
 * abort, SIGSEGV), stop and continue (WUNTRACED, WCONTINUED), WNOHANG,
 * wait(-1) collecting every child, ECHILD, and SIGCHLD on child exit. */
#include "ctest.h"

static volatile sig_atomic_t chld_count;

static void on_chld(int sig)
{
	(void)sig;
	chld_count++;
}

static void exited(int code)
{
	pid_t pid = xfork();
	if (pid == 0)
		exit(code);
	int st = wait_for(pid);
	say("exit(%d): WIFEXITED %s, WEXITSTATUS %d, WIFSIGNALED %s", code,
	    yesno(WIFEXITED(st)), WEXITSTATUS(st), yesno(WIFSIGNALED(st)));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == (code & 0xff) &&
		      !WIFSIGNALED(st),
	      "exit status word");
}

static void killed(int sig, const char *name)
{
	pid_t pid = xfork();
	if (pid == 0) {
		signal(sig, SIG_DFL);
		if (sig == SIGABRT)
			abort();
		if (sig == SIGSEGV) {
			volatile int *volatile p = NULL;
			*p = 1;
		}
		if (sig == SIGABRT || sig == SIGSEGV)
			_exit(99); /* should not get here */
		for (;;)
			pause();
	}
	if (sig != SIGABRT && sig != SIGSEGV)
		CHECK(kill(pid, sig) == 0, "kill");
	int st = wait_for(pid);
	say("%s: WIFSIGNALED %s, WTERMSIG is %s, WIFEXITED %s", name,
	    yesno(WIFSIGNALED(st)), WTERMSIG(st) == sig ? name : "other",
	    yesno(WIFEXITED(st)));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == sig && !WIFEXITED(st),
	      "signal status word");
}

int main(void)
{
	ctest_start("wait");

	exited(0);
	exited(1);
	exited(42);
	exited(255);
	exited(256 + 3); /* only the low 8 bits survive */

	killed(SIGKILL, "SIGKILL");
	killed(SIGTERM, "SIGTERM");
	killed(SIGABRT, "SIGABRT");
	killed(SIGSEGV, "SIGSEGV");

	/* Stop and continue. */
	pid_t pid = xfork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK(kill(pid, SIGSTOP) == 0, "SIGSTOP");
	int st;
	CHECK(waitpid(pid, &st, WUNTRACED) == pid, "waitpid WUNTRACED");
	say("stopped: WIFSTOPPED %s, WSTOPSIG SIGSTOP %s", yesno(WIFSTOPPED(st)),
	    yesno(WSTOPSIG(st) == SIGSTOP));
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "stopped status");
	CHECK(kill(pid, SIGCONT) == 0, "SIGCONT");
	CHECK(waitpid(pid, &st, WCONTINUED) == pid, "waitpid WCONTINUED");
	say("continued: WIFCONTINUED %s", yesno(WIFCONTINUED(st)));
	CHECK(WIFCONTINUED(st), "continued status");
	CHECK(kill(pid, SIGKILL) == 0, "SIGKILL");
	st = wait_for(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "killed after stop");

	/* WNOHANG: 0 while the child runs, its pid once it has exited. */
	int gate[2];
	CHECK(pipe(gate) == 0, "pipe");
	pid = xfork();
	if (pid == 0) {
		char c;
		close(gate[1]);
		read_full(gate[0], &c, 1);
		_exit(9);
	}
	close(gate[0]);
	int r = waitpid(pid, &st, WNOHANG);
	say("WNOHANG while running: %d", r);
	CHECK(r == 0, "WNOHANG returns 0 while the child runs");
	close(gate[1]); /* the child reads EOF and exits */
	uint64_t t0 = now_ns();
	do {
		r = waitpid(pid, &st, WNOHANG);
		if (r == 0)
			sleep_ms(1);
	} while (r == 0 && now_ns() - t0 < 5000000000ull);
	say("WNOHANG after exit: pid %s, code %d", yesno(r == pid),
	    WEXITSTATUS(st));
	CHECK(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9,
	      "WNOHANG collects the exited child");

	/* SIGCHLD for each exit, and wait(-1) collects every child. */
	struct sigaction sa = { .sa_handler = on_chld };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction SIGCHLD");
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	/* One child at a time, each waited for with sigsuspend, so no two
	 * SIGCHLDs merge into one. */
	CHECK(sigprocmask(SIG_BLOCK, &block, &old) == 0, "block SIGCHLD");
	for (int i = 0; i < 3; i++) {
		pid = xfork();
		if (pid == 0)
			_exit(20 + i);
		while (chld_count < i + 1)
			sigsuspend(&old);
	}
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0, "unblock SIGCHLD");
	int codes = 0, n = 0;
	while ((pid = wait(&st)) > 0) {
		n++;
		codes += WEXITSTATUS(st);
	}
	CHECK(errno == ECHILD, "wait ends with ECHILD");
	say("wait(-1): %d children, codes sum %d, then ECHILD", n, codes);
	CHECK(n == 3 && codes == 20 + 21 + 22, "wait(-1) collected all");
	say("SIGCHLD handler ran: %d times", (int)chld_count);
	CHECK(chld_count == 3, "one SIGCHLD per child");

	return ctest_ok();
}
