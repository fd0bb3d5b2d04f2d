/* exec-target: the program exec.c and dup.c execute. Prints its argv and
 * environment (long strings by length; EXPECT_* and CHECK_* variables are
 * requests, not shown), and on request checks: that its pid is the one it
 * was given (EXPECT_PID), that descriptors are open or closed
 * (EXPECT_OPEN=a,b,..., EXPECT_CLOSED=...), its signal dispositions and
 * mask (CHECK_SIGS), and the auxiliary vector the loader built
 * (CHECK_AUXV). A failed check prints FAIL and exits 1; otherwise it exits
 * with EXIT_CODE (default 0). Not run on its own by the harness. */
#include "ctest.h"
#include <sys/auxv.h>

extern char **environ;

static void show(const char *what, int i, const char *s)
{
	size_t n = strlen(s);
	if (n <= 64)
		say("exec-target: %s[%d] = \"%s\"", what, i, s);
	else
		say("exec-target: %s[%d]: %zu bytes", what, i, n);
}

/* "exec-target: WHAT: yes", or FAIL and exit 1. */
static void expect(const char *what, int cond)
{
	say("exec-target: %s: %s", what, yesno(cond));
	CHECK(cond, what);
}

/* Each descriptor in the comma-separated list in variable `var` must be
 * open (or closed). */
static void fds(const char *var, int open)
{
	const char *list = getenv(var);
	while (list && *list) {
		int fd = atoi(list);
		int is_open = fcntl(fd, F_GETFD) >= 0;
		say("exec-target: fd %d: %s", fd, is_open ? "open" : "closed");
		CHECK(is_open == open, var);
		list = strchr(list, ',');
		if (list)
			list++;
	}
}

int main(int argc, char **argv)
{
	ctest_start("exec-target");
	say("exec-target: argc %d", argc);
	for (int i = 0; i < argc; i++)
		show("argv", i, argv[i]);
	CHECK(argv[argc] == NULL, "argv is NULL-terminated");

	int envc = 0;
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "EXPECT_", 7) == 0 || strncmp(*e, "CHECK_", 6) == 0)
			continue;
		show("env", envc++, *e);
	}
	say("exec-target: envc %d", envc);

	const char *pid = getenv("EXPECT_PID");
	if (pid)
		expect("pid kept across exec", atoi(pid) == getpid());

	fds("EXPECT_OPEN", 1);
	fds("EXPECT_CLOSED", 0);

	if (getenv("CHECK_SIGS")) {
		struct sigaction sa;
		sigaction(SIGUSR1, NULL, &sa);
		expect("SIGUSR1 still ignored", sa.sa_handler == SIG_IGN);
		sigaction(SIGUSR2, NULL, &sa);
		expect("SIGUSR2 handler reset to default",
		       sa.sa_handler == SIG_DFL);
		sigset_t cur;
		sigprocmask(SIG_SETMASK, NULL, &cur);
		expect("SIGTERM still blocked", sigismember(&cur, SIGTERM));
	}

	if (getenv("CHECK_AUXV")) {
		unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM);
		int nonzero = 0;
		for (int i = 0; rnd && i < 16; i++)
			nonzero |= rnd[i];
		expect("AT_PAGESZ 4096", getauxval(AT_PAGESZ) == 4096);
		expect("AT_RANDOM 16 bytes, not all zero", rnd && nonzero);
		expect("AT_ENTRY, AT_PHDR, AT_PHNUM set",
		       getauxval(AT_ENTRY) && getauxval(AT_PHDR) &&
			       getauxval(AT_PHNUM));
		expect("AT_PHENT 56", getauxval(AT_PHENT) == 56);
	}

	const char *code = getenv("EXIT_CODE");
	return code ? atoi(code) : 0;
}
