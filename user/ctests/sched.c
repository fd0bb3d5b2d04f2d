/* sched: scheduling policies and nice values, per thread. The errno rules
 * of sched_setscheduler, sched_setparam, sched_getscheduler,
 * sched_getparam, sched_get_priority_min/max, sched_rr_get_interval,
 * sched_setattr/getattr, getpriority/setpriority (the raw call's 20 -
 * nice) and sched_get/setaffinity; SCHED_RESET_ON_FORK; policies
 * inherited by threads and fork children and kept across exec. Then,
 * pinned to one CPU (as root): a spin lock contended by four threads;
 * FIFO threads run in priority order and a FIFO thread that spins keeps
 * the CPU from one of equal priority; RR threads of one priority take
 * turns. Only what Linux guarantees is printed. argv[1] is this program
 * (run again by exec); "exec" as argv[1] is that second run. */
#include "ctest.h"
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

static long raw_getprio(int which, int who)
{
	return syscall(SYS_getpriority, which, who);
}

static int set_policy(pid_t pid, int policy, int prio)
{
	struct sched_param sp = {.sched_priority = prio};
	return (int)syscall(SYS_sched_setscheduler, pid, policy, &sp);
}

static int get_prio(pid_t pid)
{
	struct sched_param sp = {.sched_priority = -1};
	CHECK(syscall(SYS_sched_getparam, pid, &sp) == 0, "sched_getparam");
	return sp.sched_priority;
}

#define EXPECT_ERR(call, e, what)                                            \
	do {                                                                 \
		errno = 0;                                                   \
		long r_ = (call);                                            \
		CHECK(r_ == -1 && errno == (e), what);                       \
	} while (0)

/* A pid that names nothing: a child already reaped. */
static pid_t dead_pid(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	expect_exit(c, 0, "the short child");
	return c;
}

static void ranges(void)
{
	int pols[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE};
	for (unsigned i = 0; i < sizeof pols / sizeof pols[0]; i++)
		say("policy %d: priorities %ld..%ld", pols[i],
		    syscall(SYS_sched_get_priority_min, pols[i]),
		    syscall(SYS_sched_get_priority_max, pols[i]));
	EXPECT_ERR(syscall(SYS_sched_get_priority_max, 4), EINVAL, "max of policy 4");
	EXPECT_ERR(syscall(SYS_sched_get_priority_min, 100), EINVAL, "min of policy 100");
	EXPECT_ERR(syscall(SYS_sched_get_priority_max, -1), EINVAL, "max of policy -1");
}

