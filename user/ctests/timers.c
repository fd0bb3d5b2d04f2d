/* timers: interval timers (alarm, setitimer, getitimer: REAL, VIRTUAL,
 * PROF) and POSIX timers (timer_create with SIGEV_SIGNAL, SIGEV_NONE and
 * SIGEV_THREAD_ID, timer_settime relative and TIMER_ABSTIME, one-shot and
 * periodic, timer_gettime, timer_getoverrun, timer_delete), with Linux's
 * argument rules. Times are checked with generous bounds (the machine may
 * be busy), never printed. */
#include "ctest.h"
#include <sys/syscall.h>
#include <sys/time.h>

static volatile int alrm, prof, vt;

static void on_alrm(int s)
{
	(void)s;
	alrm++;
}
static void on_prof(int s)
{
	(void)s;
	prof++;
}
static void on_vt(int s)
{
	(void)s;
	vt++;
}

static const char *err(int r)
{
	return r < 0 ? strerror(errno) : "ok";
}

static double left(const struct itimerval *v)
{
	return v->it_value.tv_sec + v->it_value.tv_usec / 1e6;
}

int main(void)
{
	ctest_start("timers");
	signal(SIGALRM, on_alrm);
	signal(SIGPROF, on_prof);
	signal(SIGVTALRM, on_vt);

	say("alarm with none set: %u", alarm(5));
	say("alarm again: %u left", alarm(0));
	struct itimerval v = { { 0, 0 }, { 10, 0 } }, o;
	CHECK(setitimer(ITIMER_REAL, &v, NULL) == 0, "setitimer");
	CHECK(getitimer(ITIMER_REAL, &o) == 0, "getitimer");
	say("getitimer after 10 s set: %s", yesno(left(&o) > 8 && left(&o) <= 10));
	v.it_value.tv_sec = 0;
	CHECK(setitimer(ITIMER_REAL, &v, &o) == 0, "disarm");
	say("old value given back: %s", yesno(left(&o) > 8 && left(&o) <= 10));
	CHECK(getitimer(ITIMER_REAL, &o) == 0, "getitimer disarmed");
	say("disarmed: %s", yesno(left(&o) == 0));
	say("which 3: %s", err(setitimer(3, &v, NULL)));
	struct itimerval bad = { { 0, 0 }, { 0, 1000000 } };
	say("usec 1000000: %s", err(setitimer(ITIMER_REAL, &bad, NULL)));
	say("getitimer which -1: %s", err(getitimer(-1, &o)));

	/* A one-shot: the signal comes. */
	struct itimerval once = { { 0, 0 }, { 0, 50000 } };
	CHECK(setitimer(ITIMER_REAL, &once, NULL) == 0, "one-shot");
	uint64_t t0 = now_ns();
	while (!alrm && now_ns() - t0 < 5000000000ull)
		pause();
	say("SIGALRM from a 50 ms one-shot: %s", yesno(alrm == 1));
	/* Periodic: five signals, then disarmed. */
	alrm = 0;
	struct itimerval per = { { 0, 20000 }, { 0, 20000 } };
	CHECK(setitimer(ITIMER_REAL, &per, NULL) == 0, "periodic");
	t0 = now_ns();
	while (alrm < 5 && now_ns() - t0 < 10000000000ull)
		pause();
	struct itimerval zero = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &zero, NULL);
	say("periodic 20 ms: five signals: %s", yesno(alrm >= 5));
	/* CPU-time timers fire while the process computes. */
	struct itimerval cpu = { { 0, 0 }, { 0, 30000 } };
	CHECK(setitimer(ITIMER_PROF, &cpu, NULL) == 0 && setitimer(ITIMER_VIRTUAL, &cpu, NULL) == 0, "cpu timers");
	volatile unsigned long x = 1;
	t0 = now_ns();
	while ((!prof || !vt) && now_ns() - t0 < 20000000000ull)
		x = x * 6364136223846793005ul + 1;
	say("SIGPROF and SIGVTALRM while computing: %s", yesno(prof == 1 && vt == 1));

	/* A child has no timer. */
	CHECK(setitimer(ITIMER_REAL, &v, NULL) == 0, "before fork");
	v.it_value.tv_sec = 10;
	CHECK(setitimer(ITIMER_REAL, &v, NULL) == 0, "armed for the fork");
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		struct itimerval k;
		getitimer(ITIMER_REAL, &k);
		_exit(left(&k) == 0 && alarm(0) == 0 ? 0 : 1);
	}
	expect_exit(c, 0, "a fork child without the parent's timer");
	say("a fork child has no timer: yes");
	setitimer(ITIMER_REAL, &zero, NULL);

	/* POSIX timers. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	ev.sigev_value.sival_int = 77;
	timer_t t;
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
	struct itimerspec its = { { 0, 0 }, { 0, 30000000 } }, cur;
	CHECK(timer_gettime(t, &cur) == 0, "timer_gettime");
	say("new timer disarmed: %s", yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0));
	CHECK(timer_settime(t, 0, &its, NULL) == 0, "timer_settime");
	siginfo_t si;
	struct timespec five = { 5, 0 };
	int s = sigtimedwait(&set, &si, &five);
	say("one-shot: signal %s, SI_TIMER: %s, value %d", s == SIGRTMIN ? "SIGRTMIN" : "none",
	    yesno(si.si_code == SI_TIMER), si.si_value.sival_int);
	CHECK(timer_gettime(t, &cur) == 0, "gettime after");
	say("spent: %s", yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0));
	/* Periodic with the signal blocked: one signal, the rest overruns. */
	struct itimerspec p10 = { { 0, 10000000 }, { 0, 10000000 } };
	CHECK(timer_settime(t, 0, &p10, NULL) == 0, "periodic");
	sleep_ms(150);
	s = sigtimedwait(&set, &si, &five);
	int over = timer_getoverrun(t);
	say("periodic, blocked: one signal with overruns: %s, timer_getoverrun agrees: %s",
	    yesno(s == SIGRTMIN && si.si_overrun >= 3), yesno(over == si.si_overrun));
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	CHECK(timer_settime(t, 0, &off, &cur) == 0, "disarm");
	say("old setting's interval: %ld ns", cur.it_interval.tv_nsec);
	/* An absolute time already past: at once. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct itimerspec past = { { 0, 0 }, { now.tv_sec > 1 ? now.tv_sec - 1 : 0, 1 } };
	CHECK(timer_settime(t, TIMER_ABSTIME, &past, NULL) == 0, "abstime");
	s = sigtimedwait(&set, &si, &five);
	say("TIMER_ABSTIME in the past fires at once: %s", yesno(s == SIGRTMIN));
	struct itimerspec badts = { { 0, 0 }, { 0, 1000000000 } };
	say("settime nsec 1e9: %s", err(timer_settime(t, 0, &badts, NULL)));
	CHECK(timer_delete(t) == 0, "timer_delete");
	say("settime after delete: %s", err(timer_settime(t, 0, &its, NULL)));
	say("delete again: %s", err(timer_delete(t)));

	/* SIGEV_NONE counts down and says nothing. */
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	CHECK(timer_create(CLOCK_REALTIME, &none, &t) == 0, "SIGEV_NONE");
	struct itimerspec ten = { { 0, 0 }, { 10, 0 } };
	CHECK(timer_settime(t, 0, &ten, NULL) == 0, "arm SIGEV_NONE");
	CHECK(timer_gettime(t, &cur) == 0, "gettime SIGEV_NONE");
	say("SIGEV_NONE counts down: %s", yesno(cur.it_value.tv_sec >= 8 && cur.it_value.tv_sec <= 10));
	timer_delete(t);
	/* SIGEV_THREAD_ID to this thread. */
	struct sigevent tid = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
	tid.sigev_notify_thread_id = (int)syscall(SYS_gettid);
	int t2 = -1;
	CHECK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &tid, &t2) == 0, "SIGEV_THREAD_ID");
	CHECK(syscall(SYS_timer_settime, t2, 0, &its, NULL) == 0, "arm THREAD_ID");
	s = sigtimedwait(&set, &si, &five);
	say("SIGEV_THREAD_ID: %s", s == SIGUSR1 ? "SIGUSR1 to this thread" : "none");
	syscall(SYS_timer_delete, t2);
	tid.sigev_notify_thread_id = 999999;
	say("SIGEV_THREAD_ID to no thread: %s", err((int)syscall(SYS_timer_create, CLOCK_MONOTONIC, &tid, &t2)));
	ev.sigev_signo = 65;
	say("signal 65: %s", err(timer_create(CLOCK_MONOTONIC, &ev, &t)));
	ev.sigev_signo = SIGUSR1;
	ev.sigev_notify = 77;
	say("sigev_notify 77: %s", err(timer_create(CLOCK_MONOTONIC, &ev, &t)));
	ev.sigev_notify = SIGEV_SIGNAL;
	say("clock 42: %s", err(timer_create(42, &ev, &t)));
	(void)x;
	return ctest_ok();
}
