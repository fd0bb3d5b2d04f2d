/* exec: execve of another static binary (path in argv[1]) with argv and
 * envp (an empty string, a 10000-byte argument, an empty environment);
 * the pid is kept, ignored signals stay ignored, handled ones are reset,
 * the signal mask is kept; the auxiliary vector; the exit code comes back
 * through wait; ENOENT for a missing program. */
#include "ctest.h"

static void on_usr2(int sig)
{
	(void)sig;
}

static pid_t spawn(const char *path, char **argv, char **envp)
{
	pid_t pid = xfork();
	if (pid == 0) {
		execve(path, argv, envp);
		say("FAIL: execve %s: %s", path, strerror(errno));
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	ctest_start("exec");
	CHECK(argc == 2, "usage: exec PATH-OF-exec-target");
	const char *target = argv[1];

	/* 1: argv with an empty string and spaces, a small environment. */
	char pidenv[32];
	char *args1[] = { "exec-target", "one", "two words", "", NULL };
	char *env1[] = { "FOO=bar", "EMPTY=", "EXIT_CODE=42", "CHECK_AUXV=1",
			 NULL };
	pid_t pid = spawn(target, args1, env1);
	expect_exit(pid, 42, "exec-target with argv and envp");
	say("exec 1: exit code 42 through wait");

	/* 2: the pid survives exec (the child execs itself, no fork between). */
	pid = xfork();
	if (pid == 0) {
		snprintf(pidenv, sizeof pidenv, "EXPECT_PID=%d", getpid());
		char *a[] = { "t", NULL };
		char *e[] = { pidenv, NULL };
		execve(target, a, e);
		_exit(127);
	}
	expect_exit(pid, 0, "exec-target keeping its pid");
	say("exec 2: done");

	/* 3: a 10000-byte argument and an empty environment. */
	char *big = malloc(10001);
	CHECK(big != NULL, "malloc");
	memset(big, 'x', 10000);
	big[10000] = 0;
	char *args3[] = { "exec-target", big, "last", NULL };
	char *env3[] = { NULL };
	pid = spawn(target, args3, env3);
	expect_exit(pid, 0, "exec-target with a long argument");
	free(big);
	say("exec 3: done");

	/* 4: signal dispositions and mask across exec. */
	pid = xfork();
	if (pid == 0) {
		signal(SIGUSR1, SIG_IGN);
		signal(SIGUSR2, on_usr2);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		char *a[] = { "exec-target", NULL };
		char *e[] = { "CHECK_SIGS=1", NULL };
		execve(target, a, e);
		_exit(127);
	}
	expect_exit(pid, 0, "exec-target checking signals");
	say("exec 4: done");

	/* 5: a missing program: execve returns ENOENT, the process goes on. */
	char *a5[] = { "missing", NULL };
	errno = 0;
	int r = execve("/nonexistent/exov6-ctest", a5, env3);
	say("execve of a missing path: %s",
	    r == -1 && errno == ENOENT ? "ENOENT" : "wrong");
	CHECK(r == -1 && errno == ENOENT, "execve missing path gives ENOENT");

	return ctest_ok();
}
