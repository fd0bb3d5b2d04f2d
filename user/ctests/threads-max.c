/* threads-max (ExoV6 only: the count depends on the machine's memory):
 * pthread_create with 16 KiB stacks until it fails, which must be with
 * EAGAIN (Linux's threads-max, a thread per 32 pages of memory, or the
 * library OS out of room for a thread), never a crash; every thread made
 * then runs to its end and is joined, and one more can be made. */
#include "ctest.h"
#include <pthread.h>

#define MAX 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int released, ran;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!released)
		pthread_cond_wait(&go, &lock);
	ran++;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static pthread_t t[MAX];

int main(void)
{
	ctest_start("threads-max");
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 16 * 1024);
	int n = 0, e = 0;
	while (n < MAX && (e = pthread_create(&t[n], &a, waiter, NULL)) == 0)
		n++;
	say("pthread_create stops with %s", e == EAGAIN ? "EAGAIN" : strerror(e));
	CHECK(e == EAGAIN, "pthread_create is EAGAIN");
	CHECK(n >= 19, "at least threads-max's minimum was made");
	pthread_mutex_lock(&lock);
	released = 1;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(ran == n, "every thread ran");
	pthread_t again;
	CHECK(pthread_create(&again, &a, waiter, NULL) == 0, "a thread after the others ended");
	CHECK(pthread_join(again, NULL) == 0, "join it");
	say("threads-max: ok");
	return 0;
}