static void errno_rules(void)
{
	pid_t gone = dead_pid();
	struct sched_param sp = {.sched_priority = 0};
	EXPECT_ERR(set_policy(0, SCHED_FIFO, 0), EINVAL, "FIFO priority 0");
	EXPECT_ERR(set_policy(0, SCHED_FIFO, 100), EINVAL, "FIFO priority 100");
	EXPECT_ERR(set_policy(0, SCHED_RR, -1), EINVAL, "RR priority -1");
	EXPECT_ERR(set_policy(0, SCHED_OTHER, 1), EINVAL, "OTHER priority 1");
	EXPECT_ERR(set_policy(0, SCHED_BATCH, 1), EINVAL, "BATCH priority 1");
	EXPECT_ERR(set_policy(0, 4, 0), EINVAL, "policy 4");
	EXPECT_ERR(set_policy(0, -1, 0), EINVAL, "policy -1");
	EXPECT_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL,
		   "setscheduler NULL");
	EXPECT_ERR(set_policy(-1, SCHED_OTHER, 0), EINVAL, "setscheduler pid -1");
	EXPECT_ERR(set_policy(gone, SCHED_OTHER, 0), ESRCH, "setscheduler unknown pid");
	EXPECT_ERR(syscall(SYS_sched_getscheduler, -1), EINVAL, "getscheduler -1");
	EXPECT_ERR(syscall(SYS_sched_getscheduler, gone), ESRCH, "getscheduler unknown");
	EXPECT_ERR(syscall(SYS_sched_getparam, 0, NULL), EINVAL, "getparam NULL");
	EXPECT_ERR(syscall(SYS_sched_getparam, gone, &sp), ESRCH, "getparam unknown");
	EXPECT_ERR(syscall(SYS_sched_setparam, 0, NULL), EINVAL, "setparam NULL");
	EXPECT_ERR(syscall(SYS_sched_setparam, -1, &sp), EINVAL, "setparam -1");
	sp.sched_priority = 5;
	EXPECT_ERR(syscall(SYS_sched_setparam, 0, &sp), EINVAL, "setparam 5 for OTHER");
	struct timespec ts;
	EXPECT_ERR(syscall(SYS_sched_rr_get_interval, -1, &ts), EINVAL, "rr_get_interval -1");
	EXPECT_ERR(syscall(SYS_sched_rr_get_interval, gone, &ts), ESRCH,
		   "rr_get_interval unknown");
	say("errno rules: ok");

	CHECK(set_policy(0, SCHED_FIFO, 10) == 0, "FIFO 10");
	say("policy %ld priority %d", syscall(SYS_sched_getscheduler, 0), get_prio(0));
	sp.sched_priority = 20;
	CHECK(syscall(SYS_sched_setparam, 0, &sp) == 0, "setparam 20");
	say("policy %ld priority %d", syscall(SYS_sched_getscheduler, 0), get_prio(0));
	CHECK(syscall(SYS_sched_rr_get_interval, 0, &ts) == 0, "rr_get_interval FIFO");
	say("FIFO interval zero: %s", yesno(ts.tv_sec == 0 && ts.tv_nsec == 0));
	CHECK(set_policy(0, SCHED_RR, 5) == 0, "RR 5");
	CHECK(syscall(SYS_sched_rr_get_interval, 0, &ts) == 0, "rr_get_interval RR");
	say("RR interval within (0, 1 s]: %s",
	    yesno((ts.tv_sec == 0 && ts.tv_nsec > 0) || (ts.tv_sec == 1 && ts.tv_nsec == 0)));
	CHECK(set_policy(0, SCHED_BATCH, 0) == 0, "BATCH");
	say("policy %ld priority %d", syscall(SYS_sched_getscheduler, 0), get_prio(0));
	CHECK(set_policy(0, SCHED_IDLE, 0) == 0, "IDLE");
	say("policy %ld priority %d", syscall(SYS_sched_getscheduler, 0), get_prio(0));
	CHECK(set_policy(0, SCHED_OTHER, 0) == 0, "back to OTHER");
	say("policy %ld priority %d", syscall(SYS_sched_getscheduler, 0), get_prio(0));
}

