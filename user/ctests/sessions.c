/* sessions: process groups and sessions as Linux has them. setsid: a new
 * session and group led by the caller; EPERM for a group leader, and for a
 * process whose id another process uses as its group. setpgid: EPERM for
 * a session leader, for a group in another session and for a group that
 * does not exist, ESRCH for a process that is not a child, EINVAL for a
 * negative group. Zombies: a process that ends with unreaped children
 * (they go to init); kill and getpgid reach a zombie until it is reaped;
 * waitpid(-pgid) reaps one. Orphaned process groups: when a group is
 * orphaned with a stopped member, each member gets SIGHUP and SIGCONT;
 * SIGTSTP in an orphaned group is discarded.
 *
 * Everything runs in a session of its own (the test's first child calls
 * setsid), so which groups are orphaned does not depend on how the test
 * was started. */
#include "ctest.h"
#include <poll.h>

static volatile sig_atomic_t hup, cont;

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

static void on_cont(int sig)
{
	(void)sig;
	cont = 1;
}

static const char *err_name(int r)
{
	if (r == 0)
		return "ok";
	switch (errno) {
	case EPERM:
		return "EPERM";
	case ESRCH:
		return "ESRCH";
	case EINVAL:
		return "EINVAL";
	case EACCES:
		return "EACCES";
	default:
		return "other";
	}
}

/* Runs `fn` in a child and waits for it to exit 0. */
static void in_child(void (*fn)(void), const char *what)
{
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		fn();
		_exit(0);
	}
	expect_exit(pid, 0, what);
}

static void setsid_cases(void)
{
	/* Not a group leader (it is in the session leader's group). */
	pid_t sid = setsid();
	say("setsid in a child: %s, leads its session and group: %s", sid > 0 ? "ok" : "failed",
	    yesno(sid == getpid() && getsid(0) == getpid() && getpgrp() == getpid()));
	CHECK(sid == getpid(), "setsid");
	int r = setsid();
	say("setsid again (a group leader): %s", err_name(r));
	r = setpgid(0, 0);
	say("setpgid of a session leader: %s", err_name(r));
}

static void leader_setsid(void)
{
	CHECK(setpgid(0, 0) == 0, "setpgid(0, 0)");
	int r = setsid();
	say("setsid of a group leader: %s", err_name(r));
}

