/* mqueue: POSIX message queues between processes. Checks mq_open's
 * rules (O_CREAT, O_EXCL, attributes and their limits, names, modes),
 * priorities (highest first, oldest first within one), O_NONBLOCK and
 * mq_setattr, the absolute timeouts of mq_timedsend/mq_timedreceive,
 * EMSGSIZE both ways, a receive that blocks until another process sends,
 * notification by signal (once, EBUSY for a second process, si_code
 * SI_MESGQ with the value and the sender's pid), the status text a read
 * of the descriptor shows, mq_unlink while open, and the permissions a
 * process that is not root meets. */
#include "ctest.h"
#include <mqueue.h>
#include <sys/stat.h>

static const char *Q = "/ctest-mq";

static void abs_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_nsec += (ms % 1000) * 1000000L;
	ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

static const char *err(int r)
{
	return r < 0 ? strerror(errno) : "ok";
}

int main(void)
{
	ctest_start("mqueue");
	mq_unlink(Q);
	mq_unlink("/ctest-mq2");
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	mqd_t q = mq_open(Q, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
	CHECK(q != (mqd_t)-1, "mq_open O_CREAT");
	say("fd is close-on-exec: %s", yesno(fcntl(q, F_GETFD) & FD_CLOEXEC));
	say("O_EXCL again: %s", err(mq_open(Q, O_CREAT | O_EXCL | O_RDWR, 0600, &a)));
	say("missing without O_CREAT: %s", err(mq_open("/ctest-nope", O_RDWR)));
	struct mq_attr bad = { .mq_maxmsg = 0, .mq_msgsize = 64 };
	say("maxmsg 0: %s", err(mq_open("/ctest-mq2", O_CREAT | O_RDWR, 0600, &bad)));
	bad.mq_maxmsg = 4;
	bad.mq_msgsize = -1;
	say("msgsize -1: %s", err(mq_open("/ctest-mq2", O_CREAT | O_RDWR, 0600, &bad)));
	say("a slash inside: %s", err(mq_open("/a/b", O_CREAT | O_RDWR, 0600, NULL)));
	char longname[300];
	longname[0] = '/';
	memset(longname + 1, 'n', 290);
	longname[291] = 0;
	say("a 290-byte name: %s", err(mq_open(longname, O_CREAT | O_RDWR, 0600, NULL)));
	mqd_t d = mq_open("/ctest-mq2", O_CREAT | O_RDWR, 0600, NULL);
	CHECK(d != (mqd_t)-1, "default attributes");
	struct mq_attr g;
	CHECK(mq_getattr(d, &g) == 0, "mq_getattr");
	say("defaults: maxmsg %ld msgsize %ld curmsgs %ld", g.mq_maxmsg, g.mq_msgsize, g.mq_curmsgs);
	mq_close(d);
	mq_unlink("/ctest-mq2");

	/* Priorities, limits, sizes. */
	const char *msgs[] = { "a1", "b5", "c1", "d5" };
	unsigned prios[] = { 1, 5, 1, 5 };
	for (int i = 0; i < 4; i++)
		CHECK(mq_send(q, msgs[i], 3, prios[i]) == 0, "mq_send");
	CHECK(mq_getattr(q, &g) == 0, "getattr");
	say("attributes: flags %ld maxmsg %ld msgsize %ld curmsgs %ld", g.mq_flags, g.mq_maxmsg, g.mq_msgsize,
	    g.mq_curmsgs);
	char text[256];
	ssize_t n = read(q, text, sizeof text - 1);
	text[n > 0 ? n : 0] = 0;
	say("read of the descriptor: %s", text);
	struct timespec ts;
	abs_in(&ts, 50);
	say("timed send to a full queue: %s", err(mq_timedsend(q, "e", 1, 0, &ts)));
	struct mq_attr nb = { .mq_flags = O_NONBLOCK }, old;
	CHECK(mq_setattr(q, &nb, &old) == 0, "mq_setattr");
	say("setattr's old flags: %ld", old.mq_flags);
	say("send to a full queue, non-blocking: %s", err(mq_send(q, "e", 1, 0)));
	char big[65] = { 0 };
	say("65 bytes: %s", err(mq_send(q, big, 65, 0)));
	say("priority 32768: %s", err(mq_send(q, "e", 1, 32768)));
	char buf[64];
	unsigned prio;
	say("receive into 63 bytes: %s", err((int)mq_receive(q, buf, 63, &prio)));
	for (int i = 0; i < 4; i++) {
		n = mq_receive(q, buf, sizeof buf, &prio);
		CHECK(n == 3, "mq_receive");
		say("received %s at %u", buf, prio);
	}
	say("receive from empty, non-blocking: %s", err((int)mq_receive(q, buf, sizeof buf, &prio)));
	nb.mq_flags = 0;
	CHECK(mq_setattr(q, &nb, NULL) == 0, "blocking again");
	abs_in(&ts, 50);
	say("timed receive from empty: %s", err((int)mq_timedreceive(q, buf, sizeof buf, &prio, &ts)));
	ts.tv_nsec = 1000000000L;
	say("timed receive, bad timeout: %s", err((int)mq_timedreceive(q, buf, sizeof buf, &prio, &ts)));
	say("send on a bad descriptor: %s", err(mq_send(12345, "x", 1, 0)));

	/* Another process: one receive blocks until it sends; then its
	 * messages come by priority. */
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		sleep_ms(100);
		mq_send(q, "wake", 5, 2);
		sleep_ms(100);
		unsigned ps[] = { 3, 1, 4, 1, 5 };
		const char *ms[] = { "three", "one-a", "four", "one-b", "five" };
		/* Four fit; the fifth waits for room. */
		for (int i = 0; i < 5; i++)
			if (mq_send(q, ms[i], strlen(ms[i]) + 1, ps[i]) != 0)
				_exit(1);
		_exit(0);
	}
	n = mq_receive(q, buf, sizeof buf, &prio);
	say("blocked receive got: %s at %u", n > 0 ? buf : "?", prio);
	sleep_ms(400);
	for (int i = 0; i < 5; i++) {
		n = mq_receive(q, buf, sizeof buf, &prio);
		CHECK(n > 0, "receive from the child");
		say("from the child: %s at %u", buf, prio);
	}
	expect_exit(c, 0, "the sender");

	/* Notification: once, by signal, with the value and the sender. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	ev.sigev_value.sival_int = 42;
	CHECK(mq_notify(q, &ev) == 0, "mq_notify");
	c = fork();
	CHECK(c >= 0, "fork notifier");
	if (c == 0) {
		int busy = mq_notify(q, &ev) < 0 && errno == EBUSY;
		mq_send(q, "ping", 5, 0);
		_exit(busy ? 0 : 1);
	}
	expect_exit(c, 0, "the notifier (EBUSY for it)");
	siginfo_t si;
	struct timespec five = { 5, 0 };
	int s = sigtimedwait(&set, &si, &five);
	say("notified: %s, code SI_MESGQ: %s, value %d, from the sender: %s", yesno(s == SIGUSR1),
	    yesno(si.si_code == SI_MESGQ), si.si_value.sival_int, yesno(si.si_pid == c));
	n = mq_receive(q, buf, sizeof buf, &prio);
	say("the message: %s", n > 0 ? buf : "?");
	CHECK(mq_send(q, "again", 6, 0) == 0, "send again");
	struct timespec shortwait = { 0, 100000000L };
	say("a second message notifies no one: %s", yesno(sigtimedwait(&set, &si, &shortwait) < 0 && errno == EAGAIN));
	CHECK(mq_receive(q, buf, sizeof buf, &prio) > 0, "drain");
	say("registering again: %s", err(mq_notify(q, &ev)));
	say("removing it: %s", err(mq_notify(q, NULL)));

	/* Another user: the queue is 0600 root's. */
	c = fork();
	CHECK(c >= 0, "fork nobody");
	if (c == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		int denied = mq_open(Q, O_RDONLY) == (mqd_t)-1 && errno == EACCES;
		int no_unlink = mq_unlink(Q) < 0 && errno == EACCES;
		mqd_t own = mq_open("/ctest-mq-nobody", O_CREAT | O_RDWR, 0600, NULL);
		struct mq_attr many = { .mq_maxmsg = 11, .mq_msgsize = 64 };
		int limited = mq_open("/ctest-mq-big", O_CREAT | O_RDWR, 0600, &many) == (mqd_t)-1 && errno == EINVAL;
		int mine = own != (mqd_t)-1 && mq_unlink("/ctest-mq-nobody") == 0;
		_exit(denied && no_unlink && limited && mine ? 0 : 1);
	}
	expect_exit(c, 0, "nobody: EACCES to open and unlink, EINVAL above msg_max, its own queue");
	say("as nobody: refused a 0600 queue, limited to msg_max, own queue made and removed");

	/* Unlinked while open: the name goes, the queue stays. */
	CHECK(mq_unlink(Q) == 0, "mq_unlink");
	say("open after unlink: %s", err(mq_open(Q, O_RDWR)));
	say("unlink again: %s", err(mq_unlink(Q)));
	CHECK(mq_send(q, "still", 6, 7) == 0 && mq_receive(q, buf, sizeof buf, &prio) == 6, "still usable");
	say("still usable through its descriptor: %s at %u", buf, prio);
	CHECK(mq_close(q) == 0, "mq_close");
	say("closed twice: %s", err(mq_close(q)));
	return ctest_ok();
}