static void attr_rules(void)
{
	struct attr a;
	memset(&a, 0, sizeof a);
	EXPECT_ERR(syscall(SYS_sched_setattr, 0, NULL, 0), EINVAL, "setattr NULL");
	EXPECT_ERR(syscall(SYS_sched_setattr, 0, &a, 1), EINVAL, "setattr flags 1");
	EXPECT_ERR(syscall(SYS_sched_setattr, -1, &a, 0), EINVAL, "setattr pid -1");
	a.size = 47;
	EXPECT_ERR(syscall(SYS_sched_setattr, 0, &a, 0), E2BIG, "setattr size 47");
	say("setattr writes its size back: %s", yesno(a.size >= 48));
	a.size = 48;
	a.flags = 0x1000;
	EXPECT_ERR(syscall(SYS_sched_setattr, 0, &a, 0), EINVAL, "setattr unknown flag");
	a.flags = 0;
	a.policy = SCHED_FIFO;
	EXPECT_ERR(syscall(SYS_sched_setattr, 0, &a, 0), EINVAL, "setattr FIFO 0");
	a.policy = SCHED_OTHER;
	a.nice = 7;
	CHECK(syscall(SYS_sched_setattr, 0, &a, 0) == 0, "setattr OTHER nice 7");
	say("after setattr nice 7: getpriority %ld", raw_getprio(PRIO_PROCESS, 0));
	a.size = 0;
	a.policy = SCHED_RR;
	a.priority = 3;
	a.flags = 1; /* SCHED_FLAG_RESET_ON_FORK */
	CHECK(syscall(SYS_sched_setattr, 0, &a, 0) == 0, "setattr size 0 RR 3");
	say("getscheduler %#lx", syscall(SYS_sched_getscheduler, 0));
	struct attr g;
	memset(&g, 0xff, sizeof g);
	EXPECT_ERR(syscall(SYS_sched_getattr, 0, &g, 47, 0), EINVAL, "getattr size 47");
	EXPECT_ERR(syscall(SYS_sched_getattr, 0, &g, 48, 1), EINVAL, "getattr flags 1");
	EXPECT_ERR(syscall(SYS_sched_getattr, dead_pid(), &g, 48, 0), ESRCH, "getattr unknown");
	CHECK(syscall(SYS_sched_getattr, 0, &g, 48, 0) == 0, "getattr 48");
	say("getattr: size %u policy %u flags %#llx nice %d priority %u", g.size, g.policy,
	    (unsigned long long)g.flags, g.nice, g.priority);
	/* KEEP_POLICY (8): a new priority only. */
	memset(&a, 0, sizeof a);
	a.size = 48;
	a.flags = 8 | 1;
	a.priority = 9;
	CHECK(syscall(SYS_sched_setattr, 0, &a, 0) == 0, "setattr KEEP_POLICY");
	say("policy %ld priority %d", syscall(SYS_sched_getscheduler, 0), get_prio(0));
	a.flags = 0;
	a.policy = SCHED_OTHER;
	a.priority = 0;
	a.nice = 0;
	CHECK(syscall(SYS_sched_setattr, 0, &a, 0) == 0, "setattr back to OTHER");
	say("getscheduler %#lx nice %ld", syscall(SYS_sched_getscheduler, 0),
	    20 - raw_getprio(PRIO_PROCESS, 0));
}

static void nice_rules(void)
{
	pid_t gone = dead_pid();
	say("getpriority: %ld", raw_getprio(PRIO_PROCESS, 0));
	CHECK(setpriority(PRIO_PROCESS, 0, 5) == 0, "setpriority 5");
	say("after nice 5: raw %ld, libc %d", raw_getprio(PRIO_PROCESS, 0),
	    getpriority(PRIO_PROCESS, 0));
	errno = 0;
	say("nice(2) returns %d", nice(2));
	CHECK(setpriority(PRIO_PROCESS, 0, 100) == 0, "setpriority 100");
	say("after nice 100: raw %ld", raw_getprio(PRIO_PROCESS, 0));
	CHECK(setpriority(PRIO_PROCESS, 0, -100) == 0, "setpriority -100 (root)");
	say("after nice -100: raw %ld", raw_getprio(PRIO_PROCESS, 0));
	CHECK(setpriority(PRIO_PROCESS, getpid(), 0) == 0, "setpriority by pid");
	say("after nice 0 by pid: raw %ld", raw_getprio(PRIO_PROCESS, getpid()));
	EXPECT_ERR(raw_getprio(3, 0), EINVAL, "getpriority which 3");
	EXPECT_ERR(setpriority(3, 0, 0), EINVAL, "setpriority which 3");
	EXPECT_ERR(raw_getprio(PRIO_PROCESS, gone), ESRCH, "getpriority unknown pid");
	EXPECT_ERR(setpriority(PRIO_PROCESS, gone, 1), ESRCH, "setpriority unknown pid");
	EXPECT_ERR(raw_getprio(PRIO_USER, 54321), ESRCH, "getpriority unknown user");
	say("nice rules: ok");
}

static void affinity_rules(void)
{
	cpu_set_t s;
	pid_t gone = dead_pid();
	EXPECT_ERR(syscall(SYS_sched_getaffinity, 0, 7, &s), EINVAL, "getaffinity len 7");
	EXPECT_ERR(syscall(SYS_sched_getaffinity, 0, 12, &s), EINVAL, "getaffinity len 12");
	EXPECT_ERR(syscall(SYS_sched_getaffinity, gone, sizeof s, &s), ESRCH,
		   "getaffinity unknown");
	CPU_ZERO(&s);
	EXPECT_ERR(sched_setaffinity(0, sizeof s, &s), EINVAL, "setaffinity no CPU");
	CPU_SET(0, &s);
	EXPECT_ERR(sched_setaffinity(gone, sizeof s, &s), ESRCH, "setaffinity unknown");
	CHECK(sched_setaffinity(0, sizeof s, &s) == 0, "pinned to CPU 0");
	CPU_ZERO(&s);
	CHECK(sched_getaffinity(0, sizeof s, &s) == 0, "getaffinity");
	say("affinity: %d CPU, CPU 0 %s", CPU_COUNT(&s), yesno(CPU_ISSET(0, &s)));
}