static void group_in_use(void)
{
	/* Lead a group, leave a child in it, move to the parent's group: no
	 * longer a leader, but the id is a group's, so setsid is refused. */
	pid_t parent_group = getpgrp();
	CHECK(setpgid(0, 0) == 0, "setpgid(0, 0)");
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t kid = fork();
	CHECK(kid >= 0, "fork");
	if (kid == 0) {
		close(p[1]);
		char c;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	CHECK(setpgid(0, parent_group) == 0, "back to the parent's group");
	int r = setsid();
	say("setsid while a child keeps our id as its group: %s", err_name(r));
	close(p[1]);
	expect_exit(kid, 0, "the group member");
}

static void setpgid_cases(void)
{
	CHECK(setsid() > 0, "setsid");
	say("setpgid of a process that is not a child: %s", err_name(setpgid(1, 1)));
	say("setpgid to a negative group: %s", err_name(setpgid(0, -5)));
	pid_t kid = fork();
	CHECK(kid >= 0, "fork");
	if (kid == 0) {
		pause();
		_exit(0);
	}
	say("setpgid of a child into a group of another session: %s",
	    err_name(setpgid(kid, getppid())));
	say("setpgid of a child into a group that does not exist: %s",
	    err_name(setpgid(kid, kid + 100000)));
	say("setpgid of a child into its own group: %s", err_name(setpgid(kid, kid)));
	say("getpgid of the child: %s", yesno(getpgid(kid) == kid));
	kill(kid, SIGKILL);
	int st = wait_for(kid);
	CHECK(WIFSIGNALED(st), "killed");
}

static void zombies(void)
{
	/* A process ends with three unreaped children: they go to init. */
	pid_t mid = fork();
	CHECK(mid >= 0, "fork");
	if (mid == 0) {
		int p[2];
		CHECK(pipe(p) == 0, "pipe");
		for (int i = 0; i < 3; i++) {
			pid_t z = fork();
			CHECK(z >= 0, "fork");
			if (z == 0)
				_exit(i);
		}
		/* Each child held the pipe's write end: end of file once all
		 * three have ended, unreaped. */
		close(p[1]);
		char c;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	expect_exit(mid, 0, "a process with unreaped children");
	say("a process ended with unreaped children: yes");

	/* A zombie is still there for kill and getpgid until it is reaped. */
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t z = fork();
	CHECK(z >= 0, "fork");
	if (z == 0) {
		close(p[0]);
		_exit(9);
	}
	close(p[1]);
	CHECK(setpgid(z, z) == 0 || errno == EACCES || errno == ESRCH, "setpgid of the zombie-to-be");
	char c;
	while (read(p[0], &c, 1) < 0 && errno == EINTR)
		;
	close(p[0]);
	/* End of file: the child is ending or a zombie; either way it is
	 * still there for kill and getpgid. */
	say("kill(zombie, 0): %s, kill(zombie, SIGTERM): %s", err_name(kill(z, 0)),
	    err_name(kill(z, SIGTERM)));
	say("getpgid(zombie) is its group: %s", yesno(getpgid(z) == z || getpgid(z) == getpgrp()));
	int st = 0;
	pid_t r = waitpid(-getpgid(z), &st, 0);
	say("waitpid(-its group) reaps it: %s, status exit %d", yesno(r == z),
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	say("kill after reaping: %s", err_name(kill(z, 0)));
}

static void orphaned_stopped(void)
{
	/* A parent in one group, its child in another, stopped; the parent
	 * ends: the child's group is orphaned with a stopped member. */
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t mid = fork();
	CHECK(mid >= 0, "fork");
	if (mid == 0) {
		CHECK(setpgid(0, 0) == 0, "setpgid");
		pid_t kid = fork();
		CHECK(kid >= 0, "fork");
		if (kid == 0) {
			close(p[0]);
			signal(SIGHUP, on_hup);
			signal(SIGCONT, on_cont);
			CHECK(setpgid(0, 0) == 0, "setpgid");
			raise(SIGSTOP);
			while (!(hup && cont))
				pause();
			char msg = 'B';
			CHECK(write(p[1], &msg, 1) == 1, "write");
			_exit(0);
		}
		int st;
		pid_t r = waitpid_eintr(kid, &st, WUNTRACED);
		CHECK(r == kid && WIFSTOPPED(st), "the child stopped");
		_exit(0);
	}
	close(p[1]);
	expect_exit(mid, 0, "the parent of the stopped child");
	struct pollfd fd = { p[0], POLLIN, 0 };
	char msg = 0;
	int n = poll(&fd, 1, 10000);
	if (n == 1 && read(p[0], &msg, 1) != 1)
		msg = 0;
	say("orphaned group with a stopped member: SIGHUP and SIGCONT: %s", yesno(msg == 'B'));
	close(p[0]);
}

static void orphaned_tstp(void)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t mid = fork();
	CHECK(mid >= 0, "fork");
	if (mid == 0) {
		CHECK(setpgid(0, 0) == 0, "setpgid");
		pid_t was = getpid();
		pid_t kid = fork();
		CHECK(kid >= 0, "fork");
		if (kid == 0) {
			close(p[0]);
			CHECK(setpgid(0, 0) == 0, "setpgid");
			/* Until the parent has gone. */
			while (getppid() == was)
				sleep_ms(5);
			raise(SIGTSTP);
			char msg = 'T';
			CHECK(write(p[1], &msg, 1) == 1, "write");
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	expect_exit(mid, 0, "the parent");
	struct pollfd fd = { p[0], POLLIN, 0 };
	char msg = 0;
	int n = poll(&fd, 1, 10000);
	if (n == 1 && read(p[0], &msg, 1) != 1)
		msg = 0;
	say("SIGTSTP in an orphaned group is discarded: %s", yesno(msg == 'T'));
	close(p[0]);
}

int main(void)
{
	ctest_start("sessions");
	pid_t leader = fork();
	CHECK(leader >= 0, "fork");
	if (leader == 0) {
		CHECK(setsid() == getpid(), "a session of our own");
		in_child(setsid_cases, "setsid cases");
		in_child(leader_setsid, "setsid of a group leader");
		in_child(group_in_use, "setsid with our id in use");
		in_child(setpgid_cases, "setpgid cases");
		zombies();
		orphaned_stopped();
		orphaned_tstp();
		_exit(0);
	}
	expect_exit(leader, 0, "the session leader");
	return ctest_ok();
}
