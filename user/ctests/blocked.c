/* blocked: several threads of one process blocked at once, each in a
 * different wait: two in reads of one pipe, one in a write to a full
 * pipe, one in wait4 and one in poll. The main thread checks that all are
 * still waiting, then wakes them one at a time and waits for each to
 * report before waking the next, so the lines come in a known order.
 * Then a signal (with and without SA_RESTART) hits a thread whose large
 * pipe write moved some bytes and waits for room: the write returns the
 * bytes moved, as Linux's pipes do. */
#include "ctest.h"

#include <poll.h>
#include <stdatomic.h>

static int rd[2], full[2], go[2], pl[2];
static pid_t child;
static atomic_int woken;
static size_t filled;

static void done(void)
{
	atomic_fetch_add(&woken, 1);
}

/* Waits until `n` threads reported (or fails after a while). */
static void until(int n, const char *what)
{
	for (int i = 0; i < 5000 && atomic_load(&woken) < n; i++)
		sleep_ms(2);
	CHECK(atomic_load(&woken) >= n, what);
}

static void *reader(void *arg)
{
	(void)arg;
	char buf[64];
	ssize_t r = read(rd[0], buf, sizeof buf);
	CHECK(r == 5, "a blocked reader gets the five bytes written");
	say("reader: %zd bytes, %s", r, buf[0] == 'a' ? "first write" : "second write");
	done();
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	char buf[100];
	memset(buf, 'w', sizeof buf);
	ssize_t w = write(full[1], buf, sizeof buf);
	CHECK(w == (ssize_t)sizeof buf, "the write to the full pipe completes");
	say("writer: %zd bytes into the full pipe", w);
	done();
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	int st = 0;
	pid_t r = waitpid(child, &st, 0);
	CHECK(r == child, "wait4 returns the child");
	say("waiter: child exited %s, code %d", yesno(WIFEXITED(st)), WEXITSTATUS(st));
	done();
	return NULL;
}

static void *poller(void *arg)
{
	(void)arg;
	struct pollfd p[2] = { { pl[0], POLLIN, 0 }, { rd[0], 0, 0 } };
	int n = poll(p, 2, -1);
	CHECK(n == 1, "poll sees one descriptor ready");
	say("poller: %d ready, POLLIN %s, other %#x", n, yesno(p[0].revents & POLLIN),
	    p[1].revents);
	done();
	return NULL;
}

static void part_blocked(void)
{
	CHECK(pipe(rd) == 0 && pipe(full) == 0 && pipe(go) == 0 && pipe(pl) == 0, "pipes");
	child = xfork();
	if (child == 0) {
		char c;
		_exit(read(go[0], &c, 1) == 1 ? 7 : 1);
	}
	/* Fill `full` without blocking, then make it blocking again. */
	int fl = fcntl(full[1], F_GETFL);
	CHECK(fcntl(full[1], F_SETFL, fl | O_NONBLOCK) == 0, "O_NONBLOCK");
	static char chunk[4096];
	for (;;) {
		ssize_t w = write(full[1], chunk, sizeof chunk);
		if (w < 0) {
			CHECK(errno == EAGAIN, "a full pipe says EAGAIN");
			break;
		}
		filled += (size_t)w;
	}
	CHECK(fcntl(full[1], F_SETFL, fl) == 0, "blocking again");
	say("full pipe holds at least a page: %s", yesno(filled >= 4096));

	pthread_t t[5];
	void *(*fn[5])(void *) = { reader, reader, writer, waiter, poller };
	for (int i = 0; i < 5; i++)
		CHECK(pthread_create(&t[i], NULL, fn[i], NULL) == 0, "pthread_create");
	sleep_ms(300);
	say("all five waiting: %s", yesno(atomic_load(&woken) == 0));

	CHECK(write(rd[1], "aaaaa", 5) == 5, "first write");
	until(1, "one reader woke");
	sleep_ms(50);
	say("the other still waits: %s", yesno(atomic_load(&woken) == 1));
	CHECK(write(rd[1], "bbbbb", 5) == 5, "second write");
	until(2, "the second reader woke");

	/* Room for the writer: drain a page. */
	CHECK(read_full(full[0], chunk, sizeof chunk) == (ssize_t)sizeof chunk, "drain");
	until(3, "the writer woke");

	CHECK(write(go[1], "g", 1) == 1, "go");
	until(4, "the waiter woke");

	CHECK(write(pl[1], "p", 1) == 1, "poll wake");
	until(5, "the poller woke");

	for (int i = 0; i < 5; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	/* Everything written to the full pipe is there, in order. */
	size_t left = filled - sizeof chunk + 100, got = 0;
	int last_w = 1;
	CHECK(fcntl(full[0], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	for (;;) {
		ssize_t r = read(full[0], chunk, sizeof chunk);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got > left - 100)
			last_w &= chunk[r - 1] == 'w';
	}
	say("full pipe gave back every byte: %s, the writer's last: %s", yesno(got == left),
	    yesno(last_w));
}

static int handled;
static int big[2];
static ssize_t big_result;
static int big_errno;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void *big_writer(void *arg)
{
	size_t len = *(size_t *)arg;
	char *buf = malloc(len);
	CHECK(buf != NULL, "malloc");
	memset(buf, 'x', len);
	errno = 0;
	big_result = write(big[1], buf, len);
	big_errno = errno;
	free(buf);
	return NULL;
}

/* A write larger than the pipe moves what fits, then a signal comes:
 * the write returns the bytes moved, with SA_RESTART or without. */
static void part_signal(int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	CHECK(pipe(big) == 0, "pipe");
	handled = 0;
	size_t len = filled + 5 * 4096;
	pthread_t t;
	CHECK(pthread_create(&t, NULL, big_writer, &len) == 0, "pthread_create");
	sleep_ms(300);
	CHECK(pthread_kill(t, SIGUSR1) == 0, "pthread_kill");
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	say("SA_RESTART %s: handler ran %d, write returned the pipe's size: %s (errno %d)",
	    yesno(restart), handled, yesno(big_result == (ssize_t)filled), big_errno);
	close(big[0]);
	close(big[1]);
}

/* More threads blocked in reads than ExoV6 has completion records (16):
 * one write gives each of them its byte at once. */
#define CROWD 24
static int crowd[2];
static atomic_int crowd_got;

static void *crowd_reader(void *arg)
{
	(void)arg;
	char c;
	if (read(crowd[0], &c, 1) == 1 && c == 'c')
		atomic_fetch_add(&crowd_got, 1);
	return NULL;
}

static void part_crowd(void)
{
	CHECK(pipe(crowd) == 0, "pipe");
	pthread_t t[CROWD];
	for (int i = 0; i < CROWD; i++)
		CHECK(pthread_create(&t[i], NULL, crowd_reader, NULL) == 0, "pthread_create");
	sleep_ms(300);
	char bytes[CROWD];
	memset(bytes, 'c', sizeof bytes);
	CHECK(write(crowd[1], bytes, sizeof bytes) == (ssize_t)sizeof bytes, "write");
	for (int i = 0; i < CROWD; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	say("%d readers blocked at once each got one byte: %s", CROWD,
	    yesno(atomic_load(&crowd_got) == CROWD));
}

int main(void)
{
	ctest_start("blocked");
	part_blocked();
	part_signal(1);
	part_signal(0);
	part_crowd();
	return ctest_ok();
}