/* The result of a call, printed (the host's says what is right). */
#define RESULT(call, what)                                                   \
	do {                                                                 \
		errno = 0;                                                   \
		long r_ = (long)(call);                                      \
		say("%s: %s", what, r_ == -1 ? ctest_errname(errno) : "succeeded"); \
	} while (0)

/* Without CAP_SYS_NICE (a child that became nobody, with
 * RLIMIT_RTPRIO and RLIMIT_NICE 0 as Linux starts them): a real-time
 * priority only lowered (the policy FIFO that root gave it kept), no
 * other real-time policy, a nice value only raised (EACCES from
 * setpriority, EPERM from sched_setattr), SCHED_RESET_ON_FORK never
 * cleared; giving up real time is allowed. */
static void unprivileged(void)
{
	pid_t c = xfork();
	if (c == 0) {
		CHECK(setpriority(PRIO_PROCESS, 0, 0) == 0, "nice 0");
		CHECK(set_policy(0, SCHED_FIFO, 5) == 0, "FIFO 5 as root");
		CHECK(setuid(65534) == 0, "setuid nobody");
		struct rlimit rl;
		CHECK(getrlimit(RLIMIT_RTPRIO, &rl) == 0, "RLIMIT_RTPRIO");
		say("nobody: RLIMIT_RTPRIO %ld", (long)rl.rlim_cur);
		RESULT(set_policy(0, SCHED_FIFO, 6), "nobody: FIFO 6");
		RESULT(set_policy(0, SCHED_FIFO, 100), "nobody: FIFO 100");
		RESULT(set_policy(0, SCHED_FIFO, 5), "nobody: FIFO 5 again");
		RESULT(set_policy(0, SCHED_FIFO, 3), "nobody: FIFO 3");
		struct sched_param sp = {.sched_priority = 5};
		RESULT(syscall(SYS_sched_setparam, 0, &sp), "nobody: setparam 5");
		sp.sched_priority = 2;
		RESULT(syscall(SYS_sched_setparam, 0, &sp), "nobody: setparam 2");
		RESULT(set_policy(0, SCHED_RR, 2), "nobody: RR 2");
		RESULT(set_policy(0, SCHED_OTHER, 0), "nobody: OTHER");
		RESULT(set_policy(0, SCHED_FIFO, 1), "nobody: FIFO 1");
		RESULT(setpriority(PRIO_PROCESS, 0, 5), "nobody: nice 5");
		RESULT(setpriority(PRIO_PROCESS, 0, 4), "nobody: nice 4");
		RESULT(setpriority(PRIO_PROCESS, 0, 10), "nobody: nice 10");
		say("nobody: nice now %ld", 20 - raw_getprio(PRIO_PROCESS, 0));
		struct attr a;
		memset(&a, 0, sizeof a);
		a.size = 48;
		a.policy = SCHED_OTHER;
		a.nice = 9;
		RESULT(syscall(SYS_sched_setattr, 0, &a, 0), "nobody: setattr nice 9");
		a.nice = 12;
		RESULT(syscall(SYS_sched_setattr, 0, &a, 0), "nobody: setattr nice 12");
		RESULT(set_policy(0, SCHED_BATCH | SCHED_RESET_ON_FORK, 0),
		       "nobody: BATCH with RESET_ON_FORK");
		RESULT(set_policy(0, SCHED_OTHER, 0), "nobody: RESET_ON_FORK cleared");
		RESULT(set_policy(0, SCHED_IDLE | SCHED_RESET_ON_FORK, 0), "nobody: IDLE");
		RESULT(set_policy(0, SCHED_OTHER | SCHED_RESET_ON_FORK, 0), "nobody: IDLE to OTHER");
		say("nobody: getscheduler %#lx", syscall(SYS_sched_getscheduler, 0));
		_exit(0);
	}
	expect_exit(c, 0, "the unprivileged child");
}

