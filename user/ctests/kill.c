/* kill: signals between processes. The parent signals a waiting child
 * (its handler sees the parent's pid in si_pid); the child signals its
 * parent back; kill(pid, 0) probes a live child and gives ESRCH once it is
 * reaped; a default-action SIGTERM and an uncatchable SIGKILL end
 * children; kill(-pgid) reaches a whole process group of three. */
#include "ctest.h"

static volatile sig_atomic_t got, from_ok;
static pid_t expected_sender;

static void on_usr(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got++;
	from_ok = si->si_pid == expected_sender && si->si_code == SI_USER;
}

static void catch(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_usr };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction");
}

int main(void)
{
	ctest_start("kill");

	/* Parent -> child -> parent. The child is ready (handler installed,
	 * signal blocked) before the parent sends; it waits in sigsuspend. */
	sigset_t usr, old;
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigaddset(&usr, SIGUSR2);
	CHECK(sigprocmask(SIG_BLOCK, &usr, &old) == 0, "block");
	catch(SIGUSR2);
	expected_sender = getpid();
	int ready[2];
	CHECK(pipe(ready) == 0, "pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		catch(SIGUSR1);
		CHECK(write_all(ready[1], "r", 1) == 0, "child: ready");
		while (got == 0)
			sigsuspend(&old);
		if (!from_ok)
			_exit(1);
		expected_sender = getppid();
		CHECK(kill(getppid(), SIGUSR2) == 0, "child: kill parent");
		_exit(0);
	}
	char c;
	CHECK(read_full(ready[0], &c, 1) == 1, "child ready");
	CHECK(kill(pid, 0) == 0, "kill(pid, 0) on a live child");
	expected_sender = pid;
	CHECK(kill(pid, SIGUSR1) == 0, "kill child");
	while (got == 0)
		sigsuspend(&old);
	expect_exit(pid, 0, "child got SIGUSR1 from its parent");
	say("child got the parent's signal, si_pid right: yes");
	say("parent got the child's signal: %d, si_pid right: %s", (int)got,
	    yesno(from_ok));
	CHECK(got == 1 && from_ok, "parent's signal from the child");
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0, "unblock");

	errno = 0;
	int r = kill(pid, 0);
	say("kill(pid, 0) after reaping: %s",
	    r == -1 && errno == ESRCH ? "ESRCH" : "wrong");
	CHECK(r == -1 && errno == ESRCH, "ESRCH for a reaped child");

	/* Default action of SIGTERM; SIGKILL even when SIGKILL is "blocked"
	 * and the process ignores everything it can. */
	pid = xfork();
	if (pid == 0) {
		CHECK(write_all(ready[1], "r", 1) == 0, "child: ready");
		for (;;)
			pause();
	}
	CHECK(read_full(ready[0], &c, 1) == 1, "child ready");
	CHECK(kill(pid, SIGTERM) == 0, "SIGTERM");
	int st = wait_for(pid);
	say("SIGTERM, default action: terminated: %s",
	    yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "SIGTERM kills");

	pid = xfork();
	if (pid == 0) {
		for (int s = 1; s < 32; s++)
			signal(s, SIG_IGN); /* fails for SIGKILL/SIGSTOP */
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		CHECK(write_all(ready[1], "r", 1) == 0, "child: ready");
		for (;;)
			pause();
	}
	CHECK(read_full(ready[0], &c, 1) == 1, "child ready");
	CHECK(kill(pid, SIGTERM) == 0, "SIGTERM to an ignoring child");
	CHECK(kill(pid, SIGKILL) == 0, "SIGKILL");
	st = wait_for(pid);
	say("SIGKILL through SIG_IGN and a full mask: killed: %s",
	    yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL kills");

	/* A process group of three, killed with one kill(-pgid). */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = xfork();
		if (kids[i] == 0) {
			setpgid(0, i == 0 ? 0 : kids[0]);
			CHECK(write_all(ready[1], "r", 1) == 0, "child: ready");
			for (;;)
				pause();
		}
		/* Both sides set the group, so it is set whoever runs first. */
		CHECK(setpgid(kids[i], kids[0]) == 0 || errno == EACCES,
		      "setpgid");
	}
	for (int i = 0; i < 3; i++)
		CHECK(read_full(ready[0], &c, 1) == 1, "group member ready");
	CHECK(getpgid(kids[2]) == kids[0], "the group is formed");
	CHECK(kill(-kids[0], SIGTERM) == 0, "kill(-pgid)");
	int dead = 0;
	for (int i = 0; i < 3; i++) {
		st = wait_for(kids[i]);
		dead += WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
	}
	say("kill(-pgid, SIGTERM): %d of 3 group members terminated", dead);
	CHECK(dead == 3, "the whole group");
	say("sender not in the group, still running: yes");

	return ctest_ok();
}
