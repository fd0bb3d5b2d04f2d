/* threads-max (ExoV6 only: the count depends on the machine's memory):
 * pthread_create with 16 KiB stacks until it fails, which must be with
 * EAGAIN (Linux's threads-max, a thread per 32 pages of memory, or the
 * library OS out of room for a thread), never a crash; every thread made
 * then runs to its end and is joined, and one more can be made. */
#include "ctest.h"
#include <pthread.h>

#define MAX 20000

static pthread_t t[MAX];

int main(void)
{
	ctest_start("threads-max");
	int e;
	int n = ctest_crowd_fill(t, MAX, 16 * 1024, &e);
	say("pthread_create stops with %s", e == EAGAIN ? "EAGAIN" : strerror(e));
	CHECK(e == EAGAIN, "pthread_create is EAGAIN");
	CHECK(n >= 19, "at least threads-max's minimum was made");
	ctest_crowd_release(t, n);
	pthread_t again;
	CHECK(pthread_create(&again, NULL, ctest_crowd_member, NULL) == 0,
	      "a thread after the others ended");
	CHECK(pthread_join(again, NULL) == 0, "join it");
	say("threads-max: ok");
	return 0;
}