/* Threads: a thread's own policy and nice, set by its id from another. */
static pthread_barrier_t bar;
static volatile pid_t thread_tid;
static int seen_policy, seen_prio, seen_nice;

static void *report(void *arg)
{
	(void)arg;
	thread_tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	seen_policy = (int)syscall(SYS_sched_getscheduler, 0);
	seen_prio = get_prio(0);
	seen_nice = 20 - (int)raw_getprio(PRIO_PROCESS, 0);
	return NULL;
}

static void per_thread(void)
{
	pthread_t t;
	pthread_barrier_init(&bar, NULL, 2);
	CHECK(setpriority(PRIO_PROCESS, 0, 3) == 0, "nice 3");
	CHECK(pthread_create(&t, NULL, report, NULL) == 0, "pthread_create");
	pthread_barrier_wait(&bar);
	say("new thread inherits nice: %ld", 20 - raw_getprio(PRIO_PROCESS, thread_tid));
	CHECK(set_policy(thread_tid, SCHED_FIFO, 7) == 0, "FIFO 7 for the thread");
	CHECK(setpriority(PRIO_PROCESS, thread_tid, 4) == 0, "nice 4 for the thread");
	say("caller's policy %ld nice %ld", syscall(SYS_sched_getscheduler, 0),
	    20 - raw_getprio(PRIO_PROCESS, 0));
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	say("the thread sees policy %d priority %d nice %d", seen_policy, seen_prio, seen_nice);
	CHECK(setpriority(PRIO_PROCESS, 0, 0) == 0, "nice 0");

	/* A thread made by a FIFO thread is FIFO at its priority. */
	CHECK(set_policy(0, SCHED_FIFO, 12) == 0, "FIFO 12");
	pthread_barrier_init(&bar, NULL, 2);
	CHECK(pthread_create(&t, NULL, report, NULL) == 0, "pthread_create");
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	say("thread of a FIFO thread: policy %d priority %d", seen_policy, seen_prio);
	CHECK(set_policy(0, SCHED_OTHER, 0) == 0, "OTHER");
}

static void fork_and_exec(const char *self)
{
	/* Without the flag a child inherits everything. */
	CHECK(set_policy(0, SCHED_RR, 8) == 0, "RR 8");
	CHECK(setpriority(PRIO_PROCESS, 0, -3) == 0, "nice -3");
	pid_t c = fork();
	if (c == 0) {
		say("fork child: policy %ld priority %d nice %ld",
		    syscall(SYS_sched_getscheduler, 0), get_prio(0),
		    20 - raw_getprio(PRIO_PROCESS, 0));
		_exit(0);
	}
	expect_exit(c, 0, "fork child");
	/* With SCHED_RESET_ON_FORK: OTHER, nice at least 0, flag cleared. */
	CHECK(set_policy(0, SCHED_RR | SCHED_RESET_ON_FORK, 8) == 0, "RR 8 reset on fork");
	c = fork();
	if (c == 0) {
		say("reset child: getscheduler %#lx priority %d nice %ld",
		    syscall(SYS_sched_getscheduler, 0), get_prio(0),
		    20 - raw_getprio(PRIO_PROCESS, 0));
		_exit(0);
	}
	expect_exit(c, 0, "reset child");
	/* exec keeps all of it. */
	c = fork();
	if (c == 0) {
		CHECK(set_policy(0, SCHED_FIFO | SCHED_RESET_ON_FORK, 6) == 0, "FIFO 6");
		CHECK(setpriority(PRIO_PROCESS, 0, 2) == 0, "nice 2");
		execl(self, self, "exec", (char *)NULL);
		_exit(3);
	}
	expect_exit(c, 0, "exec child");
	CHECK(setpriority(PRIO_PROCESS, 0, 0) == 0, "nice 0");
	CHECK(set_policy(0, SCHED_OTHER, 0) == 0, "OTHER");
}

/* Four threads take a spin lock in turn; a holder preempted while it
 * holds it must run again for anyone to get on. */
