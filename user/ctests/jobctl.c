/* jobctl TERMINAL: job control at a terminal, as a shell uses it.
 * TERMINAL is a terminal device to make the controlling terminal of a new
 * session (in ExoV6 the console), or "pty" for a new pseudo-terminal (on
 * the host, where the test has no terminal of its own).
 *
 * A session leader takes the terminal (TIOCSCTTY) and puts jobs in
 * process groups of their own. tcgetpgrp/tcsetpgrp (TIOCGPGRP,
 * TIOCSPGRP, TIOCGSID) and their errors (ENOTTY without a controlling
 * terminal, ESRCH for no such group, EPERM for a group of another
 * session); a background job reading the terminal gets SIGTTIN (it
 * stops; with SIGTTIN ignored or blocked the read fails with EIO; with a
 * handler it is interrupted, EINTR); with TOSTOP a background write gets
 * SIGTTOU (stops; ignored: it writes); without TOSTOP it writes; a
 * background tcsetattr or tcsetpgrp gets SIGTTOU whatever TOSTOP says;
 * a job in an orphaned process group reading gets EIO; `fg` as a shell
 * does it: tcsetpgrp to the job's group and SIGCONT, waitpid with
 * WUNTRACED|WCONTINUED sees the stop and the continue. */
#include "ctest.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

static int tty = -1;

static const char *err_name(long r)
{
	if (r >= 0)
		return "ok";
	switch (errno) {
	case EIO:
		return "EIO";
	case EINTR:
		return "EINTR";
	case ENOTTY:
		return "ENOTTY";
	case EPERM:
		return "EPERM";
	case ESRCH:
		return "ESRCH";
	case EINVAL:
		return "EINVAL";
	default:
		return "other";
	}
}

static void on_sig(int sig)
{
	(void)sig;
}

/* Opens the terminal and makes it the controlling terminal of the
 * caller, a session leader. */
static void take_terminal(const char *path)
{
	if (strcmp(path, "pty") == 0) {
		int m = posix_openpt(O_RDWR | O_NOCTTY);
		CHECK(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0, "a pseudo-terminal");
		char *name = ptsname(m);
		CHECK(name != NULL, "ptsname");
		tty = open(name, O_RDWR | O_NOCTTY);
	} else {
		tty = open(path, O_RDWR | O_NOCTTY);
	}
	CHECK(tty >= 0, "open the terminal");
	CHECK(ioctl(tty, TIOCSCTTY, 1) == 0, "TIOCSCTTY");
}

/* What a background job's terminal call does, from a child in a group
 * of its own: `how` 0 read, 1 write, 2 tcsetattr, 3 tcsetpgrp; `disp`
 * 0 default, 1 ignore, 2 block, 3 handler for the signal it would get. */
static void background(int how, int disp, const char *what)
{
	int sig = how == 0 ? SIGTTIN : SIGTTOU;
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t kid = fork();
	CHECK(kid >= 0, "fork");
	if (kid == 0) {
		close(p[0]);
		if (setpgid(0, 0) != 0)
			_exit(20);
		if (disp == 1)
			signal(sig, SIG_IGN);
		if (disp == 2) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, sig);
			sigprocmask(SIG_BLOCK, &s, NULL);
		}
		if (disp == 3) {
			struct sigaction sa = { .sa_handler = on_sig };
			sigemptyset(&sa.sa_mask);
			sigaction(sig, &sa, NULL);
		}
		long r;
		errno = 0;
		if (how == 0) {
			char c;
			r = read(tty, &c, 1);
		} else if (how == 1) {
			r = write(tty, "\r", 1);
		} else if (how == 2) {
			struct termios t;
			r = tcgetattr(tty, &t) == 0 ? tcsetattr(tty, TCSANOW, &t) : -1;
		} else {
			r = tcsetpgrp(tty, getpgrp());
		}
		const char *e = err_name(r);
		if (write(p[1], e, strlen(e)) < 0)
			_exit(21);
		_exit(0);
	}
	close(p[1]);
	CHECK(setpgid(kid, kid) == 0 || errno == EACCES, "setpgid of the job");
	int st;
	pid_t r = waitpid_eintr(kid, &st, WUNTRACED);
	CHECK(r == kid, "waitpid");
	char out[16] = "";
	if (WIFSTOPPED(st)) {
		say("%s: stopped by %d", what, WSTOPSIG(st));
		kill(kid, SIGKILL);
		wait_for(kid);
	} else {
		ssize_t n = read(p[0], out, sizeof out - 1);
		out[n > 0 ? n : 0] = 0;
		say("%s: %s", what, out);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the job's exit");
	}
	close(p[0]);
}

static void set_tostop(int on)
{
	struct termios t;
	CHECK(tcgetattr(tty, &t) == 0, "tcgetattr");
	if (on)
		t.c_lflag |= TOSTOP;
	else
		t.c_lflag &= ~TOSTOP;
	CHECK(tcsetattr(tty, TCSANOW, &t) == 0, "tcsetattr");
}

/* `fg` of a stopped job: a job stops itself; the leader makes it the
 * foreground, continues it, and takes the terminal back after. */
