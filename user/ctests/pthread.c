/* pthread: 4 threads x 10000 increments of a shared counter under a
 * mutex; a bounded queue with 2 producers and 2 consumers on condition
 * variables (every item consumed exactly once); join return values;
 * thread-local storage per thread; distinct tids; pthread_once; a detached
 * thread; a barrier; a broadcast releasing all waiters. */
#include "ctest.h"
#include <pthread.h>

#define THREADS 4
#define INCS 10000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long tls_value = 5;

static void *incrementer(void *arg)
{
	long id = (long)arg;
	tls_value = id * 100;
	for (int i = 0; i < INCS; i++) {
		pthread_mutex_lock(&lock);
		long v = counter;
		if (i % 1000 == 0)
			sched_yield(); /* let the others contend */
		counter = v + 1;
		pthread_mutex_unlock(&lock);
	}
	/* Our TLS slot kept our value through all that. */
	return (void *)(tls_value == id * 100 ? id + 1 : -1L);
}

/* Bounded queue. */
#define QCAP 8
#define ITEMS 2000
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int queue[QCAP], qhead, qlen, producers_left = 2;
static unsigned char seen[2 * ITEMS];

static void *producer(void *arg)
{
	int base = (int)(long)arg * ITEMS;
	for (int i = 0; i < ITEMS; i++) {
		pthread_mutex_lock(&qlock);
		while (qlen == QCAP)
			pthread_cond_wait(&not_full, &qlock);
		queue[(qhead + qlen++) % QCAP] = base + i;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&qlock);
	}
	pthread_mutex_lock(&qlock);
	producers_left--;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&qlock);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	long taken = 0;
	for (;;) {
		pthread_mutex_lock(&qlock);
		while (qlen == 0 && producers_left > 0)
			pthread_cond_wait(&not_empty, &qlock);
		if (qlen == 0) {
			pthread_mutex_unlock(&qlock);
			return (void *)taken;
		}
		int item = queue[qhead];
		qhead = (qhead + 1) % QCAP;
		qlen--;
		seen[item]++;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&qlock);
		taken++;
	}
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static void init_once(void)
{
	once_runs++;
}

static pid_t tids[THREADS];
static pthread_barrier_t barrier;
static void *once_and_tid(void *arg)
{
	pthread_once(&once, init_once);
	tids[(long)arg] = gettid();
	/* All alive at once, so no tid can have been reused. */
	pthread_barrier_wait(&barrier);
	return NULL;
}

static pthread_mutex_t glock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int gate_open, waiting, released;
static void *gate_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&glock);
	waiting++;
	while (!gate_open)
		pthread_cond_wait(&gate, &glock);
	released++;
	pthread_mutex_unlock(&glock);
	return NULL;
}

static volatile int detached_ran;
static void *detached(void *arg)
{
	(void)arg;
	detached_ran = 1;
	return NULL;
}

int main(void)
{
	ctest_start("pthread");
	pthread_t t[THREADS];

	for (long i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, incrementer, (void *)i) == 0,
		      "pthread_create");
	long rets = 0;
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		CHECK(pthread_join(t[i], &ret) == 0, "pthread_join");
		CHECK((long)ret == i + 1, "join value (and TLS kept)");
		rets += (long)ret;
	}
	say("%d threads x %d locked increments: %ld", THREADS, INCS, counter);
	CHECK(counter == THREADS * INCS, "counter");
	say("join values sum: %ld, main's TLS untouched: %s", rets,
	    yesno(tls_value == 5));
	CHECK(rets == 10 && tls_value == 5, "join values and TLS");

	pthread_t p[2], c[2];
	for (long i = 0; i < 2; i++) {
		CHECK(pthread_create(&c[i], NULL, consumer, NULL) == 0, "consumer");
		CHECK(pthread_create(&p[i], NULL, producer, (void *)i) == 0,
		      "producer");
	}
	long consumed = 0;
	for (int i = 0; i < 2; i++) {
		void *ret;
		CHECK(pthread_join(p[i], NULL) == 0, "join producer");
		CHECK(pthread_join(c[i], &ret) == 0, "join consumer");
		consumed += (long)ret;
	}
	int once_each = 1;
	for (int i = 0; i < 2 * ITEMS; i++)
		once_each &= seen[i] == 1;
	say("queue: %d items produced, %ld consumed, each exactly once: %s",
	    2 * ITEMS, consumed, yesno(once_each));
	CHECK(consumed == 2 * ITEMS && once_each, "producer/consumer");

	CHECK(pthread_barrier_init(&barrier, NULL, THREADS) == 0, "barrier");
	for (long i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, once_and_tid, (void *)i) == 0,
		      "pthread_create");
	for (int i = 0; i < THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	int distinct = 1;
	for (int i = 0; i < THREADS; i++) {
		distinct &= tids[i] != getpid() && tids[i] > 0;
		for (int j = 0; j < i; j++)
			distinct &= tids[i] != tids[j];
	}
	say("pthread_once ran: %d time, thread tids distinct: %s", once_runs,
	    yesno(distinct));
	CHECK(once_runs == 1 && distinct, "once and tids");
	CHECK(gettid() == getpid(), "main thread's tid is the pid");

	for (int i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, gate_waiter, NULL) == 0,
		      "pthread_create");
	for (;;) {
		pthread_mutex_lock(&glock);
		int w = waiting;
		pthread_mutex_unlock(&glock);
		if (w == THREADS)
			break;
		sched_yield();
	}
	pthread_mutex_lock(&glock);
	gate_open = 1;
	pthread_cond_broadcast(&gate);
	pthread_mutex_unlock(&glock);
	for (int i = 0; i < THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	say("broadcast released: %d waiters", released);
	CHECK(released == THREADS, "broadcast");

	pthread_t d;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	CHECK(pthread_create(&d, &attr, detached, NULL) == 0, "detached");
	uint64_t t0 = now_ns();
	while (!detached_ran && now_ns() - t0 < 5000000000ull)
		sleep_ms(1);
	say("detached thread ran: %s", yesno(detached_ran));
	CHECK(detached_ran, "detached thread");

	return ctest_ok();
}
