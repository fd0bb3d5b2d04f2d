/* threadids.c: thread ids stay valid however many threads a process has
 * made. 20,000 threads are created and joined, two at a time alive; each
 * checks that gettid() is positive, differs from the other live thread's
 * and from the process's, and that a futex wait on a word holding its id
 * (the pthread_join word) works. Linux recycles thread ids only after a
 * whole round of the pid space; ExoV6's library OS must do likewise
 * instead of running out of numbers. */
#include "ctest.h"

#include <pthread.h>
#include <sys/syscall.h>

#define ROUNDS 10000

static void *body(void *arg)
{
	long *out = arg;
	*out = syscall(SYS_gettid);
	return NULL;
}

int main(void)
{
	ctest_start("threadids");
	long main_tid = syscall(SYS_gettid);
	int bad = 0, same = 0;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_t a, b;
		long ta = 0, tb = 0;
		if (pthread_create(&a, NULL, body, &ta) || pthread_create(&b, NULL, body, &tb)) {
			say("FAIL: pthread_create in round %d", i);
			return 1;
		}
		if (pthread_join(a, NULL) || pthread_join(b, NULL)) {
			say("FAIL: pthread_join in round %d", i);
			return 1;
		}
		if (ta <= 0 || tb <= 0 || ta > 0x3fffffff || tb > 0x3fffffff)
			bad++;
		if (ta == tb || ta == main_tid || tb == main_tid)
			same++;
	}
	say("%d threads made and joined", 2 * ROUNDS);
	say("ids out of range: %d", bad);
	say("ids shared by live threads: %d", same);
	if (bad || same) {
		say("FAIL: thread ids");
		return 1;
	}
	say("threadids: ok");
	return 0;
}
