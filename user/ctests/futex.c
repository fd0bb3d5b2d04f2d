/* futex: raw futex(2). FUTEX_WAIT with a changed value is EAGAIN; with a
 * 20 ms timeout it is ETIMEDOUT after at least 20 ms (and well under 2 s);
 * FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline likewise;
 * FUTEX_WAKE wakes exactly one blocked waiter; FUTEX_CMP_REQUEUE moves
 * three waiters to a second word (and is EAGAIN if the first word
 * changed), from which each is woken; private and shared variants. */
#include "ctest.h"
#include <limits.h>
#include <pthread.h>
#include <sys/syscall.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

static long futex(volatile int *uaddr, int op, int val,
		  const struct timespec *ts, volatile int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static long requeue(volatile int *from, int nwake, int nmove,
		    volatile int *to, int expect)
{
	return syscall(SYS_futex, from, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG,
		       nwake, (long)nmove, to, expect);
}

static volatile int word, word2;

/* A waiter: blocks once on `word` (value 0) and records the result. */
struct waiter {
	pthread_t t;
	long ret;
	int err;
};

static void *wait_once(void *arg)
{
	struct waiter *w = arg;
	w->ret = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
	w->err = errno;
	return NULL;
}

/* Repeats `op` until it has reported `want` waiters in total (a waiter
 * may not have blocked yet), for at most 5 s. Returns the total. */
static long until_total(long want, long (*op)(void))
{
	long total = 0;
	uint64_t t0 = now_ns();
	while (total < want && now_ns() - t0 < 5000000000ull) {
		long r = op();
		CHECK(r >= 0, "futex op");
		total += r;
		if (total < want)
			sleep_ms(1);
	}
	return total;
}

static long wake_one(void)
{
	return futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

static long move_all(void)
{
	return requeue(&word, 0, INT_MAX, &word2, 0);
}

static long wake_one_from_2(void)
{
	return futex(&word2, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

int main(void)
{
	ctest_start("futex");

	/* Value mismatch. */
	word = 1;
	long r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
	say("FUTEX_WAIT on a changed value: %s",
	    r == -1 && errno == EAGAIN ? "EAGAIN" : "wrong");
	CHECK(r == -1 && errno == EAGAIN, "EAGAIN");
	word = 0;

	/* Relative timeout, shared and private. */
	for (int priv = 0; priv < 2; priv++) {
		struct timespec ts = { 0, 20 * 1000000L };
		uint64_t t0 = now_ns();
		r = futex(&word, FUTEX_WAIT | (priv ? FUTEX_PRIVATE_FLAG : 0), 0,
			  &ts, NULL, 0);
		int err = errno;
		uint64_t took = now_ns() - t0;
		int in_bounds = took >= 20000000ull && took < 2000000000ull;
		say("FUTEX_WAIT%s 20 ms timeout: %s, within [20 ms, 2 s): %s",
		    priv ? "_PRIVATE" : "",
		    r == -1 && err == ETIMEDOUT ? "ETIMEDOUT" : "wrong",
		    yesno(in_bounds));
		errno = err;
		CHECK(r == -1 && err == ETIMEDOUT && in_bounds, "timeout");
	}

	/* Absolute deadline with FUTEX_WAIT_BITSET (CLOCK_MONOTONIC). */
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 20 * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	uint64_t t0 = now_ns();
	r = futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &dl, NULL,
		  (int)FUTEX_BITSET_MATCH_ANY);
	int err = errno;
	uint64_t took = now_ns() - t0;
	/* The deadline was taken just before t0, so allow a little less. */
	int in_bounds = took >= 15000000ull && took < 2000000000ull;
	say("FUTEX_WAIT_BITSET absolute deadline: %s, within bounds: %s",
	    r == -1 && err == ETIMEDOUT ? "ETIMEDOUT" : "wrong",
	    yesno(in_bounds));
	errno = err;
	CHECK(r == -1 && err == ETIMEDOUT && in_bounds, "absolute timeout");

	/* Wake with nobody waiting. */
	r = wake_one();
	say("FUTEX_WAKE with no waiters: %ld", r);
	CHECK(r == 0, "wake nobody");

	/* Wake one blocked waiter. */
	struct waiter w[3];
	memset(w, 0, sizeof w);
	CHECK(pthread_create(&w[0].t, NULL, wait_once, &w[0]) == 0, "thread");
	long woken = until_total(1, wake_one);
	CHECK(pthread_join(w[0].t, NULL) == 0, "join");
	say("FUTEX_WAKE woke: %ld, the waiter's FUTEX_WAIT returned: %ld",
	    woken, w[0].ret);
	CHECK(woken == 1 && w[0].ret == 0, "wake");

	/* Requeue three waiters from word to word2, then wake each there. */
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&w[i].t, NULL, wait_once, &w[i]) == 0,
		      "thread");
	r = requeue(&word, 0, INT_MAX, &word2, 1);
	say("FUTEX_CMP_REQUEUE with a stale value: %s",
	    r == -1 && errno == EAGAIN ? "EAGAIN" : "wrong");
	CHECK(r == -1 && errno == EAGAIN, "requeue EAGAIN");
	long moved = until_total(3, move_all);
	say("FUTEX_CMP_REQUEUE moved: %ld", moved);
	CHECK(moved == 3, "requeue count");
	r = wake_one();
	say("FUTEX_WAKE on the first word after requeue: %ld", r);
	CHECK(r == 0, "nobody left on the first word");
	long from2 = 0;
	for (int i = 0; i < 3; i++) {
		r = wake_one_from_2();
		from2 += r;
	}
	int all_zero = 1;
	for (int i = 0; i < 3; i++) {
		CHECK(pthread_join(w[i].t, NULL) == 0, "join");
		all_zero &= w[i].ret == 0;
	}
	say("woken one by one from the second word: %ld, each returned 0: %s",
	    from2, yesno(all_zero));
	CHECK(from2 == 3 && all_zero, "wake from the second word");

	return ctest_ok();
}