#define SPINNERS 4
#define ROUNDS 20000
static pthread_spinlock_t spin;
static volatile long counted;

static void *spinner(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_spin_lock(&spin);
		long v = counted;
		for (volatile int k = 0; k < 20; k++)
			;
		counted = v + 1;
		pthread_spin_unlock(&spin);
	}
	return NULL;
}

static void spin_lock(void)
{
	pthread_t t[SPINNERS];
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	for (int i = 0; i < SPINNERS; i++)
		CHECK(pthread_create(&t[i], NULL, spinner, NULL) == 0, "spinner");
	for (int i = 0; i < SPINNERS; i++)
		pthread_join(t[i], NULL);
	say("spin lock: %ld of %d", counted, SPINNERS * ROUNDS);
}

static pthread_t make(void *(*fn)(void *), void *arg, int policy, int prio)
{
	pthread_attr_t a;
	pthread_t t;
	struct sched_param sp = {.sched_priority = prio};
	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, policy);
	pthread_attr_setschedparam(&a, &sp);
	CHECK(pthread_create(&t, &a, fn, arg) == 0, "pthread_create with a policy");
	pthread_attr_destroy(&a);
	return t;
}

/* FIFO threads of priorities 10..40, made by a FIFO 50 thread, run in
 * priority order once it waits; none runs while it spins. */
static volatile int order[4], ordered;

static void *note(void *arg)
{
	order[__atomic_fetch_add(&ordered, 1, __ATOMIC_SEQ_CST)] = (int)(intptr_t)arg;
	return NULL;
}

static void fifo_order(void)
{
	pthread_t t[4];
	CHECK(set_policy(0, SCHED_FIFO, 50) == 0, "FIFO 50");
	for (int i = 0; i < 4; i++)
		t[i] = make(note, (void *)(intptr_t)(10 * (i + 1)), SCHED_FIFO, 10 * (i + 1));
	uint64_t until = now_ns() + 50000000;
	while (now_ns() < until)
		;
	say("a lower thread ran while FIFO 50 spun: %s", yesno(ordered != 0));
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	say("FIFO order: %d %d %d %d", order[0], order[1], order[2], order[3]);
}

/* Two spinning threads of one priority: FIFO lets only one run until
 * the FIFO 50 thread stops them; RR makes them take turns. */
static volatile int stop;
static volatile long counts[2];
static volatile int saw_other[2];

static void *busy(void *arg)
{
	int me = (int)(intptr_t)arg;
	long other = counts[1 - me];
	while (!stop) {
		counts[me]++;
		if (counts[1 - me] != other) {
			other = counts[1 - me];
			saw_other[me] = 1;
		}
	}
	return NULL;
}

static void pair(int policy, const char *name)
{
	stop = 0;
	counts[0] = counts[1] = 0;
	saw_other[0] = saw_other[1] = 0;
	pthread_t a = make(busy, (void *)0, policy, 10);
	pthread_t b = make(busy, (void *)1, policy, 10);
	sleep_ms(1000);
	stop = 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	int ran = (counts[0] > 0) + (counts[1] > 0);
	if (policy == SCHED_FIFO)
		say("%s: threads that ran %d", name, ran);
	else
		say("%s: both ran %s, each saw the other run %s", name, yesno(ran == 2),
		    yesno(saw_other[0] && saw_other[1]));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		ctest_start("sched-exec");
		say("after exec: getscheduler %#lx priority %d nice %ld",
		    syscall(SYS_sched_getscheduler, 0), get_prio(0),
		    20 - raw_getprio(PRIO_PROCESS, 0));
		return 0;
	}
	ctest_start("sched");
	CHECK(argc > 1, "argv[1] is this program");
	ranges();
	errno_rules();
	attr_rules();
	nice_rules();
	affinity_rules();
	unprivileged();
	per_thread();
	fork_and_exec(argv[1]);
	spin_lock();
	fifo_order();
	pair(SCHED_FIFO, "FIFO pair");
	pair(SCHED_RR, "RR pair");
	CHECK(set_policy(0, SCHED_OTHER, 0) == 0, "OTHER at the end");
	return ctest_ok();
}