static void foreground(void)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t job = fork();
	CHECK(job >= 0, "fork");
	if (job == 0) {
		close(p[0]);
		if (setpgid(0, 0) != 0)
			_exit(20);
		raise(SIGTSTP);
		/* In the foreground now: the terminal calls go through. */
		struct termios t;
		int ok = tcgetpgrp(tty) == getpgrp() && tcgetattr(tty, &t) == 0 &&
			 tcsetattr(tty, TCSANOW, &t) == 0;
		char c = ok ? 'F' : 'B';
		if (write(p[1], &c, 1) != 1)
			_exit(21);
		_exit(0);
	}
	close(p[1]);
	CHECK(setpgid(job, job) == 0 || errno == EACCES, "setpgid of the job");
	int st;
	pid_t r = waitpid_eintr(job, &st, WUNTRACED);
	say("job stops itself (SIGTSTP): %s", yesno(r == job && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP));
	CHECK(tcsetpgrp(tty, job) == 0, "tcsetpgrp to the job");
	say("tcgetpgrp is the job's group: %s", yesno(tcgetpgrp(tty) == job));
	CHECK(kill(-job, SIGCONT) == 0, "SIGCONT");
	r = waitpid_eintr(job, &st, WUNTRACED | WCONTINUED);
	say("waitpid sees it continue: %s", yesno(r == job && WIFCONTINUED(st)));
	char c = 0;
	if (read(p[0], &c, 1) != 1)
		c = 0;
	say("in the foreground its terminal calls work: %s", yesno(c == 'F'));
	expect_exit(job, 0, "the foreground job");
	close(p[0]);
	/* The leader, now in the background, takes the terminal back with
	 * SIGTTOU ignored, as shells do. */
	signal(SIGTTOU, SIG_IGN);
	CHECK(tcsetpgrp(tty, getpgrp()) == 0, "tcsetpgrp back");
	signal(SIGTTOU, SIG_DFL);
	say("the leader has the terminal back: %s", yesno(tcgetpgrp(tty) == getpgrp()));
}

/* A reader in an orphaned process group: its parent has ended. */
static void orphaned_reader(void)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t mid = fork();
	CHECK(mid >= 0, "fork");
	if (mid == 0) {
		if (setpgid(0, 0) != 0)
			_exit(20);
		pid_t was = getpid();
		pid_t kid = fork();
		if (kid < 0)
			_exit(21);
		if (kid == 0) {
			close(p[0]);
			while (getppid() == was)
				sleep_ms(5);
			char c;
			errno = 0;
			const char *e = err_name(read(tty, &c, 1));
			if (write(p[1], e, strlen(e)) < 0)
				_exit(22);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	expect_exit(mid, 0, "the orphan's parent");
	struct pollfd fd = { p[0], POLLIN, 0 };
	char out[16] = "";
	if (poll(&fd, 1, 10000) == 1) {
		ssize_t n = read(p[0], out, sizeof out - 1);
		out[n > 0 ? n : 0] = 0;
	}
	say("background read in an orphaned group: %s", out);
	close(p[0]);
}

static void leader(const char *path)
{
	CHECK(setsid() == getpid(), "setsid");
	take_terminal(path);
	say("tcgetpgrp of the new session: %s", yesno(tcgetpgrp(tty) == getpgrp()));
	pid_t sid = -1;
	CHECK(ioctl(tty, TIOCGSID, &sid) == 0, "TIOCGSID");
	say("TIOCGSID is the session: %s", yesno(sid == getsid(0)));
	errno = 0;
	say("tcsetpgrp to no such group: %s", err_name(tcsetpgrp(tty, getpid() + 100000)));
	errno = 0;
	say("tcsetpgrp to a group of another session: %s", err_name(tcsetpgrp(tty, getpgid(getppid()))));

	background(0, 0, "background read");
	background(0, 1, "background read, SIGTTIN ignored");
	background(0, 2, "background read, SIGTTIN blocked");
	background(0, 3, "background read, SIGTTIN caught");
	background(1, 0, "background write without TOSTOP");
	set_tostop(1);
	background(1, 0, "background write with TOSTOP");
	background(1, 1, "background write with TOSTOP, SIGTTOU ignored");
	background(1, 2, "background write with TOSTOP, SIGTTOU blocked");
	set_tostop(0);
	background(2, 0, "background tcsetattr");
	background(2, 1, "background tcsetattr, SIGTTOU ignored");
	background(3, 0, "background tcsetpgrp");
	signal(SIGTTOU, SIG_IGN);
	CHECK(tcsetpgrp(tty, getpgrp()) == 0, "the leader's group again");
	signal(SIGTTOU, SIG_DFL);
	foreground();
	orphaned_reader();
}

int main(int argc, char **argv)
{
	ctest_start("jobctl");
	CHECK(argc == 2, "usage: jobctl TERMINAL|pty");
	pid_t s = fork();
	CHECK(s >= 0, "fork");
	if (s == 0) {
		leader(argv[1]);
		_exit(0);
	}
	expect_exit(s, 0, "the session leader");
	return ctest_ok();
}
